//! *Laporan*: the figures of a period, per day, the stock report, and the order rows of the CSV
//! export.
//!
//! # One definition of revenue
//!
//! **Revenue is the sum of `orders.total` over orders whose status is `paid` or `delivered`**
//! ([`OrderStatus::PAID`]) — the orders `autoorder reconcile` holds to exactly their items and
//! payments. An order belongs to a period by its *report time*: when it was paid (`paid_at`)
//! for a paid order, when it was created for any other. [`paid_between`] is the one condition every
//! paid-order figure here is built from, and [`export_orders`] partitions the period's orders
//! by the same rule, so the CSV's paid rows always sum to the report's revenue.
//!
//! # Periods
//!
//! The schema crate has no calendar: the caller (which knows `BOT_TIMEZONE`) passes a
//! [`ReportPeriod`] — the local midnights that bound each day, as epoch milliseconds.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::error::StoreError;
use crate::queries::admin::listing::customer_name;
use crate::queries::admin::orders::OrderStatus;
use crate::queries::shop::status;
use crate::tables::{
    deposits as d, order_items as oi, orders as o, products as p, stock_items as s, users as u,
};

/// Most days a period may have (a custom month has at most 31; a little room for DST days).
pub const MAX_PERIOD_DAYS: usize = 366;
/// How many products "top products" lists.
pub const TOP_PRODUCTS: usize = 5;

/// A report period: `bounds[i]..bounds[i + 1]` is day `i` (local midnights, epoch ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPeriod {
    bounds: Vec<i64>,
}

/// Why day bounds were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeriodProblem {
    #[error("a period needs at least one day")]
    Empty,
    #[error("a period may have at most {MAX_PERIOD_DAYS} days")]
    TooLong,
    #[error("day bounds must increase")]
    NotIncreasing,
}

impl ReportPeriod {
    /// A period from its day bounds: at least two, strictly increasing.
    pub fn new(bounds: Vec<i64>) -> Result<ReportPeriod, PeriodProblem> {
        if bounds.len() < 2 {
            return Err(PeriodProblem::Empty);
        }
        if bounds.len() > MAX_PERIOD_DAYS + 1 {
            return Err(PeriodProblem::TooLong);
        }
        if bounds.windows(2).any(|w| w[0] >= w[1]) {
            return Err(PeriodProblem::NotIncreasing);
        }
        Ok(ReportPeriod { bounds })
    }

    /// First instant of the period.
    pub fn start(&self) -> i64 {
        self.bounds[0]
    }

    /// First instant after the period.
    pub fn end(&self) -> i64 {
        self.bounds[self.bounds.len() - 1]
    }

    /// How many days it has.
    pub fn days(&self) -> usize {
        self.bounds.len() - 1
    }

    /// The start of each day.
    pub fn day_starts(&self) -> &[i64] {
        &self.bounds[..self.bounds.len() - 1]
    }

    /// The day an instant falls on, if inside the period.
    pub fn day_of(&self, at: i64) -> Option<usize> {
        if at < self.start() || at >= self.end() {
            return None;
        }
        Some(self.bounds.partition_point(|b| *b <= at) - 1)
    }
}

const PAID_TEXT: [&str; 2] = [status::PAID, status::DELIVERED];

/// The revenue condition: a paid (or delivered) order paid within `[start, end)`.
#[diesel::dsl::auto_type]
pub fn paid_between(start: i64, end: i64) -> _ {
    let paid: [&'static str; 2] = PAID_TEXT;
    o::status
        .eq_any(paid)
        .and(o::paid_at.ge(start))
        .and(o::paid_at.lt(end))
}

/// The orders of [`paid_between`].
pub fn paid_in(start: i64, end: i64) -> o::BoxedQuery<'static, crate::db::MultiBackend> {
    o::table.filter(paid_between(start, end)).into_boxed()
}

/// Paid-order count and revenue of `[start, end)`: the sum of `total` over [`paid_in`].
/// (Summed here rather than with SQL `SUM`, which PostgreSQL widens to `NUMERIC`.)
pub fn revenue_between(
    conn: &mut DbConnection,
    start: i64,
    end: i64,
) -> Result<(i64, i64), StoreError> {
    let totals: Vec<i64> = paid_in(start, end).select(o::total).load(conn)?;
    Ok((totals.len() as i64, totals.iter().sum()))
}

/// Revenue and orders of one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayFigure {
    /// The day's first instant (local midnight, epoch ms).
    pub start: i64,
    pub orders: i64,
    pub revenue: i64,
}

/// Paid orders and revenue of one payment method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodFigure {
    /// `qris`, `balance` or `manual`.
    pub method: String,
    pub orders: i64,
    pub revenue: i64,
}

/// Sales of one product in the period (at the prices it was sold for, before order-level
/// discounts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFigure {
    pub product_id: i64,
    pub name: String,
    pub quantity: i64,
    pub gross: i64,
}

