//! Process metrics in the Prometheus text format.
//!
//! Counters that code increments live in [`Metrics`]; values that already exist elsewhere
//! (actor states, pool usage) are read at scrape time by collectors, so they can never drift.
//!
//! Every name here is written **without** the `autoorder_` prefix: the registry adds it once,
//! to registered metrics and to collectors' descriptors alike ([`PREFIX`]).

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry as PromRegistry;

use crate::supervisor::{ChildStatus, Registry};

/// The one prefix of every exported name (`autoorder_…`), added by the registry.
pub const PREFIX: &str = "autoorder";

/// Labels of an HTTP request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub route: String,
    pub status: u16,
}

/// Labels by update source (`webhook`, `polling`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabels {
    pub source: &'static str,
}

/// Labels by outcome (`done`, `retry`, `failed`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

/// Labels of a Bot API call by lane (`reply`, `bulk`, `answer`) and result (`ok`,
/// `retry_after`, `unreachable`, `transient`, `rejected`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LaneSendLabels {
    pub lane: &'static str,
    pub result: &'static str,
}

/// Labels of a reply given up (`expired`, `unreachable`, `rejected`, `unreadable`,
/// `answer_failed`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DropLabels {
    pub reason: &'static str,
}

/// Labels by update kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

/// Seconds from taking an update to committing its transaction.
#[derive(Debug)]
pub struct HandlerHistogram(Histogram);

impl Default for HandlerHistogram {
    fn default() -> Self {
        // 1 ms … ~16 s.
        HandlerHistogram(Histogram::new(exponential_buckets(0.001, 2.0, 15)))
    }
}

impl HandlerHistogram {
    /// Records one handling time.
    pub fn observe(&self, seconds: f64) {
        self.0.observe(seconds);
    }
}

/// Labels of a finished job run.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    pub kind: String,
    pub outcome: &'static str,
}

/// Counters shared by the HTTP server and the actors.
#[derive(Debug, Default)]
pub struct Metrics {
    /// HTTP requests by route and status.
    pub http_requests: Family<HttpLabels, Counter>,
    /// New updates stored, by source.
    pub updates_received: Family<SourceLabels, Counter>,
    /// Re-deliveries ignored because the update_id was already stored.
    pub updates_duplicate: Counter,
    /// Updates handled, by outcome.
    pub updates_processed: Family<OutcomeLabels, Counter>,
    /// Bot API calls through the send pipeline, by lane and result (rate: sends/s;
    /// `retry_after`: 429s).
    pub telegram_sends: Family<LaneSendLabels, Counter>,
    /// Seconds every send was paused after 429s.
    pub send_paused_seconds: Counter<f64, std::sync::atomic::AtomicU64>,
    /// Replies given up, by reason.
    pub outbox_dropped: Family<DropLabels, Counter>,
    /// Updates the Bot API types could not read, by kind.
    pub updates_unreadable: Family<KindLabels, Counter>,
    /// Updates being handled right now.
    pub updates_in_flight: Gauge,
    /// Time from taking an update to committing its transaction.
    pub handler_seconds: HandlerHistogram,
    /// Job runs by kind and outcome.
    pub jobs_finished: Family<JobLabels, Counter>,
    /// The last health run (HealthActor writes it; `/metrics` and `/health/ready` read it).
    pub health: crate::health::HealthBoard,
}

