//! The Telegram double driven by teloxide-core, the client the bot uses.

use std::time::{Duration, Instant};

use autoorder_doubles::{Failure, TelegramDouble, callback_update, message_update};
use serde_json::{Value, json};
use teloxide_core::prelude::*;
use teloxide_core::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageEntityKind, ParseMode, UpdateKind,
};
use teloxide_core::{ApiError, RequestError};

const TOKEN: &str = "123456789:AAH-test-token";
const WAIT: Duration = Duration::from_secs(5);

fn bot(double: &TelegramDouble) -> Bot {
    let url = reqwest::Url::parse(&double.base_url()).unwrap();
    Bot::new(TOKEN).set_api_url(url)
}

#[tokio::test]
async fn get_me_parses() {
    let double = TelegramDouble::start();
    let me = bot(&double).get_me().await.unwrap();
    assert_eq!(me.id.0, 123_456_789);
    assert!(me.is_bot);
    assert_eq!(me.username(), "autoorder_test_bot");
    let calls = double.calls_to("getMe");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].token, TOKEN);
    assert_eq!(calls[0].ok(), Some(true));
}

#[tokio::test]
async fn send_message_is_answered_and_recorded() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Beli", "buy:1")]]);
    let first = bot
        .send_message(ChatId(42), "Halo, selamat datang")
        .reply_markup(keyboard.clone())
        .await
        .unwrap();
    assert_eq!(first.text(), Some("Halo, selamat datang"));
    assert_eq!(first.chat.id, ChatId(42));
    assert!(first.chat.is_private());
    assert_eq!(first.from.as_ref().map(|u| u.id.0), Some(123_456_789));
    assert_eq!(first.reply_markup(), Some(&keyboard));

    let second = bot.send_message(ChatId(42), "lagi").await.unwrap();
    assert!(second.id.0 > first.id.0, "message ids increase");

    let calls = double.calls_to("sendMessage");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].params["chat_id"], 42);
    assert_eq!(calls[0].params["text"], "Halo, selamat datang");
    assert_eq!(
        calls[0].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "buy:1"
    );
    assert_eq!(calls[1].result().unwrap()["text"], "lagi");
}

#[tokio::test]
async fn html_parse_mode_yields_entities_and_parse_errors() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    let message = bot
        .send_message(ChatId(42), "<b>Total</b>: Rp 15.000 &amp; gratis")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    assert_eq!(message.text(), Some("Total: Rp 15.000 & gratis"));
    let entities = message.entities().unwrap();
    assert_eq!(entities.len(), 1);
    assert_eq!(entities[0].kind, MessageEntityKind::Bold);
    assert_eq!((entities[0].offset, entities[0].length), (0, 5));

    let err = bot
        .send_message(ChatId(42), "harga < 10rb")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RequestError::Api(ApiError::CantParseEntities(d))
            if d == "Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 6"),
        "{err:?}"
    );
}

#[tokio::test]
async fn send_photo_upload_is_recorded_as_multipart() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    let bytes = vec![7u8; 2048];
    let message = bot
        .send_photo(ChatId(42), InputFile::memory(bytes).file_name("produk.jpg"))
        .caption("Voucher 50rb")
        .await
        .unwrap();
    assert_eq!(message.caption(), Some("Voucher 50rb"));
    let photo = message.photo().unwrap();
    assert!(photo.len() >= 2);
    assert_eq!(photo.last().unwrap().file.size, 2048);

    let call = &double.calls_to("sendPhoto")[0];
    assert_eq!(call.param_i64("chat_id"), Some(42));
    assert_eq!(
        call.params["chat_id"], "42",
        "multipart fields stay strings"
    );
    assert_eq!(call.params["caption"], "Voucher 50rb");
    assert_eq!(call.params["photo"]["file_name"], "produk.jpg");
    assert_eq!(call.params["photo"]["size"], 2048);

    // Re-sending by file_id returns the same photo.
    let file_id = photo.last().unwrap().file.id.clone();
    let again = bot
        .send_photo(ChatId(42), InputFile::file_id(file_id.clone()))
        .await
        .unwrap();
    assert_eq!(again.photo().unwrap().last().unwrap().file.id, file_id);
}

