//! `autoorder reconcile`: proves that every rupiah is accounted for, from the database alone.
//!
//! Layout: here the report types ([`Report`], [`Discrepancy`], [`DiscrepancyKind`]) and
//! [`reconcile`], which loads the money tables once (`snapshot`: one consistent read
//! transaction, plus the lookups the checks share) and runs `checks`, one function per
//! invariant:
//!
//! * **balances** — each balance equals its ledger sum, and each ledger row's `balance_after`
//!   is the running sum;
//! * **ledger** — every row points at what justifies it, by reason: a completed deposit
//!   payment, a balance-paid order, a refunded payment, an audited seller adjustment, a manual
//!   deposit payment or an imported opening balance — with the right user and amount;
//! * **payments** — every completed payment did exactly one thing: credited its deposit,
//!   paid its order, or was refunded to the balance; every paid order was paid exactly once and
//!   every unpaid order not at all;
//! * **items** — every paid order holds exactly its items, sold; a pending order holds exactly
//!   its reservations; a closed order holds nothing;
//! * **vouchers** — uses equal the paid orders holding them (plus uses imported from the old
//!   bot), reservations equal the pending ones, and neither exceeds the maximum.
//!
//! Payments flagged for review are listed apart: a person is already deciding about them.
//! The gateway cross-check (`--gateway`) needs the Pakasir client and lives in the actors crate.
mod checks;
mod snapshot;

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConnection;
use crate::error::StoreError;
use crate::queries::shop::payments::PaymentRow;
use crate::queries::shop::status::{PaymentChannel, PaymentStatus};
use crate::tables::payments as pay;
use snapshot::{Index, Snapshot, load};

/// What kind of invariant a discrepancy breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscrepancyKind {
    /// A balance differs from the sum of its ledger.
    BalanceNotLedgerSum,
    /// A ledger row's `balance_after` is not the running sum of the user's ledger.
    LedgerChainBroken,
    /// A ledger row points at nothing that justifies it, or at something that does not match
    /// (another user, another amount, an unpaid order, an unknown reason).
    LedgerUnjustified,
    /// A completed payment did nothing (no order paid, no credit, no refund).
    PaymentNotApplied,
    /// A completed payment did more than one thing (e.g. credited twice, paid and refunded).
    PaymentAppliedTwice,
    /// A paid order has no payment that paid it, or more than one.
    OrderPaymentCount,
    /// A completed payment's amount is not its order's or deposit's.
    PaymentAmount,
    /// An order's stock items do not match its lines and its status.
    OrderItems,
    /// A deposit's status does not match its payments.
    DepositState,
    /// A voucher's counts do not match the orders holding it, or exceed its maximum.
    VoucherCount,
    /// The gateway's `transactiondetail` disagrees with a payment (`--gateway`).
    GatewayDisagrees,
}

impl DiscrepancyKind {
    /// The stored/printed name.
    pub fn as_str(self) -> &'static str {
        match self {
            DiscrepancyKind::BalanceNotLedgerSum => "balance_not_ledger_sum",
            DiscrepancyKind::LedgerChainBroken => "ledger_chain_broken",
            DiscrepancyKind::LedgerUnjustified => "ledger_unjustified",
            DiscrepancyKind::PaymentNotApplied => "payment_not_applied",
            DiscrepancyKind::PaymentAppliedTwice => "payment_applied_twice",
            DiscrepancyKind::OrderPaymentCount => "order_payment_count",
            DiscrepancyKind::PaymentAmount => "payment_amount",
            DiscrepancyKind::OrderItems => "order_items",
            DiscrepancyKind::DepositState => "deposit_state",
            DiscrepancyKind::VoucherCount => "voucher_count",
            DiscrepancyKind::GatewayDisagrees => "gateway_disagrees",
        }
    }
}

/// One broken invariant, named: who, which order, which payment, how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Discrepancy {
    pub kind: DiscrepancyKind,
    /// The customer concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// The order's invoice number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// The payment's gateway order id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment: Option<String>,
    /// The amount in question (Rupiah).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// What exactly is wrong, for a person.
    pub detail: String,
}

impl Discrepancy {
    /// A discrepancy with only its kind and text; add the rest with the builder methods.
    pub fn new(kind: DiscrepancyKind, detail: impl Into<String>) -> Discrepancy {
        Discrepancy {
            kind,
            user_id: None,
            order: None,
            payment: None,
            amount: None,
            detail: detail.into(),
        }
    }
    /// Names the customer.
    pub fn user(mut self, user_id: i64) -> Self {
        self.user_id = Some(user_id);
        self
    }
    /// Names the order.
    pub fn order(mut self, invoice_no: &str) -> Self {
        self.order = Some(invoice_no.to_string());
        self
    }
    /// Names the payment.
    pub fn payment(mut self, gateway_order_id: &str) -> Self {
        self.payment = Some(gateway_order_id.to_string());
        self
    }
    /// Names the amount.
    pub fn amount(mut self, amount: i64) -> Self {
        self.amount = Some(amount);
        self
    }
}

