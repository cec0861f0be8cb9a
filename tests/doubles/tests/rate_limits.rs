//! The Telegram double's flood limits and unreachable-chat answers.

use std::time::{Duration, Instant};

use autoorder_doubles::{RateLimits, TelegramDouble};
use futures_util::future::join_all;
use serde_json::{Value, json};
use teloxide_core::prelude::*;
use teloxide_core::types::{ChatAction, FileId, InputFile};
use teloxide_core::{ApiError, RequestError};

const TOKEN: &str = "123456789:AAH-test-token";
const HOUR: Duration = Duration::from_secs(3600);

fn bot(double: &TelegramDouble) -> Bot {
    let url = reqwest::Url::parse(&double.base_url()).unwrap();
    Bot::new(TOKEN).set_api_url(url)
}

/// `sendMessage` over raw HTTP: (status, body).
async fn send(http: &reqwest::Client, double: &TelegramDouble, chat_id: i64) -> (u16, Value) {
    let response = http
        .post(format!("{}/bot{TOKEN}/sendMessage", double.base_url()))
        .json(&json!({"chat_id": chat_id, "text": "promo"}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn too_many(retry_after: u32) -> Value {
    json!({"ok": false, "error_code": 429,
        "description": format!("Too Many Requests: retry after {retry_after}"),
        "parameters": {"retry_after": retry_after}})
}

#[tokio::test]
async fn limits_are_off_by_default_but_sends_are_logged() {
    let double = TelegramDouble::start();
    let http = reqwest::Client::new();
    for _ in 0..50 {
        assert_eq!(send(&http, &double, 42).await.0, 200);
    }
    assert_eq!(double.rate_limited_count(), 0);
    let sends = double.accepted_sends();
    assert_eq!(sends.len(), 50);
    assert!(sends.iter().all(|(chat, _)| *chat == 42));
    assert!(sends.windows(2).all(|w| w[0].1 <= w[1].1), "in order");
    assert_eq!(double.max_sends_in_window(HOUR), 50);
    let gap = double.min_gap_per_chat().unwrap();
    assert_eq!(
        Some(gap),
        sends.windows(2).map(|w| w[1].1 - w[0].1).min(),
        "the smallest consecutive gap"
    );
}

#[tokio::test]
async fn second_send_to_a_chat_is_429_with_retry_after() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    // An hour between sends to a chat: the second is refused however slow
    // the machine is.
    double.enforce_limits(Some(RateLimits {
        global_per_second: 30,
        per_chat_interval: HOUR,
        per_chat_burst: 1,
        penalty: false,
        retry_after: 7,
        ..RateLimits::default()
    }));

    bot.send_message(ChatId(42), "satu").await.unwrap();
    let err = bot.send_message(ChatId(42), "dua").await.unwrap_err();
    assert!(
        matches!(err, RequestError::RetryAfter(s) if s.seconds() == 7),
        "{err:?}"
    );
    let err = bot
        .send_photo(
            ChatId(42),
            InputFile::file_id(FileId("AgACAgUAAxk".to_owned())),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, RequestError::RetryAfter(_)), "{err:?}");
    // Other chats are not held back, and non-send methods are not limited.
    bot.send_message(ChatId(43), "satu").await.unwrap();
    bot.get_me().await.unwrap();
    bot.send_chat_action(ChatId(42), ChatAction::Typing)
        .await
        .unwrap();

    let calls = double.calls_to("sendMessage");
    assert_eq!(calls.len(), 3, "refused sends are recorded");
    assert_eq!(calls[1].response, Some(too_many(7)));
    assert_eq!(calls[0].ok(), Some(true));
    assert_eq!(calls[2].ok(), Some(true));
    assert_eq!(double.calls_to("sendPhoto")[0].response, Some(too_many(7)));

    assert_eq!(double.rate_limited_count(), 2);
    let chats: Vec<i64> = double.accepted_sends().iter().map(|s| s.0).collect();
    assert_eq!(chats, [42, 43]);
    assert_eq!(double.min_gap_per_chat(), None, "no chat got two");

    // Injected 429s are not the limiter's.
    double.fail(
        "sendMessage",
        autoorder_doubles::Failure::RetryAfter(1),
        Some(1),
    );
    bot.send_message(ChatId(44), "x").await.unwrap_err();
    assert_eq!(double.rate_limited_count(), 2);

    // clear_calls forgets the log and the count but not the windows.
    double.clear_calls();
    assert_eq!(double.rate_limited_count(), 0);
    assert!(double.accepted_sends().is_empty());
    bot.send_message(ChatId(42), "tiga").await.unwrap_err();
    assert_eq!(double.rate_limited_count(), 1);

    // Switching off lets everything through; switching on starts afresh.
    double.enforce_limits(None);
    bot.send_message(ChatId(42), "empat").await.unwrap();
    double.enforce_limits(Some(RateLimits {
        per_chat_interval: HOUR,
        per_chat_burst: 1,
        penalty: false,
        ..RateLimits::default()
    }));
    bot.send_message(ChatId(42), "lima").await.unwrap();
    bot.send_message(ChatId(42), "enam").await.unwrap_err();
    assert_eq!(double.rate_limited_count(), 2);
}

#[tokio::test]
async fn forty_chats_at_once_get_at_most_the_global_limit() {
    let double = TelegramDouble::start();
    let limits = RateLimits {
        penalty: false,
        ..RateLimits::default()
    };
    let limit = limits.global_per_second as usize;
    double.enforce_limits(Some(limits));
    let http = reqwest::Client::new();

    let started = Instant::now();
    let answers = join_all((1..=40).map(|chat| send(&http, &double, chat))).await;
    let elapsed = started.elapsed();

    let accepted = answers.iter().filter(|(status, _)| *status == 200).count();
    let refused: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 429)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(accepted + refused.len(), 40, "only 200s and 429s");
    assert!(refused.iter().all(|body| **body == too_many(1)));
    assert_eq!(double.rate_limited_count(), refused.len() as u64);
    assert_eq!(double.accepted_sends().len(), accepted);
    assert!(double.max_sends_in_window(Duration::from_secs(1)) <= limit);
    assert_eq!(double.min_gap_per_chat(), None);
    if elapsed < Duration::from_secs(1) {
        // Everything happened within one second: exactly the limit got through.
        assert_eq!(accepted, limit, "in {elapsed:?}");
        assert_eq!(refused.len(), 40 - limit);
        assert_eq!(double.max_sends_in_window(Duration::from_secs(1)), limit);
    } else {
        // A very slow machine: the window may have moved on meanwhile.
        assert!(accepted >= limit, "{accepted} in {elapsed:?}");
    }
}

