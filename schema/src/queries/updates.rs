//! The durable intake of Telegram updates and the per-chat claims that order their handling.
//!
//! An update is stored here before the webhook answers 200 (or before polling advances its
//! offset). `update_id` is the primary key, so Telegram's re-deliveries are stored once.
//!
//! Handling is ordered **per chat** and concurrent **across chats**: a worker claims whole
//! chats ([`claim_chats`]), handles each chat's pending updates in `update_id` order, and marks
//! each one handled inside the handler's own transaction ([`finish_update`]), which also checks
//! that the claim is still this worker's — so an update is applied exactly once even when a
//! slow worker's claim ran out and another replica took the chat over. Claims are rows of
//! `chat_claims`, taken with `FOR UPDATE SKIP LOCKED` on PostgreSQL (replicas never wait on
//! each other) and inside SQLite's single writer otherwise, renewed while a handler runs, and
//! handed out round-robin (`claimed_at`) so no chat starves.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::tables::chat_claims as cc;
use crate::tables::inbound_updates as iu;

/// PostgreSQL channel a stored update notifies, so every replica's dispatcher wakes.
pub const NOTIFY_CHANNEL: &str = "autoorder_updates";

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

/// The life of a stored update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateStatus {
    /// Waiting to be handled (or being handled under a claim).
    Pending,
    /// Handled: its effects are committed.
    Done,
    /// Given up after repeated crashes of its handler.
    Failed,
}

impl UpdateStatus {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateStatus::Pending => "pending",
            UpdateStatus::Done => "done",
            UpdateStatus::Failed => "failed",
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
    /// Claims of this update so far, this one included. Only the first pending update of a
    /// chat is counted per claim (it is the one handled first), so a handler that crashes the
    /// process on one update is recognised without blaming the updates queued behind it.
    pub attempts: i32,
}

/// A chat this worker now holds, with its pending updates in order.
#[derive(Debug, Clone)]
pub struct ClaimedChat {
    pub chat_id: i64,
    pub updates: Vec<StoredUpdate>,
}

/// The chat key of an update: its chat, or 0 for the few kinds that have none.
fn chat_key(chat_id: Option<i64>) -> i64 {
    chat_id.unwrap_or(0)
}

/// Stores an update unless one with the same `update_id` exists, and makes sure its chat has
/// a claim row. Returns true when it was new.
pub fn store_update(
    conn: &mut DbConnection,
    update_id: i64,
    chat_id: Option<i64>,
    payload: &str,
    source: UpdateSource,
) -> Result<bool, StoreError> {
    let chat = chat_key(chat_id);
    write_tx(conn, |conn| {
        let row = (
            iu::update_id.eq(update_id),
            iu::chat_id.eq(Some(chat)),
            iu::payload.eq(payload),
            iu::source.eq(source.as_str()),
            iu::status.eq(UpdateStatus::Pending.as_str()),
            iu::attempts.eq(0),
            iu::received_at.eq(now_ms()),
        );
        let inserted = crate::on_backend!(conn, c => diesel::insert_into(iu::table)
            .values(row)
            .on_conflict(iu::update_id)
            .do_nothing()
            .execute(c)?);
        if inserted == 1 {
            crate::on_backend!(conn, c => diesel::insert_into(cc::table)
                .values(cc::chat_id.eq(chat))
                .on_conflict(cc::chat_id)
                .do_nothing()
                .execute(c)?);
            if let DbConnection::Pg(c) = conn {
                diesel::sql_query(format!("NOTIFY {NOTIFY_CHANNEL}")).execute(c)?;
            }
        }
        Ok(inserted == 1)
    })
}