impl std::fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.kind.as_str())?;
        if let Some(u) = self.user_id {
            write!(f, " user={u}")?;
        }
        if let Some(o) = &self.order {
            write!(f, " order={o}")?;
        }
        if let Some(p) = &self.payment {
            write!(f, " payment={p}")?;
        }
        if let Some(a) = self.amount {
            write!(f, " amount={a}")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// A payment a person is deciding about (not a discrepancy: the owners were told).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnderReview {
    pub payment: String,
    pub amount: i64,
    pub status: String,
    pub reason: String,
}

/// How much was looked at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Checked {
    pub users: usize,
    pub ledger_rows: usize,
    pub payments: usize,
    pub orders: usize,
    pub deposits: usize,
    pub vouchers: usize,
    pub stock_items: usize,
}

/// The result of a reconciliation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub checked: Checked,
    pub discrepancies: Vec<Discrepancy>,
    pub under_review: Vec<UnderReview>,
}

impl Report {
    /// No discrepancy.
    pub fn is_clean(&self) -> bool {
        self.discrepancies.is_empty()
    }

    /// One line for the owners' daily summary.
    pub fn summary_line(&self) -> String {
        let mut line = if self.is_clean() {
            format!(
                "bersih ({} pembayaran, {} baris saldo diperiksa)",
                self.checked.payments, self.checked.ledger_rows
            )
        } else {
            let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
            for d in &self.discrepancies {
                *kinds.entry(d.kind.as_str()).or_default() += 1;
            }
            let list: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
            format!(
                "{} selisih ({}) — jalankan `autoorder reconcile`",
                self.discrepancies.len(),
                list.join(", ")
            )
        };
        if !self.under_review.is_empty() {
            line.push_str(&format!(
                "; {} menunggu peninjauan",
                self.under_review.len()
            ));
        }
        line
    }
}

/// Runs every storage check (see the module docs) on one consistent snapshot.
pub fn reconcile(conn: &mut DbConnection) -> Result<Report, StoreError> {
    // One read transaction, so every table is read as of the same moment: REPEATABLE READ on
    // PostgreSQL; on SQLite (WAL) a read transaction is a snapshot already and takes no write
    // lock, so the bot keeps selling while this runs.
    let snap = conn.transaction(|conn| {
        if let DbConnection::Pg(c) = conn {
            use diesel::connection::SimpleConnection;
            c.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        load(conn)
    })?;
    Ok(check(&snap))
}

fn check(snap: &Snapshot) -> Report {
    let mut out = Vec::new();
    let index = Index::new(snap);
    checks::balances(snap, &mut out);
    checks::ledger(snap, &index, &mut out);
    checks::payments(snap, &index, &mut out);
    checks::items(snap, &mut out);
    checks::vouchers(snap, &mut out);
    let under_review = snap
        .reviews
        .iter()
        .filter_map(|(payment_id, reason)| {
            let p = index.payment_by_id.get(payment_id)?;
            Some(UnderReview {
                payment: p.gateway_order_id.clone(),
                amount: p.amount,
                status: p.status.to_string(),
                reason: reason.clone(),
            })
        })
        .collect();
    Report {
        checked: Checked {
            users: snap.users.len(),
            ledger_rows: snap.ledger.len(),
            payments: snap.payments.len(),
            orders: snap.orders.len(),
            deposits: snap.deposits.len(),
            vouchers: snap.vouchers.len(),
            stock_items: snap.stock.len(),
        },
        discrepancies: out,
        under_review,
    }
}

/// The payments `reconcile --gateway` asks Pakasir about: every completed QRIS payment, and
/// every QRIS payment closed unpaid within the last `window_ms` (money can still arrive for
/// those). Oldest first.
pub fn gateway_candidates(
    conn: &mut DbConnection,
    window_ms: i64,
) -> Result<Vec<PaymentRow>, StoreError> {
    let since = crate::db::now_ms() - window_ms;
    Ok(pay::table
        .filter(pay::method.eq(PaymentChannel::Qris.as_str()))
        .filter(
            pay::status
                .eq(PaymentStatus::Completed.as_str())
                .or(pay::status
                    .eq_any([
                        PaymentStatus::Expired.as_str(),
                        PaymentStatus::Cancelled.as_str(),
                        PaymentStatus::Failed.as_str(),
                    ])
                    .and(pay::updated_at.ge(since))),
        )
        .order(pay::id.asc())
        .select(PaymentRow::as_select())
        .load(conn)?)
}