#[tokio::test]
async fn accepted_sends_count_whatever_the_method_answers() {
    let double = TelegramDouble::start();
    let http = reqwest::Client::new();
    double.set_blocked(13, true);
    double.enforce_limits(Some(RateLimits {
        per_chat_interval: HOUR,
        per_chat_burst: 1,
        penalty: false,
        ..RateLimits::default()
    }));
    assert_eq!(send(&http, &double, 13).await.0, 403);
    assert_eq!(send(&http, &double, 13).await.0, 429, "the 403 counted");
    // Without a usable chat id a send is a 400 and not counted at all.
    let response = http
        .post(format!("{}/bot{TOKEN}/sendMessage", double.base_url()))
        .json(&json!({"text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(double.accepted_sends().len(), 1);
}

#[tokio::test]
async fn blocked_deactivated_and_missing_chats() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    double.add_users_blocked(1000..1100);
    double.set_deactivated(7);
    double.set_missing_chat(8);
    let photo = || InputFile::file_id(FileId("AgACAgUAAxk".to_owned()));

    for chat in [1000, 1050, 1099] {
        let err = bot.send_message(ChatId(chat), "x").await.unwrap_err();
        assert!(
            matches!(err, RequestError::Api(ApiError::BotBlocked)),
            "{err:?}"
        );
    }
    let err = bot.send_photo(ChatId(1001), photo()).await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::BotBlocked)),
        "{err:?}"
    );
    bot.send_message(ChatId(1100), "x").await.unwrap();

    for err in [
        bot.send_message(ChatId(7), "x").await.unwrap_err(),
        bot.send_photo(ChatId(7), photo()).await.unwrap_err(),
    ] {
        assert!(
            matches!(err, RequestError::Api(ApiError::UserDeactivated)),
            "{err:?}"
        );
    }
    for err in [
        bot.send_message(ChatId(8), "x").await.unwrap_err(),
        bot.send_photo(ChatId(8), photo()).await.unwrap_err(),
    ] {
        assert!(
            matches!(err, RequestError::Api(ApiError::ChatNotFound)),
            "{err:?}"
        );
    }

    let http = reqwest::Client::new();
    let expected = [
        (7, 403, "Forbidden: user is deactivated"),
        (8, 400, "Bad Request: chat not found"),
        (1000, 403, "Forbidden: bot was blocked by the user"),
    ];
    for (chat, code, description) in expected {
        let (status, body) = send(&http, &double, chat).await;
        assert_eq!(status, code);
        assert_eq!(
            body,
            json!({"ok": false, "error_code": code, "description": description})
        );
    }
}

