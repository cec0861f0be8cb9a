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
