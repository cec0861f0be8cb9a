//! What a handler decided to send, as it is stored in the outbox and executed after the commit.
//!
//! Effects are serialized as JSON (tagged by `op`). Keyboards are teloxide's own types, which
//! round-trip through serde, so what a handler built is exactly what goes on the wire. Bulky
//! or sensitive content is not stored: a QRIS invoice stores the QR *string* and is rendered
//! to PNG when sent.

use serde::{Deserialize, Serialize};
use teloxide_core::types::{InlineKeyboardMarkup, ReplyMarkup};

/// One Bot API call for one chat (the chat is the outbox row's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Effect {
    /// `sendMessage`.
    Text {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        markup: Option<ReplyMarkup>,
        #[serde(default, skip_serializing_if = "is_false")]
        html: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_sent: Option<OnSent>,
    },
    /// `sendPhoto`.
    Photo {
        photo: PhotoSource,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        markup: Option<ReplyMarkup>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_sent: Option<OnSent>,
    },
    /// `sendDocument` with bytes held in the row (base64): exports a seller asked for.
    Document {
        file_name: String,
        data_base64: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
    /// `copyMessage` of a message in `from_chat_id` (a seller's own chat with the bot) into
    /// this chat, without a "forwarded from" header: the preview of a "copy any message"
    /// broadcast, so the seller sees exactly what each recipient will get.
    Copy { from_chat_id: i64, message_id: i64 },
    /// `editMessageText` of a message the bot sent (page turns, cart edits, refresh). With
    /// `or_send`, a message that cannot be edited (a photo, too old, gone) is sent anew.
    Edit {
        message_id: i32,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        markup: Option<InlineKeyboardMarkup>,
        #[serde(default, skip_serializing_if = "is_false")]
        or_send: bool,
    },
    /// `deleteMessage`; when Telegram refuses (older than 48 h), the message is edited to
    /// `fallback` instead so a stale invoice never looks payable.
    Delete {
        message_id: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fallback: Option<String>,
    },
    /// `answerCallbackQuery`: how a button press is answered.
    Answer {
        query_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        alert: bool,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Where a photo comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PhotoSource {
    /// A photo Telegram already has (a seller's upload).
    FileId { file_id: String },
    /// A QRIS invoice: the gateway's `payment_number`, rendered as a QR PNG when sent.
    Qr { payload: String, file_name: String },
}

/// What must be recorded once a send succeeded (the ids Telegram assigned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "hook", rename_all = "snake_case")]
pub enum OnSent {
    /// The message is the invoice of this payment: remember it, so it is cleaned up when the
    /// payment ends (or at once, if it ended while the invoice waited to be sent).
    InvoiceMessage { payment_id: i64 },
    /// The message is the seller's live progress message of this broadcast: remember it, so
    /// the queue edits it as recipients are done.
    BroadcastProgress { broadcast_id: i64 },
}

impl Effect {
    /// The hook to run after a successful send.
    pub fn on_sent(&self) -> Option<OnSent> {
        match self {
            Effect::Text { on_sent, .. } | Effect::Photo { on_sent, .. } => *on_sent,
            _ => None,
        }
    }

    /// Whether Telegram counts this call against the bot's message budget. Answers to button
    /// presses do not, and must go out within the press's time limit anyway.
    pub fn is_rate_limited(&self) -> bool {
        !matches!(self, Effect::Answer { .. })
    }

    /// Stored form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a stored effect.
    pub fn from_json(s: &str) -> Result<Effect, serde_json::Error> {
        serde_json::from_str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide_core::types::{InlineKeyboardButton, KeyboardButton, KeyboardMarkup};

    #[test]
    fn effects_round_trip_with_their_keyboards() {
        let inline = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Ok", "x:1")]]);
        let reply = KeyboardMarkup::new([[KeyboardButton::new("Semua Produk")]])
            .resize_keyboard()
            .persistent();
        let all = vec![
            Effect::Text {
                text: "hai".into(),
                markup: Some(ReplyMarkup::Keyboard(reply)),
                html: false,
                on_sent: None,
            },
            Effect::Text {
                text: "<b>x</b>".into(),
                markup: Some(ReplyMarkup::InlineKeyboard(inline.clone())),
                html: true,
                on_sent: Some(OnSent::InvoiceMessage { payment_id: 4 }),
            },
            Effect::Photo {
                photo: PhotoSource::Qr {
                    payload: "000201".into(),
                    file_name: "qris.png".into(),
                },
                caption: Some("bayar".into()),
                markup: Some(ReplyMarkup::InlineKeyboard(inline.clone())),
                on_sent: Some(OnSent::InvoiceMessage { payment_id: 9 }),
            },
            Effect::Photo {
                photo: PhotoSource::FileId {
                    file_id: "F".into(),
                },
                caption: None,
                markup: None,
                on_sent: None,
            },
            Effect::Document {
                file_name: "a.csv".into(),
                data_base64: "YQ==".into(),
                caption: None,
            },
            Effect::Copy {
                from_chat_id: 7001,
                message_id: 12,
            },
            Effect::Edit {
                message_id: 7,
                text: "t".into(),
                markup: Some(inline),
                or_send: true,
            },
            Effect::Delete {
                message_id: 8,
                fallback: Some("kedaluwarsa".into()),
            },
            Effect::Answer {
                query_id: "q".into(),
                text: Some("ok".into()),
                alert: true,
            },
        ];
        for effect in all {
            let json = effect.to_json();
            assert_eq!(Effect::from_json(&json).unwrap(), effect, "{json}");
        }
        assert!(Effect::from_json(r#"{"op":"launch_rockets"}"#).is_err());
    }
}
