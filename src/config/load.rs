//! Validation of raw configuration values into a [`Config`].
//!
//! Every check runs even after an earlier one failed, so one run lists every problem in a
//! `bot.env`. Each problem names the variable, what was found and the form expected; secret
//! values are described by their length only.

mod forms;
mod source;
mod vars;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveTime;

use super::{
    BackupConfig, BackupKeep, Config, DataKey, DatabaseUrl, HealthConfig, PakasirConfig, S3Config,
    Secret, TelegramConfig, TelegramMode,
};
use source::Origin;

pub(crate) use forms::url_path;
pub use source::Source;

/// One configuration problem: which variable, what is wrong with it, and what would be right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable name (or, for a file that cannot be read, the file path).
    pub variable: String,
    /// What was found, e.g. `got "pool"`; never contains a secret value.
    pub problem: String,
    /// The accepted form, e.g. `one of webhook, polling, auto`.
    pub expected: String,
}

impl fmt::Display for ConfigError {
    /// `VARIABLE: problem; expected form`: one line an operator can act on.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}; expected {}",
            self.variable, self.problem, self.expected
        )
    }
}

impl std::error::Error for ConfigError {}

/// Every configuration problem found, so an operator can fix them all in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The problems reported for `variable`, for callers and tests that look for one.
    pub fn for_variable<'a>(
        &'a self,
        variable: &str,
    ) -> impl Iterator<Item = &'a ConfigError> + use<'a> {
        let variable = variable.to_string();
        self.0
            .iter()
            .filter(move |error| error.variable == variable)
    }
}

impl fmt::Display for ConfigErrors {
    /// One line per problem.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

const TOKEN_FORM: &str = "<digits>:<at least 30 of A-Z a-z 0-9 _ -> as given by @BotFather";
const IDS_FORM: &str = "comma-separated positive Telegram user ids, e.g. 123456789,987654321";
const S3_REQUIRED: [&str; 4] = [
    "BACKUP_S3_ENDPOINT",
    "BACKUP_S3_BUCKET",
    "BACKUP_S3_ACCESS_KEY_ID",
    "BACKUP_S3_SECRET_ACCESS_KEY",
];
const S3_ALL: [&str; 6] = [
    "BACKUP_S3_ENDPOINT",
    "BACKUP_S3_BUCKET",
    "BACKUP_S3_PREFIX",
    "BACKUP_S3_REGION",
    "BACKUP_S3_ACCESS_KEY_ID",
    "BACKUP_S3_SECRET_ACCESS_KEY",
];

/// Validates every variable of `source`, returning the configuration or every problem.
pub(crate) fn build(source: &Source) -> Result<Config, ConfigErrors> {
    let mut check = Checker {
        source,
        errors: Vec::new(),
    };
    let telegram = check.telegram();
    let pakasir = check.pakasir();
    let data_dir = check.path("DATA_DIR", "./data");
    let log_dir = check.path("LOG_DIR", "./logs");
    let database = check.database(&data_dir);
    let backup = check.backup(&data_dir);
    let health = check.health();
    let log_retention_days = check.count("LOG_RETENTION_DAYS", 90, 1, u32::MAX);
    let http_addr = check.parsed(
        "HTTP_ADDR",
        SocketAddr::from(([0, 0, 0, 0], 8080)),
        "a socket address such as 0.0.0.0:8080 or 127.0.0.1:8080",
        |value| value.parse().ok(),
    );
    let store_name = check.parsed(
        "BOT_STORE_NAME",
        "Toko Digital".to_string(),
        "1–64 characters without control characters",
        |value| {
            let length = value.chars().count();
            ((1..=64).contains(&length) && !value.chars().any(char::is_control))
                .then(|| value.to_string())
        },
    );
    let timezone = check.parsed(
        "BOT_TIMEZONE",
        chrono_tz::Asia::Jakarta,
        "an IANA time zone name such as Asia/Jakarta, Asia/Makassar or Asia/Jayapura",
        |value| value.parse().ok(),
    );
    let data_keys = check.data_keys();
    let snk_retention_days = check.count("SNK_RETENTION_DAYS", 30, 1, u32::MAX);
    let low_stock_threshold = check.count("LOW_STOCK_THRESHOLD", 3, 0, u32::MAX);
    let deposit_minimum = check.count("DEPOSIT_MINIMUM", 10_000, 1_000, 10_000_000);
    let spam_max_actions = check.count("SPAM_MAX_ACTIONS", 5, 1, 100_000);
    let spam_window_seconds = check.count("SPAM_WINDOW_SECONDS", 5, 1, 3_600);
    let payment_reconcile_seconds = check.count("PAYMENT_RECONCILE_SECONDS", 30, 1, 3_600);
    let update_concurrency = check.count("UPDATE_CONCURRENCY", 16, 1, 256);
    let reply_ttl_seconds = check.count("REPLY_TTL_SECONDS", 3_600, 10, 86_400);

    if !check.errors.is_empty() {
        return Err(ConfigErrors(check.errors));
    }
    Ok(Config {
        telegram,
        pakasir,
        backup,
        health,
        database,
        data_dir,
        log_dir,
        log_retention_days,
        http_addr,
        store_name,
        timezone,
        data_keys,
        snk_retention_days,
        low_stock_threshold,
        deposit_minimum,
        spam_max_actions,
        spam_window_seconds,
        payment_reconcile_seconds,
        update_concurrency,
        reply_ttl_seconds,
    })
}

/// Collects problems while reading typed values. Every reader returns a value even on
/// error (the default), so later checks still run; [`build`] discards it if anything failed.
struct Checker<'a> {
    source: &'a Source,
    errors: Vec<ConfigError>,
}

