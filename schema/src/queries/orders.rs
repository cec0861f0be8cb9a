//! Orders as customers and delivery see them. Creation and payment live in `shop`.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::StoreError;
use crate::tables::{order_items as oi, orders as o, products as p, stock_items as s};

/// The buyer of an order, by invoice number.
pub fn order_owner(conn: &mut DbConnection, invoice_no: &str) -> Result<Option<i64>, StoreError> {
    Ok(o::table
        .filter(o::invoice_no.eq(invoice_no))
        .select(o::user_id)
        .first(conn)
        .optional()?)
}

/// A product's display name.
pub fn product_name(
    conn: &mut DbConnection,
    product_id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(p::table
        .find(product_id)
        .select(p::name)
        .first(conn)
        .optional()?)
}

/// An order line: product name, quantity, unit price.
pub type OrderLine = (String, i32, i64);
/// An order with its lines.
pub type OrderDetail = (OrderSummary, Vec<OrderLine>);
/// Buyer, invoice number, status and delivery time of an order.
pub type DeliveryTarget = (i64, String, String, Option<i64>);

/// A line of "Pesanan Saya".
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct OrderSummary {
    pub id: i64,
    pub invoice_no: String,
    pub status: String,
    pub payment_method: String,
    pub subtotal: i64,
    pub discount: i64,
    pub fee: i64,
    pub total: i64,
    pub created_at: i64,
    pub paid_at: Option<i64>,
}

type SummaryColumns = (
    o::id,
    o::invoice_no,
    o::status,
    o::payment_method,
    o::subtotal,
    o::discount,
    o::fee,
    o::total,
    o::created_at,
    o::paid_at,
);
const SUMMARY: SummaryColumns = (
    o::id,
    o::invoice_no,
    o::status,
    o::payment_method,
    o::subtotal,
    o::discount,
    o::fee,
    o::total,
    o::created_at,
    o::paid_at,
);

/// A user's orders, newest first.
pub fn list_orders(
    conn: &mut DbConnection,
    user_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<OrderSummary>, StoreError> {
    Ok(o::table
        .filter(o::user_id.eq(user_id))
        .order(o::id.desc())
        .limit(limit)
        .offset(offset)
        .select(SUMMARY)
        .load(conn)?)
}

/// How many orders a user has.
pub fn count_orders(conn: &mut DbConnection, user_id: i64) -> Result<i64, StoreError> {
    Ok(o::table
        .filter(o::user_id.eq(user_id))
        .count()
        .get_result(conn)?)
}

/// Orders completed store-wide (shown in the welcome message).
pub fn count_completed_orders(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(o::table
        .filter(o::status.eq_any(["paid", "delivered"]))
        .count()
        .get_result(conn)?)
}

/// One order with its lines (name, quantity, unit price), if it belongs to `user_id`.
pub fn order_of_user(
    conn: &mut DbConnection,
    order_id: i64,
    user_id: i64,
) -> Result<Option<OrderDetail>, StoreError> {
    let Some(summary) = o::table
        .find(order_id)
        .filter(o::user_id.eq(user_id))
        .select(SUMMARY)
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let lines = oi::table
        .filter(oi::order_id.eq(order_id))
        .order(oi::id.asc())
        .select((oi::product_name, oi::quantity, oi::unit_price))
        .load(conn)?;
    Ok(Some((summary, lines)))
}

/// A sold item to deliver: still encrypted; decrypt with `catalog::stock_aad(product_id, hash)`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct SoldItem {
    pub product_id: i64,
    pub product_name: String,
    pub content_enc: Vec<u8>,
    pub content_hash: String,
}

/// The items sold to an order (paid orders only).
pub fn sold_items(conn: &mut DbConnection, order_id: i64) -> Result<Vec<SoldItem>, StoreError> {
    Ok(s::table
        .inner_join(p::table)
        .filter(s::order_id.eq(order_id))
        .filter(s::state.eq("sold"))
        .order(s::id.asc())
        .select((s::product_id, p::name, s::content_enc, s::content_hash))
        .load(conn)?)
}

/// Who bought an order and its invoice number, and whether it was already delivered.
pub fn delivery_target(
    conn: &mut DbConnection,
    order_id: i64,
) -> Result<Option<DeliveryTarget>, StoreError> {
    Ok(o::table
        .find(order_id)
        .select((o::user_id, o::invoice_no, o::status, o::delivered_at))
        .first(conn)
        .optional()?)
}

/// Records the delivery (the deliver job checks this first, so a re-run does not re-send).
pub fn mark_delivered(conn: &mut DbConnection, order_id: i64) -> Result<bool, StoreError> {
    let n = diesel::update(o::table.find(order_id).filter(o::delivered_at.is_null()))
        .set((
            o::status.eq("delivered"),
            o::delivered_at.eq(crate::db::now_ms()),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// The newest order of a user (Informasi: last transaction).
pub fn last_order(
    conn: &mut DbConnection,
    user_id: i64,
) -> Result<Option<OrderSummary>, StoreError> {
    Ok(o::table
        .filter(o::user_id.eq(user_id))
        .order(o::id.desc())
        .select(SUMMARY)
        .first(conn)
        .optional()?)
}
