//! Logging (log4rs): console plus one daily file per component.
//!
//! Every line reads `[YYYY-MM-DD HH:MM:SS] [LEVEL] message` in the shop's time
//! zone (`BOT_TIMEZONE`, default Asia/Jakarta), and each component named in
//! [`autoorder_actors::log_targets`] gets its own directory
//! `LOG_DIR/<component>/YYYY-MM-DD.log`, so whoever chases a payment problem
//! reads only payment lines. Code logs with
//! `log::info!(target: log_targets::PAYMENT, ...)`; anything untargeted lands
//! in `LOG_DIR/app/`. [`run_maintenance`] compresses and expires old days.
//!
//! The routing can be overridden by `conf/log4rs.yaml` (which mirrors
//! [`default_config`]) using the extra kinds `daily_file` and
//! `autoorder_line`; see [`deserializers`].

mod daily_file;
mod encoder;
mod maintenance;
mod redact;
mod yaml;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use autoorder_actors::log_targets;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use log::LevelFilter;
use log4rs::append::console::ConsoleAppender;
use log4rs::config::{Appender, Config, Logger, Root};

pub use daily_file::{DailyFileAppender, log_file_name};
pub use encoder::{LineEncoder, TIMESTAMP_FORMAT};
pub use maintenance::{MaintenanceReport, dir_size, run_maintenance};
pub use redact::{MIN_SECRET_LEN, REDACTED, register_secrets};
pub use yaml::{DAILY_FILE_KIND, LINE_ENCODER_KIND, deserializers, load_config};

/// Source of "now" for appenders and encoders; injectable so tests can cross
/// midnight without sleeping.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// A [`Clock`] frozen at `at`, for tests and reproducible examples.
pub fn fixed_clock(at: DateTime<Utc>) -> Clock {
    Arc::new(move || at)
}

/// The shop's time zone when `BOT_TIMEZONE` is unset: the stores are
/// Indonesian and think in WIB.
pub const DEFAULT_TIMEZONE: Tz = chrono_tz::Asia::Jakarta;

/// Days of logs kept when `LOG_RETENTION_DAYS` is unset: long enough to cover
/// payment disputes and chargebacks.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

/// Libraries whose info/debug chatter would drown the shop's own lines; they
/// are capped at warn.
pub const NOISY_TARGETS: [&str; 12] = [
    "actix_server",
    "actix_web",
    "actix_http",
    "reqwest",
    "hyper",
    "hyper_util",
    "rustls",
    "h2",
    "teloxide_core",
    "diesel",
    "mio",
    "tokio",
];

/// Name of the console appender, in [`default_config`] and the YAML.
pub const CONSOLE_APPENDER: &str = "console";

/// Name of the daily-file appender for `component` (e.g. `payment_file`), in
/// [`default_config`] and the YAML.
pub fn file_appender_name(component: &str) -> String {
    format!("{component}_file")
}

/// Everything the logger needs from the process configuration, gathered so
/// the config module owns parsing and this module owns behaviour.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// `LOG_DIR`: parent of the per-component directories.
    pub log_dir: PathBuf,
    /// `BOT_TIMEZONE`: decides line timestamps and the midnight file switch.
    pub timezone: Tz,
    /// Optional log4rs YAML (e.g. `conf/log4rs.yaml`) overriding the default
    /// routing; ignored when the file does not exist.
    pub config_file: Option<PathBuf>,
    /// Also write to stdout (what `docker logs` / journald collect).
    pub console: bool,
    /// Threshold for the shop's own targets and the root logger.
    pub level: LevelFilter,
}

impl LogSettings {
    /// Settings with every knob at its documented default, so tests and
    /// tools only spell out what they change.
    pub fn new(log_dir: impl Into<PathBuf>) -> Self {
        Self {
            log_dir: log_dir.into(),
            timezone: DEFAULT_TIMEZONE,
            config_file: None,
            console: true,
            level: LevelFilter::Info,
        }
    }
}

