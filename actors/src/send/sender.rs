//! One Bot API call, with Telegram's answers sorted into what the caller must do about them:
//! [`execute`] runs an outbox [`Effect`], [`send`] a queue job's message.

use std::time::Duration;

use teloxide_core::RequestError;
use teloxide_core::prelude::*;
use teloxide_core::types::{
    ChatId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, ParseMode,
};

use autoorder_schema::job_kinds::{Button, OutboundMessage, PhotoRef};

use super::effect::{Effect, PhotoSource};

/// How a send failed, by what the queue does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// 429: wait exactly this long; not the job's fault, so no attempt is used.
    RetryAfter(Duration),
    /// The recipient cannot be reached (bot blocked, user deactivated, chat not found): mark
    /// them and never retry.
    Unreachable(String),
    /// Network errors, 5xx, unknown answers: retry with backoff.
    Transient(String),
    /// Telegram rejected the request itself (bad markup, too long): retrying cannot help.
    Permanent(String),
}

/// Sorts a teloxide error. Messages are from teloxide, which strips the URL (and so the
/// token) from network errors.
pub fn classify(e: &RequestError) -> SendError {
    use teloxide_core::ApiError as A;
    match e {
        RequestError::RetryAfter(secs) => SendError::RetryAfter(secs.duration()),
        RequestError::Api(
            A::BotBlocked
            | A::UserDeactivated
            | A::ChatNotFound
            | A::BotKicked
            | A::BotKickedFromSupergroup,
        ) => SendError::Unreachable(e.to_string()),
        RequestError::Api(A::Unknown(_)) => SendError::Transient(e.to_string()),
        RequestError::Api(_) => SendError::Permanent(e.to_string()),
        RequestError::MigrateToChatId(_) => SendError::Permanent(e.to_string()),
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
            SendError::Transient(e.to_string())
        }
    }
}

/// Telegram's answer to `editMessageText` of a message without text (a photo, a document).
/// teloxide has no variant for it, so it arrives as `Unknown` — which [`classify`] treats as
/// transient and would retry for nothing; an edit with `or_send` sends a new message instead.
fn has_no_text_to_edit(e: &RequestError) -> bool {
    matches!(
        e,
        RequestError::Api(teloxide_core::ApiError::Unknown(m))
            if m.contains("there is no text in the message to edit")
    )
}

/// What a successful send returned that the caller may need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The message sent (0 for calls that send none: edits, deletes, answers).
    pub message_id: i32,
    /// The file id Telegram assigned an uploaded photo (to reuse it).
    pub photo_file_id: Option<String>,
}

fn keyboard(rows: &[Vec<Button>]) -> Option<InlineKeyboardMarkup> {
    if rows.is_empty() {
        return None;
    }
    let rows = rows.iter().map(|row| {
        row.iter()
            .filter_map(|b| match (&b.callback_data, &b.url) {
                (Some(data), _) => {
                    Some(InlineKeyboardButton::callback(b.text.clone(), data.clone()))
                }
                (None, Some(url)) => reqwest::Url::parse(url)
                    .ok()
                    .map(|u| InlineKeyboardButton::url(b.text.clone(), u)),
                (None, None) => None,
            })
            .collect::<Vec<_>>()
    });
    Some(InlineKeyboardMarkup::new(rows))
}

/// Sends one message: text, or a photo (by file id, or uploaded from `upload`) with the text as
/// caption.
pub async fn send(
    bot: &Bot,
    msg: &OutboundMessage,
    upload: Option<(String, Vec<u8>)>,
) -> Result<Sent, SendError> {
    let chat = ChatId(msg.chat_id);
    let markup = keyboard(&msg.buttons);
    let photo = match (&msg.photo, upload) {
        (_, Some((name, bytes))) => Some(InputFile::memory(bytes).file_name(name)),
        (Some(PhotoRef::FileId { file_id }), None) => {
            Some(InputFile::file_id(file_id.clone().into()))
        }
        (None, None) => None,
    };
    let result = match photo {
        Some(photo) => {
            let mut req = bot.send_photo(chat, photo).caption(msg.text.clone());
            if msg.html {
                req = req.parse_mode(ParseMode::Html);
            }
            if let Some(m) = markup {
                req = req.reply_markup(m);
            }
            req.await
        }
        None => {
            let mut req = bot.send_message(chat, msg.text.clone());
            if msg.html {
                req = req.parse_mode(ParseMode::Html);
            }
            if let Some(m) = markup {
                req = req.reply_markup(m);
            }
            req.await
        }
    };
    result.map(|m| Sent::of(&m)).map_err(|e| classify(&e))
}

/// Copies a message (`copyMessage`: the content without a "forwarded from" header) to a chat:
/// a "copy any message" broadcast.
pub async fn copy(
    bot: &Bot,
    chat_id: i64,
    from_chat_id: i64,
    message_id: i64,
) -> Result<Sent, SendError> {
    let id = i32::try_from(message_id)
        .map_err(|_| SendError::Permanent(format!("message id {message_id} is out of range")))?;
    match bot
        .copy_message(ChatId(chat_id), ChatId(from_chat_id), MessageId(id))
        .await
    {
        Ok(copied) => Ok(Sent {
            message_id: copied.0,
            photo_file_id: None,
        }),
        Err(e) => Err(classify(&e)),
    }
}

