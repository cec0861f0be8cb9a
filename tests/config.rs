//! Integration tests of configuration loading: defaults, every validation rule, the
//! all-problems-at-once report, secret hygiene, TOML flattening, the example files and the
//! generated webhook secret. The process environment is never touched: values go through
//! `Source::layered`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use autoorder::config::{
    Config, ConfigError, ConfigErrors, DatabaseUrl, Source, TelegramMode, ensure_webhook_secret,
};

const TOKEN: &str = "123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZabcd_-01";

fn pairs(values: &[(&str, &str)]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

fn load(values: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
    let source = Source::layered(None, pairs(values))?;
    Config::from_source(&source)
}

/// Loads the token plus `values`.
fn with_token(values: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
    let mut all = vec![("TELEGRAM_BOT_TOKEN", TOKEN)];
    all.extend_from_slice(values);
    load(&all)
}

fn ok(values: &[(&str, &str)]) -> Config {
    match with_token(values) {
        Ok(config) => config,
        Err(errors) => panic!("expected a valid configuration, got:\n{errors}"),
    }
}

fn fail(values: &[(&str, &str)]) -> ConfigErrors {
    match with_token(values) {
        Ok(config) => panic!("expected errors for {values:?}, got {config:?}"),
        Err(errors) => errors,
    }
}

fn only_error_for<'a>(errors: &'a ConfigErrors, variable: &str) -> &'a ConfigError {
    let found: Vec<_> = errors.for_variable(variable).collect();
    assert_eq!(
        found.len(),
        1,
        "one error for {variable} expected in:\n{errors}"
    );
    found[0]
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}

#[test]
fn defaults_with_only_the_token() {
    let config = ok(&[]);
    let t = &config.telegram;
    assert_eq!(t.bot_token.expose(), TOKEN);
    assert!(t.owner_bot_token.is_none());
    assert!(t.admin_ids.is_empty() && t.owner_ids.is_empty());
    assert_eq!(t.mode, TelegramMode::Auto);
    assert!(t.webhook_url.is_none() && t.webhook_secret.is_none());
    assert_eq!(t.api_url, "https://api.telegram.org");
    assert_eq!(t.send_rate, 25);
    assert_eq!(t.webhook_path(), "/telegram");

    let p = &config.pakasir;
    assert!(p.project_slug.is_none() && p.api_key.is_none() && p.webhook_secret.is_none());
    assert_eq!(p.base_url, "https://app.pakasir.com");
    assert_eq!(p.failure_alert_threshold, 3);

    assert_eq!(config.data_dir, PathBuf::from("./data"));
    assert_eq!(config.log_dir, PathBuf::from("./logs"));
    assert_eq!(
        config.database,
        DatabaseUrl::Sqlite(PathBuf::from("./data").join("autoorder.db"))
    );
    assert_eq!(config.http_addr.to_string(), "0.0.0.0:8080");
    assert_eq!(config.store_name, "Toko Digital");
    assert_eq!(config.timezone, chrono_tz::Asia::Jakarta);
    assert!(config.data_keys.is_empty());
    assert_eq!(config.log_retention_days, 90);
    assert_eq!(config.snk_retention_days, 30);
    assert_eq!(config.low_stock_threshold, 3);

    let b = &config.backup;
    assert!(b.enabled && !b.automatic_offsite);
    assert_eq!(b.time.to_string(), "02:00:00");
    assert_eq!(b.local_dir, PathBuf::from("./data").join("backups"));
    assert!(b.offsite_dir.is_none() && b.encryption_password.is_none());
    assert!(b.recipients.is_empty() && b.s3.is_none());

    let h = &config.health;
    assert!(h.enabled && h.owner_alerts);
    assert_eq!(h.interval, Duration::from_secs(5 * 60));
    assert_eq!(
        (h.cpu_threshold, h.memory_threshold, h.disk_threshold),
        (80, 80, 85)
    );
    assert_eq!(h.log_usage_threshold_mb, 512);
    assert_eq!(h.alert_reminder, Duration::from_secs(60 * 60));
    assert_eq!(h.owner_alert_threshold, log::LevelFilter::Error);
    assert_eq!(h.owner_summary_time.to_string(), "21:00:00");
    assert_eq!(h.credential_rotation_days, 90);
}

