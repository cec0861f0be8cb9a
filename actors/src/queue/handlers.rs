//! What each job kind does. Handlers are idempotent: running one twice (a worker crashed after
//! the side effect but before recording it) is harmless or, for broadcasts, checked against
//! the recipient's recorded status first.

use std::time::Duration;

use autoorder_schema::job_kinds::{Button, JobPayload, Notice, OutboundMessage, PhotoRef};
use autoorder_schema::queries::broadcasts::{
    BroadcastState, RecipientStatus, load_broadcast, recipient_status, record_recipient,
    set_broadcast_photo_file_id,
};
use autoorder_schema::queries::catalog::stock_aad;
use autoorder_schema::queries::jobs::{ClaimedJob, NewJob, complete_job, enqueue};
use autoorder_schema::queries::orders::{delivery_target, mark_delivered, sold_items};
use autoorder_schema::queries::outbox::{NewOutbox, OutboxLane, insert_outbox};
use autoorder_schema::queries::shop::payments::{CloseReason, close_payment, load_payment};
use autoorder_schema::queries::shop::status;
use autoorder_schema::queries::snk::purge_snk_answers;
use autoorder_schema::queries::users::mark_unreachable;
use autoorder_schema::{StoreError, now_ms, write_tx};

use super::notices::{self, Audience};
use crate::blocking::with_conn;
use crate::bot::callback::CallbackData;
use crate::bot::texts;
use crate::log_targets::QUEUE;
use crate::payment::flow::ExpiryOutcome;
use crate::payment::messages::{Invoice, PaymentProblem};
use crate::send::{Effect, Lane, SendError, SendPipeline, sender};
use crate::services::Services;

/// What the worker records after a job ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Done, and already recorded by the handler in the transaction of its effects (so the
    /// effects and the job's completion commit together).
    Recorded,
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
    /// The payment gateway, for invoice and expiry jobs (`None`: QRIS not configured).
    pub gateway: Option<crate::payment::flow::Gateway>,
}

