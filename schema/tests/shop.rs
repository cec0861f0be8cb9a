//! The shop's invariants, on SQLite and PostgreSQL: no overselling under concurrency, atomic
//! balance payments, idempotent completion, release on expiry, voucher uses reserved with the
//! order and released with it, the failure streak, anti-spam. (The money races are in
//! `money.rs`.)

use autoorder_schema::both_backends;
use autoorder_schema::crypto::DataKeys;
use autoorder_schema::db::{Backend, checkout};
use autoorder_schema::queries::catalog::stock_aad;
use autoorder_schema::queries::jobs::{NewJob, jobs_of_kind};
use autoorder_schema::queries::shop::balance::{adjust_balance, balance_of, ledger_sum};
use autoorder_schema::queries::shop::carts::{
    CartChange, load_cart, set_cart_quantity, set_cart_voucher,
};
use autoorder_schema::queries::shop::checkout::{CheckoutProblem, PayMethod, place_order};
use autoorder_schema::queries::shop::payments::{
    CloseReason, Closed, Completion, Confirmed, close_payment, complete_payment, find_payment,
    gateway_failure_streak, record_gateway_failure, record_gateway_success, set_invoice_message,
};
use autoorder_schema::queries::shop::products::{available_stock, catalog};
use autoorder_schema::queries::shop::spam::{SpamLimit, SpamVerdict, record_action_at};
use autoorder_schema::queries::shop::vouchers::{
    NewVoucher, VoucherProblem, create_voucher, voucher_reservations, voucher_uses,
};
use autoorder_schema::queries::users::{TelegramProfile, touch_user};
use autoorder_schema::secret::Secret;
use autoorder_schema::testing::TestDatabase;
use autoorder_schema::{DbConnection, Pool};
use diesel::prelude::*;

fn keys() -> DataKeys {
    DataKeys::new(vec![("t".into(), Secret::new([7u8; 32]))]).unwrap()
}