/// The double must not be what slows a bot down: a thousand sends from 32
/// concurrent clients, with a test waiting on the calls meanwhile, are served
/// well above a few hundred per second.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn serves_many_requests_per_second() {
    let double = TelegramDouble::start();
    let waiter = {
        let double = double.clone();
        tokio::spawn(async move {
            double
                .wait_for(
                    "sendMessage",
                    |c| c.params["text"] == "never",
                    Duration::from_secs(60),
                )
                .await
        })
    };
    let http = reqwest::Client::new();
    let started = Instant::now();
    let workers = (0..32).map(|worker| {
        let (http, double) = (http.clone(), double.clone());
        async move {
            for k in 0..32 {
                assert_eq!(send(&http, &double, worker * 100 + k + 1).await.0, 200);
            }
        }
    });
    join_all(workers).await;
    let elapsed = started.elapsed();
    waiter.abort();
    assert_eq!(double.accepted_sends().len(), 1024);
    assert!(
        elapsed < Duration::from_secs(4),
        "1024 sends took {elapsed:?}"
    );
}

#[tokio::test]
async fn a_bot_that_keeps_flooding_is_penalised_with_longer_waits() {
    let double = TelegramDouble::start();
    double.enforce_limits(Some(RateLimits {
        global_per_second: 3,
        ..RateLimits::default()
    }));
    let http = reqwest::Client::new();
    for chat in 1..=3 {
        assert_eq!(send(&http, &double, chat).await.0, 200);
    }
    let (status, body) = send(&http, &double, 4).await;
    assert_eq!((status, body), (429, too_many(1)));
    // Ignoring the answer: every further send within the block waits twice as long.
    assert_eq!(send(&http, &double, 5).await.1, too_many(2));
    assert_eq!(send(&http, &double, 6).await.1, too_many(4));
    assert_eq!(double.rate_limited_count(), 3);
}

#[tokio::test]
async fn one_chat_gets_a_short_burst_then_one_per_second() {
    let double = TelegramDouble::start();
    double.enforce_limits(Some(RateLimits {
        per_chat_interval: HOUR,
        penalty: false,
        ..RateLimits::default()
    }));
    let http = reqwest::Client::new();
    let statuses: Vec<u16> = [
        send(&http, &double, 9).await.0,
        send(&http, &double, 9).await.0,
        send(&http, &double, 9).await.0,
        send(&http, &double, 9).await.0,
    ]
    .to_vec();
    assert_eq!(statuses, [200, 200, 200, 429], "a burst of three");
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let double = TelegramDouble::start();
    double.set_latency(Duration::from_millis(150));
    let http = reqwest::Client::new();
    let started = Instant::now();
    let answers = join_all((1..=10).map(|chat| send(&http, &double, chat))).await;
    let elapsed = started.elapsed();
    assert!(answers.iter().all(|(status, _)| *status == 200));
    // Ten concurrent sends take one latency, not ten: the double answers concurrently.
    assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(1500),
        "served concurrently: {elapsed:?}"
    );
    double.set_latency(Duration::ZERO);
    let t = Instant::now();
    double_get_me(&http, &double).await;
    assert!(
        t.elapsed() < Duration::from_millis(150),
        "{:?}",
        t.elapsed()
    );
}

async fn double_get_me(http: &reqwest::Client, double: &TelegramDouble) {
    let response = http
        .post(format!("{}/bot{TOKEN}/getMe", double.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
