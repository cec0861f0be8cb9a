//! Orders. (The shop issue adds creation, payment and delivery; the queue needs ownership checks.)

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::StoreError;
use crate::tables::{orders as o, products as p};

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
