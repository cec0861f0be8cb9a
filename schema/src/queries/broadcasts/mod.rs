//! Broadcasts: the one engine behind `autoorder broadcast` and the admin menu's *Broadcast*.
//!
//! Layout: this file creates broadcasts (content + audience → a broadcast row, a recipient row
//! and a job per recipient, in one transaction), loads them for the queue's `BroadcastSend`
//! job, records each recipient's outcome and steers the state (pause / resume / cancel);
//! [`audience`] resolves who it goes to; [`progress`] reads what a live progress message shows.
//!
//! One job per recipient, unique per broadcast + user, and a recipient row that records what
//! happened to each — so a crash never re-sends to someone recorded as sent. Every send goes
//! through the queue and so through the one send budget of the bot token.

mod audience;
mod progress;

pub use audience::{
    Audience, AudienceProblem, MAX_ACTIVE_DAYS, audience_members, buyers_of_code, count_audience,
};
pub use progress::{
    Progress, RATE_WINDOW_MS, broadcast_progress, broadcast_progress_at, claim_progress_edit,
    progress_message, set_progress_message,
};

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::job_kinds::JobPayload;
use crate::queries::jobs::{NewJob, enqueue};
use crate::tables::{broadcast_recipients as r, broadcasts as b, jobs as j};

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

    /// Reads the database text.
    pub fn parse(s: &str) -> Result<BroadcastState, StoreError> {
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
    /// Database text.
    pub fn as_str(self) -> &'static str {
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
#[derive(Clone)]
pub struct BroadcastPhoto {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for BroadcastPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BroadcastPhoto")
            .field("name", &self.name)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Where a broadcast photo comes from: a file read by the CLI (uploaded on the first send),
/// or a photo a seller sent the bot (already on Telegram, reused by its file id).
#[derive(Debug, Clone)]
pub enum PhotoSource {
    Upload(BroadcastPhoto),
    FileId(String),
}

/// What a broadcast sends.
#[derive(Debug, Clone)]
pub enum BroadcastBody {
    /// A text message.
    Text { text: String },
    /// A photo with a caption (may be empty).
    Photo { caption: String, photo: PhotoSource },
    /// Any message, copied with `copyMessage` (no "forwarded from" header): what a seller
    /// forwarded to the bot, so stickers, videos, albums' items and formatting all work.
    Copy { from_chat_id: i64, message_id: i64 },
}

/// A broadcast to create.
#[derive(Debug, Clone)]
pub struct NewBroadcast<'a> {
    pub body: &'a BroadcastBody,
    pub audience: Audience,
    /// Who asked for it: `cli`, or `admin:<telegram id>`.
    pub created_by: &'a str,
}

/// The job unique key of one recipient.
pub fn recipient_key(broadcast_id: i64, user_id: i64) -> String {
    format!("broadcast:{broadcast_id}:{user_id}")
}

fn key_prefix(broadcast_id: i64) -> String {
    format!("broadcast:{broadcast_id}:%")
}

/// Creates a text or photo broadcast to every reachable customer (the CLI's original form).
/// Returns (id, recipients).
pub fn create_broadcast(
    conn: &mut DbConnection,
    text: &str,
    photo: Option<&BroadcastPhoto>,
    created_by: &str,
) -> Result<(i64, usize), StoreError> {
    let body = match photo {
        None => BroadcastBody::Text { text: text.into() },
        Some(p) => BroadcastBody::Photo {
            caption: text.into(),
            photo: PhotoSource::Upload(p.clone()),
        },
    };
    let created = start_broadcast(
        conn,
        &NewBroadcast {
            body: &body,
            audience: Audience::All,
            created_by,
        },
    )?;
    // `Audience::All` names nothing that can be missing.
    created.map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Creates a broadcast: the broadcast row, a recipient row and a job per member of the
/// audience, in one transaction (nested as a savepoint inside a caller's transaction). A
/// broadcast with nobody to send to is created `done`. Returns (id, recipients).
pub fn start_broadcast(
    conn: &mut DbConnection,
    new: &NewBroadcast<'_>,
) -> Result<Result<(i64, usize), AudienceProblem>, StoreError> {
    write_tx(conn, |conn| {
        if let Err(problem) = new.audience.check(conn)? {
            return Ok(Err(problem));
        }
        let now = now_ms();
        let (text, upload, file_id, copy) = match new.body {
            BroadcastBody::Text { text } => (text.as_str(), None, None, None),
            BroadcastBody::Photo { caption, photo } => match photo {
                PhotoSource::Upload(p) => (caption.as_str(), Some(p), None, None),
                PhotoSource::FileId(id) => (caption.as_str(), None, Some(id.as_str()), None),
            },
            BroadcastBody::Copy {
                from_chat_id,
                message_id,
            } => ("", None, None, Some((*from_chat_id, *message_id))),
        };
        let id: i64 = diesel::insert_into(b::table)
            .values((
                b::text.eq(text),
                b::photo.eq(upload.map(|p| p.bytes.as_slice())),
                b::photo_name.eq(upload.map(|p| p.name.as_str())),
                b::photo_file_id.eq(file_id),
                b::copy_from_chat_id.eq(copy.map(|c| c.0)),
                b::copy_message_id.eq(copy.map(|c| c.1)),
                b::audience.eq(new.audience.to_json()),
                b::state.eq(BroadcastState::Running.as_str()),
                b::created_by.eq(new.created_by),
                b::created_at.eq(now),
                b::updated_at.eq(now),
            ))
            .returning(b::id)
            .get_result(conn)?;
        let users = audience_members(conn, new.audience, now)?;
        for chunk in users.chunks(200) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|uid| {
                    (
                        r::broadcast_id.eq(id),
                        r::user_id.eq(*uid),
                        r::status.eq(RecipientStatus::Pending.as_str()),
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
                .set(b::state.eq(BroadcastState::Done.as_str()))
                .execute(conn)?;
        }
        Ok(Ok((id, users.len())))
    })
}

/// A broadcast's content and state, as the queue's send job reads it.
#[derive(Debug, Clone, Queryable)]
pub struct BroadcastContent {
    pub id: i64,
    pub text: String,
    pub photo: Option<Vec<u8>>,
    pub photo_name: Option<String>,
    pub photo_file_id: Option<String>,
    pub state: String,
    pub copy_from_chat_id: Option<i64>,
    pub copy_message_id: Option<i64>,
}

impl BroadcastContent {
    /// Typed state.
    pub fn state(&self) -> Result<BroadcastState, StoreError> {
        BroadcastState::parse(&self.state)
    }

    /// The message to copy, for a "copy any message" broadcast: (from chat, message id).
    pub fn copy_of(&self) -> Option<(i64, i64)> {
        self.copy_from_chat_id.zip(self.copy_message_id)
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
            b::copy_from_chat_id,
            b::copy_message_id,
        ))
        .first(conn)
        .optional()?)
}

/// A broadcast's audience (the progress message names it).
pub fn broadcast_audience(
    conn: &mut DbConnection,
    id: i64,
) -> Result<Option<Audience>, StoreError> {
    let text: Option<String> = b::table
        .find(id)
        .select(b::audience)
        .first(conn)
        .optional()?;
    text.map(|t| Audience::from_json(&t)).transpose()
}

/// A line of the admin's broadcast list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BroadcastSummary {
    pub id: i64,
    pub state: BroadcastState,
    pub audience: Audience,
    pub kind: BodyKind,
    /// The text or caption, for a preview line (empty for copies).
    pub text: String,
    pub created_by: String,
    pub created_at: i64,
}

