//! `autoorder reconcile`: proves that every rupiah is accounted for, from the database alone.
//!
//! Layout: the report types ([`Report`], [`Discrepancy`], [`DiscrepancyKind`]); [`reconcile`],
//! which loads the money tables once (a consistent snapshot: one transaction) and runs the
//! checks; then one function per invariant:
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

use std::collections::{BTreeMap, HashMap, HashSet};

use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConnection;
use crate::error::StoreError;
use crate::queries::shop::balance::{ADJUST_ACTION, LedgerReasonText, LedgerRow};
use crate::queries::shop::payments::PaymentRow;
use crate::queries::shop::status::{
    DepositStatus, LedgerReason, OrderStatus, PaymentChannel, PaymentStatus,
};
use crate::tables::{
    audit_log as a, balance_ledger as l, deposits as d, order_items as oi, orders as o,
    payment_checks as pc, payments as pay, stock_items as s, users as u, vouchers as v,
};

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

struct Order {
    id: i64,
    invoice_no: String,
    user_id: i64,
    status: OrderStatus,
    channel: String,
    amount: i64,
    voucher_id: Option<i64>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = o)]
struct OrderRow {
    id: i64,
    invoice_no: String,
    user_id: i64,
    #[diesel(deserialize_as = String)]
    status: OrderStatus,
    payment_method: String,
    subtotal: i64,
    discount: i64,
    voucher_id: Option<i64>,
}

struct Deposit {
    id: i64,
    user_id: i64,
    amount: i64,
    status: String,
}

/// Everything the checks read, loaded in one transaction so it is one consistent picture.
struct Snapshot {
    users: Vec<(i64, i64)>,
    ledger: Vec<LedgerRow>,
    payments: Vec<PaymentRow>,
    orders: Vec<Order>,
    lines: Vec<(i64, i64, i32)>,
    stock: Vec<(i64, i64, String, Option<i64>)>,
    deposits: Vec<Deposit>,
    vouchers: Vec<(i64, String, Option<i32>, i32, i32, i32)>,
    adjustments: HashMap<i64, (Option<i64>, String)>,
    reviews: Vec<(i64, String)>,
}

fn load(conn: &mut DbConnection) -> Result<Snapshot, StoreError> {
    let users = u::table
        .select((u::id, u::balance))
        .order(u::id.asc())
        .load(conn)?;
    let ledger = l::table
        .order(l::id.asc())
        .select(LedgerRow::as_select())
        .load(conn)?;
    let payments = pay::table
        .order(pay::id.asc())
        .select(PaymentRow::as_select())
        .load(conn)?;
    let orders = o::table
        .order(o::id.asc())
        .select(OrderRow::as_select())
        .load::<OrderRow>(conn)?
        .into_iter()
        .map(|r| Order {
            id: r.id,
            invoice_no: r.invoice_no,
            user_id: r.user_id,
            status: r.status,
            channel: r.payment_method,
            amount: r.subtotal - r.discount,
            voucher_id: r.voucher_id,
        })
        .collect();
    let lines = oi::table
        .select((oi::order_id, oi::product_id, oi::quantity))
        .load(conn)?;
    let stock = s::table
        .filter(s::order_id.is_not_null().or(s::state.ne("available")))
        .select((s::id, s::product_id, s::state, s::order_id))
        .load(conn)?;
    let deposits = d::table
        .select((d::id, d::user_id, d::amount, d::status))
        .load::<(i64, i64, i64, String)>(conn)?
        .into_iter()
        .map(|(id, user_id, amount, status)| Deposit {
            id,
            user_id,
            amount,
            status,
        })
        .collect();
    let vouchers = v::table
        .select((
            v::id,
            v::code,
            v::max_uses,
            v::used_count,
            v::reserved_count,
            v::imported_uses,
        ))
        .load(conn)?;
    let adjustments = a::table
        .filter(a::action.eq(ADJUST_ACTION))
        .select((a::id, a::actor_id, a::details))
        .load::<(i64, Option<i64>, String)>(conn)?
        .into_iter()
        .map(|(id, actor, details)| (id, (actor, details)))
        .collect();
    let reviews = pc::table
        .filter(pc::review_reason.is_not_null())
        .select((pc::payment_id, pc::review_reason.assume_not_null()))
        .load(conn)?;
    Ok(Snapshot {
        users,
        ledger,
        payments,
        orders,
        lines,
        stock,
        deposits,
        vouchers,
        adjustments,
        reviews,
    })
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
    check_balances(snap, &mut out);
    check_ledger(snap, &index, &mut out);
    check_payments(snap, &index, &mut out);
    check_items(snap, &mut out);
    check_vouchers(snap, &mut out);
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

/// Lookups the checks share.
struct Index<'a> {
    payment_by_gid: HashMap<&'a str, &'a PaymentRow>,
    payment_by_id: HashMap<i64, &'a PaymentRow>,
    order_by_invoice: HashMap<&'a str, &'a Order>,
    order_by_id: HashMap<i64, &'a Order>,
    deposit_by_id: HashMap<i64, &'a Deposit>,
    /// Ledger rows per reason and reference.
    ledger_refs: HashMap<LedgerReason, HashMap<&'a str, Vec<&'a LedgerRow>>>,
}

