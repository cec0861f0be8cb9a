//! QueueActor: runs the durable jobs, and — on the replica holding the `queue-leader` lease —
//! the outbox sender.
//!
//! It claims due jobs in batches with leases, runs them concurrently through the send pipeline,
//! and records each outcome: done, retried with backoff (a 429 gives its attempt back), cancelled
//! (unreachable recipient) or dead. Jobs whose worker crashed are rescued when their lease runs
//! out. Telegram-sending kinds and the outbox run only on the leader, so any number of replicas
//! stays inside one bot's send budget; other kinds run anywhere. It wakes on an in-process
//! signal, on PostgreSQL NOTIFY from other processes ([`crate::wakeup`]), and polls as a
//! fallback.

pub mod handlers;
pub mod notices;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix::prelude::*;
use futures_util::StreamExt;
use tokio::sync::watch;

use autoorder_schema::job_kinds::JobPayload;
use autoorder_schema::queries::jobs::{
    ClaimedJob, KindFilter, NewJob, RetryOutcome, bury_job, cancel_job, claim_due_jobs,
    complete_job, enqueue, extend_job_leases, rescue_expired_leases, retry_job,
};
use autoorder_schema::queries::leases::{release_lease, try_acquire_lease};

use crate::blocking::with_conn;
use crate::log_targets::QUEUE;
use crate::metrics::JobLabels;
use crate::services::Services;
use crate::supervisor::Shutdown;
use handlers::{JobContext, Outcome};

/// Registry name.
pub const NAME: &str = "queue";
/// Lease that makes a replica the sender.
pub const LEADER_LEASE: &str = "queue-leader";

const LEADER_TTL_MS: i64 = 10_000;
const LEADER_RENEW: Duration = Duration::from_secs(3);
const JOB_LEASE_MS: i64 = 30_000;
const BATCH: i64 = 32;
const CONCURRENCY: usize = 8;
const POLL_FALLBACK: Duration = Duration::from_secs(1);

struct Shared {
    ctx: JobContext,
    leader: AtomicBool,
    stopping: AtomicBool,
    stopped: watch::Sender<bool>,
}

/// See the module docs.
pub struct QueueActor {
    shared: Arc<Shared>,
}

impl QueueActor {
    /// Builds a fresh actor (called by the supervisor on every start).
    pub fn new(services: Services) -> QueueActor {
        let (stopped, _) = watch::channel(false);
        let gateway = services
            .settings
            .pakasir
            .as_ref()
            .and_then(|s| crate::payment::flow::Gateway::new(s).ok());
        let ctx = JobContext { services, gateway };
        QueueActor {
            shared: Arc::new(Shared {
                ctx,
                leader: AtomicBool::new(false),
                stopping: AtomicBool::new(false),
                stopped,
            }),
        }
    }
}

impl Actor for QueueActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let shared = self.shared.clone();
        // A crashed predecessor in this process held outbox rows in memory: they are known
        // dead, so their leases are let go at once instead of running out.
        let services = shared.ctx.services.clone();
        ctx.wait(
            async move {
                let me = services.instance_id.to_string();
                if let Err(e) = with_conn(&services.pool, move |c| {
                    autoorder_schema::queries::outbox::release_outbox(c, &me)
                })
                .await
                {
                    log::warn!(target: QUEUE, "releasing outbox leases of a previous queue actor: {e}");
                }
            }
            .into_actor(self),
        );
        ctx.spawn(leadership(shared.clone()).into_actor(self));
        ctx.spawn(send_outbox(shared.clone()).into_actor(self));
        ctx.spawn(work(shared).into_actor(self));
        log::info!(target: QUEUE, "queue actor ready");
    }
}

/// While this replica is the leader, sends the outbox (replies of every replica's handlers).
async fn send_outbox(shared: Arc<Shared>) {
    let services = shared.ctx.services.clone();
    while !shared.stopping.load(Ordering::SeqCst) {
        if shared.leader.load(Ordering::SeqCst) {
            let s = shared.clone();
            crate::send::outbox::run(
                services.clone(),
                services.sends.shop.clone(),
                services.outbox_wake.clone(),
                move || s.leader.load(Ordering::SeqCst) && !s.stopping.load(Ordering::SeqCst),
            )
            .await;
        }
        tokio::select! {
            _ = services.outbox_wake.notified() => {}
            _ = tokio::time::sleep(LEADER_RENEW) => {}
            _ = wait_stopped(&shared) => {}
        }
    }
}

