//! Vouchers: percent or flat discounts with a validity window and a maximum number of uses.
//!
//! A use is **reserved** in the transaction that places the order (`reserved_count`, which
//! counts against `max_uses` at once), **finalized** in the transaction that completes the
//! payment (`reserved_count − 1`, `used_count + 1`) and **released** in the one that closes the
//! order unpaid. Every step is one guarded UPDATE, so on both backends and across replicas a
//! voucher never carries more discounted orders than it has uses: at any moment
//! `used_count + reserved_count ≤ max_uses`, `reserved_count` = its pending orders and
//! `used_count` = its paid orders + `imported_uses` (what `reconcile` checks).

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

/// id, kind, value, max uses, used, reserved, valid from, valid until, active.
type VoucherRow = (
    i64,
    String,
    i64,
    Option<i32>,
    i32,
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
            v::reserved_count,
            v::valid_from,
            v::valid_until,
            v::is_active,
        ))
        .first(conn)
        .optional()?;
    let Some((id, kind, value, max_uses, used, reserved, from, until, active)) = row else {
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
    if max_uses.is_some_and(|m| used + reserved >= m) {
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

/// A use is left: `used + reserved < max_uses` (or no maximum), and the voucher is active.
#[diesel::dsl::auto_type]
fn has_room() -> _ {
    v::max_uses
        .is_null()
        .or((v::used_count + v::reserved_count).lt(v::max_uses.assume_not_null()))
}

/// Reserves one use for an order being placed, if one is left (in the placing transaction).
/// False when the voucher is used up (counting other orders' reservations) or deactivated.
pub fn reserve_voucher_use(conn: &mut DbConnection, voucher_id: i64) -> Result<bool, StoreError> {
    let n = diesel::update(
        v::table
            .find(voucher_id)
            .filter(v::is_active.eq(true))
            .filter(has_room()),
    )
    .set(v::reserved_count.eq(v::reserved_count + 1))
    .execute(conn)?;
    Ok(n == 1)
}

/// Turns a pending order's reservation into a use (in the completing transaction). False when
/// there was no reservation to turn (which `reconcile` would report); nothing changes then.
pub fn finalize_voucher_use(conn: &mut DbConnection, voucher_id: i64) -> Result<bool, StoreError> {
    let n = diesel::update(v::table.find(voucher_id).filter(v::reserved_count.gt(0)))
        .set((
            v::reserved_count.eq(v::reserved_count - 1),
            v::used_count.eq(v::used_count + 1),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Gives a closed order's reservation back (in the closing transaction).
pub fn release_voucher_use(conn: &mut DbConnection, voucher_id: i64) -> Result<bool, StoreError> {
    let n = diesel::update(v::table.find(voucher_id).filter(v::reserved_count.gt(0)))
        .set(v::reserved_count.eq(v::reserved_count - 1))
        .execute(conn)?;
    Ok(n == 1)
}

/// Takes a use directly for an order paid after it was closed (its reservation went back), if
/// one is left. False when the voucher is used up meanwhile: the caller refunds the payment
/// instead, so no order carries a discount beyond the voucher's uses. An expired or deactivated
/// voucher still counts here: the customer was quoted the discount while it was valid.
pub fn take_voucher_use(conn: &mut DbConnection, voucher_id: i64) -> Result<bool, StoreError> {
    let n = diesel::update(v::table.find(voucher_id).filter(has_room()))
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

/// Uses consumed so far (paid orders, plus uses imported from the old bot).
pub fn voucher_uses(conn: &mut DbConnection, voucher_id: i64) -> Result<i32, StoreError> {
    Ok(v::table
        .find(voucher_id)
        .select(v::used_count)
        .first(conn)?)
}

/// Uses reserved by pending orders.
pub fn voucher_reservations(conn: &mut DbConnection, voucher_id: i64) -> Result<i32, StoreError> {
    Ok(v::table
        .find(voucher_id)
        .select(v::reserved_count)
        .first(conn)?)
}
