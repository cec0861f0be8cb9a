//! Files a user sends to the bot, fetched the way the Bot API serves them: `getFile`, then
//! `GET /file/bot<TOKEN>/<file_path>` — driven by teloxide-core, the client the bot uses.

use std::time::Duration;

use autoorder_doubles::{Failure, TelegramDouble, document_update, photo_update};
use futures_util::StreamExt;
use teloxide_core::net::Download;
use teloxide_core::prelude::*;
use teloxide_core::types::{FileId, MediaKind, MessageKind, UpdateKind};
use teloxide_core::{ApiError, RequestError};

const TOKEN: &str = "123456789:AAH-test-token";

fn bot(double: &TelegramDouble) -> Bot {
    let url = reqwest::Url::parse(&double.base_url()).unwrap();
    Bot::new(TOKEN).set_api_url(url)
}

/// The document and caption of the first update `getUpdates` returns.
async fn received_document(bot: &Bot) -> (teloxide_core::types::Document, Option<String>) {
    let updates = bot.get_updates().timeout(1).await.unwrap();
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("a message update: {:?}", updates[0].kind);
    };
    let MessageKind::Common(common) = &message.kind else {
        panic!("a common message");
    };
    let MediaKind::Document(media) = &common.media_kind else {
        panic!("a document message: {:?}", common.media_kind);
    };
    (media.document.clone(), media.caption.clone())
}

#[tokio::test]
async fn a_sent_document_is_fetched_with_get_file_and_its_file_url() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    let contents = "akun1@mail.id:rahasia1\r\nakun2@mail.id:rahasia2\n"
        .as_bytes()
        .to_vec();
    let document = double.add_file("stok.txt", "text/plain", contents.clone());
    double.push_update(document_update(None, 42, 42, document, Some("stok baru")));

    let (document, caption) = received_document(&bot).await;
    assert_eq!(document.file_name.as_deref(), Some("stok.txt"));
    assert_eq!(
        document.mime_type.as_ref().map(|m| m.essence_str()),
        Some("text/plain")
    );
    assert_eq!(document.file.size as usize, contents.len());
    assert_eq!(caption.as_deref(), Some("stok baru"));

    let file = bot.get_file(document.file.id.clone()).await.unwrap();
    assert_eq!(file.meta.id, document.file.id);
    assert_eq!(file.meta.size as usize, contents.len());
    assert!(
        file.path.starts_with("documents/") && file.path.ends_with(".txt"),
        "{}",
        file.path
    );

    // teloxide encodes the `/` of the path as %2F, as it does against api.telegram.org.
    let mut downloaded: Vec<u8> = Vec::new();
    bot.download_file(&file.path, &mut downloaded)
        .await
        .unwrap();
    assert_eq!(downloaded, contents);
    let streamed: Vec<u8> = bot
        .download_file_stream(&file.path)
        .map(|chunk| chunk.unwrap().to_vec())
        .concat()
        .await;
    assert_eq!(streamed, contents);

    let downloads = double.calls_to("downloadFile");
    assert_eq!(downloads.len(), 2);
    assert_eq!(downloads[0].token, TOKEN);
    assert_eq!(
        downloads[0].param_str("file_path").as_deref(),
        Some(file.path.as_str())
    );
    assert_eq!(downloads[0].ok(), Some(true));
    assert_eq!(
        double.calls_to("getFile")[0].param_str("file_id"),
        Some(document.file.id.0)
    );
}

