//! What a handler works with.
//!
//! Handling an update is "async prepare, then one synchronous apply": the prepare step (a
//! [`Ctx`]) may read and may call what cannot be inside a transaction (the payment gateway, a
//! file download); it returns an [`Apply`], which the pipeline runs inside the update's single
//! write transaction with a [`Tx`] — state changes, jobs and the replies they imply, and the
//! update's "handled" mark commit together or not at all. Replies recorded on the `Tx` go to
//! the outbox and are sent after the commit; a failed send is retried as a send, never by
//! running the handler again.

use teloxide_core::types::{ChatId, InlineKeyboardMarkup, MessageId, ReplyMarkup};

use autoorder_schema::queries::conversations::{clear_conversation, set_conversation};
use autoorder_schema::queries::jobs::{NewJob, enqueue};
use autoorder_schema::queries::outbox::OutboxLane;
use autoorder_schema::{DbConnection, StoreError};

use crate::blocking::with_conn;
use crate::send::{Effect, OnSent, PhotoSource};
use crate::services::Services;

use super::conversation::Conversation;
use super::pipeline::HandleError;

/// Who an update is from and where replies go.
#[derive(Debug, Clone)]
pub struct Who {
    /// The customer (Telegram user id = customer id).
    pub user_id: i64,
    /// Where replies go.
    pub chat: ChatId,
    /// The customer's Telegram first name.
    pub first_name: String,
    /// For a button press: the message the button is under.
    pub origin: Option<MessageId>,
}

/// The prepare step of one update.
pub struct Ctx<'a> {
    pub services: &'a Services,
    pub who: Who,
    /// The update being handled (idempotency keys of the jobs it enqueues).
    pub update_id: i64,
}

/// The transaction step of a handler: runs inside the update's write transaction.
pub type Apply = Box<dyn FnOnce(&mut Tx<'_>) -> Result<(), StoreError> + Send>;

/// Wraps a closure as an [`Apply`].
pub fn apply(f: impl FnOnce(&mut Tx<'_>) -> Result<(), StoreError> + Send + 'static) -> Apply {
    Box::new(f)
}

/// The transaction step of a button press: returns how the press is answered.
pub type CallbackApply = Box<dyn FnOnce(&mut Tx<'_>) -> Result<Toast, StoreError> + Send>;

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

impl Ctx<'_> {
    /// Reads with a pooled connection on the blocking pool (prepare step only; writes belong
    /// in the [`Apply`]).
    pub async fn db<T, F>(&self, f: F) -> Result<T, HandleError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        Ok(with_conn(&self.services.pool, f).await?)
    }

    /// The customer.
    pub fn user_id(&self) -> i64 {
        self.who.user_id
    }

    /// Whether the customer is one of the sellers.
    pub fn is_admin(&self) -> bool {
        self.services.settings.admin_ids.contains(&self.who.user_id)
    }
}

/// The transaction step's handle: the open write transaction, who is talking, and the replies
/// and jobs recorded so far.
pub struct Tx<'c> {
    conn: &'c mut DbConnection,
    pub services: Services,
    pub who: Who,
    pub update_id: i64,
    effects: Vec<(OutboxLane, Effect)>,
    toast: Option<Toast>,
    jobs_enqueued: bool,
}