#[test]
fn every_setting_is_read() {
    let config = ok(&[
        ("OWNER_BOT_TOKEN", "42:zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"),
        ("TELEGRAM_ADMIN_IDS", " 1, 2 ,3,"),
        ("TELEGRAM_OWNER_IDS", "77"),
        ("TELEGRAM_MODE", "Webhook"),
        ("TELEGRAM_WEBHOOK_URL", "https://shop.example.com/hooks/tg"),
        ("TELEGRAM_WEBHOOK_SECRET", "abc_DEF-123"),
        ("TELEGRAM_API_URL", "http://127.0.0.1:8081/"),
        ("TELEGRAM_SEND_RATE", "30"),
        ("PAKASIR_PROJECT_SLUG", "toko-1"),
        ("PAKASIR_API_KEY", "key123"),
        ("PAKASIR_WEBHOOK_SECRET", "12345678"),
        ("PAKASIR_BASE_URL", "https://pakasir.test//"),
        ("PAYMENT_FAILURE_ALERT_THRESHOLD", "5"),
        ("DATA_DIR", "/var/lib/shop"),
        ("LOG_DIR", "/var/log/shop"),
        ("HTTP_ADDR", "127.0.0.1:9000"),
        ("BOT_STORE_NAME", "Warung Pulsa"),
        ("BOT_TIMEZONE", "Asia/Makassar"),
        ("SNK_RETENTION_DAYS", "7"),
        ("LOW_STOCK_THRESHOLD", "0"),
        ("LOG_RETENTION_DAYS", "14"),
        ("CREDENTIAL_ROTATION_DAYS", "30"),
        ("ALERT_REMINDER_MINUTES", "15"),
        ("HEALTHCHECK_INTERVAL_MINUTES", "10"),
        ("HEALTHCHECK_INTERVAL_SECONDS", "45"),
        ("LOG_USAGE_THRESHOLD_MB", "2048"),
        ("HEALTH_CPU_THRESHOLD", "90"),
        ("HEALTH_MEMORY_THRESHOLD", "100"),
        ("HEALTH_DISK_THRESHOLD", "1"),
        ("ENABLE_AUTO_BACKUP", "off"),
        ("BACKUP_AUTOMATIC_OFFSITE", "YES"),
        ("ENABLE_OWNER_ALERTS", "0"),
        ("ENABLE_AUTO_HEALTHCHECK", "False"),
        ("OWNER_ALERT_THRESHOLD", "critical"),
        ("BACKUP_TIME", "3:30"),
        ("OWNER_SUMMARY_TIME", "23:59"),
        ("BACKUP_OFFSITE_DIR", "/mnt/nas"),
        ("BACKUP_ENCRYPTION_PASSWORD", "twelve chars"),
        ("BACKUP_RECIPIENTS", "age1abc, age1def0"),
    ]);
    let t = &config.telegram;
    assert!(t.owner_bot_token.is_some());
    assert_eq!(t.admin_ids, vec![1, 2, 3]);
    assert_eq!(t.owner_ids, vec![77]);
    assert_eq!(t.mode, TelegramMode::Webhook);
    assert_eq!(t.webhook_path(), "/hooks/tg");
    assert_eq!(
        t.webhook_secret.as_ref().map(|s| s.expose().as_str()),
        Some("abc_DEF-123")
    );
    assert_eq!(t.api_url, "http://127.0.0.1:8081");
    assert_eq!(t.send_rate, 30);
    assert_eq!(config.pakasir.project_slug.as_deref(), Some("toko-1"));
    assert_eq!(config.pakasir.base_url, "https://pakasir.test");
    assert_eq!(config.pakasir.failure_alert_threshold, 5);
    assert_eq!(
        config.database,
        DatabaseUrl::Sqlite(PathBuf::from("/var/lib/shop/autoorder.db"))
    );
    assert_eq!(
        config.backup.local_dir,
        PathBuf::from("/var/lib/shop/backups")
    );
    assert_eq!(config.backup.offsite_dir, Some(PathBuf::from("/mnt/nas")));
    assert_eq!(config.log_dir, PathBuf::from("/var/log/shop"));
    assert_eq!(config.http_addr.to_string(), "127.0.0.1:9000");
    assert_eq!(config.store_name, "Warung Pulsa");
    assert_eq!(config.timezone, chrono_tz::Asia::Makassar);
    assert_eq!(
        (
            config.snk_retention_days,
            config.low_stock_threshold,
            config.log_retention_days
        ),
        (7, 0, 14)
    );
    let h = &config.health;
    assert_eq!(
        h.interval,
        Duration::from_secs(45),
        "seconds win over minutes"
    );
    assert_eq!(h.alert_reminder, Duration::from_secs(15 * 60));
    assert_eq!(
        (h.cpu_threshold, h.memory_threshold, h.disk_threshold),
        (90, 100, 1)
    );
    assert_eq!(h.log_usage_threshold_mb, 2048);
    assert!(!h.enabled && !h.owner_alerts);
    assert_eq!(h.owner_alert_threshold, log::LevelFilter::Error);
    assert_eq!(h.owner_summary_time.to_string(), "23:59:00");
    assert_eq!(h.credential_rotation_days, 30);
    let b = &config.backup;
    assert!(!b.enabled && b.automatic_offsite);
    assert_eq!(b.time.to_string(), "03:30:00");
    assert!(b.encryption_password.is_some());
    assert_eq!(b.recipients, vec!["age1abc", "age1def0"]);

    let minutes = ok(&[("HEALTHCHECK_INTERVAL_MINUTES", "10")]);
    assert_eq!(minutes.health.interval, Duration::from_secs(600));
    let warn = ok(&[("OWNER_ALERT_THRESHOLD", "WARNING")]);
    assert_eq!(warn.health.owner_alert_threshold, log::LevelFilter::Warn);
}

