//! Broadcasts: one job per recipient, unique per broadcast + user, and a recipient row that
//! records what happened to each — so a crash never re-sends to someone recorded as sent.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::job_kinds::JobPayload;
use crate::queries::jobs::{NewJob, enqueue};
use crate::tables::{broadcast_recipients as r, broadcasts as b, jobs as j, users as u};

/// `run_at` given to the jobs of a paused broadcast so no worker claims them.
const PAUSED_RUN_AT: i64 = i64::MAX / 4;

/// State of a broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BroadcastState {
    Running,
    Paused,
    Cancelled,
    Done,
}

impl BroadcastState {
    /// Database text.
    pub fn as_str(self) -> &'static str {
        match self {
            BroadcastState::Running => "running",
            BroadcastState::Paused => "paused",
            BroadcastState::Cancelled => "cancelled",
            BroadcastState::Done => "done",
        }
    }

    fn parse(s: &str) -> Result<BroadcastState, StoreError> {
        Ok(match s {
            "running" => BroadcastState::Running,
            "paused" => BroadcastState::Paused,
            "cancelled" => BroadcastState::Cancelled,
            "done" => BroadcastState::Done,
            other => return Err(StoreError::Corrupt(format!("broadcast state {other}"))),
        })
    }
}

/// What happened to one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientStatus {
    Pending,
    Sent,
    Failed,
    Blocked,
    Cancelled,
}

impl RecipientStatus {
    fn as_str(self) -> &'static str {
        match self {
            RecipientStatus::Pending => "pending",
            RecipientStatus::Sent => "sent",
            RecipientStatus::Failed => "failed",
            RecipientStatus::Blocked => "blocked",
            RecipientStatus::Cancelled => "cancelled",
        }
    }
}

/// A photo for a broadcast, uploaded on the first send and reused by file id afterwards.
#[derive(Debug, Clone)]
pub struct BroadcastPhoto {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The job unique key of one recipient.
pub fn recipient_key(broadcast_id: i64, user_id: i64) -> String {
    format!("broadcast:{broadcast_id}:{user_id}")
}

fn key_prefix(broadcast_id: i64) -> String {
    format!("broadcast:{broadcast_id}:%")
}

/// Creates a broadcast to every reachable, non-blocked user: the broadcast row, a recipient
/// row and a job per user, in one transaction. Returns (id, recipients).
pub fn create_broadcast(
    conn: &mut DbConnection,
    text: &str,
    photo: Option<&BroadcastPhoto>,
    created_by: &str,
) -> Result<(i64, usize), StoreError> {
    write_tx(conn, |conn| {
        let now = now_ms();
        let id: i64 = diesel::insert_into(b::table)
            .values((
                b::text.eq(text),
                b::photo.eq(photo.map(|p| p.bytes.as_slice())),
                b::photo_name.eq(photo.map(|p| p.name.as_str())),
                b::state.eq("running"),
                b::created_by.eq(created_by),
                b::created_at.eq(now),
                b::updated_at.eq(now),
            ))
            .returning(b::id)
            .get_result(conn)?;
        let users: Vec<i64> = u::table
            .filter(u::unreachable_at.is_null())
            .filter(u::is_blocked.eq(false))
            .order(u::id.asc())
            .select(u::id)
            .load(conn)?;
        for chunk in users.chunks(200) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|uid| {
                    (
                        r::broadcast_id.eq(id),
                        r::user_id.eq(*uid),
                        r::status.eq("pending"),
                        r::updated_at.eq(now),
                    )
                })
                .collect();
            crate::on_backend!(conn, c => diesel::insert_into(r::table).values(&rows).execute(c)?);
        }
        for uid in &users {
            let job = NewJob::keyed(
                JobPayload::BroadcastSend {
                    broadcast_id: id,
                    user_id: *uid,
                },
                recipient_key(id, *uid),
            );
            enqueue(conn, &job)?;
        }
        if users.is_empty() {
            diesel::update(b::table.find(id))
                .set(b::state.eq("done"))
                .execute(conn)?;
        }
        Ok((id, users.len()))
    })
}

/// A broadcast's content and state.
#[derive(Debug, Clone, Queryable)]
pub struct BroadcastContent {
    pub id: i64,
    pub text: String,
    pub photo: Option<Vec<u8>>,
    pub photo_name: Option<String>,
    pub photo_file_id: Option<String>,
    pub state: String,
}

impl BroadcastContent {
    /// Typed state.
    pub fn state(&self) -> Result<BroadcastState, StoreError> {
        BroadcastState::parse(&self.state)
    }
}

/// Loads a broadcast.
pub fn load_broadcast(
    conn: &mut DbConnection,
    id: i64,
) -> Result<Option<BroadcastContent>, StoreError> {
    Ok(b::table
        .find(id)
        .select((
            b::id,
            b::text,
            b::photo,
            b::photo_name,
            b::photo_file_id,
            b::state,
        ))
        .first(conn)
        .optional()?)
}

