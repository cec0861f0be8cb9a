//! What the checks read: the money tables loaded in one read transaction, and the lookups the
//! checks share.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::StoreError;
use crate::queries::shop::balance::{ADJUST_ACTION, LedgerReasonText, LedgerRow};
use crate::queries::shop::payments::PaymentRow;
use crate::queries::shop::status::{LedgerReason, OrderStatus};
use crate::tables::{
    audit_log as a, balance_ledger as l, deposits as d, order_items as oi, orders as o,
    payment_checks as pc, payments as pay, stock_items as s, users as u, vouchers as v,
};

pub(super) struct Order {
    pub(super) id: i64,
    pub(super) invoice_no: String,
    pub(super) user_id: i64,
    pub(super) status: OrderStatus,
    pub(super) channel: String,
    pub(super) amount: i64,
    pub(super) voucher_id: Option<i64>,
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

pub(super) struct Deposit {
    pub(super) id: i64,
    pub(super) user_id: i64,
    pub(super) amount: i64,
    pub(super) status: String,
}

/// Everything the checks read, loaded in one transaction so it is one consistent picture.
pub(super) struct Snapshot {
    pub(super) users: Vec<(i64, i64)>,
    pub(super) ledger: Vec<LedgerRow>,
    pub(super) payments: Vec<PaymentRow>,
    pub(super) orders: Vec<Order>,
    pub(super) lines: Vec<(i64, i64, i32)>,
    pub(super) stock: Vec<(i64, i64, String, Option<i64>)>,
    pub(super) deposits: Vec<Deposit>,
    pub(super) vouchers: Vec<(i64, String, Option<i32>, i32, i32, i32)>,
    pub(super) adjustments: HashMap<i64, (Option<i64>, String)>,
    pub(super) reviews: Vec<(i64, String)>,
}

pub(super) fn load(conn: &mut DbConnection) -> Result<Snapshot, StoreError> {
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

/// Lookups the checks share.
pub(super) struct Index<'a> {
    pub(super) payment_by_gid: HashMap<&'a str, &'a PaymentRow>,
    pub(super) payment_by_id: HashMap<i64, &'a PaymentRow>,
    pub(super) order_by_invoice: HashMap<&'a str, &'a Order>,
    pub(super) order_by_id: HashMap<i64, &'a Order>,
    pub(super) deposit_by_id: HashMap<i64, &'a Deposit>,
    /// Ledger rows per reason and reference.
    pub(super) ledger_refs: HashMap<LedgerReason, HashMap<&'a str, Vec<&'a LedgerRow>>>,
}

impl<'a> Index<'a> {
    pub(super) fn new(snap: &'a Snapshot) -> Index<'a> {
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

    pub(super) fn payer(&self, p: &PaymentRow) -> Option<i64> {
        match (p.order_id, p.deposit_id) {
            (Some(o), None) => self.order_by_id.get(&o).map(|o| o.user_id),
            (None, Some(d)) => self.deposit_by_id.get(&d).map(|d| d.user_id),
            _ => None,
        }
    }

    pub(super) fn ledger(&self, reason: LedgerReason, reference: &str) -> &[&'a LedgerRow] {
        self.ledger_refs
            .get(&reason)
            .and_then(|m| m.get(reference))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}
