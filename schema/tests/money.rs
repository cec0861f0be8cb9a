//! Money integrity (issue 10), proven on the storage layer: each race on PostgreSQL with two
//! pools standing for two replicas, each rule on both backends, and `reconcile` both clean
//! after honest work and naming every kind of tampering.

use std::sync::{Arc, Barrier};

use autoorder_schema::both_backends;
use autoorder_schema::crypto::DataKeys;
use autoorder_schema::db::{Backend, checkout};
use autoorder_schema::queries::catalog::stock_aad;
use autoorder_schema::queries::jobs::jobs_of_kind;
use autoorder_schema::queries::reconcile::{DiscrepancyKind, Report, reconcile};
use autoorder_schema::queries::shop::balance::{
    AdjustProblem, adjust_balance, apply_balance_change, balance_of, ledger_of, ledger_sum,
    record_opening_balance,
};
use autoorder_schema::queries::shop::carts::{set_cart_quantity, set_cart_voucher};
use autoorder_schema::queries::shop::checkout::{
    CheckoutProblem, PayMethod, PaymentFor, place_order,
};
use autoorder_schema::queries::shop::deposits::create_deposit;
use autoorder_schema::queries::shop::manual::{ManualProblem, complete_payment_manually};
use autoorder_schema::queries::shop::payments::{
    CloseReason, Closed, Completion, Confirmed, GatewayInvoice, Recorded, RefundReason,
    close_payment, complete_payment, find_payment, flag_for_review, load_payment, mark_checked,
    open_payments, recently_closed_payments, record_gateway_invoice,
};
use autoorder_schema::queries::shop::products::available_stock;
use autoorder_schema::queries::shop::status::{LedgerReason, OrderStatus, PaymentStatus};
use autoorder_schema::queries::shop::vouchers::{
    NewVoucher, VoucherProblem, create_voucher, voucher_reservations, voucher_uses,
};
use autoorder_schema::queries::users::{TelegramProfile, touch_user};
use autoorder_schema::secret::Secret;
use autoorder_schema::testing::{TestDatabase, execute};
use autoorder_schema::{DbConnection, Pool};
use diesel::prelude::*;

const ADMIN: i64 = 7001;

fn keys() -> DataKeys {
    DataKeys::new(vec![("t".into(), Secret::new([7u8; 32]))]).unwrap()
}

/// A product with `stock` items; returns its id.
fn product(conn: &mut DbConnection, code: &str, price: i64, stock: usize) -> i64 {
    use autoorder_schema::tables::{products as p, stock_items as s};
    let now = autoorder_schema::now_ms();
    let id: i64 = diesel::insert_into(p::table)
        .values((
            p::code.eq(code),
            p::name.eq(format!("Produk {code}")),
            p::price.eq(price),
            p::created_at.eq(now),
            p::updated_at.eq(now),
        ))
        .returning(p::id)
        .get_result(conn)
        .unwrap();
    let keys = keys();
    for i in 0..stock {
        let content = format!("{code}-akun-{i}:rahasia");
        let hash = keys.content_hash(content.as_bytes());
        let enc = keys.encrypt(content.as_bytes(), &stock_aad(id, &hash));
        diesel::insert_into(s::table)
            .values((
                s::product_id.eq(id),
                s::content_enc.eq(enc),
                s::content_hash.eq(hash),
                s::created_at.eq(now),
            ))
            .execute(conn)
            .unwrap();
    }
    id
}

fn user(conn: &mut DbConnection, id: i64) {
    touch_user(
        conn,
        &TelegramProfile {
            id,
            username: None,
            first_name: "Budi",
            language: None,
        },
    )
    .unwrap();
}

fn fund(conn: &mut DbConnection, user_id: i64, amount: i64) {
    adjust_balance(conn, user_id, amount, ADMIN, "test top-up")
        .unwrap()
        .unwrap();
}

fn confirmed(amount: i64) -> Confirmed {
    Confirmed {
        amount,
        completed_at: autoorder_schema::now_ms(),
    }
}

/// A QRIS order of one item of `product` for `user_id`; returns (order id, payment id, gid).
fn qris_order(conn: &mut DbConnection, user_id: i64, product_id: i64) -> (i64, i64, String) {
    set_cart_quantity(conn, user_id, product_id, 1).unwrap();
    let placed = place_order(conn, user_id, PayMethod::Qris, 0)
        .unwrap()
        .unwrap();
    (
        placed.order_id,
        placed.payment_id.unwrap(),
        placed.gateway_order_id.unwrap(),
    )
}

fn clean(conn: &mut DbConnection) -> Report {
    let report = reconcile(conn).unwrap();
    assert!(
        report.is_clean(),
        "reconcile found: {:#?}",
        report.discrepancies
    );
    report
}

