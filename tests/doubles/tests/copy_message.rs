//! `copyMessage` in the Telegram double, driven by teloxide-core as the bot drives it: a
//! seller's message copied to a customer without a "forwarded from" header, media captions
//! replaced, and Telegram's refusals (unknown message, service message, blocked recipient).

use std::time::Duration;

use autoorder_doubles::{RateLimits, TelegramDouble, message_update};
use serde_json::json;
use teloxide_core::prelude::*;
use teloxide_core::types::{MessageId, ParseMode};
use teloxide_core::{ApiError, RequestError};

const TOKEN: &str = "123456789:AAH-test-token";
const SELLER: i64 = 500;

fn bot(double: &TelegramDouble) -> Bot {
    let url = reqwest::Url::parse(&double.base_url()).unwrap();
    Bot::new(TOKEN).set_api_url(url)
}

/// Pushes a message from the seller and returns its id.
fn seller_says(double: &TelegramDouble, message: serde_json::Value) -> i64 {
    let mut update = message_update(None, SELLER, SELLER, "x");
    let id = update["message"]["message_id"].as_i64().unwrap();
    let object = update["message"].as_object_mut().unwrap();
    object.remove("text");
    for (key, value) in message.as_object().unwrap() {
        object.insert(key.clone(), value.clone());
    }
    double.push_update(update);
    id
}

#[tokio::test]
async fn a_text_is_copied_with_its_formatting_and_without_a_forward_header() {
    let double = TelegramDouble::start();
    let original = seller_says(
        &double,
        json!({
            "text": "Promo Netflix 50%",
            "entities": [{"type": "bold", "offset": 0, "length": 5}],
            "forward_origin": {"type": "user", "date": 1, "sender_user": {"id": 9, "is_bot": false, "first_name": "X"}},
        }),
    );
    let copied = bot(&double)
        .copy_message(ChatId(42), ChatId(SELLER), MessageId(original as i32))
        .await
        .unwrap();
    let message = double
        .message(42, i64::from(copied.0))
        .expect("the copy is stored");
    assert_eq!(message["text"], "Promo Netflix 50%");
    assert_eq!(message["entities"][0]["type"], "bold");
    assert_eq!(message["chat"]["id"], 42);
    assert!(
        message.get("forward_origin").is_none(),
        "a copy has no forward header"
    );
    assert_eq!(message["from"]["is_bot"], true, "the bot sent the copy");
    assert_ne!(i64::from(copied.0), original);

    let calls = double.calls_to("copyMessage");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].param_i64("from_chat_id"), Some(SELLER));
    assert_eq!(calls[0].param_i64("message_id"), Some(original));
}

#[tokio::test]
async fn a_photo_is_copied_and_its_caption_can_be_replaced() {
    let double = TelegramDouble::start();
    let original = seller_says(
        &double,
        json!({
            "photo": [{"file_id": "AgAC-seller-photo", "file_unique_id": "u1", "width": 800, "height": 600}],
            "caption": "Lama",
        }),
    );
    let bot = bot(&double);
    let kept = bot
        .copy_message(ChatId(42), ChatId(SELLER), MessageId(original as i32))
        .await
        .unwrap();
    let kept = double.message(42, i64::from(kept.0)).unwrap();
    assert_eq!(kept["photo"][0]["file_id"], "AgAC-seller-photo");
    assert_eq!(kept["caption"], "Lama");

    let replaced = bot
        .copy_message(ChatId(43), ChatId(SELLER), MessageId(original as i32))
        .caption("<b>Baru</b>")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    let replaced = double.message(43, i64::from(replaced.0)).unwrap();
    assert_eq!(replaced["caption"], "Baru");
    assert_eq!(replaced["caption_entities"][0]["type"], "bold");
}

#[tokio::test]
async fn unknown_service_and_blocked_copies_fail_like_telegram() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    let missing = bot
        .copy_message(ChatId(42), ChatId(SELLER), MessageId(999_999))
        .await
        .unwrap_err();
    assert!(
        matches!(missing, RequestError::Api(ApiError::MessageToCopyNotFound)),
        "{missing:?}"
    );

    let service = seller_says(&double, json!({"new_chat_title": "Toko"}));
    let refused = bot
        .copy_message(ChatId(42), ChatId(SELLER), MessageId(service as i32))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("message can't be copied"),
        "{refused}"
    );

    let text = seller_says(&double, json!({"text": "Halo"}));
    double.set_blocked(42, true);
    let blocked = bot
        .copy_message(ChatId(42), ChatId(SELLER), MessageId(text as i32))
        .await
        .unwrap_err();
    assert!(
        matches!(blocked, RequestError::Api(ApiError::BotBlocked)),
        "{blocked:?}"
    );
}

#[tokio::test]
async fn copies_count_against_the_flood_limits() {
    let double = TelegramDouble::start();
    double.enforce_limits(Some(RateLimits {
        per_chat_interval: Duration::from_secs(60),
        ..RateLimits::default()
    }));
    let text = seller_says(&double, json!({"text": "Halo"}));
    let bot = bot(&double);
    bot.copy_message(ChatId(42), ChatId(SELLER), MessageId(text as i32))
        .await
        .unwrap();
    let second = bot
        .copy_message(ChatId(42), ChatId(SELLER), MessageId(text as i32))
        .await
        .unwrap_err();
    assert!(matches!(second, RequestError::RetryAfter(_)), "{second:?}");
    assert_eq!(double.rate_limited_count(), 1);
}
