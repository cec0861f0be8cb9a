//! What the rest of the runtime asks PaymentActor (the bot's buttons, the HTTP callback).

use actix::Message;

/// A QRIS invoice ready to show: the gateway's own fee, total and expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    pub payment_id: i64,
    pub gateway_order_id: String,
    /// What the shop receives.
    pub amount: i64,
    /// The gateway's fee (its own figure once known; the estimate otherwise).
    pub fee: i64,
    /// What the customer pays.
    pub total_payment: i64,
    /// The QRIS string the QR image is rendered from.
    pub payment_number: String,
    /// Epoch ms of the gateway's `expired_at`.
    pub expires_at: i64,
    /// Pakasir's hosted payment page for this transaction (*Bayar di Pakasir*), for customers
    /// paying from the phone they read the QR on.
    pub pay_url: String,
}

/// Why a payment request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentProblem {
    /// The gateway did not answer usefully; the order was cancelled and its stock released.
    #[error("payment gateway unavailable: {0}")]
    GatewayUnavailable(String),
    /// The payment is not open any more (paid, expired or cancelled).
    #[error("payment is not open")]
    NotOpen,
    /// Not this user's payment.
    #[error("payment not found")]
    NotFound,
    /// The gateway is not configured (PAKASIR_PROJECT_SLUG / PAKASIR_API_KEY).
    #[error("QRIS payments are not configured")]
    NotConfigured,
    /// *Batalkan* refused: the gateway could not say whether the customer paid, so nothing
    /// was cancelled (the customer may try again in a moment).
    #[error("cannot cancel: the gateway cannot confirm the payment's state")]
    CannotConfirm,
    /// The payment was closed (*Batalkan*, the poller) while its QR was being made: the
    /// transaction was cancelled at the gateway and nothing may be shown. Tell the customer.
    #[error("the order was closed while its payment was being created")]
    ClosedMeanwhile,
    /// The gateway answered inconsistently (another amount or project, an unknown status):
    /// the payment waits for a person; nothing is delivered or cancelled automatically.
    #[error("the payment is under review")]
    UnderReview,
    #[error("storage: {0}")]
    Store(String),
}

/// Creates the gateway transaction for a placed QRIS order or deposit (its payment row exists,
/// status `creating`). On failure the order is cancelled and its stock released.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<Invoice, PaymentProblem>")]
pub struct StartQris {
    pub payment_id: i64,
}

/// Where a payment stands after asking the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentState {
    Pending,
    /// Completed now or earlier: delivery is under way (or the deposit credited).
    Paid,
    Expired,
    Cancelled,
    /// Paid, but the order could not take it any more (closed and its stock or voucher gone,
    /// or paid another way): the amount is in the customer's balance.
    RefundedToBalance,
    /// The gateway answered inconsistently; a person is looking at it (the owners were told).
    UnderReview,
}

/// What *Batalkan* did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// Cancelled at the gateway and closed here: stock released, invoice cleaned up.
    Cancelled,
    /// The customer had paid meanwhile: nothing cancelled, the payment completed instead.
    AlreadyPaid,
    /// The customer had paid meanwhile but the order could not take it: refunded to balance.
    RefundedToBalance,
}

/// "Cek Status Pembayaran": asks the gateway now and completes the payment if it is paid.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<PaymentState, PaymentProblem>")]
pub struct CheckPayment {
    pub payment_id: i64,
    pub user_id: i64,
}

/// "Batalkan": cancels an open payment of this user (stock released, gateway cancelled) — only
/// once the gateway confirms it is not paid.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<CancelOutcome, PaymentProblem>")]
pub struct CancelPayment {
    pub payment_id: i64,
    pub user_id: i64,
}

/// A seller is about to mark the order these payments belong to paid by hand: their gateway
/// transactions are cancelled first (nothing is changed in the database — the manual payment
/// closes the rows in its own transaction), so the customer cannot pay a QR that no longer
/// counts. Best effort: what the gateway refuses or cannot be asked is logged, and a payment
/// made anyway is refunded to the balance by the usual re-check.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct CancelAtGateway {
    pub payment_ids: Vec<i64>,
}

/// The bot sent the invoice: remember where, to clean it up when the payment ends.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct InvoiceShown {
    pub payment_id: i64,
    pub chat_id: i64,
    pub message_id: i64,
}

/// A Pakasir callback (already checked for the secret path and size): only a trigger.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct GatewayCallback {
    pub order_id: String,
    pub amount: i64,
    pub project: String,
}
