//! Payments: one row per gateway attempt (`gateway_order_id` is the only key Pakasir knows),
//! completion in one transaction, expiry and cancellation that release what was held, and the
//! persisted gateway-failure streak.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::job_kinds::{JobPayload, Notice};
use crate::queries::jobs::{NewJob, enqueue};
use crate::queries::settings::{get_setting, set_setting};
use crate::queries::shop::balance::apply_balance_change;
use crate::queries::shop::checkout::{PaymentFor, release_stock, reserve_stock};
use crate::queries::shop::status;
use crate::queries::shop::vouchers::consume_voucher;
use crate::tables::{
    deposits as d, invoice_messages as im, order_items as oi, orders as o, payments as pay,
    products as p, stock_items as s,
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
    pub method: String,
    pub amount: i64,
    pub fee: Option<i64>,
    pub total_payment: Option<i64>,
    pub payment_number: Option<String>,
    pub status: String,
    pub expires_at: Option<i64>,
    pub created_at: i64,
}

/// A payment with who pays it and where its invoice message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentView {
    pub row: PaymentRow,
    pub user_id: i64,
    pub invoice: Option<(i64, i64)>,
}

/// Creates the payment row for an attempt. `base` is the invoice or deposit reference; the
/// attempt number makes the gateway order id unique per attempt.
pub fn create_payment_row(
    conn: &mut DbConnection,
    purpose: PaymentFor,
    user_id: i64,
    method: &str,
    amount: i64,
    base: &str,
) -> Result<PaymentRow, StoreError> {
    let _ = user_id; // the payer is the order's or deposit's user
    let (purpose_text, order_id, deposit_id) = match purpose {
        PaymentFor::Order(id) => ("order", Some(id), None),
        PaymentFor::Deposit(id) => ("deposit", None, Some(id)),
    };
    let previous: i64 = pay::table
        .filter(
            pay::order_id
                .eq(order_id)
                .and(pay::order_id.is_not_null())
                .or(pay::deposit_id
                    .eq(deposit_id)
                    .and(pay::deposit_id.is_not_null())),
        )
        .count()
        .get_result(conn)?;
    let attempt = previous as i32 + 1;
    let gateway_order_id = format!("{base}-{attempt}");
    let now = now_ms();
    let id: i64 = diesel::insert_into(pay::table)
        .values((
            pay::gateway_order_id.eq(&gateway_order_id),
            pay::purpose.eq(purpose_text),
            pay::order_id.eq(order_id),
            pay::deposit_id.eq(deposit_id),
            pay::method.eq(method),
            pay::amount.eq(amount),
            pay::status.eq(if method == "balance" {
                status::PENDING
            } else {
                status::CREATING
            }),
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
    Ok(Some(PaymentView {
        row,
        user_id,
        invoice,
    }))
}

fn payer_of(conn: &mut DbConnection, row: &PaymentRow) -> Result<i64, StoreError> {
    match (row.order_id, row.deposit_id) {
        (Some(order_id), _) => Ok(o::table.find(order_id).select(o::user_id).first(conn)?),
        (None, Some(deposit_id)) => Ok(d::table.find(deposit_id).select(d::user_id).first(conn)?),
        (None, None) => Err(StoreError::Corrupt(format!(
            "payment {} has no purpose",
            row.id
        ))),
    }
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
    pub total_payment: Option<i64>,
    pub payment_number: Option<String>,
    /// Epoch ms from the gateway's `expired_at`.
    pub expires_at: i64,
}

/// Records the gateway's answer, makes the payment `pending` and schedules its expiry job at
/// the gateway's own expiry time — one transaction.
pub fn record_gateway_invoice(
    conn: &mut DbConnection,
    payment_id: i64,
    invoice: &GatewayInvoice,
) -> Result<(), StoreError> {
    write_tx(conn, |conn| {
        let now = now_ms();
        let updated = diesel::update(
            pay::table
                .find(payment_id)
                .filter(pay::status.eq(status::CREATING)),
        )
        .set((
            pay::fee.eq(invoice.fee),
            pay::total_payment.eq(invoice.total_payment),
            pay::payment_number.eq(&invoice.payment_number),
            pay::expires_at.eq(invoice.expires_at),
            pay::status.eq(status::PENDING),
            pay::updated_at.eq(now),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Ok(());
        }
        let payment = load_payment(conn, payment_id)?
            .ok_or_else(|| StoreError::Corrupt("payment vanished".into()))?;
        if let Some(order_id) = payment.order_id {
            let fee = invoice.fee.unwrap_or(0);
            diesel::update(o::table.find(order_id))
                .set((
                    o::fee.eq(fee),
                    o::total.eq(payment.amount + fee),
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
        Ok(())
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

/// Confirmed by the gateway (`transactiondetail`), never by a callback alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    pub amount: i64,
    /// Epoch ms.
    pub completed_at: i64,
}

/// What completing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// Paid now: the order's items were assigned (or the deposit credited) and jobs enqueued.
    Completed { payment_id: i64, user_id: i64 },
    /// Replay: it was already completed; nothing changed.
    AlreadyCompleted,
    /// No payment with that gateway order id.
    Unknown,
    /// The confirmed amount differs from ours: nothing changed.
    AmountMismatch { expected: i64, confirmed: i64 },
    /// Paid after the order was closed and its stock could not be re-reserved: refunded to
    /// the balance.
    RefundedToBalance { payment_id: i64, user_id: i64 },
}

/// Completes a confirmed payment in one transaction. Idempotent on `gateway_order_id`.
pub fn complete_payment(
    conn: &mut DbConnection,
    gateway_order_id: &str,
    confirmed: &Confirmed,
    low_stock_threshold: i64,
) -> Result<Completion, StoreError> {
    write_tx(conn, |conn| {
        complete_in_tx(conn, gateway_order_id, confirmed, low_stock_threshold)
    })
}

/// [`complete_payment`] on an open transaction (balance checkout completes inside its own).
pub fn complete_in_tx(
    conn: &mut DbConnection,
    gateway_order_id: &str,
    confirmed: &Confirmed,
    low_stock_threshold: i64,
) -> Result<Completion, StoreError> {
    let Some(payment) = find_payment(conn, gateway_order_id)? else {
        return Ok(Completion::Unknown);
    };
    if payment.status == status::COMPLETED {
        return Ok(Completion::AlreadyCompleted);
    }
    if payment.amount != confirmed.amount {
        return Ok(Completion::AmountMismatch {
            expected: payment.amount,
            confirmed: confirmed.amount,
        });
    }
    let now = now_ms();
    let user_id = payer_of(conn, &payment)?;
    diesel::update(pay::table.find(payment.id))
        .set((
            pay::status.eq(status::COMPLETED),
            pay::completed_at.eq(confirmed.completed_at),
            pay::updated_at.eq(now),
        ))
        .execute(conn)?;
    if let Some(deposit_id) = payment.deposit_id {
        diesel::update(d::table.find(deposit_id))
            .set((d::status.eq(status::COMPLETED), d::completed_at.eq(now)))
            .execute(conn)?;
        let _ = apply_balance_change(
            conn,
            user_id,
            payment.amount,
            "deposit",
            Some(&payment.gateway_order_id),
            None,
        )?;
        enqueue(
            conn,
            &NewJob::keyed(
                JobPayload::Notify(Notice::DepositCompleted { deposit_id }),
                format!("notice:deposit:{deposit_id}"),
            ),
        )?;
        return Ok(Completion::Completed {
            payment_id: payment.id,
            user_id,
        });
    }
    let Some(order_id) = payment.order_id else {
        return Err(StoreError::Corrupt("payment without purpose".into()));
    };
    let order_status: String = o::table.find(order_id).select(o::status).first(conn)?;
    if order_status != status::PENDING {
        if order_status == status::PAID || order_status == status::DELIVERED {
            return Ok(Completion::AlreadyCompleted);
        }
        // Paid after expiry/cancel: the stock went back. Take it again if it is still there.
        let items: Vec<(i64, i32)> = oi::table
            .filter(oi::order_id.eq(order_id))
            .select((oi::product_id, oi::quantity))
            .load(conn)?;
        let mut all = true;
        for (product_id, quantity) in &items {
            if !reserve_stock(conn, order_id, *product_id, i64::from(*quantity))? {
                all = false;
                break;
            }
        }
        if !all {
            release_stock(conn, order_id)?;
            let _ = apply_balance_change(
                conn,
                user_id,
                payment.amount,
                "refund: paid after expiry",
                Some(&payment.gateway_order_id),
                None,
            )?;
            enqueue(
                conn,
                &NewJob::keyed(
                    JobPayload::Notify(Notice::LatePaymentRefunded {
                        payment_id: payment.id,
                    }),
                    format!("notice:late:{}", payment.id),
                ),
            )?;
            return Ok(Completion::RefundedToBalance {
                payment_id: payment.id,
                user_id,
            });
        }
    }
    complete_order_in_tx(conn, order_id, now, low_stock_threshold)?;
    Ok(Completion::Completed {
        payment_id: payment.id,
        user_id,
    })
}

/// Marks an order paid: reserved items become sold, the voucher use is consumed, and the
/// delivery, SNK, seller and low-stock jobs are enqueued.
pub fn complete_order_in_tx(
    conn: &mut DbConnection,
    order_id: i64,
    now: i64,
    low_stock_threshold: i64,
) -> Result<(), StoreError> {
    let (invoice_no, user_id, voucher_id): (String, i64, Option<i64>) = o::table
        .find(order_id)
        .select((o::invoice_no, o::user_id, o::voucher_id))
        .first(conn)?;
    diesel::update(o::table.find(order_id))
        .set((o::status.eq(status::PAID), o::paid_at.eq(now)))
        .execute(conn)?;
    diesel::update(
        s::table
            .filter(s::order_id.eq(order_id))
            .filter(s::state.eq("reserved")),
    )
    .set((s::state.eq("sold"), s::sold_at.eq(now)))
    .execute(conn)?;
    if let Some(voucher_id) = voucher_id
        && !consume_voucher(conn, voucher_id)?
    {
        log::warn!(
            "order {invoice_no}: voucher {voucher_id} ran out before payment; the paid discount stands"
        );
    }
    let items: Vec<(i64, i32, String)> = oi::table
        .filter(oi::order_id.eq(order_id))
        .select((oi::product_id, oi::quantity, oi::product_name))
        .load(conn)?;
    enqueue(
        conn,
        &NewJob::keyed(
            JobPayload::DeliverOrder { order_id },
            format!("deliver:{order_id}"),
        ),
    )?;
    enqueue(
        conn,
        &NewJob::keyed(
            JobPayload::Notify(Notice::OrderPaid { order_id }),
            format!("notice:order:{order_id}"),
        ),
    )?;
    for (product_id, quantity, name) in items {
        diesel::update(p::table.find(product_id))
            .set(p::sold_count.eq(p::sold_count + i64::from(quantity)))
            .execute(conn)?;
        let snk: Option<String> = p::table.find(product_id).select(p::snk).first(conn)?;
        if let Some(snk_text) = snk.filter(|t| !t.trim().is_empty()) {
            let job = JobPayload::SnkNotice {
                order_ref: invoice_no.clone(),
                product_id,
                user_id,
                product_name: name,
                snk_text,
            };
            enqueue(
                conn,
                &NewJob::keyed(job, format!("snk:{invoice_no}:{product_id}")),
            )?;
        }
        let left: i64 = s::table
            .filter(s::product_id.eq(product_id))
            .filter(s::state.eq("available"))
            .count()
            .get_result(conn)?;
        if left <= low_stock_threshold {
            // One notice per product per level reached, however many orders cross it.
            let job = JobPayload::Notify(Notice::LowStock { product_id });
            enqueue(
                conn,
                &NewJob::keyed(job, format!("notice:low-stock:{product_id}:{left}")),
            )?;
        }
    }
    Ok(())
}

/// Why a payment was closed without being paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The gateway's expiry passed.
    Expired,
    /// The customer pressed *Batalkan*.
    Cancelled,
    /// The gateway call to create it failed.
    Failed,
}

/// What closing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// Closed now: stock released, clean-up and customer notice enqueued.
    Closed(PaymentRow),
    /// It was no longer open (already paid, expired or cancelled): nothing changed.
    NotOpen(String),
}

/// Closes an open payment without payment: releases the order's stock (or the deposit),
/// cleans up the invoice message and tells the customer — one transaction. A voucher is only
/// consumed at payment, so an unpaid order holds none to release.
pub fn close_payment(
    conn: &mut DbConnection,
    payment_id: i64,
    reason: CloseReason,
) -> Result<Closed, StoreError> {
    write_tx(conn, |conn| {
        let Some(payment) = load_payment(conn, payment_id)? else {
            return Ok(Closed::NotOpen("unknown".into()));
        };
        if payment.status != status::PENDING && payment.status != status::CREATING {
            return Ok(Closed::NotOpen(payment.status));
        }
        let (payment_status, order_status) = match reason {
            CloseReason::Expired => (status::EXPIRED, status::EXPIRED),
            CloseReason::Cancelled => (status::CANCELLED, status::CANCELLED),
            CloseReason::Failed => (status::FAILED, status::CANCELLED),
        };
        let now = now_ms();
        diesel::update(pay::table.find(payment_id))
            .set((pay::status.eq(payment_status), pay::updated_at.eq(now)))
            .execute(conn)?;
        if let Some(order_id) = payment.order_id {
            diesel::update(
                o::table
                    .find(order_id)
                    .filter(o::status.eq(status::PENDING)),
            )
            .set((o::status.eq(order_status), o::closed_at.eq(now)))
            .execute(conn)?;
            release_stock(conn, order_id)?;
        }
        if let Some(deposit_id) = payment.deposit_id {
            let deposit_status = if order_status == status::EXPIRED {
                status::EXPIRED
            } else {
                status::CANCELLED
            };
            diesel::update(
                d::table
                    .find(deposit_id)
                    .filter(d::status.eq(status::PENDING)),
            )
            .set(d::status.eq(deposit_status))
            .execute(conn)?;
        }
        let invoice: Option<(i64, i64)> = im::table
            .find(payment_id)
            .select((im::chat_id, im::message_id))
            .first(conn)
            .optional()?;
        if let Some((chat_id, message_id)) = invoice {
            let fallback = format!(
                "❌ Tagihan {} sudah tidak berlaku.",
                payment.gateway_order_id
            );
            let job = JobPayload::Cleanup {
                chat_id,
                message_id,
                fallback_text: fallback,
            };
            enqueue(
                conn,
                &NewJob::keyed(job, format!("cleanup:invoice:{payment_id}")),
            )?;
        }
        if reason == CloseReason::Expired {
            let job = JobPayload::Notify(Notice::PaymentExpired { payment_id });
            enqueue(
                conn,
                &NewJob::keyed(job, format!("notice:expired:{payment_id}")),
            )?;
        }
        Ok(Closed::Closed(payment))
    })
}

/// Open gateway payments older than `min_age_ms`, for the reconciliation poller.
pub fn open_payments(
    conn: &mut DbConnection,
    min_age_ms: i64,
    limit: i64,
) -> Result<Vec<PaymentRow>, StoreError> {
    let cutoff = now_ms() - min_age_ms;
    Ok(pay::table
        .filter(pay::status.eq_any([status::PENDING, status::CREATING]))
        .filter(pay::method.ne("balance"))
        .filter(pay::created_at.le(cutoff))
        .order(pay::id.asc())
        .limit(limit)
        .select(PaymentRow::as_select())
        .load(conn)?)
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
