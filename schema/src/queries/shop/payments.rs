//! Payments: one row per gateway attempt (`gateway_order_id` is the only key Pakasir knows).
//!
//! Layout: the row and its lookups; recording the gateway's create answer (a no-op when the
//! payment was closed meanwhile, which the caller must act on); the invoice message; the
//! persisted gateway-failure streak. Completion and closing live in their own modules and are
//! re-exported here, so `payments::complete_payment` / `payments::close_payment` is the one
//! place callers look.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::job_kinds::{JobPayload, Notice};
use crate::queries::jobs::{NewJob, enqueue};
use crate::queries::settings::{get_setting, set_setting};
use crate::queries::shop::checkout::PaymentFor;
use crate::queries::shop::status::{PaymentChannel, PaymentStatus};
use crate::tables::{
    deposits as d, invoice_messages as im, orders as o, payment_checks as pc, payments as pay,
};

pub use super::closing::{
    CloseReason, Closed, close_payment, flag_for_review, mark_checked, open_payments,
    recently_closed_payments,
};
pub use super::completion::{
    Completion, Confirmed, RefundReason, complete_in_tx, complete_payment,
};

/// A payment row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = pay)]
pub struct PaymentRow {
    pub id: i64,
    pub gateway_order_id: String,
    pub purpose: String,
    pub order_id: Option<i64>,
    pub deposit_id: Option<i64>,
    #[diesel(deserialize_as = String)]
    pub method: PaymentChannel,
    pub amount: i64,
    pub fee: Option<i64>,
    pub total_payment: Option<i64>,
    pub payment_number: Option<String>,
    #[diesel(deserialize_as = String)]
    pub status: PaymentStatus,
    pub expires_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl PaymentRow {
    /// What the payment pays for.
    pub fn pays_for(&self) -> Result<PaymentFor, StoreError> {
        match (self.order_id, self.deposit_id) {
            (Some(id), None) => Ok(PaymentFor::Order(id)),
            (None, Some(id)) => Ok(PaymentFor::Deposit(id)),
            _ => Err(StoreError::Corrupt(format!(
                "payment {} pays for neither one order nor one deposit",
                self.id
            ))),
        }
    }
}

/// A payment with who pays it, where its invoice message is and whether it waits for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    pub row: PaymentRow,
    pub user_id: i64,
    pub invoice: Option<(i64, i64)>,
    /// Why it waits for a person (see [`flag_for_review`]); such a payment is never completed
    /// automatically.
    pub review: Option<String>,
}

/// Creates the payment row for an attempt. `base` is the invoice or deposit reference; the
/// attempt number makes the gateway order id unique per attempt. A gateway payment starts
/// `creating` (its gateway call comes next); balance and manual payments start `pending` and
/// are completed in the same transaction.
pub fn create_payment_row(
    conn: &mut DbConnection,
    purpose: PaymentFor,
    method: PaymentChannel,
    amount: i64,
    base: &str,
) -> Result<PaymentRow, StoreError> {
    let (purpose_text, order_id, deposit_id) = match purpose {
        PaymentFor::Order(id) => ("order", Some(id), None),
        PaymentFor::Deposit(id) => ("deposit", None, Some(id)),
    };
    let previous: i64 = match purpose {
        PaymentFor::Order(id) => pay::table
            .filter(pay::order_id.eq(id))
            .count()
            .get_result(conn)?,
        PaymentFor::Deposit(id) => pay::table
            .filter(pay::deposit_id.eq(id))
            .count()
            .get_result(conn)?,
    };
    let attempt = previous as i32 + 1;
    let gateway_order_id = format!("{base}-{attempt}");
    let now = now_ms();
    let initial = match method {
        PaymentChannel::Qris => PaymentStatus::Creating,
        PaymentChannel::Balance | PaymentChannel::Manual => PaymentStatus::Pending,
    };
    let id: i64 = diesel::insert_into(pay::table)
        .values((
            pay::gateway_order_id.eq(&gateway_order_id),
            pay::purpose.eq(purpose_text),
            pay::order_id.eq(order_id),
            pay::deposit_id.eq(deposit_id),
            pay::method.eq(method.as_str()),
            pay::amount.eq(amount),
            pay::status.eq(initial.as_str()),
            pay::attempt.eq(attempt),
            pay::created_at.eq(now),
            pay::updated_at.eq(now),
        ))
        .returning(pay::id)
        .get_result(conn)?;
    load_payment(conn, id)?.ok_or_else(|| StoreError::Corrupt("payment vanished".into()))
}

