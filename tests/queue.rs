//! End-to-end: the durable queue against the limit-enforcing Telegram double — broadcasts,
//! 429s, unreachable users, retries, pause/resume/cancel, crash recovery, SNK, replicas.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use autoorder_doubles::{Failure, RateLimits, TelegramDouble, callback_update, message_update};
use autoorder_schema::both_backends;
use autoorder_schema::db::Backend;
use autoorder_schema::job_kinds::{JobPayload, OutboundMessage};
use autoorder_schema::queries::broadcasts::{Progress, broadcast_progress};
use autoorder_schema::queries::jobs::{NewJob, enqueue, find_job_by_key};
use support::{
    ADMIN_ID, DATA_KEY_HEX, Store, WEBHOOK_SECRET, add_users, eventually, post_update, runtime,
};

fn limits() -> RateLimits {
    RateLimits {
        slack: Duration::from_millis(5),
        ..RateLimits::default()
    }
}

fn progress(store: &Store, id: i64) -> Progress {
    let pool = store.pool();
    let mut conn = autoorder_schema::checkout(&pool).unwrap();
    broadcast_progress(&mut conn, id).unwrap().unwrap()
}

fn send_broadcast(store: &Store, text: &str) -> i64 {
    let out = store.cli(&["broadcast", "send", "--text", text]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .split_whitespace()
        .nth(1)
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id in {stdout}"))
}

/// Accepted (answered ok) sendMessage calls per chat.
fn delivered_per_chat(telegram: &TelegramDouble) -> HashMap<i64, usize> {
    let mut per_chat = HashMap::new();
    for call in telegram.calls_to("sendMessage") {
        if call.ok() == Some(true) {
            *per_chat
                .entry(call.param_i64("chat_id").unwrap())
                .or_insert(0) += 1;
        }
    }
    per_chat
}

fn enqueue_job(store: &Store, job: NewJob) {
    let pool = store.pool();
    let mut conn = autoorder_schema::checkout(&pool).unwrap();
    enqueue(&mut conn, &job).unwrap();
}

fn message_job(chat_id: i64, key: &str, max_attempts: i32) -> NewJob {
    let msg = OutboundMessage {
        chat_id,
        text: format!("pesan {key}"),
        photo: None,
        buttons: Vec::new(),
        via_owner_bot: false,
        html: false,
    };
    NewJob {
        payload: JobPayload::SendMessage(msg),
        unique_key: Some(key.into()),
        run_at: None,
        max_attempts,
    }
}

fn job_state(store: &Store, key: &str) -> Option<(String, i32)> {
    let pool = store.pool();
    let mut conn = autoorder_schema::checkout(&pool).unwrap();
    find_job_by_key(&mut conn, key)
        .unwrap()
        .map(|j| (j.state, j.attempts))
}

both_backends! {
    fn a_broadcast_reaches_every_reachable_user_once_inside_the_limits(backend) {
        let telegram = TelegramDouble::start();
        telegram.enforce_limits(Some(limits()));
        let store = Store::new(backend, &telegram);
        let _bot = store.start();
        add_users(&store.pool(), 1..=60);
        telegram.set_blocked(13, true);
        telegram.set_deactivated(14);
        let id = send_broadcast(&store, "Promo hari ini!");
        assert!(eventually(Duration::from_secs(30), || progress(&store, id).pending == 0), "{:?}", progress(&store, id));
        let p = progress(&store, id);
        assert_eq!((p.total, p.sent, p.blocked, p.failed, p.state.as_str()), (60, 58, 2, 0, "done"));
        let per_chat = delivered_per_chat(&telegram);
        assert_eq!(per_chat.len(), 58);
        assert!(per_chat.values().all(|n| *n == 1), "someone got it twice");
        assert_eq!(telegram.calls_to("sendMessage").iter().filter(|c| c.param_i64("chat_id") == Some(13)).count(), 1, "not retried");
        assert_eq!(telegram.rate_limited_count(), 0, "the limiter stayed inside Telegram's limits");
        assert!(telegram.max_sends_in_window(Duration::from_millis(995)) <= 30);
        // The unreachable users are marked and skipped by the next broadcast.
        let second = send_broadcast(&store, "Promo kedua");
        assert_eq!(progress(&store, second).total, 58);
    }
}

#[test]
fn a_429_is_waited_out_exactly_and_does_not_use_an_attempt() {
    let telegram = TelegramDouble::start();
    let store = Store::new(Backend::Sqlite, &telegram);
    telegram.fail("sendMessage", Failure::RetryAfter(2), Some(1));
    let _bot = store.start();
    // One attempt only: if the 429 used it, the job would be dead.
    enqueue_job(&store, message_job(501, "once", 1));
    assert!(eventually(Duration::from_secs(20), || job_state(
        &store, "once"
    )
    .is_some_and(|(s, _)| s != "available" && s != "running")));
    assert_eq!(job_state(&store, "once"), Some(("done".to_string(), 1)));
    let calls: Vec<_> = telegram
        .calls_to("sendMessage")
        .into_iter()
        .filter(|c| c.param_i64("chat_id") == Some(501))
        .collect();
    assert_eq!(calls.len(), 2);
    let waited = calls[1].at.duration_since(calls[0].at);
    assert!(
        waited >= Duration::from_secs(2),
        "retried after {waited:?}, before retry_after"
    );
}

#[test]
fn failures_are_retried_with_backoff_and_end_dead() {
    let telegram = TelegramDouble::start();
    let store = Store::new(Backend::Sqlite, &telegram);
    // A dropped connection is a transient failure. (A 5xx works too, but teloxide waits 10 s
    // inside the request on every server error, which would only make this test slow.)
    telegram.fail("sendMessage", Failure::Drop, None);
    let bot = store.start();
    enqueue_job(&store, message_job(502, "doomed", 2));
    assert!(
        eventually(Duration::from_secs(20), || job_state(&store, "doomed")
            .is_some_and(|(s, _)| s == "dead")),
        "{:?} calls {:?}",
        job_state(&store, "doomed"),
        telegram.calls_to("sendMessage")
    );
    let calls = telegram.calls_to("sendMessage");
    assert_eq!(calls.len(), 2, "max_attempts = 2");
    assert!(
        calls[1].at.duration_since(calls[0].at) >= Duration::from_millis(1400),
        "backoff between attempts"
    );
    runtime().block_on(async {
        let metrics = reqwest::get(bot.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(metrics.contains("autoorder_jobs_dead 1"), "{metrics}");
        assert!(
            metrics.contains("autoorder_jobs{kind=\"send_message\",state=\"dead\"} 1"),
            "{metrics}"
        );
    });
}

#[test]
fn broadcasts_pause_resume_and_cancel_from_the_cli() {
    let telegram = TelegramDouble::start();
    let store = Store::new(Backend::Sqlite, &telegram);
    // The database exists before the bot runs: the CLI works offline.
    assert!(store.cli(&["migrate"]).status.success());
    add_users(&store.pool(), 1..=10);
    let paused = send_broadcast(&store, "Satu");
    assert!(
        store
            .cli(&["broadcast", "pause", &paused.to_string()])
            .status
            .success()
    );
    let cancelled = send_broadcast(&store, "Dua");
    assert!(
        store
            .cli(&["broadcast", "cancel", &cancelled.to_string()])
            .status
            .success()
    );
    let refused = store.cli(&["broadcast", "resume", &cancelled.to_string()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("cancelled"));

    let _bot = store.start();
    // A marker job queued after both broadcasts: once it is done, the queue has looked at
    // everything due, and neither broadcast may have sent anything.
    enqueue_job(&store, message_job(999, "marker", 3));
    assert!(eventually(Duration::from_secs(20), || job_state(
        &store, "marker"
    )
    .is_some_and(|(s, _)| s == "done")));
    assert_eq!(
        delivered_per_chat(&telegram)
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        vec![999]
    );
    let status = store.cli(&["broadcast", "status", &paused.to_string(), "--json"]);
    let p: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(
        (p["state"].as_str(), p["pending"].as_i64()),
        (Some("paused"), Some(10))
    );

    assert!(
        store
            .cli(&["broadcast", "resume", &paused.to_string()])
            .status
            .success()
    );
    assert!(eventually(Duration::from_secs(20), || progress(
        &store, paused
    )
    .pending
        == 0));
    assert_eq!(progress(&store, paused).sent, 10);
    let c = progress(&store, cancelled);
    assert_eq!(
        (c.state.as_str(), c.cancelled, c.sent),
        ("cancelled", 10, 0)
    );
    assert_eq!(delivered_per_chat(&telegram).values().sum::<usize>(), 11);
}

#[test]
fn a_broadcast_survives_kill_9_without_resending_to_recorded_recipients() {
    let telegram = TelegramDouble::start();
    telegram.enforce_limits(Some(limits()));
    let store = Store::new(Backend::Sqlite, &telegram);
    let mut bot = store.start();
    add_users(&store.pool(), 1..=150);
    let id = send_broadcast(&store, "Tahan banting");
    assert!(eventually(Duration::from_secs(30), || progress(&store, id)
        .sent
        >= 40));
    bot.kill9();
    let recorded: Vec<i64> = {
        let pool = store.pool();
        let mut conn = autoorder_schema::checkout(&pool).unwrap();
        (1..=150)
            .filter(|u| {
                autoorder_schema::queries::broadcasts::recipient_status(&mut conn, id, *u)
                    .unwrap()
                    .as_deref()
                    == Some("sent")
            })
            .collect()
    };
    assert!(recorded.len() >= 40);
    let _bot = store.start();
    assert!(
        eventually(Duration::from_secs(60), || progress(&store, id).pending
            == 0),
        "{:?}",
        progress(&store, id)
    );
    assert_eq!(progress(&store, id).sent, 150, "nothing lost");
    let per_chat = delivered_per_chat(&telegram);
    for user in &recorded {
        assert_eq!(
            per_chat.get(user),
            Some(&1),
            "user {user} was recorded as sent and got it again"
        );
    }
    let repeats = per_chat.values().filter(|n| **n > 1).count();
    assert!(
        repeats <= 8,
        "at most the sends in flight at the kill repeat: {repeats}"
    );
    assert_eq!(telegram.rate_limited_count(), 0);
}

#[test]
fn two_runtimes_on_postgresql_deliver_1000_recipients_exactly_once() {
    let telegram = TelegramDouble::start();
    telegram.enforce_limits(Some(limits()));
    let store = Store::new(Backend::Postgres, &telegram);
    let _a = store.start();
    let _b = store.replica("b").start();
    add_users(&store.pool(), 1..=1000);
    let id = send_broadcast(&store, "Seribu pelanggan");
    assert!(
        eventually(Duration::from_secs(120), || progress(&store, id).pending
            == 0),
        "{:?}",
        progress(&store, id)
    );
    assert_eq!(progress(&store, id).sent, 1000);
    let per_chat = delivered_per_chat(&telegram);
    assert_eq!(per_chat.len(), 1000);
    assert!(
        per_chat.values().all(|n| *n == 1),
        "a recipient got the broadcast twice"
    );
    assert_eq!(
        telegram.rate_limited_count(),
        0,
        "two replicas together stayed inside the bot's budget"
    );
    assert!(telegram.max_sends_in_window(Duration::from_millis(995)) <= 30);
}

both_backends! {
    fn snk_answers_round_trip_and_are_unreadable_without_the_key(backend) {
        let telegram = TelegramDouble::start();
        let store = Store::new(backend, &telegram);
        let bot = store.start();
        let buyer = 4242;
        add_users(&store.pool(), [buyer]);
        {
            autoorder_schema::testing::execute(&store.pool(), &format!(
                "INSERT INTO products (id, code, name, price, created_at, updated_at) VALUES (3, 'NF1', 'Netflix 1 Bulan', 30000, 0, 0);
                 INSERT INTO orders (invoice_no, user_id, status, payment_method, subtotal, total, created_at)
                   VALUES ('INV-SNK-1', {buyer}, 'delivered', 'balance', 30000, 30000, 0);"
            ))
            .unwrap();
        }
        let notice = JobPayload::SnkNotice {
            order_ref: "INV-SNK-1".into(),
            product_id: 3,
            user_id: buyer,
            product_name: "Netflix 1 Bulan".into(),
            snk_text: "Kirim nama dan foto KTP.".into(),
        };
        enqueue_job(&store, NewJob::keyed(notice, "snk:INV-SNK-1:3"));
        runtime().block_on(async {
            let sent = telegram
                .wait_for("sendMessage", |c| c.param_i64("chat_id") == Some(buyer) && c.ok() == Some(true), Duration::from_secs(20))
                .await
                .expect("SNK notice sent");
            let markup = sent.param_json("reply_markup").expect("has a button");
            assert_eq!(markup["inline_keyboard"][0][0]["callback_data"], "snk:INV-SNK-1:3");
            let message_id = sent.result().unwrap()["message_id"].as_i64().unwrap();

            let client = reqwest::Client::new();
            // Someone else pressing a forged button for this order gets nothing.
            let forged = callback_update(Some(10), 777, 777, message_id, "snk:INV-SNK-1:3").to_string();
            assert_eq!(post_update(&client, &bot, "/telegram", Some(WEBHOOK_SECRET), forged).await, 200);
            let press = callback_update(Some(11), buyer, buyer, message_id, "snk:INV-SNK-1:3").to_string();
            assert_eq!(post_update(&client, &bot, "/telegram", Some(WEBHOOK_SECRET), press).await, 200);
            telegram
                .wait_for("sendMessage", |c| c.param_str("text").is_some_and(|t| t.contains("Silakan kirim jawaban SNK")), Duration::from_secs(20))
                .await
                .expect("prompt");
            let answer = message_update(Some(12), buyer, buyer, "Nama: Budi Santoso, KTP 3201").to_string();
            assert_eq!(post_update(&client, &bot, "/telegram", Some(WEBHOOK_SECRET), answer).await, 200);
            let forwarded = telegram
                .wait_for("sendMessage", |c| c.param_i64("chat_id") == Some(ADMIN_ID) && c.ok() == Some(true), Duration::from_secs(20))
                .await
                .expect("forwarded to the seller");
            assert!(forwarded.param_str("text").unwrap().contains("Budi Santoso"));
            assert!(telegram.wait_for("sendMessage", |c| c.param_str("text").is_some_and(|t| t.contains("Terima kasih")), Duration::from_secs(5)).await.is_some());
        });
        let pool = store.pool();
        let mut conn = autoorder_schema::checkout(&pool).unwrap();
        let sealed = autoorder_schema::queries::snk::load_snk_answer(&mut conn, "INV-SNK-1", 3).unwrap().expect("stored");
        assert!(!String::from_utf8_lossy(&sealed).contains("Budi"), "stored in clear");
        let key = |hex: &str| {
            let mut k = [0u8; 32];
            for i in 0..32 {
                k[i] = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
            }
            k
        };
        let aad = autoorder_schema::queries::snk::snk_aad("INV-SNK-1", 3);
        let right = autoorder_schema::crypto::DataKeys::new(vec![("t1".into(), key(DATA_KEY_HEX).into())]).unwrap();
        let plain = right.decrypt_str(&sealed, &aad).unwrap();
        assert!(plain.contains("Budi Santoso"));
        let wrong = autoorder_schema::crypto::DataKeys::new(vec![("t1".into(), [9u8; 32].into())]).unwrap();
        assert!(wrong.decrypt(&sealed, &aad).is_err(), "readable without the key");
        assert!(right.decrypt(&sealed, &autoorder_schema::queries::snk::snk_aad("INV-OTHER", 3)).is_err(), "not bound to its row");
    }
}
