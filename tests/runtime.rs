//! End-to-end: the real binary, its HTTP intake, probes, actors and the Telegram double,
//! on SQLite and on PostgreSQL.

mod support;

use std::time::Duration;

use autoorder_doubles::{Failure, TelegramDouble, message_update};
use autoorder_schema::both_backends;
use autoorder_schema::testing::admin_execute;
use support::{Store, TOKEN, WEBHOOK_SECRET, post_update, read_all, runtime};

const WAIT: Duration = Duration::from_secs(20);

fn is_welcome_to(chat: i64) -> impl Fn(&autoorder_doubles::Call) -> bool {
    move |c| {
        c.param_i64("chat_id") == Some(chat)
            && c.param_str("text").is_some_and(|t| t.contains("Toko Uji"))
            && c.ok() == Some(true)
    }
}

both_backends! {
    fn start_gets_a_reply_through_the_bot_api(backend) {
        let telegram = TelegramDouble::start();
        let store = Store::new(backend, &telegram);
        let bot = store.start();
        runtime().block_on(async {
            let client = reqwest::Client::new();
            let update = message_update(Some(1001), 55, 55, "/start").to_string();
            assert_eq!(post_update(&client, &bot, "/telegram", Some(WEBHOOK_SECRET), update).await, 200);
            let call = telegram.wait_for("sendMessage", is_welcome_to(55), WAIT).await;
            assert!(call.is_some(), "no welcome sent; calls: {:?}", telegram.calls());
            assert_eq!(call.unwrap().token, TOKEN);
        });
        assert_eq!(store.count("users"), 1, "/start registers the user");
    }
}