#[test]
fn missing_token_is_reported() {
    let errors = load(&[]).expect_err("the token is required");
    let error = only_error_for(&errors, "TELEGRAM_BOT_TOKEN");
    assert!(error.problem.contains("not set"), "{error}");
    assert!(error.expected.contains("<digits>:"), "{error}");
}

#[test]
fn the_error_line_has_the_documented_shape() {
    let errors = fail(&[("TELEGRAM_MODE", "pool")]);
    assert_eq!(
        errors.to_string(),
        "TELEGRAM_MODE: got \"pool\"; expected one of webhook, polling, auto"
    );
}

#[test]
fn every_error_names_its_variable_and_the_expected_form() {
    // (variable, bad value, a piece of the expected form)
    let cases: &[(&str, &str, &str)] = &[
        ("TELEGRAM_BOT_TOKEN", "123:short", "at least 30"),
        (
            "TELEGRAM_BOT_TOKEN",
            "abc:ABCDEFGHIJKLMNOPQRSTUVWXYZabcd_-01",
            "<digits>",
        ),
        ("OWNER_BOT_TOKEN", "not a token", "<digits>:"),
        ("TELEGRAM_ADMIN_IDS", "12,abc", "positive"),
        ("TELEGRAM_OWNER_IDS", "-5", "positive"),
        ("TELEGRAM_MODE", "push", "webhook, polling, auto"),
        (
            "TELEGRAM_WEBHOOK_URL",
            "http://shop.example.com/tg",
            "https://",
        ),
        ("TELEGRAM_WEBHOOK_URL", "shop.example.com/tg", "https://"),
        ("TELEGRAM_WEBHOOK_SECRET", "has space", "A-Z a-z 0-9 _ -"),
        ("TELEGRAM_API_URL", "api.telegram.org", "http"),
        ("TELEGRAM_SEND_RATE", "31", "1 to 30"),
        ("TELEGRAM_SEND_RATE", "0", "1 to 30"),
        ("PAKASIR_BASE_URL", "ftp://pakasir", "http"),
        ("PAKASIR_PROJECT_SLUG", "Toko Besar", "a-z 0-9"),
        ("PAKASIR_WEBHOOK_SECRET", "short", "8–128"),
        ("PAYMENT_FAILURE_ALERT_THRESHOLD", "0", "at least 1"),
        ("DATABASE_URL", "mysql://db/shop", "postgres://"),
        ("HTTP_ADDR", "8080", "socket address"),
        ("BOT_STORE_NAME", &"x".repeat(65), "1–64"),
        ("BOT_TIMEZONE", "Jakarta", "IANA"),
        ("DATA_ENCRYPTION_KEY", "abcd", "64 hex"),
        ("SNK_RETENTION_DAYS", "0", "at least 1"),
        ("LOW_STOCK_THRESHOLD", "-1", "whole number"),
        ("LOG_RETENTION_DAYS", "ninety", "at least 1"),
        ("CREDENTIAL_ROTATION_DAYS", "0", "at least 1"),
        ("ALERT_REMINDER_MINUTES", "0", "at least 1"),
        ("HEALTHCHECK_INTERVAL_MINUTES", "0", "at least 1"),
        ("HEALTHCHECK_INTERVAL_SECONDS", "0", "at least 1"),
        ("LOG_USAGE_THRESHOLD_MB", "0", "at least 1"),
        ("HEALTH_CPU_THRESHOLD", "101", "1 to 100"),
        ("HEALTH_MEMORY_THRESHOLD", "0", "1 to 100"),
        ("HEALTH_DISK_THRESHOLD", "85%", "1 to 100"),
        ("ENABLE_AUTO_BACKUP", "maybe", "true or false"),
        ("BACKUP_AUTOMATIC_OFFSITE", "2", "true or false"),
        ("ENABLE_OWNER_ALERTS", "enabled", "true or false"),
        ("ENABLE_AUTO_HEALTHCHECK", "y", "true or false"),
        ("OWNER_ALERT_THRESHOLD", "LOUD", "log level"),
        ("BACKUP_TIME", "25:00", "HH:MM"),
        ("OWNER_SUMMARY_TIME", "9pm", "HH:MM"),
        ("BACKUP_ENCRYPTION_PASSWORD", "short", "at least 12"),
        ("BACKUP_RECIPIENTS", "age1ok,ssh-ed25519 AAAA", "age1"),
        ("BACKUP_RECIPIENTS", "age1UPPER", "age1"),
        ("BACKUP_S3_REGION", "us east", "region"),
    ];
    for (variable, value, expected) in cases {
        let errors = fail(&[(variable, value)]);
        let error = only_error_for(&errors, variable);
        assert!(
            error.expected.contains(expected),
            "{variable}={value:?}: expected form {:?} lacks {expected:?}",
            error.expected
        );
        assert!(!error.problem.is_empty());
        assert!(
            errors.to_string().starts_with(&format!("{variable}: ")),
            "{errors}"
        );
    }
}