fn kinds(report: &Report) -> Vec<DiscrepancyKind> {
    let mut k: Vec<_> = report.discrepancies.iter().map(|d| d.kind).collect();
    k.sort();
    k.dedup();
    k
}

fn ledger_rows(conn: &mut DbConnection, reason: LedgerReason) -> i64 {
    use autoorder_schema::tables::balance_ledger as l;
    l::table
        .filter(l::reason.eq(reason.as_str()))
        .count()
        .get_result(conn)
        .unwrap()
}

/// Runs `work(i, pool)` on `threads` threads at once (after a barrier), alternating two pools.
fn race<T: Send>(
    pools: [&Pool; 2],
    threads: usize,
    work: impl Fn(usize, &Pool) -> T + Sync,
) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(threads));
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (barrier, work, pool) = (barrier.clone(), &work, pools[i % 2]);
                s.spawn(move || {
                    barrier.wait();
                    work(i, pool)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

// ---------------------------------------------------------------------------------------------
// Finding 1: a payment completes once, and a completed payment is never closed.
// ---------------------------------------------------------------------------------------------

#[test]
fn concurrent_completions_on_two_pools_credit_each_deposit_once() {
    let (db, pool_a) = TestDatabase::migrated(Backend::Postgres);
    let pool_b = db.pool();
    const DEPOSITS: i64 = 10;
    const TIMES: usize = 8;
    let gids: Vec<String> = {
        let mut conn = checkout(&pool_a).unwrap();
        (1..=DEPOSITS)
            .map(|uid| {
                user(&mut conn, uid);
                create_deposit(&mut conn, uid, 10_000)
                    .unwrap()
                    .1
                    .gateway_order_id
            })
            .collect()
    };
    // Every deposit's callback arrives eight times at once, spread over both replicas.
    for gid in &gids {
        let outcomes = race([&pool_a, &pool_b], TIMES, |_, pool| {
            let mut conn = checkout(pool).unwrap();
            complete_payment(&mut conn, gid, &confirmed(10_000), 0).unwrap()
        });
        let completed = outcomes
            .iter()
            .filter(|o| matches!(o, Completion::Completed { .. }))
            .count();
        assert_eq!(completed, 1, "{gid}: {outcomes:?}");
        assert!(
            outcomes.iter().all(|o| matches!(
                o,
                Completion::Completed { .. } | Completion::AlreadyCompleted
            )),
            "{outcomes:?}"
        );
    }
    let mut conn = checkout(&pool_a).unwrap();
    for uid in 1..=DEPOSITS {
        assert_eq!(balance_of(&mut conn, uid).unwrap(), 10_000, "user {uid}");
    }
    assert_eq!(ledger_rows(&mut conn, LedgerReason::Deposit), DEPOSITS);
    assert_eq!(
        jobs_of_kind(&mut conn, "notify").unwrap().len(),
        DEPOSITS as usize
    );
    clean(&mut conn);
}

#[test]
fn concurrent_late_payments_on_two_pools_are_refunded_once() {
    let (db, pool_a) = TestDatabase::migrated(Backend::Postgres);
    let pool_b = db.pool();
    const ORDERS: i64 = 8;
    let gids: Vec<String> = {
        let mut conn = checkout(&pool_a).unwrap();
        let pid = product(&mut conn, "LATE", 15_000, ORDERS as usize);
        let gids: Vec<String> = (1..=ORDERS)
            .map(|uid| {
                user(&mut conn, uid);
                let (_, payment_id, gid) = qris_order(&mut conn, uid, pid);
                close_payment(&mut conn, payment_id, CloseReason::Expired).unwrap();
                gid
            })
            .collect();
        // The released stock is sold to someone else meanwhile.
        user(&mut conn, 99);
        fund(&mut conn, 99, 15_000 * ORDERS);
        set_cart_quantity(&mut conn, 99, pid, ORDERS as i32).unwrap();
        place_order(&mut conn, 99, PayMethod::Balance, 0)
            .unwrap()
            .unwrap();
        gids
    };
    for gid in &gids {
        let outcomes = race([&pool_a, &pool_b], 8, |_, pool| {
            let mut conn = checkout(pool).unwrap();
            complete_payment(&mut conn, gid, &confirmed(15_000), 0).unwrap()
        });
        let refunds = outcomes
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    Completion::RefundedToBalance {
                        reason: RefundReason::StockGone,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(refunds, 1, "{gid}: {outcomes:?}");
    }
    let mut conn = checkout(&pool_a).unwrap();
    for uid in 1..=ORDERS {
        assert_eq!(
            balance_of(&mut conn, uid).unwrap(),
            15_000,
            "user {uid} refunded once"
        );
    }
    assert_eq!(ledger_rows(&mut conn, LedgerReason::LateRefund), ORDERS);
    clean(&mut conn);
}

#[test]
fn completion_racing_expiry_on_two_pools_never_loses_the_payment() {
    let (db, pool_a) = TestDatabase::migrated(Backend::Postgres);
    let pool_b = db.pool();
    const ORDERS: i64 = 12;
    let orders: Vec<(i64, i64, String)> = {
        let mut conn = checkout(&pool_a).unwrap();
        let pid = product(&mut conn, "RACE", 20_000, ORDERS as usize);
        (1..=ORDERS)
            .map(|uid| {
                user(&mut conn, uid);
                qris_order(&mut conn, uid, pid)
            })
            .collect()
    };
    for (order_id, payment_id, gid) in &orders {
        // The customer paid at the last second: the callback and the expiry job run at once.
        race([&pool_a, &pool_b], 2, |i, pool| {
            let mut conn = checkout(pool).unwrap();
            if i == 0 {
                let _ = complete_payment(&mut conn, gid, &confirmed(20_000), 0).unwrap();
            } else {
                let _ = close_payment(&mut conn, *payment_id, CloseReason::Expired).unwrap();
            }
        });
        let mut conn = checkout(&pool_a).unwrap();
        let payment = load_payment(&mut conn, *payment_id).unwrap().unwrap();
        assert_eq!(
            payment.status,
            PaymentStatus::Completed,
            "{gid} lost its payment"
        );
        let order_status: String = {
            use autoorder_schema::tables::orders as o;
            o::table
                .find(order_id)
                .select(o::status)
                .first(&mut *conn)
                .unwrap()
        };
        assert_eq!(order_status, OrderStatus::Paid.as_str(), "{gid}");
    }
    let mut conn = checkout(&pool_a).unwrap();
    assert_eq!(
        jobs_of_kind(&mut conn, "deliver_order").unwrap().len(),
        ORDERS as usize
    );
    clean(&mut conn);
}

both_backends! {
    fn a_completed_payment_is_never_closed(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        let pid = product(&mut conn, "KEEP", 10_000, 1);
        let (_, payment_id, gid) = qris_order(&mut conn, 1, pid);
        assert!(matches!(complete_payment(&mut conn, &gid, &confirmed(10_000), 0).unwrap(), Completion::Completed { .. }));
        for reason in [CloseReason::Expired, CloseReason::Cancelled, CloseReason::Failed] {
            assert_eq!(close_payment(&mut conn, payment_id, reason).unwrap(), Closed::NotOpen(Some(PaymentStatus::Completed)));
        }
        assert_eq!(load_payment(&mut conn, payment_id).unwrap().unwrap().status, PaymentStatus::Completed);
        assert_eq!(available_stock(&mut conn, pid).unwrap(), 0, "the sold item stays sold");
        clean(&mut conn);
    }
}

both_backends! {
    fn the_ledger_refuses_a_second_row_for_the_same_reason_and_reference(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        apply_balance_change(&mut conn, 1, 5_000, LedgerReason::Deposit, "DEP-X-1", None).unwrap().unwrap();
        let second = apply_balance_change(&mut conn, 1, 5_000, LedgerReason::Deposit, "DEP-X-1", None);
        assert!(second.is_err(), "the unique index is the backstop: {second:?}");
        // Another reason with the same reference is a different fact.
        apply_balance_change(&mut conn, 1, 5_000, LedgerReason::LateRefund, "DEP-X-1", None).unwrap().unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 2: voucher uses are reserved with the order.
// ---------------------------------------------------------------------------------------------

both_backends! {
    fn a_voucher_with_one_use_left_discounts_one_open_order(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let pid = product(&mut conn, "VC", 50_000, 5);
        let vid = create_voucher(&mut conn, &NewVoucher { code: "SATU", percent: true, value: 10, max_uses: Some(1), valid_from: None, valid_until: None }).unwrap();
        for uid in 1..=3 {
            user(&mut conn, uid);
            set_cart_quantity(&mut conn, uid, pid, 1).unwrap();
            set_cart_voucher(&mut conn, uid, Some("satu")).unwrap();
        }
        let first = place_order(&mut conn, 1, PayMethod::Qris, 0).unwrap().unwrap();
        assert_eq!(first.discount, 5_000);
        assert_eq!(place_order(&mut conn, 2, PayMethod::Qris, 0).unwrap(), Err(CheckoutProblem::Voucher(VoucherProblem::UsedUp)), "the only use is held by the open order");
        assert_eq!(voucher_reservations(&mut conn, vid).unwrap(), 1);
        // Cancelled: the use comes back, and the next customer gets it.
        close_payment(&mut conn, first.payment_id.unwrap(), CloseReason::Cancelled).unwrap();
        assert_eq!(voucher_reservations(&mut conn, vid).unwrap(), 0);
        let second = place_order(&mut conn, 2, PayMethod::Qris, 0).unwrap().unwrap();
        assert!(matches!(complete_payment(&mut conn, second.gateway_order_id.as_deref().unwrap(), &confirmed(45_000), 0).unwrap(), Completion::Completed { .. }));
        assert_eq!((voucher_uses(&mut conn, vid).unwrap(), voucher_reservations(&mut conn, vid).unwrap()), (1, 0));
        assert_eq!(place_order(&mut conn, 3, PayMethod::Qris, 0).unwrap(), Err(CheckoutProblem::Voucher(VoucherProblem::UsedUp)));
        // The first customer pays the cancelled order after all: the use is gone, so the money
        // goes to the balance instead of a third discounted order.
        let late = complete_payment(&mut conn, first.gateway_order_id.as_deref().unwrap(), &confirmed(45_000), 0).unwrap();
        assert!(matches!(late, Completion::RefundedToBalance { reason: RefundReason::VoucherUsedUp, user_id: 1, .. }), "{late:?}");
        assert_eq!(balance_of(&mut conn, 1).unwrap(), 45_000);
        assert_eq!(voucher_uses(&mut conn, vid).unwrap(), 1, "never more discounted orders than uses");
        clean(&mut conn);
    }
}

#[test]
fn twenty_buyers_on_two_pools_share_a_voucher_of_three_uses() {
    let (db, pool_a) = TestDatabase::migrated(Backend::Postgres);
    let pool_b = db.pool();
    let vid = {
        let mut conn = checkout(&pool_a).unwrap();
        let pid = product(&mut conn, "VRACE", 10_000, 20);
        let vid = create_voucher(
            &mut conn,
            &NewVoucher {
                code: "TIGA",
                percent: false,
                value: 2_000,
                max_uses: Some(3),
                valid_from: None,
                valid_until: None,
            },
        )
        .unwrap();
        for uid in 1..=20 {
            user(&mut conn, uid);
            set_cart_quantity(&mut conn, uid, pid, 1).unwrap();
            set_cart_voucher(&mut conn, uid, Some("TIGA")).unwrap();
        }
        vid
    };
    let outcomes = race([&pool_a, &pool_b], 20, |i, pool| {
        let mut conn = checkout(pool).unwrap();
        place_order(&mut conn, i as i64 + 1, PayMethod::Qris, 0).unwrap()
    });
    let discounted = outcomes.iter().filter(|o| o.is_ok()).count();
    let used_up = outcomes
        .iter()
        .filter(|o| **o == Err(CheckoutProblem::Voucher(VoucherProblem::UsedUp)))
        .count();
    assert_eq!((discounted, used_up), (3, 17), "{outcomes:?}");
    let mut conn = checkout(&pool_a).unwrap();
    assert_eq!(voucher_reservations(&mut conn, vid).unwrap(), 3);
    clean(&mut conn);
}

// ---------------------------------------------------------------------------------------------
// Finding 3: the gateway's answer for a payment closed meanwhile changes nothing.
// ---------------------------------------------------------------------------------------------

both_backends! {
    fn a_gateway_answer_for_a_closed_payment_is_a_visible_no_op(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        let pid = product(&mut conn, "NOQR", 10_000, 1);
        let (_, payment_id, _) = qris_order(&mut conn, 1, pid);
        close_payment(&mut conn, payment_id, CloseReason::Cancelled).unwrap();
        let invoice = GatewayInvoice { fee: Some(380), total_payment: Some(10_380), payment_number: Some("000201".into()), expires_at: autoorder_schema::now_ms() + 60_000 };
        assert_eq!(record_gateway_invoice(&mut conn, payment_id, &invoice).unwrap(), Recorded::NotOpen(PaymentStatus::Cancelled));
        assert!(jobs_of_kind(&mut conn, "expire_payment").unwrap().is_empty());
        assert_eq!(available_stock(&mut conn, pid).unwrap(), 1, "still released");
    }
}

both_backends! {
    fn the_poller_leaves_young_creating_payments_and_reviews_alone(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        user(&mut conn, 2);
        let pid = product(&mut conn, "POLL", 10_000, 2);
        let (_, creating, _) = qris_order(&mut conn, 1, pid);
        let (_, flagged, _) = qris_order(&mut conn, 2, pid);
        let ids = |rows: Vec<autoorder_schema::queries::shop::payments::PaymentRow>| rows.into_iter().map(|p| p.id).collect::<Vec<_>>();
        // A create may still be under way for minutes: a creating payment is polled only once it
        // is older than the longest possible create.
        assert_eq!(ids(open_payments(&mut conn, 0, 600_000, 10).unwrap()), Vec::<i64>::new());
        assert_eq!(ids(open_payments(&mut conn, 0, -1, 10).unwrap()), vec![creating, flagged]);
        assert!(flag_for_review(&mut conn, flagged, "amount 9999 != 10000").unwrap());
        assert!(!flag_for_review(&mut conn, flagged, "again").unwrap(), "flagged once");
        assert_eq!(jobs_of_kind(&mut conn, "notify").unwrap().len(), 1, "the owners are told once");
        assert_eq!(ids(open_payments(&mut conn, 0, -1, 10).unwrap()), vec![creating]);
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 4: closed payments are asked about again for a while.
// ---------------------------------------------------------------------------------------------

both_backends! {
    fn recently_closed_payments_are_rechecked_least_recently_asked_first(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let pid = product(&mut conn, "RC", 10_000, 3);
        let mut closed = Vec::new();
        for uid in 1..=3 {
            user(&mut conn, uid);
            let (_, payment_id, _) = qris_order(&mut conn, uid, pid);
            close_payment(&mut conn, payment_id, CloseReason::Expired).unwrap();
            closed.push(payment_id);
        }
        let due = |c: &mut DbConnection| recently_closed_payments(c, 86_400_000, 60_000, 10).unwrap().into_iter().map(|p| p.id).collect::<Vec<_>>();
        assert_eq!(due(&mut conn), closed);
        mark_checked(&mut conn, closed[0]).unwrap();
        assert_eq!(due(&mut conn), closed[1..].to_vec(), "asked a moment ago: not due");
        assert_eq!(recently_closed_payments(&mut conn, 86_400_000, -1, 10).unwrap().last().unwrap().id, closed[0], "then last");
        assert!(recently_closed_payments(&mut conn, -1, 0, 10).unwrap().is_empty(), "outside the window");
        // Paid after all: the late payment completes the order, which takes its item again.
        let gid = load_payment(&mut conn, closed[1]).unwrap().unwrap().gateway_order_id;
        assert!(matches!(complete_payment(&mut conn, &gid, &confirmed(10_000), 0).unwrap(), Completion::Completed { .. }));
        assert_eq!(due(&mut conn), vec![closed[2]]);
        clean(&mut conn);
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 5: a payment under review is never completed automatically.
// ---------------------------------------------------------------------------------------------

both_backends! {
    fn a_payment_under_review_delivers_nothing_and_expires_as_usual(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        let pid = product(&mut conn, "REV", 10_000, 1);
        let (_, payment_id, gid) = qris_order(&mut conn, 1, pid);
        flag_for_review(&mut conn, payment_id, "unknown status \"settling\"").unwrap();
        assert_eq!(complete_payment(&mut conn, &gid, &confirmed(10_000), 0).unwrap(), Completion::UnderReview);
        assert!(jobs_of_kind(&mut conn, "deliver_order").unwrap().is_empty());
        assert!(matches!(close_payment(&mut conn, payment_id, CloseReason::Expired).unwrap(), Closed::Closed(_)));
        assert_eq!(available_stock(&mut conn, pid).unwrap(), 1, "released after expiry");
        let report = clean(&mut conn);
        assert_eq!(report.under_review.len(), 1);
        assert_eq!(report.under_review[0].payment, gid);
    }
}

// ---------------------------------------------------------------------------------------------
// Finding 6: deposit references are not derived from row ids.
// ---------------------------------------------------------------------------------------------

both_backends! {
    fn deposit_gateway_ids_carry_a_random_part(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        let (first_id, first) = create_deposit(&mut conn, 1, 10_000).unwrap();
        let (second_id, second) = create_deposit(&mut conn, 1, 10_000).unwrap();
        for (id, p) in [(first_id, &first), (second_id, &second)] {
            assert_ne!(p.gateway_order_id, format!("DEP-{id}-1"), "predictable");
            let parts: Vec<&str> = p.gateway_order_id.split('-').collect();
            assert_eq!(parts.len(), 4, "{}", p.gateway_order_id);
            assert_eq!((parts[0], parts[1].len(), parts[2].len(), parts[3]), ("DEP", 8, 6, "1"));
        }
        assert_ne!(first.gateway_order_id[..first.gateway_order_id.len() - 2], second.gateway_order_id[..second.gateway_order_id.len() - 2]);
    }
}

// ---------------------------------------------------------------------------------------------
// Seller operations: balance adjustments and manual payments keep the invariants.
// ---------------------------------------------------------------------------------------------

both_backends! {
    fn balance_adjustments_are_audited_never_below_zero_and_reconcile(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        assert_eq!(adjust_balance(&mut conn, 1, 5_000, ADMIN, "  ").unwrap(), Err(AdjustProblem::NoReason));
        assert_eq!(adjust_balance(&mut conn, 1, 0, ADMIN, "x").unwrap(), Err(AdjustProblem::ZeroAmount));
        assert_eq!(adjust_balance(&mut conn, 404, 5_000, ADMIN, "x").unwrap(), Err(AdjustProblem::UnknownUser));
        let done = adjust_balance(&mut conn, 1, 20_000, ADMIN, "transfer BCA 12/11").unwrap().unwrap();
        assert_eq!(done.balance, 20_000);
        let short = adjust_balance(&mut conn, 1, -25_000, ADMIN, "koreksi").unwrap();
        assert!(matches!(short, Err(AdjustProblem::Insufficient(s)) if s.balance == 20_000), "{short:?}");
        adjust_balance(&mut conn, 1, -5_000, ADMIN, "koreksi").unwrap().unwrap();
        let ledger = ledger_of(&mut conn, 1).unwrap();
        assert_eq!(ledger.len(), 2, "refused changes leave no row");
        assert!(ledger.iter().all(|r| r.actor_id == Some(ADMIN)));
        assert_eq!(ledger[0].reference.as_deref(), Some(format!("audit:{}", done.audit_id).as_str()));
        assert_eq!(balance_of(&mut conn, 1).unwrap(), 15_000);
        // An opening balance from the old bot: reason import, and never twice.
        user(&mut conn, 2);
        record_opening_balance(&mut conn, 2, 12_345, 777).unwrap();
        assert!(record_opening_balance(&mut conn, 2, 12_345, 777).is_err(), "imported once");
        assert_eq!(balance_of(&mut conn, 2).unwrap(), 12_345);
        clean(&mut conn);
    }
}

#[test]
fn concurrent_debits_on_two_pools_never_take_a_balance_below_zero() {
    let (db, pool_a) = TestDatabase::migrated(Backend::Postgres);
    let pool_b = db.pool();
    {
        let mut conn = checkout(&pool_a).unwrap();
        user(&mut conn, 1);
        fund(&mut conn, 1, 50_000);
    }
    let outcomes = race([&pool_a, &pool_b], 16, |_, pool| {
        let mut conn = checkout(pool).unwrap();
        adjust_balance(&mut conn, 1, -10_000, ADMIN, "koreksi").unwrap()
    });
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 5);
    let mut conn = checkout(&pool_a).unwrap();
    assert_eq!(balance_of(&mut conn, 1).unwrap(), 0);
    assert_eq!(ledger_sum(&mut conn, 1).unwrap(), 0);
    clean(&mut conn);
}

both_backends! {
    fn a_manual_payment_completes_the_order_once_and_a_later_gateway_payment_is_refunded(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        let pid = product(&mut conn, "MAN", 30_000, 2);
        let (order_id, payment_id, gid) = qris_order(&mut conn, 1, pid);
        assert_eq!(complete_payment_manually(&mut conn, PaymentFor::Order(order_id), ADMIN, " ", 0).unwrap(), Err(ManualProblem::NoNote));
        let done = complete_payment_manually(&mut conn, PaymentFor::Order(order_id), ADMIN, "transfer BCA", 0).unwrap().unwrap();
        assert_eq!((done.user_id, done.amount), (1, 30_000));
        assert_eq!(done.superseded.iter().map(|p| p.id).collect::<Vec<_>>(), vec![payment_id], "cancel it at the gateway");
        assert_eq!(jobs_of_kind(&mut conn, "deliver_order").unwrap().len(), 1);
        assert_eq!(available_stock(&mut conn, pid).unwrap(), 1);
        assert_eq!(complete_payment_manually(&mut conn, PaymentFor::Order(order_id), ADMIN, "again", 0).unwrap(), Err(ManualProblem::AlreadyPaid));
        clean(&mut conn);
        // The customer pays the QR anyway: the money is not lost.
        let late = complete_payment(&mut conn, &gid, &confirmed(30_000), 0).unwrap();
        assert!(matches!(late, Completion::RefundedToBalance { reason: RefundReason::AlreadyPaid, .. }), "{late:?}");
        assert_eq!(balance_of(&mut conn, 1).unwrap(), 30_000);
        assert_eq!(jobs_of_kind(&mut conn, "deliver_order").unwrap().len(), 1, "delivered once");
        clean(&mut conn);
    }
}

both_backends! {
    fn a_manual_payment_refuses_an_expired_order_whose_stock_is_gone(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        user(&mut conn, 2);
        let pid = product(&mut conn, "GONE", 10_000, 1);
        let (order_id, payment_id, _) = qris_order(&mut conn, 1, pid);
        close_payment(&mut conn, payment_id, CloseReason::Expired).unwrap();
        fund(&mut conn, 2, 10_000);
        set_cart_quantity(&mut conn, 2, pid, 1).unwrap();
        place_order(&mut conn, 2, PayMethod::Balance, 0).unwrap().unwrap();
        assert_eq!(complete_payment_manually(&mut conn, PaymentFor::Order(order_id), ADMIN, "cash", 0).unwrap(), Err(ManualProblem::StockGone));
        clean(&mut conn);
    }
}

both_backends! {
    fn a_manual_deposit_credits_the_balance_with_its_own_reason(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        let (deposit_id, qris) = create_deposit(&mut conn, 1, 25_000).unwrap();
        let done = complete_payment_manually(&mut conn, PaymentFor::Deposit(deposit_id), ADMIN, "transfer", 0).unwrap().unwrap();
        assert_eq!(done.superseded.len(), 1);
        assert_eq!(balance_of(&mut conn, 1).unwrap(), 25_000);
        assert_eq!(ledger_rows(&mut conn, LedgerReason::ManualPayment), 1);
        assert_eq!(complete_payment_manually(&mut conn, PaymentFor::Deposit(deposit_id), ADMIN, "again", 0).unwrap(), Err(ManualProblem::AlreadyPaid));
        clean(&mut conn);
        // The QRIS is paid too: the money is not lost, and it is no second deposit either.
        let late = complete_payment(&mut conn, &qris.gateway_order_id, &confirmed(25_000), 0).unwrap();
        assert!(matches!(late, Completion::RefundedToBalance { reason: RefundReason::AlreadyPaid, .. }), "{late:?}");
        assert_eq!(balance_of(&mut conn, 1).unwrap(), 50_000);
        assert_eq!(ledger_rows(&mut conn, LedgerReason::Deposit), 0);
        clean(&mut conn);
    }
}

// ---------------------------------------------------------------------------------------------
// reconcile: clean after honest work, and names each kind of tampering.
// ---------------------------------------------------------------------------------------------

/// A store after a day of honest work: QRIS and balance orders, a voucher, deposits, an
/// expiry, a late payment, a refund, an adjustment, an import, a manual payment.
fn busy_store(conn: &mut DbConnection) -> (i64, i64) {
    let pid = product(conn, "BUSY", 10_000, 10);
    create_voucher(
        conn,
        &NewVoucher {
            code: "HEMAT",
            percent: true,
            value: 10,
            max_uses: Some(5),
            valid_from: None,
            valid_until: None,
        },
    )
    .unwrap();
    for uid in 1..=6 {
        user(conn, uid);
    }
    // QRIS with voucher, paid.
    set_cart_quantity(conn, 1, pid, 2).unwrap();
    set_cart_voucher(conn, 1, Some("hemat")).unwrap();
    let a = place_order(conn, 1, PayMethod::Qris, 0).unwrap().unwrap();
    complete_payment(
        conn,
        a.gateway_order_id.as_deref().unwrap(),
        &confirmed(18_000),
        0,
    )
    .unwrap();
    // Balance, after a deposit.
    let (_, dep) = create_deposit(conn, 2, 20_000).unwrap();
    complete_payment(conn, &dep.gateway_order_id, &confirmed(20_000), 0).unwrap();
    set_cart_quantity(conn, 2, pid, 1).unwrap();
    place_order(conn, 2, PayMethod::Balance, 0)
        .unwrap()
        .unwrap();
    // Expired, then paid late (taken again).
    let (_, late_payment, late_gid) = qris_order(conn, 3, pid);
    close_payment(conn, late_payment, CloseReason::Expired).unwrap();
    complete_payment(conn, &late_gid, &confirmed(10_000), 0).unwrap();
    // Pending with a voucher.
    set_cart_quantity(conn, 4, pid, 1).unwrap();
    set_cart_voucher(conn, 4, Some("HEMAT")).unwrap();
    place_order(conn, 4, PayMethod::Qris, 0).unwrap().unwrap();
    // A seller's adjustment, an imported balance, a manual payment.
    fund(conn, 5, 7_000);
    record_opening_balance(conn, 6, 3_000, 42).unwrap();
    let (order_id, _, _) = qris_order(conn, 6, pid);
    complete_payment_manually(conn, PaymentFor::Order(order_id), ADMIN, "cash", 0)
        .unwrap()
        .unwrap();
    (pid, order_id)
}

both_backends! {
    fn reconcile_is_clean_after_honest_work(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        busy_store(&mut conn);
        let report = clean(&mut conn);
        assert_eq!(report.checked.users, 6);
        assert_eq!(report.checked.ledger_rows, 4, "deposit, order debit, adjustment, import: {:?}", report.checked);
        assert!(report.summary_line().starts_with("bersih"), "{}", report.summary_line());
    }
}

both_backends! {
    fn reconcile_names_each_kind_of_tampering(backend) {
        let (db, pool) = TestDatabase::migrated(backend);
        let (pid, manual_order) = {
            let mut conn = checkout(&pool).unwrap();
            busy_store(&mut conn)
        };
        let found = |sql: &str| {
            execute(&pool, sql).unwrap();
            let mut conn = checkout(&pool).unwrap();
            reconcile(&mut conn).unwrap()
        };
        // A balance edited by hand.
        let r = found("UPDATE users SET balance = balance + 1000 WHERE id = 5");
        assert_eq!(kinds(&r), vec![DiscrepancyKind::BalanceNotLedgerSum]);
        assert_eq!((r.discrepancies[0].user_id, r.discrepancies[0].amount), (Some(5), Some(1000)));
        execute(&pool, "UPDATE users SET balance = balance - 1000 WHERE id = 5").unwrap();
        // A credit that points at nothing (with its balance, so only the justification fails).
        let r = found("UPDATE users SET balance = balance + 500 WHERE id = 5; \
            INSERT INTO balance_ledger (user_id, delta, balance_after, reason, reference, created_at) VALUES (5, 500, 7500, 'deposit', 'DEP-FAKE-1', 0)");
        assert_eq!(kinds(&r), vec![DiscrepancyKind::LedgerUnjustified], "{:#?}", r.discrepancies);
        assert!(r.discrepancies[0].to_string().contains("user=5"), "{}", r.discrepancies[0]);
        execute(&pool, "DELETE FROM balance_ledger WHERE reference = 'DEP-FAKE-1'; UPDATE users SET balance = balance - 500 WHERE id = 5").unwrap();
        {
            let mut conn = checkout(&pool).unwrap();
            clean(&mut conn);
        }
        // A paid order loses an item back to the shelf.
        let r = found(&format!("UPDATE stock_items SET state = 'available', order_id = NULL, sold_at = NULL \
            WHERE id = (SELECT MIN(id) FROM stock_items WHERE order_id = {manual_order})"));
        assert_eq!(kinds(&r), vec![DiscrepancyKind::OrderItems]);
        execute(&pool, &format!("UPDATE stock_items SET state = 'sold', order_id = {manual_order} \
            WHERE id = (SELECT MIN(id) FROM stock_items WHERE product_id = {pid} AND state = 'available')")).unwrap();
        // A voucher counted wrong.
        let r = found("UPDATE vouchers SET reserved_count = 0");
        assert_eq!(kinds(&r), vec![DiscrepancyKind::VoucherCount]);
        execute(&pool, "UPDATE vouchers SET reserved_count = 1").unwrap();
        // A payment marked completed that did nothing.
        let r = found("UPDATE payments SET status = 'completed' WHERE status IN ('creating', 'pending')");
        assert!(kinds(&r).contains(&DiscrepancyKind::OrderPaymentCount), "{:#?}", r.discrepancies);
        assert!(r.discrepancies.iter().any(|d| d.payment.is_some() && d.order.is_some()), "{:#?}", r.discrepancies);
        drop(db);
    }
}

#[test]
fn a_database_with_double_credits_still_migrates_and_reconcile_names_them() {
    use diesel_migrations::MigrationHarness;
    let db = TestDatabase::empty(Backend::Postgres);
    let pool = db.pool();
    {
        let mut conn = checkout(&pool).unwrap();
        autoorder_schema::on_backend!(&mut *conn, c => {
            for _ in 0..3 {
                c.run_next_migration(autoorder_schema::migrations::POSTGRES).unwrap();
            }
        });
    }
    // What the old code could leave behind: one deposit credited twice.
    execute(
        &pool,
        "INSERT INTO users (id, first_name, balance, created_at, updated_at, last_seen_at) VALUES (1, 'Budi', 20000, 0, 0, 0); \
         INSERT INTO deposits (id, user_id, amount, status, created_at) VALUES (1, 1, 10000, 'completed', 0); \
         INSERT INTO payments (gateway_order_id, purpose, deposit_id, method, amount, status, created_at, updated_at) VALUES ('DEP-1-1', 'deposit', 1, 'qris', 10000, 'completed', 0, 0); \
         INSERT INTO balance_ledger (user_id, delta, balance_after, reason, reference, created_at) VALUES (1, 10000, 10000, 'deposit', 'DEP-1-1', 0), (1, 10000, 20000, 'deposit', 'DEP-1-1', 0)",
    )
    .unwrap();
    autoorder_schema::migrations::run_migrations(&pool, &db.target).unwrap();
    let mut conn = checkout(&pool).unwrap();
    let report = reconcile(&mut conn).unwrap();
    assert_eq!(kinds(&report), vec![DiscrepancyKind::LedgerUnjustified]);
    assert_eq!(report.discrepancies[0].user_id, Some(1));
    assert_eq!(report.discrepancies[0].amount, Some(10_000));
    assert!(find_payment(&mut conn, "DEP-1-1").unwrap().is_some());
}
