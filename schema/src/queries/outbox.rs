//! The reply outbox: what a handler decided to send, written in the handler's transaction and
//! sent after the commit.
//!
//! Rows are opaque JSON here (the actors crate owns the typed effects). The replica holding the
//! send lease claims rows with a lease ([`claim_outbox`]), sends each chat's rows in `id` order,
//! and deletes them once sent or given up ([`finish_outbox`]); a dead sender's leases run out and
//! the next leader claims the rows again. A send that fails is retried as a send — the handler
//! that produced it never runs again.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::tables::outbox as o;

/// PostgreSQL channel a commit that wrote outbox rows notifies, so the sending replica wakes.
pub const NOTIFY_CHANNEL: &str = "autoorder_outbox";

/// Which lane of the send pipeline a row takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutboxLane {
    /// An answer to a button press: not rate-limited, sent at once, outside the chat's order.
    Answer,
    /// A reply message (send, edit, delete, photo): first lane of the send budget.
    Reply,
}

impl OutboxLane {
    fn code(self) -> i16 {
        match self {
            OutboxLane::Answer => 0,
            OutboxLane::Reply => 1,
        }
    }

    fn from_code(code: i16) -> OutboxLane {
        if code == 0 {
            OutboxLane::Answer
        } else {
            OutboxLane::Reply
        }
    }

    /// The label used in metrics.
    pub fn label(self) -> &'static str {
        match self {
            OutboxLane::Answer => "answer",
            OutboxLane::Reply => "reply",
        }
    }
}

/// A row to write.
#[derive(Debug, Clone)]
pub struct NewOutbox {
    pub chat_id: i64,
    pub lane: OutboxLane,
    /// The serialized effect.
    pub payload: String,
    /// The update whose handler wrote it, if any.
    pub update_id: Option<i64>,
    /// Given up (with a log line and a metric) when still unsent at this time (epoch ms).
    pub expires_at: i64,
}

/// A claimed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub chat_id: i64,
    pub lane: OutboxLane,
    pub payload: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub expires_at: i64,
    pub created_at: i64,
}

/// Writes rows in the caller's transaction. With `notify` (the caller is not the sending
/// replica itself), PostgreSQL replicas are notified at commit.
pub fn insert_outbox(
    conn: &mut DbConnection,
    rows: &[NewOutbox],
    notify: bool,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let values: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                o::chat_id.eq(r.chat_id),
                o::lane.eq(r.lane.code()),
                o::payload.eq(&r.payload),
                o::update_id.eq(r.update_id),
                o::attempts.eq(0),
                o::next_attempt_at.eq(now),
                o::expires_at.eq(r.expires_at),
                o::created_at.eq(now),
            )
        })
        .collect();
    crate::on_backend!(conn, c => diesel::insert_into(o::table).values(&values).execute(c)?);
    if notify && let DbConnection::Pg(c) = conn {
        diesel::sql_query(format!("NOTIFY {NOTIFY_CHANNEL}")).execute(c)?;
    }
    Ok(())
}

/// A row as stored (the lane as its code).
#[derive(Queryable, Selectable)]
#[diesel(table_name = o)]
struct StoredRow {
    id: i64,
    chat_id: i64,
    lane: i16,
    payload: String,
    attempts: i32,
    next_attempt_at: i64,
    expires_at: i64,
    created_at: i64,
}

impl From<StoredRow> for OutboxRow {
    fn from(r: StoredRow) -> OutboxRow {
        OutboxRow {
            id: r.id,
            chat_id: r.chat_id,
            lane: OutboxLane::from_code(r.lane),
            payload: r.payload,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            expires_at: r.expires_at,
            created_at: r.created_at,
        }
    }
}

/// Claims up to `limit` unleased rows, lowest id first, leasing them to `worker` for
/// `lease_ms`. A chat's rows come in id order; rows of a chat already held stay held.
pub fn claim_outbox(
    conn: &mut DbConnection,
    worker: &str,
    limit: i64,
    lease_ms: i64,
) -> Result<Vec<OutboxRow>, StoreError> {
    write_tx(conn, |conn| {
        let now = now_ms();
        let free = o::table
            .filter(o::locked_until.is_null().or(o::locked_until.le(now)))
            .order(o::id.asc())
            .select(o::id)
            .limit(limit);
        let ids: Vec<i64> = match conn {
            DbConnection::Pg(c) => free.for_update().skip_locked().load(c)?,
            DbConnection::Sqlite(c) => free.load(c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(o::table.filter(o::id.eq_any(&ids)))
            .set((o::locked_by.eq(worker), o::locked_until.eq(now + lease_ms)))
            .execute(conn)?;
        let rows: Vec<StoredRow> = o::table
            .filter(o::id.eq_any(&ids))
            .order(o::id.asc())
            .select(StoredRow::as_select())
            .load(conn)?;
        Ok(rows.into_iter().map(OutboxRow::from).collect())
    })
}

/// Renews every lease `worker` holds.
pub fn renew_outbox(
    conn: &mut DbConnection,
    worker: &str,
    lease_ms: i64,
) -> Result<usize, StoreError> {
    Ok(diesel::update(o::table.filter(o::locked_by.eq(worker)))
        .set(o::locked_until.eq(now_ms() + lease_ms))
        .execute(conn)?)
}

/// Deletes rows that were sent or given up. Only rows this worker still leases are deleted;
/// returns how many.
pub fn finish_outbox(
    conn: &mut DbConnection,
    worker: &str,
    ids: &[i64],
) -> Result<usize, StoreError> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::delete(
        o::table
            .filter(o::id.eq_any(ids))
            .filter(o::locked_by.eq(worker)),
    )
    .execute(conn)?)
}

/// Records a failed attempt: tried again at `next_attempt_at` (the lease is kept).
pub fn reschedule_outbox(
    conn: &mut DbConnection,
    id: i64,
    attempts: i32,
    next_attempt_at: i64,
    error: &str,
) -> Result<(), StoreError> {
    let error: String = error.chars().take(500).collect();
    diesel::update(o::table.find(id))
        .set((
            o::attempts.eq(attempts),
            o::next_attempt_at.eq(next_attempt_at),
            o::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}

/// Lets go of every lease `worker` holds (it stops sending: no longer the leader, or
/// shutting down), so the next leader takes the rows at once.
pub fn release_outbox(conn: &mut DbConnection, worker: &str) -> Result<usize, StoreError> {
    Ok(diesel::update(o::table.filter(o::locked_by.eq(worker)))
        .set((
            o::locked_by.eq(None::<String>),
            o::locked_until.eq(None::<i64>),
        ))
        .execute(conn)?)
}

/// Rows waiting per lane, for metrics and health.
pub fn outbox_depth(conn: &mut DbConnection) -> Result<Vec<(OutboxLane, i64)>, StoreError> {
    let rows: Vec<(i16, i64)> = o::table
        .group_by(o::lane)
        .select((o::lane, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(lane, n)| (OutboxLane::from_code(lane), n))
        .collect())
}

/// The rows of one chat, oldest first (tests and diagnostics).
pub fn outbox_of_chat(conn: &mut DbConnection, chat_id: i64) -> Result<Vec<OutboxRow>, StoreError> {
    let rows: Vec<StoredRow> = o::table
        .filter(o::chat_id.eq(chat_id))
        .order(o::id.asc())
        .select(StoredRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(OutboxRow::from).collect())
}