/// Keeps (or takes over) the leader lease and schedules the leader's daily chores.
async fn leadership(shared: Arc<Shared>) {
    let services = &shared.ctx.services;
    let me = services.instance_id.to_string();
    while !shared.stopping.load(Ordering::SeqCst) {
        let holder = me.clone();
        let held = with_conn(&services.pool, move |c| {
            try_acquire_lease(c, LEADER_LEASE, &holder, LEADER_TTL_MS)
        })
        .await
        .unwrap_or(false);
        let was = shared.leader.swap(held, Ordering::SeqCst);
        services.state.set_sender(held);
        if held != was {
            log::info!(target: QUEUE, "{} the queue leader", if held { "became" } else { "is no longer" });
            services.wake_queue();
        }
        if held {
            schedule_daily_purge(services).await;
        }
        tokio::select! {
            _ = tokio::time::sleep(LEADER_RENEW) => {}
            _ = wait_stopped(&shared) => {}
        }
    }
    if shared.leader.load(Ordering::SeqCst) {
        let holder = me.clone();
        let _ = with_conn(&services.pool, move |c| {
            release_lease(c, LEADER_LEASE, &holder)
        })
        .await;
    }
}

async fn wait_stopped(shared: &Shared) {
    let mut rx = shared.stopped.subscribe();
    let _ = rx.wait_for(|s| *s).await;
}

/// Days handled updates are kept (for de-duplicating Telegram's re-deliveries).
const KEEP_UPDATES_DAYS: u32 = 7;

/// One purge job of each kind per local day (their unique keys make every replica's enqueue
/// the same job).
async fn schedule_daily_purge(services: &Services) {
    let today = chrono::Utc::now()
        .with_timezone(&services.settings.timezone)
        .date_naive();
    let days = services.settings.snk_retention_days;
    let jobs = [
        NewJob::keyed(
            JobPayload::PurgeSnkAnswers {
                retention_days: days,
            },
            format!("purge-snk:{today}"),
        ),
        NewJob::keyed(
            JobPayload::PurgeUpdates {
                keep_days: KEEP_UPDATES_DAYS,
            },
            format!("purge-updates:{today}"),
        ),
    ];
    if let Err(e) = with_conn(&services.pool, move |c| {
        for job in &jobs {
            enqueue(c, job)?;
        }
        Ok(())
    })
    .await
    {
        log::warn!(target: QUEUE, "scheduling the daily purges: {e}");
    }
}

/// The worker loop: rescue, claim, run, record; sleep until woken when idle.
async fn work(shared: Arc<Shared>) {
    let services = shared.ctx.services.clone();
    let worker = services.instance_id.to_string();
    let mut last_rescue = tokio::time::Instant::now() - Duration::from_secs(60);
    while !shared.stopping.load(Ordering::SeqCst) {
        if last_rescue.elapsed() >= Duration::from_secs(5) {
            match with_conn(&services.pool, rescue_expired_leases).await {
                Ok(n) if n > 0 => {
                    log::warn!(target: QUEUE, "rescued {n} job(s) from an expired lease")
                }
                Ok(_) => {}
                Err(e) => log::warn!(target: QUEUE, "rescuing expired leases: {e}"),
            }
            services.sends.shop.limiter().forget_idle_chats();
            services.sends.owner.limiter().forget_idle_chats();
            last_rescue = tokio::time::Instant::now();
        }
        let leader = shared.leader.load(Ordering::SeqCst);
        let w = worker.clone();
        let claimed = with_conn(&services.pool, move |c| {
            let kinds = if leader {
                KindFilter::All
            } else {
                KindFilter::Except(&JobPayload::TELEGRAM_KINDS)
            };
            claim_due_jobs(c, &w, BATCH, JOB_LEASE_MS, kinds)
        })
        .await;
        let batch = match claimed {
            Ok(batch) => batch,
            Err(e) => {
                log::warn!(target: QUEUE, "claiming jobs: {e}");
                idle(&shared, Duration::from_secs(2)).await;
                continue;
            }
        };
        if batch.is_empty() {
            idle(&shared, POLL_FALLBACK).await;
            continue;
        }
        run_batch(&shared, &worker, batch).await;
    }
    let _ = shared.stopped.send(true);
}