#[test]
fn several_bad_variables_are_reported_together() {
    let errors = load(&[
        ("TELEGRAM_MODE", "pool"),
        ("TELEGRAM_SEND_RATE", "100"),
        ("BOT_TIMEZONE", "Mars/Olympus"),
        ("HEALTH_DISK_THRESHOLD", "0"),
        ("BACKUP_TIME", "noon"),
    ])
    .expect_err("all of these are wrong");
    for variable in [
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_MODE",
        "TELEGRAM_SEND_RATE",
        "BOT_TIMEZONE",
        "HEALTH_DISK_THRESHOLD",
        "BACKUP_TIME",
    ] {
        only_error_for(&errors, variable);
    }
    assert_eq!(errors.0.len(), 6, "{errors}");
    assert_eq!(errors.to_string().lines().count(), 6, "one line per error");
}

#[test]
fn secret_values_never_appear_in_errors() {
    let bad: &[(&str, &str)] = &[
        ("TELEGRAM_BOT_TOKEN", "LEAKBOT"),
        ("OWNER_BOT_TOKEN", "LEAKOWNER01"),
        ("TELEGRAM_WEBHOOK_SECRET", "LEAK TGHOOK01"),
        ("PAKASIR_API_KEY", "LEAK PAKKEY01"),
        ("PAKASIR_WEBHOOK_SECRET", "LEAK PH01"),
        (
            "DATA_ENCRYPTION_KEY",
            "LEAKDEK1,mykey:LEAKDEK2,bad id!:LEAKDEK3",
        ),
        ("BACKUP_ENCRYPTION_PASSWORD", "LEAKPW01"),
        ("BACKUP_S3_ACCESS_KEY_ID", "LEAK AKID01"),
        ("BACKUP_S3_SECRET_ACCESS_KEY", "LEAK SAK01"),
        ("DATABASE_URL", "mysql://shop:LEAKDBPW@db/shop"),
    ];
    let errors = load(bad).expect_err("every value above is invalid");
    for (variable, _) in bad {
        assert!(
            errors.for_variable(variable).next().is_some(),
            "{variable} not reported:\n{errors}"
        );
    }
    let text = format!("{errors}\n{errors:?}");
    assert!(!text.contains("LEAK"), "a secret leaked:\n{text}");
    assert!(text.contains("a value of 7 characters"), "{text}");
    assert!(text.contains("mysql://shop:***@db/shop"), "{text}");

    let source = Source::layered(None, pairs(bad)).expect("source");
    assert!(!format!("{source:?}").contains("LEAK"));
}

