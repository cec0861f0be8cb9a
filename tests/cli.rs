//! The command line: `config check`, `healthcheck` exit codes, `migrate`, `--version`.

mod support;

use autoorder_doubles::TelegramDouble;
use autoorder_schema::db::Backend;
use support::{Store, TOKEN};

#[test]
fn config_check_reports_every_problem_with_the_variable_name() {
    let telegram = TelegramDouble::start();
    let mut store = Store::new(Backend::Sqlite, &telegram);
    store.set("TELEGRAM_MODE", "pool");
    store.set("HTTP_ADDR", "everywhere");
    store.set("HEALTH_DISK_THRESHOLD", "150");
    store.set("TELEGRAM_BOT_TOKEN", "not-a-token-but-secret-looking-value");
    let out = store.command(&["config", "check"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for var in [
        "TELEGRAM_MODE",
        "HTTP_ADDR",
        "HEALTH_DISK_THRESHOLD",
        "TELEGRAM_BOT_TOKEN",
    ] {
        assert!(stderr.contains(var), "{var} not named in:\n{stderr}");
    }
    assert!(
        !stderr.contains("not-a-token-but-secret-looking-value"),
        "secret echoed:\n{stderr}"
    );
}

#[test]
fn config_check_passes_a_good_configuration() {
    let telegram = TelegramDouble::start();
    let store = Store::new(Backend::Sqlite, &telegram);
    let out = store.command(&["config", "check"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("configuration OK"));
    assert!(!stdout.contains(TOKEN));
}

#[test]
fn healthcheck_exit_codes_follow_reality() {
    let telegram = TelegramDouble::start();
    let mut store = Store::new(Backend::Sqlite, &telegram);
    // The host's own load is tests/health.rs's business; keep it out of these exit codes.
    store.set("HEALTH_CPU_THRESHOLD", "100");
    store.set("HEALTH_DISK_THRESHOLD", "100");
    // Fresh database: reachable, but migrations pending → degraded.
    let out = store.command(&["healthcheck", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(report["status"], "degraded");

    assert!(store.command(&["migrate"]).status().unwrap().success());
    let out = store.command(&["healthcheck", "--json"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Telegram gone → failing (the bot can neither take nor answer orders).
    telegram.stop();
    let out = store.command(&["healthcheck"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("telegram"));

    // Database unreachable → failing.
    let mut pg_down = Store::new(Backend::Sqlite, &telegram);
    pg_down.set("DATABASE_URL", "postgres://nobody:pw@127.0.0.1:9/none");
    let out = pg_down
        .command(&["healthcheck", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(":pw@"),
        "password echoed"
    );
}

#[test]
fn version_is_printed() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_autoorder"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/conf/catalog.example.toml");
const NEW_KEY_HEX: &str = "f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f";

fn stdout_of(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "failed ({:?}):\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The README's "Rotating keys" procedure, end to end: new key first, `keys status`,
/// `keys rotate`, old key removed, everything still readable and the step in the
/// maintenance log.
#[test]
fn keys_status_rotate_and_the_old_key_removed() {
    let telegram = TelegramDouble::start();
    let mut store = Store::new(Backend::Sqlite, &telegram);
    stdout_of(&store.cli(&["catalog", "import", EXAMPLE]));
    let status = stdout_of(&store.cli(&["keys", "status"]));
    assert!(status.contains("t1 (current)"), "{status}");
    assert!(status.contains("older keys can be removed"), "{status}");

    let old = format!("t1:{}", support::DATA_KEY_HEX);
    store.set("DATA_ENCRYPTION_KEY", &format!("t2:{NEW_KEY_HEX},{old}"));
    let status = stdout_of(&store.cli(&["keys", "status"]));
    assert!(status.contains("t1 (to rotate)"), "{status}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&store.cli(&["keys", "status", "--json"]))).unwrap();
    assert_eq!(json["current"], "t2");
    assert!(json["to_rotate"].as_u64().unwrap() >= 15, "{json}");

    let rotated = stdout_of(&store.cli(&["keys", "rotate", "--batch", "4"]));
    assert!(rotated.contains("to key t2"), "{rotated}");
    let again = stdout_of(&store.cli(&["keys", "rotate"]));
    assert!(again.contains("nothing to rotate"), "{again}");

    store.set("DATA_ENCRYPTION_KEY", &format!("t2:{NEW_KEY_HEX}"));
    let status = stdout_of(&store.cli(&["keys", "status"]));
    assert!(!status.contains("t1"), "{status}");
    let export = stdout_of(&store.cli(&["catalog", "export", "--include-stock"]));
    assert!(export.contains("stock = ["), "{export}");
    // A stock line of the example is still refused as a duplicate under the new key alone.
    let dup = store.cli(&["catalog", "import", EXAMPLE]);
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("duplicate stock item"));

    let maintenance = support::read_all(&store.log_dir().join("maintenance"));
    assert!(maintenance.contains("key rotation:"), "{maintenance}");
    assert!(!maintenance.contains(NEW_KEY_HEX) && !maintenance.contains(support::DATA_KEY_HEX));
}

/// With every secret in the environment nothing else creates DATA_DIR: `run` does, with the
/// log and backup directories, readable by the owner only.
#[test]
fn missing_data_log_and_backup_directories_are_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let telegram = TelegramDouble::start();
    let mut store = Store::new(Backend::Sqlite, &telegram);
    let fresh = store.dir.path().join("fresh/nested");
    store.env.retain(|(k, _)| k != "DATABASE_URL");
    for (var, dir) in [
        ("DATA_DIR", "data"),
        ("LOG_DIR", "logs"),
        ("BACKUP_LOCAL_DIR", "backups"),
    ] {
        store.set(var, fresh.join(dir).to_str().unwrap());
    }
    let bot = store.start();
    drop(bot);
    for dir in ["data", "logs", "backups"] {
        let meta = std::fs::metadata(fresh.join(dir)).unwrap_or_else(|e| panic!("{dir}: {e}"));
        assert_eq!(meta.permissions().mode() & 0o777, 0o700, "{dir}");
    }
    assert!(fresh.join("data/autoorder.db").exists());
}
