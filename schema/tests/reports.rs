//! *Laporan* storage on SQLite and PostgreSQL: revenue is exactly the sum of paid orders (the
//! definition `autoorder reconcile` trusts), per-day figures follow the period's day bounds,
//! the CSV export's rows partition the period by the same rule, and the stock report counts
//! every state.

mod support;

use autoorder_schema::both_backends;
use autoorder_schema::db::checkout;
use autoorder_schema::queries::admin::orders::OrderStatus;
use autoorder_schema::queries::admin::reports::{
    ReportPeriod, export_orders, revenue_between, sales_report, stock_report,
};
use autoorder_schema::queries::orders::mark_delivered;
use autoorder_schema::queries::shop::deposits::create_deposit;
use autoorder_schema::queries::shop::payments::{Confirmed, complete_payment};
use autoorder_schema::testing::TestDatabase;
use autoorder_schema::{DbConnection, now_ms};
use diesel::prelude::*;
use support::{DAY, buy_with_balance, expire_qris, order_qris, pay_qris, product, sql, user};

/// Revenue computed independently of the report code: every order row whose status is paid
/// or delivered, paid inside the window, summed here.
fn paid_orders_sum(conn: &mut DbConnection, start: i64, end: i64) -> (i64, i64) {
    use autoorder_schema::tables::orders as o;
    let rows: Vec<(String, Option<i64>, i64)> = o::table
        .select((o::status, o::paid_at, o::total))
        .load(conn)
        .unwrap();
    let paid: Vec<i64> = rows
        .into_iter()
        .filter(|(s, at, _)| {
            (s == "paid" || s == "delivered") && at.is_some_and(|t| t >= start && t < end)
        })
        .map(|(_, _, total)| total)
        .collect();
    (paid.len() as i64, paid.iter().sum())
}

/// A day of orders: two paid (one delivered), one pending, one expired, a completed deposit.
/// Returns (product A, product B, the delivered order id, the QRIS-paid order id).
fn a_day_of_orders(conn: &mut DbConnection) -> (i64, i64, i64, i64) {
    for (id, name) in [(1, "Ani"), (2, "Budi"), (3, "Citra"), (4, "Dedi")] {
        user(conn, id, name, None);
    }
    let a = product(conn, "NF", 10_000, 10);
    let b = product(conn, "SP", 25_000, 10);
    let by_balance = buy_with_balance(conn, 1, &[(a, 2)]);
    assert!(mark_delivered(conn, by_balance.order_id).unwrap());
    let by_qris = order_qris(conn, 2, &[(a, 1), (b, 1)]);
    pay_qris(conn, &by_qris);
    let _pending = order_qris(conn, 3, &[(b, 1)]);
    let expired = order_qris(conn, 4, &[(a, 1)]);
    expire_qris(conn, &expired);
    let (_, payment) = create_deposit(conn, 3, 50_000).unwrap();
    complete_payment(
        conn,
        &payment.gateway_order_id,
        &Confirmed {
            amount: 50_000,
            completed_at: now_ms(),
        },
        0,
    )
    .unwrap();
    (a, b, by_balance.order_id, by_qris.order_id)
}

both_backends! {
    fn report_revenue_is_exactly_the_sum_of_paid_orders(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let (a, b, _, _) = a_day_of_orders(&mut conn);
        let now = now_ms();
        let period = ReportPeriod::new(vec![now - DAY, now + 1, now + DAY]).unwrap();

        let report = sales_report(&mut conn, &period).unwrap();
        let (count, sum) = paid_orders_sum(&mut conn, period.start(), period.end());
        assert_eq!((report.orders, report.revenue), (count, sum));
        assert_eq!((report.orders, report.revenue), (2, 20_000 + 35_000), "pending and expired orders are not revenue");
        assert_eq!(revenue_between(&mut conn, period.start(), period.end()).unwrap(), (2, 55_000));
        assert_eq!(report.items_sold, 4);
        assert_eq!(report.per_day.iter().map(|d| d.revenue).sum::<i64>(), report.revenue);
        assert_eq!(report.per_day[0].orders, 2, "both paid today (the first day of this period)");
        assert_eq!(report.unpaid, vec![(OrderStatus::Pending, 1), (OrderStatus::Expired, 1)]);
        assert_eq!((report.deposits, report.deposit_amount), (1, 50_000));
        assert_eq!(report.new_customers, 4);
        let methods: Vec<(&str, i64, i64)> = report.methods.iter().map(|m| (m.method.as_str(), m.orders, m.revenue)).collect();
        assert_eq!(methods, vec![("qris", 1, 35_000), ("balance", 1, 20_000)]);
        let top: Vec<(i64, i64, i64)> = report.top_products.iter().map(|p| (p.product_id, p.quantity, p.gross)).collect();
        assert_eq!(top, vec![(a, 3, 30_000), (b, 1, 25_000)]);

        // An order paid before the period no longer counts, even if created inside it; one
        // created before but paid inside does.
        sql(&mut conn, "UPDATE orders SET paid_at = paid_at - 3 * 86400000 WHERE payment_method = 'balance'");
        sql(&mut conn, "UPDATE orders SET created_at = created_at - 3 * 86400000 WHERE payment_method = 'qris' AND status = 'paid'");
        let report = sales_report(&mut conn, &period).unwrap();
        assert_eq!((report.orders, report.revenue), (1, 35_000));
        assert_eq!((report.orders, report.revenue), paid_orders_sum(&mut conn, period.start(), period.end()));
    }
}