#[test]
fn secret_values_never_appear_in_debug_output() {
    let config = ok(&[
        ("OWNER_BOT_TOKEN", "1:SECRETOWNERSECRETOWNERSECRETOWNER"),
        ("TELEGRAM_WEBHOOK_SECRET", "SECRET_tg"),
        ("PAKASIR_PROJECT_SLUG", "toko"),
        ("PAKASIR_API_KEY", "SECRET_pakasir"),
        ("PAKASIR_WEBHOOK_SECRET", "SECRET_ph"),
        ("DATABASE_URL", "postgres://shop:SECRETDB@db:5432/shop"),
        (
            "DATA_ENCRYPTION_KEY",
            "5ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2e75ec2",
        ),
        ("BACKUP_ENCRYPTION_PASSWORD", "SECRET passphrase"),
        ("BACKUP_S3_ENDPOINT", "https://s3.example.com"),
        ("BACKUP_S3_BUCKET", "b"),
        ("BACKUP_S3_ACCESS_KEY_ID", "SECRETAKID"),
        ("BACKUP_S3_SECRET_ACCESS_KEY", "SECRETSAK"),
    ]);
    let debug = format!("{config:?}");
    for needle in [
        "SECRET", TOKEN, "5ec2e7", "[94, 194", /* first key bytes */
    ] {
        assert!(!debug.contains(needle), "{needle} in {debug}");
    }
    assert!(debug.contains("[redacted]"));
}

#[test]
fn toml_flattens_and_the_environment_wins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "autoorder.toml",
        r#"
TELEGRAM_MODE = "polling"
low_stock_threshold = 9
enable_auto_backup = false

[telegram]
bot_token = "1:FILEFILEFILEFILEFILEFILEFILEFILEFILE"
admin_ids = [1, 2]
send_rate = 10
webhook_url = ""

[bot]
store_name = "Toko File"

[backup]
time = 04:15

[backup.s3]
endpoint = "https://s3.example.com/"
bucket = "shop"
access_key_id = "AKID"
secret_access_key = "SAK"
"#,
    );
    let env = pairs(&[
        ("TELEGRAM_BOT_TOKEN", TOKEN),
        ("TELEGRAM_SEND_RATE", "20"),
        ("BOT_STORE_NAME", ""),
        ("PATH", "/usr/bin"),
        ("SOMETHING_UNRELATED", "x"),
    ]);
    let source = Source::layered(Some(&file), env).expect("source");
    assert_eq!(source.get("TELEGRAM_ADMIN_IDS"), Some("1,2"));
    assert_eq!(source.get("TELEGRAM_MODE"), Some("polling"));
    assert_eq!(source.get("BACKUP_S3_BUCKET"), Some("shop"));
    assert_eq!(source.get("TELEGRAM_WEBHOOK_URL"), None, "empty is unset");
    assert_eq!(source.get("PATH"), None, "unrelated variables are ignored");
    assert_eq!(source.get("SOMETHING_UNRELATED"), None);

    let config = Config::from_source(&source).expect("valid");
    assert_eq!(config.telegram.bot_token.expose(), TOKEN, "env wins");
    assert_eq!(config.telegram.send_rate, 20, "env wins");
    assert_eq!(
        config.store_name, "Toko File",
        "an empty env value does not win"
    );
    assert_eq!(config.telegram.admin_ids, vec![1, 2]);
    assert_eq!(config.telegram.mode, TelegramMode::Polling);
    assert_eq!(config.low_stock_threshold, 9);
    assert!(!config.backup.enabled);
    assert_eq!(config.backup.time.to_string(), "04:15:00");
    let s3 = config.backup.s3.expect("complete S3 set");
    assert_eq!(s3.endpoint, "https://s3.example.com");
    assert_eq!(s3.bucket, "shop");
    assert_eq!(s3.region, "us-east-1");
    assert_eq!(s3.prefix, "");
    assert_eq!(s3.access_key_id.expose(), "AKID");

    // A bad value from the file says where it came from.
    let bad = write(dir.path(), "bad.toml", "[telegram]\nmode = \"pool\"\n");
    let source =
        Source::layered(Some(&bad), pairs(&[("TELEGRAM_BOT_TOKEN", TOKEN)])).expect("source");
    let errors = Config::from_source(&source).expect_err("bad mode");
    let error = only_error_for(&errors, "TELEGRAM_MODE");
    assert!(error.problem.contains("bad.toml"), "{error}");
}