/// The current calendar date in `tz`: what [`run_maintenance`] should be
/// given as `today` so it agrees with the appenders about which file is live.
pub fn local_today(tz: Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

/// Installs the global logger: the YAML file when `config_file` is Some and
/// exists, else the built-in [`default_config`].
///
/// Creates `log_dir` first so an unwritable LOG_DIR fails boot loudly instead
/// of every record failing later on stderr. Errors (rather than panicking)
/// when a logger is already installed or the YAML is invalid (the message
/// names the file). A configured-but-missing YAML falls back to the default
/// and says so in the `app` log.
pub fn init(settings: &LogSettings) -> anyhow::Result<()> {
    let (config, missing_yaml) = match &settings.config_file {
        Some(path) if path.exists() => (load_config(path, settings)?, None),
        Some(path) => (default_config(settings)?, Some(path)),
        None => (default_config(settings)?, None),
    };
    std::fs::create_dir_all(&settings.log_dir)
        .with_context(|| format!("creating LOG_DIR {}", settings.log_dir.display()))?;

    let logger = log4rs::Logger::new(config);
    let max_level = logger.max_log_level();
    log::set_boxed_logger(Box::new(ForwardingLogger(logger)))
        .map_err(|err| anyhow!("cannot install the logger: {err}"))?;
    // Only after success: a failed second init must not alter the level of
    // the logger already running.
    log::set_max_level(max_level);

    if let Some(path) = missing_yaml {
        log::warn!(
            target: log_targets::APP,
            "log config {} not found; using the built-in default",
            path.display()
        );
    }
    Ok(())
}

/// The built-in routing as a log4rs [`Config`] (used by [`init`] and tests).
///
/// One logger per component target except `app`, non-additive, writing to
/// the console (when enabled) and `LOG_DIR/<component>/`; the root logger
/// takes everything else to the console and `LOG_DIR/app/`; noisy libraries
/// are capped at warn. Builds no files: nothing is created until a record is
/// written.
pub fn default_config(settings: &LogSettings) -> anyhow::Result<Config> {
    let tz = settings.timezone;
    let mut builder = Config::builder();
    let mut shared = Vec::new();
    if settings.console {
        let console = ConsoleAppender::builder()
            .encoder(Box::new(LineEncoder::new(tz)))
            .build();
        builder = builder.appender(Appender::builder().build(CONSOLE_APPENDER, Box::new(console)));
        shared.push(CONSOLE_APPENDER.to_owned());
    }
    for component in log_targets::ALL {
        let appender = DailyFileAppender::new(
            settings.log_dir.join(component),
            tz,
            Box::new(LineEncoder::new(tz)),
        );
        builder = builder
            .appender(Appender::builder().build(file_appender_name(component), Box::new(appender)));
    }
    for component in log_targets::ALL
        .into_iter()
        .filter(|c| *c != log_targets::APP)
    {
        let logger = Logger::builder()
            .appenders(shared.iter().cloned())
            .appender(file_appender_name(component))
            .additive(false)
            .build(component, settings.level);
        builder = builder.logger(logger);
    }
    // Never louder than the shop's own threshold.
    let noisy_level = settings.level.min(LevelFilter::Warn);
    for target in NOISY_TARGETS {
        builder = builder.logger(Logger::builder().build(target, noisy_level));
    }
    let root = Root::builder()
        .appenders(shared)
        .appender(file_appender_name(log_targets::APP))
        .build(settings.level);
    builder
        .build(root)
        .map_err(|err| anyhow!("building the default log config: {err}"))
}

/// Hands qualifying events to the owner-alert forwarder after logging them
/// (`ENABLE_OWNER_ALERTS`; the forwarder is off until boot enables it, and
/// ignores the queue and health targets so forwarding never feeds itself).
struct ForwardingLogger<L>(L);

impl<L: log::Log> log::Log for ForwardingLogger<L> {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        self.0.enabled(metadata)
    }

    fn log(&self, record: &log::Record<'_>) {
        self.0.log(record);
        use autoorder_actors::health::forward;
        if forward::wants(record.level(), record.target()) {
            let message = record.args().to_string();
            forward::offer(
                record.level(),
                record.target(),
                redact::redact(&message).into_owned(),
            );
        }
    }

    fn flush(&self) {
        self.0.flush();
    }
}
