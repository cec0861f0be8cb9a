//! Configuration: the environment variables of the old Python bot's `bot.env` plus the new
//! names of SPEC §6, optionally backed by a TOML file (the environment wins).
//!
//! Loading never stops at the first problem: every wrong variable is collected into
//! [`ConfigErrors`], each naming the variable and the form it expects, so an operator fixes
//! a `bot.env` in one pass. Secrets are wrapped in [`Secret`] and never printed.

mod data_keys;
mod load;
mod webhook_secret;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use autoorder_schema::secret::Secret;
pub use data_keys::ensure_data_keys;
pub use load::{ConfigError, ConfigErrors, Source};
pub use webhook_secret::ensure_webhook_secret;

/// How the bot receives updates from Telegram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelegramMode {
    /// Telegram pushes updates to `TELEGRAM_WEBHOOK_URL`.
    Webhook,
    /// The bot long-polls `getUpdates`.
    Polling,
    /// Webhook when a URL is set and registration works, long polling otherwise.
    Auto,
}

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A bundled SQLite file (single instance, no server).
    Sqlite(PathBuf),
    /// A PostgreSQL server (production, several replicas). The URL may hold a password.
    Postgres(Secret<String>),
}

/// A data-encryption key with the id stored beside every value it encrypted, so keys rotate
/// without re-encrypting everything at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataKey {
    /// Short identifier (1–16 of `A-Z a-z 0-9 _ -`), `k1` when the variable gives none.
    pub id: String,
    /// The 32-byte XChaCha20-Poly1305 key.
    pub key: Secret<[u8; 32]>,
}

/// Telegram settings.
#[derive(Debug, Clone)]
pub struct TelegramConfig {
    /// `TELEGRAM_BOT_TOKEN` (required): `<digits>:<token>`.
    pub bot_token: Secret<String>,
    /// `OWNER_BOT_TOKEN`: the owner-alert bot; `None` falls back to the main token.
    pub owner_bot_token: Option<Secret<String>>,
    /// `TELEGRAM_ADMIN_IDS`: sellers, comma-separated Telegram user ids.
    pub admin_ids: Vec<i64>,
    /// `TELEGRAM_OWNER_IDS`: owners, comma-separated Telegram user ids.
    pub owner_ids: Vec<i64>,
    /// `TELEGRAM_MODE` (default `auto`).
    pub mode: TelegramMode,
    /// `TELEGRAM_WEBHOOK_URL`: public https URL; its path is where the webhook is served.
    pub webhook_url: Option<String>,
    /// `TELEGRAM_WEBHOOK_SECRET`: `None` means "generate once and keep in the data directory".
    pub webhook_secret: Option<Secret<String>>,
    /// `TELEGRAM_API_URL` (default `https://api.telegram.org`), without a trailing slash.
    pub api_url: String,
    /// `TELEGRAM_SEND_RATE`: messages per second the queue may send (default 25).
    pub send_rate: u32,
}

impl TelegramConfig {
    /// The path the webhook is served on: the path of `TELEGRAM_WEBHOOK_URL`, else `/telegram`.
    pub fn webhook_path(&self) -> String {
        self.webhook_url
            .as_deref()
            .and_then(load::url_path)
            .unwrap_or_else(|| "/telegram".to_string())
    }
}

/// Pakasir gateway settings.
#[derive(Debug, Clone)]
pub struct PakasirConfig {
    /// `PAKASIR_PROJECT_SLUG`.
    pub project_slug: Option<String>,
    /// `PAKASIR_API_KEY`.
    pub api_key: Option<Secret<String>>,
    /// `PAKASIR_WEBHOOK_SECRET`: the secret path segment of the callback URL.
    pub webhook_secret: Option<Secret<String>>,
    /// `PAKASIR_BASE_URL` (default `https://app.pakasir.com`), without a trailing slash.
    pub base_url: String,
    /// `PAYMENT_FAILURE_ALERT_THRESHOLD` (default 3).
    pub failure_alert_threshold: u32,
    /// `PAYMENT_RECHECK_HOURS` (default 24): how long payments closed unpaid are asked about
    /// again, so money that arrives after an expiry or *Batalkan* is never lost.
    pub recheck_hours: u32,
}

/// S3-compatible offsite backup target (`BACKUP_S3_*`).
#[derive(Debug, Clone)]
pub struct S3Config {
    pub endpoint: String,
    pub bucket: String,
    pub prefix: String,
    pub region: String,
    pub access_key_id: Secret<String>,
    pub secret_access_key: Secret<String>,
    /// `BACKUP_S3_TIMEOUT_SECONDS` (default 30): how long one S3 call may wait for an answer.
    pub timeout: Duration,
}

/// Backup settings (old names kept working).
#[derive(Debug, Clone)]
pub struct BackupConfig {
    /// `ENABLE_AUTO_BACKUP` (default true).
    pub enabled: bool,
    /// `BACKUP_TIME` local `HH:MM` (default 02:00).
    pub time: chrono::NaiveTime,
    /// `BACKUP_LOCAL_DIR` (default `<DATA_DIR>/backups`).
    pub local_dir: PathBuf,
    /// `BACKUP_OFFSITE_DIR`: a mounted directory.
    pub offsite_dir: Option<PathBuf>,
    /// `BACKUP_AUTOMATIC_OFFSITE` (default false).
    pub automatic_offsite: bool,
    /// `BACKUP_ENCRYPTION_PASSWORD`.
    pub encryption_password: Option<Secret<String>>,
    /// `BACKUP_RECIPIENTS`: age public keys (`age1…`), comma-separated.
    pub recipients: Vec<String>,
    /// `BACKUP_S3_*`: all of endpoint, bucket, access key id and secret, or none.
    pub s3: Option<S3Config>,
    /// `BACKUP_KEEP_*`: the retention policy of `autoorder backup prune`.
    pub keep: BackupKeep,
    /// `BACKUP_DRILL_DAYS` (default 30): a restore drill is due when the last one is older
    /// (scheduled when the bot holds a decryption key, else owners are reminded); 0 turns
    /// drills and their reminder off.
    pub drill_days: u32,
}