both_backends! {
    fn per_day_figures_follow_the_day_bounds(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1, "Ani", None);
        let a = product(&mut conn, "NF", 10_000, 10);
        let ids: Vec<i64> = (1..=3).map(|q| buy_with_balance(&mut conn, 1, &[(a, q)]).order_id).collect();
        // Day bounds that are not 24 h apart (as a report in any zone may have), and orders
        // placed exactly on a bound and just before the end.
        let start = 1_700_000_000_000;
        let bounds = vec![start, start + DAY, start + 2 * DAY + 3_600_000, start + 3 * DAY];
        sql(&mut conn, &format!("UPDATE orders SET paid_at = {} WHERE id = {}", bounds[1], ids[0]));
        sql(&mut conn, &format!("UPDATE orders SET paid_at = {} WHERE id = {}", bounds[2] - 1, ids[1]));
        sql(&mut conn, &format!("UPDATE orders SET paid_at = {} WHERE id = {}", bounds[3] - 1, ids[2]));
        let period = ReportPeriod::new(bounds).unwrap();
        let report = sales_report(&mut conn, &period).unwrap();
        let days: Vec<(i64, i64)> = report.per_day.iter().map(|d| (d.orders, d.revenue)).collect();
        assert_eq!(days, vec![(0, 0), (2, 30_000), (1, 30_000)]);
        assert_eq!(report.revenue, 60_000);
        // A period that ends at the first order's bound does not see it.
        let before = ReportPeriod::new(vec![start, start + DAY]).unwrap();
        assert_eq!(sales_report(&mut conn, &before).unwrap().revenue, 0);
    }
}

both_backends! {
    fn export_rows_partition_the_period_and_sum_to_the_revenue(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let (_, _, delivered, qris_paid) = a_day_of_orders(&mut conn);
        let now = now_ms();
        let period = ReportPeriod::new(vec![now - DAY, now + DAY]).unwrap();
        let rows = export_orders(&mut conn, &period).unwrap();
        assert_eq!(rows.len(), 4, "two paid, one pending, one expired");
        let paid_sum: i64 = rows.iter().filter(|r| r.status.is_paid()).map(|r| r.total).sum();
        assert_eq!(paid_sum, sales_report(&mut conn, &period).unwrap().revenue);
        let row = rows.iter().find(|r| r.id == qris_paid).unwrap();
        assert_eq!(row.items, "Produk NF x1; Produk SP x1");
        assert_eq!(row.customer, "Budi");
        assert_eq!(rows.iter().find(|r| r.id == delivered).unwrap().status, OrderStatus::Delivered);

        // Paid before the period: the order leaves the export with its revenue.
        sql(&mut conn, &format!("UPDATE orders SET paid_at = paid_at - 2 * 86400000 WHERE id = {delivered}"));
        let rows = export_orders(&mut conn, &period).unwrap();
        assert!(rows.iter().all(|r| r.id != delivered));
        let paid_sum: i64 = rows.iter().filter(|r| r.status.is_paid()).map(|r| r.total).sum();
        assert_eq!(paid_sum, sales_report(&mut conn, &period).unwrap().revenue);
        assert_eq!(paid_sum, 35_000);
    }
}

both_backends! {
    fn stock_report_counts_every_state_and_flags_low_stock(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1, "Ani", None);
        user(&mut conn, 2, "Budi", None);
        let low = product(&mut conn, "LOW", 10_000, 5);
        let plenty = product(&mut conn, "OK", 10_000, 10);
        let archived = product(&mut conn, "OLD", 10_000, 2);
        sql(&mut conn, &format!("UPDATE products SET archived_at = 1 WHERE id = {archived}"));
        buy_with_balance(&mut conn, 1, &[(low, 1)]);
        order_qris(&mut conn, 2, &[(low, 1)]);
        let lines = stock_report(&mut conn, 3).unwrap();
        let got: Vec<(i64, i64, i64, i64, bool)> = lines.iter().map(|l| (l.product_id, l.available, l.reserved, l.sold, l.low)).collect();
        assert_eq!(got, vec![(low, 3, 1, 1, true), (plenty, 10, 0, 0, false)], "lowest first; archived products are not for sale");
    }
}
