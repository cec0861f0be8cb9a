//! Small durable key/value state: the polling offset, counters that must survive restarts,
//! when a credential was first seen.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms};
use crate::error::StoreError;
use crate::tables::settings as s;

/// Reads a setting.
pub fn get_setting(conn: &mut DbConnection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(s::table.find(key).select(s::value).first(conn).optional()?)
}

/// Writes a setting, replacing any earlier value.
pub fn set_setting(conn: &mut DbConnection, key: &str, value: &str) -> Result<(), StoreError> {
    let now = now_ms();
    crate::on_backend!(conn, c => diesel::insert_into(s::table)
        .values((s::key.eq(key), s::value.eq(value), s::updated_at.eq(now)))
        .on_conflict(s::key)
        .do_update()
        .set((s::value.eq(value), s::updated_at.eq(now)))
        .execute(c)?);
    Ok(())
}
