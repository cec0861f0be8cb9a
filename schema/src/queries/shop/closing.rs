//! Closing unpaid payments, once: expiry, *Batalkan*, a failed create. Also the review flag
//! and what the reconciliation poller asks the gateway about.
//!
//! The guard is the status change: `UPDATE payments SET status = … WHERE status IN
//! ('creating', 'pending')`; the order is closed with `… WHERE status = 'pending'`, and its
//! stock and voucher use are released only when that changed a row. So a completed payment is
//! never overwritten with `expired`, and a closed order releases once.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::job_kinds::{JobPayload, Notice};
use crate::queries::audit::{ActorKind, AuditEntry, append_audit};
use crate::queries::jobs::{NewJob, enqueue};
use crate::queries::shop::checkout::release_stock;
use crate::queries::shop::payments::{PaymentRow, load_payment};
use crate::queries::shop::status::{DepositStatus, OrderStatus, PaymentChannel, PaymentStatus};
use crate::queries::shop::vouchers::release_voucher_use;
use crate::tables::{
    deposits as d, invoice_messages as im, orders as o, payment_checks as pc, payments as pay,
};

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
    /// Closed now: stock and voucher use released, clean-up and customer notice enqueued.
    Closed(Box<PaymentRow>),
    /// It was no longer open (already paid, expired or cancelled — possibly a moment ago by a
    /// concurrent caller): nothing changed. `None`: no such payment.
    NotOpen(Option<PaymentStatus>),
}

/// Closes an open payment without payment: releases the order's stock and voucher use (or
/// closes the deposit), cleans up the invoice message and tells the customer — one
/// transaction, and only if the payment is still `creating` or `pending`.
pub fn close_payment(
    conn: &mut DbConnection,
    payment_id: i64,
    reason: CloseReason,
) -> Result<Closed, StoreError> {
    write_tx(conn, |conn| close_in_tx(conn, payment_id, reason))
}

/// [`close_payment`] on an open transaction.
pub(crate) fn close_in_tx(
    conn: &mut DbConnection,
    payment_id: i64,
    reason: CloseReason,
) -> Result<Closed, StoreError> {
    let (payment_status, order_status, deposit_status) = match reason {
        CloseReason::Expired => (
            PaymentStatus::Expired,
            OrderStatus::Expired,
            DepositStatus::Expired,
        ),
        CloseReason::Cancelled => (
            PaymentStatus::Cancelled,
            OrderStatus::Cancelled,
            DepositStatus::Cancelled,
        ),
        CloseReason::Failed => (
            PaymentStatus::Failed,
            OrderStatus::Cancelled,
            DepositStatus::Cancelled,
        ),
    };
    let now = now_ms();
    let won = diesel::update(
        pay::table
            .find(payment_id)
            .filter(pay::status.eq_any(PaymentStatus::OPEN)),
    )
    .set((
        pay::status.eq(payment_status.as_str()),
        pay::updated_at.eq(now),
    ))
    .execute(conn)?;
    let Some(payment) = load_payment(conn, payment_id)? else {
        return Ok(Closed::NotOpen(None));
    };
    if won == 0 {
        return Ok(Closed::NotOpen(Some(payment.status)));
    }
    if let Some(order_id) = payment.order_id {
        close_order(conn, order_id, order_status, now)?;
    }
    if let Some(deposit_id) = payment.deposit_id {
        diesel::update(
            d::table
                .find(deposit_id)
                .filter(d::status.eq(DepositStatus::Pending.as_str())),
        )
        .set(d::status.eq(deposit_status.as_str()))
        .execute(conn)?;
    }
    clean_up_invoice(conn, &payment)?;
    if reason == CloseReason::Expired {
        let job = JobPayload::Notify(Notice::PaymentExpired { payment_id });
        enqueue(
            conn,
            &NewJob::keyed(job, format!("notice:expired:{payment_id}")),
        )?;
    }
    Ok(Closed::Closed(Box::new(payment)))
}

/// Closes a pending order and gives back what it held, once.
fn close_order(
    conn: &mut DbConnection,
    order_id: i64,
    status: OrderStatus,
    now: i64,
) -> Result<(), StoreError> {
    let voucher_id: Option<i64> = o::table.find(order_id).select(o::voucher_id).first(conn)?;
    let closed = diesel::update(
        o::table
            .find(order_id)
            .filter(o::status.eq(OrderStatus::Pending.as_str())),
    )
    .set((o::status.eq(status.as_str()), o::closed_at.eq(now)))
    .execute(conn)?;
    if closed == 1 {
        release_stock(conn, order_id)?;
        if let Some(voucher_id) = voucher_id {
            release_voucher_use(conn, voucher_id)?;
        }
    }
    Ok(())
}

/// The invoice message of a payment is deleted (or edited) by the queue.
pub(crate) fn clean_up_invoice(
    conn: &mut DbConnection,
    payment: &PaymentRow,
) -> Result<(), StoreError> {
    let invoice: Option<(i64, i64)> = im::table
        .find(payment.id)
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
            &NewJob::keyed(job, format!("cleanup:invoice:{}", payment.id)),
        )?;
    }
    Ok(())
}