#[tokio::test]
async fn a_plain_http_client_gets_the_same_bytes_at_the_file_url() {
    let double = TelegramDouble::start();
    let document = double.add_file("stok.csv", "text/csv", b"a\nb\n".to_vec());
    let file_id = document["file_id"].as_str().unwrap().to_owned();
    let client = reqwest::Client::new();
    let answer: serde_json::Value = client
        .post(format!("{}/bot{TOKEN}/getFile", double.base_url()))
        .json(&serde_json::json!({ "file_id": file_id }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = answer["result"]["file_path"].as_str().unwrap();
    assert!(path.ends_with(".csv"));
    let response = client
        .get(format!("{}/file/bot{TOKEN}/{path}", double.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"a\nb\n");
}

#[tokio::test]
async fn unknown_files_and_paths_fail_like_telegram() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    match bot.get_file(FileId("AgACnever-issued".into())).await {
        Err(RequestError::Api(ApiError::Unknown(d))) => {
            assert_eq!(d, "Bad Request: invalid file_id")
        }
        other => panic!("expected invalid file_id, got {other:?}"),
    }
    let mut sink: Vec<u8> = Vec::new();
    assert!(
        bot.download_file("documents/file_99.txt", &mut sink)
            .await
            .is_err()
    );
    assert!(sink.is_empty());
    let missing = double.calls_to("downloadFile");
    assert_eq!(missing[0].response.as_ref().unwrap()["error_code"], 404);

    // With a valid token configured, a download under another token is refused.
    let document = double.add_file("stok.txt", "text/plain", b"x".to_vec());
    let file = bot
        .get_file(FileId(document["file_id"].as_str().unwrap().into()))
        .await
        .unwrap();
    double.set_valid_token(Some("999:other".into()));
    let response = reqwest::get(format!(
        "{}/file/bot{TOKEN}/{}",
        double.base_url(),
        file.path
    ))
    .await
    .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn files_over_twenty_megabytes_cannot_be_fetched() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    let document = double.add_file("besar.txt", "text/plain", vec![b'a'; 20 * 1024 * 1024 + 1]);
    assert_eq!(
        document["file_size"],
        20 * 1024 * 1024 + 1,
        "the size is announced"
    );
    match bot
        .get_file(FileId(document["file_id"].as_str().unwrap().into()))
        .await
    {
        Err(RequestError::Api(ApiError::Unknown(d))) => {
            assert_eq!(d, "Bad Request: file is too big")
        }
        other => panic!("expected file is too big, got {other:?}"),
    }
}

#[tokio::test]
async fn injected_download_failures_apply_once() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    let document = double.add_file("stok.txt", "text/plain", b"isi".to_vec());
    let file = bot
        .get_file(FileId(document["file_id"].as_str().unwrap().into()))
        .await
        .unwrap();
    double.fail("downloadFile", Failure::Status(500), Some(1));
    let mut first: Vec<u8> = Vec::new();
    assert!(bot.download_file(&file.path, &mut first).await.is_err());
    let mut second: Vec<u8> = Vec::new();
    bot.download_file(&file.path, &mut second).await.unwrap();
    assert_eq!(second, b"isi");
    let call = double
        .wait_for(
            "downloadFile",
            |c| c.ok() == Some(true),
            Duration::from_secs(5),
        )
        .await;
    assert!(call.is_some());
}

#[tokio::test]
async fn a_photo_with_a_caption_arrives_as_a_photo_message() {
    let double = TelegramDouble::start();
    let bot = bot(&double);
    double.push_update(photo_update(
        None,
        42,
        42,
        "AgACAgUAAxkBcaraorder",
        Some("Cara order {nama}"),
    ));
    let updates = bot.get_updates().timeout(1).await.unwrap();
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("a message update");
    };
    let photo = message.photo().expect("a photo message");
    assert_eq!(
        photo.last().unwrap().file.id.0,
        "AgACAgUAAxkBcaraorder",
        "largest size last"
    );
    assert_eq!(message.caption(), Some("Cara order {nama}"));
    // The bot can send it again by file id (as it does for a Cara Order photo).
    let sent = bot
        .send_photo(
            ChatId(43),
            teloxide_core::types::InputFile::file_id(photo.last().unwrap().file.id.clone()),
        )
        .await
        .unwrap();
    assert!(sent.photo().is_some());
}