/// Everything the *Laporan* summary and chart show for a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesReport {
    pub start: i64,
    pub end: i64,
    /// Paid orders (by payment time).
    pub orders: i64,
    /// Items in those orders.
    pub items_sold: i64,
    /// `SUM(total)` of those orders: see the module docs.
    pub revenue: i64,
    /// Voucher discounts given on them.
    pub discounts: i64,
    /// Orders created in the period that were not paid, by status (pending, cancelled,
    /// expired).
    pub unpaid: Vec<(OrderStatus, i64)>,
    /// Completed deposits (balance top-ups) and their amount.
    pub deposits: i64,
    pub deposit_amount: i64,
    /// Customers who joined in the period.
    pub new_customers: i64,
    /// Paid orders by payment method, most revenue first.
    pub methods: Vec<MethodFigure>,
    /// The best-selling products by quantity, at most [`TOP_PRODUCTS`].
    pub top_products: Vec<ProductFigure>,
    /// One entry per day of the period.
    pub per_day: Vec<DayFigure>,
}

/// The sales report of a period.
pub fn sales_report(
    conn: &mut DbConnection,
    period: &ReportPeriod,
) -> Result<SalesReport, StoreError> {
    let (start, end) = (period.start(), period.end());
    let (orders, revenue) = revenue_between(conn, start, end)?;

    let paid_rows: Vec<(i64, Option<i64>, i64, i64, String)> = paid_in(start, end)
        .select((o::id, o::paid_at, o::total, o::discount, o::payment_method))
        .load(conn)?;
    let mut per_day: Vec<DayFigure> = period
        .day_starts()
        .iter()
        .map(|s| DayFigure {
            start: *s,
            ..DayFigure::default()
        })
        .collect();
    let mut discounts = 0;
    let mut methods: HashMap<String, MethodFigure> = HashMap::new();
    for (_, paid_at, total, discount, method) in &paid_rows {
        discounts += discount;
        if let Some(day) = paid_at.and_then(|t| period.day_of(t)) {
            per_day[day].orders += 1;
            per_day[day].revenue += total;
        }
        let figure = methods
            .entry(method.clone())
            .or_insert_with(|| MethodFigure {
                method: method.clone(),
                orders: 0,
                revenue: 0,
            });
        figure.orders += 1;
        figure.revenue += total;
    }
    let mut methods: Vec<MethodFigure> = methods.into_values().collect();
    methods.sort_by(|a, b| b.revenue.cmp(&a.revenue).then(a.method.cmp(&b.method)));

    let lines: Vec<(i64, String, i64, i32)> = oi::table
        .inner_join(o::table)
        .filter(paid_between(start, end))
        .select((
            oi::product_id,
            oi::product_name,
            oi::unit_price,
            oi::quantity,
        ))
        .load(conn)?;
    let mut items_sold = 0;
    let mut products: HashMap<i64, ProductFigure> = HashMap::new();
    for (product_id, name, unit_price, quantity) in lines {
        let quantity = i64::from(quantity);
        items_sold += quantity;
        let figure = products.entry(product_id).or_insert_with(|| ProductFigure {
            product_id,
            name,
            quantity: 0,
            gross: 0,
        });
        figure.quantity += quantity;
        figure.gross += unit_price * quantity;
    }
    let mut top_products: Vec<ProductFigure> = products.into_values().collect();
    top_products.sort_by(|a, b| {
        b.quantity
            .cmp(&a.quantity)
            .then(b.gross.cmp(&a.gross))
            .then(a.product_id.cmp(&b.product_id))
    });
    top_products.truncate(TOP_PRODUCTS);

    let unpaid_rows: Vec<(String, i64)> = o::table
        .filter(o::status.ne_all(PAID_TEXT))
        .filter(o::created_at.ge(start))
        .filter(o::created_at.lt(end))
        .group_by(o::status)
        .select((o::status, diesel::dsl::count_star()))
        .load(conn)?;
    let mut unpaid = unpaid_rows
        .into_iter()
        .map(|(s, n)| Ok((OrderStatus::parse(&s)?, n)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    unpaid.sort_by_key(|(s, _)| OrderStatus::ALL.iter().position(|x| x == s));

    let deposit_amounts: Vec<i64> = d::table
        .filter(d::status.eq(status::COMPLETED))
        .filter(d::completed_at.ge(start))
        .filter(d::completed_at.lt(end))
        .select(d::amount)
        .load(conn)?;
    let deposits = deposit_amounts.len() as i64;
    let deposit_amount: i64 = deposit_amounts.iter().sum();
    let new_customers: i64 = u::table
        .filter(u::created_at.ge(start))
        .filter(u::created_at.lt(end))
        .count()
        .get_result(conn)?;

    Ok(SalesReport {
        start,
        end,
        orders,
        items_sold,
        revenue,
        discounts,
        unpaid,
        deposits,
        deposit_amount,
        new_customers,
        methods,
        top_products,
        per_day,
    })
}

/// One product of the stock report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    pub product_id: i64,
    pub code: String,
    pub name: String,
    pub available: i64,
    /// Held by unpaid orders.
    pub reserved: i64,
    pub sold: i64,
    /// Available stock at or below the low-stock threshold.
    pub low: bool,
}

/// Every product for sale (active, not archived) with its stock by state, lowest available
/// first so what needs restocking is on top.
pub fn stock_report(
    conn: &mut DbConnection,
    low_threshold: i64,
) -> Result<Vec<StockLine>, StoreError> {
    let products: Vec<(i64, String, String)> = p::table
        .filter(p::is_active.eq(true))
        .filter(p::archived_at.is_null())
        .select((p::id, p::code, p::name))
        .load(conn)?;
    let counts: Vec<(i64, String, i64)> = s::table
        .group_by((s::product_id, s::state))
        .select((s::product_id, s::state, diesel::dsl::count_star()))
        .load(conn)?;
    let mut by_product: HashMap<i64, (i64, i64, i64)> = HashMap::new();
    for (product_id, state, n) in counts {
        let entry = by_product.entry(product_id).or_default();
        match state.as_str() {
            "available" => entry.0 = n,
            "reserved" => entry.1 = n,
            "sold" => entry.2 = n,
            other => return Err(StoreError::Corrupt(format!("stock state {other}"))),
        }
    }
    let mut lines: Vec<StockLine> = products
        .into_iter()
        .map(|(product_id, code, name)| {
            let (available, reserved, sold) =
                by_product.get(&product_id).copied().unwrap_or_default();
            StockLine {
                product_id,
                code,
                name,
                available,
                reserved,
                sold,
                low: available <= low_threshold,
            }
        })
        .collect();
    lines.sort_by(|a, b| a.available.cmp(&b.available).then(a.name.cmp(&b.name)));
    Ok(lines)
}

/// One order of the CSV export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOrder {
    pub id: i64,
    pub invoice_no: String,
    pub created_at: i64,
    pub paid_at: Option<i64>,
    pub user_id: i64,
    pub customer: String,
    pub username: Option<String>,
    pub status: OrderStatus,
    pub payment_method: String,
    pub subtotal: i64,
    pub discount: i64,
    pub fee: i64,
    pub total: i64,
    /// `Netflix 1 Bulan x2; Spotify x1`.
    pub items: String,
}

