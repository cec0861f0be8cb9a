//! The outbox loop: sends what handlers committed, on the replica holding the `queue-leader`
//! lease (so the budget is one for all replicas).
//!
//! Rows are claimed with a lease in id order and kept in memory per chat. A chat sends one row
//! at a time, in order (Telegram may reorder concurrent requests); different chats send
//! concurrently, as fast as the [`SendPipeline`](super::SendPipeline) lets them. Answers to
//! button presses skip the chat's order and the budget. After a send:
//! - sent → the row is deleted (in batches) and its [`OnSent`] hook recorded;
//! - 429 → the pipeline pauses every send for `retry_after`; the row stays at the head;
//! - network or server error → retried with backoff until its TTL, then dropped and counted;
//! - recipient unreachable (blocked the bot, deactivated) → the user is marked, the chat's rows
//!   are dropped;
//! - Telegram rejected the request itself → dropped with a log line.
//!
//! A row is sent at least once; a crash between the send and the delete sends it again (the
//! window is one batch, a few milliseconds).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::time::Instant;

use autoorder_schema::job_kinds::JobPayload;
use autoorder_schema::queries::jobs::{NewJob, enqueue};
use autoorder_schema::queries::outbox::{
    OutboxLane, OutboxRow, claim_outbox, finish_outbox, release_outbox, renew_outbox,
    reschedule_outbox,
};
use autoorder_schema::queries::shop::payments::{load_payment, set_invoice_message};
use autoorder_schema::queries::shop::status;
use autoorder_schema::queries::users::mark_unreachable;
use autoorder_schema::{DbConnection, StoreError, now_ms, write_tx};

use super::{Effect, Lane, OnSent, SendError, SendPipeline};
use crate::blocking::with_conn;
use crate::log_targets::QUEUE;
use crate::metrics::DropLabels;
use crate::services::Services;

/// How long a claimed row is ours before another leader may take it.
const LEASE_MS: i64 = 30_000;
/// Rows claimed per round.
const CLAIM_BATCH: i64 = 256;
/// Rows held in memory at most (a backlog beyond it waits in the table).
const MAX_HELD: usize = 4_096;
/// Calls in flight at once (Telegram far away needs many to use the budget).
const MAX_IN_FLIGHT: usize = 128;
/// Sent rows are deleted in batches of this many, or this often.
const FLUSH_BATCH: usize = 64;
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// Without a wake-up, the table is looked at this often.
const POLL_EVERY: Duration = Duration::from_millis(500);
/// The shortest time between two claims (a burst of commits is claimed in a few batches).
const CLAIM_GAP: Duration = Duration::from_millis(10);

/// A row in memory.
struct Held {
    row: OutboxRow,
    effect: Effect,
    /// Not before this (a retry's backoff), epoch ms.
    next_at: i64,
}

/// How a send ended, for one row.
struct Done {
    id: i64,
    chat_id: i64,
    hook: Option<(OnSent, i32)>,
}

type Flight = Pin<Box<dyn Future<Output = (Held, Result<super::Sent, SendError>)> + Send>>;

/// The loop's state. Lives while this replica is the sender.
struct Dispatcher {
    services: Services,
    pipeline: Arc<SendPipeline>,
    worker: String,
    /// Reply rows per chat, in id order; the head is the one being sent or due next.
    chats: HashMap<i64, VecDeque<Held>>,
    /// Chats with a send in flight.
    busy: HashSet<i64>,
    /// Chats whose head may be launched.
    ready: VecDeque<i64>,
    /// Chats waiting for a retry time, soonest first.
    timers: BinaryHeap<Reverse<(i64, i64)>>,
    /// Every row id held (so a re-claim after a lapsed lease never duplicates one).
    held_ids: HashSet<i64>,
    in_flight: FuturesUnordered<Flight>,
    done: Vec<Done>,
    reschedules: Vec<(i64, i32, i64, String)>,
    unreachable: Vec<i64>,
    last_flush: Instant,
}

