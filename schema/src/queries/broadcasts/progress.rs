//! What a live progress message shows: counts by recipient status, how many recipients were
//! finished in the last [`RATE_WINDOW_MS`] (the rate and so the ETA), and where the seller's
//! progress message is, with a throttle so it is edited at most every few seconds.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::StoreError;
use crate::tables::{broadcast_recipients as r, broadcasts as b};

/// The window the sending rate is measured over: long enough to smooth the limiter's bursts,
/// short enough that a pause or a 429 shows in the ETA within half a minute.
pub const RATE_WINDOW_MS: i64 = 30_000;

/// Progress of a broadcast.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    pub id: i64,
    pub state: String,
    pub total: i64,
    pub sent: i64,
    pub failed: i64,
    pub blocked: i64,
    pub pending: i64,
    pub cancelled: i64,
    /// When the broadcast was created (epoch ms).
    pub created_at: i64,
    /// Recipients finished (sent, failed or blocked) within [`RATE_WINDOW_MS`] before `at`.
    pub recent_finished: i64,
    /// When these figures were read (epoch ms).
    pub at: i64,
}

/// Counts recipients by status, as of now.
pub fn broadcast_progress(
    conn: &mut DbConnection,
    id: i64,
) -> Result<Option<Progress>, StoreError> {
    broadcast_progress_at(conn, id, crate::db::now_ms())
}

/// Counts recipients by status, with the recent-rate figure measured back from `at`.
pub fn broadcast_progress_at(
    conn: &mut DbConnection,
    id: i64,
    at: i64,
) -> Result<Option<Progress>, StoreError> {
    let Some((state, created_at)) = b::table
        .find(id)
        .select((b::state, b::created_at))
        .first::<(String, i64)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let rows: Vec<(String, i64)> = r::table
        .filter(r::broadcast_id.eq(id))
        .group_by(r::status)
        .select((r::status, diesel::dsl::count_star()))
        .load(conn)?;
    let recent_finished: i64 = r::table
        .filter(r::broadcast_id.eq(id))
        .filter(r::updated_at.gt(at - RATE_WINDOW_MS))
        .filter(r::status.eq_any(["sent", "failed", "blocked"]))
        .count()
        .get_result(conn)?;
    let mut p = Progress {
        id,
        state,
        created_at,
        recent_finished,
        at,
        ..Progress::default()
    };
    for (status, n) in rows {
        p.total += n;
        match status.as_str() {
            "sent" => p.sent = n,
            "failed" => p.failed = n,
            "blocked" => p.blocked = n,
            "pending" => p.pending = n,
            "cancelled" => p.cancelled = n,
            _ => {}
        }
    }
    Ok(Some(p))
}

/// Remembers the seller's progress message of a broadcast (one per broadcast; a new one
/// replaces the old, e.g. when the seller opens the progress screen again).
pub fn set_progress_message(
    conn: &mut DbConnection,
    id: i64,
    chat_id: i64,
    message_id: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(b::table.find(id))
        .set((
            b::progress_chat_id.eq(chat_id),
            b::progress_message_id.eq(message_id),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// The seller's progress message of a broadcast: (chat id, message id).
pub fn progress_message(
    conn: &mut DbConnection,
    id: i64,
) -> Result<Option<(i64, i64)>, StoreError> {
    let row: Option<(Option<i64>, Option<i64>)> = b::table
        .find(id)
        .select((b::progress_chat_id, b::progress_message_id))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((Some(chat), Some(message))) => Some((chat, message)),
        _ => None,
    })
}

/// Claims the right to edit the progress message now: true at most once per
/// `min_interval_ms` (a guarded update, so two workers or replicas never both edit).
pub fn claim_progress_edit(
    conn: &mut DbConnection,
    id: i64,
    now: i64,
    min_interval_ms: i64,
) -> Result<bool, StoreError> {
    let n = diesel::update(
        b::table
            .find(id)
            .filter(b::progress_message_id.is_not_null())
            .filter(
                b::progress_edited_at
                    .is_null()
                    .or(b::progress_edited_at.le(now - min_interval_ms)),
            ),
    )
    .set(b::progress_edited_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}
