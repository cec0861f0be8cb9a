//! Typed job payloads. A job is stored as JSON with a `kind` tag; the `jobs.kind` column repeats
//! the tag so metrics and filters never parse payloads.

use serde::{Deserialize, Serialize};

/// An inline keyboard button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A photo to send: a Telegram `file_id` (reused, no upload) or bytes held by a broadcast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PhotoRef {
    FileId { file_id: String },
}

/// One Bot API message to one chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage {
    pub chat_id: i64,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<PhotoRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Vec<Button>>,
    /// Send through the owner bot (owner alerts) instead of the shop bot.
    #[serde(default)]
    pub via_owner_bot: bool,
    /// Text is Telegram HTML.
    #[serde(default)]
    pub html: bool,
}

/// Events someone must be told about. The job carries facts; the handler renders the text
/// when it runs and decides who hears it (buyer, sellers, owners).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "notice", rename_all = "snake_case")]
pub enum Notice {
    /// Sellers: a new paid order.
    OrderPaid { order_id: i64 },
    /// Buyer and sellers: a deposit credited the balance.
    DepositCompleted { deposit_id: i64 },
    /// Buyer: an unpaid invoice expired.
    PaymentExpired { payment_id: i64 },
    /// Buyer and sellers: a paid payment its order could not take (stock or voucher gone after
    /// expiry, or the order already paid); refunded to balance. `reason` is absent in jobs
    /// written before it existed (they were all "stock gone").
    LatePaymentRefunded {
        payment_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<crate::queries::shop::payments::RefundReason>,
    },
    /// Sellers: a product's stock fell to the threshold.
    LowStock { product_id: i64 },
    /// Owners: consecutive gateway failures reached the threshold.
    GatewayFailing { failures: u32, last_error: String },
    /// Owners: the gateway answers again.
    GatewayRecovered { failures: u32 },
    /// Owners: a payment callback the gateway did not confirm.
    UnconfirmedCallback {
        gateway_order_id: String,
        reason: String,
    },
    /// Owners: the gateway answered inconsistently about a payment (another amount or project,
    /// an unknown status); it is flagged for review and nothing was delivered.
    PaymentUnderReview { payment_id: i64, reason: String },
    /// Owners: a seller marked an order or deposit paid by hand.
    ManualPayment {
        /// The invoice number or the deposit's payment reference.
        reference: String,
        admin_id: i64,
        amount: i64,
        note: String,
    },
}

/// Everything the queue knows how to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobPayload {
    /// One message to one chat.
    SendMessage(OutboundMessage),
    /// One recipient of a broadcast.
    BroadcastSend { broadcast_id: i64, user_id: i64 },
    /// A notice to every seller (`TELEGRAM_ADMIN_IDS`), fanned out into one send per seller.
    SellerNotice {
        notice_id: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        photo_file_id: Option<String>,
    },
    /// A notice to every owner through the owner bot, prefixed `[BOT_STORE_NAME]`.
    OwnerNotice { notice_id: String, text: String },
    /// After delivery: ask the buyer to fulfil the product's SNK (terms).
    SnkNotice {
        order_ref: String,
        product_id: i64,
        user_id: i64,
        product_name: String,
        snk_text: String,
    },
    /// Delete a message (an invoice), or edit it to `fallback_text` when deletion fails.
    Cleanup {
        chat_id: i64,
        message_id: i64,
        fallback_text: String,
    },
    /// Remove SNK answers older than the retention.
    PurgeSnkAnswers { retention_days: u32 },
    /// Remove handled updates older than `keep_days` (they only serve to de-duplicate
    /// Telegram's re-deliveries, which stop within a day).
    PurgeUpdates { keep_days: u32 },
    /// Send a paid order's items to the buyer (once: the handler checks `delivered_at`).
    DeliverOrder { order_id: i64 },
    /// *Kirim Ulang*: send a paid order's items again (decrypted only when sent).
    ResendOrder { order_id: i64 },
    /// Create the gateway transaction of a payment in `creating` and record its invoice
    /// message in the outbox (runs on any replica: the gateway call is never inside a handler's
    /// transaction).
    CreateInvoice { payment_id: i64, chat_id: i64 },
    /// At the gateway's expiry time: confirm with the gateway, then expire the payment and
    /// release what it held.
    ExpirePayment { payment_id: i64 },
    /// Tell someone about an event.
    Notify(Notice),
}

impl JobPayload {
    /// The value of the `kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            JobPayload::SendMessage(_) => "send_message",
            JobPayload::BroadcastSend { .. } => "broadcast_send",
            JobPayload::SellerNotice { .. } => "seller_notice",
            JobPayload::OwnerNotice { .. } => "owner_notice",
            JobPayload::SnkNotice { .. } => "snk_notice",
            JobPayload::Cleanup { .. } => "cleanup",
            JobPayload::PurgeSnkAnswers { .. } => "purge_snk_answers",
            JobPayload::PurgeUpdates { .. } => "purge_updates",
            JobPayload::DeliverOrder { .. } => "deliver_order",
            JobPayload::ResendOrder { .. } => "resend_order",
            JobPayload::CreateInvoice { .. } => "create_invoice",
            JobPayload::ExpirePayment { .. } => "expire_payment",
            JobPayload::Notify(_) => "notify",
        }
    }

    /// Kinds that call the Bot API and so spend the per-bot send budget. Only the replica
    /// holding the `queue-leader` lease runs them, so N replicas never exceed the budget.
    pub const TELEGRAM_KINDS: [&'static str; 8] = [
        "send_message",
        "broadcast_send",
        "seller_notice",
        "owner_notice",
        "snk_notice",
        "cleanup",
        "deliver_order",
        "resend_order",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_carry_their_kind() {
        let jobs = vec![
            JobPayload::SendMessage(OutboundMessage {
                chat_id: 5,
                text: "hai".into(),
                photo: Some(PhotoRef::FileId {
                    file_id: "F".into(),
                }),
                buttons: vec![vec![Button {
                    text: "Ok".into(),
                    callback_data: Some("x".into()),
                    url: None,
                }]],
                via_owner_bot: false,
                html: true,
            }),
            JobPayload::BroadcastSend {
                broadcast_id: 1,
                user_id: 2,
            },
            JobPayload::OwnerNotice {
                notice_id: "n".into(),
                text: "t".into(),
            },
            JobPayload::PurgeSnkAnswers { retention_days: 30 },
        ];
        for job in jobs {
            let json = serde_json::to_value(&job).unwrap();
            assert_eq!(json["kind"], job.kind());
            assert_eq!(serde_json::from_value::<JobPayload>(json).unwrap(), job);
        }
    }
}
