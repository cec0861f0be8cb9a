//! What a flow handler works with: the services, the Bot API client, who is talking and where,
//! and small helpers for the replies every flow sends.

use teloxide_core::prelude::*;
use teloxide_core::types::{ChatId, InlineKeyboardMarkup, Message, MessageId, ReplyMarkup};
use teloxide_core::{ApiError, RequestError};

use autoorder_schema::queries::conversations::{clear_conversation, set_conversation};
use autoorder_schema::{DbConnection, StoreError};

use crate::blocking::with_conn;
use crate::log_targets::BOT;
use crate::services::Services;

use super::conversation::Conversation;
use super::intake::HandleError;

/// One update's handling context.
pub struct Ctx<'a> {
    pub services: &'a Services,
    pub bot: &'a Bot,
    /// The customer (Telegram user id = customer id).
    pub user_id: i64,
    /// Where replies go.
    pub chat: ChatId,
    /// The customer's Telegram first name.
    pub first_name: String,
    /// For a button press: the message the button is under.
    pub origin: Option<MessageId>,
}

/// How a button press is answered (the toast Telegram shows; every press is answered).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Toast {
    pub text: Option<String>,
    pub alert: bool,
}

impl Toast {
    /// Answered without text.
    pub fn none() -> Toast {
        Toast::default()
    }

    /// A short note.
    pub fn note(text: impl Into<String>) -> Toast {
        Toast {
            text: Some(text.into()),
            alert: false,
        }
    }

    /// A dialog the customer must close.
    pub fn alert(text: impl Into<String>) -> Toast {
        Toast {
            text: Some(text.into()),
            alert: true,
        }
    }

    /// "Tombol ini sudah tidak berlaku."
    pub fn stale() -> Toast {
        Toast::note(super::texts::STALE_BUTTON)
    }
}

pub(crate) fn telegram(e: impl std::fmt::Display) -> HandleError {
    HandleError::Telegram(e.to_string())
}

impl Ctx<'_> {
    /// Runs `f` with a pooled connection on the blocking pool.
    pub async fn db<T, F>(&self, f: F) -> Result<T, HandleError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        Ok(with_conn(&self.services.pool, f).await?)
    }

    /// Whether the customer is one of the sellers.
    pub fn is_admin(&self) -> bool {
        self.services.settings.admin_ids.contains(&self.user_id)
    }

    /// A time in the store's zone.
    pub fn local_time(&self, ms: i64) -> String {
        crate::format::local_time(ms, &self.services.settings.timezone)
    }

    /// Sends a plain text.
    pub async fn send(&self, text: impl Into<String>) -> Result<Message, HandleError> {
        self.bot
            .send_message(self.chat, text.into())
            .await
            .map_err(telegram)
    }

    /// Sends a text with a keyboard.
    pub async fn send_with(
        &self,
        text: impl Into<String>,
        markup: impl Into<ReplyMarkup>,
    ) -> Result<Message, HandleError> {
        self.bot
            .send_message(self.chat, text.into())
            .reply_markup(markup)
            .await
            .map_err(telegram)
    }

    /// Replaces the message the pressed button is under (page turns, cart edits, refresh), or
    /// sends a new one when there is none or it cannot be edited (a photo, too old).
    pub async fn show(
        &self,
        text: impl Into<String>,
        keyboard: InlineKeyboardMarkup,
    ) -> Result<(), HandleError> {
        let text = text.into();
        if let Some(message_id) = self.origin {
            match self
                .bot
                .edit_message_text(self.chat, message_id, text.clone())
                .reply_markup(keyboard.clone())
                .await
            {
                Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => return Ok(()),
                Err(e @ (RequestError::Network(_) | RequestError::RetryAfter(_))) => {
                    return Err(telegram(e));
                }
                Err(e) => {
                    log::debug!(target: BOT, "editing message {message_id} failed ({e}); sending anew")
                }
            }
        }
        self.send_with(text, keyboard).await.map(|_| ())
    }

    /// Sends after a change that is already committed: a failed send is logged, not retried,
    /// so a retry of the update cannot repeat the change.
    pub async fn send_after_commit(&self, text: impl Into<String>, markup: Option<ReplyMarkup>) {
        let mut req = self.bot.send_message(self.chat, text.into());
        if let Some(markup) = markup {
            req = req.reply_markup(markup);
        }
        if let Err(e) = req.await {
            log::warn!(target: BOT, "reply to {} after a committed change failed: {e}", self.user_id);
        }
    }

    /// Starts (or replaces) the customer's dialog.
    pub async fn set_state(&self, state: Conversation) -> Result<(), HandleError> {
        let (user_id, json) = (self.user_id, state.to_json());
        self.db(move |c| set_conversation(c, user_id, &json)).await
    }

    /// Ends the customer's dialog.
    pub async fn clear_state(&self) -> Result<(), HandleError> {
        let user_id = self.user_id;
        self.db(move |c| clear_conversation(c, user_id)).await
    }
}
