//! Files users send to the bot, and how the bot gets them: `getFile` (in
//! [`super::methods`]) answers a `file_path`, and `GET /file/bot<TOKEN>/<file_path>` serves
//! the bytes — the two steps of the Bot API.
//!
//! A test registers a file with [`TelegramDouble::add_file`], puts the returned `Document` in
//! a message with [`document_update`], and pushes it; the bot then finds the file by its
//! `file_id`. Only files registered this way have contents: `getFile` on any other id answers
//! `400 Bad Request: invalid file_id`, like Telegram does for ids it never issued. Files above
//! the Bot API's 20 MB download limit answer `400 Bad Request: file is too big`.
//!
//! A download is recorded as a [`Call`](super::Call) with the method name `downloadFile` and
//! the parameter `file_path` (it is not a Bot API method, but tests want to see it), and
//! [`TelegramDouble::fail`] rules for `downloadFile` apply to it.

use std::collections::HashMap;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Value, json};

use super::methods::ApiError;
use super::{Call, Failure, Shared, TelegramDouble, updates};

/// The Bot API lets bots download files up to this size.
pub const MAX_DOWNLOAD_BYTES: usize = 20 * 1024 * 1024;

/// The pseudo-method name downloads are recorded (and failed) under.
pub const DOWNLOAD_METHOD: &str = "downloadFile";

/// A file a user sent, with its contents.
pub(crate) struct StoredFile {
    pub file_unique_id: String,
    pub file_path: String,
    pub bytes: Bytes,
}

/// Registered files, by file id and by path.
#[derive(Default)]
pub(crate) struct Files {
    by_id: HashMap<String, StoredFile>,
    id_by_path: HashMap<String, String>,
}

impl TelegramDouble {
    /// Registers a file a user is about to send and returns its `Document` object (file id,
    /// unique id, name, MIME type, size) for [`document_update`]. `getFile` answers its path,
    /// and the path serves exactly `bytes`.
    pub fn add_file(&self, file_name: &str, mime_type: &str, bytes: impl Into<Vec<u8>>) -> Value {
        let bytes = Bytes::from(bytes.into());
        let mut state = self.inner.shared.lock();
        let n = state.next_file;
        state.next_file += 1;
        let file_id = format!("BQACAgUAAxkBAAIC{n:06}AAFVc2VyRmlsZQADeQAD");
        let file_unique_id = format!("AgADu{n:06}");
        let extension = file_name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_else(|| "bin".into());
        let file_path = format!("documents/file_{n}.{extension}");
        let document = json!({
            "file_name": file_name,
            "mime_type": mime_type,
            "file_id": file_id,
            "file_unique_id": file_unique_id,
            "file_size": bytes.len(),
        });
        state
            .files
            .id_by_path
            .insert(file_path.clone(), file_id.clone());
        state.files.by_id.insert(
            file_id,
            StoredFile {
                file_unique_id,
                file_path,
                bytes,
            },
        );
        document
    }
}

/// `getFile`: the file's metadata and its `file_path`.
pub(crate) fn get_file(files: &Files, file_id: Option<&str>) -> Result<Value, ApiError> {
    let Some(file_id) = file_id.filter(|id| !id.is_empty()) else {
        return Err(ApiError::new(400, "Bad Request: file_id not specified"));
    };
    let Some(file) = files.by_id.get(file_id) else {
        return Err(ApiError::new(400, "Bad Request: invalid file_id"));
    };
    if file.bytes.len() > MAX_DOWNLOAD_BYTES {
        return Err(ApiError::new(400, "Bad Request: file is too big"));
    }
    Ok(json!({
        "file_id": file_id,
        "file_unique_id": file.file_unique_id,
        "file_size": file.bytes.len(),
        "file_path": file.file_path,
    }))
}

/// A `message` update from user `user_id` in chat `chat_id` carrying `document` (from
/// [`TelegramDouble::add_file`]) and an optional caption.
pub fn document_update(
    update_id: Option<i64>,
    chat_id: i64,
    user_id: i64,
    document: Value,
    caption: Option<&str>,
) -> Value {
    let mut update = updates::message_update(update_id, chat_id, user_id, "");
    let message = &mut update["message"];
    if let Some(object) = message.as_object_mut() {
        object.remove("text");
        object.insert("document".into(), document);
        if let Some(caption) = caption {
            object.insert("caption".into(), json!(caption));
        }
    }
    update
}

