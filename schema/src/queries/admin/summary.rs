//! The admin menu's summary line: users, today's paid orders, products low on stock.

use std::collections::HashMap;

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::ids::ProductId;
use crate::db::DbConnection;
use crate::error::StoreError;
use crate::queries::shop::status;
use crate::tables::{orders as o, products as p, stock_items as s, users as u};

/// What the admin menu opens with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminSummary {
    /// Everyone who ever started the bot.
    pub users: i64,
    /// Orders paid since the start of the store's day.
    pub orders_today: i64,
    /// Products on sale with at most the low-stock threshold of items left.
    pub low_stock: i64,
}

/// A product low on stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowStock {
    pub id: ProductId,
    pub name: String,
    pub available: i64,
}

/// Products on sale (not archived) with at most `threshold` available items, fewest first.
pub fn low_stock_products(
    conn: &mut DbConnection,
    threshold: i64,
) -> Result<Vec<LowStock>, StoreError> {
    let products: Vec<(i64, String)> = p::table
        .filter(p::is_active.eq(true))
        .filter(p::archived_at.is_null())
        .select((p::id, p::name))
        .load(conn)?;
    let counts: HashMap<i64, i64> = s::table
        .filter(s::state.eq("available"))
        .group_by(s::product_id)
        .select((s::product_id, count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let mut low: Vec<LowStock> = products
        .into_iter()
        .map(|(id, name)| LowStock {
            id: ProductId(id),
            name,
            available: counts.get(&id).copied().unwrap_or(0),
        })
        .filter(|l| l.available <= threshold)
        .collect();
    low.sort_by(|a, b| (a.available, &a.name).cmp(&(b.available, &b.name)));
    Ok(low)
}

/// The summary; `day_start` is the start of today in the store's time zone (epoch ms).
pub fn admin_summary(
    conn: &mut DbConnection,
    day_start: i64,
    low_stock_threshold: i64,
) -> Result<AdminSummary, StoreError> {
    let users: i64 = u::table.select(count_star()).first(conn)?;
    let orders_today: i64 = o::table
        .filter(o::status.eq_any([status::PAID, status::DELIVERED]))
        .filter(o::paid_at.ge(day_start))
        .select(count_star())
        .first(conn)?;
    let low_stock = low_stock_products(conn, low_stock_threshold)?.len() as i64;
    Ok(AdminSummary {
        users,
        orders_today,
        low_stock,
    })
}
