//! End-to-end health monitoring and owner alerts: the real binary, the Telegram double, both
//! backends. Alerts are driven by a real failing dependency (the double's `getMe`), so the
//! owner sees exactly what production would send.

mod support;

use std::time::{Duration, Instant};

use autoorder_doubles::{Failure, TelegramDouble};
use autoorder_schema::both_backends;
use autoorder_schema::db::Backend;
use support::{ADMIN_ID, Store, eventually, runtime, say, text_of};

const OWNER: i64 = 9001;
const WAIT: Duration = Duration::from_secs(30);

/// A store whose health checks run every second; host thresholds out of reach so only the
/// dependency a test breaks can fail.
fn fast_store(backend: Backend, telegram: &TelegramDouble) -> Store {
    let mut store = Store::new(backend, telegram);
    store.set("HEALTHCHECK_INTERVAL_SECONDS", "1");
    store.set("HEALTH_CPU_THRESHOLD", "100");
    store.set("HEALTH_MEMORY_THRESHOLD", "100");
    store.set("HEALTH_DISK_THRESHOLD", "100");
    store
}

/// Successful messages to the owner containing `needle`.
fn owner_messages(telegram: &TelegramDouble, needle: &str) -> Vec<String> {
    telegram
        .calls_to("sendMessage")
        .iter()
        .filter(|c| c.param_i64("chat_id") == Some(OWNER) && c.ok() == Some(true))
        .map(text_of)
        .filter(|t| t.contains(needle))
        .collect()
}

#[test]
fn one_alert_a_reminder_and_one_recovery_when_telegram_fails() {
    let telegram = TelegramDouble::start();
    let mut store = fast_store(Backend::Sqlite, &telegram);
    store.set("ALERT_REMINDER_MINUTES", "1");
    let mut bot = store.start();
    let started = Instant::now();
    telegram.fail("getMe", Failure::Drop, None);
    assert!(
        eventually(WAIT, || owner_messages(&telegram, "GAGAL").len() == 1),
        "no alert; output:\n{}",
        bot.output()
    );
    let alert = &owner_messages(&telegram, "GAGAL")[0];
    assert!(alert.starts_with("[Toko Uji]"), "{alert}");
    assert!(alert.contains("telegram"), "{alert}");
    // Still failing: quiet until the reminder interval has passed, then one reminder.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(owner_messages(&telegram, "GAGAL").len(), 1, "no storm");
    assert!(owner_messages(&telegram, "Pengingat").is_empty());
    assert!(
        eventually(Duration::from_secs(90), || !owner_messages(
            &telegram,
            "Pengingat"
        )
        .is_empty()),
        "no reminder"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(60),
        "reminder too early"
    );
    telegram.clear_failures();
    assert!(
        eventually(WAIT, || owner_messages(&telegram, "Pulih").len() == 1),
        "no recovery"
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        owner_messages(&telegram, "Pulih").len(),
        1,
        "recovery sent once"
    );
    assert_eq!(
        owner_messages(&telegram, "GAGAL").len(),
        1,
        "alert sent once"
    );
    assert_eq!(owner_messages(&telegram, "Pengingat").len(), 1);
    // Sellers never hear about it.
    assert!(
        telegram
            .calls_to("sendMessage")
            .iter()
            .all(|c| c.param_i64("chat_id") != Some(ADMIN_ID))
    );
    // Every run is in the health log.
    let health_logs = support::read_all(&store.log_dir().join("health"));
    assert!(health_logs.contains("run: failing"), "{health_logs}");
}

#[test]
fn several_failing_checks_make_one_message() {
    let telegram = TelegramDouble::start();
    let mut store = fast_store(Backend::Sqlite, &telegram);
    // The disk is surely more than 1 % used.
    store.set("HEALTH_DISK_THRESHOLD", "1");
    let bot = store.start();
    telegram.fail("getMe", Failure::Drop, None);
    assert!(
        eventually(WAIT, || !owner_messages(&telegram, "GAGAL").is_empty()),
        "no alert"
    );
    std::thread::sleep(Duration::from_secs(3));
    let alerts = owner_messages(&telegram, "GAGAL");
    // The disk fails from the first run; telegram may join it in that run or the next.
    let all = alerts.join("\n");
    assert!(all.contains("• disk:"), "{all}");
    assert!(all.contains("• telegram:"), "{all}");
    assert!(alerts.len() <= 2, "{alerts:?}");
    assert!(
        alerts[0].contains("• disk:") && alerts[0].matches("• ").count() >= 2,
        "{alerts:?}"
    );
    drop(bot);
}

#[test]
fn owners_get_status_and_everyone_else_is_refused() {
    let telegram = TelegramDouble::start();
    let store = fast_store(Backend::Sqlite, &telegram);
    let _bot = store.start();
    runtime().block_on(async {
        say(&telegram, OWNER, "/status");
        let status = telegram
            .wait_for(
                "sendMessage",
                |c| c.param_i64("chat_id") == Some(OWNER) && text_of(c).contains("Status:"),
                WAIT,
            )
            .await
            .expect("status reply");
        let text = text_of(&status);
        for needle in [
            "[Toko Uji]",
            "telegram",
            "database",
            "disk",
            "memory",
            "Aktor",
            "queue running",
            "Antrean",
            "Backup terakhir: belum ada",
        ] {
            assert!(text.contains(needle), "{needle} missing in {text}");
        }
        for user in [55, ADMIN_ID] {
            say(&telegram, user, "/status");
            let refused = telegram
                .wait_for(
                    "sendMessage",
                    |c| c.param_i64("chat_id") == Some(user),
                    WAIT,
                )
                .await
                .expect("a reply");
            assert!(
                text_of(&refused).contains("hanya untuk pemilik"),
                "{}",
                text_of(&refused)
            );
        }
        say(&telegram, 56, "/backup");
        let refused = telegram
            .wait_for("sendMessage", |c| c.param_i64("chat_id") == Some(56), WAIT)
            .await
            .expect("a reply");
        assert!(text_of(&refused).contains("hanya untuk pemilik"));
        say(&telegram, OWNER, "/backup");
        assert!(
            telegram
                .wait_for(
                    "sendMessage",
                    |c| c.param_i64("chat_id") == Some(OWNER) && text_of(c).contains("💾"),
                    WAIT
                )
                .await
                .is_some()
        );
    });
    // Nobody but the owner ever saw health details.
    for call in telegram.calls_to("sendMessage") {
        if call.param_i64("chat_id") != Some(OWNER) {
            assert!(!text_of(&call).contains("Aktor"), "{}", text_of(&call));
        }
    }
}

