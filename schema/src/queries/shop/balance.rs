//! The balance ledger: every change is a ledger row with a reason and a reference, written in
//! the same transaction as the balance update; the CHECK constraints keep both non-negative.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms};
use crate::error::StoreError;
use crate::tables::{balance_ledger as l, users as u};

/// Why a debit was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsufficientBalance {
    pub balance: i64,
    pub needed: i64,
}

/// Adds `delta` (negative = debit) to a user's balance with a ledger row. A debit larger than
/// the balance changes nothing and returns `Err(InsufficientBalance)`. Call inside the
/// transaction of the change that causes it.
pub fn apply_balance_change(
    conn: &mut DbConnection,
    user_id: i64,
    delta: i64,
    reason: &str,
    reference: Option<&str>,
    actor_id: Option<i64>,
) -> Result<Result<i64, InsufficientBalance>, StoreError> {
    if delta == 0 {
        let balance: i64 = u::table.find(user_id).select(u::balance).first(conn)?;
        return Ok(Ok(balance));
    }
    let updated = diesel::update(u::table.find(user_id).filter(u::balance.ge(-delta.min(0))))
        .set(u::balance.eq(u::balance + delta))
        .execute(conn)?;
    let balance: i64 = u::table.find(user_id).select(u::balance).first(conn)?;
    if updated == 0 {
        return Ok(Err(InsufficientBalance {
            balance,
            needed: -delta,
        }));
    }
    diesel::insert_into(l::table)
        .values((
            l::user_id.eq(user_id),
            l::delta.eq(delta),
            l::balance_after.eq(balance),
            l::reason.eq(reason),
            l::reference.eq(reference),
            l::actor_id.eq(actor_id),
            l::created_at.eq(now_ms()),
        ))
        .execute(conn)?;
    Ok(Ok(balance))
}

/// A user's balance.
pub fn balance_of(conn: &mut DbConnection, user_id: i64) -> Result<i64, StoreError> {
    Ok(u::table
        .find(user_id)
        .select(u::balance)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
}

/// The sum of a user's ledger (equals the balance; tests and audits check it).
pub fn ledger_sum(conn: &mut DbConnection, user_id: i64) -> Result<i64, StoreError> {
    let deltas: Vec<i64> = l::table
        .filter(l::user_id.eq(user_id))
        .select(l::delta)
        .load(conn)?;
    Ok(deltas.iter().sum())
}