#[test]
fn unknown_toml_keys_are_reported_with_a_suggestion() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "typo.toml",
        "[telegram]\nbot_tokn = \"x\"\nowner_bot_token = \"y\"\n\n[weird]\nzzz = 1\n",
    );
    let errors = Source::layered(Some(&file), Vec::new()).expect_err("unknown keys");
    let text = errors.to_string();
    assert_eq!(errors.0.len(), 3, "{text}");
    assert!(
        text.contains("telegram.bot_tokn") && text.contains("typo.toml"),
        "{text}"
    );
    assert!(text.contains("did you mean TELEGRAM_BOT_TOKEN?"), "{text}");
    assert!(text.contains("did you mean OWNER_BOT_TOKEN?"), "{text}");
    let weird = only_error_for(&errors, "WEIRD_ZZZ");
    assert!(!weird.expected.contains("did you mean"), "{weird}");

    let twice = write(
        dir.path(),
        "twice.toml",
        "TELEGRAM_MODE = \"auto\"\n[telegram]\nmode = \"polling\"\n",
    );
    let errors = Source::layered(Some(&twice), Vec::new()).expect_err("set twice");
    only_error_for(&errors, "TELEGRAM_MODE");
}

#[test]
fn an_unparsable_file_names_the_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "broken.toml",
        "[telegram]\nmode = \"auto\"\nbot_token = 1:LEAKLEAK\n",
    );
    let errors = Source::layered(Some(&file), Vec::new()).expect_err("broken TOML");
    let text = errors.to_string();
    assert!(text.contains("broken.toml"), "{text}");
    assert!(text.contains("line 3"), "{text}");
    assert!(!text.contains("LEAK"), "{text}");

    let missing = dir.path().join("missing.toml");
    let errors = Source::layered(Some(&missing), Vec::new()).expect_err("missing file");
    assert!(errors.to_string().contains("missing.toml"));
}

#[test]
fn database_url_variants() {
    let cases: &[(&str, DatabaseUrl)] = &[
        (
            "sqlite:///var/lib/shop.db",
            DatabaseUrl::Sqlite("/var/lib/shop.db".into()),
        ),
        (
            "sqlite://./data/x.db?mode=rwc",
            DatabaseUrl::Sqlite("./data/x.db".into()),
        ),
        (
            "sqlite:shop.sqlite",
            DatabaseUrl::Sqlite("shop.sqlite".into()),
        ),
        (
            "/srv/bot/shop.db",
            DatabaseUrl::Sqlite("/srv/bot/shop.db".into()),
        ),
        (
            "relative.sqlite",
            DatabaseUrl::Sqlite("relative.sqlite".into()),
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(
            &ok(&[("DATABASE_URL", value)]).database,
            expected,
            "{value}"
        );
    }
    for value in [
        "postgres://shop:pw@db:5432/shop",
        "postgresql://shop@db/shop",
    ] {
        match ok(&[("DATABASE_URL", value)]).database {
            DatabaseUrl::Postgres(url) => assert_eq!(url.expose(), value),
            other => panic!("{value} gave {other:?}"),
        }
    }
    match ok(&[("DATABASE_URL", "postgresql+asyncpg://shop@db/shop")]).database {
        DatabaseUrl::Postgres(url) => assert_eq!(url.expose(), "postgresql://shop@db/shop"),
        other => panic!("{other:?}"),
    }
    for bad in [
        "mysql://db/shop",
        "shop",
        "postgres://",
        "sqlite://",
        "data.txt",
    ] {
        let errors = fail(&[("DATABASE_URL", bad)]);
        only_error_for(&errors, "DATABASE_URL");
    }
}

#[test]
fn data_encryption_keys() {
    let hex_a = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
    let b64_b = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    let config = ok(&[("DATA_ENCRYPTION_KEY", hex_a)]);
    assert_eq!(config.data_keys.len(), 1);
    assert_eq!(config.data_keys[0].id, "k1");
    assert_eq!(config.data_keys[0].key.expose()[..2], [0x00, 0x11]);
    assert_eq!(config.data_keys[0].key.expose()[31], 0xff);

    let value = format!("{b64_b}, old_2024:{hex_a}, {hex_a}");
    let config = ok(&[("DATA_ENCRYPTION_KEY", &value)]);
    let ids: Vec<&str> = config.data_keys.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ids, ["k1", "old_2024", "k3"]);
    assert_eq!(
        config.data_keys[0].key.expose().to_vec(),
        (0u8..32).collect::<Vec<_>>()
    );

    let unpadded = ok(&[("DATA_ENCRYPTION_KEY", b64_b.trim_end_matches('='))]);
    assert_eq!(unpadded.data_keys[0].key, config.data_keys[0].key);

    let bad_cases = [
        format!("a:{hex_a},a:{b64_b}"),             // duplicate explicit id
        format!("{hex_a},k1:{b64_b}"),              // duplicate with a default id
        hex_a[..62].to_string(),                    // short hex
        format!("AAEC{b64_b}"),                     // 35 bytes of base64
        format!("this-id-is-far-too-long:{hex_a}"), // id over 16
        format!("bad id:{hex_a}"),                  // id with a space
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd".to_string(), // 30 bytes
    ];
    for bad in &bad_cases {
        let errors = fail(&[("DATA_ENCRYPTION_KEY", bad)]);
        let error = only_error_for(&errors, "DATA_ENCRYPTION_KEY");
        assert!(!error.to_string().contains(&hex_a[..20]), "{error}");
    }
    let duplicate = fail(&[("DATA_ENCRYPTION_KEY", &format!("a:{hex_a},a:{b64_b}"))]);
    assert!(duplicate.to_string().contains("used twice"), "{duplicate}");
}