/// Runs while `is_sender()` holds and the process is not stopping; then finishes the calls in
/// flight, records them and lets go of the rest.
pub async fn run(
    services: Services,
    pipeline: Arc<SendPipeline>,
    wake: Arc<tokio::sync::Notify>,
    is_sender: impl Fn() -> bool,
) {
    let worker = services.instance_id.to_string();
    let mut d = Dispatcher {
        services,
        pipeline,
        worker,
        chats: HashMap::new(),
        busy: HashSet::new(),
        ready: VecDeque::new(),
        timers: BinaryHeap::new(),
        held_ids: HashSet::new(),
        in_flight: FuturesUnordered::new(),
        done: Vec::new(),
        reschedules: Vec::new(),
        unreachable: Vec::new(),
        last_flush: Instant::now(),
    };
    let mut last_claim = Instant::now() - POLL_EVERY;
    let mut last_renew = Instant::now();
    let mut want_claim = true;
    loop {
        let sending = is_sender() && !d.services.state.is_shutting_down();
        if !sending {
            break;
        }
        // Claims are batched: at most one per CLAIM_GAP however often commits wake us.
        if ((want_claim && last_claim.elapsed() >= CLAIM_GAP) || last_claim.elapsed() >= POLL_EVERY)
            && d.held_ids.len() < MAX_HELD
        {
            want_claim = false;
            last_claim = Instant::now();
            d.claim().await;
        }
        if last_renew.elapsed() >= Duration::from_millis(LEASE_MS as u64 / 3) {
            last_renew = Instant::now();
            let w = d.worker.clone();
            if let Err(e) =
                with_conn(&d.services.pool, move |c| renew_outbox(c, &w, LEASE_MS)).await
            {
                log::warn!(target: QUEUE, "renewing outbox leases: {e}");
            }
        }
        d.fire_timers();
        d.launch();
        d.maybe_flush(false).await;
        let next_timer = d
            .timers
            .peek()
            .map(|Reverse((at, _))| Duration::from_millis((*at - now_ms()).max(0) as u64));
        let mut nap = POLL_EVERY.saturating_sub(last_claim.elapsed());
        if want_claim {
            nap = nap.min(CLAIM_GAP.saturating_sub(last_claim.elapsed()));
        }
        if let Some(t) = next_timer {
            nap = nap.min(t);
        }
        if !d.done.is_empty() {
            nap = nap.min(FLUSH_EVERY);
        }
        let nap = nap.max(Duration::from_millis(1));
        tokio::select! {
            Some((held, result)) = d.in_flight.next(), if !d.in_flight.is_empty() => {
                d.complete(held, result).await;
            }
            _ = wake.notified() => { want_claim = true; }
            _ = tokio::time::sleep(nap) => {}
        }
    }
    // Stop: let the calls in flight finish (bounded by the HTTP timeout), record, release.
    while let Some((held, result)) = d.in_flight.next().await {
        d.complete(held, result).await;
    }
    d.maybe_flush(true).await;
    let w = d.worker.clone();
    if let Err(e) = with_conn(&d.services.pool, move |c| release_outbox(c, &w)).await {
        log::warn!(target: QUEUE, "releasing outbox leases: {e}");
    }
}

impl Dispatcher {
    async fn claim(&mut self) {
        let (w, limit) = (
            self.worker.clone(),
            CLAIM_BATCH.min((MAX_HELD - self.held_ids.len()) as i64),
        );
        let rows = match with_conn(&self.services.pool, move |c| {
            claim_outbox(c, &w, limit, LEASE_MS)
        })
        .await
        {
            Ok(rows) => rows,
            Err(e) => {
                log::warn!(target: QUEUE, "claiming outbox rows: {e}");
                return;
            }
        };
        for row in rows {
            if !self.held_ids.insert(row.id) {
                continue;
            }
            let effect = match Effect::from_json(&row.payload) {
                Ok(e) => e,
                Err(e) => {
                    log::error!(target: QUEUE, "outbox row {} cannot be read ({e}); dropped", row.id);
                    self.drop_row(row.id, row.chat_id, "unreadable");
                    continue;
                }
            };
            let held = Held {
                next_at: row.next_attempt_at,
                row,
                effect,
            };
            if held.row.lane == OutboxLane::Answer {
                self.fly(held);
                continue;
            }
            let chat = held.row.chat_id;
            let queue = self.chats.entry(chat).or_default();
            queue.push_back(held);
            if queue.len() == 1 && !self.busy.contains(&chat) {
                self.ready.push_back(chat);
            }
        }
    }

    fn fly(&mut self, held: Held) {
        let pipeline = self.pipeline.clone();
        self.in_flight.push(Box::pin(async move {
            let result = pipeline
                .send(Lane::Reply, held.row.chat_id, &held.effect)
                .await;
            (held, result)
        }));
    }

    fn fire_timers(&mut self) {
        let now = now_ms();
        while let Some(Reverse((at, chat))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            if !self.busy.contains(&chat) && self.chats.get(&chat).is_some_and(|q| !q.is_empty()) {
                self.ready.push_back(chat);
            }
        }
    }