/// Retention counts (`BACKUP_KEEP_LAST`/`_DAILY`/`_WEEKLY`/`_MONTHLY`/`_MIN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupKeep {
    /// `BACKUP_KEEP_LAST` (default 7): the newest N backups.
    pub last: u32,
    /// `BACKUP_KEEP_DAILY` (default 7): one per day for the last N days with a backup.
    pub daily: u32,
    /// `BACKUP_KEEP_WEEKLY` (default 4): one per ISO week.
    pub weekly: u32,
    /// `BACKUP_KEEP_MONTHLY` (default 6): one per month.
    pub monthly: u32,
    /// `BACKUP_KEEP_MIN` (default 3): never fewer than this many.
    pub min: u32,
}

/// Health-check and alert settings.
#[derive(Debug, Clone)]
pub struct HealthConfig {
    /// `ENABLE_AUTO_HEALTHCHECK` (default true).
    pub enabled: bool,
    /// `HEALTHCHECK_INTERVAL_SECONDS` when set, else `HEALTHCHECK_INTERVAL_MINUTES` (default 5 min).
    pub interval: Duration,
    /// `HEALTH_CPU_THRESHOLD` percent (default 80).
    pub cpu_threshold: u8,
    /// `HEALTH_MEMORY_THRESHOLD` percent (default 80).
    pub memory_threshold: u8,
    /// `HEALTH_DISK_THRESHOLD` percent used (default 85).
    pub disk_threshold: u8,
    /// `LOG_USAGE_THRESHOLD_MB` (default 512).
    pub log_usage_threshold_mb: u64,
    /// `ALERT_REMINDER_MINUTES` (default 60).
    pub alert_reminder: Duration,
    /// `ENABLE_OWNER_ALERTS` (default true): forward error logs to owners.
    pub owner_alerts: bool,
    /// `OWNER_ALERT_THRESHOLD` (default ERROR): lowest level forwarded.
    pub owner_alert_threshold: log::LevelFilter,
    /// `OWNER_SUMMARY_TIME` local `HH:MM` (default 21:00).
    pub owner_summary_time: chrono::NaiveTime,
    /// `CREDENTIAL_ROTATION_DAYS` (default 90).
    pub credential_rotation_days: u32,
}

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub telegram: TelegramConfig,
    pub pakasir: PakasirConfig,
    pub backup: BackupConfig,
    pub health: HealthConfig,
    /// `DATABASE_URL`: unset → `<DATA_DIR>/autoorder.db`.
    pub database: DatabaseUrl,
    /// `DATA_DIR` (default `./data`).
    pub data_dir: PathBuf,
    /// `LOG_DIR` (default `./logs`).
    pub log_dir: PathBuf,
    /// `LOG_RETENTION_DAYS` (default 90).
    pub log_retention_days: u32,
    /// `HTTP_ADDR` (default `0.0.0.0:8080`).
    pub http_addr: SocketAddr,
    /// `BOT_STORE_NAME` (default `Toko Digital`).
    pub store_name: String,
    /// `BOT_TIMEZONE` (default `Asia/Jakarta`).
    pub timezone: chrono_tz::Tz,
    /// `DATA_ENCRYPTION_KEY`: the first key encrypts, all keys decrypt.
    pub data_keys: Vec<DataKey>,
    /// `SNK_RETENTION_DAYS` (default 30).
    pub snk_retention_days: u32,
    /// `LOW_STOCK_THRESHOLD` (default 3).
    pub low_stock_threshold: u32,
    /// `DEPOSIT_MINIMUM`: smallest balance top-up in Rupiah (default 10 000).
    pub deposit_minimum: u32,
    /// `SPAM_MAX_ACTIONS`: more actions than this within the window is spam (default 5).
    pub spam_max_actions: u32,
    /// `SPAM_WINDOW_SECONDS`: the anti-spam window (default 5). `SPAM_MAX_ACTIONS` per window
    /// is the sustained rate; twice as many may come in a burst.
    pub spam_window_seconds: u32,
    /// `UPDATE_CONCURRENCY`: chats whose updates are handled at once per process (default 16;
    /// one chat's updates are always handled in order, one at a time).
    pub update_concurrency: u32,
    /// `REPLY_TTL_SECONDS`: how long a reply may wait to be sent (Telegram down or rate
    /// limiting) before it is dropped with a log line and a metric (default 3600).
    pub reply_ttl_seconds: u32,
    /// `PAYMENT_RECONCILE_SECONDS`: how often open payments are checked with the gateway, so a
    /// lost callback still completes (default 30).
    pub payment_reconcile_seconds: u32,
}

impl Config {
    /// Loads from the process environment and an optional TOML file; the environment wins.
    pub fn load(toml_file: Option<&std::path::Path>) -> Result<Config, ConfigErrors> {
        let source = Source::from_env_and_file(toml_file)?;
        Config::from_source(&source)
    }

    /// Validates a set of raw values, reporting every problem at once.
    pub fn from_source(source: &Source) -> Result<Config, ConfigErrors> {
        load::build(source)
    }
}