/// Loads a payment.
pub fn load_payment(conn: &mut DbConnection, id: i64) -> Result<Option<PaymentRow>, StoreError> {
    Ok(pay::table
        .find(id)
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?)
}

/// A payment with its payer and invoice message.
pub fn view_payment(conn: &mut DbConnection, id: i64) -> Result<Option<PaymentView>, StoreError> {
    let Some(row) = load_payment(conn, id)? else {
        return Ok(None);
    };
    let user_id = payer_of(conn, &row)?;
    let invoice = im::table
        .find(id)
        .select((im::chat_id, im::message_id))
        .first(conn)
        .optional()?;
    let review = review_of(conn, id)?;
    Ok(Some(PaymentView {
        row,
        user_id,
        invoice,
        review,
    }))
}

/// Why a payment waits for review, if it does.
pub fn review_of(conn: &mut DbConnection, payment_id: i64) -> Result<Option<String>, StoreError> {
    Ok(pc::table
        .find(payment_id)
        .select(pc::review_reason)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Who pays a payment: its order's or deposit's user.
pub fn payer_of(conn: &mut DbConnection, row: &PaymentRow) -> Result<i64, StoreError> {
    match row.pays_for()? {
        PaymentFor::Order(order_id) => {
            Ok(o::table.find(order_id).select(o::user_id).first(conn)?)
        }
        PaymentFor::Deposit(deposit_id) => {
            Ok(d::table.find(deposit_id).select(d::user_id).first(conn)?)
        }
    }
}

/// Whether a completed payment went to the balance instead of its order (a late refund).
pub fn was_refunded(conn: &mut DbConnection, gateway_order_id: &str) -> Result<bool, StoreError> {
    use crate::tables::balance_ledger as l;
    let n: i64 = l::table
        .filter(l::reason.eq(crate::queries::shop::status::LedgerReason::LateRefund.as_str()))
        .filter(l::reference.eq(gateway_order_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Finds a payment by the gateway's order id.
pub fn find_payment(
    conn: &mut DbConnection,
    gateway_order_id: &str,
) -> Result<Option<PaymentRow>, StoreError> {
    Ok(pay::table
        .filter(pay::gateway_order_id.eq(gateway_order_id))
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?)
}

/// The newest payment of an order.
pub fn latest_payment_of_order(
    conn: &mut DbConnection,
    order_id: i64,
) -> Result<Option<PaymentRow>, StoreError> {
    Ok(pay::table
        .filter(pay::order_id.eq(order_id))
        .order(pay::id.desc())
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()?)
}

/// What the gateway said when the transaction was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayInvoice {
    pub fee: Option<i64>,
    /// What the customer pays, exactly as the gateway said (`None` when it did not say).
    pub total_payment: Option<i64>,
    pub payment_number: Option<String>,
    /// Epoch ms from the gateway's `expired_at`.
    pub expires_at: i64,
}

/// What recording the gateway's answer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The payment is `pending` now, its expiry job scheduled: show the invoice.
    Recorded,
    /// The payment was closed while the gateway call ran (*Batalkan*, the poller): nothing
    /// changed. The caller must cancel the transaction at the gateway and tell the customer —
    /// never show a QR for a closed order.
    NotOpen(PaymentStatus),
}

/// Records the gateway's answer, makes the payment `pending` and schedules its expiry job at
/// the gateway's own expiry time — one transaction, only from `creating`.
pub fn record_gateway_invoice(
    conn: &mut DbConnection,
    payment_id: i64,
    invoice: &GatewayInvoice,
) -> Result<Recorded, StoreError> {
    write_tx(conn, |conn| {
        let now = now_ms();
        let updated = diesel::update(
            pay::table
                .find(payment_id)
                .filter(pay::status.eq(PaymentStatus::Creating.as_str())),
        )
        .set((
            pay::fee.eq(invoice.fee),
            pay::total_payment.eq(invoice.total_payment),
            pay::payment_number.eq(&invoice.payment_number),
            pay::expires_at.eq(invoice.expires_at),
            pay::status.eq(PaymentStatus::Pending.as_str()),
            pay::updated_at.eq(now),
        ))
        .execute(conn)?;
        let payment = load_payment(conn, payment_id)?
            .ok_or_else(|| StoreError::Corrupt("payment vanished".into()))?;
        if updated == 0 {
            return Ok(Recorded::NotOpen(payment.status));
        }
        if let Some(order_id) = payment.order_id {
            let fee = invoice.fee.unwrap_or(0);
            let total = invoice.total_payment.unwrap_or(payment.amount + fee);
            diesel::update(o::table.find(order_id))
                .set((
                    o::fee.eq(fee),
                    o::total.eq(total),
                    o::expires_at.eq(invoice.expires_at),
                ))
                .execute(conn)?;
        }
        if let Some(deposit_id) = payment.deposit_id {
            diesel::update(d::table.find(deposit_id))
                .set(d::expires_at.eq(invoice.expires_at))
                .execute(conn)?;
        }
        let job = NewJob {
            payload: JobPayload::ExpirePayment { payment_id },
            unique_key: Some(format!("expire:{payment_id}")),
            run_at: Some(invoice.expires_at),
            max_attempts: 20,
        };
        enqueue(conn, &job)?;
        Ok(Recorded::Recorded)
    })
}

/// Remembers where the invoice message is, to delete it when the payment ends.
pub fn set_invoice_message(
    conn: &mut DbConnection,
    payment_id: i64,
    chat_id: i64,
    message_id: i64,
) -> Result<(), StoreError> {
    crate::on_backend!(conn, c => diesel::insert_into(im::table)
        .values((im::payment_id.eq(payment_id), im::chat_id.eq(chat_id), im::message_id.eq(message_id)))
        .on_conflict(im::payment_id)
        .do_update()
        .set((im::chat_id.eq(chat_id), im::message_id.eq(message_id)))
        .execute(c)?);
    Ok(())
}

const FAILURES_KEY: &str = "payment.consecutive_failures";
const ALERTED_KEY: &str = "payment.failure_alerted";

/// Counts a gateway failure (persisted, so the streak survives restarts). At `threshold`
/// consecutive failures the owners are alerted once. Returns the streak.
pub fn record_gateway_failure(
    conn: &mut DbConnection,
    threshold: u32,
    error: &str,
) -> Result<u32, StoreError> {
    write_tx(conn, |conn| {
        let streak = get_setting(conn, FAILURES_KEY)?
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
            + 1;
        set_setting(conn, FAILURES_KEY, &streak.to_string())?;
        let alerted = get_setting(conn, ALERTED_KEY)?.is_some_and(|v| v == "1");
        if streak >= threshold && !alerted {
            set_setting(conn, ALERTED_KEY, "1")?;
            let job = JobPayload::Notify(Notice::GatewayFailing {
                failures: streak,
                last_error: error.chars().take(300).collect(),
            });
            enqueue(
                conn,
                &NewJob::keyed(job, format!("notice:gateway-failing:{}", unique_suffix())),
            )?;
        }
        Ok(streak)
    })
}

/// Ends a failure streak; after an alert, the owners hear that it recovered.
pub fn record_gateway_success(conn: &mut DbConnection) -> Result<(), StoreError> {
    let streak = get_setting(conn, FAILURES_KEY)?
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    if streak == 0 {
        return Ok(());
    }
    write_tx(conn, |conn| {
        let alerted = get_setting(conn, ALERTED_KEY)?.is_some_and(|v| v == "1");
        set_setting(conn, FAILURES_KEY, "0")?;
        set_setting(conn, ALERTED_KEY, "0")?;
        if alerted {
            let job = JobPayload::Notify(Notice::GatewayRecovered { failures: streak });
            enqueue(
                conn,
                &NewJob::keyed(job, format!("notice:gateway-recovered:{}", unique_suffix())),
            )?;
        }
        Ok(())
    })
}

/// The current failure streak (health checks and metrics).
pub fn gateway_failure_streak(conn: &mut DbConnection) -> Result<u32, StoreError> {
    Ok(get_setting(conn, FAILURES_KEY)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Each streak's notice is its own job (the streak itself is the de-duplication).
fn unique_suffix() -> String {
    use rand::Rng;
    format!("{}-{:08x}", now_ms(), rand::rng().random::<u32>())
}
