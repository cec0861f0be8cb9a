//! *Order* in the admin menu: the paged order list with a status and a time filter (also a
//! customer's order history), and one order's detail — its items, every payment attempt with
//! its gateway state, when it was delivered and which SNK answers came in.
//!
//! Reads only. Changing an order (mark paid manually, cancel, re-send) goes through the shop's
//! invariant-keeping transactions.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::StoreError;
use crate::queries::admin::listing::{Page, PageRequest, customer_name};
use crate::tables::{
    order_items as oi, orders as o, payments as pay, products as p, snk_answers as sa,
    stock_items as s, users as u, vouchers as v,
};

/// An order's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Created, waiting for its payment; the stock is reserved.
    Pending,
    /// Paid; the items are assigned and their delivery is queued.
    Paid,
    /// Paid and the items were sent.
    Delivered,
    /// Cancelled before payment; the reservation was released.
    Cancelled,
    /// Not paid in time; the reservation was released.
    Expired,
}

impl OrderStatus {
    /// Every status, in the order the filter buttons show them.
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Pending,
        OrderStatus::Paid,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::Expired,
    ];

    /// Statuses that count as sold: what revenue and `autoorder reconcile` sum.
    pub const PAID: [OrderStatus; 2] = [OrderStatus::Paid, OrderStatus::Delivered];

    /// Database text.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Expired => "expired",
        }
    }

    /// Reads the database text.
    pub fn parse(text: &str) -> Result<OrderStatus, StoreError> {
        OrderStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| StoreError::Corrupt(format!("order status {text}")))
    }

    /// Whether the order is paid (paid or delivered).
    pub fn is_paid(self) -> bool {
        OrderStatus::PAID.contains(&self)
    }
}

/// Which orders the list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderFilter {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Only orders created at or after this time (epoch ms; "today", "7 days").
    pub created_since: Option<i64>,
    /// Only this customer's orders (the user card's order history).
    pub user_id: Option<i64>,
}

/// A line of the order list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub id: i64,
    pub invoice_no: String,
    pub user_id: i64,
    /// Display name, else first name (@username).
    pub customer: String,
    pub status: OrderStatus,
    /// `qris`, `balance` or `manual`.
    pub payment_method: String,
    pub total: i64,
    pub created_at: i64,
    pub paid_at: Option<i64>,
}

type RowTuple = (
    i64,
    String,
    i64,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
    i64,
    i64,
    Option<i64>,
);

fn to_row(t: RowTuple) -> Result<OrderRow, StoreError> {
    let (id, invoice_no, user_id, display, first, username, status, method, total, created, paid) =
        t;
    Ok(OrderRow {
        id,
        invoice_no,
        user_id,
        customer: customer_name(display.as_deref(), &first, username.as_deref()),
        status: OrderStatus::parse(&status)?,
        payment_method: method,
        total,
        created_at: created,
        paid_at: paid,
    })
}

/// One page of orders, newest first, and how many match the filter.
pub fn list_orders(
    conn: &mut DbConnection,
    filter: OrderFilter,
    page: PageRequest,
) -> Result<Page<OrderRow>, StoreError> {
    let filtered = || {
        let mut q = o::table.inner_join(u::table).into_boxed();
        if let Some(status) = filter.status {
            q = q.filter(o::status.eq(status.as_str()));
        }
        if let Some(since) = filter.created_since {
            q = q.filter(o::created_at.ge(since));
        }
        if let Some(user) = filter.user_id {
            q = q.filter(o::user_id.eq(user));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows: Vec<RowTuple> = filtered()
        .order(o::id.desc())
        .limit(page.limit())
        .offset(page.offset())
        .select((
            o::id,
            o::invoice_no,
            o::user_id,
            u::display_name,
            u::first_name,
            u::username,
            o::status,
            o::payment_method,
            o::total,
            o::created_at,
            o::paid_at,
        ))
        .load(conn)?;
    Ok(Page {
        items: rows.into_iter().map(to_row).collect::<Result<_, _>>()?,
        total,
    })
}

/// One product line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub product_id: i64,
    pub product_name: String,
    pub unit_price: i64,
    pub quantity: i32,
    /// Stock items assigned to the order for this product (sold), which delivery sends.
    pub assigned: i64,
}

/// One payment attempt of an order, with the gateway's state as last recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLine {
    pub id: i64,
    /// The order id the gateway knows (`INV-…-<attempt>`).
    pub gateway_order_id: String,
    pub method: String,
    pub amount: i64,
    pub fee: Option<i64>,
    pub total_payment: Option<i64>,
    /// `creating`, `pending`, `completed`, `expired`, `cancelled` or `failed`.
    pub status: String,
    pub attempt: i32,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub completed_at: Option<i64>,
}

