//! Handling claimed chats: each chat's updates in `update_id` order, one at a time; each update
//! as one transaction (admission, the handler's state change, its jobs, its replies into the
//! outbox, the update marked handled — all or nothing).
//!
//! A failure that is the environment's (database unavailable, payment actor restarting) defers
//! the chat for a while and gives the attempt back; a handler that crashes the process leaves
//! its update's attempt counted, and an update that crashed [`MAX_ATTEMPTS`] times is given up
//! with an apology to the customer, so one poisonous update can never wedge its chat or
//! crash-loop the bot. Telegram being busy never fails an update: sending is the outbox's job.

use std::sync::Arc;
use std::time::{Duration, Instant};

use autoorder_schema::queries::outbox::{NewOutbox, OutboxLane, insert_outbox};
use autoorder_schema::queries::updates::{
    ClaimedChat, StoredUpdate, defer_chat, fail_update, finish_update,
};
use autoorder_schema::{StoreError, now_ms, write_tx};

use super::context::{Tx, Who};
use super::route::{self, Prepared};
use super::texts;
use crate::blocking::with_conn;
use crate::log_targets::BOT;
use crate::metrics::OutcomeLabels;
use crate::send::Effect;
use crate::services::Services;

/// How long a chat claim holds before another worker may take the chat (a crashed worker's
/// claims run out after this); renewed while its updates are handled.
pub const LOCK_MS: i64 = 15_000;
/// Updates of one chat taken per claim.
pub const PER_CHAT: usize = 20;
/// Crashes of one update's handler before it is given up.
pub const MAX_ATTEMPTS: i32 = 3;
/// How long an answer to a button press may wait to be sent (Telegram refuses older ones).
const ANSWER_TTL_MS: i64 = 30_000;

/// Why preparing or committing one update failed.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("payment actor: {0}")]
    Payment(String),
}

impl HandleError {
    /// Whether the failure is the environment's rather than the update's: the attempt is
    /// given back and the chat retried after a pause.
    fn is_transient(&self) -> bool {
        match self {
            HandleError::Store(e) => e.is_unavailable(),
            HandleError::Payment(_) => true,
        }
    }
}

/// Why a commit did not happen.
#[derive(Debug, thiserror::Error)]
enum CommitError {
    #[error("the chat claim was lost or the update was already handled")]
    Lost,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for CommitError {
    fn from(e: diesel::result::Error) -> CommitError {
        CommitError::Store(e.into())
    }
}

/// What handling one chat's claimed updates came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatOutcome {
    /// Every claimed update handled; the claim was released with the last commit.
    Done,
    /// Stopped early (deferred after a failure, or the claim was lost).
    Stopped,
}

/// Handles one claimed chat. `worker` is this dispatcher's claim owner.
pub async fn handle_chat(services: Services, worker: Arc<str>, chat: ClaimedChat) -> ChatOutcome {
    let count = chat.updates.len();
    if count == 0 {
        let (w, id) = (worker.to_string(), chat.chat_id);
        if let Err(e) = with_conn(&services.pool, move |c| {
            autoorder_schema::queries::updates::release_chat(c, &w, id)
        })
        .await
        {
            log::warn!(target: BOT, "releasing chat {}: {e}", chat.chat_id);
        }
        return ChatOutcome::Done;
    }
    for (i, update) in chat.updates.into_iter().enumerate() {
        if i > 0 && services.state.is_shutting_down() {
            // Stopping: the rest waits for the next start (or another replica).
            let (w, id) = (worker.to_string(), chat.chat_id);
            let _ = with_conn(&services.pool, move |c| {
                autoorder_schema::queries::updates::release_chat(c, &w, id)
            })
            .await;
            return ChatOutcome::Stopped;
        }
        let last = i + 1 == count;
        let started = Instant::now();
        services.metrics.updates_in_flight.inc();
        let outcome = handle_one(&services, &worker, chat.chat_id, update, last).await;
        services.metrics.updates_in_flight.dec();
        services
            .metrics
            .handler_seconds
            .observe(started.elapsed().as_secs_f64());
        if outcome.is_err() {
            return ChatOutcome::Stopped;
        }
    }
    ChatOutcome::Done
}

async fn handle_one(
    services: &Services,
    worker: &Arc<str>,
    chat_id: i64,
    update: StoredUpdate,
    release: bool,
) -> Result<(), ()> {
    let update_id = update.update_id;
    if update.attempts > MAX_ATTEMPTS {
        return give_up(services, worker, chat_id, &update, release).await;
    }
    let prepared = match route::prepare(services, update_id, &update.payload).await {
        Ok(p) => p,
        Err(e) => {
            defer(
                services,
                worker,
                chat_id,
                update_id,
                &e.to_string(),
                e.is_transient(),
                update.attempts,
            )
            .await;
            return Err(());
        }
    };
    match commit(services, worker, chat_id, update_id, prepared, release).await {
        Ok(wake_queue) => {
            count(services, "done");
            services.wake_outbox();
            if wake_queue {
                services.wake_queue();
            }
            Ok(())
        }
        Err(CommitError::Lost) => {
            log::warn!(target: BOT, "update {update_id}: chat {chat_id} was taken over or the update already handled; not applied again");
            count(services, "lost");
            Err(())
        }
        Err(CommitError::Store(e)) => {
            let transient = e.is_unavailable();
            defer(
                services,
                worker,
                chat_id,
                update_id,
                &e.to_string(),
                transient,
                update.attempts,
            )
            .await;
            Err(())
        }
    }
}

