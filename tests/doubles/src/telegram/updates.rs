//! Building updates the way Telegram sends them, and queueing them.

use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{Value, json};

use super::{State, StoredMessage};

/// Message ids of user messages built here; far from the double's own ids so
/// the two never collide.
static NEXT_USER_MESSAGE_ID: AtomicI64 = AtomicI64::new(100_000);
static NEXT_CALLBACK_ID: AtomicI64 = AtomicI64::new(1);

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The `from` of a test user: Indonesian first name, a username and
/// `language_code: "id"`.
fn user(user_id: i64) -> Value {
    json!({
        "id": user_id,
        "is_bot": false,
        "first_name": "Budi",
        "last_name": "Santoso",
        "username": format!("budi{user_id}"),
        "language_code": "id",
    })
}

/// A private chat for positive ids, else a (super)group.
pub(crate) fn chat(chat_id: i64, user_id: i64) -> Value {
    if chat_id > 0 {
        json!({
            "id": chat_id,
            "type": "private",
            "first_name": "Budi",
            "last_name": "Santoso",
            "username": format!("budi{user_id}"),
        })
    } else if chat_id <= -1_000_000_000_000 {
        json!({"id": chat_id, "type": "supergroup", "title": format!("Grup {chat_id}")})
    } else {
        json!({"id": chat_id, "type": "group", "title": format!("Grup {chat_id}")})
    }
}

/// A `message` update from user `user_id` in chat `chat_id` (a private chat
/// when `chat_id` is positive), with `from` (first_name, username,
/// language_code), `chat`, `date` and — for texts starting with `/` — a
/// `bot_command` entity covering the command (with any `@botname`).
///
/// Without an `update_id` the JSON has none, and
/// [`push_update`](super::TelegramDouble::push_update) assigns the next one.
pub fn message_update(update_id: Option<i64>, chat_id: i64, user_id: i64, text: &str) -> Value {
    let mut message = json!({
        "message_id": NEXT_USER_MESSAGE_ID.fetch_add(1, Ordering::Relaxed),
        "from": user(user_id),
        "chat": chat(chat_id, user_id),
        "date": unix_now(),
        "text": text,
    });
    if text.starts_with('/') {
        let command = text.split_whitespace().next().unwrap_or(text);
        message["entities"] = json!([{
            "type": "bot_command",
            "offset": 0,
            "length": command.encode_utf16().count(),
        }]);
    }
    with_id(update_id, json!({"message": message}))
}

/// A `callback_query` update: user `user_id` pressed a button with
/// `callback_data` `data` under message `message_id` in chat `chat_id`.
///
/// The embedded `message` is a placeholder bot message; when the double sent
/// `message_id` to `chat_id`, `push_update` replaces it with that message.
pub fn callback_update(
    update_id: Option<i64>,
    chat_id: i64,
    user_id: i64,
    message_id: i64,
    data: &str,
) -> Value {
    let n = NEXT_CALLBACK_ID.fetch_add(1, Ordering::Relaxed);
    let callback = json!({
        "id": format!("{}", 4_321_000_000_000_000_000_i64 + n),
        "from": user(user_id),
        "message": {
            "message_id": message_id,
            "from": super::methods::bot_user(super::methods::DEFAULT_BOT_ID),
            "chat": chat(chat_id, user_id),
            "date": unix_now(),
            "text": "…",
        },
        "chat_instance": format!("{}", -(chat_id.unsigned_abs() as i64).wrapping_mul(7_919)),
        "data": data,
    });
    with_id(update_id, json!({"callback_query": callback}))
}

fn with_id(update_id: Option<i64>, mut update: Value) -> Value {
    if let Some(id) = update_id {
        update["update_id"] = json!(id);
    }
    update
}

/// Queues `update` (assigning an id if needed) and learns from it.
pub(crate) fn push(state: &mut State, mut update: Value) -> i64 {
    let id = match update.get("update_id").and_then(Value::as_i64) {
        Some(id) => id,
        None => {
            let id = state.next_update_id;
            if let Some(object) = update.as_object_mut() {
                object.insert("update_id".into(), json!(id));
            }
            id
        }
    };
    state.next_update_id = state.next_update_id.max(id + 1);

    for key in ["message", "edited_message"] {
        if let Some(message) = update.get(key) {
            remember_chat(state, message);
            if let (Some(chat_id), Some(message_id)) = message_key(message) {
                state.messages.insert(
                    (chat_id, message_id),
                    StoredMessage {
                        message: message.clone(),
                        from_bot: false,
                    },
                );
            }
        }
    }
    if let Some(message) = update.pointer_mut("/callback_query/message") {
        remember_chat(state, message);
        if let (Some(chat_id), Some(message_id)) = message_key(message) {
            match state.messages.get(&(chat_id, message_id)) {
                Some(known) => *message = known.message.clone(),
                None => {
                    state.messages.insert(
                        (chat_id, message_id),
                        StoredMessage {
                            message: message.clone(),
                            from_bot: true,
                        },
                    );
                }
            }
        }
    }

    let position = state
        .updates
        .iter()
        .position(|u| u["update_id"].as_i64().unwrap_or(i64::MIN) > id)
        .unwrap_or(state.updates.len());
    state.updates.insert(position, update);
    id
}

fn message_key(message: &Value) -> (Option<i64>, Option<i64>) {
    (
        message.pointer("/chat/id").and_then(Value::as_i64),
        message.get("message_id").and_then(Value::as_i64),
    )
}

fn remember_chat(state: &mut State, message: &Value) {
    if let Some(chat) = message.get("chat")
        && let Some(id) = chat.get("id").and_then(Value::as_i64)
    {
        state.chats.insert(id, chat.clone());
    }
}