/// What kind of content a broadcast has, for lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Text,
    Photo,
    Copy,
}

/// The newest broadcasts, newest first.
pub fn recent_broadcasts(
    conn: &mut DbConnection,
    limit: i64,
    offset: i64,
) -> Result<Vec<BroadcastSummary>, StoreError> {
    type Row = (
        i64,
        String,
        String,
        String,
        bool,
        bool,
        Option<i64>,
        String,
        i64,
    );
    let rows: Vec<Row> = b::table
        .order(b::id.desc())
        .limit(limit)
        .offset(offset)
        .select((
            b::id,
            b::state,
            b::audience,
            b::text,
            b::photo.is_not_null(),
            b::photo_file_id.is_not_null(),
            b::copy_message_id,
            b::created_by,
            b::created_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(id, state, audience, text, photo, file_id, copy, created_by, created_at)| {
                let kind = match (copy, photo || file_id) {
                    (Some(_), _) => BodyKind::Copy,
                    (None, true) => BodyKind::Photo,
                    (None, false) => BodyKind::Text,
                };
                Ok(BroadcastSummary {
                    id,
                    state: BroadcastState::parse(&state)?,
                    audience: Audience::from_json(&audience)?,
                    kind,
                    text,
                    created_by,
                    created_at,
                })
            },
        )
        .collect()
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