#[test]
fn a_partial_s3_set_names_each_missing_variable() {
    let errors = fail(&[
        ("BACKUP_S3_ENDPOINT", "https://s3.example.com"),
        ("BACKUP_S3_ACCESS_KEY_ID", "AKID"),
    ]);
    for missing in ["BACKUP_S3_BUCKET", "BACKUP_S3_SECRET_ACCESS_KEY"] {
        let error = only_error_for(&errors, missing);
        assert!(error.problem.contains("not set"), "{error}");
        assert!(error.problem.contains("BACKUP_S3_ENDPOINT"), "{error}");
    }
    assert_eq!(errors.0.len(), 2, "{errors}");

    let region_only = fail(&[("BACKUP_S3_REGION", "auto")]);
    assert_eq!(region_only.0.len(), 4, "{region_only}");

    let complete = ok(&[
        ("BACKUP_S3_ENDPOINT", "https://s3.example.com"),
        ("BACKUP_S3_BUCKET", "shop"),
        ("BACKUP_S3_PREFIX", "/store-1"),
        ("BACKUP_S3_REGION", "auto"),
        ("BACKUP_S3_ACCESS_KEY_ID", "AKID"),
        ("BACKUP_S3_SECRET_ACCESS_KEY", "SAK"),
    ]);
    let s3 = complete.backup.s3.expect("s3");
    assert_eq!(
        (s3.prefix.as_str(), s3.region.as_str()),
        ("store-1", "auto")
    );
}

#[test]
fn pakasir_slug_and_key_come_together() {
    let errors = fail(&[("PAKASIR_PROJECT_SLUG", "toko")]);
    only_error_for(&errors, "PAKASIR_API_KEY");
    let errors = fail(&[("PAKASIR_API_KEY", "k")]);
    only_error_for(&errors, "PAKASIR_PROJECT_SLUG");
    let config = ok(&[("PAKASIR_WEBHOOK_SECRET", "only-the-secret")]);
    assert!(config.pakasir.webhook_secret.is_some());
}

#[test]
fn webhook_mode_needs_a_url() {
    let errors = fail(&[("TELEGRAM_MODE", "webhook")]);
    let error = only_error_for(&errors, "TELEGRAM_WEBHOOK_URL");
    assert!(error.problem.contains("TELEGRAM_MODE"), "{error}");
    assert_eq!(errors.0.len(), 1);

    let polling = ok(&[("TELEGRAM_MODE", "POLLING")]);
    assert_eq!(polling.telegram.mode, TelegramMode::Polling);

    for local in [
        "http://127.0.0.1:8443/tg",
        "http://localhost/tg",
        "https://10.0.0.1:88/x",
    ] {
        ok(&[
            ("TELEGRAM_MODE", "webhook"),
            ("TELEGRAM_WEBHOOK_URL", local),
        ]);
    }
}

#[test]
fn webhook_path_comes_from_the_url() {
    let path = |url: &str| ok(&[("TELEGRAM_WEBHOOK_URL", url)]).telegram.webhook_path();
    assert_eq!(path("https://shop.example.com/tg/update"), "/tg/update");
    assert_eq!(path("https://shop.example.com:8443/hook?x=1"), "/hook");
    assert_eq!(path("https://shop.example.com/"), "/telegram");
    assert_eq!(path("https://shop.example.com"), "/telegram");
}