/// An SNK answer a customer sent for a product of the order. The answer stays encrypted
/// (decrypt with `snk::snk_aad(invoice_no, product_id)`), so a list never decrypts what
/// nobody opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnkAnswerRef {
    pub product_id: i64,
    pub product_name: String,
    pub answered_at: i64,
    pub answer_enc: Vec<u8>,
}

/// Everything the order detail screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDetail {
    pub row: OrderRow,
    pub subtotal: i64,
    pub discount: i64,
    pub fee: i64,
    pub voucher_code: Option<String>,
    pub note: Option<String>,
    pub expires_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub lines: Vec<OrderLine>,
    pub payments: Vec<PaymentLine>,
    pub snk_answers: Vec<SnkAnswerRef>,
}

/// One order with its lines, payments and SNK answers.
pub fn order_detail(
    conn: &mut DbConnection,
    order_id: i64,
) -> Result<Option<OrderDetail>, StoreError> {
    type Extra = (
        i64,
        i64,
        i64,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    let found: Option<(RowTuple, Extra)> = o::table
        .inner_join(u::table)
        .left_join(v::table)
        .filter(o::id.eq(order_id))
        .select((
            (
                o::id,
                o::invoice_no,
                o::user_id,
                u::display_name,
                u::first_name,
                u::username,
                o::status,
                o::payment_method,
                o::total,
                o::created_at,
                o::paid_at,
            ),
            (
                o::subtotal,
                o::discount,
                o::fee,
                v::code.nullable(),
                o::note,
                o::expires_at,
                o::delivered_at,
                o::closed_at,
            ),
        ))
        .first(conn)
        .optional()?;
    let Some((row, extra)) = found else {
        return Ok(None);
    };
    let row = to_row(row)?;
    let (subtotal, discount, fee, voucher_code, note, expires_at, delivered_at, closed_at) = extra;

    let items: Vec<(i64, String, i64, i32)> = oi::table
        .filter(oi::order_id.eq(order_id))
        .order(oi::id.asc())
        .select((
            oi::product_id,
            oi::product_name,
            oi::unit_price,
            oi::quantity,
        ))
        .load(conn)?;
    let assigned: Vec<(i64, i64)> = s::table
        .filter(s::order_id.eq(order_id))
        .filter(s::state.eq("sold"))
        .group_by(s::product_id)
        .select((s::product_id, diesel::dsl::count_star()))
        .load(conn)?;
    let lines = items
        .into_iter()
        .map(
            |(product_id, product_name, unit_price, quantity)| OrderLine {
                product_id,
                product_name,
                unit_price,
                quantity,
                assigned: assigned
                    .iter()
                    .find(|(pid, _)| *pid == product_id)
                    .map_or(0, |(_, n)| *n),
            },
        )
        .collect();

    type PayTuple = (
        i64,
        String,
        String,
        i64,
        Option<i64>,
        Option<i64>,
        String,
        i32,
        i64,
        Option<i64>,
        Option<i64>,
    );
    let payments: Vec<PayTuple> = pay::table
        .filter(pay::order_id.eq(order_id))
        .order(pay::id.asc())
        .select((
            pay::id,
            pay::gateway_order_id,
            pay::method,
            pay::amount,
            pay::fee,
            pay::total_payment,
            pay::status,
            pay::attempt,
            pay::created_at,
            pay::expires_at,
            pay::completed_at,
        ))
        .load(conn)?;
    let payments = payments
        .into_iter()
        .map(
            |(
                id,
                gid,
                method,
                amount,
                fee,
                total,
                status,
                attempt,
                created,
                expires,
                completed,
            )| {
                PaymentLine {
                    id,
                    gateway_order_id: gid,
                    method,
                    amount,
                    fee,
                    total_payment: total,
                    status,
                    attempt,
                    created_at: created,
                    expires_at: expires,
                    completed_at: completed,
                }
            },
        )
        .collect();

    let answers: Vec<(i64, Option<String>, i64, Vec<u8>)> = sa::table
        .left_join(p::table.on(p::id.eq(sa::product_id)))
        .filter(sa::order_ref.eq(&row.invoice_no))
        .order(sa::product_id.asc())
        .select((
            sa::product_id,
            p::name.nullable(),
            sa::created_at,
            sa::answer_enc,
        ))
        .load(conn)?;
    let snk_answers = answers
        .into_iter()
        .map(|(product_id, name, answered_at, answer_enc)| SnkAnswerRef {
            product_id,
            product_name: name.unwrap_or_else(|| format!("#{product_id}")),
            answered_at,
            answer_enc,
        })
        .collect();

    Ok(Some(OrderDetail {
        row,
        subtotal,
        discount,
        fee,
        voucher_code,
        note,
        expires_at,
        delivered_at,
        closed_at,
        lines,
        payments,
        snk_answers,
    }))
}