    fn launch(&mut self) {
        let now = now_ms();
        while self.in_flight.len() < MAX_IN_FLIGHT {
            let Some(chat) = self.ready.pop_front() else {
                break;
            };
            if self.busy.contains(&chat) {
                continue;
            }
            let Some(queue) = self.chats.get_mut(&chat) else {
                continue;
            };
            // Expired rows at the head are dropped, not sent.
            while queue.front().is_some_and(|h| h.row.expires_at <= now) {
                let Some(h) = queue.pop_front() else { break };
                log::warn!(target: QUEUE, "a reply to chat {chat} waited past its TTL and was dropped");
                self.services
                    .metrics
                    .outbox_dropped
                    .get_or_create(&DropLabels { reason: "expired" })
                    .inc();
                self.done.push(Done {
                    id: h.row.id,
                    chat_id: chat,
                    hook: None,
                });
            }
            let Some(head) = queue.front() else {
                self.chats.remove(&chat);
                continue;
            };
            if head.next_at > now {
                self.timers.push(Reverse((head.next_at, chat)));
                continue;
            }
            let Some(held) = queue.pop_front() else {
                continue;
            };
            self.busy.insert(chat);
            self.fly(held);
        }
    }

    fn drop_row(&mut self, id: i64, chat_id: i64, reason: &'static str) {
        self.services
            .metrics
            .outbox_dropped
            .get_or_create(&DropLabels { reason })
            .inc();
        self.done.push(Done {
            id,
            chat_id,
            hook: None,
        });
    }

    async fn complete(&mut self, mut held: Held, result: Result<super::Sent, SendError>) {
        let chat = held.row.chat_id;
        let lane = held.row.lane;
        if lane == OutboxLane::Answer {
            // An answer matters only for the few seconds the button spins: one retry after a
            // second for a passing failure, then it is given up.
            match result {
                Err(SendError::RetryAfter(_) | SendError::Transient(_))
                    if held.row.attempts < 1 && now_ms() + 1_000 < held.row.expires_at =>
                {
                    held.row.attempts += 1;
                    held.next_at = now_ms() + 1_000;
                    self.requeue_head(held);
                }
                Ok(_) => self.done.push(Done {
                    id: held.row.id,
                    chat_id: chat,
                    hook: None,
                }),
                Err(e) => {
                    log::debug!(target: QUEUE, "answering a button press in chat {chat} failed: {e:?}");
                    self.drop_row(held.row.id, chat, "answer_failed");
                }
            }
            self.maybe_flush(false).await;
            return;
        }
        let finished = match result {
            Ok(sent) => {
                let hook = held.effect.on_sent().map(|h| (h, sent.message_id));
                self.done.push(Done {
                    id: held.row.id,
                    chat_id: chat,
                    hook,
                });
                true
            }
            Err(SendError::RetryAfter(_)) => {
                // The pipeline paused every send; this row goes first once it may.
                self.requeue_head(held);
                false
            }
            Err(SendError::Transient(error)) => {
                held.row.attempts += 1;
                let backoff = backoff_ms(held.row.attempts);
                held.next_at = now_ms() + backoff;
                if held.next_at >= held.row.expires_at {
                    log::warn!(target: QUEUE, "a reply to chat {chat} could not be sent before its TTL ({error}); dropped");
                    self.drop_row(held.row.id, chat, "expired");
                    true
                } else {
                    log::warn!(target: QUEUE, "sending a reply to chat {chat} failed (attempt {}), retried in {backoff} ms: {error}", held.row.attempts);
                    self.reschedules
                        .push((held.row.id, held.row.attempts, held.next_at, error));
                    self.requeue_head(held);
                    false
                }
            }
            Err(SendError::Unreachable(reason)) => {
                log::info!(target: QUEUE, "chat {chat} is unreachable ({reason}); its replies are dropped");
                self.unreachable.push(chat);
                self.drop_row(held.row.id, chat, "unreachable");
                if let Some(rest) = self.chats.remove(&chat) {
                    for h in rest {
                        self.drop_row(h.row.id, chat, "unreachable");
                    }
                }
                true
            }
            Err(SendError::Permanent(error)) => {
                log::warn!(target: QUEUE, "Telegram rejected a reply to chat {chat}: {error}; dropped");
                self.drop_row(held.row.id, chat, "rejected");
                true
            }
        };
        if lane == OutboxLane::Reply && (finished || !self.chats.contains_key(&chat)) {
            self.busy.remove(&chat);
            if self.chats.get(&chat).is_some_and(|q| !q.is_empty()) {
                self.ready.push_back(chat);
            } else {
                self.chats.remove(&chat);
            }
        }
        self.maybe_flush(false).await;
    }