#[test]
fn the_webhook_secret_is_generated_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data").join("nested");
    let data_dir_text = data_dir.to_str().expect("utf-8 temp path");
    let config = ok(&[("DATA_DIR", data_dir_text)]);

    let first = ensure_webhook_secret(&config).expect("generate");
    let secret = first.expose();
    assert_eq!(secret.len(), 48);
    assert!(
        secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    );
    let second = ensure_webhook_secret(&config).expect("reuse");
    assert_eq!(second.expose(), secret);

    let file = data_dir.join("telegram-webhook-secret");
    assert_eq!(
        std::fs::read_to_string(&file).expect("stored").trim(),
        secret
    );
    let leftovers: Vec<_> = std::fs::read_dir(&data_dir)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temp file left: {leftovers:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Another data directory gets another secret.
    let other_dir = dir.path().join("other");
    let other = ok(&[("DATA_DIR", other_dir.to_str().expect("utf-8"))]);
    assert_ne!(
        ensure_webhook_secret(&other).expect("other").expose(),
        secret
    );

    // A configured secret wins and nothing is written.
    let configured_dir = dir.path().join("configured");
    let configured = ok(&[
        ("DATA_DIR", configured_dir.to_str().expect("utf-8")),
        ("TELEGRAM_WEBHOOK_SECRET", "from-config"),
    ]);
    assert_eq!(
        ensure_webhook_secret(&configured)
            .expect("configured")
            .expose(),
        "from-config"
    );
    assert!(!configured_dir.exists());

    // A damaged file is an error that does not print its content.
    std::fs::write(&file, "not valid!! SECRETCONTENT\n").expect("damage");
    let error = ensure_webhook_secret(&config).expect_err("invalid content");
    assert!(!error.to_string().contains("SECRETCONTENT"), "{error}");
    assert!(
        error.to_string().contains("telegram-webhook-secret"),
        "{error}"
    );
}

// ---- the example files in conf/ -------------------------------------------------------

fn conf(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("conf")
        .join(name)
}

/// `NAME=value` lines of a bot.env; with `commented`, also the `# NAME=value` examples
/// (later lines win, as in the environment).
fn env_lines(text: &str, commented: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let setting = match line.strip_prefix('#') {
            Some(rest) if commented => rest.trim_start(),
            Some(_) => continue,
            None => line,
        };
        let Some((name, value)) = setting.split_once('=') else {
            continue;
        };
        let is_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if is_name {
            out.push((name.to_string(), value.trim().to_string()));
        } else {
            assert!(
                commented || line.is_empty(),
                "not a NAME=value line: {line:?}"
            );
        }
    }
    out
}

/// The TOML example with every `# key = value` line switched on.
fn toml_all_on(text: &str) -> String {
    text.lines()
        .map(|line| {
            let Some(rest) = line.strip_prefix("# ") else {
                return line.to_string();
            };
            let key_len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if key_len > 0 && rest[key_len..].trim_start().starts_with('=') {
                rest.to_string()
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_covers_every_variable(source: &Source, what: &str) {
    let missing: Vec<&str> = Source::known_variables()
        .iter()
        .copied()
        .filter(|name| source.get(name).is_none())
        .collect();
    assert!(missing.is_empty(), "{what} does not show {missing:?}");
}

#[test]
fn bot_env_example_loads() {
    let text = std::fs::read_to_string(conf("bot.env.example")).expect("bot.env.example");
    let active = env_lines(&text, false);
    let mut names: Vec<&str> = active.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    let mut known = Source::known_variables().to_vec();
    known.sort_unstable();
    assert_eq!(
        names, known,
        "every variable exactly once, no unknown names"
    );

    let source = Source::layered(None, active).expect("source");
    let config = Config::from_source(&source).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.store_name, "Toko Digital");

    let all = Source::layered(None, env_lines(&text, true)).expect("source");
    assert_covers_every_variable(&all, "bot.env.example");
    Config::from_source(&all).unwrap_or_else(|e| panic!("examples in comments: {e}"));
}

#[test]
fn toml_example_loads() {
    let path = conf("autoorder.example.toml");
    let source = Source::layered(Some(&path), Vec::new()).unwrap_or_else(|e| panic!("{e}"));
    Config::from_source(&source).unwrap_or_else(|e| panic!("{e}"));

    let text = std::fs::read_to_string(&path).expect("example");
    let dir = tempfile::tempdir().expect("tempdir");
    let all_on = write(dir.path(), "all.toml", &toml_all_on(&text));
    let source = Source::layered(Some(&all_on), Vec::new()).unwrap_or_else(|e| panic!("{e}"));
    assert_covers_every_variable(&source, "autoorder.example.toml");
    let config = Config::from_source(&source).unwrap_or_else(|e| panic!("{e}"));
    assert!(config.backup.s3.is_some());
    assert_eq!(config.data_keys.len(), 1);
}