impl Metrics {
    /// Builds the Prometheus registry: these counters plus collectors over the actor tree
    /// and the database pool.
    pub fn registry(
        self: &Arc<Self>,
        tree: Registry,
        pool: autoorder_schema::Pool,
    ) -> PromRegistry {
        let mut r = PromRegistry::with_prefix(PREFIX);
        r.register(
            "http_requests",
            "HTTP requests by route and status",
            self.http_requests.clone(),
        );
        r.register(
            "updates_received",
            "Telegram updates stored, by source",
            self.updates_received.clone(),
        );
        r.register(
            "updates_duplicate",
            "Telegram re-deliveries ignored",
            self.updates_duplicate.clone(),
        );
        r.register(
            "updates_processed",
            "Telegram updates handled, by outcome",
            self.updates_processed.clone(),
        );
        r.register(
            "telegram_sends",
            "Bot API calls through the send pipeline, by lane and result",
            self.telegram_sends.clone(),
        );
        r.register(
            "telegram_send_paused_seconds",
            "Seconds every send was paused after Telegram answered 429",
            self.send_paused_seconds.clone(),
        );
        r.register(
            "outbox_dropped",
            "Replies given up, by reason",
            self.outbox_dropped.clone(),
        );
        r.register(
            "updates_unreadable",
            "Telegram updates the Bot API types could not read, by kind",
            self.updates_unreadable.clone(),
        );
        r.register(
            "updates_in_flight",
            "Telegram updates being handled now",
            self.updates_in_flight.clone(),
        );
        r.register(
            "update_handler_seconds",
            "Time from taking an update to committing its transaction",
            self.handler_seconds.0.clone(),
        );
        r.register(
            "jobs_finished",
            "Job runs by kind and outcome",
            self.jobs_finished.clone(),
        );
        r.register_collector(Box::new(ActorTreeCollector { tree }));
        r.register_collector(Box::new(JobsCollector { pool: pool.clone() }));
        r.register_collector(Box::new(OutboxCollector { pool: pool.clone() }));
        r.register_collector(Box::new(PoolCollector { pool }));
        r.register_collector(Box::new(HealthCollector {
            board: self.health.clone(),
        }));
        r
    }
}

/// Exports each child's restart count and state.
#[derive(Debug)]
struct ActorTreeCollector {
    tree: Registry,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.snapshot()).finish()
    }
}

impl Collector for ActorTreeCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let children = self.tree.snapshot();
        {
            let mut m = encoder.encode_descriptor(
                "actor_restarts",
                "Restarts of each supervised actor since the process started",
                None,
                MetricType::Counter,
            )?;
            for c in &children {
                let labels = [("actor", c.name)];
                ConstCounter::new(c.restarts).encode(m.encode_family(&labels)?)?;
            }
        }
        let mut m = encoder.encode_descriptor(
            "actor_state",
            "1 for the current state of each supervised actor",
            None,
            MetricType::Gauge,
        )?;
        for c in &children {
            for state in ChildStatus::ALL {
                let labels = [("actor", c.name), ("state", state.as_str())];
                ConstGauge::new(i64::from(c.status == state)).encode(m.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

/// Exports database pool usage.
struct PoolCollector {
    pool: autoorder_schema::Pool,
}

impl std::fmt::Debug for PoolCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PoolCollector")
    }
}

impl Collector for PoolCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let state = self.pool.state();
        let max = self.pool.max_size();
        for (name, help, value) in [
            (
                "db_pool_connections",
                "Open database connections",
                state.connections,
            ),
            (
                "db_pool_idle",
                "Idle database connections",
                state.idle_connections,
            ),
            ("db_pool_max", "Maximum database connections", max),
        ] {
            let m = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            ConstGauge::new(i64::from(value)).encode(m)?;
        }
        Ok(())
    }
}

/// Exports jobs by kind and state and the queue lag, read from the database at scrape time
/// (the `/metrics` handler runs the encoding on the blocking pool).
struct JobsCollector {
    pool: autoorder_schema::Pool,
}

impl std::fmt::Debug for JobsCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobsCollector")
    }
}

