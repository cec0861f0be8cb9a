//! End-to-end: admin part 2 against the running binary and the Telegram double, both backends.
//! So far the broadcast engine's extensions: a "copy any message" broadcast sent with
//! `copyMessage` through the queue, and `autoorder broadcast send` with an audience.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use autoorder_doubles::{RateLimits, TelegramDouble, message_update};
use autoorder_schema::both_backends;
use autoorder_schema::queries::broadcasts::{
    Audience, BroadcastBody, NewBroadcast, Progress, broadcast_progress, start_broadcast,
};
use serde_json::json;
use support::{ADMIN_ID, Store, add_users, eventually};

fn progress(store: &Store, id: i64) -> Progress {
    let pool = store.pool();
    let mut conn = autoorder_schema::checkout(&pool).unwrap();
    broadcast_progress(&mut conn, id).unwrap().unwrap()
}

/// Accepted calls of `method` per target chat.
fn accepted_per_chat(telegram: &TelegramDouble, method: &str) -> HashMap<i64, usize> {
    let mut per_chat = HashMap::new();
    for call in telegram.calls_to(method) {
        if call.ok() == Some(true) {
            *per_chat
                .entry(call.param_i64("chat_id").unwrap())
                .or_insert(0) += 1;
        }
    }
    per_chat
}

both_backends! {
    fn a_copied_message_reaches_every_reachable_customer_once(backend) {
        let telegram = TelegramDouble::start();
        telegram.enforce_limits(Some(RateLimits { slack: Duration::from_millis(5), ..RateLimits::default() }));
        let store = Store::new(backend, &telegram);
        let _bot = store.start();
        add_users(&store.pool(), 1..=30);
        telegram.set_blocked(7, true);

        // The seller's message: a photo with a caption, as it arrived in the seller's chat.
        let mut update = message_update(None, ADMIN_ID, ADMIN_ID, "x");
        let message_id = update["message"]["message_id"].as_i64().unwrap();
        let message = update["message"].as_object_mut().unwrap();
        message.remove("text");
        message.insert("photo".into(), json!([{"file_id": "AgAC-promo", "file_unique_id": "p1", "width": 800, "height": 600}]));
        message.insert("caption".into(), json!("Promo akhir pekan"));
        telegram.push_update(update);
        // The bot registers the seller when it handles that message; the seller is a
        // reachable user too and gets the copy like everyone else.
        assert!(eventually(Duration::from_secs(20), || store.count("users") == 31), "the seller's message was handled");

        let body = BroadcastBody::Copy { from_chat_id: ADMIN_ID, message_id };
        let (id, recipients) = {
            let pool = store.pool();
            let mut conn = autoorder_schema::checkout(&pool).unwrap();
            start_broadcast(&mut conn, &NewBroadcast { body: &body, audience: Audience::All, created_by: "admin:7001" }).unwrap().unwrap()
        };
        assert_eq!(recipients, 31);
        assert!(eventually(Duration::from_secs(30), || progress(&store, id).pending == 0), "{:?}", progress(&store, id));
        let p = progress(&store, id);
        assert_eq!((p.sent, p.blocked, p.failed, p.state.as_str()), (30, 1, 0, "done"));
        let copies = accepted_per_chat(&telegram, "copyMessage");
        assert_eq!(copies.len(), 30);
        assert!(copies.values().all(|n| *n == 1), "someone got it twice");
        for call in telegram.calls_to("copyMessage").iter().filter(|c| c.ok() == Some(true)) {
            assert_eq!(call.param_i64("from_chat_id"), Some(ADMIN_ID));
            let chat = call.param_i64("chat_id").unwrap();
            let copied = call.result().unwrap()["message_id"].as_i64().unwrap();
            let shown = telegram.message(chat, copied).unwrap();
            assert_eq!(shown["caption"], "Promo akhir pekan");
            assert_eq!(shown["photo"][0]["file_id"], "AgAC-promo");
        }
        assert!(accepted_per_chat(&telegram, "sendPhoto").keys().all(|c| !copies.contains_key(c)), "copies are not re-sent as photos");
        assert_eq!(telegram.rate_limited_count(), 0, "copies pass the one limiter");
    }
}

both_backends! {
    fn the_cli_broadcasts_to_recently_active_customers_only(backend) {
        let telegram = TelegramDouble::start();
        let store = Store::new(backend, &telegram);
        let _bot = store.start();
        add_users(&store.pool(), 1..=10);
        autoorder_schema::testing::execute(&store.pool(), "UPDATE users SET last_seen_at = last_seen_at - CAST(30 AS BIGINT) * 86400000 WHERE id <= 4").unwrap();

        let refused = store.cli(&["broadcast", "send", "--text", "Halo", "--buyers-of", "NOPE"]);
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("--buyers-of NOPE: there is no product with that code"), "{}", String::from_utf8_lossy(&refused.stderr));
        let refused = store.cli(&["broadcast", "send", "--text", "Halo", "--active-days", "0"]);
        assert!(String::from_utf8_lossy(&refused.stderr).contains("--active-days 0: expected 1 to 365"));
        assert_eq!(store.count("broadcasts"), 0, "refused commands create nothing");

        let out = store.cli(&["broadcast", "send", "--text", "Promo pelanggan aktif", "--active-days", "7"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("for 6 recipient(s)"), "{stdout}");
        let id: i64 = stdout.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!(eventually(Duration::from_secs(30), || progress(&store, id).pending == 0), "{:?}", progress(&store, id));
        let sent: Vec<i64> = {
            let mut chats: Vec<i64> = accepted_per_chat(&telegram, "sendMessage")
                .into_keys()
                .filter(|c| (1..=10).contains(c))
                .collect();
            chats.sort();
            chats
        };
        assert_eq!(sent, vec![5, 6, 7, 8, 9, 10]);
    }
}