fn count(services: &Services, outcome: &'static str) {
    services
        .metrics
        .updates_processed
        .get_or_create(&OutcomeLabels { outcome })
        .inc();
}

/// Runs the prepared apply in one write transaction with the claim check, the outbox rows and
/// the update's "handled" mark. Returns whether jobs were enqueued.
async fn commit(
    services: &Services,
    worker: &Arc<str>,
    chat_id: i64,
    update_id: i64,
    prepared: Prepared,
    release: bool,
) -> Result<bool, CommitError> {
    let services2 = services.clone();
    let worker = worker.clone();
    let reply_ttl = services.settings.reply_ttl.as_millis() as i64;
    let notify = !services.state.is_sender();
    let committed = with_conn(&services.pool, move |c| {
        Ok(write_tx(c, |c| {
            if !finish_update(c, &worker, chat_id, update_id, LOCK_MS, release)? {
                return Err(CommitError::Lost);
            }
            let Prepared {
                who,
                query_id,
                apply,
            } = prepared;
            let Some(who) = who else {
                return Ok(false);
            };
            let reply_chat = who.chat.0;
            let mut tx = Tx::new(c, services2, who, update_id);
            apply(&mut tx)?;
            let (effects, toast, jobs) = tx.finish();
            let now = now_ms();
            let mut rows: Vec<NewOutbox> = Vec::with_capacity(effects.len() + 1);
            if let Some(query_id) = query_id {
                let toast = toast.unwrap_or_default();
                rows.push(NewOutbox {
                    chat_id: reply_chat,
                    lane: OutboxLane::Answer,
                    payload: Effect::Answer {
                        query_id,
                        text: toast.text,
                        alert: toast.alert,
                    }
                    .to_json(),
                    update_id: Some(update_id),
                    expires_at: now + ANSWER_TTL_MS,
                });
            }
            for (lane, effect) in effects {
                rows.push(NewOutbox {
                    chat_id: reply_chat,
                    lane,
                    payload: effect.to_json(),
                    update_id: Some(update_id),
                    expires_at: now + reply_ttl,
                });
            }
            insert_outbox(c, &rows, notify)?;
            Ok(jobs)
        }))
    })
    .await;
    committed.unwrap_or_else(|e| Err(CommitError::Store(e)))
}

/// Defers the chat after a failure: a pause that grows with the update's attempts.
async fn defer(
    services: &Services,
    worker: &Arc<str>,
    chat_id: i64,
    update_id: i64,
    error: &str,
    transient: bool,
    attempts: i32,
) {
    let cooldown = (1_000i64 << attempts.clamp(1, 6).saturating_sub(1)).min(60_000);
    count(services, "retry");
    log::warn!(target: BOT, "update {update_id} (chat {chat_id}) failed, retried in {cooldown} ms: {error}");
    let (w, e) = (worker.to_string(), error.to_string());
    if let Err(err) = with_conn(&services.pool, move |c| {
        defer_chat(c, &w, chat_id, update_id, &e, cooldown, transient)
    })
    .await
    {
        // The claim runs out on its own; the update is retried then.
        log::warn!(target: BOT, "deferring chat {chat_id}: {err}");
    }
}

/// Gives up an update whose handler crashed repeatedly: marked failed, the customer told
/// once, the chat moves on.
async fn give_up(
    services: &Services,
    worker: &Arc<str>,
    chat_id: i64,
    update: &StoredUpdate,
    release: bool,
) -> Result<(), ()> {
    let update_id = update.update_id;
    log::error!(target: BOT, "update {update_id} (chat {chat_id}) crashed its handler {} times; given up", update.attempts - 1);
    let worker = worker.clone();
    let reply_ttl = services.settings.reply_ttl.as_millis() as i64;
    let tell = Who {
        user_id: chat_id,
        chat: teloxide_core::types::ChatId(chat_id),
        first_name: String::new(),
        origin: None,
    };
    let result = with_conn(&services.pool, move |c| {
        write_tx(c, |c| {
            // The claim check of finish_update, then the update marked failed instead of done.
            let held = autoorder_schema::queries::updates::renew_chat_claims(
                c,
                &worker,
                &[chat_id],
                LOCK_MS,
            )?;
            if held != 1 || !fail_update(c, update_id, "handler crashed repeatedly")? {
                return Ok(false);
            }
            if release {
                autoorder_schema::queries::updates::release_chat(c, &worker, chat_id)?;
            }
            if tell.user_id != 0 {
                insert_outbox(
                    c,
                    &[NewOutbox {
                        chat_id,
                        lane: OutboxLane::Reply,
                        payload: Effect::Text {
                            text: texts::UPDATE_GIVEN_UP.to_string(),
                            markup: None,
                            html: false,
                            on_sent: None,
                        }
                        .to_json(),
                        update_id: Some(update_id),
                        expires_at: now_ms() + reply_ttl,
                    }],
                    true,
                )?;
            }
            Ok(true)
        })
    })
    .await;
    match result {
        Ok(true) => {
            count(services, "failed");
            services.wake_outbox();
            Ok(())
        }
        Ok(false) => Err(()),
        Err(e) => {
            log::warn!(target: BOT, "giving up update {update_id}: {e}");
            Err(())
        }
    }
}

/// How often the claims of chats being handled are renewed.
pub const RENEW_EVERY: Duration = Duration::from_millis(LOCK_MS as u64 / 3);