impl<'c> Tx<'c> {
    /// A handle over an open transaction.
    pub fn new(conn: &'c mut DbConnection, services: Services, who: Who, update_id: i64) -> Tx<'c> {
        Tx {
            conn,
            services,
            who,
            update_id,
            effects: Vec::new(),
            toast: None,
            jobs_enqueued: false,
        }
    }

    /// The open transaction.
    pub fn conn(&mut self) -> &mut DbConnection {
        self.conn
    }

    /// The customer.
    pub fn user_id(&self) -> i64 {
        self.who.user_id
    }

    /// Where replies go.
    pub fn chat(&self) -> ChatId {
        self.who.chat
    }

    /// Whether the customer is one of the sellers.
    pub fn is_admin(&self) -> bool {
        self.services.settings.admin_ids.contains(&self.who.user_id)
    }

    /// A time in the store's zone.
    pub fn local_time(&self, ms: i64) -> String {
        crate::format::local_time(ms, &self.services.settings.timezone)
    }

    /// Records any effect for the current chat.
    pub fn effect(&mut self, effect: Effect) {
        self.effects.push((OutboxLane::Reply, effect));
    }

    /// Sends a plain text.
    pub fn send(&mut self, text: impl Into<String>) {
        self.effect(Effect::Text {
            text: text.into(),
            markup: None,
            html: false,
            on_sent: None,
        });
    }

    /// Sends a text with a keyboard (inline or reply).
    pub fn send_with(&mut self, text: impl Into<String>, markup: impl Into<ReplyMarkup>) {
        self.effect(Effect::Text {
            text: text.into(),
            markup: Some(markup.into()),
            html: false,
            on_sent: None,
        });
    }

    /// Replaces the message the pressed button is under (page turns, cart edits, refresh), or
    /// sends a new one when there is none or it cannot be edited (a photo, too old).
    pub fn show(&mut self, text: impl Into<String>, keyboard: InlineKeyboardMarkup) {
        match self.who.origin {
            Some(message_id) => self.effect(Effect::Edit {
                message_id: message_id.0,
                text: text.into(),
                markup: Some(keyboard),
                or_send: true,
            }),
            None => self.send_with(text, keyboard),
        }
    }

    /// Sends a photo with an optional caption and keyboard.
    pub fn photo(
        &mut self,
        photo: PhotoSource,
        caption: Option<String>,
        markup: Option<ReplyMarkup>,
        on_sent: Option<OnSent>,
    ) {
        self.effect(Effect::Photo {
            photo,
            caption,
            markup,
            on_sent,
        });
    }

    /// Sends a document (bytes kept in the outbox until sent).
    pub fn document(
        &mut self,
        file_name: impl Into<String>,
        bytes: &[u8],
        caption: Option<String>,
    ) {
        use base64::Engine as _;
        self.effect(Effect::Document {
            file_name: file_name.into(),
            data_base64: base64::engine::general_purpose::STANDARD.encode(bytes),
            caption,
        });
    }

    /// Deletes a message of this chat.
    pub fn delete(&mut self, message_id: MessageId) {
        self.effect(Effect::Delete {
            message_id: message_id.0,
            fallback: None,
        });
    }

    /// How the button press is answered (the last call wins).
    pub fn toast(&mut self, toast: Toast) {
        self.toast = Some(toast);
    }

    /// Enqueues a job in this transaction; the queue is woken after the commit.
    pub fn enqueue(&mut self, job: &NewJob) -> Result<Option<i64>, StoreError> {
        self.jobs_enqueued = true;
        enqueue(self.conn, job)
    }

    /// Starts (or replaces) the customer's dialog.
    pub fn set_state(&mut self, state: Conversation) -> Result<(), StoreError> {
        let (user_id, json) = (self.who.user_id, state.to_json());
        set_conversation(self.conn, user_id, &json)
    }

    /// Ends the customer's dialog.
    pub fn clear_state(&mut self) -> Result<(), StoreError> {
        clear_conversation(self.conn, self.who.user_id)
    }

    /// Marks that jobs were enqueued through [`Tx::conn`] directly (schema functions that
    /// enqueue inside their own logic), so the queue is woken after the commit.
    pub fn jobs_enqueued(&mut self) {
        self.jobs_enqueued = true;
    }

    /// What the transaction recorded: the effects, the toast, and whether jobs were enqueued.
    pub(crate) fn finish(self) -> (Vec<(OutboxLane, Effect)>, Option<Toast>, bool) {
        (self.effects, self.toast, self.jobs_enqueued)
    }
}