impl<'a> Checker<'a> {
    fn raw(&self, name: &str) -> Option<&'a str> {
        self.source.get(name)
    }

    /// `got <value>`, with secrets reduced to their length and database passwords masked,
    /// plus the file the value came from when it was not the environment.
    fn got(&self, name: &str, value: &str) -> String {
        let shown = if vars::is_secret(name) {
            format!("a value of {} characters", value.chars().count())
        } else if name == "DATABASE_URL" {
            format!("{:?}", forms::redact_url(value))
        } else {
            format!("{value:?}")
        };
        format!("got {shown}{}", self.from(name))
    }

    fn from(&self, name: &str) -> String {
        match self.source.origin(name) {
            Some(Origin::File(path)) => format!(" (from {})", path.display()),
            _ => String::new(),
        }
    }

    fn report(&mut self, name: &str, problem: String, expected: impl Into<String>) {
        self.errors.push(ConfigError {
            variable: name.to_string(),
            problem,
            expected: expected.into(),
        });
    }

    fn reject(&mut self, name: &str, value: &str, expected: impl Into<String>) {
        let problem = self.got(name, value);
        self.report(name, problem, expected);
    }

    /// The value of `name` read by `read`, `None` when unset or invalid (then reported).
    fn optional<T>(
        &mut self,
        name: &str,
        expected: &str,
        read: impl FnOnce(&str) -> Option<T>,
    ) -> Option<T> {
        let value = self.raw(name)?;
        let parsed = read(value);
        if parsed.is_none() {
            self.reject(name, value, expected);
        }
        parsed
    }

    /// Like [`Checker::optional`] with a default for unset or invalid values.
    fn parsed<T>(
        &mut self,
        name: &str,
        default: T,
        expected: &str,
        read: impl FnOnce(&str) -> Option<T>,
    ) -> T {
        self.optional(name, expected, read).unwrap_or(default)
    }

    fn count(&mut self, name: &str, default: u32, min: u32, max: u32) -> u32 {
        self.optional_count(name, min, max).unwrap_or(default)
    }

    fn optional_count(&mut self, name: &str, min: u32, max: u32) -> Option<u32> {
        let expected = if max == u32::MAX {
            format!("a whole number of at least {min}")
        } else {
            format!("a whole number from {min} to {max}")
        };
        self.optional(name, &expected, |value| {
            value
                .parse::<u32>()
                .ok()
                .filter(|n| (min..=max).contains(n))
        })
    }

    fn percent(&mut self, name: &str, default: u8) -> u8 {
        self.parsed(name, default, "a percentage from 1 to 100", |value| {
            value.parse::<u8>().ok().filter(|n| (1..=100).contains(n))
        })
    }

    fn flag(&mut self, name: &str, default: bool) -> bool {
        self.parsed(
            name,
            default,
            "true or false (also 1/0, yes/no, on/off)",
            forms::boolean,
        )
    }

    fn clock(&mut self, name: &str, hour: u32) -> NaiveTime {
        let default = NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(NaiveTime::MIN);
        self.parsed(
            name,
            default,
            "a 24-hour time HH:MM such as 02:00",
            forms::clock_time,
        )
    }

    fn path(&mut self, name: &str, default: &str) -> PathBuf {
        PathBuf::from(self.raw(name).unwrap_or(default))
    }

    /// An http(s) base URL without trailing slash.
    fn base_url(&mut self, name: &str, default: &str) -> String {
        self.parsed(
            name,
            default.to_string(),
            "an http:// or https:// URL such as https://example.com",
            |value| forms::is_http_url(value).then(|| value.trim_end_matches('/').to_string()),
        )
    }

    /// `min..=max` characters of `A-Z a-z 0-9 _ -`.
    fn token_text(&mut self, name: &str, min: usize, max: usize) -> Option<Secret<String>> {
        let expected = format!("{min}–{max} characters of A-Z a-z 0-9 _ -");
        self.optional(name, &expected, |value| {
            forms::is_token_text(value, min, max).then(|| Secret::new(value.to_string()))
        })
    }

    fn bot_token(&mut self, name: &str) -> Option<Secret<String>> {
        self.optional(name, TOKEN_FORM, |value| {
            forms::is_bot_token(value).then(|| Secret::new(value.to_string()))
        })
    }

    fn user_ids(&mut self, name: &str) -> Vec<i64> {
        let Some(value) = self.raw(name) else {
            return Vec::new();
        };
        let items = forms::list(value);
        let mut ids = Vec::with_capacity(items.len());
        let mut bad = Vec::new();
        for item in &items {
            match item.parse::<i64>() {
                Ok(id) if id > 0 => ids.push(id),
                _ => bad.push(format!("{item:?}")),
            }
        }
        if !bad.is_empty() {
            let problem = format!("got {} in {value:?}{}", bad.join(", "), self.from(name));
            self.report(name, problem, IDS_FORM);
        }
        ids
    }

    fn telegram(&mut self) -> TelegramConfig {
        let bot_token = match self.raw("TELEGRAM_BOT_TOKEN") {
            None => {
                self.report("TELEGRAM_BOT_TOKEN", "not set".to_string(), TOKEN_FORM);
                None
            }
            Some(_) => self.bot_token("TELEGRAM_BOT_TOKEN"),
        };
        let owner_bot_token = self.bot_token("OWNER_BOT_TOKEN");
        let admin_ids = self.user_ids("TELEGRAM_ADMIN_IDS");
        let owner_ids = self.user_ids("TELEGRAM_OWNER_IDS");
        let mode = self.parsed(
            "TELEGRAM_MODE",
            TelegramMode::Auto,
            "one of webhook, polling, auto",
            |value| match value.to_ascii_lowercase().as_str() {
                "webhook" => Some(TelegramMode::Webhook),
                "polling" => Some(TelegramMode::Polling),
                "auto" => Some(TelegramMode::Auto),
                _ => None,
            },
        );
        let webhook_url = self.optional(
            "TELEGRAM_WEBHOOK_URL",
            "a public https:// URL (http:// only for localhost or 127.0.0.1)",
            |value| {
                let url = forms::parse_url(value)?;
                let secure = url.scheme == "https"
                    || (url.scheme == "http" && forms::is_loopback_host(&url.host));
                secure.then(|| value.to_string())
            },
        );
        if mode == TelegramMode::Webhook && self.raw("TELEGRAM_WEBHOOK_URL").is_none() {
            self.report(
                "TELEGRAM_WEBHOOK_URL",
                "not set while TELEGRAM_MODE is webhook".to_string(),
                "the public https:// URL Telegram should post updates to, or TELEGRAM_MODE=auto or polling",
            );
        }
        let webhook_secret = self.token_text("TELEGRAM_WEBHOOK_SECRET", 1, 256);
        let api_url = self.base_url("TELEGRAM_API_URL", "https://api.telegram.org");
        let send_rate = self.count("TELEGRAM_SEND_RATE", 25, 1, 30);
        TelegramConfig {
            bot_token: bot_token.unwrap_or_default(),
            owner_bot_token,
            admin_ids,
            owner_ids,
            mode,
            webhook_url,
            webhook_secret,
            api_url,
            send_rate,
        }
    }

    fn pakasir(&mut self) -> PakasirConfig {
        let project_slug = self.optional(
            "PAKASIR_PROJECT_SLUG",
            "the project slug from the Pakasir dashboard: a-z 0-9 - _",
            |value| {
                value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
                    .then(|| value.to_string())
            },
        );
        let api_key = self.optional(
            "PAKASIR_API_KEY",
            "the API key from the Pakasir dashboard (printable characters, no spaces)",
            |value| {
                value
                    .chars()
                    .all(|c| c.is_ascii_graphic())
                    .then(|| Secret::new(value.to_string()))
            },
        );
        let pair = ["PAKASIR_PROJECT_SLUG", "PAKASIR_API_KEY"];
        for (name, other) in [(pair[0], pair[1]), (pair[1], pair[0])] {
            if self.raw(name).is_none() && self.raw(other).is_some() {
                self.report(
                    name,
                    format!("not set while {other} is set"),
                    "both PAKASIR_PROJECT_SLUG and PAKASIR_API_KEY, or neither",
                );
            }
        }
        let webhook_secret = self.token_text("PAKASIR_WEBHOOK_SECRET", 8, 128);
        let base_url = self.base_url("PAKASIR_BASE_URL", "https://app.pakasir.com");
        let failure_alert_threshold = self.count("PAYMENT_FAILURE_ALERT_THRESHOLD", 3, 1, u32::MAX);
        let recheck_hours = self.count("PAYMENT_RECHECK_HOURS", 24, 1, 24 * 30);
        PakasirConfig {
            project_slug,
            api_key,
            webhook_secret,
            base_url,
            failure_alert_threshold,
            recheck_hours,
        }
    }

    fn database(&mut self, data_dir: &Path) -> DatabaseUrl {
        let default = DatabaseUrl::Sqlite(data_dir.join("autoorder.db"));
        self.parsed(
            "DATABASE_URL",
            default,
            "sqlite://PATH, sqlite:PATH, a file path ending in .db or .sqlite, \
             or postgres://USER:PASSWORD@HOST:PORT/DATABASE",
            database_url,
        )
    }

    fn backup(&mut self, data_dir: &Path) -> BackupConfig {
        let enabled = self.flag("ENABLE_AUTO_BACKUP", true);
        let time = self.clock("BACKUP_TIME", 2);
        let local_dir = match self.raw("BACKUP_LOCAL_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => data_dir.join("backups"),
        };
        let offsite_dir = self.raw("BACKUP_OFFSITE_DIR").map(PathBuf::from);
        let automatic_offsite = self.flag("BACKUP_AUTOMATIC_OFFSITE", false);
        let encryption_password = self.optional(
            "BACKUP_ENCRYPTION_PASSWORD",
            "a passphrase of at least 12 characters",
            |value| (value.chars().count() >= 12).then(|| Secret::new(value.to_string())),
        );
        let recipients = self.recipients();
        let s3 = self.s3();
        let keep = BackupKeep {
            last: self.count("BACKUP_KEEP_LAST", 7, 0, 10_000),
            daily: self.count("BACKUP_KEEP_DAILY", 7, 0, 10_000),
            weekly: self.count("BACKUP_KEEP_WEEKLY", 4, 0, 10_000),
            monthly: self.count("BACKUP_KEEP_MONTHLY", 6, 0, 10_000),
            min: self.count("BACKUP_KEEP_MIN", 3, 0, 10_000),
        };
        let drill_days = self.count("BACKUP_DRILL_DAYS", 30, 0, 3650);
        BackupConfig {
            keep,
            drill_days,
            enabled,
            time,
            local_dir,
            offsite_dir,
            automatic_offsite,
            encryption_password,
            recipients,
            s3,
        }
    }

    fn recipients(&mut self) -> Vec<String> {
        let Some(value) = self.raw("BACKUP_RECIPIENTS") else {
            return Vec::new();
        };
        let mut recipients = Vec::new();
        let mut bad = Vec::new();
        for item in forms::list(value) {
            let well_formed = item.len() > 4
                && item.starts_with("age1")
                && item
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
            if well_formed {
                recipients.push(item.to_string());
            } else {
                bad.push(format!("{item:?}"));
            }
        }
        if !bad.is_empty() {
            let problem = format!("got {}{}", bad.join(", "), self.from("BACKUP_RECIPIENTS"));
            self.report(
                "BACKUP_RECIPIENTS",
                problem,
                "comma-separated age public keys, each starting age1 (a-z 0-9), \
                 as printed by age-keygen",
            );
        }
        recipients
    }

    fn s3(&mut self) -> Option<S3Config> {
        let endpoint = self.optional(
            "BACKUP_S3_ENDPOINT",
            "an http:// or https:// URL such as https://s3.example.com",
            |value| forms::is_http_url(value).then(|| value.trim_end_matches('/').to_string()),
        );
        let bucket = self.optional(
            "BACKUP_S3_BUCKET",
            "a bucket name without spaces or /",
            |value| {
                (!value.chars().any(|c| c.is_whitespace() || c == '/')).then(|| value.to_string())
            },
        );
        let prefix = self
            .raw("BACKUP_S3_PREFIX")
            .map(|prefix| prefix.trim_start_matches('/').to_string())
            .unwrap_or_default();
        let region = self.parsed(
            "BACKUP_S3_REGION",
            "us-east-1".to_string(),
            "a region name of A-Z a-z 0-9 _ -, such as us-east-1 or auto",
            |value| forms::is_token_text(value, 1, 64).then(|| value.to_string()),
        );
        let no_spaces = "the key from the storage provider (printable characters, no spaces)";
        let access_key_id = self.optional("BACKUP_S3_ACCESS_KEY_ID", no_spaces, |value| {
            value
                .chars()
                .all(|c| c.is_ascii_graphic())
                .then(|| Secret::new(value.to_string()))
        });
        let secret_access_key = self.optional("BACKUP_S3_SECRET_ACCESS_KEY", no_spaces, |value| {
            value
                .chars()
                .all(|c| c.is_ascii_graphic())
                .then(|| Secret::new(value.to_string()))
        });

        let timeout = Duration::from_secs(u64::from(self.count(
            "BACKUP_S3_TIMEOUT_SECONDS",
            30,
            1,
            3600,
        )));
        let set: Vec<&str> = S3_ALL
            .into_iter()
            .filter(|name| self.raw(name).is_some())
            .collect();
        if set.is_empty() {
            return None;
        }
        for name in S3_REQUIRED {
            if self.raw(name).is_none() {
                self.report(
                    name,
                    format!("not set while {} set", describe_set(&set)),
                    "all of BACKUP_S3_ENDPOINT, BACKUP_S3_BUCKET, BACKUP_S3_ACCESS_KEY_ID and \
                     BACKUP_S3_SECRET_ACCESS_KEY, or no BACKUP_S3_* variable at all",
                );
            }
        }
        Some(S3Config {
            endpoint: endpoint?,
            bucket: bucket?,
            prefix,
            region,
            access_key_id: access_key_id?,
            secret_access_key: secret_access_key?,
            timeout,
        })
    }

    fn health(&mut self) -> HealthConfig {
        let enabled = self.flag("ENABLE_AUTO_HEALTHCHECK", true);
        let minutes = self.count("HEALTHCHECK_INTERVAL_MINUTES", 5, 1, u32::MAX);
        let seconds = self.optional_count("HEALTHCHECK_INTERVAL_SECONDS", 1, u32::MAX);
        let interval = match seconds {
            Some(seconds) => Duration::from_secs(u64::from(seconds)),
            None => Duration::from_secs(u64::from(minutes) * 60),
        };
        let cpu_threshold = self.percent("HEALTH_CPU_THRESHOLD", 80);
        let memory_threshold = self.percent("HEALTH_MEMORY_THRESHOLD", 80);
        let disk_threshold = self.percent("HEALTH_DISK_THRESHOLD", 85);
        let log_usage_threshold_mb = self.parsed(
            "LOG_USAGE_THRESHOLD_MB",
            512,
            "a whole number of megabytes, at least 1",
            |value| value.parse::<u64>().ok().filter(|n| *n >= 1),
        );
        let reminder_minutes = self.count("ALERT_REMINDER_MINUTES", 60, 1, u32::MAX);
        let owner_alerts = self.flag("ENABLE_OWNER_ALERTS", true);
        let owner_alert_threshold = self.parsed(
            "OWNER_ALERT_THRESHOLD",
            log::LevelFilter::Error,
            "a log level: ERROR (or CRITICAL), WARN (or WARNING), INFO, DEBUG, TRACE or OFF",
            forms::log_level,
        );
        let owner_summary_time = self.clock("OWNER_SUMMARY_TIME", 21);
        let credential_rotation_days = self.count("CREDENTIAL_ROTATION_DAYS", 90, 1, u32::MAX);
        HealthConfig {
            enabled,
            interval,
            cpu_threshold,
            memory_threshold,
            disk_threshold,
            log_usage_threshold_mb,
            alert_reminder: Duration::from_secs(u64::from(reminder_minutes) * 60),
            owner_alerts,
            owner_alert_threshold,
            owner_summary_time,
            credential_rotation_days,
        }
    }

    fn data_keys(&mut self) -> Vec<DataKey> {
        const NAME: &str = "DATA_ENCRYPTION_KEY";
        const FORM: &str = "comma-separated keys, each [ID:]KEY where KEY is 64 hex characters or \
                            standard base64 of 32 bytes (e.g. from `openssl rand -hex 32`) and ID \
                            is 1–16 of A-Z a-z 0-9 _ - (default k1, k2, …)";
        let Some(value) = self.raw(NAME) else {
            return Vec::new();
        };
        let items = forms::list(value);
        if items.is_empty() {
            self.reject(NAME, value, FORM);
            return Vec::new();
        }
        let total = items.len();
        let from = self.from(NAME);
        let mut keys: Vec<DataKey> = Vec::with_capacity(total);
        for (index, item) in items.into_iter().enumerate() {
            let position = format!("key {} of {total}", index + 1);
            let (id, key) = match item.split_once(':') {
                Some((id, key)) => (id.trim().to_string(), key.trim()),
                None => (format!("k{}", index + 1), item),
            };
            if !forms::is_token_text(&id, 1, 16) {
                // The text before `:` is meant to be a public id, but it may be a mangled
                // key: describe it by length only.
                let problem = format!(
                    "{position}: the id before \":\" has {} characters{from}",
                    id.chars().count()
                );
                self.report(NAME, problem, FORM);
                continue;
            }
            let Some(bytes) = forms::hex_32(key).or_else(|| forms::base64_32(key)) else {
                let problem = format!(
                    "{position} (id {id:?}): got a value of {} characters{from}",
                    key.chars().count()
                );
                self.report(NAME, problem, FORM);
                continue;
            };
            if keys.iter().any(|existing| existing.id == id) {
                let problem = format!("{position}: id {id:?} is used twice{from}");
                self.report(NAME, problem, "a different id for every key");
                continue;
            }
            keys.push(DataKey {
                id,
                key: Secret::new(bytes),
            });
        }
        keys
    }
}