impl<'a> Index<'a> {
    fn new(snap: &'a Snapshot) -> Index<'a> {
        let mut ledger_refs: HashMap<LedgerReason, HashMap<&str, Vec<&LedgerRow>>> = HashMap::new();
        for row in &snap.ledger {
            if let (LedgerReasonText::Known(reason), Some(reference)) =
                (&row.reason, &row.reference)
            {
                ledger_refs
                    .entry(*reason)
                    .or_default()
                    .entry(reference.as_str())
                    .or_default()
                    .push(row);
            }
        }
        Index {
            payment_by_gid: snap
                .payments
                .iter()
                .map(|p| (p.gateway_order_id.as_str(), p))
                .collect(),
            payment_by_id: snap.payments.iter().map(|p| (p.id, p)).collect(),
            order_by_invoice: snap
                .orders
                .iter()
                .map(|o| (o.invoice_no.as_str(), o))
                .collect(),
            order_by_id: snap.orders.iter().map(|o| (o.id, o)).collect(),
            deposit_by_id: snap.deposits.iter().map(|d| (d.id, d)).collect(),
            ledger_refs,
        }
    }

    fn payer(&self, p: &PaymentRow) -> Option<i64> {
        match (p.order_id, p.deposit_id) {
            (Some(o), None) => self.order_by_id.get(&o).map(|o| o.user_id),
            (None, Some(d)) => self.deposit_by_id.get(&d).map(|d| d.user_id),
            _ => None,
        }
    }

    fn ledger(&self, reason: LedgerReason, reference: &str) -> &[&'a LedgerRow] {
        self.ledger_refs
            .get(&reason)
            .and_then(|m| m.get(reference))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

fn check_balances(snap: &Snapshot, out: &mut Vec<Discrepancy>) {
    let mut sums: HashMap<i64, i64> = HashMap::new();
    for row in &snap.ledger {
        let running = sums.entry(row.user_id).or_default();
        *running += row.delta;
        if *running != row.balance_after {
            out.push(
                Discrepancy::new(
                    DiscrepancyKind::LedgerChainBroken,
                    format!(
                        "ledger row {} says the balance became {} but the rows before it sum to {}",
                        row.id, row.balance_after, running
                    ),
                )
                .user(row.user_id)
                .amount(row.delta),
            );
            *running = row.balance_after;
        }
    }
    let sums: HashMap<i64, i64> = snap.ledger.iter().fold(HashMap::new(), |mut m, r| {
        *m.entry(r.user_id).or_default() += r.delta;
        m
    });
    for (user_id, balance) in &snap.users {
        let sum = sums.get(user_id).copied().unwrap_or(0);
        if *balance != sum {
            out.push(
                Discrepancy::new(
                    DiscrepancyKind::BalanceNotLedgerSum,
                    format!("balance is {balance} but the ledger sums to {sum}"),
                )
                .user(*user_id)
                .amount(balance - sum),
            );
        }
    }
}

fn check_ledger(snap: &Snapshot, index: &Index<'_>, out: &mut Vec<Discrepancy>) {
    for row in &snap.ledger {
        if let Some(problem) = ledger_problem(snap, index, row) {
            let mut d = Discrepancy::new(
                DiscrepancyKind::LedgerUnjustified,
                format!("ledger row {}: {problem}", row.id),
            )
            .user(row.user_id)
            .amount(row.delta);
            if let Some(reference) = &row.reference {
                if index.order_by_invoice.contains_key(reference.as_str()) {
                    d = d.order(reference);
                } else if index.payment_by_gid.contains_key(reference.as_str()) {
                    d = d.payment(reference);
                }
            }
            out.push(d);
        }
    }
}

/// Why a ledger row is not justified, or `None` when it is.
fn ledger_problem(snap: &Snapshot, index: &Index<'_>, row: &LedgerRow) -> Option<String> {
    let reason = match &row.reason {
        LedgerReasonText::Known(r) => *r,
        LedgerReasonText::Unknown(text) => return Some(format!("unknown reason {text:?}")),
    };
    let Some(reference) = row.reference.as_deref() else {
        return Some(format!("{reason} without a reference"));
    };
    let payment_credit = |channel: PaymentChannel, for_deposit: bool| -> Option<String> {
        let Some(p) = index.payment_by_gid.get(reference) else {
            return Some(format!("{reason} names no payment {reference:?}"));
        };
        if p.status != PaymentStatus::Completed {
            return Some(format!("{reason} for a payment that is {}", p.status));
        }
        if p.method != channel {
            return Some(format!("{reason} for a {} payment", p.method));
        }
        if for_deposit != p.deposit_id.is_some() {
            return Some(format!("{reason} for a payment of the wrong kind"));
        }
        if index.payer(p) != Some(row.user_id) {
            return Some(format!("{reason} credited to someone other than the payer"));
        }
        if row.delta != p.amount {
            return Some(format!(
                "{reason} of {} for a payment of {}",
                row.delta, p.amount
            ));
        }
        None
    };
    match reason {
        LedgerReason::Deposit => payment_credit(PaymentChannel::Qris, true),
        LedgerReason::ManualPayment => payment_credit(PaymentChannel::Manual, true),
        LedgerReason::LateRefund => {
            let Some(p) = index.payment_by_gid.get(reference) else {
                return Some(format!("refund names no payment {reference:?}"));
            };
            if p.status != PaymentStatus::Completed {
                return Some(format!("refund of a payment that is {}", p.status));
            }
            if index.payer(p) != Some(row.user_id) {
                return Some("refund to someone other than the payer".into());
            }
            (row.delta != p.amount)
                .then(|| format!("refund of {} for a payment of {}", row.delta, p.amount))
        }
        LedgerReason::Order => {
            let Some(order) = index.order_by_invoice.get(reference) else {
                return Some(format!("debit names no order {reference:?}"));
            };
            if order.user_id != row.user_id {
                return Some("debit of someone other than the buyer".into());
            }
            if !order.status.is_paid() {
                return Some(format!("debit for an order that is {}", order.status));
            }
            if row.delta != -order.amount {
                return Some(format!(
                    "debit of {} for an order of {}",
                    -row.delta, order.amount
                ));
            }
            let paid_by_balance = snap.payments.iter().any(|p| {
                p.order_id == Some(order.id)
                    && p.method == PaymentChannel::Balance
                    && p.status == PaymentStatus::Completed
                    && p.amount == order.amount
            });
            (!paid_by_balance).then(|| "debit without a completed balance payment".into())
        }
        LedgerReason::AdminAdjust => {
            let Some(audit_id) = reference
                .strip_prefix("audit:")
                .and_then(|id| id.parse::<i64>().ok())
            else {
                return Some(format!(
                    "adjustment reference {reference:?} is not audit:<id>"
                ));
            };
            let Some((actor, details)) = snap.adjustments.get(&audit_id) else {
                return Some(format!("no audited adjustment {audit_id}"));
            };
            let details: serde_json::Value = serde_json::from_str(details).unwrap_or_default();
            if *actor != row.actor_id {
                return Some("the ledger's actor is not the audited seller".into());
            }
            if details["user_id"].as_i64() != Some(row.user_id)
                || details["delta"].as_i64() != Some(row.delta)
            {
                return Some(format!(
                    "the audited adjustment {audit_id} is for another user or amount"
                ));
            }
            None
        }
        LedgerReason::Import => {
            let legacy = reference
                .strip_prefix("legacy-user:")
                .is_some_and(|id| !id.is_empty());
            if !legacy {
                return Some(format!(
                    "import reference {reference:?} is not legacy-user:<id>"
                ));
            }
            (row.delta <= 0).then(|| "an imported opening balance is not a credit".into())
        }
    }
}

fn check_payments(snap: &Snapshot, index: &Index<'_>, out: &mut Vec<Discrepancy>) {
    // Order payments that completed and were not refunded: the ones that paid their order.
    let mut paying: HashMap<i64, Vec<&PaymentRow>> = HashMap::new();
    let mut completed_deposits: HashMap<i64, usize> = HashMap::new();
    for p in &snap.payments {
        let refunds = index
            .ledger(LedgerReason::LateRefund, &p.gateway_order_id)
            .len();
        let named = |d: Discrepancy| {
            let d = d.payment(&p.gateway_order_id).amount(p.amount);
            match index.payer(p) {
                Some(user) => d.user(user),
                None => d,
            }
        };
        if p.status != PaymentStatus::Completed {
            continue;
        }
        match (p.order_id, p.deposit_id) {
            (None, Some(deposit_id)) => {
                let reason = if p.method == PaymentChannel::Manual {
                    LedgerReason::ManualPayment
                } else {
                    LedgerReason::Deposit
                };
                let credits = index.ledger(reason, &p.gateway_order_id).len();
                if refunds == 0 {
                    *completed_deposits.entry(deposit_id).or_default() += 1;
                }
                if credits + refunds == 0 {
                    out.push(named(Discrepancy::new(
                        DiscrepancyKind::PaymentNotApplied,
                        "completed deposit payment never credited the balance",
                    )));
                } else if credits + refunds > 1 {
                    out.push(named(Discrepancy::new(
                        DiscrepancyKind::PaymentAppliedTwice,
                        format!("deposit payment credited {} times", credits + refunds),
                    )));
                }
                if let Some(deposit) = index.deposit_by_id.get(&deposit_id)
                    && deposit.amount != p.amount
                {
                    out.push(named(Discrepancy::new(
                        DiscrepancyKind::PaymentAmount,
                        format!("deposit of {} paid with {}", deposit.amount, p.amount),
                    )));
                }
            }
            (Some(order_id), None) => {
                if refunds > 1 {
                    out.push(named(Discrepancy::new(
                        DiscrepancyKind::PaymentAppliedTwice,
                        format!("refunded {refunds} times"),
                    )));
                }
                if refunds == 0 {
                    paying.entry(order_id).or_default().push(p);
                }
                if let Some(order) = index.order_by_id.get(&order_id)
                    && order.amount != p.amount
                {
                    out.push(
                        named(Discrepancy::new(
                            DiscrepancyKind::PaymentAmount,
                            format!("order of {} paid with {}", order.amount, p.amount),
                        ))
                        .order(&order.invoice_no),
                    );
                }
            }
            _ => out.push(named(Discrepancy::new(
                DiscrepancyKind::PaymentNotApplied,
                "payment pays for neither one order nor one deposit",
            ))),
        }
    }
    for order in &snap.orders {
        let payers = paying.get(&order.id).map(Vec::as_slice).unwrap_or(&[]);
        let expected = usize::from(order.status.is_paid() && order.amount > 0);
        if payers.len() != expected {
            let detail = if order.status.is_paid() {
                format!(
                    "{} order paid by {} payments ({})",
                    order.status,
                    payers.len(),
                    order.channel
                )
            } else {
                format!(
                    "{} order has {} completed payment(s) that were neither applied nor refunded",
                    order.status,
                    payers.len()
                )
            };
            let mut d = Discrepancy::new(DiscrepancyKind::OrderPaymentCount, detail)
                .user(order.user_id)
                .order(&order.invoice_no)
                .amount(order.amount);
            if let Some(p) = payers.first() {
                d = d.payment(&p.gateway_order_id);
            }
            out.push(d);
        }
    }
    for deposit in &snap.deposits {
        let n = completed_deposits.get(&deposit.id).copied().unwrap_or(0);
        let completed = deposit.status == DepositStatus::Completed.as_str();
        if (completed && n != 1) || (!completed && n != 0) {
            out.push(
                Discrepancy::new(
                    DiscrepancyKind::DepositState,
                    format!(
                        "deposit {} is {} with {n} completed payment(s)",
                        deposit.id, deposit.status
                    ),
                )
                .user(deposit.user_id)
                .amount(deposit.amount),
            );
        }
    }
}

fn check_items(snap: &Snapshot, out: &mut Vec<Discrepancy>) {
    // (order, product) → (sold, reserved)
    let mut held: HashMap<(i64, i64), (i64, i64)> = HashMap::new();
    let mut seen_items = HashSet::new();
    for (item_id, product_id, state, order_id) in &snap.stock {
        seen_items.insert(*item_id);
        let Some(order_id) = order_id else {
            out.push(Discrepancy::new(
                DiscrepancyKind::OrderItems,
                format!("stock item {item_id} of product {product_id} is {state} without an order"),
            ));
            continue;
        };
        let entry = held.entry((*order_id, *product_id)).or_default();
        match state.as_str() {
            "sold" => entry.0 += 1,
            "reserved" => entry.1 += 1,
            other => out.push(Discrepancy::new(
                DiscrepancyKind::OrderItems,
                format!("stock item {item_id} is {other} but attached to order {order_id}"),
            )),
        }
    }
    let mut wanted: HashMap<(i64, i64), i64> = HashMap::new();
    for (order_id, product_id, quantity) in &snap.lines {
        *wanted.entry((*order_id, *product_id)).or_default() += i64::from(*quantity);
    }
    let orders: HashMap<i64, &Order> = snap.orders.iter().map(|o| (o.id, o)).collect();
    let keys: HashSet<(i64, i64)> = held.keys().chain(wanted.keys()).copied().collect();
    let mut keys: Vec<_> = keys.into_iter().collect();
    keys.sort_unstable();
    for key in keys {
        let (order_id, product_id) = key;
        let (sold, reserved) = held.get(&key).copied().unwrap_or((0, 0));
        let quantity = wanted.get(&key).copied().unwrap_or(0);
        let Some(order) = orders.get(&order_id) else {
            out.push(Discrepancy::new(
                DiscrepancyKind::OrderItems,
                format!("stock of product {product_id} is attached to a missing order {order_id}"),
            ));
            continue;
        };
        let (want_sold, want_reserved) = match order.status {
            OrderStatus::Paid | OrderStatus::Delivered => (quantity, 0),
            OrderStatus::Pending => (0, quantity),
            OrderStatus::Cancelled | OrderStatus::Expired => (0, 0),
        };
        if (sold, reserved) != (want_sold, want_reserved) {
            out.push(
                Discrepancy::new(
                    DiscrepancyKind::OrderItems,
                    format!(
                        "{} order, product {product_id}: holds {sold} sold and {reserved} reserved, should hold {want_sold} sold and {want_reserved} reserved",
                        order.status
                    ),
                )
                .user(order.user_id)
                .order(&order.invoice_no),
            );
        }
    }
}

fn check_vouchers(snap: &Snapshot, out: &mut Vec<Discrepancy>) {
    let mut paid: HashMap<i64, i64> = HashMap::new();
    let mut pending: HashMap<i64, i64> = HashMap::new();
    for order in &snap.orders {
        let Some(voucher_id) = order.voucher_id else {
            continue;
        };
        if order.status.is_paid() {
            *paid.entry(voucher_id).or_default() += 1;
        } else if order.status == OrderStatus::Pending {
            *pending.entry(voucher_id).or_default() += 1;
        }
    }
    for (id, code, max_uses, used, reserved, imported) in &snap.vouchers {
        let paid = paid.get(id).copied().unwrap_or(0);
        let pending = pending.get(id).copied().unwrap_or(0);
        let used = i64::from(*used);
        let reserved = i64::from(*reserved);
        let expected_used = paid + i64::from(*imported);
        if used != expected_used || reserved != pending {
            out.push(Discrepancy::new(
                DiscrepancyKind::VoucherCount,
                format!(
                    "voucher {code}: used {used} / reserved {reserved}, but {paid} paid order(s) (+{imported} imported) and {pending} pending order(s) hold it"
                ),
            ));
        }
        if let Some(max) = max_uses
            && expected_used + pending > i64::from(*max)
        {
            out.push(Discrepancy::new(
                DiscrepancyKind::VoucherCount,
                format!(
                    "voucher {code}: {} orders carry its discount, more than its {max} uses",
                    expected_used + pending
                ),
            ));
        }
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