async fn idle(shared: &Shared, at_most: Duration) {
    tokio::select! {
        _ = shared.ctx.services.queue_wake.notified() => {}
        _ = tokio::time::sleep(at_most) => {}
        _ = wait_stopped(shared) => {}
    }
}

/// Runs a batch with bounded concurrency while renewing its leases.
async fn run_batch(shared: &Shared, worker: &str, batch: Vec<ClaimedJob>) {
    let ids: Vec<i64> = batch.iter().map(|j| j.id).collect();
    let jobs =
        futures_util::stream::iter(batch.iter().map(|job| run_and_record(shared, worker, job)))
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<()>>();
    tokio::pin!(jobs);
    let mut renew = tokio::time::interval(Duration::from_millis(JOB_LEASE_MS as u64 / 3));
    renew.tick().await;
    loop {
        tokio::select! {
            _ = &mut jobs => break,
            _ = renew.tick() => {
                let (w, ids) = (worker.to_string(), ids.clone());
                if let Err(e) = with_conn(&shared.ctx.services.pool, move |c| extend_job_leases(c, &w, &ids, JOB_LEASE_MS)).await {
                    log::warn!(target: QUEUE, "renewing job leases: {e}");
                }
            }
        }
    }
}

async fn run_and_record(shared: &Shared, worker: &str, job: &ClaimedJob) {
    let outcome = shared.ctx.run(job).await;
    let services = &shared.ctx.services;
    let label = match &outcome {
        Outcome::Done | Outcome::Recorded => "done",
        Outcome::Retry {
            consume_attempt: false,
            ..
        } => "deferred",
        Outcome::Retry { .. } => "retry",
        Outcome::Cancel(_) => "cancelled",
        Outcome::Dead(_) => "dead",
    };
    let (id, w, kind) = (job.id, worker.to_string(), job.kind.clone());
    let recorded = with_conn(&services.pool, move |c| {
        Ok(match &outcome {
            Outcome::Done => complete_job(c, id, &w)?.then_some("done"),
            Outcome::Recorded => Some("done"),
            Outcome::Retry {
                delay,
                consume_attempt,
                error,
            } => match retry_job(c, id, &w, error, delay.as_millis() as i64, *consume_attempt)? {
                RetryOutcome::Dead => Some("dead"),
                RetryOutcome::Retrying => Some("retry"),
                RetryOutcome::LeaseLost => None,
            },
            Outcome::Cancel(reason) => cancel_job(c, id, &w, reason)?.then_some("cancelled"),
            Outcome::Dead(reason) => bury_job(c, id, &w, reason)?.then_some("dead"),
        })
    })
    .await;
    match recorded {
        Ok(Some(state)) => {
            if state == "dead" {
                log::error!(target: QUEUE, "job {id} ({kind}) is dead");
            }
            services
                .metrics
                .jobs_finished
                .get_or_create(&JobLabels {
                    kind,
                    outcome: label,
                })
                .inc();
        }
        Ok(None) => {
            log::warn!(target: QUEUE, "job {id} ({kind}): lease lost before its outcome was recorded")
        }
        Err(e) => log::warn!(target: QUEUE, "job {id} ({kind}): recording the outcome failed: {e}"),
    }
}

impl Handler<Shutdown> for QueueActor {
    type Result = ResponseActFuture<Self, ()>;

    /// Stops claiming, lets the batch in hand finish, gives up the leader lease, stops.
    fn handle(&mut self, _: Shutdown, _ctx: &mut Self::Context) -> Self::Result {
        self.shared.stopping.store(true, Ordering::SeqCst);
        let shared = self.shared.clone();
        shared.ctx.services.queue_wake.notify_waiters();
        let mut rx = shared.stopped.subscribe();
        Box::pin(
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
            .into_actor(self)
            .map(|(), _, ctx| ctx.stop()),
        )
    }
}

impl Drop for QueueActor {
    /// A crashed instance's helper thread and loops stop with it.
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
    }
}