/// The lane a job's sends take: broadcasts are bulk; everything a customer is waiting for
/// (deliveries, their notices, invoice clean-ups, seller and owner notices) is a reply.
fn lane_of(payload: &JobPayload) -> Lane {
    match payload {
        JobPayload::BroadcastSend { .. } => Lane::Bulk,
        _ => Lane::Reply,
    }
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
        let lane = lane_of(&payload);
        let result = match payload {
            JobPayload::SendMessage(msg) => Ok(self.send_one(job, lane, &msg, None).await),
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
                        Ok(self.send_one(job, lane, &msg, None).await)
                    }
                    Err(e) => Ok(Outcome::Dead(e.to_string())),
                }
            }
            JobPayload::Cleanup { chat_id, message_id, fallback_text } => {
                let effect = Effect::Delete {
                    message_id: i32::try_from(message_id).unwrap_or(i32::MAX),
                    fallback: Some(fallback_text),
                };
                Ok(match self.services.sends.shop.send(lane, chat_id, &effect).await {
                    Ok(_) => Outcome::Done,
                    Err(e) => self.after_send_error(job, e, chat_id).await,
                })
            }
            JobPayload::DeliverOrder { order_id } => self.deliver(job, order_id, false).await,
            JobPayload::ResendOrder { order_id } => self.deliver(job, order_id, true).await,
            JobPayload::CreateInvoice { payment_id, chat_id } => self.create_invoice(job, payment_id, chat_id).await,
            JobPayload::ExpirePayment { payment_id } => Ok(self.expire(job, payment_id).await),
            JobPayload::Notify(notice) => self.notify(job, notice).await,
            JobPayload::PurgeUpdates { keep_days } => {
                let before = now_ms() - i64::from(keep_days) * 86_400_000;
                with_conn(&self.services.pool, move |c| {
                    autoorder_schema::queries::updates::purge_handled_updates(c, before)
                })
                .await
                .map(|n| {
                    log::info!(target: QUEUE, "purged {n} handled update(s) older than {keep_days} days");
                    Outcome::Done
                })
            }
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

    /// Sends one message through the send pipeline.
    async fn send_one(
        &self,
        job: &ClaimedJob,
        lane: Lane,
        msg: &OutboundMessage,
        upload: Option<(String, Vec<u8>)>,
    ) -> Outcome {
        match self.send_counted(lane, msg, upload).await {
            Ok(_) => Outcome::Done,
            Err(e) => self.after_send_error(job, e, msg.chat_id).await,
        }
    }

    fn pipeline(&self, via_owner_bot: bool) -> &SendPipeline {
        if via_owner_bot {
            &self.services.sends.owner
        } else {
            &self.services.sends.shop
        }
    }

    async fn send_counted(
        &self,
        lane: Lane,
        msg: &OutboundMessage,
        upload: Option<(String, Vec<u8>)>,
    ) -> Result<sender::Sent, SendError> {
        let pipeline = self.pipeline(msg.via_owner_bot);
        pipeline.acquire(lane, msg.chat_id).await;
        let result = sender::send(pipeline.bot(), msg, upload).await;
        pipeline.observe(lane.label(), &result);
        result
    }

    async fn after_send_error(&self, job: &ClaimedJob, e: SendError, chat_id: i64) -> Outcome {
        match e {
            SendError::RetryAfter(wait) => {
                // The pipeline already paused every send of this token.
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
        // The limiter may hold this send a while (a large broadcast at the token's rate): a
        // broadcast paused or cancelled meanwhile sends nothing more, so *Jeda* / *Batalkan*
        // take effect at once rather than after every claimed job drained.
        let pipeline = &self.services.sends.shop;
        pipeline.acquire(Lane::Bulk, user_id).await;
        let now = with_conn(&self.services.pool, move |c| {
            load_broadcast(c, broadcast_id)
        })
        .await?;
        match now.as_ref().map(|b| b.state()).transpose()? {
            None | Some(BroadcastState::Cancelled) => {
                return Ok(Outcome::Cancel("broadcast cancelled".into()));
            }
            Some(BroadcastState::Paused) => {
                return Ok(Outcome::Retry {
                    delay: Duration::from_secs(3600),
                    consume_attempt: false,
                    error: "paused".into(),
                });
            }
            Some(BroadcastState::Running | BroadcastState::Done) => {}
        }
        let sent = match content.copy_of() {
            Some((from_chat_id, message_id)) => {
                sender::copy(pipeline.bot(), user_id, from_chat_id, message_id).await
            }
            None => sender::send(pipeline.bot(), &msg, upload).await,
        };
        pipeline.observe(Lane::Bulk.label(), &sent);
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
                self.broadcast_progress(broadcast_id).await;
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
            self.broadcast_progress(broadcast_id).await;
        }
        Ok(outcome)
    }

    /// Keeps the seller's live progress message of a broadcast current (throttled; the last
    /// figures always land). A failure only delays the next edit, so it is logged, not retried.
    async fn broadcast_progress(&self, broadcast_id: i64) {
        let tz = self.services.settings.timezone;
        let expires_at = now_ms() + self.services.settings.reply_ttl.as_millis() as i64;
        let queued = with_conn(&self.services.pool, move |c| {
            crate::bot::admin::broadcast::queue_progress_edit(c, broadcast_id, &tz, expires_at)
        })
        .await;
        match queued {
            Ok(true) => self.services.wake_outbox(),
            Ok(false) => {}
            Err(e) => {
                log::warn!(target: QUEUE, "broadcast {broadcast_id}: progress message not updated: {e}")
            }
        }
    }

    /// The head of a first delivery: the seller's *Pembayaran Berhasil* text (Respon Bot) with
    /// this order's values, or the built-in one when the seller has not written any.
    async fn success_header(
        &self,
        order_id: i64,
        user_id: i64,
        invoice_no: &str,
    ) -> Result<String, StoreError> {
        use autoorder_schema::queries::orders::order_of_user;
        use autoorder_schema::queries::shop::templates::{PAYMENT_SUCCESS, get_template};
        use autoorder_schema::queries::users::user_profile;

        use crate::bot::admin::placeholders::{Values, render};
        use crate::format::{local_time, rupiah};

        let (template, order, profile) = with_conn(&self.services.pool, move |c| {
            let Some(template) = get_template(c, PAYMENT_SUCCESS)? else {
                return Ok((None, None, None));
            };
            Ok((
                Some(template),
                order_of_user(c, order_id, user_id)?,
                user_profile(c, user_id)?,
            ))
        })
        .await?;
        let Some(template) = template else {
            return Ok(texts::delivery_header(invoice_no));
        };
        let settings = &self.services.settings;
        let mut values = Values {
            store_name: Some(settings.store_name.clone()),
            order_id: Some(invoice_no.to_owned()),
            tanggal: Some(local_time(now_ms(), &settings.timezone)),
            ..Values::default()
        };
        if let Some(p) = profile {
            values.nama = Some(p.display_name.unwrap_or(p.first_name));
            values.saldo = Some(rupiah(p.balance));
        }
        if let Some((summary, lines)) = order {
            values.total = Some(rupiah(summary.total));
            values.tanggal = Some(local_time(
                summary.paid_at.unwrap_or(summary.created_at),
                &settings.timezone,
            ));
            let names: Vec<&str> = lines.iter().map(|(name, _, _)| name.as_str()).collect();
            values.produk = Some(names.join(", "));
            values.jumlah = Some(
                lines
                    .iter()
                    .map(|l| i64::from(l.1))
                    .sum::<i64>()
                    .to_string(),
            );
        }
        Ok(texts::delivery_header_from(&render(
            &template.body,
            &values,
        )))
    }

    /// Sends a paid order's items to the buyer, once: a recorded delivery is never repeated.
    /// With `resend` (*Kirim Ulang*), sends them again whatever was recorded.
    async fn deliver(
        &self,
        job: &ClaimedJob,
        order_id: i64,
        resend: bool,
    ) -> Result<Outcome, StoreError> {
        let (target, items) = with_conn(&self.services.pool, move |c| {
            Ok((delivery_target(c, order_id)?, sold_items(c, order_id)?))
        })
        .await?;
        let Some((user_id, invoice_no, _status, delivered_at)) = target else {
            return Ok(Outcome::Dead(format!("order {order_id} is gone")));
        };
        if delivered_at.is_some() && !resend {
            return Ok(Outcome::Done);
        }
        if items.is_empty() {
            return Ok(Outcome::Dead(format!("order {order_id} holds no items")));
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
        let mut text = if resend {
            texts::resend_header(&invoice_no)
        } else {
            self.success_header(order_id, user_id, &invoice_no).await?
        };
        for (_, name, list) in &by_product {
            text.push_str(&texts::delivery_block(name, list));
        }
        if !resend {
            text.push_str(texts::DELIVERY_FOOTER);
        }
        for chunk in split_message(&text, MESSAGE_CHARS) {
            let msg = OutboundMessage {
                chat_id: user_id,
                text: chunk,
                photo: None,
                buttons: Vec::new(),
                via_owner_bot: false,
                html: false,
            };
            if let Err(e) = self.send_counted(Lane::Reply, &msg, None).await {
                return Ok(self.after_send_error(job, e, user_id).await);
            }
        }
        if !resend {
            with_conn(&self.services.pool, move |c| mark_delivered(c, order_id)).await?;
        }
        Ok(Outcome::Done)
    }

    /// Pakasir's hosted payment page of one of our transactions (empty without Pakasir).
    fn pay_url(&self, amount: i64, gateway_order_id: &str) -> String {
        self.services
            .settings
            .pakasir
            .as_ref()
            .and_then(|p| {
                crate::payment::pakasir::payment_page_url(
                    &p.base_url,
                    &p.project,
                    amount,
                    gateway_order_id,
                )
                .ok()
            })
            .unwrap_or_default()
    }

    /// Creates the gateway transaction of a payment in `creating` (outside any transaction),
    /// then records the invoice message — or why there is none — in the outbox, in the same
    /// transaction that completes this job, so the customer sees exactly one invoice.
    async fn create_invoice(
        &self,
        job: &ClaimedJob,
        payment_id: i64,
        chat_id: i64,
    ) -> Result<Outcome, StoreError> {
        let Some(payment) =
            with_conn(&self.services.pool, move |c| load_payment(c, payment_id)).await?
        else {
            return Ok(Outcome::Dead(format!("payment {payment_id} is gone")));
        };
        let invoice: Result<Invoice, PaymentProblem> =
            match (&payment.status, &payment.payment_number) {
                // A run that created the invoice but died before recording the message.
                (s, Some(number)) if s == status::PENDING => Ok(Invoice {
                    payment_id,
                    gateway_order_id: payment.gateway_order_id.clone(),
                    amount: payment.amount,
                    fee: payment.fee.unwrap_or(0),
                    total_payment: payment.total_payment.unwrap_or(payment.amount),
                    payment_number: number.clone(),
                    expires_at: payment.expires_at.unwrap_or_else(now_ms),
                    pay_url: self.pay_url(payment.amount, &payment.gateway_order_id),
                }),
                (s, _) if s == status::CREATING => match &self.gateway {
                    Some(gateway) => {
                        crate::payment::flow::start_qris(&self.services, gateway, payment_id).await
                    }
                    None => {
                        let _ = with_conn(&self.services.pool, move |c| {
                            close_payment(c, payment_id, CloseReason::Failed)
                        })
                        .await;
                        Err(PaymentProblem::NotConfigured)
                    }
                },
                // Closed meanwhile (cancelled, expired, paid): nothing to show.
                _ => return Ok(Outcome::Done),
            };
        if let Err(PaymentProblem::Store(e)) = &invoice {
            return Ok(Outcome::Retry {
                delay: backoff(job.attempts),
                consume_attempt: true,
                error: e.clone(),
            });
        }
        let (id, worker) = (job.id, self.services.instance_id.to_string());
        let tz = self.services.settings.timezone;
        let ttl = self.services.settings.reply_ttl.as_millis() as i64;
        let recorded = with_conn(&self.services.pool, move |c| {
            write_tx(c, |c| {
                if !complete_job(c, id, &worker)? {
                    return Ok(false);
                }
                let effect = match &invoice {
                    Ok(inv) => crate::bot::flows::invoice::invoice_message(c, &tz, inv)?,
                    Err(problem) => Some(Effect::Text {
                        text: crate::bot::flows::invoice::problem_text(problem).to_string(),
                        markup: None,
                        html: false,
                        on_sent: None,
                    }),
                };
                if let Some(effect) = effect {
                    insert_outbox(
                        c,
                        &[NewOutbox {
                            chat_id,
                            lane: OutboxLane::Reply,
                            payload: effect.to_json(),
                            update_id: None,
                            expires_at: now_ms() + ttl,
                        }],
                        true,
                    )?;
                }
                Ok(true)
            })
        })
        .await?;
        if !recorded {
            log::warn!(target: QUEUE, "invoice job {id}: lease lost; another worker records it");
            return Ok(Outcome::Recorded);
        }
        self.services.wake_outbox();
        self.services.wake_queue();
        Ok(Outcome::Recorded)
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

/// Longest message the bot sends (Telegram allows 4096).
pub const MESSAGE_CHARS: usize = 4000;

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
