//! Integration tests for `autoorder::logging`: line format, daily files and
//! the local-midnight switch, redaction, maintenance, YAML loading and
//! routing. No test installs the global logger: loggers are built from a
//! config and driven through `log::Log::log` directly.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use autoorder::logging::{
    self, Clock, DailyFileAppender, LineEncoder, LogSettings, MaintenanceReport, fixed_clock,
};
use autoorder_actors::log_targets;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Jakarta;
use log::{Level, Log, Record};
use log4rs::append::Append;
use log4rs::encode::Encode;
use log4rs::encode::writer::simple::SimpleWriter;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("valid test instant")
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid test date")
}

/// `^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] \[(ERROR|WARN|INFO|DEBUG|TRACE)\] .*\n$`
/// written by hand (no regex crate in the dependency tree); returns the
/// message part.
fn parse_line(line: &str) -> Option<(&str, &str, &str)> {
    let rest = line.strip_suffix('\n')?;
    if rest.contains('\n') {
        return None;
    }
    let rest = rest.strip_prefix('[')?;
    let (stamp, rest) = rest.split_at_checked(19)?;
    let shape_ok = stamp.char_indices().all(|(i, c)| match i {
        4 | 7 => c == '-',
        10 => c == ' ',
        13 | 16 => c == ':',
        _ => c.is_ascii_digit(),
    });
    if !shape_ok {
        return None;
    }
    let rest = rest.strip_prefix("] [")?;
    let (level, message) = rest.split_once("] ")?;
    ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"]
        .contains(&level)
        .then_some((stamp, level, message))
}

fn encode(encoder: &dyn Encode, level: Level, target: &str, message: &str) -> String {
    let mut buf = Vec::new();
    encoder
        .encode(
            &mut SimpleWriter(&mut buf),
            &Record::builder()
                .args(format_args!("{message}"))
                .level(level)
                .target(target)
                .build(),
        )
        .expect("encode into memory");
    String::from_utf8(buf).expect("utf-8 line")
}

fn append(appender: &dyn Append, level: Level, target: &str, message: &str) {
    appender
        .append(
            &Record::builder()
                .args(format_args!("{message}"))
                .level(level)
                .target(target)
                .build(),
        )
        .expect("append");
}

fn log_to(logger: &dyn Log, level: Level, target: &str, message: &str) {
    logger.log(
        &Record::builder()
            .args(format_args!("{message}"))
            .level(level)
            .target(target)
            .build(),
    );
}

/// A clock tests can move; seconds since the epoch.
fn movable_clock(start: DateTime<Utc>) -> (Arc<AtomicI64>, Clock) {
    let secs = Arc::new(AtomicI64::new(start.timestamp()));
    let read = Arc::clone(&secs);
    let clock: Clock = Arc::new(move || {
        DateTime::from_timestamp(read.load(Ordering::SeqCst), 0).unwrap_or_default()
    });
    (secs, clock)
}

/// Every `.log` file under `dir`, concatenated (by name order).
fn read_logs(dir: &Path) -> String {
    let Ok(entries) = fs::read_dir(dir) else {
        return String::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| fs::read_to_string(p).expect("read log"))
        .collect()
}

fn quiet_settings(dir: &Path) -> LogSettings {
    LogSettings {
        console: false,
        ..LogSettings::new(dir)
    }
}

fn yaml_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("conf/log4rs.yaml")
}

#[test]
fn line_format_is_exact() {
    let encoder = LineEncoder::with_clock(Jakarta, fixed_clock(utc(2024, 3, 5, 10, 11, 12)));
    assert_eq!(
        encode(&encoder, Level::Info, "payment", "order #42 paid"),
        "[2024-03-05 17:11:12] [INFO] order #42 paid\n"
    );
    for (level, name) in [
        (Level::Error, "ERROR"),
        (Level::Warn, "WARN"),
        (Level::Info, "INFO"),
        (Level::Debug, "DEBUG"),
        (Level::Trace, "TRACE"),
    ] {
        let line = encode(&encoder, level, "bot", "hello world");
        assert_eq!(
            parse_line(&line),
            Some(("2024-03-05 17:11:12", name, "hello world")),
            "{line:?}"
        );
    }
    // The matcher itself rejects near misses.
    for bad in [
        "[2024-03-05 17:11:12] [INFO] x",
        "[2024-03-05T17:11:12] [INFO] x\n",
        "[2024-03-05 17:11:12] [WARNING] x\n",
        "2024-03-05 17:11:12 [INFO] x\n",
    ] {
        assert_eq!(parse_line(bad), None, "{bad:?}");
    }
}