/// Remembers the file id Telegram gave the uploaded photo, so later sends reuse it.
pub fn set_broadcast_photo_file_id(
    conn: &mut DbConnection,
    id: i64,
    file_id: &str,
) -> Result<(), StoreError> {
    diesel::update(b::table.find(id).filter(b::photo_file_id.is_null()))
        .set(b::photo_file_id.eq(file_id))
        .execute(conn)?;
    Ok(())
}

/// The recorded status of one recipient.
pub fn recipient_status(
    conn: &mut DbConnection,
    broadcast_id: i64,
    user_id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(r::table
        .find((broadcast_id, user_id))
        .select(r::status)
        .first(conn)
        .optional()?)
}

/// Records what happened to a recipient and, when nobody is pending any more, marks the
/// broadcast done.
pub fn record_recipient(
    conn: &mut DbConnection,
    broadcast_id: i64,
    user_id: i64,
    status: RecipientStatus,
) -> Result<(), StoreError> {
    let now = now_ms();
    diesel::update(r::table.find((broadcast_id, user_id)))
        .set((r::status.eq(status.as_str()), r::updated_at.eq(now)))
        .execute(conn)?;
    let pending: i64 = r::table
        .filter(r::broadcast_id.eq(broadcast_id))
        .filter(r::status.eq("pending"))
        .count()
        .get_result(conn)?;
    if pending == 0 {
        diesel::update(b::table.find(broadcast_id).filter(b::state.eq("running")))
            .set((b::state.eq("done"), b::updated_at.eq(now)))
            .execute(conn)?;
    }
    Ok(())
}

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
}

/// Counts recipients by status.
pub fn broadcast_progress(
    conn: &mut DbConnection,
    id: i64,
) -> Result<Option<Progress>, StoreError> {
    let Some(state) = b::table
        .find(id)
        .select(b::state)
        .first::<String>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let rows: Vec<(String, i64)> = r::table
        .filter(r::broadcast_id.eq(id))
        .group_by(r::status)
        .select((r::status, diesel::dsl::count_star()))
        .load(conn)?;
    let mut p = Progress {
        id,
        state,
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

/// The newest broadcast's id.
pub fn latest_broadcast_id(conn: &mut DbConnection) -> Result<Option<i64>, StoreError> {
    Ok(b::table.select(diesel::dsl::max(b::id)).first(conn)?)
}

/// Why a state change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("broadcast {0} does not exist")]
    NotFound(i64),
    #[error("broadcast {id} is {state}; cannot {action}")]
    NotAllowed {
        id: i64,
        state: String,
        action: &'static str,
    },
}

/// Pauses, resumes or cancels a broadcast. Pausing parks its waiting jobs (far-future
/// `run_at`), resuming makes them due now, cancelling cancels them and its pending recipients.
pub fn change_broadcast_state(
    conn: &mut DbConnection,
    id: i64,
    to: BroadcastState,
) -> Result<Result<(), TransitionError>, StoreError> {
    write_tx(conn, |conn| {
        let Some(current) = b::table
            .find(id)
            .select(b::state)
            .first::<String>(conn)
            .optional()?
        else {
            return Ok(Err(TransitionError::NotFound(id)));
        };
        let from = BroadcastState::parse(&current)?;
        let (action, allowed) = match to {
            BroadcastState::Paused => ("pause", from == BroadcastState::Running),
            BroadcastState::Running => ("resume", from == BroadcastState::Paused),
            BroadcastState::Cancelled => (
                "cancel",
                matches!(from, BroadcastState::Running | BroadcastState::Paused),
            ),
            BroadcastState::Done => ("finish", false),
        };
        if !allowed {
            return Ok(Err(TransitionError::NotAllowed {
                id,
                state: current,
                action,
            }));
        }
        let now = now_ms();
        let waiting = j::table
            .filter(j::unique_key.like(key_prefix(id)))
            .filter(j::state.eq("available"));
        match to {
            BroadcastState::Paused => {
                diesel::update(waiting)
                    .set(j::run_at.eq(PAUSED_RUN_AT))
                    .execute(conn)?;
            }
            BroadcastState::Running => {
                diesel::update(waiting)
                    .set(j::run_at.eq(now))
                    .execute(conn)?;
            }
            BroadcastState::Cancelled => {
                diesel::update(waiting)
                    .set((
                        j::state.eq("cancelled"),
                        j::last_error.eq("broadcast cancelled"),
                        j::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                diesel::update(
                    r::table
                        .filter(r::broadcast_id.eq(id))
                        .filter(r::status.eq("pending")),
                )
                .set((r::status.eq("cancelled"), r::updated_at.eq(now)))
                .execute(conn)?;
            }
            BroadcastState::Done => {}
        }
        diesel::update(b::table.find(id))
            .set((b::state.eq(to.as_str()), b::updated_at.eq(now)))
            .execute(conn)?;
        Ok(Ok(()))
    })
}