/// The period's orders, oldest first: paid orders paid in it and other orders created in it
/// (the report-time rule of the module docs), so the paid rows sum to the report's revenue.
pub fn export_orders(
    conn: &mut DbConnection,
    period: &ReportPeriod,
) -> Result<Vec<ExportOrder>, StoreError> {
    let (start, end) = (period.start(), period.end());
    type Row = (
        i64,
        String,
        i64,
        Option<i64>,
        i64,
        Option<String>,
        String,
        Option<String>,
        String,
        String,
        (i64, i64, i64, i64),
    );
    let paid = paid_between(start, end);
    let unpaid = o::status
        .ne_all(PAID_TEXT)
        .and(o::created_at.ge(start))
        .and(o::created_at.lt(end));
    let rows: Vec<Row> = o::table
        .inner_join(u::table)
        .filter(paid.nullable().or(unpaid.nullable()))
        .order(o::id.asc())
        .select((
            o::id,
            o::invoice_no,
            o::created_at,
            o::paid_at,
            o::user_id,
            u::display_name,
            u::first_name,
            u::username,
            o::status,
            o::payment_method,
            (o::subtotal, o::discount, o::fee, o::total),
        ))
        .load(conn)?;
    let mut items: HashMap<i64, Vec<String>> = HashMap::new();
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    for chunk in ids.chunks(500) {
        let lines: Vec<(i64, String, i32)> = oi::table
            .filter(oi::order_id.eq_any(chunk))
            .order(oi::id.asc())
            .select((oi::order_id, oi::product_name, oi::quantity))
            .load(conn)?;
        for (order_id, name, quantity) in lines {
            items
                .entry(order_id)
                .or_default()
                .push(format!("{name} x{quantity}"));
        }
    }
    rows.into_iter()
        .map(
            |(
                id,
                invoice_no,
                created_at,
                paid_at,
                user_id,
                display,
                first,
                username,
                st,
                method,
                money,
            )| {
                let (subtotal, discount, fee, total) = money;
                Ok(ExportOrder {
                    id,
                    invoice_no,
                    created_at,
                    paid_at,
                    user_id,
                    customer: customer_name(display.as_deref(), &first, username.as_deref()),
                    username,
                    status: OrderStatus::parse(&st)?,
                    payment_method: method,
                    subtotal,
                    discount,
                    fee,
                    total,
                    items: items.remove(&id).unwrap_or_default().join("; "),
                })
            },
        )
        .collect()
}
