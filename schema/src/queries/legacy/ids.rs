//! The `legacy_ids` table: which row of the old bot became which of ours. The import writes it
//! in its own transaction (so a second run skips what the first brought); reconcile reads it to
//! tell imported history — an opening voucher use count, a deposit credited in the old bot —
//! from work done here.

use std::collections::HashMap;

use diesel::prelude::*;

use super::LegacyKind;
use crate::db::DbConnection;
use crate::error::StoreError;
use crate::tables::legacy_ids as l;

/// Every recorded old id of `kind`, with the row it became.
pub fn recorded(
    conn: &mut DbConnection,
    kind: LegacyKind,
) -> Result<HashMap<String, Option<i64>>, StoreError> {
    let rows: Vec<(String, Option<i64>)> = l::table
        .filter(l::kind.eq(kind.as_str()))
        .select((l::legacy_id, l::new_id))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Records that old row `legacy_id` of `kind` became `new_id`.
pub(super) fn record(
    conn: &mut DbConnection,
    kind: LegacyKind,
    legacy_id: &str,
    new_id: Option<i64>,
    voucher_uses: Option<i32>,
    now: i64,
) -> Result<(), diesel::result::Error> {
    diesel::insert_into(l::table)
        .values((
            l::kind.eq(kind.as_str()),
            l::legacy_id.eq(legacy_id),
            l::new_id.eq(new_id),
            l::voucher_uses.eq(voucher_uses),
            l::imported_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Whether our row `new_id` of `kind` was brought by an import (reconcile: imported history
/// is justified by the old bot, not by a payment or ledger row here).
pub fn is_imported(
    conn: &mut DbConnection,
    kind: LegacyKind,
    new_id: i64,
) -> Result<bool, StoreError> {
    let n: i64 = l::table
        .filter(l::kind.eq(kind.as_str()))
        .filter(l::new_id.eq(new_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Uses of voucher `voucher_id` consumed in the old bot, which no imported order holds (the
/// old bot never linked orders to coupons). 0 for a voucher made here.
pub fn imported_voucher_uses(conn: &mut DbConnection, voucher_id: i64) -> Result<i32, StoreError> {
    let uses: Option<Option<i32>> = l::table
        .filter(l::kind.eq(LegacyKind::Voucher.as_str()))
        .filter(l::new_id.eq(voucher_id))
        .select(l::voucher_uses)
        .first(conn)
        .optional()?;
    Ok(uses.flatten().unwrap_or(0))
}