/// A product with `stock` items; returns its id.
fn product(
    conn: &mut DbConnection,
    code: &str,
    price: i64,
    stock: usize,
    snk: Option<&str>,
) -> i64 {
    use autoorder_schema::tables::{products as p, stock_items as s};
    let now = autoorder_schema::now_ms();
    let id: i64 = diesel::insert_into(p::table)
        .values((
            p::code.eq(code),
            p::name.eq(format!("Produk {code}")),
            p::price.eq(price),
            p::snk.eq(snk),
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

/// Tops a balance up the way a seller does (audited, in the ledger).
fn fund(conn: &mut DbConnection, user_id: i64, amount: i64) {
    adjust_balance(conn, user_id, amount, 7001, "test top-up")
        .unwrap()
        .unwrap();
}

fn confirmed(amount: i64) -> Confirmed {
    Confirmed {
        amount,
        completed_at: autoorder_schema::now_ms(),
    }
}

fn count_jobs(conn: &mut DbConnection, kind: &str) -> usize {
    jobs_of_kind(conn, kind).unwrap().len()
}

both_backends! {
    fn paying_with_balance_is_one_atomic_step(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        let pid = product(&mut conn, "NF", 30_000, 3, Some("Kirim nama."));
        assert_eq!(set_cart_quantity(&mut conn, 1, pid, 2).unwrap(), CartChange::Set(2));

        // Not enough balance: nothing changes.
        fund(&mut conn, 1, 50_000);
        let refused = place_order(&mut conn, 1, PayMethod::Balance, 1).unwrap();
        assert!(matches!(refused, Err(CheckoutProblem::InsufficientBalance(s)) if s.balance == 50_000 && s.needed == 60_000));
        assert_eq!(available_stock(&mut conn, pid).unwrap(), 3);
        assert_eq!(load_cart(&mut conn, 1).unwrap().lines.len(), 1, "the cart is intact");
        assert_eq!(count_jobs(&mut conn, "deliver_order"), 0);

        fund(&mut conn, 1, 10_000);
        let placed = place_order(&mut conn, 1, PayMethod::Balance, 1).unwrap().unwrap();
        assert_eq!(placed.amount, 60_000);
        assert_eq!(balance_of(&mut conn, 1).unwrap(), 0);
        assert_eq!(ledger_sum(&mut conn, 1).unwrap(), 0, "balance equals the ledger");
        assert_eq!(available_stock(&mut conn, pid).unwrap(), 1);
        let sold = autoorder_schema::queries::orders::sold_items(&mut conn, placed.order_id).unwrap();
        assert_eq!(sold.len(), 2);
        let k = keys();
        assert!(k.decrypt_str(&sold[0].content_enc, &stock_aad(sold[0].product_id, &sold[0].content_hash)).unwrap().starts_with("NF-akun-"));
        assert_eq!(count_jobs(&mut conn, "deliver_order"), 1);
        assert_eq!(count_jobs(&mut conn, "snk_notice"), 1);
        assert_eq!(count_jobs(&mut conn, "notify"), 2, "seller notice and low stock (1 left ≤ threshold 1)");
        assert!(load_cart(&mut conn, 1).unwrap().lines.is_empty());
        assert!(matches!(place_order(&mut conn, 1, PayMethod::Balance, 1).unwrap(), Err(CheckoutProblem::EmptyCart)));
    }
}

both_backends! {
    fn completion_is_idempotent_and_checks_the_amount(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        let pid = product(&mut conn, "SP", 20_000, 2, None);
        set_cart_quantity(&mut conn, 1, pid, 1).unwrap();
        let placed = place_order(&mut conn, 1, PayMethod::Qris, 3).unwrap().unwrap();
        let gid = placed.gateway_order_id.clone().unwrap();
        assert!(gid.starts_with(&placed.invoice_no) && gid.ends_with("-1"));
        assert_eq!(available_stock(&mut conn, pid).unwrap(), 1, "reserved at creation");

        assert_eq!(complete_payment(&mut conn, &gid, &confirmed(19_999), 3).unwrap(), Completion::AmountMismatch { expected: 20_000, confirmed: 19_999 });
        assert_eq!(count_jobs(&mut conn, "deliver_order"), 0);
        assert!(matches!(complete_payment(&mut conn, &gid, &confirmed(20_000), 3).unwrap(), Completion::Completed { user_id: 1, .. }));
        for _ in 0..10 {
            assert_eq!(complete_payment(&mut conn, &gid, &confirmed(20_000), 3).unwrap(), Completion::AlreadyCompleted);
        }
        assert_eq!(count_jobs(&mut conn, "deliver_order"), 1, "a replay delivers nothing more");
        assert_eq!(complete_payment(&mut conn, "INV-NOPE-1", &confirmed(1), 3).unwrap(), Completion::Unknown);
    }
}

both_backends! {
    fn expiry_releases_stock_and_the_voucher_use_and_cleans_the_invoice(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        let pid = product(&mut conn, "CV", 50_000, 1, None);
        let vid = create_voucher(&mut conn, &NewVoucher { code: "hemat10", percent: true, value: 10, max_uses: Some(1), valid_from: None, valid_until: None }).unwrap();
        set_cart_quantity(&mut conn, 1, pid, 1).unwrap();
        set_cart_voucher(&mut conn, 1, Some("HEMAT10")).unwrap();
        let placed = place_order(&mut conn, 1, PayMethod::Qris, 3).unwrap().unwrap();
        assert_eq!((placed.subtotal, placed.discount, placed.amount), (50_000, 5_000, 45_000));
        assert_eq!(voucher_uses(&mut conn, vid).unwrap(), 0, "not used before payment");
        assert_eq!(voucher_reservations(&mut conn, vid).unwrap(), 1, "but reserved with the order");
        assert!(catalog(&mut conn).unwrap().is_empty(), "the only item is reserved");
        let payment_id = placed.payment_id.unwrap();
        set_invoice_message(&mut conn, payment_id, 1, 99).unwrap();

        assert!(matches!(close_payment(&mut conn, payment_id, CloseReason::Expired).unwrap(), Closed::Closed(_)));
        assert_eq!(available_stock(&mut conn, pid).unwrap(), 1, "released");
        assert_eq!(voucher_uses(&mut conn, vid).unwrap(), 0);
        assert_eq!(voucher_reservations(&mut conn, vid).unwrap(), 0, "the use went back");
        assert_eq!(count_jobs(&mut conn, "cleanup"), 1);
        assert_eq!(count_jobs(&mut conn, "notify"), 1, "the customer is told");
        assert!(matches!(close_payment(&mut conn, payment_id, CloseReason::Expired).unwrap(), Closed::NotOpen(_)));

        // Paid after all (late callback) while the item is still there: it is taken again.
        let gid = placed.gateway_order_id.unwrap();
        assert!(matches!(complete_payment(&mut conn, &gid, &confirmed(45_000), 3).unwrap(), Completion::Completed { .. }));
        assert_eq!(available_stock(&mut conn, pid).unwrap(), 0);
        assert_eq!(voucher_uses(&mut conn, vid).unwrap(), 1, "taken again at the late payment");
        assert_eq!(voucher_reservations(&mut conn, vid).unwrap(), 0);
        // The voucher is used up now.
        let other = product(&mut conn, "CV2", 10_000, 1, None);
        set_cart_quantity(&mut conn, 1, other, 1).unwrap();
        set_cart_voucher(&mut conn, 1, Some("hemat10")).unwrap();
        assert_eq!(place_order(&mut conn, 1, PayMethod::Qris, 3).unwrap(), Err(CheckoutProblem::Voucher(VoucherProblem::UsedUp)));
    }
}

both_backends! {
    fn a_late_payment_with_the_stock_gone_is_refunded_to_balance(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        user(&mut conn, 2);
        let pid = product(&mut conn, "GM", 15_000, 1, None);
        set_cart_quantity(&mut conn, 1, pid, 1).unwrap();
        let first = place_order(&mut conn, 1, PayMethod::Qris, 0).unwrap().unwrap();
        close_payment(&mut conn, first.payment_id.unwrap(), CloseReason::Expired).unwrap();
        fund(&mut conn, 2, 15_000);
        set_cart_quantity(&mut conn, 2, pid, 1).unwrap();
        place_order(&mut conn, 2, PayMethod::Balance, 0).unwrap().unwrap();
        let outcome = complete_payment(&mut conn, first.gateway_order_id.as_deref().unwrap(), &confirmed(15_000), 0).unwrap();
        assert!(matches!(outcome, Completion::RefundedToBalance { user_id: 1, .. }));
        assert_eq!(balance_of(&mut conn, 1).unwrap(), 15_000);
        assert_eq!(ledger_sum(&mut conn, 1).unwrap(), 15_000);
    }
}

fn concurrent_buyers(pool: &Pool, buyers: i64, product_id: i64) -> (usize, usize) {
    let results: Vec<bool> = std::thread::scope(|s| {
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(buyers as usize));
        let handles: Vec<_> = (1..=buyers)
            .map(|uid| {
                let barrier = barrier.clone();
                s.spawn(move || {
                    // Wait first: the pool has fewer connections than buyers, so they queue for one.
                    barrier.wait();
                    let mut conn = checkout(pool).unwrap();
                    match place_order(&mut conn, uid, PayMethod::Qris, 0).unwrap() {
                        Ok(_) => true,
                        Err(CheckoutProblem::OutOfStock { .. }) => false,
                        Err(other) => panic!("unexpected {other:?}"),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let _ = product_id;
    (
        results.iter().filter(|ok| **ok).count(),
        results.iter().filter(|ok| !**ok).count(),
    )
}

both_backends! {
    fn fifty_concurrent_buyers_for_ten_items_never_oversell(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let pid = {
            let mut conn = checkout(&pool).unwrap();
            let pid = product(&mut conn, "HOT", 10_000, 10, None);
            for uid in 1..=50 {
                user(&mut conn, uid);
                set_cart_quantity(&mut conn, uid, pid, 1).unwrap();
            }
            pid
        };
        let (ok, out) = concurrent_buyers(&pool, 50, pid);
        assert_eq!((ok, out), (10, 40));
        let mut conn = checkout(&pool).unwrap();
        use autoorder_schema::tables::stock_items as s;
        let taken: Vec<Option<i64>> = s::table.filter(s::product_id.eq(pid)).select(s::order_id).load(&mut *conn).unwrap();
        let mut orders: Vec<i64> = taken.iter().map(|o| o.expect("every item reserved")).collect();
        orders.sort();
        orders.dedup();
        assert_eq!(orders.len(), 10, "ten different orders, one item each");
    }
}

both_backends! {
    fn the_gateway_failure_streak_alerts_once_and_recovers(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        for expected in 1..=4u32 {
            assert_eq!(record_gateway_failure(&mut conn, 3, "timeout").unwrap(), expected);
        }
        let notices = |c: &mut DbConnection| {
            jobs_of_kind(c, "notify").unwrap().len()
        };
        assert_eq!(notices(&mut conn), 1, "one alert at the threshold");
        assert_eq!(gateway_failure_streak(&mut conn).unwrap(), 4);
        record_gateway_success(&mut conn).unwrap();
        record_gateway_success(&mut conn).unwrap();
        assert_eq!(notices(&mut conn), 2, "one recovery notice");
        assert_eq!(gateway_failure_streak(&mut conn).unwrap(), 0);
        // A new streak alerts again.
        for _ in 0..3 {
            record_gateway_failure(&mut conn, 3, "timeout").unwrap();
        }
        assert_eq!(notices(&mut conn), 3);
        let _: Option<NewJob> = None;
    }
}

both_backends! {
    fn spam_is_a_token_bucket_with_a_burst_and_warned_once_per_window(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1);
        // 5 per 5 s sustained (one a second), 10 at once.
        let limit = SpamLimit { max_actions: 5, window_ms: 5_000, seller_cooldown_ms: 120_000 };
        let t0 = 1_000_000;
        for i in 0..10 {
            assert_eq!(record_action_at(&mut conn, 1, &limit, t0 + i).unwrap(), SpamVerdict::Allow, "tap {i} of a quick burst");
        }
        assert_eq!(record_action_at(&mut conn, 1, &limit, t0 + 10).unwrap(), SpamVerdict::Spam { warn: true, tell_sellers: true });
        assert_eq!(record_action_at(&mut conn, 1, &limit, t0 + 20).unwrap(), SpamVerdict::Spam { warn: false, tell_sellers: false });
        // A second later one token is back: one action, then dropped again (no new warning
        // within the window).
        assert_eq!(record_action_at(&mut conn, 1, &limit, t0 + 1_020).unwrap(), SpamVerdict::Allow);
        assert_eq!(record_action_at(&mut conn, 1, &limit, t0 + 1_030).unwrap(), SpamVerdict::Spam { warn: false, tell_sellers: false });
        // After a window the user is warned again; sellers only after their cool-down.
        assert_eq!(record_action_at(&mut conn, 1, &limit, t0 + 5_100).unwrap(), SpamVerdict::Allow);
        let first_drop = (0..10)
            .map(|_| record_action_at(&mut conn, 1, &limit, t0 + 5_101).unwrap())
            .find(|v| *v != SpamVerdict::Allow);
        assert_eq!(first_drop, Some(SpamVerdict::Spam { warn: true, tell_sellers: false }));
        // Quiet for long: the bucket is full again, never above the burst.
        for i in 0..10 {
            assert_eq!(record_action_at(&mut conn, 1, &limit, t0 + 3_600_000 + i).unwrap(), SpamVerdict::Allow);
        }
        assert!(matches!(record_action_at(&mut conn, 1, &limit, t0 + 3_600_010).unwrap(), SpamVerdict::Spam { .. }));
    }
}

#[test]
fn fifty_buyers_on_two_postgresql_pools_never_oversell() {
    // Two pools stand for two replicas: separate connections racing on one database.
    let (db, pool_a) = TestDatabase::migrated(Backend::Postgres);
    let pool_b = db.pool();
    let pid = {
        let mut conn = checkout(&pool_a).unwrap();
        let pid = product(&mut conn, "DUO", 5_000, 10, None);
        for uid in 1..=50 {
            user(&mut conn, uid);
            set_cart_quantity(&mut conn, uid, pid, 1).unwrap();
        }
        pid
    };
    let results: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..=50i64)
            .map(|uid| {
                let pool = if uid % 2 == 0 {
                    pool_a.clone()
                } else {
                    pool_b.clone()
                };
                s.spawn(move || {
                    let mut conn = checkout(&pool).unwrap();
                    place_order(&mut conn, uid, PayMethod::Qris, 0)
                        .unwrap()
                        .is_ok()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|ok| **ok).count(), 10);
    let mut conn = checkout(&pool_a).unwrap();
    assert_eq!(available_stock(&mut conn, pid).unwrap(), 0);
    let _ = find_payment(&mut conn, "x");
}
