//! What each job kind does. Handlers are idempotent: running one twice (a worker crashed after
//! the side effect but before recording it) is harmless or, for broadcasts, checked against
//! the recipient's recorded status first.

use std::sync::Arc;
use std::time::Duration;

use teloxide_core::Bot;

use autoorder_schema::job_kinds::{Button, JobPayload, Notice, OutboundMessage, PhotoRef};
use autoorder_schema::queries::broadcasts::{
    BroadcastState, RecipientStatus, load_broadcast, recipient_status, record_recipient,
    set_broadcast_photo_file_id,
};
use autoorder_schema::queries::catalog::stock_aad;
use autoorder_schema::queries::jobs::{ClaimedJob, NewJob, enqueue};
use autoorder_schema::queries::orders::{delivery_target, mark_delivered, sold_items};
use autoorder_schema::queries::shop::payments::{CloseReason, close_payment};
use autoorder_schema::queries::snk::purge_snk_answers;
use autoorder_schema::queries::users::mark_unreachable;
use autoorder_schema::{StoreError, write_tx};

use super::limiter::SendLimiter;
use super::notices::{self, Audience};
use super::sender::{self, SendError};
use crate::blocking::with_conn;
use crate::bot::callback::CallbackData;
use crate::bot::texts;
use crate::log_targets::QUEUE;
use crate::metrics::SendLabels;
use crate::payment::flow::ExpiryOutcome;
use crate::services::Services;

/// What the worker records after a job ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Run again after `delay`; `consume_attempt = false` gives the attempt back (429).
    Retry {
        delay: Duration,
        consume_attempt: bool,
        error: String,
    },
    /// Never retry (recipient unreachable, broadcast cancelled).
    Cancel(String),
    /// Give up now; retrying cannot help.
    Dead(String),
}

/// Everything a handler needs.
pub struct JobContext {
    pub services: Services,
    pub bot: Bot,
    pub owner_bot: Bot,
    pub limiter: Arc<SendLimiter>,
    /// The payment gateway, for expiry jobs (`None`: QRIS not configured).
    pub gateway: Option<crate::payment::flow::Gateway>,
}

/// Backoff for a transient failure: 2^attempt seconds, capped at ten minutes, with jitter.
pub fn backoff(attempt: i32) -> Duration {
    use rand::Rng;
    let base = Duration::from_secs(1u64 << attempt.clamp(0, 10)).min(Duration::from_secs(600));
    base.mul_f64(rand::rng().random_range(0.75..=1.25))
}

impl JobContext {
    /// Runs one job.
    pub async fn run(&self, job: &ClaimedJob) -> Outcome {
        let payload = match job.payload() {
            Ok(p) => p,
            Err(e) => return Outcome::Dead(e.to_string()),
        };
        let result = match payload {
            JobPayload::SendMessage(msg) => Ok(self.send_one(job, &msg, None).await),
            JobPayload::BroadcastSend { broadcast_id, user_id } => self.broadcast_send(job, broadcast_id, user_id).await,
            JobPayload::SellerNotice { notice_id, text, photo_file_id } => {
                let admins = self.services.settings.admin_ids.clone();
                self.fan_out("seller", &notice_id, &admins, text, photo_file_id, false).await
            }
            JobPayload::OwnerNotice { notice_id, text } => {
                let owners = self.services.settings.owner_ids.clone();
                let text = format!("[{}] {text}", self.services.settings.store_name);
                self.fan_out("owner", &notice_id, &owners, text, None, true).await
            }
            JobPayload::SnkNotice { order_ref, product_id, user_id, product_name, snk_text } => {
                let data = CallbackData::SnkFulfil { order_ref: order_ref.clone(), product_id }.encode();
                match data {
                    Ok(data) => {
                        let msg = OutboundMessage {
                            chat_id: user_id,
                            text: texts::snk_notice(&product_name, &order_ref, &snk_text),
                            photo: None,
                            buttons: vec![vec![Button { text: texts::SNK_BUTTON.into(), callback_data: Some(data), url: None }]],
                            via_owner_bot: false,
                            html: false,
                        };
                        Ok(self.send_one(job, &msg, None).await)
                    }
                    Err(e) => Ok(Outcome::Dead(e)),
                }
            }
            JobPayload::Cleanup { chat_id, message_id, fallback_text } => {
                self.limiter.acquire(chat_id).await;
                let id = i32::try_from(message_id).unwrap_or(i32::MAX);
                Ok(match sender::delete_or_edit(&self.bot, chat_id, id, &fallback_text).await {
                    Ok(()) => Outcome::Done,
                    Err(e) => self.after_send_error(job, e, chat_id).await,
                })
            }
            JobPayload::DeliverOrder { order_id } => self.deliver(job, order_id).await,
            JobPayload::ExpirePayment { payment_id } => Ok(self.expire(job, payment_id).await),
            JobPayload::Notify(notice) => self.notify(job, notice).await,
            JobPayload::PurgeSnkAnswers { retention_days } => {
                with_conn(&self.services.pool, move |c| purge_snk_answers(c, retention_days)).await.map(|n| {
                    log::info!(target: QUEUE, "purged {n} SNK answer(s) older than {retention_days} days");
                    Outcome::Done
                })
            }
        };
        result.unwrap_or_else(|e: StoreError| Outcome::Retry {
            delay: backoff(job.attempts),
            consume_attempt: true,
            error: e.to_string(),
        })
    }

