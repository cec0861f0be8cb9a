//! Deposits (balance top-ups) by QRIS: the same payment life cycle as orders; completion
//! credits the balance through the ledger. A deposit's gateway order id is
//! `DEP-YYYYMMDD-<random>-<attempt>`: never derived from the row id, which repeats after a
//! restore and between two stores sharing one Pakasir project.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::queries::shop::checkout::{PaymentFor, new_reference};
use crate::queries::shop::payments::{PaymentRow, create_payment_row};
use crate::queries::shop::status::{DepositStatus, PaymentChannel};
use crate::tables::deposits as d;

/// Creates a pending deposit and its payment row. The caller validates the minimum.
pub fn create_deposit(
    conn: &mut DbConnection,
    user_id: i64,
    amount: i64,
) -> Result<(i64, PaymentRow), StoreError> {
    write_tx(conn, |conn| {
        let id: i64 = diesel::insert_into(d::table)
            .values((
                d::user_id.eq(user_id),
                d::amount.eq(amount),
                d::status.eq(DepositStatus::Pending.as_str()),
                d::created_at.eq(now_ms()),
            ))
            .returning(d::id)
            .get_result(conn)?;
        let payment = create_payment_row(
            conn,
            PaymentFor::Deposit(id),
            PaymentChannel::Qris,
            amount,
            &new_reference("DEP"),
        )?;
        Ok((id, payment))
    })
}

/// A deposit (amount, status, user).
pub fn load_deposit(
    conn: &mut DbConnection,
    id: i64,
) -> Result<Option<(i64, String, i64)>, StoreError> {
    Ok(d::table
        .find(id)
        .select((d::amount, d::status, d::user_id))
        .first(conn)
        .optional()?)
}
