//! Catalog reads: what customers see.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::StoreError;
use crate::tables::{categories as c, products as p, stock_items as s};

/// One product line in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub price: i64,
    pub stock: i64,
    pub sold: i64,
    pub category: Option<String>,
}

/// A product's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDetail {
    pub listing: Listing,
    pub description: String,
    pub snk: Option<String>,
}

/// id, code, name, price, sold, description, snk, category.
type DetailRow = (
    i64,
    String,
    String,
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
);

/// Available items per product.
fn stock_counts(
    conn: &mut DbConnection,
) -> Result<std::collections::HashMap<i64, i64>, StoreError> {
    let rows: Vec<(i64, i64)> = s::table
        .filter(s::state.eq("available"))
        .group_by(s::product_id)
        .select((s::product_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

fn load_listings(conn: &mut DbConnection, only_in_stock: bool) -> Result<Vec<Listing>, StoreError> {
    let counts = stock_counts(conn)?;
    let rows: Vec<(i64, String, String, i64, i64, Option<String>)> = p::table
        .left_join(c::table)
        .filter(p::is_active.eq(true))
        .filter(p::archived_at.is_null())
        .order(p::name.asc())
        .select((
            p::id,
            p::code,
            p::name,
            p::price,
            p::sold_count,
            c::name.nullable(),
        ))
        .load(conn)?;
    let mut listings: Vec<Listing> = rows
        .into_iter()
        .map(|(id, code, name, price, sold, category)| Listing {
            id,
            code,
            name,
            price,
            stock: counts.get(&id).copied().unwrap_or(0),
            sold,
            category,
        })
        .filter(|l| !only_in_stock || l.stock > 0)
        .collect();
    // Categorised products first, grouped by category; uncategorised last.
    listings.sort_by(|a, b| {
        (a.category.is_none(), &a.category, &a.name).cmp(&(
            b.category.is_none(),
            &b.category,
            &b.name,
        ))
    });
    Ok(listings)
}

/// Active products with stock, for the catalog (the caller pages through them).
pub fn catalog(conn: &mut DbConnection) -> Result<Vec<Listing>, StoreError> {
    load_listings(conn, true)
}

/// Every active product with its stock, for "Cek Stok" and the stock report.
pub fn stock_table(conn: &mut DbConnection) -> Result<Vec<Listing>, StoreError> {
    load_listings(conn, false)
}

/// One product (active, not archived).
pub fn product_detail(
    conn: &mut DbConnection,
    product_id: i64,
) -> Result<Option<ProductDetail>, StoreError> {
    let row: Option<DetailRow> = p::table
        .left_join(c::table)
        .filter(p::id.eq(product_id))
        .filter(p::is_active.eq(true))
        .filter(p::archived_at.is_null())
        .select((
            p::id,
            p::code,
            p::name,
            p::price,
            p::sold_count,
            p::description,
            p::snk,
            c::name.nullable(),
        ))
        .first(conn)
        .optional()?;
    let Some((id, code, name, price, sold, description, snk, category)) = row else {
        return Ok(None);
    };
    let stock: i64 = s::table
        .filter(s::product_id.eq(id))
        .filter(s::state.eq("available"))
        .count()
        .get_result(conn)?;
    Ok(Some(ProductDetail {
        listing: Listing {
            id,
            code,
            name,
            price,
            stock,
            sold,
            category,
        },
        description,
        snk,
    }))
}

/// Available items of one product.
pub fn available_stock(conn: &mut DbConnection, product_id: i64) -> Result<i64, StoreError> {
    Ok(s::table
        .filter(s::product_id.eq(product_id))
        .filter(s::state.eq("available"))
        .count()
        .get_result(conn)?)
}