/// A `message` update from user `user_id` in chat `chat_id` carrying a photo (three sizes, the
/// largest with `file_id`) and an optional caption.
pub fn photo_update(
    update_id: Option<i64>,
    chat_id: i64,
    user_id: i64,
    file_id: &str,
    caption: Option<&str>,
) -> Value {
    let mut update = updates::message_update(update_id, chat_id, user_id, "");
    let sizes: Vec<Value> = [(90, 68, "s"), (320, 240, "m"), (1280, 960, "")]
        .iter()
        .map(|(w, h, suffix)| {
            json!({
                "file_id": format!("{file_id}{suffix}"),
                "file_unique_id": format!("AQADph{suffix}{w}"),
                "width": w,
                "height": h,
                "file_size": w * h / 8,
            })
        })
        .collect();
    let message = &mut update["message"];
    if let Some(object) = message.as_object_mut() {
        object.remove("text");
        object.insert("photo".into(), Value::Array(sizes));
        if let Some(caption) = caption {
            object.insert("caption".into(), json!(caption));
        }
    }
    update
}

/// `/file/bot<TOKEN>/<file_path>` → (token, file_path), percent-decoded (clients encode the
/// `/` inside the path as `%2F`).
fn split_file_path(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix("/file/bot")?;
    let (token, file_path) = rest.split_once('/')?;
    if token.is_empty() || file_path.is_empty() {
        return None;
    }
    Some((percent_decode(token), percent_decode(file_path)))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn error_response(error: &ApiError) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(error.code).unwrap_or(StatusCode::NOT_FOUND))
        .content_type("application/json")
        .body(error.body().to_string())
}

/// Serves `GET /file/bot<TOKEN>/<file_path>`.
pub(crate) async fn serve(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let Some((token, file_path)) = split_file_path(req.path()) else {
        return error_response(&ApiError::new(404, "Not Found"));
    };
    let (epoch, index) = {
        let mut state = shared.lock();
        state.calls.push(Call {
            token: token.clone(),
            method: DOWNLOAD_METHOD.into(),
            params: json!({ "file_path": file_path }),
            at: Instant::now(),
            response: None,
        });
        (state.calls_epoch, state.calls.len() - 1)
    };
    shared.notify_calls();
    let outcome = {
        let valid = shared.lock().valid_token.clone();
        if valid.is_some_and(|valid| valid != token) {
            Err(ApiError::new(401, "Unauthorized"))
        } else {
            match shared.take_failure(DOWNLOAD_METHOD) {
                Some(Failure::Status(code)) => Err(ApiError::new(code, "Injected failure")),
                Some(Failure::RetryAfter(seconds)) => Err(ApiError::retry_after(seconds)),
                Some(Failure::Error(code, description)) => Err(ApiError::new(code, description)),
                // A dropped connection is a failed download as far as the client can tell.
                Some(Failure::Drop) => Err(ApiError::new(502, "Bad Gateway")),
                None => {
                    let state = shared.lock();
                    state
                        .files
                        .id_by_path
                        .get(&file_path)
                        .and_then(|id| state.files.by_id.get(id))
                        .map(|f| f.bytes.clone())
                        .ok_or_else(|| ApiError::new(404, "Not Found"))
                }
            }
        }
    };
    let recorded = match &outcome {
        Ok(bytes) => json!({ "ok": true, "size": bytes.len() }),
        Err(error) => error.body(),
    };
    {
        let mut state = shared.lock();
        if state.calls_epoch == epoch
            && let Some(call) = state.calls.get_mut(index)
        {
            call.response = Some(recorded);
        }
    }
    shared.notify_calls();
    match outcome {
        Ok(bytes) => HttpResponse::Ok()
            .content_type("application/octet-stream")
            .body(bytes),
        Err(error) => error_response(&error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_paths_are_split_and_decoded() {
        assert_eq!(
            split_file_path("/file/bot123:ABC/documents%2Ffile_3.txt"),
            Some(("123:ABC".into(), "documents/file_3.txt".into()))
        );
        assert_eq!(
            split_file_path("/file/bot123:ABC/documents/file_3.txt"),
            Some(("123:ABC".into(), "documents/file_3.txt".into()))
        );
        assert_eq!(split_file_path("/file/bot/x"), None);
        assert_eq!(split_file_path("/file/bot123"), None);
        assert_eq!(split_file_path("/bot123/getMe"), None);
    }
}