#[tokio::test]
async fn send_document_upload() {
    let double = TelegramDouble::start();
    let message = bot(&double)
        .send_document(
            ChatId(42),
            InputFile::memory(b"kode: ABC-123".to_vec()).file_name("voucher.txt"),
        )
        .await
        .unwrap();
    let document = message.document().unwrap();
    assert_eq!(document.file_name.as_deref(), Some("voucher.txt"));
    assert_eq!(document.file.size, 13);
    assert_eq!(
        document.mime_type.as_ref().map(|m| m.essence_str()),
        Some("text/plain")
    );
}

#[tokio::test]
async fn get_updates_confirms_by_offset() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    let a = double.push_update(message_update(None, 42, 42, "/start"));
    let b = double.push_update(callback_update(None, 42, 42, 7, "buy:1"));
    assert_eq!(b, a + 1);
    let c = double.push_update(message_update(Some(b + 10), 42, 42, "halo"));
    assert_eq!(c, b + 10);

    let all = bot.get_updates().await.unwrap();
    assert_eq!(
        all.iter().map(|u| u.id.0 as i64).collect::<Vec<_>>(),
        [a, b, c]
    );
    let UpdateKind::Message(start) = &all[0].kind else {
        panic!("{:?}", all[0].kind)
    };
    assert_eq!(start.text(), Some("/start"));
    assert_eq!(
        start.entities().unwrap()[0].kind,
        MessageEntityKind::BotCommand
    );
    let UpdateKind::CallbackQuery(query) = &all[1].kind else {
        panic!("{:?}", all[1].kind)
    };
    assert_eq!(query.data.as_deref(), Some("buy:1"));
    assert_eq!(query.from.language_code.as_deref(), Some("id"));

    // Not confirmed yet: asked again, they come again; limit applies.
    let first = bot.get_updates().limit(1).await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].id.0 as i64, a);

    // offset = b confirms a only.
    let rest = bot.get_updates().offset(b as i32).await.unwrap();
    assert_eq!(
        rest.iter().map(|u| u.id.0 as i64).collect::<Vec<_>>(),
        [b, c]
    );
    assert_eq!(double.pending_updates().len(), 2);

    let none = bot.get_updates().offset(c as i32 + 1).await.unwrap();
    assert!(none.is_empty());
    assert!(double.pending_updates().is_empty());
}

#[tokio::test]
async fn long_poll_wakes_when_an_update_is_pushed() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    let started = Instant::now();
    let poll = tokio::spawn(async move { bot.get_updates().timeout(30).await });
    double
        .wait_for("getUpdates", |_| true, WAIT)
        .await
        .expect("the poll arrived");
    let id = double.push_update(message_update(None, 42, 42, "halo"));
    let updates = poll.await.unwrap().unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].id.0 as i64, id);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "woke on the push"
    );
}

#[tokio::test]
async fn wait_for_rechecks_a_call_until_it_is_answered() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    let poll = tokio::spawn(async move { bot.get_updates().timeout(30).await });
    double.wait_for("getUpdates", |_| true, WAIT).await.unwrap();
    let answered = double.wait_for("getUpdates", |c| c.response.is_some(), WAIT);
    let mut answered = std::pin::pin!(answered);
    // Its first look finds the poll recorded but not answered yet.
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    assert!(answered.as_mut().poll(&mut cx).is_pending());
    double.push_update(message_update(None, 42, 42, "halo"));
    let call = answered.await.expect("re-checked once answered");
    assert_eq!(call.result().unwrap().as_array().unwrap().len(), 1);
    assert_eq!(poll.await.unwrap().unwrap().len(), 1);
}

#[tokio::test]
async fn a_second_poll_terminates_the_first() {
    let double = TelegramDouble::start();
    let first = bot(&double);
    let poll = tokio::spawn(async move { first.get_updates().timeout(30).await });
    double.wait_for("getUpdates", |_| true, WAIT).await.unwrap();
    let second = tokio::spawn({
        let bot = bot(&double);
        async move { bot.get_updates().timeout(30).await }
    });
    let err = poll.await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            RequestError::Api(ApiError::TerminatedByOtherGetUpdates)
        ),
        "{err:?}"
    );
    double.push_update(message_update(None, 1, 1, "x"));
    assert_eq!(second.await.unwrap().unwrap().len(), 1);
}