/// Deletes a message, or, when Telegram refuses (older than 48 h, already gone), edits it to
/// `fallback_text` so a stale invoice never looks payable.
pub async fn delete_or_edit(
    bot: &Bot,
    chat_id: i64,
    message_id: i32,
    fallback_text: &str,
) -> Result<(), SendError> {
    let (chat, id) = (ChatId(chat_id), MessageId(message_id));
    let deleted = bot.delete_message(chat, id).await;
    let delete_err = match deleted {
        Ok(_) => return Ok(()),
        Err(e) => classify(&e),
    };
    if matches!(
        delete_err,
        SendError::RetryAfter(_) | SendError::Transient(_)
    ) {
        return Err(delete_err);
    }
    match bot
        .edit_message_text(chat, id, fallback_text.to_string())
        .await
    {
        Ok(_) => Ok(()),
        Err(RequestError::Api(
            teloxide_core::ApiError::MessageNotModified
            | teloxide_core::ApiError::MessageToEditNotFound,
        )) => Ok(()),
        Err(e) => match classify(&e) {
            // Photo messages have a caption, not a text.
            SendError::Permanent(_) => match bot
                .edit_message_caption(chat, id)
                .caption(fallback_text.to_string())
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => Err(classify(&e)),
            },
            other => Err(other),
        },
    }
}

impl Sent {
    fn none() -> Sent {
        Sent {
            message_id: 0,
            photo_file_id: None,
        }
    }

    fn of(m: &teloxide_core::types::Message) -> Sent {
        Sent {
            message_id: m.id.0,
            photo_file_id: m
                .photo()
                .and_then(|p| p.last())
                .map(|p| p.file.id.to_string()),
        }
    }
}

/// Runs one outbox effect for `chat_id`.
pub async fn execute(bot: &Bot, chat_id: i64, effect: &Effect) -> Result<Sent, SendError> {
    use teloxide_core::ApiError as A;
    let chat = ChatId(chat_id);
    match effect {
        Effect::Text {
            text, markup, html, ..
        } => {
            let mut req = bot.send_message(chat, text.clone());
            if *html {
                req = req.parse_mode(ParseMode::Html);
            }
            if let Some(m) = markup {
                req = req.reply_markup(m.clone());
            }
            req.await.map(|m| Sent::of(&m)).map_err(|e| classify(&e))
        }
        Effect::Photo {
            photo,
            caption,
            markup,
            ..
        } => {
            let file = match photo {
                PhotoSource::FileId { file_id } => InputFile::file_id(file_id.clone().into()),
                PhotoSource::Qr { payload, file_name } => {
                    let png = crate::bot::qr::qr_png(payload)
                        .map_err(|e| SendError::Permanent(e.to_string()))?;
                    InputFile::memory(png).file_name(file_name.clone())
                }
            };
            let mut req = bot.send_photo(chat, file);
            if let Some(c) = caption {
                req = req.caption(c.clone());
            }
            if let Some(m) = markup {
                req = req.reply_markup(m.clone());
            }
            req.await.map(|m| Sent::of(&m)).map_err(|e| classify(&e))
        }
        Effect::Document {
            file_name,
            data_base64,
            caption,
        } => {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data_base64)
                .map_err(|e| SendError::Permanent(format!("document bytes: {e}")))?;
            let mut req =
                bot.send_document(chat, InputFile::memory(bytes).file_name(file_name.clone()));
            if let Some(c) = caption {
                req = req.caption(c.clone());
            }
            req.await.map(|m| Sent::of(&m)).map_err(|e| classify(&e))
        }
        Effect::Copy {
            from_chat_id,
            message_id,
        } => copy(bot, chat_id, *from_chat_id, *message_id).await,
        Effect::Edit {
            message_id,
            text,
            markup,
            or_send,
        } => {
            let mut req = bot.edit_message_text(chat, MessageId(*message_id), text.clone());
            if let Some(m) = markup {
                req = req.reply_markup(m.clone());
            }
            match req.await {
                Ok(_) | Err(RequestError::Api(A::MessageNotModified)) => Ok(Sent::none()),
                Err(e) => {
                    let error = classify(&e);
                    let uneditable =
                        matches!(error, SendError::Permanent(_)) || has_no_text_to_edit(&e);
                    if !(*or_send && uneditable) {
                        return Err(error);
                    }
                    let mut req = bot.send_message(chat, text.clone());
                    if let Some(m) = markup {
                        req = req.reply_markup(m.clone());
                    }
                    req.await.map(|m| Sent::of(&m)).map_err(|e| classify(&e))
                }
            }
        }
        Effect::Delete {
            message_id,
            fallback,
        } => match fallback {
            Some(text) => delete_or_edit(bot, chat_id, *message_id, text)
                .await
                .map(|()| Sent::none()),
            None => match bot.delete_message(chat, MessageId(*message_id)).await {
                Ok(_) | Err(RequestError::Api(A::MessageToDeleteNotFound)) => Ok(Sent::none()),
                Err(e) => Err(classify(&e)),
            },
        },
        Effect::Answer {
            query_id,
            text,
            alert,
        } => {
            let mut req = bot.answer_callback_query(query_id.clone().into());
            if let Some(text) = text {
                // Telegram shows at most 200 characters.
                req = req.text(text.chars().take(200).collect::<String>());
            }
            if *alert {
                req = req.show_alert(true);
            }
            req.await.map(|_| Sent::none()).map_err(|e| classify(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide_core::ApiError;

    #[test]
    fn an_edit_of_a_photo_is_recognised_though_teloxide_does_not_know_it() {
        let photo = RequestError::Api(ApiError::Unknown(
            "Bad Request: there is no text in the message to edit".into(),
        ));
        assert!(has_no_text_to_edit(&photo));
        // Without the check it would be retried as transient.
        assert!(matches!(classify(&photo), SendError::Transient(_)));
        let other = RequestError::Api(ApiError::Unknown("Bad Request: something new".into()));
        assert!(!has_no_text_to_edit(&other));
    }
}