/// Flags a payment for review (the gateway answered another amount or project, or a status
/// we do not know): nothing is delivered, the payment is never completed automatically, and
/// the owners are told — once, however often the gateway is asked. True when flagged now.
/// An open payment stays open and expires as usual, releasing its stock.
pub fn flag_for_review(
    conn: &mut DbConnection,
    payment_id: i64,
    reason: &str,
) -> Result<bool, StoreError> {
    let reason: String = reason.chars().take(300).collect();
    write_tx(conn, |conn| {
        ensure_checks_row(conn, payment_id)?;
        let flagged = diesel::update(
            pc::table
                .find(payment_id)
                .filter(pc::review_reason.is_null()),
        )
        .set((pc::review_reason.eq(&reason), pc::flagged_at.eq(now_ms())))
        .execute(conn)?;
        if flagged == 0 {
            return Ok(false);
        }
        let subject = payment_id.to_string();
        append_audit(
            conn,
            &AuditEntry {
                actor_kind: ActorKind::System,
                actor_id: None,
                action: "payment.review",
                subject: Some(&subject),
                details: serde_json::json!({ "payment_id": payment_id, "reason": reason }),
            },
        )?;
        let job = JobPayload::Notify(Notice::PaymentUnderReview {
            payment_id,
            reason: reason.clone(),
        });
        enqueue(
            conn,
            &NewJob::keyed(job, format!("notice:review:{payment_id}")),
        )?;
        Ok(true)
    })
}

/// The payment's `payment_checks` row exists afterwards (a no-op when it did).
fn ensure_checks_row(conn: &mut DbConnection, payment_id: i64) -> Result<(), StoreError> {
    crate::on_backend!(conn, c => diesel::insert_into(pc::table)
        .values(pc::payment_id.eq(payment_id))
        .on_conflict(pc::payment_id)
        .do_nothing()
        .execute(c)?);
    Ok(())
}

/// Payments under review are left to a person.
#[diesel::dsl::auto_type]
fn not_under_review() -> _ {
    diesel::dsl::not(diesel::dsl::exists(
        pc::table
            .filter(pc::payment_id.eq(pay::id))
            .filter(pc::review_reason.is_not_null()),
    ))
}

/// Open gateway payments for the reconciliation poller: `pending` ones older than
/// `min_age_ms` (younger ones are left to their callback) and `creating` ones older than
/// `creating_min_age_ms` — longer than the longest possible create, so a create still under
/// way (with its retries) is never closed under it. Payments under review are left to a person.
pub fn open_payments(
    conn: &mut DbConnection,
    min_age_ms: i64,
    creating_min_age_ms: i64,
    limit: i64,
) -> Result<Vec<PaymentRow>, StoreError> {
    let now = now_ms();
    Ok(pay::table
        .filter(
            pay::status
                .eq(PaymentStatus::Pending.as_str())
                .and(pay::created_at.le(now - min_age_ms))
                .or(pay::status
                    .eq(PaymentStatus::Creating.as_str())
                    .and(pay::created_at.le(now - creating_min_age_ms))),
        )
        .filter(pay::method.eq(PaymentChannel::Qris.as_str()))
        .filter(not_under_review())
        .order(pay::id.asc())
        .limit(limit)
        .select(PaymentRow::as_select())
        .load(conn)?)
}

/// Gateway payments closed unpaid within the last `window_ms` and not asked about for
/// `every_ms`, least recently asked first: money can still arrive for them (paid seconds
/// before the close, the webhook lost), so the poller keeps asking for a while.
pub fn recently_closed_payments(
    conn: &mut DbConnection,
    window_ms: i64,
    every_ms: i64,
    limit: i64,
) -> Result<Vec<PaymentRow>, StoreError> {
    let now = now_ms();
    Ok(pay::table
        .left_join(pc::table)
        .filter(pay::status.eq_any([
            PaymentStatus::Expired.as_str(),
            PaymentStatus::Cancelled.as_str(),
            PaymentStatus::Failed.as_str(),
        ]))
        .filter(pay::method.eq(PaymentChannel::Qris.as_str()))
        .filter(pc::review_reason.is_null())
        .filter(pay::updated_at.ge(now - window_ms))
        .filter(
            pc::checked_at
                .is_null()
                .or(pc::checked_at.le(now - every_ms)),
        )
        .order((
            // Never asked first (NULL sorts differently on the two backends).
            pc::checked_at.is_not_null().asc(),
            pc::checked_at.asc(),
            pay::id.asc(),
        ))
        .limit(limit)
        .select(PaymentRow::as_select())
        .load(conn)?)
}

/// Records that the gateway was asked about a closed payment now.
pub fn mark_checked(conn: &mut DbConnection, payment_id: i64) -> Result<(), StoreError> {
    ensure_checks_row(conn, payment_id)?;
    diesel::update(pc::table.find(payment_id))
        .set((pc::checked_at.eq(now_ms()), pc::checks.eq(pc::checks + 1)))
        .execute(conn)?;
    Ok(())
}