#[test]
fn file_is_named_by_local_date_not_utc() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("bot");
    // 20:00Z on the 5th is 03:00 WIB on the 6th.
    let clock = fixed_clock(utc(2024, 3, 5, 20, 0, 0));
    let appender =
        DailyFileAppender::with_clock(&dir, Jakarta, Box::new(LineEncoder::new(Jakarta)), clock);
    append(&appender, Level::Info, "bot", "/start from 1001");
    assert_eq!(
        fs::read_to_string(dir.join("2024-03-06.log")).expect("local-date file"),
        "[2024-03-06 03:00:00] [INFO] /start from 1001\n"
    );
    assert!(!dir.join("2024-03-05.log").exists());
    assert_eq!(
        appender.path_for(date("2024-03-06")),
        dir.join("2024-03-06.log")
    );
}

#[test]
fn switches_file_at_local_midnight() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("payment");
    let (secs, clock) = movable_clock(utc(2024, 3, 5, 16, 59, 59));
    let appender =
        DailyFileAppender::with_clock(&dir, Jakarta, Box::new(LineEncoder::new(Jakarta)), clock);

    append(&appender, Level::Info, "payment", "before midnight");
    secs.fetch_add(1, Ordering::SeqCst); // 17:00:00Z = 00:00:00 WIB on the 6th
    append(&appender, Level::Info, "payment", "after midnight");

    assert_eq!(
        fs::read_to_string(dir.join("2024-03-05.log")).expect("day D"),
        "[2024-03-05 23:59:59] [INFO] before midnight\n"
    );
    assert_eq!(
        fs::read_to_string(dir.join("2024-03-06.log")).expect("day D+1"),
        "[2024-03-06 00:00:00] [INFO] after midnight\n"
    );
}

#[test]
fn registered_secrets_never_reach_the_line() {
    let token = "7712345678:AAF-integration-test-token";
    logging::register_secrets([token.to_owned(), "pw1".to_owned()]);
    let encoder = LineEncoder::with_clock(Jakarta, fixed_clock(utc(2024, 1, 1, 0, 0, 0)));
    let line = encode(
        &encoder,
        Level::Error,
        "bot",
        &format!("POST https://api.telegram.org/bot{token}/sendMessage failed; pw1 kept"),
    );
    assert!(!line.contains(token), "{line}");
    assert_eq!(
        line,
        "[2024-01-01 07:00:00] [ERROR] POST https://api.telegram.org/bot[redacted]/sendMessage failed; pw1 kept\n"
    );
}

#[test]
fn maintenance_compresses_expires_and_leaves_the_rest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let payment = root.join("payment");
    let bot = root.join("bot");
    fs::create_dir_all(&payment).expect("mkdir");
    fs::create_dir_all(&bot).expect("mkdir");

    let yesterday = b"[2024-04-09 10:00:00] [INFO] paid\n[2024-04-09 11:00:00] [WARN] late\n";
    fs::write(payment.join("2024-04-09.log"), yesterday).expect("write");
    fs::write(payment.join("2024-04-10.log"), b"today\n").expect("write");
    fs::write(payment.join("2024-01-10.log"), b"last kept day\n").expect("write");
    fs::write(payment.join("2024-01-09.log"), b"expired\n").expect("write");
    fs::write(bot.join("2023-12-01.log.zst"), b"expired archive").expect("write");
    fs::write(bot.join("notes.txt"), b"mine").expect("write");
    fs::write(bot.join("2024-04-01.log.bak"), b"mine too").expect("write");
    fs::write(root.join("2024-04-01.log"), b"not in a component dir").expect("write");

    // 2024-04-10 minus 91 days = 2024-01-10: the cutoff day itself is kept.
    let report = logging::run_maintenance(root, date("2024-04-10"), 91).expect("maintenance");
    assert_eq!(report.compressed, 2, "{report:?}");
    assert_eq!(report.deleted, 2, "{report:?}");
    assert!(report.bytes_freed > 0);

    let archive = payment.join("2024-04-09.log.zst");
    let restored =
        zstd::stream::decode_all(fs::File::open(&archive).expect("archive")).expect("zstd");
    assert_eq!(restored, yesterday);
    assert!(!payment.join("2024-04-09.log").exists());
    assert!(payment.join("2024-01-10.log.zst").exists());
    assert_eq!(
        fs::read(payment.join("2024-04-10.log")).expect("today kept"),
        b"today\n"
    );
    assert!(!payment.join("2024-01-09.log").exists());
    assert!(!bot.join("2023-12-01.log.zst").exists());
    assert_eq!(fs::read(bot.join("notes.txt")).expect("unrelated"), b"mine");
    assert!(bot.join("2024-04-01.log.bak").exists());
    assert!(root.join("2024-04-01.log").exists());

    // Idempotent.
    let again = logging::run_maintenance(root, date("2024-04-10"), 91).expect("maintenance");
    assert_eq!(again, MaintenanceReport::default());
    assert!(logging::dir_size(root).expect("size") > 0);
}