#[test]
fn live_stays_up_while_telegram_is_down_and_metrics_show_the_checks() {
    let telegram = TelegramDouble::start();
    let store = fast_store(Backend::Sqlite, &telegram);
    let bot = store.start();
    runtime().block_on(async {
        let client = reqwest::Client::new();
        let metrics = || async {
            client
                .get(bot.url("/metrics"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        };
        let mut text = String::new();
        for _ in 0..100 {
            text = metrics().await;
            if text.contains("autoorder_health_check{check=\"telegram\"} 0") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for needle in [
            "autoorder_health_check{check=\"telegram\"} 0",
            "autoorder_health_check{check=\"database\"} 0",
            "autoorder_disk_used_ratio",
            "autoorder_memory_used_ratio",
            "autoorder_health_leader 1",
        ] {
            assert!(text.contains(needle), "{needle} missing in\n{text}");
        }
        telegram.stop();
        let mut down = false;
        for _ in 0..200 {
            if metrics()
                .await
                .contains("autoorder_health_check{check=\"telegram\"} 2")
            {
                down = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            down,
            "telegram never reported failing:\n{}",
            metrics().await
        );
        let live = client.get(bot.url("/health/live")).send().await.unwrap();
        assert_eq!(live.status(), 200);
        let ready: serde_json::Value = client
            .get(bot.url("/health/ready"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let checks = ready["health"]["report"]["checks"]
            .as_array()
            .expect("health in ready");
        let tg = checks.iter().find(|c| c["name"] == "telegram").unwrap();
        assert_eq!(tg["status"], "failing");
    });
}

#[test]
fn healthcheck_exit_codes_and_json() {
    let telegram = TelegramDouble::start();
    let store = fast_store(Backend::Sqlite, &telegram);
    assert!(store.command(&["migrate"]).status().unwrap().success());
    let out = store.command(&["healthcheck", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(report["status"], "ok");
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for name in [
        "telegram",
        "database",
        "migrations",
        "disk",
        "memory",
        "cpu",
        "logs",
        "backup",
        "queue",
        "dead_jobs",
        "payments",
    ] {
        assert!(names.contains(&name), "{name} missing: {names:?}");
    }
    // A full disk (threshold below the real usage) is failing.
    let mut full = fast_store(Backend::Sqlite, &telegram);
    full.set("HEALTH_DISK_THRESHOLD", "1");
    full.set("DATABASE_URL", &store.db.url());
    let out = full.command(&["healthcheck", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{report}");
    let disk = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "disk")
        .unwrap()
        .clone();
    assert_eq!(disk["status"], "failing");
    // Dead jobs: degraded.
    {
        let pool = store.pool();
        let mut conn = autoorder_schema::checkout(&pool).unwrap();
        let job = autoorder_schema::queries::jobs::NewJob::keyed(
            autoorder_schema::job_kinds::JobPayload::PurgeSnkAnswers { retention_days: 1 },
            "dead-one",
        );
        autoorder_schema::queries::jobs::enqueue(&mut conn, &job)
            .unwrap()
            .unwrap();
        autoorder_schema::testing::execute(
            &pool,
            "UPDATE jobs SET state = 'dead' WHERE unique_key = 'dead-one'",
        )
        .unwrap();
    }
    let out = store.command(&["healthcheck"]).output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{table}");
    assert!(table.contains("dead_jobs    degraded"), "{table}");
    // Telegram gone: failing.
    telegram.stop();
    let out = store.command(&["healthcheck"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("telegram     failing"));
}

both_backends! {
    fn a_database_that_is_unreachable_fails_the_healthcheck(backend) {
        let telegram = TelegramDouble::start();
        let mut store = fast_store(backend, &telegram);
        store.set("DATABASE_URL", "postgres://nobody:pw@127.0.0.1:9/none");
        let out = store.command(&["healthcheck", "--json"]).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert_eq!(out.status.code(), Some(2), "{stdout}");
        assert!(stdout.contains("\"database\""), "{stdout}");
        assert!(!stdout.contains(":pw@"), "password echoed");
    }
}

#[test]
fn only_one_of_two_replicas_alerts() {
    let telegram = TelegramDouble::start();
    let store = fast_store(Backend::Postgres, &telegram);
    let _a = store.start();
    let _b = store.replica("b").start();
    telegram.fail("getMe", Failure::Drop, None);
    assert!(
        eventually(WAIT, || !owner_messages(&telegram, "GAGAL").is_empty()),
        "no alert"
    );
    // Both replicas keep probing every second; still exactly one alert.
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(
        owner_messages(&telegram, "GAGAL").len(),
        1,
        "{:?}",
        owner_messages(&telegram, "")
    );
    telegram.clear_failures();
    assert!(eventually(WAIT, || owner_messages(&telegram, "Pulih")
        .len()
        == 1));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(owner_messages(&telegram, "Pulih").len(), 1);
}