    /// Sends one message through the limiter.
    async fn send_one(
        &self,
        job: &ClaimedJob,
        msg: &OutboundMessage,
        upload: Option<(String, Vec<u8>)>,
    ) -> Outcome {
        match self.send_counted(msg, upload).await {
            Ok(_) => Outcome::Done,
            Err(e) => self.after_send_error(job, e, msg.chat_id).await,
        }
    }

    async fn send_counted(
        &self,
        msg: &OutboundMessage,
        upload: Option<(String, Vec<u8>)>,
    ) -> Result<sender::Sent, SendError> {
        self.limiter.acquire(msg.chat_id).await;
        let bot = if msg.via_owner_bot {
            &self.owner_bot
        } else {
            &self.bot
        };
        let result = sender::send(bot, msg, upload).await;
        let label = match &result {
            Ok(_) => "ok",
            Err(SendError::RetryAfter(_)) => "retry_after",
            Err(SendError::Unreachable(_)) => "unreachable",
            Err(SendError::Transient(_)) => "transient",
            Err(SendError::Permanent(_)) => "rejected",
        };
        self.services
            .metrics
            .telegram_sends
            .get_or_create(&SendLabels { result: label })
            .inc();
        result
    }

    /// [`sender::copy`] through the limiter, counted like a send.
    async fn copy_counted(
        &self,
        chat_id: i64,
        from_chat_id: i64,
        message_id: i64,
    ) -> Result<sender::Sent, SendError> {
        self.limiter.acquire(chat_id).await;
        let result = sender::copy(&self.bot, chat_id, from_chat_id, message_id).await;
        let label = match &result {
            Ok(_) => "ok",
            Err(SendError::RetryAfter(_)) => "retry_after",
            Err(SendError::Unreachable(_)) => "unreachable",
            Err(SendError::Transient(_)) => "transient",
            Err(SendError::Permanent(_)) => "rejected",
        };
        self.services
            .metrics
            .telegram_sends
            .get_or_create(&SendLabels { result: label })
            .inc();
        result
    }

    async fn after_send_error(&self, job: &ClaimedJob, e: SendError, chat_id: i64) -> Outcome {
        match e {
            SendError::RetryAfter(wait) => {
                log::warn!(target: QUEUE, "Telegram asked to slow down: pausing sends for {wait:?}");
                self.limiter.pause_for(wait);
                Outcome::Retry {
                    delay: wait,
                    consume_attempt: false,
                    error: format!("429 retry after {wait:?}"),
                }
            }
            SendError::Unreachable(reason) => {
                if let Err(err) =
                    with_conn(&self.services.pool, move |c| mark_unreachable(c, chat_id)).await
                {
                    return Outcome::Retry {
                        delay: backoff(job.attempts),
                        consume_attempt: true,
                        error: err.to_string(),
                    };
                }
                Outcome::Cancel(format!("recipient unreachable: {reason}"))
            }
            SendError::Transient(error) => Outcome::Retry {
                delay: backoff(job.attempts),
                consume_attempt: true,
                error,
            },
            SendError::Permanent(error) => Outcome::Dead(error),
        }
    }