    /// Puts a row back at the head of its chat (answers are retried on their own).
    fn requeue_head(&mut self, held: Held) {
        let chat = held.row.chat_id;
        let next_at = held.next_at;
        if held.row.lane == OutboxLane::Answer {
            if next_at <= now_ms() {
                self.fly(held);
            } else {
                // Answers are short-lived; one more try after the backoff is enough.
                let pipeline = self.pipeline.clone();
                let wait = Duration::from_millis((next_at - now_ms()).max(0) as u64);
                self.in_flight.push(Box::pin(async move {
                    tokio::time::sleep(wait).await;
                    let result = pipeline.send(Lane::Reply, chat, &held.effect).await;
                    (held, result)
                }));
            }
            return;
        }
        self.chats.entry(chat).or_default().push_front(held);
        self.busy.remove(&chat);
        if next_at > now_ms() {
            self.timers.push(Reverse((next_at, chat)));
        } else {
            self.ready.push_back(chat);
        }
    }

    /// Records finished rows (delete + hooks), reschedules and unreachable users in one
    /// transaction, when enough piled up or enough time passed.
    async fn maybe_flush(&mut self, force: bool) {
        let nothing =
            self.done.is_empty() && self.reschedules.is_empty() && self.unreachable.is_empty();
        if nothing
            || (!force && self.done.len() < FLUSH_BATCH && self.last_flush.elapsed() < FLUSH_EVERY)
        {
            return;
        }
        self.last_flush = Instant::now();
        let done = std::mem::take(&mut self.done);
        let reschedules = std::mem::take(&mut self.reschedules);
        let unreachable = std::mem::take(&mut self.unreachable);
        let worker = self.worker.clone();
        let (done_back, res_back, unr_back) = (
            done.iter()
                .map(|d| (d.id, d.chat_id, d.hook))
                .collect::<Vec<_>>(),
            reschedules.clone(),
            unreachable.clone(),
        );
        let recorded = with_conn(&self.services.pool, move |c| {
            write_tx(c, |c| {
                let ids: Vec<i64> = done_back.iter().map(|(id, _, _)| *id).collect();
                finish_outbox(c, &worker, &ids)?;
                let mut cleanups = false;
                for (_, chat_id, hook) in &done_back {
                    if let Some((hook, message_id)) = hook {
                        cleanups |= run_hook(c, *chat_id, *hook, *message_id)?;
                    }
                }
                for (id, attempts, at, error) in &res_back {
                    reschedule_outbox(c, *id, *attempts, *at, error)?;
                }
                for chat in &unr_back {
                    mark_unreachable(c, *chat)?;
                }
                Ok::<_, StoreError>(cleanups)
            })
        })
        .await;
        match recorded {
            Ok(cleanups) => {
                for d in &done {
                    self.held_ids.remove(&d.id);
                }
                if cleanups {
                    self.services.wake_queue();
                }
            }
            Err(e) => {
                log::warn!(target: QUEUE, "recording sent replies failed ({e}); will retry");
                self.done = done;
                self.reschedules = reschedules;
                self.unreachable = unreachable;
            }
        }
    }
}

/// What a successful send leaves behind. Returns true when it enqueued a job.
fn run_hook(
    conn: &mut DbConnection,
    chat_id: i64,
    hook: OnSent,
    message_id: i32,
) -> Result<bool, StoreError> {
    match hook {
        OnSent::InvoiceMessage { payment_id } => {
            set_invoice_message(conn, payment_id, chat_id, i64::from(message_id))?;
            let Some(payment) = load_payment(conn, payment_id)? else {
                return Ok(false);
            };
            if payment.status == status::PENDING || payment.status == status::CREATING {
                return Ok(false);
            }
            // The payment ended while its invoice waited to be sent: clean it up at once.
            let job = JobPayload::Cleanup {
                chat_id,
                message_id: i64::from(message_id),
                fallback_text: crate::bot::texts::invoice_gone(&payment.gateway_order_id),
            };
            enqueue(
                conn,
                &NewJob::keyed(job, format!("cleanup:invoice:{payment_id}")),
            )?;
            Ok(true)
        }
        OnSent::BroadcastProgress { broadcast_id } => {
            autoorder_schema::queries::broadcasts::set_progress_message(
                conn,
                broadcast_id,
                chat_id,
                i64::from(message_id),
            )?;
            Ok(false)
        }
    }
}

/// Retry spacing of a reply: 1, 2, 4 … 60 s.
fn backoff_ms(attempt: i32) -> i64 {
    (1_000i64 << attempt.clamp(1, 7).saturating_sub(1)).min(60_000)
}
