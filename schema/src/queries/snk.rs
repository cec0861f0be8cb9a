//! SNK (syarat & ketentuan) answers: stored encrypted, the row identity bound in as
//! associated data, purged after `SNK_RETENTION_DAYS`.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms};
use crate::error::StoreError;
use crate::tables::snk_answers as s;

/// Associated data binding an answer's ciphertext to its row: a ciphertext copied onto another
/// order or product does not decrypt.
pub fn snk_aad(order_ref: &str, product_id: i64) -> Vec<u8> {
    format!("snk_answers:{order_ref}:{product_id}").into_bytes()
}

/// Stores (or replaces) the answer for one order and product.
pub fn save_snk_answer(
    conn: &mut DbConnection,
    order_ref: &str,
    product_id: i64,
    user_id: i64,
    answer_enc: &[u8],
) -> Result<(), StoreError> {
    let now = now_ms();
    crate::on_backend!(conn, c => diesel::insert_into(s::table)
        .values((
            s::order_ref.eq(order_ref),
            s::product_id.eq(product_id),
            s::user_id.eq(user_id),
            s::answer_enc.eq(answer_enc),
            s::created_at.eq(now),
        ))
        .on_conflict((s::order_ref, s::product_id))
        .do_update()
        .set((s::answer_enc.eq(answer_enc), s::created_at.eq(now)))
        .execute(c)?);
    Ok(())
}

/// The stored (encrypted) answer.
pub fn load_snk_answer(
    conn: &mut DbConnection,
    order_ref: &str,
    product_id: i64,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(s::table
        .filter(s::order_ref.eq(order_ref))
        .filter(s::product_id.eq(product_id))
        .select(s::answer_enc)
        .first(conn)
        .optional()?)
}

/// Deletes answers older than `retention_days`. Returns how many.
pub fn purge_snk_answers(
    conn: &mut DbConnection,
    retention_days: u32,
) -> Result<usize, StoreError> {
    let cutoff = now_ms() - i64::from(retention_days) * 86_400_000;
    Ok(diesel::delete(s::table.filter(s::created_at.lt(cutoff))).execute(conn)?)
}
