//! Completing a confirmed payment: exactly once, whoever asks and however many ask at once.
//!
//! The guard is the status change itself: `UPDATE payments SET status = 'completed' … WHERE
//! status <> 'completed'`, and everything the completion implies (balance credited, items
//! sold, voucher use finalized, delivery enqueued, or a refund) happens only when that update
//! changed a row. On PostgreSQL a second completion blocks on the row lock and then finds
//! nothing to change; on SQLite writers are serialized anyway. The ledger's unique
//! (reason, reference) index is the backstop.
//!
//! Layout: [`complete_payment`] / [`complete_in_tx`] (the entry points), the deposit and order
//! branches, [`complete_order_in_tx`] (the order becomes paid) and the refund.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::job_kinds::{JobPayload, Notice};
use crate::queries::jobs::{NewJob, enqueue};
use crate::queries::shop::balance::apply_balance_change;
use crate::queries::shop::checkout::{release_stock, reserve_stock};
use crate::queries::shop::payments::{PaymentRow, find_payment, payer_of, review_of};
use crate::queries::shop::status::{
    DepositStatus, LedgerReason, OrderStatus, PaymentChannel, PaymentStatus,
};
use crate::queries::shop::vouchers::{finalize_voucher_use, take_voucher_use};
use crate::tables::{
    deposits as d, order_items as oi, orders as o, payments as pay, products as p, stock_items as s,
};

/// Confirmed by the gateway (`transactiondetail`), never by a callback alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    pub amount: i64,
    /// Epoch ms.
    pub completed_at: i64,
}

/// Why a paid payment went to the balance instead of its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundReason {
    /// Paid after the order closed, and its stock was sold meanwhile.
    StockGone,
    /// Paid after the order closed, and its voucher was used up meanwhile.
    VoucherUsedUp,
    /// The order or deposit was already paid by another payment (a manual payment, a second
    /// attempt).
    AlreadyPaid,
}

/// What completing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// Paid now: the order's items were assigned (or the deposit credited) and jobs enqueued.
    Completed { payment_id: i64, user_id: i64 },
    /// Replay: it was already completed (by this caller or a concurrent one); nothing changed.
    AlreadyCompleted,
    /// No payment with that gateway order id.
    Unknown,
    /// The confirmed amount differs from ours: nothing changed (the caller flags it for review).
    AmountMismatch { expected: i64, confirmed: i64 },
    /// The payment is flagged for review: a person decides, nothing changed.
    UnderReview,
    /// Paid, but its order could not take it any more: the amount went to the balance.
    RefundedToBalance {
        payment_id: i64,
        user_id: i64,
        reason: RefundReason,
    },
}

/// Completes a confirmed payment in one transaction. Idempotent on `gateway_order_id`, also
/// under concurrent callers on several replicas.
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
    if payment.status == PaymentStatus::Completed {
        return Ok(Completion::AlreadyCompleted);
    }
    if payment.amount != confirmed.amount {
        return Ok(Completion::AmountMismatch {
            expected: payment.amount,
            confirmed: confirmed.amount,
        });
    }
    if review_of(conn, payment.id)?.is_some() {
        return Ok(Completion::UnderReview);
    }
    let now = now_ms();
    // The guard: only the caller whose update changes the row goes on.
    let won = diesel::update(
        pay::table
            .find(payment.id)
            .filter(pay::status.eq_any(PaymentStatus::NOT_COMPLETED)),
    )
    .set((
        pay::status.eq(PaymentStatus::Completed.as_str()),
        pay::completed_at.eq(confirmed.completed_at),
        pay::updated_at.eq(now),
    ))
    .execute(conn)?;
    if won == 0 {
        return Ok(Completion::AlreadyCompleted);
    }
    let user_id = payer_of(conn, &payment)?;
    match (payment.deposit_id, payment.order_id) {
        (Some(deposit_id), None) => {
            if lock_deposit(conn, deposit_id)? == DepositStatus::Completed {
                // Paid twice (a seller completed it by hand meanwhile): not lost, not a
                // second deposit either.
                refund_to_balance(conn, &payment, user_id, RefundReason::AlreadyPaid)?;
                return Ok(Completion::RefundedToBalance {
                    payment_id: payment.id,
                    user_id,
                    reason: RefundReason::AlreadyPaid,
                });
            }
            credit_deposit(
                conn,
                &payment,
                deposit_id,
                user_id,
                LedgerReason::Deposit,
                now,
            )?;
            Ok(Completion::Completed {
                payment_id: payment.id,
                user_id,
            })
        }
        (None, Some(order_id)) => {
            complete_order_payment(conn, &payment, order_id, user_id, now, low_stock_threshold)
        }
        _ => Err(StoreError::Corrupt(format!(
            "payment {} pays for neither one order nor one deposit",
            payment.id
        ))),
    }
}