both_backends! {
    fn the_webhook_rejects_bad_requests_and_stores_duplicates_once(backend) {
        let telegram = TelegramDouble::start();
        let store = Store::new(backend, &telegram);
        let bot = store.start();
        runtime().block_on(async {
            let client = reqwest::Client::new();
            let update = message_update(Some(7), 56, 56, "halo").to_string();
            assert_eq!(post_update(&client, &bot, "/telegram", Some("wrong"), update.clone()).await, 401);
            assert_eq!(post_update(&client, &bot, "/telegram", None, update.clone()).await, 401);
            let big = format!(r#"{{"update_id": 8, "pad": "{}"}}"#, "x".repeat(300 * 1024));
            assert_eq!(post_update(&client, &bot, "/telegram", Some(WEBHOOK_SECRET), big).await, 413);
            assert_eq!(post_update(&client, &bot, "/telegram", Some(WEBHOOK_SECRET), "{not json").await, 400);
            assert_eq!(post_update(&client, &bot, "/telegram", Some(WEBHOOK_SECRET), r#"{"message":{}}"#).await, 400);
            assert_eq!(post_update(&client, &bot, "/telegram", Some(WEBHOOK_SECRET), "[1,2]").await, 400);
        });
        assert_eq!(store.count("inbound_updates"), 0, "nothing stored from rejected requests");
        runtime().block_on(async {
            let client = reqwest::Client::new();
            let update = message_update(Some(9), 57, 57, "/start").to_string();
            for _ in 0..3 {
                assert_eq!(post_update(&client, &bot, "/telegram", Some(WEBHOOK_SECRET), update.clone()).await, 200);
            }
            // An unknown update kind with unknown fields is accepted and ignored.
            let odd = r#"{"update_id": 10, "business_connection_v9": {"id": "x", "new_field": [1]}}"#;
            assert_eq!(post_update(&client, &bot, "/telegram", Some(WEBHOOK_SECRET), odd).await, 200);
            assert!(telegram.wait_for("sendMessage", is_welcome_to(57), WAIT).await.is_some());
            let metrics = client.get(bot.url("/metrics")).send().await.unwrap().text().await.unwrap();
            assert!(metrics.contains("autoorder_updates_duplicate_total 2"), "{metrics}");
        });
        assert_eq!(store.count("inbound_updates"), 2);
        let welcomes = telegram.calls_to("sendMessage").into_iter().filter(|c| is_welcome_to(57)(c)).count();
        assert_eq!(welcomes, 1, "one welcome for three deliveries");
    }
}

both_backends! {
    fn an_update_stored_before_kill_9_is_processed_after_restart(backend) {
        let telegram = TelegramDouble::start();
        let store = Store::new(backend, &telegram);
        // Telegram is failing: the update is stored and acknowledged but cannot be answered.
        telegram.fail("sendMessage", Failure::Status(502), None);
        let mut bot = store.start();
        runtime().block_on(async {
            let client = reqwest::Client::new();
            let update = message_update(Some(77), 60, 60, "/start").to_string();
            assert_eq!(post_update(&client, &bot, "/telegram", Some(WEBHOOK_SECRET), update).await, 200);
            assert!(telegram.wait_for("sendMessage", |c| c.param_i64("chat_id") == Some(60), WAIT).await.is_some(), "an attempt was made");
        });
        bot.kill9();
        telegram.clear_failures();
        let mut bot = store.start();
        runtime().block_on(async {
            // SQLite releases a dead process's claims at boot; PostgreSQL waits for them to expire.
            let answered = telegram.wait_for("sendMessage", is_welcome_to(60), Duration::from_secs(45)).await;
            assert!(answered.is_some(), "answered after the restart; output:\n{}\ncalls: {:?}", bot.output(), telegram.calls());
        });
    }
}

both_backends! {
    fn probes_metrics_and_sigterm(backend) {
        let telegram = TelegramDouble::start();
        let store = Store::new(backend, &telegram);
        let mut bot = store.start();
        runtime().block_on(async {
            let client = reqwest::Client::new();
            let live: serde_json::Value = client.get(bot.url("/health/live")).send().await.unwrap().json().await.unwrap();
            assert_eq!(live["status"], "ok");
            let names: Vec<&str> = live["actors"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
            assert_eq!(names, ["queue", "payment", "bot", "backup", "health"]);
            let ready = client.get(bot.url("/health/ready")).send().await.unwrap();
            assert_eq!(ready.status(), 200);
            let ready: serde_json::Value = ready.json().await.unwrap();
            assert_eq!(ready["checks"]["migrations"]["ok"], true);
            let metrics = client.get(bot.url("/metrics")).send().await.unwrap().text().await.unwrap();
            for needle in [
                "autoorder_actor_state{actor=\"bot\",state=\"running\"} 1",
                "autoorder_actor_restarts_total{actor=\"queue\"} 0",
                "autoorder_db_pool_max",
                "autoorder_http_requests_total{route=\"/health/live\",status=\"200\"} 1",
            ] {
                assert!(metrics.contains(needle), "missing {needle} in\n{metrics}");
            }
        });
        let status = bot.sigterm(Duration::from_secs(30));
        assert_eq!(status.code(), Some(0), "graceful exit; output:\n{}", bot.output());
        let out = bot.output();
        let stop_bot = out.find("stopping actor bot").expect("bot stopped");
        let stop_queue = out.find("stopping actor queue").expect("queue stopped");
        assert!(stop_bot < stop_queue, "reverse start order");
        // The token never reaches the console or a log file.
        assert!(!out.contains(TOKEN));
        assert!(!read_all(&store.log_dir()).contains(TOKEN));
        // The queue actor logs when it starts, before the HTTP server listens.
        assert!(store.log_dir().join("app").is_dir() && store.log_dir().join("queue").is_dir());
    }
}

#[test]
fn readiness_flips_when_postgresql_goes_away_and_comes_back() {
    let telegram = TelegramDouble::start();
    let store = Store::new(autoorder_schema::db::Backend::Postgres, &telegram);
    let bot = store.start();
    let autoorder_schema::DbTarget::Postgres(url) = store.target().clone() else {
        unreachable!()
    };
    let name = url.rsplit('/').next().unwrap().to_string();
    let set_allowed = |allowed: bool| {
        admin_execute(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS {allowed}"
        ))
        .unwrap();
        if !allowed {
            admin_execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            ))
            .unwrap();
        }
    };
    runtime().block_on(async {
        let client = reqwest::Client::new();
        assert_eq!(
            client
                .get(bot.url("/health/ready"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        set_allowed(false);
        let ready = client.get(bot.url("/health/ready")).send().await.unwrap();
        assert_eq!(ready.status(), 503);
        let body: serde_json::Value = ready.json().await.unwrap();
        assert_eq!(body["checks"]["database"]["ok"], false);
        // Liveness does not depend on the database.
        assert_eq!(
            client
                .get(bot.url("/health/live"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        // The webhook answers 503 so Telegram re-delivers.
        let update = message_update(Some(5), 61, 61, "/start").to_string();
        assert_eq!(
            post_update(
                &client,
                &bot,
                "/telegram",
                Some(WEBHOOK_SECRET),
                update.clone()
            )
            .await,
            503
        );
        set_allowed(true);
        assert_eq!(
            client
                .get(bot.url("/health/ready"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(
            post_update(&client, &bot, "/telegram", Some(WEBHOOK_SECRET), update).await,
            200
        );
        assert!(
            telegram
                .wait_for("sendMessage", is_welcome_to(61), WAIT)
                .await
                .is_some()
        );
    });
}

both_backends! {
    fn polling_mode_receives_updates_and_keeps_its_offset(backend) {
        let telegram = TelegramDouble::start();
        let store = Store::new(backend, &telegram);
        let mut bot = store.start();
        runtime().block_on(async {
            telegram.push_update(message_update(Some(500), 70, 70, "/start"));
            assert!(telegram.wait_for("sendMessage", is_welcome_to(70), WAIT).await.is_some());
        });
        assert!(!telegram.calls_to("deleteWebhook").is_empty(), "polling removes any webhook first");
        let status = bot.sigterm(Duration::from_secs(30));
        assert_eq!(status.code(), Some(0));
        let pool = store.db.pool();
        let mut conn = autoorder_schema::checkout(&pool).unwrap();
        let offset = autoorder_schema::queries::settings::get_setting(&mut conn, "telegram.polling_offset").unwrap();
        assert_eq!(offset.as_deref(), Some("501"));
    }
}

#[test]
fn auto_mode_registers_the_webhook_with_its_generated_secret() {
    let telegram = TelegramDouble::start();
    let mut store = Store::new(autoorder_schema::db::Backend::Sqlite, &telegram);
    store.set("TELEGRAM_MODE", "auto");
    store.set("TELEGRAM_WEBHOOK_URL", "https://shop.example.com/hooks/tg");
    store.env.retain(|(k, _)| k != "TELEGRAM_WEBHOOK_SECRET");
    let bot = store.start();
    runtime().block_on(async {
        assert!(
            telegram
                .wait_for("setWebhook", |c| c.ok() == Some(true), WAIT)
                .await
                .is_some()
        );
        let hook = telegram.webhook().expect("registered");
        assert_eq!(hook.url, "https://shop.example.com/hooks/tg");
        let generated =
            std::fs::read_to_string(store.dir.path().join("data/telegram-webhook-secret")).unwrap();
        assert_eq!(hook.secret_token.as_deref(), Some(generated.trim()));
        // The webhook is served at the URL's path, guarded by the generated secret.
        let client = reqwest::Client::new();
        let update = message_update(Some(3), 80, 80, "/start").to_string();
        assert_eq!(
            post_update(&client, &bot, "/hooks/tg", Some("nope"), update.clone()).await,
            401
        );
        assert_eq!(
            post_update(&client, &bot, "/hooks/tg", Some(generated.trim()), update).await,
            200
        );
        assert!(
            telegram
                .wait_for("sendMessage", is_welcome_to(80), WAIT)
                .await
                .is_some()
        );
    });
    assert!(
        telegram.calls_to("getUpdates").is_empty(),
        "no polling while the webhook works"
    );
}

#[test]
fn auto_mode_falls_back_to_polling_when_registration_fails() {
    let telegram = TelegramDouble::start();
    telegram.fail(
        "setWebhook",
        Failure::Error(
            400,
            "Bad Request: bad webhook: Failed to resolve host".into(),
        ),
        None,
    );
    let mut store = Store::new(autoorder_schema::db::Backend::Sqlite, &telegram);
    store.set("TELEGRAM_MODE", "auto");
    store.set("TELEGRAM_WEBHOOK_URL", "https://shop.example.com/telegram");
    let _bot = store.start();
    runtime().block_on(async {
        telegram.push_update(message_update(Some(900), 81, 81, "/start"));
        assert!(
            telegram
                .wait_for("sendMessage", is_welcome_to(81), Duration::from_secs(30))
                .await
                .is_some()
        );
    });
    assert_eq!(
        telegram.calls_to("setWebhook").len(),
        3,
        "three attempts before falling back"
    );
}

#[test]
fn no_secret_reaches_the_logs_even_when_telegram_is_unreachable() {
    let telegram = TelegramDouble::start();
    let mut store = Store::new(autoorder_schema::db::Backend::Sqlite, &telegram);
    // Nothing listens there: every Bot API call fails with an error that would quote the URL.
    store.set("TELEGRAM_API_URL", "http://127.0.0.1:9");
    let mut bot = store.start();
    runtime().block_on(async {
        let client = reqwest::Client::new();
        let update = message_update(Some(1), 90, 90, "/start").to_string();
        assert_eq!(
            post_update(&client, &bot, "/telegram", Some(WEBHOOK_SECRET), update).await,
            200
        );
    });
    // Wait for the failure to be logged (the log line is the signal).
    let deadline = std::time::Instant::now() + WAIT;
    while !bot.output().contains("getUpdates failed")
        || !bot.output().contains("sending a reply to chat 90 failed")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "expected failures in the output:\n{}",
            bot.output()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = bot.sigterm(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0));
    let out = bot.output();
    let secret_part = TOKEN.split(':').nth(1).unwrap();
    assert!(
        !out.contains(secret_part),
        "token in console output:\n{out}"
    );
    let logs = read_all(&store.log_dir());
    assert!(!logs.contains(secret_part), "token in a log file");
    assert!(
        !logs.contains(WEBHOOK_SECRET),
        "webhook secret in a log file"
    );
}

#[test]
fn a_second_process_on_the_same_sqlite_file_refuses_to_start() {
    let telegram = TelegramDouble::start();
    let store = Store::new(autoorder_schema::db::Backend::Sqlite, &telegram);
    let _first = store.start();
    let out = store.command(&["run"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("another autoorder process is already running"),
        "{stderr}"
    );
}