#[test]
fn shipped_yaml_parses_into_the_default_shape() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let settings = quiet_settings(tmp.path());
    let from_yaml = logging::load_config(&yaml_path(), &settings).expect("conf/log4rs.yaml");
    let default = logging::default_config(&LogSettings {
        console: true,
        ..settings
    })
    .expect("default config");

    let names = |c: &log4rs::Config| {
        let mut v: Vec<String> = c.appenders().iter().map(|a| a.name().to_owned()).collect();
        v.sort();
        v
    };
    assert_eq!(names(&from_yaml), names(&default));

    let loggers = |c: &log4rs::Config| {
        let mut v: Vec<(String, log::LevelFilter, bool, Vec<String>)> = c
            .loggers()
            .iter()
            .map(|l| {
                (
                    l.name().to_owned(),
                    l.level(),
                    l.additive(),
                    l.appenders().to_vec(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(loggers(&from_yaml), loggers(&default));
    assert_eq!(from_yaml.root().level(), default.root().level());
    assert_eq!(from_yaml.root().appenders(), default.root().appenders());
}

/// Sends one record per interesting target through `config` and checks which
/// component directory each landed in.
fn assert_routing(config: log4rs::Config, log_dir: &Path) {
    let logger = log4rs::Logger::new(config);
    log_to(
        &logger,
        Level::Info,
        log_targets::PAYMENT,
        "invoice 77 settled",
    );
    log_to(
        &logger,
        Level::Info,
        "autoorder::boot",
        "untargeted boot line",
    );
    log_to(
        &logger,
        Level::Info,
        "hyper::proto",
        "noisy info is dropped",
    );
    log_to(&logger, Level::Warn, "hyper::proto", "noisy warn is kept");
    Log::flush(&logger);

    let payment = read_logs(&log_dir.join(log_targets::PAYMENT));
    let app = read_logs(&log_dir.join(log_targets::APP));
    assert_eq!(payment.lines().count(), 1, "{payment}");
    assert!(payment.contains("[INFO] invoice 77 settled"), "{payment}");
    assert!(
        parse_line(
            payment
                .lines()
                .next()
                .map(|l| format!("{l}\n"))
                .as_deref()
                .unwrap_or("")
        )
        .is_some()
    );
    assert!(!app.contains("invoice 77"), "{app}");
    assert!(app.contains("[INFO] untargeted boot line"), "{app}");
    assert!(!app.contains("noisy info"), "{app}");
    assert!(app.contains("[WARN] noisy warn is kept"), "{app}");
    assert_eq!(read_logs(&log_dir.join(log_targets::BOT)), "");
}

#[test]
fn default_config_routes_targets_to_their_component() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = logging::default_config(&quiet_settings(tmp.path())).expect("default config");
    assert_routing(config, tmp.path());
}

#[test]
fn shipped_yaml_routes_targets_to_their_component() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config =
        logging::load_config(&yaml_path(), &quiet_settings(tmp.path())).expect("yaml config");
    assert_routing(config, tmp.path());
}

#[test]
fn yaml_directory_may_be_absolute_and_timezone_overridden() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let elsewhere = tmp.path().join("elsewhere");
    let file = tmp.path().join("custom.yaml");
    fs::write(
        &file,
        format!(
            "appenders:\n  f:\n    kind: daily_file\n    directory: {}\n    timezone: UTC\n    encoder:\n      kind: autoorder_line\n      timezone: UTC\nroot:\n  level: info\n  appenders: [f]\n",
            elsewhere.display()
        ),
    )
    .expect("write yaml");
    let config =
        logging::load_config(&file, &quiet_settings(&tmp.path().join("logs"))).expect("config");
    log_to(&log4rs::Logger::new(config), Level::Info, "x", "absolute");
    assert!(read_logs(&elsewhere).contains("] [INFO] absolute\n"));
    assert!(!tmp.path().join("logs").exists());
}

#[test]
fn invalid_yaml_is_an_error_naming_the_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let settings = quiet_settings(tmp.path());
    let cases = [
        ("syntax.yaml", "appenders: [unclosed\n"),
        (
            "field.yaml",
            "appenders:\n  f:\n    kind: daily_file\n    directry: bot\nroot:\n  appenders: [f]\n",
        ),
        (
            "tz.yaml",
            "appenders:\n  f:\n    kind: daily_file\n    directory: bot\n    timezone: Mars/Olympus\nroot:\n  appenders: [f]\n",
        ),
        (
            "kind.yaml",
            "appenders:\n  f:\n    kind: carrier_pigeon\nroot:\n  appenders: [f]\n",
        ),
        (
            "encoder.yaml",
            "appenders:\n  f:\n    kind: daily_file\n    directory: bot\n    encoder:\n      kind: nope\nroot:\n  appenders: [f]\n",
        ),
    ];
    for (name, body) in cases {
        let path = tmp.path().join(name);
        fs::write(&path, body).expect("write yaml");
        let err = logging::load_config(&path, &settings).expect_err(name);
        assert!(format!("{err:#}").contains(name), "{name}: {err:#}");

        // `init` fails the same way, before installing anything.
        let err = logging::init(&LogSettings {
            config_file: Some(path.clone()),
            ..settings.clone()
        })
        .expect_err(name);
        assert!(format!("{err:#}").contains(name), "{name}: {err:#}");
    }
}