    /// One recipient of a broadcast: skipped when already recorded as sent, parked while the
    /// broadcast is paused, cancelled with it; the photo is uploaded once and reused by id; a
    /// "copy any message" broadcast is sent with `copyMessage`.
    async fn broadcast_send(
        &self,
        job: &ClaimedJob,
        broadcast_id: i64,
        user_id: i64,
    ) -> Result<Outcome, StoreError> {
        let (content, status) = with_conn(&self.services.pool, move |c| {
            Ok((
                load_broadcast(c, broadcast_id)?,
                recipient_status(c, broadcast_id, user_id)?,
            ))
        })
        .await?;
        let Some(content) = content else {
            return Ok(Outcome::Dead(format!("broadcast {broadcast_id} is gone")));
        };
        if status.as_deref() == Some("sent") {
            return Ok(Outcome::Done);
        }
        match content.state()? {
            BroadcastState::Cancelled => return Ok(Outcome::Cancel("broadcast cancelled".into())),
            // Resuming makes the parked job due at once.
            BroadcastState::Paused => {
                return Ok(Outcome::Retry {
                    delay: Duration::from_secs(3600),
                    consume_attempt: false,
                    error: "paused".into(),
                });
            }
            BroadcastState::Running | BroadcastState::Done => {}
        }
        let (photo, upload) = match (&content.photo_file_id, &content.photo) {
            (Some(id), _) => (
                Some(PhotoRef::FileId {
                    file_id: id.clone(),
                }),
                None,
            ),
            (None, Some(bytes)) => (
                None,
                Some((
                    content
                        .photo_name
                        .clone()
                        .unwrap_or_else(|| "photo.jpg".into()),
                    bytes.clone(),
                )),
            ),
            (None, None) => (None, None),
        };
        let msg = OutboundMessage {
            chat_id: user_id,
            text: content.text.clone(),
            photo,
            buttons: Vec::new(),
            via_owner_bot: false,
            html: false,
        };
        let sent = match content.copy_of() {
            Some((from_chat_id, message_id)) => {
                self.copy_counted(user_id, from_chat_id, message_id).await
            }
            None => self.send_counted(&msg, upload).await,
        };
        let outcome = match sent {
            Ok(sent) => {
                let file_id = sent
                    .photo_file_id
                    .filter(|_| content.photo_file_id.is_none() && content.photo.is_some());
                with_conn(&self.services.pool, move |c| {
                    write_tx(c, |c| {
                        if let Some(id) = &file_id {
                            set_broadcast_photo_file_id(c, broadcast_id, id)?;
                        }
                        record_recipient(c, broadcast_id, user_id, RecipientStatus::Sent)
                    })
                })
                .await?;
                return Ok(Outcome::Done);
            }
            Err(e) => self.after_send_error(job, e, user_id).await,
        };
        let final_status = match &outcome {
            Outcome::Cancel(_) => Some(RecipientStatus::Blocked),
            Outcome::Dead(_) => Some(RecipientStatus::Failed),
            Outcome::Retry {
                consume_attempt: true,
                ..
            } if job.attempts >= job.max_attempts => Some(RecipientStatus::Failed),
            _ => None,
        };
        if let Some(status) = final_status {
            with_conn(&self.services.pool, move |c| {
                record_recipient(c, broadcast_id, user_id, status)
            })
            .await?;
        }
        Ok(outcome)
    }

    /// Sends a paid order's items to the buyer, once: a recorded delivery is never repeated.
    async fn deliver(&self, job: &ClaimedJob, order_id: i64) -> Result<Outcome, StoreError> {
        let (target, items) = with_conn(&self.services.pool, move |c| {
            Ok((delivery_target(c, order_id)?, sold_items(c, order_id)?))
        })
        .await?;
        let Some((user_id, invoice_no, _status, delivered_at)) = target else {
            return Ok(Outcome::Dead(format!("order {order_id} is gone")));
        };
        if delivered_at.is_some() {
            return Ok(Outcome::Done);
        }
        let mut by_product: Vec<(i64, String, Vec<String>)> = Vec::new();
        for item in items {
            let aad = stock_aad(item.product_id, &item.content_hash);
            let content = match self.services.data_keys.decrypt_str(&item.content_enc, &aad) {
                Ok(c) => c,
                Err(e) => {
                    return Ok(Outcome::Dead(format!(
                        "stock item of order {order_id} cannot be decrypted: {e}"
                    )));
                }
            };
            match by_product
                .iter_mut()
                .find(|(id, _, _)| *id == item.product_id)
            {
                Some((_, _, list)) => list.push(content),
                None => by_product.push((item.product_id, item.product_name, vec![content])),
            }
        }
        let mut text = texts::delivery_header(&invoice_no);
        for (_, name, list) in &by_product {
            text.push_str(&texts::delivery_block(name, list));
        }
        text.push_str(texts::DELIVERY_FOOTER);
        for chunk in split_message(&text, 4000) {
            let msg = OutboundMessage {
                chat_id: user_id,
                text: chunk,
                photo: None,
                buttons: Vec::new(),
                via_owner_bot: false,
                html: false,
            };
            if let Err(e) = self.send_counted(&msg, None).await {
                return Ok(self.after_send_error(job, e, user_id).await);
            }
        }
        with_conn(&self.services.pool, move |c| mark_delivered(c, order_id)).await?;
        Ok(Outcome::Done)
    }

