//! Vouchers: percent or flat discounts with a validity window and a maximum number of uses. A
//! use is consumed only when an order is paid (in the completing transaction), so an unpaid,
//! cancelled or expired order never holds one.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms};
use crate::error::StoreError;
use crate::tables::vouchers as v;

/// Why a voucher cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoucherProblem {
    Unknown,
    Inactive,
    NotYetValid,
    Expired,
    UsedUp,
}

/// A voucher applied to a subtotal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoucherQuote {
    pub voucher_id: i64,
    pub code: String,
    pub discount: i64,
}

/// Normalises a typed code (case and spaces do not matter).
pub fn normalise_code(code: &str) -> String {
    code.trim().to_uppercase()
}

/// id, kind, value, max uses, used, valid from, valid until, active.
type VoucherRow = (
    i64,
    String,
    i64,
    Option<i32>,
    i32,
    Option<i64>,
    Option<i64>,
    bool,
);

/// Checks a code against `subtotal` now. The discount never exceeds the subtotal.
pub fn quote_voucher(
    conn: &mut DbConnection,
    code: &str,
    subtotal: i64,
) -> Result<Result<VoucherQuote, VoucherProblem>, StoreError> {
    let code = normalise_code(code);
    let row: Option<VoucherRow> = v::table
        .filter(v::code.eq(&code))
        .select((
            v::id,
            v::kind,
            v::value,
            v::max_uses,
            v::used_count,
            v::valid_from,
            v::valid_until,
            v::is_active,
        ))
        .first(conn)
        .optional()?;
    let Some((id, kind, value, max_uses, used, from, until, active)) = row else {
        return Ok(Err(VoucherProblem::Unknown));
    };
    let now = now_ms();
    if !active {
        return Ok(Err(VoucherProblem::Inactive));
    }
    if from.is_some_and(|f| now < f) {
        return Ok(Err(VoucherProblem::NotYetValid));
    }
    if until.is_some_and(|u| now > u) {
        return Ok(Err(VoucherProblem::Expired));
    }
    if max_uses.is_some_and(|m| used >= m) {
        return Ok(Err(VoucherProblem::UsedUp));
    }
    let discount = match kind.as_str() {
        "percent" => subtotal * value.clamp(0, 100) / 100,
        _ => value,
    }
    .clamp(0, subtotal);
    Ok(Ok(VoucherQuote {
        voucher_id: id,
        code,
        discount,
    }))
}

/// Consumes one use, if any is left. Called inside the transaction that completes a payment;
/// returns false when the voucher ran out meanwhile (the customer already paid the discounted
/// price and keeps it — the caller records that).
pub fn consume_voucher(conn: &mut DbConnection, voucher_id: i64) -> Result<bool, StoreError> {
    let n = diesel::update(
        v::table.find(voucher_id).filter(
            v::max_uses
                .is_null()
                .or(v::used_count.lt(v::max_uses.assume_not_null())),
        ),
    )
    .set(v::used_count.eq(v::used_count + 1))
    .execute(conn)?;
    Ok(n == 1)
}

/// A new voucher (tests and the admin menu).
#[derive(Debug, Clone)]
pub struct NewVoucher<'a> {
    pub code: &'a str,
    pub percent: bool,
    pub value: i64,
    pub max_uses: Option<i32>,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
}

/// Creates a voucher.
pub fn create_voucher(conn: &mut DbConnection, new: &NewVoucher<'_>) -> Result<i64, StoreError> {
    Ok(diesel::insert_into(v::table)
        .values((
            v::code.eq(normalise_code(new.code)),
            v::kind.eq(if new.percent { "percent" } else { "flat" }),
            v::value.eq(new.value),
            v::max_uses.eq(new.max_uses),
            v::valid_from.eq(new.valid_from),
            v::valid_until.eq(new.valid_until),
            v::is_active.eq(true),
            v::created_at.eq(now_ms()),
        ))
        .returning(v::id)
        .get_result(conn)?)
}

/// Uses consumed so far.
pub fn voucher_uses(conn: &mut DbConnection, voucher_id: i64) -> Result<i32, StoreError> {
    Ok(v::table
        .find(voucher_id)
        .select(v::used_count)
        .first(conn)?)
}