#[tokio::test]
async fn injected_failures_surface_as_teloxide_errors() {
    let double = TelegramDouble::start();
    let bot = bot(&double);

    double.fail("sendMessage", Failure::RetryAfter(7), Some(1));
    let err = bot.send_message(ChatId(42), "a").await.unwrap_err();
    assert!(
        matches!(err, RequestError::RetryAfter(s) if s.seconds() == 7),
        "{err:?}"
    );
    let call = &double.calls_to("sendMessage")[0];
    assert_eq!(
        call.response,
        Some(json!({"ok": false, "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7}}))
    );
    // Only once: the next call goes through.
    bot.send_message(ChatId(42), "a").await.unwrap();

    double.fail(
        "SENDMESSAGE",
        Failure::Error(403, "Forbidden: bot was blocked by the user".into()),
        None,
    );
    for _ in 0..2 {
        let err = bot.send_message(ChatId(42), "b").await.unwrap_err();
        assert!(
            matches!(err, RequestError::Api(ApiError::BotBlocked)),
            "{err:?}"
        );
    }
    double.clear_failures();
    bot.send_message(ChatId(42), "c").await.unwrap();

    double.fail("getMe", Failure::Drop, Some(1));
    let err = bot.get_me().await.unwrap_err();
    assert!(matches!(err, RequestError::Network(_)), "{err:?}");
    assert_eq!(double.calls_to("getMe")[0].response, None);
    bot.get_me().await.unwrap();
}

#[tokio::test]
async fn blocked_chats_and_edits_fail_like_telegram() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    double.set_blocked(13, true);
    let err = bot.send_message(ChatId(13), "x").await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::BotBlocked)),
        "{err:?}"
    );

    let sent = bot.send_message(ChatId(42), "Pilih produk").await.unwrap();
    let edited = bot
        .edit_message_text(ChatId(42), sent.id, "Pilih jumlah")
        .await
        .unwrap();
    assert_eq!(edited.text(), Some("Pilih jumlah"));
    assert!(edited.edit_date().is_some());
    let err = bot
        .edit_message_text(ChatId(42), sent.id, "Pilih jumlah")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageNotModified)),
        "{err:?}"
    );

    // A callback on a message the double sent carries that message.
    double.push_update(callback_update(None, 42, 42, sent.id.0 as i64, "qty:2"));
    let updates = bot.get_updates().await.unwrap();
    let UpdateKind::CallbackQuery(query) = &updates[0].kind else {
        panic!()
    };
    let message = query.regular_message().unwrap();
    assert_eq!(message.text(), Some("Pilih jumlah"));

    assert!(bot.delete_message(ChatId(42), sent.id).await.is_ok());
    let err = bot.delete_message(ChatId(42), sent.id).await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageToDeleteNotFound)),
        "{err:?}"
    );
    let err = bot
        .edit_message_text(ChatId(42), sent.id, "y")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageToEditNotFound)),
        "{err:?}"
    );
}

#[tokio::test]
async fn webhook_is_recorded_and_blocks_polling() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    let url = reqwest::Url::parse("https://shop.example.id/telegram/webhook").unwrap();
    bot.set_webhook(url)
        .secret_token("s3cr3t-Token_1")
        .allowed_updates([teloxide_core::types::AllowedUpdate::Message])
        .drop_pending_updates(true)
        .await
        .unwrap();
    let hook = double.webhook().unwrap();
    assert_eq!(hook.url, "https://shop.example.id/telegram/webhook");
    assert_eq!(hook.secret_token.as_deref(), Some("s3cr3t-Token_1"));
    assert_eq!(hook.allowed_updates, Some(vec!["message".to_owned()]));
    assert!(hook.drop_pending_updates);
    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(
        info.url.unwrap().as_str(),
        "https://shop.example.id/telegram/webhook"
    );

    let err = bot.get_updates().await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::Unknown(ref d)) if d.starts_with("Conflict: can't use getUpdates")),
        "{err:?}"
    );

    bot.delete_webhook().await.unwrap();
    assert_eq!(double.webhook(), None);
    assert!(bot.get_webhook_info().await.unwrap().url.is_none());
    bot.get_updates().await.unwrap();
}

