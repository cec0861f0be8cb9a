//! The durable intake of Telegram updates.
//!
//! An update is stored here before the webhook answers 200 (or before polling advances its
//! offset). `update_id` is the primary key, so Telegram's re-deliveries are stored once.
//! Workers claim pending updates with a short lock, so a crashed worker's claim expires and
//! another picks the update up.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::tables::inbound_updates as iu;

/// Where an update came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateSource {
    Webhook,
    Polling,
}

impl UpdateSource {
    fn as_str(self) -> &'static str {
        match self {
            UpdateSource::Webhook => "webhook",
            UpdateSource::Polling => "polling",
        }
    }
}

/// An update claimed for processing.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = iu)]
pub struct StoredUpdate {
    pub update_id: i64,
    pub chat_id: Option<i64>,
    pub payload: String,
    pub attempts: i32,
}

/// Stores an update unless one with the same `update_id` exists. Returns true when it was new.
pub fn store_update(
    conn: &mut DbConnection,
    update_id: i64,
    chat_id: Option<i64>,
    payload: &str,
    source: UpdateSource,
) -> Result<bool, StoreError> {
    let row = (
        iu::update_id.eq(update_id),
        iu::chat_id.eq(chat_id),
        iu::payload.eq(payload),
        iu::source.eq(source.as_str()),
        iu::status.eq("pending"),
        iu::attempts.eq(0),
        iu::received_at.eq(now_ms()),
    );
    let inserted = crate::on_backend!(conn, c => diesel::insert_into(iu::table)
        .values(row)
        .on_conflict(iu::update_id)
        .do_nothing()
        .execute(c)?);
    Ok(inserted == 1)
}

/// Claims up to `limit` pending updates, oldest `update_id` first, locking them for
/// `lock_ms` so no other worker takes them meanwhile. Each claim counts as an attempt.
pub fn claim_pending_updates(
    conn: &mut DbConnection,
    worker: &str,
    limit: i64,
    lock_ms: i64,
) -> Result<Vec<StoredUpdate>, StoreError> {
    write_tx(conn, |conn| {
        let now = now_ms();
        let claimable = iu::status
            .eq("pending")
            .and(iu::locked_until.is_null().or(iu::locked_until.le(now)));
        let due = iu::table
            .select(iu::update_id)
            .filter(claimable)
            .order(iu::update_id.asc())
            .limit(limit);
        // PostgreSQL replicas skip rows another replica is claiming instead of waiting;
        // SQLite's IMMEDIATE transaction already holds the only write lock.
        let ids: Vec<i64> = match conn {
            DbConnection::Pg(c) => due.for_update().skip_locked().load(c)?,
            DbConnection::Sqlite(c) => due.load(c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(iu::table.filter(iu::update_id.eq_any(&ids)))
            .set((
                iu::locked_by.eq(worker),
                iu::locked_until.eq(now + lock_ms),
                iu::attempts.eq(iu::attempts + 1),
            ))
            .execute(conn)?;
        let rows = iu::table
            .filter(iu::update_id.eq_any(&ids))
            .order(iu::update_id.asc())
            .select(StoredUpdate::as_select())
            .load(conn)?;
        Ok(rows)
    })
}

/// Marks an update handled. Only the worker holding the claim may do so.
pub fn mark_update_done(conn: &mut DbConnection, update_id: i64) -> Result<(), StoreError> {
    diesel::update(iu::table.find(update_id))
        .set((
            iu::status.eq("done"),
            iu::processed_at.eq(now_ms()),
            iu::locked_by.eq(None::<String>),
            iu::locked_until.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt. The update is retried after `retry_in_ms`, or marked `failed`
/// for good once it has had `max_attempts`, so one poisonous update cannot block the bot.
pub fn mark_update_failed(
    conn: &mut DbConnection,
    update_id: i64,
    error: &str,
    max_attempts: i32,
    retry_in_ms: i64,
) -> Result<bool, StoreError> {
    let now = now_ms();
    let attempts: i32 = iu::table.find(update_id).select(iu::attempts).first(conn)?;
    let give_up = attempts >= max_attempts;
    let error: String = error.chars().take(1000).collect();
    if give_up {
        diesel::update(iu::table.find(update_id))
            .set((
                iu::status.eq("failed"),
                iu::last_error.eq(error),
                iu::processed_at.eq(now),
                iu::locked_by.eq(None::<String>),
                iu::locked_until.eq(None::<i64>),
            ))
            .execute(conn)?;
    } else {
        diesel::update(iu::table.find(update_id))
            .set((
                iu::last_error.eq(error),
                iu::locked_by.eq(None::<String>),
                iu::locked_until.eq(now + retry_in_ms),
            ))
            .execute(conn)?;
    }
    Ok(give_up)
}

/// Counts by status, for metrics: (pending, done, failed).
pub fn update_counts(conn: &mut DbConnection) -> Result<(i64, i64, i64), StoreError> {
    let rows: Vec<(String, i64)> = iu::table
        .group_by(iu::status)
        .select((iu::status, diesel::dsl::count_star()))
        .load(conn)?;
    let get = |s: &str| {
        rows.iter()
            .find(|(k, _)| k == s)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    Ok((get("pending"), get("done"), get("failed")))
}

/// Loads one stored update by id (tests and diagnostics).
pub fn find_update(
    conn: &mut DbConnection,
    update_id: i64,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(iu::table
        .find(update_id)
        .select((iu::status, iu::payload))
        .first(conn)
        .optional()?)
}

/// Pushes the lock of updates this worker still holds further out, so a long batch is not
/// taken over by another worker while it is being handled.
pub fn extend_update_claims(
    conn: &mut DbConnection,
    worker: &str,
    ids: &[i64],
    lock_ms: i64,
) -> Result<usize, StoreError> {
    Ok(diesel::update(
        iu::table
            .filter(iu::update_id.eq_any(ids))
            .filter(iu::locked_by.eq(worker))
            .filter(iu::status.eq("pending")),
    )
    .set(iu::locked_until.eq(now_ms() + lock_ms))
    .execute(conn)?)
}

/// Releases every claim. Only safe when no other worker can be running, which is the case for
/// a single-instance SQLite store at boot: claims found then belong to a process that died.
pub fn release_all_update_claims(conn: &mut DbConnection) -> Result<usize, StoreError> {
    Ok(diesel::update(
        iu::table
            .filter(iu::status.eq("pending"))
            .filter(iu::locked_by.is_not_null()),
    )
    .set((
        iu::locked_by.eq(None::<String>),
        iu::locked_until.eq(None::<i64>),
    ))
    .execute(conn)?)
}
