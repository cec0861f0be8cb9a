//! Loading `conf/log4rs.yaml` with autoorder's custom component kinds.
//!
//! log4rs only knows its built-in kinds; the YAML needs `daily_file` and
//! `autoorder_line`, whose defaults (LOG_DIR, BOT_TIMEZONE) come from runtime
//! settings rather than the file. log4rs's own loader is lossy — a broken
//! appender is reported on stderr and silently dropped — which for a shop
//! would mean payment logs quietly vanishing, so every deserializer here
//! records its failures and [`load_config`] turns them into an error.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context as _, anyhow, bail};
use chrono_tz::Tz;
use log4rs::append::Append;
use log4rs::append::console::{ConsoleAppenderConfig, ConsoleAppenderDeserializer};
use log4rs::config::{Deserialize, Deserializers};
use log4rs::encode::{Encode, EncoderConfig};
use serde::de::DeserializeOwned;

use super::{DailyFileAppender, LineEncoder, LogSettings};

/// Appender kind name used in YAML for [`DailyFileAppender`].
pub const DAILY_FILE_KIND: &str = "daily_file";
/// Encoder kind name used in YAML for [`LineEncoder`].
pub const LINE_ENCODER_KIND: &str = "autoorder_line";

type Errors = Arc<Mutex<Vec<String>>>;

/// log4rs deserializers for the built-in kinds plus `daily_file` and
/// `autoorder_line`, bound to `settings` (relative `directory:` values are
/// resolved against `settings.log_dir`, and `settings.timezone` is the
/// default `timezone:`). The `console` kind honours `settings.console`: when
/// it is false a console appender in the YAML is accepted but discards
/// records, so `LOG_CONSOLE=false` works with or without a YAML file.
pub fn deserializers(settings: &LogSettings) -> Deserializers {
    build(settings, &Errors::default())
}

fn build(settings: &LogSettings, errors: &Errors) -> Deserializers {
    let mut d = Deserializers::new();
    d.insert(
        "console",
        Strict::new(
            ConsoleDeserializer {
                enabled: settings.console,
            },
            errors,
        ),
    );
    d.insert(
        DAILY_FILE_KIND,
        Strict::new(
            DailyFileDeserializer {
                log_dir: settings.log_dir.clone(),
                default_tz: settings.timezone,
            },
            errors,
        ),
    );
    d.insert(
        LINE_ENCODER_KIND,
        Strict::new(
            LineEncoderDeserializer {
                default_tz: settings.timezone,
            },
            errors,
        ),
    );
    d
}

/// Reads a log4rs YAML file into a [`log4rs::Config`] using
/// [`deserializers`], failing (with the file's path in the message) on YAML
/// syntax errors, on any appender or encoder that does not deserialize, and
/// on a logger (root, or non-additive) that is not `off` yet has no appenders
/// left — what log4rs produces when it drops an appender of an unknown kind
/// or a reference to a misspelt appender name.
pub fn load_config(path: &Path, settings: &LogSettings) -> anyhow::Result<log4rs::Config> {
    let errors = Errors::default();
    let config = log4rs::config::load_config_file(path, build(settings, &errors))
        .with_context(|| format!("invalid log config {}", path.display()))?;
    let errors = std::mem::take(&mut *errors.lock().unwrap_or_else(PoisonError::into_inner));
    if !errors.is_empty() {
        bail!(
            "invalid log config {}: {}",
            path.display(),
            errors.join("; ")
        );
    }
    if config.root().appenders().is_empty() && config.root().level() != log::LevelFilter::Off {
        bail!(
            "invalid log config {}: the root logger has no working appenders",
            path.display()
        );
    }
    if let Some(logger) = config
        .loggers()
        .iter()
        .find(|l| !l.additive() && l.appenders().is_empty() && l.level() != log::LevelFilter::Off)
    {
        bail!(
            "invalid log config {}: logger `{}` is not additive and has no working appenders",
            path.display(),
            logger.name()
        );
    }
    Ok(config)
}

/// A config that always deserializes, remembering the serde error instead:
/// log4rs reports serde failures of a kind's config without calling the
/// kind's deserializer, so this is the only way to observe them.
enum Lenient<T> {
    Ok(T),
    Err(String),
}

impl<'de, T: DeserializeOwned> serde::Deserialize<'de> for Lenient<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match T::deserialize(d) {
            Ok(value) => Lenient::Ok(value),
            Err(err) => Lenient::Err(err.to_string()),
        })
    }
}

