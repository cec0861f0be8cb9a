//! A seller marks an order or a deposit paid by hand (money received outside the bot, e.g. a
//! bank transfer), with a mandatory note — through the same guarded transactions as a gateway
//! payment, so `reconcile` accepts it and nothing is delivered or credited twice.
//!
//! An order: its open gateway payments are closed (the caller cancels them at the gateway; if
//! the customer pays one anyway, that payment is refunded to the balance), a `manual` payment
//! row is completed, the order's items are sold to it (taken again if it had expired; refused
//! when they are gone), its voucher use kept, delivery enqueued, `payment_method = manual`, an
//! audit row and an owner notice. A deposit: the same, and the balance is credited with ledger
//! reason `manual_payment`.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::job_kinds::{JobPayload, Notice};
use crate::queries::audit::{ActorKind, AuditEntry, append_audit};
use crate::queries::jobs::{NewJob, enqueue};
use crate::queries::shop::checkout::{PaymentFor, new_reference};
use crate::queries::shop::closing::clean_up_invoice;
use crate::queries::shop::completion::{
    RefundReason, VoucherStep, complete_order_in_tx, credit_deposit, lock_order, retake_order,
    set_order_channel,
};
use crate::queries::shop::payments::{PaymentRow, create_payment_row, load_payment};
use crate::queries::shop::status::{
    DepositStatus, LedgerReason, OrderStatus, PaymentChannel, PaymentStatus,
};
use crate::tables::{deposits as d, orders as o, payments as pay};

/// The audit action of a manual payment.
pub const MANUAL_ACTION: &str = "payment.manual";
/// Longest note a seller can give.
pub const MAX_NOTE_CHARS: usize = 500;

/// Why a manual payment was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManualProblem {
    /// The note is mandatory.
    #[error("a note is required")]
    NoNote,
    /// Longer than [`MAX_NOTE_CHARS`].
    #[error("the note is longer than {MAX_NOTE_CHARS} characters")]
    NoteTooLong,
    /// No such order or deposit.
    #[error("not found")]
    Unknown,
    /// It is paid already (nothing to do).
    #[error("already paid")]
    AlreadyPaid,
    /// The order had closed and its items were sold meanwhile.
    #[error("the order's stock is gone")]
    StockGone,
    /// The order had closed and its voucher was used up meanwhile.
    #[error("the order's voucher is used up")]
    VoucherUsedUp,
}

/// A manual payment, done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManuallyPaid {
    /// The `manual` payment row (`None` for a fully discounted order: nothing to pay).
    pub payment_id: Option<i64>,
    /// The customer.
    pub user_id: i64,
    /// What was paid (the order's amount without the gateway fee, or the deposit).
    pub amount: i64,
    /// Gateway payments that were open and are now closed: cancel each at the gateway.
    pub superseded: Vec<PaymentRow>,
    /// The audit row.
    pub audit_id: i64,
}

/// Marks an order or a deposit paid by hand. See the module docs. Runs in its own write
/// transaction, or as a savepoint of the caller's.
pub fn complete_payment_manually(
    conn: &mut DbConnection,
    target: PaymentFor,
    admin_id: i64,
    note: &str,
    low_stock_threshold: i64,
) -> Result<Result<ManuallyPaid, ManualProblem>, StoreError> {
    let note = note.trim();
    if note.is_empty() {
        return Ok(Err(ManualProblem::NoNote));
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Ok(Err(ManualProblem::NoteTooLong));
    }
    let result = write_tx(conn, |conn| -> Result<ManuallyPaid, Abort> {
        match target {
            PaymentFor::Order(order_id) => {
                pay_order(conn, order_id, admin_id, note, low_stock_threshold)
            }
            PaymentFor::Deposit(deposit_id) => pay_deposit(conn, deposit_id, admin_id, note),
        }
    });
    match result {
        Ok(done) => Ok(Ok(done)),
        Err(Abort::Problem(p)) => Ok(Err(p)),
        Err(Abort::Store(e)) => Err(e),
    }
}

fn pay_order(
    conn: &mut DbConnection,
    order_id: i64,
    admin_id: i64,
    note: &str,
    low_stock_threshold: i64,
) -> Result<ManuallyPaid, Abort> {
    let exists: i64 = o::table.find(order_id).count().get_result(conn)?;
    if exists == 0 {
        return Err(Abort::Problem(ManualProblem::Unknown));
    }
    // Payments first, then the order: the same lock order as a gateway completion, so the two
    // never deadlock.
    let superseded = supersede_open_payments(conn, PaymentFor::Order(order_id))?;
    let (status, voucher_id) = lock_order(conn, order_id)?;
    let step = match status {
        OrderStatus::Paid | OrderStatus::Delivered => {
            return Err(Abort::Problem(ManualProblem::AlreadyPaid));
        }
        OrderStatus::Pending => VoucherStep::Finalize,
        OrderStatus::Expired | OrderStatus::Cancelled => {
            match retake_order(conn, order_id, voucher_id)? {
                Ok(()) => VoucherStep::AlreadyTaken,
                Err(RefundReason::VoucherUsedUp) => {
                    return Err(Abort::Problem(ManualProblem::VoucherUsedUp));
                }
                Err(_) => return Err(Abort::Problem(ManualProblem::StockGone)),
            }
        }
    };
    let (invoice_no, user_id, subtotal, discount): (String, i64, i64, i64) = o::table
        .find(order_id)
        .select((o::invoice_no, o::user_id, o::subtotal, o::discount))
        .first(conn)?;
    let amount = subtotal - discount;
    let now = now_ms();
    let payment_id = if amount > 0 {
        let row = create_payment_row(
            conn,
            PaymentFor::Order(order_id),
            PaymentChannel::Manual,
            amount,
            &invoice_no,
        )?;
        mark_completed(conn, row.id, now)?;
        Some(row.id)
    } else {
        None
    };
    // The total is what the shop received: no gateway fee on a manual payment.
    diesel::update(o::table.find(order_id))
        .set((o::fee.eq(0), o::total.eq(amount)))
        .execute(conn)?;
    set_order_channel(conn, order_id, PaymentChannel::Manual)?;
    complete_order_in_tx(conn, order_id, now, low_stock_threshold, step)?;
    let audit_id = audit(
        conn,
        admin_id,
        &invoice_no,
        user_id,
        amount,
        note,
        payment_id,
    )?;
    notify_owners(conn, audit_id, &invoice_no, admin_id, amount, note)?;
    Ok(ManuallyPaid {
        payment_id,
        user_id,
        amount,
        superseded,
        audit_id,
    })
}

