//! One function per invariant, each adding what it finds to the report's discrepancies.

use std::collections::{HashMap, HashSet};

use super::snapshot::{Index, Order, Snapshot};
use super::{Discrepancy, DiscrepancyKind};
use crate::queries::shop::balance::{LedgerReasonText, LedgerRow};
use crate::queries::shop::payments::PaymentRow;
use crate::queries::shop::status::{
    DepositStatus, LedgerReason, OrderStatus, PaymentChannel, PaymentStatus,
};

pub(super) fn balances(snap: &Snapshot, out: &mut Vec<Discrepancy>) {
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

pub(super) fn ledger(snap: &Snapshot, index: &Index<'_>, out: &mut Vec<Discrepancy>) {
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

pub(super) fn payments(snap: &Snapshot, index: &Index<'_>, out: &mut Vec<Discrepancy>) {
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

pub(super) fn items(snap: &Snapshot, out: &mut Vec<Discrepancy>) {
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

pub(super) fn vouchers(snap: &Snapshot, out: &mut Vec<Discrepancy>) {
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