/// `"A is"` / `"A and B are"` / `"A, B and C are"`.
fn describe_set(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => format!("{one} is"),
        [init @ .., last] => format!("{} and {last} are", init.join(", ")),
    }
}

/// Recognises the `DATABASE_URL` forms.
fn database_url(value: &str) -> Option<DatabaseUrl> {
    let lower = value.to_ascii_lowercase();
    for prefix in ["sqlite://", "sqlite:"] {
        if lower.starts_with(prefix) {
            let rest = value.get(prefix.len()..)?;
            let path = rest.split('?').next().unwrap_or(rest);
            return (!path.is_empty()).then(|| DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
    }
    if let Some((scheme, rest)) = value.split_once("://") {
        // `postgresql+asyncpg://` from the old bot's SQLAlchemy URL means plain PostgreSQL.
        let base = scheme
            .split('+')
            .next()
            .unwrap_or(scheme)
            .to_ascii_lowercase();
        if base == "postgres" || base == "postgresql" {
            let usable = !rest.is_empty() && !rest.chars().any(|c| c.is_whitespace());
            return usable.then(|| DatabaseUrl::Postgres(Secret::new(format!("{base}://{rest}"))));
        }
        return None;
    }
    let file = [".db", ".sqlite", ".sqlite3"]
        .iter()
        .any(|suffix| lower.ends_with(suffix));
    file.then(|| DatabaseUrl::Sqlite(PathBuf::from(value)))
}