fn pay_deposit(
    conn: &mut DbConnection,
    deposit_id: i64,
    admin_id: i64,
    note: &str,
) -> Result<ManuallyPaid, Abort> {
    let superseded = supersede_open_payments(conn, PaymentFor::Deposit(deposit_id))?;
    let query = d::table
        .find(deposit_id)
        .select((d::status, d::user_id, d::amount));
    let row: Option<(String, i64, i64)> = match conn {
        DbConnection::Pg(c) => query.for_update().first(c).optional()?,
        DbConnection::Sqlite(c) => query.first(c).optional()?,
    };
    let Some((status, user_id, amount)) = row else {
        return Err(Abort::Problem(ManualProblem::Unknown));
    };
    if status == DepositStatus::Completed.as_str() {
        return Err(Abort::Problem(ManualProblem::AlreadyPaid));
    }
    let now = now_ms();
    let row = create_payment_row(
        conn,
        PaymentFor::Deposit(deposit_id),
        PaymentChannel::Manual,
        amount,
        &new_reference("MAN"),
    )?;
    mark_completed(conn, row.id, now)?;
    let row = load_payment(conn, row.id)?
        .ok_or_else(|| StoreError::Corrupt("payment vanished".into()))?;
    credit_deposit(
        conn,
        &row,
        deposit_id,
        user_id,
        LedgerReason::ManualPayment,
        now,
    )?;
    let subject = row.gateway_order_id.clone();
    let audit_id = audit(
        conn,
        admin_id,
        &subject,
        user_id,
        amount,
        note,
        Some(row.id),
    )?;
    notify_owners(conn, audit_id, &subject, admin_id, amount, note)?;
    Ok(ManuallyPaid {
        payment_id: Some(row.id),
        user_id,
        amount,
        superseded,
        audit_id,
    })
}

/// Closes the open gateway payments of an order or deposit as `cancelled` (what they held is
/// taken over by the manual payment, so nothing is released) and cleans up their invoices.
fn supersede_open_payments(
    conn: &mut DbConnection,
    target: PaymentFor,
) -> Result<Vec<PaymentRow>, StoreError> {
    let ids: Vec<i64> = match target {
        PaymentFor::Order(id) => pay::table
            .filter(pay::order_id.eq(id))
            .filter(pay::status.eq_any(PaymentStatus::OPEN))
            .select(pay::id)
            .load(conn)?,
        PaymentFor::Deposit(id) => pay::table
            .filter(pay::deposit_id.eq(id))
            .filter(pay::status.eq_any(PaymentStatus::OPEN))
            .select(pay::id)
            .load(conn)?,
    };
    let mut closed = Vec::new();
    for id in ids {
        let won = diesel::update(
            pay::table
                .find(id)
                .filter(pay::status.eq_any(PaymentStatus::OPEN)),
        )
        .set((
            pay::status.eq(PaymentStatus::Cancelled.as_str()),
            pay::updated_at.eq(now_ms()),
        ))
        .execute(conn)?;
        if won == 1
            && let Some(row) = load_payment(conn, id)?
        {
            clean_up_invoice(conn, &row)?;
            closed.push(row);
        }
    }
    Ok(closed)
}

fn mark_completed(conn: &mut DbConnection, payment_id: i64, now: i64) -> Result<(), StoreError> {
    diesel::update(pay::table.find(payment_id))
        .set((
            pay::status.eq(PaymentStatus::Completed.as_str()),
            pay::completed_at.eq(now),
            pay::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

fn audit(
    conn: &mut DbConnection,
    admin_id: i64,
    subject: &str,
    user_id: i64,
    amount: i64,
    note: &str,
    payment_id: Option<i64>,
) -> Result<i64, StoreError> {
    append_audit(
        conn,
        &AuditEntry {
            actor_kind: ActorKind::Admin,
            actor_id: Some(admin_id),
            action: MANUAL_ACTION,
            subject: Some(subject),
            details: serde_json::json!({
                "user_id": user_id,
                "amount": amount,
                "note": note,
                "payment_id": payment_id,
            }),
        },
    )
}

fn notify_owners(
    conn: &mut DbConnection,
    audit_id: i64,
    reference: &str,
    admin_id: i64,
    amount: i64,
    note: &str,
) -> Result<(), StoreError> {
    let job = JobPayload::Notify(Notice::ManualPayment {
        reference: reference.to_string(),
        admin_id,
        amount,
        note: note.to_string(),
    });
    enqueue(
        conn,
        &NewJob::keyed(job, format!("notice:manual:{audit_id}")),
    )?;
    Ok(())
}

/// Rolls a manual payment back: a refusal to report, or a storage error.
enum Abort {
    Problem(ManualProblem),
    Store(StoreError),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Store(e.into())
    }
}

impl From<StoreError> for Abort {
    fn from(e: StoreError) -> Self {
        Abort::Store(e)
    }
}
