//! What every actor is given when it is (re)built: the pool, its settings, the registry,
//! metrics and the Telegram client. Cheap to clone; holds no state that matters (the
//! database does).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use autoorder_schema::Pool;
use autoorder_schema::secret::Secret;

use crate::metrics::Metrics;
use crate::supervisor::Registry;

/// How updates arrive (SPEC §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeMode {
    Webhook,
    Polling,
    Auto,
}

/// Telegram settings the actors need.
#[derive(Debug, Clone)]
pub struct TelegramSettings {
    /// Bot API base URL without a trailing slash.
    pub api_url: String,
    pub bot_token: Secret<String>,
    /// The owner-alert bot; falls back to `bot_token`.
    pub owner_bot_token: Option<Secret<String>>,
    pub mode: IntakeMode,
    pub webhook_url: Option<String>,
    pub webhook_secret: Secret<String>,
}

/// The Pakasir gateway, when configured.
#[derive(Debug, Clone)]
pub struct PakasirSettings {
    pub base_url: String,
    pub project: String,
    pub api_key: Secret<String>,
    /// `PAYMENT_FAILURE_ALERT_THRESHOLD`.
    pub failure_alert_threshold: u32,
    /// `PAYMENT_RECONCILE_SECONDS`.
    pub reconcile_interval: Duration,
    /// `PAYMENT_RECHECK_HOURS`: how long closed payments are asked about again.
    pub recheck_window: Duration,
}

/// Shop rules.
#[derive(Debug, Clone)]
pub struct ShopSettings {
    /// `LOW_STOCK_THRESHOLD`.
    pub low_stock_threshold: i64,
    /// Smallest deposit (default Rp 10.000).
    pub deposit_minimum: i64,
    /// Anti-spam: more than `spam_max_actions` within `spam_window` is spam.
    pub spam_max_actions: i32,
    pub spam_window: Duration,
}

impl Default for ShopSettings {
    fn default() -> Self {
        ShopSettings {
            low_stock_threshold: 3,
            deposit_minimum: 10_000,
            spam_max_actions: 5,
            spam_window: Duration::from_secs(5),
        }
    }
}

/// Settings the actors need, mapped from the process configuration at boot.
#[derive(Debug, Clone)]
pub struct ActorSettings {
    pub store_name: String,
    pub timezone: chrono_tz::Tz,
    pub admin_ids: Vec<i64>,
    pub owner_ids: Vec<i64>,
    pub telegram: TelegramSettings,
    /// How often HealthActor probes the database.
    pub db_probe_interval: Duration,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    /// Messages per second one bot token may send (`TELEGRAM_SEND_RATE`).
    pub send_rate: u32,
    /// Chats whose updates are handled at once (`UPDATE_CONCURRENCY`).
    pub update_concurrency: usize,
    /// How long a reply may wait in the outbox before it is dropped (`REPLY_TTL_SECONDS`).
    pub reply_ttl: Duration,
    /// `SNK_RETENTION_DAYS`.
    pub snk_retention_days: u32,
    /// `None` when `PAKASIR_PROJECT_SLUG`/`PAKASIR_API_KEY` are not set (QRIS disabled).
    pub pakasir: Option<PakasirSettings>,
    pub shop: ShopSettings,
    /// Health checks, owner alerts and their thresholds.
    pub health: crate::health::HealthSettings,
    /// Backups; `None` when the process shell did not configure them.
    pub backup: Option<crate::backup::BackupSettings>,
}

/// Work the process shell owns but the actors schedule (log rotation lives with logging).
pub type MaintenanceHook = Arc<dyn Fn() + Send + Sync>;

/// Process-wide state that outlives actor restarts.
#[derive(Debug, Default)]
pub struct RuntimeState {
    shutting_down: AtomicBool,
    /// This replica holds the `queue-leader` lease: it sends the outbox itself, so its commits
    /// need not notify the others.
    sender: AtomicBool,
    db_probe: RwLock<Option<ProbeResult>>,
    intake: RwLock<Option<IntakeMode>>,
}

/// Outcome of the last database probe.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProbeResult {
    pub ok: bool,
    pub detail: String,
    /// Unix milliseconds.
    pub at: i64,
}

impl RuntimeState {
    /// True once SIGTERM arrived: intake refuses new work, readiness fails.
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Whether this replica sends the outbox (holds the `queue-leader` lease).
    pub fn is_sender(&self) -> bool {
        self.sender.load(Ordering::SeqCst)
    }

    pub(crate) fn set_sender(&self, sender: bool) {
        self.sender.store(sender, Ordering::SeqCst);
    }

    /// Marks the process as shutting down.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// The last database probe, if any ran.
    pub fn db_probe(&self) -> Option<ProbeResult> {
        self.db_probe.read().ok().and_then(|p| p.clone())
    }

    pub(crate) fn set_db_probe(&self, probe: ProbeResult) {
        if let Ok(mut p) = self.db_probe.write() {
            *p = Some(probe);
        }
    }

    /// The intake mode in effect after `auto` was resolved.
    pub fn intake(&self) -> Option<IntakeMode> {
        self.intake.read().ok().and_then(|m| *m)
    }

    pub(crate) fn set_intake(&self, mode: IntakeMode) {
        if let Ok(mut m) = self.intake.write() {
            *m = Some(mode);
        }
    }
}

/// Everything an actor factory needs.
#[derive(Clone)]
pub struct Services {
    pub pool: Pool,
    pub settings: Arc<ActorSettings>,
    pub registry: Registry,
    pub metrics: Arc<Metrics>,
    pub state: Arc<RuntimeState>,
    /// Identifies this replica in leases and claims.
    pub instance_id: Arc<str>,
    /// Daily log housekeeping, run by HealthActor.
    pub maintenance: MaintenanceHook,
    /// Wakes the queue after a commit that enqueued jobs (in-process; PostgreSQL replicas are
    /// also woken by LISTEN/NOTIFY).
    pub queue_wake: Arc<tokio::sync::Notify>,
    /// Wakes the outbox sender after a commit that wrote replies (likewise).
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// The send pipelines (one per bot token): every rate-limited Bot API call passes them.
    pub sends: crate::send::Sends,
    /// Field encryption keys (`DATA_ENCRYPTION_KEY`).
    pub data_keys: Arc<autoorder_schema::crypto::DataKeys>,
}

impl Services {
    /// Call after committing a transaction that enqueued jobs.
    pub fn wake_queue(&self) {
        self.queue_wake.notify_one();
    }

    /// Call after committing a transaction that wrote outbox rows.
    pub fn wake_outbox(&self) {
        self.outbox_wake.notify_one();
    }
}