/// A deposit's payment completed: the deposit is completed and the balance credited once.
pub(crate) fn credit_deposit(
    conn: &mut DbConnection,
    payment: &PaymentRow,
    deposit_id: i64,
    user_id: i64,
    reason: LedgerReason,
    now: i64,
) -> Result<(), StoreError> {
    diesel::update(
        d::table
            .find(deposit_id)
            .filter(d::status.ne(DepositStatus::Completed.as_str())),
    )
    .set((
        d::status.eq(DepositStatus::Completed.as_str()),
        d::completed_at.eq(now),
    ))
    .execute(conn)?;
    apply_balance_change(
        conn,
        user_id,
        payment.amount,
        reason,
        &payment.gateway_order_id,
        None,
    )?
    .map_err(|_| StoreError::Corrupt("a credit was refused".into()))?;
    enqueue(
        conn,
        &NewJob::keyed(
            JobPayload::Notify(Notice::DepositCompleted { deposit_id }),
            format!("notice:deposit:{deposit_id}"),
        ),
    )?;
    Ok(())
}

/// Locks a deposit row for the rest of the transaction (see [`lock_order`]) and reads its
/// status.
pub(crate) fn lock_deposit(
    conn: &mut DbConnection,
    deposit_id: i64,
) -> Result<DepositStatus, StoreError> {
    let query = d::table.find(deposit_id).select(d::status);
    let status: String = match conn {
        DbConnection::Pg(c) => query.for_update().first(c)?,
        DbConnection::Sqlite(c) => query.first(c)?,
    };
    DepositStatus::parse(&status).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Locks an order row for the rest of the transaction (PostgreSQL; SQLite's write transaction
/// already excludes every other writer) and reads its status and voucher.
pub(crate) fn lock_order(
    conn: &mut DbConnection,
    order_id: i64,
) -> Result<(OrderStatus, Option<i64>), StoreError> {
    let query = o::table.find(order_id).select((o::status, o::voucher_id));
    let (status, voucher): (String, Option<i64>) = match conn {
        DbConnection::Pg(c) => query.for_update().first(c)?,
        DbConnection::Sqlite(c) => query.first(c)?,
    };
    Ok((
        OrderStatus::parse(&status).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        voucher,
    ))
}

/// An order's payment completed (the payment row is already `completed`).
fn complete_order_payment(
    conn: &mut DbConnection,
    payment: &PaymentRow,
    order_id: i64,
    user_id: i64,
    now: i64,
    low_stock_threshold: i64,
) -> Result<Completion, StoreError> {
    let (order_status, voucher_id) = lock_order(conn, order_id)?;
    let refund = |conn: &mut DbConnection, reason: RefundReason| {
        refund_to_balance(conn, payment, user_id, reason)?;
        Ok(Completion::RefundedToBalance {
            payment_id: payment.id,
            user_id,
            reason,
        })
    };
    match order_status {
        OrderStatus::Pending => {
            complete_order_in_tx(
                conn,
                order_id,
                now,
                low_stock_threshold,
                VoucherStep::Finalize,
            )?;
        }
        // Paid twice (a manual payment, another attempt): the second payment is not lost.
        OrderStatus::Paid | OrderStatus::Delivered => {
            return refund(conn, RefundReason::AlreadyPaid);
        }
        // Paid after expiry or cancel: the stock and the voucher use went back. Take them
        // again if they are still there; otherwise the money goes to the balance.
        OrderStatus::Expired | OrderStatus::Cancelled => {
            match retake_order(conn, order_id, voucher_id)? {
                Ok(()) => complete_order_in_tx(
                    conn,
                    order_id,
                    now,
                    low_stock_threshold,
                    VoucherStep::AlreadyTaken,
                )?,
                Err(reason) => return refund(conn, reason),
            }
        }
    }
    Ok(Completion::Completed {
        payment_id: payment.id,
        user_id,
    })
}

/// Reserves a closed order's items and voucher use again, all or nothing (on failure what was
/// taken is given back before returning).
pub(crate) fn retake_order(
    conn: &mut DbConnection,
    order_id: i64,
    voucher_id: Option<i64>,
) -> Result<Result<(), RefundReason>, StoreError> {
    let items: Vec<(i64, i32)> = oi::table
        .filter(oi::order_id.eq(order_id))
        .select((oi::product_id, oi::quantity))
        .load(conn)?;
    for (product_id, quantity) in &items {
        if !reserve_stock(conn, order_id, *product_id, i64::from(*quantity))? {
            release_stock(conn, order_id)?;
            return Ok(Err(RefundReason::StockGone));
        }
    }
    if let Some(voucher_id) = voucher_id
        && !take_voucher_use(conn, voucher_id)?
    {
        release_stock(conn, order_id)?;
        return Ok(Err(RefundReason::VoucherUsedUp));
    }
    Ok(Ok(()))
}

/// A paid payment its order cannot take: the amount goes to the payer's balance (reason
/// [`LedgerReason::LateRefund`], reference = the gateway order id, so never twice) and the
/// payer and sellers are told.
fn refund_to_balance(
    conn: &mut DbConnection,
    payment: &PaymentRow,
    user_id: i64,
    reason: RefundReason,
) -> Result<(), StoreError> {
    apply_balance_change(
        conn,
        user_id,
        payment.amount,
        LedgerReason::LateRefund,
        &payment.gateway_order_id,
        None,
    )?
    .map_err(|_| StoreError::Corrupt("a refund credit was refused".into()))?;
    enqueue(
        conn,
        &NewJob::keyed(
            JobPayload::Notify(Notice::LatePaymentRefunded {
                payment_id: payment.id,
                reason: Some(reason),
            }),
            format!("notice:late:{}", payment.id),
        ),
    )?;
    Ok(())
}

/// What completing an order does with its voucher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VoucherStep {
    /// The pending order's reservation becomes a use.
    Finalize,
    /// The use was taken already ([`retake_order`]), or the order has none.
    AlreadyTaken,
}

/// Marks an order paid: its reserved items become sold, the voucher use is finalized, and the
/// delivery, SNK, seller and low-stock jobs are enqueued. Only from `pending`, `expired` or
/// `cancelled` (the caller holds the order's lock and has its items reserved).
pub(crate) fn complete_order_in_tx(
    conn: &mut DbConnection,
    order_id: i64,
    now: i64,
    low_stock_threshold: i64,
    voucher: VoucherStep,
) -> Result<(), StoreError> {
    let (invoice_no, user_id, voucher_id): (String, i64, Option<i64>) = o::table
        .find(order_id)
        .select((o::invoice_no, o::user_id, o::voucher_id))
        .first(conn)?;
    let changed = diesel::update(o::table.find(order_id).filter(o::status.eq_any([
        OrderStatus::Pending.as_str(),
        OrderStatus::Expired.as_str(),
        OrderStatus::Cancelled.as_str(),
    ])))
    .set((o::status.eq(OrderStatus::Paid.as_str()), o::paid_at.eq(now)))
    .execute(conn)?;
    if changed == 0 {
        return Err(StoreError::Corrupt(format!(
            "order {invoice_no} cannot become paid from its state"
        )));
    }
    diesel::update(
        s::table
            .filter(s::order_id.eq(order_id))
            .filter(s::state.eq("reserved")),
    )
    .set((s::state.eq("sold"), s::sold_at.eq(now)))
    .execute(conn)?;
    if let Some(voucher_id) = voucher_id
        && voucher == VoucherStep::Finalize
        && !finalize_voucher_use(conn, voucher_id)?
        && !take_voucher_use(conn, voucher_id)?
    {
        // Cannot happen while every path reserves first; never wedge a paid order over it:
        // `reconcile` reports the voucher's counts.
        log::error!(
            "order {invoice_no}: voucher {voucher_id} had no reservation and no use left; the paid discount stands"
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

/// Sets how an order was paid (a manual payment overrides the method chosen at checkout).
pub(crate) fn set_order_channel(
    conn: &mut DbConnection,
    order_id: i64,
    channel: PaymentChannel,
) -> Result<(), StoreError> {
    diesel::update(o::table.find(order_id))
        .set(o::payment_method.eq(channel.as_str()))
        .execute(conn)?;
    Ok(())
}