    /// The gateway expiry of a payment.
    async fn expire(&self, job: &ClaimedJob, payment_id: i64) -> Outcome {
        let Some(gateway) = &self.gateway else {
            // No gateway to ask: expire on our own record.
            return match with_conn(&self.services.pool, move |c| {
                close_payment(c, payment_id, CloseReason::Expired)
            })
            .await
            {
                Ok(_) => {
                    self.services.wake_queue();
                    Outcome::Done
                }
                Err(e) => Outcome::Retry {
                    delay: backoff(job.attempts),
                    consume_attempt: true,
                    error: e.to_string(),
                },
            };
        };
        match crate::payment::flow::expire(&self.services, gateway, payment_id).await {
            Ok(ExpiryOutcome::Done) => Outcome::Done,
            Ok(ExpiryOutcome::Later(after)) => Outcome::Retry {
                delay: after + Duration::from_secs(5),
                consume_attempt: false,
                error: "not yet expired at the gateway".into(),
            },
            Err(e) => Outcome::Retry {
                delay: backoff(job.attempts),
                consume_attempt: true,
                error: e.to_string(),
            },
        }
    }

    /// Renders a notice and fans it out to its audiences.
    async fn notify(&self, job: &ClaimedJob, notice: Notice) -> Result<Outcome, StoreError> {
        let rendered = with_conn(&self.services.pool, move |c| notices::render(c, &notice)).await?;
        for (i, (audience, text)) in rendered.into_iter().enumerate() {
            let notice_id = format!("job{}-{i}", job.id);
            let outcome = match audience {
                Audience::Customer(user_id) => {
                    self.fan_out("customer", &notice_id, &[user_id], text, None, false)
                        .await?
                }
                Audience::Sellers => {
                    let admins = self.services.settings.admin_ids.clone();
                    self.fan_out("seller", &notice_id, &admins, text, None, false)
                        .await?
                }
                Audience::Owners => {
                    let owners = self.services.settings.owner_ids.clone();
                    let text = format!("[{}] {text}", self.services.settings.store_name);
                    self.fan_out("owner", &notice_id, &owners, text, None, true)
                        .await?
                }
            };
            if outcome != Outcome::Done {
                return Ok(outcome);
            }
        }
        Ok(Outcome::Done)
    }

    /// Turns a notice into one send job per recipient, each with its own key, so one failing
    /// recipient never makes the others receive the notice twice.
    async fn fan_out(
        &self,
        audience: &'static str,
        notice_id: &str,
        recipients: &[i64],
        text: String,
        photo_file_id: Option<String>,
        via_owner_bot: bool,
    ) -> Result<Outcome, StoreError> {
        if recipients.is_empty() {
            log::info!(target: QUEUE, "{audience} notice {notice_id}: nobody to tell");
            return Ok(Outcome::Done);
        }
        let jobs: Vec<NewJob> = recipients
            .iter()
            .map(|chat_id| {
                let msg = OutboundMessage {
                    chat_id: *chat_id,
                    text: text.clone(),
                    photo: photo_file_id
                        .clone()
                        .map(|file_id| PhotoRef::FileId { file_id }),
                    buttons: Vec::new(),
                    via_owner_bot,
                    html: false,
                };
                NewJob::keyed(
                    JobPayload::SendMessage(msg),
                    format!("{audience}:{notice_id}:{chat_id}"),
                )
            })
            .collect();
        with_conn(&self.services.pool, move |c| {
            write_tx(c, |c| {
                for job in &jobs {
                    enqueue(c, job)?;
                }
                Ok(())
            })
        })
        .await?;
        self.services.wake_queue();
        Ok(Outcome::Done)
    }
}

/// Splits a long text at line breaks into pieces Telegram accepts (4096 characters at most).
pub fn split_message(text: &str, max_chars: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        if current.chars().count() + line.chars().count() > max_chars && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        if line.chars().count() > max_chars {
            let chars: Vec<char> = line.chars().collect();
            for piece in chars.chunks(max_chars) {
                parts.push(piece.iter().collect());
            }
        } else {
            current.push_str(line);
        }
    }
    if !current.trim().is_empty() {
        parts.push(current);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::split_message;

    #[test]
    fn long_deliveries_split_at_line_breaks_within_the_limit() {
        let text: String = (0..300)
            .map(|i| format!("akun{i}@mail.id:rahasia{i}\n"))
            .collect();
        let parts = split_message(&text, 1000);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.chars().count() <= 1000));
        assert_eq!(parts.concat(), text, "nothing lost or reordered");
        let one_long_line = "x".repeat(2500);
        assert_eq!(split_message(&one_long_line, 1000).len(), 3);
    }
}
