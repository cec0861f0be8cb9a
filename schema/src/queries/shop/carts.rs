//! The persistent cart: rows in the database, so a restart or redeploy never loses it.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::queries::shop::products::available_stock;
use crate::tables::{cart_items as ci, carts as c, products as p};

/// One cart line with what the customer needs to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    pub product_id: i64,
    pub name: String,
    pub unit_price: i64,
    pub quantity: i32,
    pub stock: i64,
}

impl CartLine {
    /// Price × quantity.
    pub fn line_total(&self) -> i64 {
        self.unit_price * i64::from(self.quantity)
    }
}

/// The cart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cart {
    pub lines: Vec<CartLine>,
    pub voucher_code: Option<String>,
}

impl Cart {
    /// Sum of the lines.
    pub fn subtotal(&self) -> i64 {
        self.lines.iter().map(CartLine::line_total).sum()
    }
}

/// What happened to a quantity change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CartChange {
    /// Set to this quantity.
    Set(i32),
    /// Capped at the stock available.
    Capped(i32),
    /// Removed (quantity 0).
    Removed,
    /// Nothing in stock: not added.
    OutOfStock,
    /// The product is not for sale.
    Unavailable,
}

fn touch_cart(conn: &mut DbConnection, user_id: i64) -> Result<(), StoreError> {
    let now = now_ms();
    crate::on_backend!(conn, k => diesel::insert_into(c::table)
        .values((c::user_id.eq(user_id), c::updated_at.eq(now)))
        .on_conflict(c::user_id)
        .do_update()
        .set(c::updated_at.eq(now))
        .execute(k)?);
    Ok(())
}

/// Sets the quantity of a product in the cart (0 removes it), capped at the available stock.
pub fn set_cart_quantity(
    conn: &mut DbConnection,
    user_id: i64,
    product_id: i64,
    quantity: i32,
) -> Result<CartChange, StoreError> {
    write_tx(conn, |conn| {
        let sellable: bool = p::table
            .find(product_id)
            .filter(p::is_active.eq(true))
            .filter(p::archived_at.is_null())
            .count()
            .get_result::<i64>(conn)?
            > 0;
        if quantity <= 0 {
            diesel::delete(ci::table.find((user_id, product_id))).execute(conn)?;
            return Ok(CartChange::Removed);
        }
        if !sellable {
            return Ok(CartChange::Unavailable);
        }
        let stock = available_stock(conn, product_id)?;
        if stock == 0 {
            return Ok(CartChange::OutOfStock);
        }
        let capped = i64::from(quantity).min(stock) as i32;
        touch_cart(conn, user_id)?;
        let now = now_ms();
        crate::on_backend!(conn, k => diesel::insert_into(ci::table)
            .values((ci::user_id.eq(user_id), ci::product_id.eq(product_id), ci::quantity.eq(capped), ci::added_at.eq(now)))
            .on_conflict((ci::user_id, ci::product_id))
            .do_update()
            .set(ci::quantity.eq(capped))
            .execute(k)?);
        Ok(if capped < quantity {
            CartChange::Capped(capped)
        } else {
            CartChange::Set(capped)
        })
    })
}

/// Adds `delta` (may be negative) to a product's quantity.
pub fn change_cart_quantity(
    conn: &mut DbConnection,
    user_id: i64,
    product_id: i64,
    delta: i32,
) -> Result<CartChange, StoreError> {
    write_tx(conn, |conn| {
        let current: i32 = ci::table
            .find((user_id, product_id))
            .select(ci::quantity)
            .first(conn)
            .optional()?
            .unwrap_or(0);
        set_cart_quantity(conn, user_id, product_id, current.saturating_add(delta))
    })
}

/// The cart with current prices and stock.
pub fn load_cart(conn: &mut DbConnection, user_id: i64) -> Result<Cart, StoreError> {
    let rows: Vec<(i64, String, i64, i32)> = ci::table
        .inner_join(p::table)
        .filter(ci::user_id.eq(user_id))
        .order(ci::added_at.asc())
        .select((ci::product_id, p::name, p::price, ci::quantity))
        .load(conn)?;
    let mut lines = Vec::with_capacity(rows.len());
    for (product_id, name, unit_price, quantity) in rows {
        let stock = available_stock(conn, product_id)?;
        lines.push(CartLine {
            product_id,
            name,
            unit_price,
            quantity,
            stock,
        });
    }
    let voucher_code = c::table
        .find(user_id)
        .select(c::voucher_code)
        .first(conn)
        .optional()?
        .flatten();
    Ok(Cart {
        lines,
        voucher_code,
    })
}

/// Remembers (or forgets) the voucher the customer entered for this cart.
pub fn set_cart_voucher(
    conn: &mut DbConnection,
    user_id: i64,
    code: Option<&str>,
) -> Result<(), StoreError> {
    touch_cart(conn, user_id)?;
    diesel::update(c::table.find(user_id))
        .set(c::voucher_code.eq(code))
        .execute(conn)?;
    Ok(())
}

/// Empties the cart.
pub fn clear_cart(conn: &mut DbConnection, user_id: i64) -> Result<(), StoreError> {
    diesel::delete(ci::table.filter(ci::user_id.eq(user_id))).execute(conn)?;
    diesel::update(c::table.find(user_id))
        .set(c::voucher_code.eq(None::<String>))
        .execute(conn)?;
    Ok(())
}