/// Claims up to `max_chats` chats that have pending updates and no live claim, for `lock_ms`,
/// least recently claimed first, and returns each with its pending updates in `update_id`
/// order (at most `per_chat` each; the rest come with the next claim).
pub fn claim_chats(
    conn: &mut DbConnection,
    worker: &str,
    max_chats: i64,
    lock_ms: i64,
    per_chat: usize,
) -> Result<Vec<ClaimedChat>, StoreError> {
    if max_chats <= 0 {
        return Ok(Vec::new());
    }
    write_tx(conn, |conn| {
        let now = now_ms();
        let pending = iu::table
            .filter(iu::status.eq(UpdateStatus::Pending.as_str()))
            .select(iu::chat_id.assume_not_null());
        let free = cc::table
            .filter(cc::locked_until.le(now))
            .filter(cc::chat_id.eq_any(pending))
            .order((cc::claimed_at.asc(), cc::chat_id.asc()))
            .select(cc::chat_id)
            .limit(max_chats);
        // PostgreSQL replicas skip chats another replica is claiming instead of waiting;
        // SQLite's IMMEDIATE transaction already holds the only write lock.
        let chats: Vec<i64> = match conn {
            DbConnection::Pg(c) => free.for_update().skip_locked().load(c)?,
            DbConnection::Sqlite(c) => free.load(c)?,
        };
        if chats.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(cc::table.filter(cc::chat_id.eq_any(&chats)))
            .set((
                cc::worker.eq(worker),
                cc::locked_until.eq(now + lock_ms),
                cc::claimed_at.eq(now),
            ))
            .execute(conn)?;
        let rows: Vec<StoredUpdate> = iu::table
            .filter(iu::status.eq(UpdateStatus::Pending.as_str()))
            .filter(iu::chat_id.eq_any(&chats))
            .order((iu::chat_id.asc(), iu::update_id.asc()))
            .select(StoredUpdate::as_select())
            .load(conn)?;
        let mut by_chat: HashMap<i64, Vec<StoredUpdate>> = HashMap::new();
        for row in rows {
            let list = by_chat.entry(chat_key(row.chat_id)).or_default();
            if list.len() < per_chat {
                list.push(row);
            }
        }
        let firsts: Vec<i64> = by_chat
            .values()
            .filter_map(|l| l.first().map(|u| u.update_id))
            .collect();
        diesel::update(iu::table.filter(iu::update_id.eq_any(&firsts)))
            .set(iu::attempts.eq(iu::attempts + 1))
            .execute(conn)?;
        let mut claimed = Vec::with_capacity(chats.len());
        for chat_id in chats {
            let mut updates = by_chat.remove(&chat_id).unwrap_or_default();
            if let Some(first) = updates.first_mut() {
                first.attempts += 1;
            }
            claimed.push(ClaimedChat { chat_id, updates });
        }
        Ok(claimed)
    })
}

/// Inside the transaction that applies an update's effects: checks that `worker` still holds
/// the chat (renewing it, or releasing it when `release`) and marks the update handled.
/// Returns false — and the caller must roll back — when the claim was lost or the update was
/// already handled, so effects are never applied twice.
pub fn finish_update(
    conn: &mut DbConnection,
    worker: &str,
    chat_id: i64,
    update_id: i64,
    lock_ms: i64,
    release: bool,
) -> Result<bool, StoreError> {
    let now = now_ms();
    let done = (
        iu::status.eq(UpdateStatus::Done.as_str()),
        iu::processed_at.eq(now),
        iu::last_error.eq(None::<String>),
    );
    let pending = iu::table
        .filter(iu::update_id.eq(update_id))
        .filter(iu::status.eq(UpdateStatus::Pending.as_str()));
    let marked = if release {
        let held = diesel::update(
            cc::table
                .filter(cc::chat_id.eq(chat_id))
                .filter(cc::worker.eq(worker)),
        )
        .set((cc::worker.eq(""), cc::locked_until.eq(0)))
        .execute(conn)?;
        if held != 1 {
            return Ok(false);
        }
        diesel::update(pending).set(done).execute(conn)?
    } else {
        // One statement: the update's row lock is what serialises two workers racing for it
        // (the loser re-reads `status` and changes nothing); the claim check keeps a worker
        // whose claim ran out from applying anything at all. The dispatcher renews claims
        // meanwhile (`renew_chat_claims`), so `lock_ms` is not needed here.
        let _ = lock_ms;
        let held = diesel::dsl::exists(
            cc::table
                .filter(cc::chat_id.eq(chat_id))
                .filter(cc::worker.eq(worker))
                .filter(cc::locked_until.gt(now)),
        );
        diesel::update(pending.filter(held))
            .set(done)
            .execute(conn)?
    };
    Ok(marked == 1)
}

/// Gives an update up for good (its handler crashed the worker repeatedly), in the caller's
/// transaction; the claim check is the caller's [`finish_update`]-like guard.
pub fn fail_update(
    conn: &mut DbConnection,
    update_id: i64,
    error: &str,
) -> Result<bool, StoreError> {
    let error: String = error.chars().take(1000).collect();
    Ok(diesel::update(
        iu::table
            .filter(iu::update_id.eq(update_id))
            .filter(iu::status.eq(UpdateStatus::Pending.as_str())),
    )
    .set((
        iu::status.eq(UpdateStatus::Failed.as_str()),
        iu::last_error.eq(error),
        iu::processed_at.eq(now_ms()),
    ))
    .execute(conn)?
        == 1)
}