/// Wraps a deserializer so its failures are also recorded for
/// [`load_config`].
struct Strict<D> {
    inner: D,
    errors: Errors,
}

impl<D> Strict<D> {
    fn new(inner: D, errors: &Errors) -> Self {
        Self {
            inner,
            errors: Arc::clone(errors),
        }
    }
}

impl<D> Deserialize for Strict<D>
where
    D: Deserialize,
    D::Config: 'static,
{
    type Trait = D::Trait;
    type Config = Lenient<D::Config>;

    fn deserialize(
        &self,
        config: Self::Config,
        deserializers: &Deserializers,
    ) -> anyhow::Result<Box<Self::Trait>> {
        let result = match config {
            Lenient::Ok(config) => self.inner.deserialize(config, deserializers),
            Lenient::Err(err) => Err(anyhow!(err)),
        };
        if let Err(err) = &result {
            self.errors
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(format!("{err:#}"));
        }
        result
    }
}

/// `kind: console`, switched off by `settings.console = false`.
struct ConsoleDeserializer {
    enabled: bool,
}

impl Deserialize for ConsoleDeserializer {
    type Trait = dyn Append;
    type Config = ConsoleAppenderConfig;

    fn deserialize(
        &self,
        config: ConsoleAppenderConfig,
        deserializers: &Deserializers,
    ) -> anyhow::Result<Box<dyn Append>> {
        // Build it either way so a broken console section is still reported.
        let console = ConsoleAppenderDeserializer.deserialize(config, deserializers)?;
        if self.enabled {
            Ok(console)
        } else {
            Ok(Box::new(NullAppender))
        }
    }
}

/// Discards records; stands in for a disabled console.
#[derive(Debug)]
struct NullAppender;

impl Append for NullAppender {
    fn append(&self, _record: &log::Record) -> anyhow::Result<()> {
        Ok(())
    }

    fn flush(&self) {}
}

/// YAML fields of `kind: daily_file`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DailyFileConfig {
    /// Relative to LOG_DIR (`directory: bot`) or absolute.
    directory: PathBuf,
    /// IANA name, e.g. `Asia/Jakarta`; defaults to BOT_TIMEZONE.
    timezone: Option<String>,
    /// Defaults to `autoorder_line` in the appender's time zone.
    encoder: Option<EncoderConfig>,
}

struct DailyFileDeserializer {
    log_dir: PathBuf,
    default_tz: Tz,
}

impl Deserialize for DailyFileDeserializer {
    type Trait = dyn Append;
    type Config = DailyFileConfig;

    fn deserialize(
        &self,
        config: DailyFileConfig,
        deserializers: &Deserializers,
    ) -> anyhow::Result<Box<dyn Append>> {
        if config.directory.as_os_str().is_empty() {
            bail!("daily_file: `directory` must not be empty");
        }
        let tz = parse_tz(config.timezone.as_deref(), self.default_tz)?;
        let encoder: Box<dyn Encode> = match config.encoder {
            Some(encoder) => deserializers.deserialize(&encoder.kind, encoder.config)?,
            None => Box::new(LineEncoder::new(tz)),
        };
        // `join` keeps an absolute `directory` as is.
        let dir = self.log_dir.join(config.directory);
        Ok(Box::new(DailyFileAppender::new(dir, tz, encoder)))
    }
}

/// YAML fields of `kind: autoorder_line`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct LineEncoderConfig {
    /// IANA name; defaults to BOT_TIMEZONE.
    timezone: Option<String>,
}

struct LineEncoderDeserializer {
    default_tz: Tz,
}

impl Deserialize for LineEncoderDeserializer {
    type Trait = dyn Encode;
    type Config = LineEncoderConfig;

    fn deserialize(
        &self,
        config: LineEncoderConfig,
        _deserializers: &Deserializers,
    ) -> anyhow::Result<Box<dyn Encode>> {
        let tz = parse_tz(config.timezone.as_deref(), self.default_tz)?;
        Ok(Box::new(LineEncoder::new(tz)))
    }
}

fn parse_tz(name: Option<&str>, default: Tz) -> anyhow::Result<Tz> {
    match name {
        None => Ok(default),
        Some(name) => {
            Tz::from_str(name.trim()).map_err(|err| anyhow!("unknown timezone `{name}`: {err}"))
        }
    }
}