impl Collector for JobsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        use autoorder_schema::queries::jobs::{job_counts, oldest_due_age_ms};
        let Ok(mut conn) = autoorder_schema::checkout(&self.pool) else {
            return Ok(());
        };
        let counts = job_counts(&mut conn).unwrap_or_default();
        let lag = oldest_due_age_ms(&mut conn).unwrap_or(0);
        {
            let mut m = encoder.encode_descriptor(
                "jobs",
                "Jobs by kind and state",
                None,
                MetricType::Gauge,
            )?;
            for (kind, state, n) in &counts {
                let labels = [("kind", kind.as_str()), ("state", state.as_str())];
                ConstGauge::new(*n).encode(m.encode_family(&labels)?)?;
            }
        }
        {
            let dead: i64 = counts
                .iter()
                .filter(|(_, s, _)| s == "dead")
                .map(|(_, _, n)| n)
                .sum();
            let m = encoder.encode_descriptor(
                "jobs_dead",
                "Jobs that ran out of attempts",
                None,
                MetricType::Gauge,
            )?;
            ConstGauge::new(dead).encode(m)?;
        }
        let m = encoder.encode_descriptor(
            "queue_lag_seconds",
            "Age of the oldest due job still waiting",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(lag as f64 / 1000.0).encode(m)?;
        Ok(())
    }
}

/// Exports the outbox depth by lane, read at scrape time.
struct OutboxCollector {
    pool: autoorder_schema::Pool,
}

impl std::fmt::Debug for OutboxCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutboxCollector")
    }
}

impl Collector for OutboxCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        use autoorder_schema::queries::outbox::{OutboxLane, outbox_depth};
        let Ok(mut conn) = autoorder_schema::checkout(&self.pool) else {
            return Ok(());
        };
        let depth = outbox_depth(&mut conn).unwrap_or_default();
        let mut m = encoder.encode_descriptor(
            "outbox_depth",
            "Replies waiting to be sent, by lane",
            None,
            MetricType::Gauge,
        )?;
        for lane in [OutboxLane::Answer, OutboxLane::Reply] {
            let n = depth
                .iter()
                .find(|(l, _)| *l == lane)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            ConstGauge::new(n).encode(m.encode_family(&[("lane", lane.label())])?)?;
        }
        Ok(())
    }
}

/// Exports the last health run: a gauge per check (0 ok, 1 degraded, 2 failing), the disk and
/// memory ratios, CPU and the last backup success.
#[derive(Debug)]
struct HealthCollector {
    board: crate::health::HealthBoard,
}

impl Collector for HealthCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(snap) = self.board.get() else {
            return Ok(());
        };
        {
            let mut m = encoder.encode_descriptor(
                "health_check",
                "Last health run per check: 0 ok, 1 degraded, 2 failing",
                None,
                MetricType::Gauge,
            )?;
            for c in &snap.report.checks {
                let labels = [("check", c.name.as_str())];
                ConstGauge::new(c.status as i64).encode(m.encode_family(&labels)?)?;
            }
        }
        {
            let m = encoder.encode_descriptor(
                "health_status",
                "Worst status of the last health run: 0 ok, 1 degraded, 2 failing",
                None,
                MetricType::Gauge,
            )?;
            ConstGauge::new(snap.report.status as i64).encode(m)?;
        }
        {
            let m = encoder.encode_descriptor(
                "health_last_run_timestamp_seconds",
                "When the last health run finished",
                None,
                MetricType::Gauge,
            )?;
            ConstGauge::new(snap.report.at as f64 / 1000.0).encode(m)?;
        }
        {
            let m = encoder.encode_descriptor(
                "health_leader",
                "1 when this replica holds the health-leader lease (it alone alerts owners)",
                None,
                MetricType::Gauge,
            )?;
            ConstGauge::new(i64::from(snap.leader)).encode(m)?;
        }
        for (name, help, value) in [
            (
                "disk_used_ratio",
                "Used fraction of the filesystem holding DATA_DIR",
                snap.disk_used_ratio,
            ),
            (
                "memory_used_ratio",
                "Used fraction of the memory limit (the container's when set)",
                snap.memory_used_ratio,
            ),
            (
                "cpu_busy_ratio",
                "Busy fraction of the CPU available to the process",
                snap.cpu_percent.map(|p| p / 100.0),
            ),
            (
                "backup_last_success_timestamp_seconds",
                "When the last backup succeeded",
                snap.backup_last_success_at.map(|ms| ms as f64 / 1000.0),
            ),
        ] {
            if let Some(value) = value {
                let m = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
                ConstGauge::new(value).encode(m)?;
            }
        }
        Ok(())
    }
}