/// Records why handling failed and releases the chat for `cooldown_ms` (nobody claims it
/// meanwhile, so its updates stay in order). With `give_back`, the attempt the claim counted
/// is returned: the failure was the environment's (database or gateway unavailable), not the
/// update's.
pub fn defer_chat(
    conn: &mut DbConnection,
    worker: &str,
    chat_id: i64,
    update_id: i64,
    error: &str,
    cooldown_ms: i64,
    give_back: bool,
) -> Result<(), StoreError> {
    let error: String = error.chars().take(1000).collect();
    write_tx(conn, |conn| {
        let held = diesel::update(
            cc::table
                .filter(cc::chat_id.eq(chat_id))
                .filter(cc::worker.eq(worker)),
        )
        .set((
            cc::worker.eq(""),
            cc::locked_until.eq(now_ms() + cooldown_ms.max(0)),
        ))
        .execute(conn)?;
        if held != 1 {
            // Not ours any more: whoever holds the chat now decides.
            return Ok(());
        }
        let target = iu::table
            .filter(iu::update_id.eq(update_id))
            .filter(iu::status.eq(UpdateStatus::Pending.as_str()));
        if give_back {
            diesel::update(target)
                .set((iu::last_error.eq(error), iu::attempts.eq(iu::attempts - 1)))
                .execute(conn)?;
        } else {
            diesel::update(target)
                .set(iu::last_error.eq(error))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Releases a chat this worker holds (nothing left to do, or shutting down).
pub fn release_chat(conn: &mut DbConnection, worker: &str, chat_id: i64) -> Result<(), StoreError> {
    diesel::update(
        cc::table
            .filter(cc::chat_id.eq(chat_id))
            .filter(cc::worker.eq(worker)),
    )
    .set((cc::worker.eq(""), cc::locked_until.eq(0)))
    .execute(conn)?;
    Ok(())
}

/// Pushes the claims this worker holds on `chats` further out, so a slow handler (a gateway
/// call) never has its chat taken over by another replica. Returns how many were renewed.
pub fn renew_chat_claims(
    conn: &mut DbConnection,
    worker: &str,
    chats: &[i64],
    lock_ms: i64,
) -> Result<usize, StoreError> {
    if chats.is_empty() {
        return Ok(0);
    }
    Ok(diesel::update(
        cc::table
            .filter(cc::chat_id.eq_any(chats))
            .filter(cc::worker.eq(worker)),
    )
    .set(cc::locked_until.eq(now_ms() + lock_ms))
    .execute(conn)?)
}

/// Releases every claim held by a dispatcher of this process (`<instance>/<nonce>` workers):
/// called when a restarted dispatcher starts, since its predecessors' claims are known dead.
pub fn release_worker_claims(conn: &mut DbConnection, instance: &str) -> Result<usize, StoreError> {
    let pattern = format!("{}/%", instance.replace('%', "\\%").replace('_', "\\_"));
    Ok(
        diesel::update(cc::table.filter(cc::worker.like(pattern).escape('\\')))
            .set((cc::worker.eq(""), cc::locked_until.eq(0)))
            .execute(conn)?,
    )
}

/// Releases every claim. Only safe when no other worker can be running, which is the case for
/// a single-instance SQLite store at boot: claims found then belong to a process that died.
pub fn release_all_update_claims(conn: &mut DbConnection) -> Result<usize, StoreError> {
    Ok(
        diesel::update(cc::table.filter(cc::locked_until.gt(0).or(cc::worker.ne(""))))
            .set((cc::worker.eq(""), cc::locked_until.eq(0)))
            .execute(conn)?,
    )
}

/// Counts by status, for metrics: (pending, done, failed).
pub fn update_counts(conn: &mut DbConnection) -> Result<(i64, i64, i64), StoreError> {
    let rows: Vec<(String, i64)> = iu::table
        .group_by(iu::status)
        .select((iu::status, diesel::dsl::count_star()))
        .load(conn)?;
    let get = |s: UpdateStatus| {
        rows.iter()
            .find(|(k, _)| k == s.as_str())
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    Ok((
        get(UpdateStatus::Pending),
        get(UpdateStatus::Done),
        get(UpdateStatus::Failed),
    ))
}

/// Loads one stored update by id: (status, payload) (tests and diagnostics).
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

/// Deletes handled and failed updates received before `before_ms` (the intake only needs
/// them for de-duplication of Telegram's re-deliveries, which stop within a day).
pub fn purge_handled_updates(conn: &mut DbConnection, before_ms: i64) -> Result<usize, StoreError> {
    Ok(diesel::delete(
        iu::table
            .filter(iu::status.ne(UpdateStatus::Pending.as_str()))
            .filter(iu::received_at.lt(before_ms)),
    )
    .execute(conn)?)
}