#[tokio::test]
async fn commands_callbacks_and_tokens() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    bot.set_my_commands([teloxide_core::types::BotCommand::new(
        "start",
        "Mulai belanja",
    )])
    .await
    .unwrap();
    assert_eq!(bot.get_my_commands().await.unwrap()[0].command, "start");
    bot.answer_callback_query("4321".into())
        .text("Ditambahkan")
        .await
        .unwrap();

    double.set_valid_token(Some("1:other".into()));
    let err = bot.get_me().await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::InvalidToken)),
        "{err:?}"
    );
    double.set_valid_token(Some(TOKEN.into()));
    bot.get_me().await.unwrap();
}

#[tokio::test]
async fn raw_wire_formats() {
    let double = TelegramDouble::start();
    let http = reqwest::Client::new();
    let base = double.base_url();

    // Form body, method name in another case.
    let body: Value = http
        .post(format!("{base}/bot{TOKEN}/SENDMESSAGE"))
        .form(&[("chat_id", "42"), ("text", "halo")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["ok"], true);
    assert_eq!(body["result"]["text"], "halo");
    let call = &double.calls_to("sendMessage")[0];
    assert_eq!(call.method, "sendMessage");
    assert_eq!(call.params, json!({"chat_id": "42", "text": "halo"}));

    // Query string on a GET.
    let response = http
        .get(format!("{base}/bot{TOKEN}/sendMessage?chat_id=42&text=q"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // Unknown method.
    let response = http
        .post(format!("{base}/bot{TOKEN}/sendTelepathy"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"})
    );

    // Missing parameters.
    let body: Value = http
        .post(format!("{base}/bot{TOKEN}/sendMessage"))
        .json(&json!({"chat_id": 42}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["description"], "Bad Request: message text is empty");
}

#[tokio::test]
async fn wait_for_sees_recorded_calls_and_times_out() {
    let double = TelegramDouble::start();
    bot(&double).send_message(ChatId(5), "sudah").await.unwrap();
    let call = double
        .wait_for("sendmessage", |c| c.params["text"] == "sudah", WAIT)
        .await
        .unwrap();
    assert_eq!(call.param_i64("chat_id"), Some(5));
    assert!(call.response.is_some());

    let started = Instant::now();
    let none = double
        .wait_for(
            "sendMessage",
            |c| c.params["text"] == "belum",
            Duration::from_millis(200),
        )
        .await;
    assert!(none.is_none());
    assert!(started.elapsed() >= Duration::from_millis(200));

    // And a call that arrives while waiting wakes it.
    let waiter = {
        let double = double.clone();
        tokio::spawn(async move {
            double
                .wait_for("sendMessage", |c| c.params["text"] == "nanti", WAIT)
                .await
        })
    };
    bot(&double).send_message(ChatId(5), "nanti").await.unwrap();
    assert!(waiter.await.unwrap().is_some());
}

#[test]
fn starts_from_sync_code_and_stops() {
    let double = TelegramDouble::start();
    let addr = double.base_url().trim_start_matches("http://").to_owned();
    assert!(std::net::TcpStream::connect(&addr).is_ok());
    let clone = double.clone();
    drop(double);
    assert!(
        std::net::TcpStream::connect(&addr).is_ok(),
        "a handle is left"
    );
    drop(clone);
    assert!(
        std::net::TcpStream::connect(&addr).is_err(),
        "stopped on last drop"
    );
}

#[test]
fn drop_failure_closes_without_a_byte() {
    use std::io::{Read, Write};
    let double = TelegramDouble::start();
    double.fail("getMe", Failure::Drop, None);
    let addr = double.base_url().trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        stream,
        "POST /bot{TOKEN}/getMe HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
}
