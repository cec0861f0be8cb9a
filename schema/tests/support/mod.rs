//! A small shop for the admin storage tests: products with stock, customers, and orders placed
//! and paid through the shop's own transactions (never hand-written order rows), so the
//! figures under test come from the same paths real orders take.

#![allow(dead_code)]

use autoorder_schema::DbConnection;
use autoorder_schema::crypto::DataKeys;
use autoorder_schema::queries::catalog::stock_aad;
use autoorder_schema::queries::shop::balance::apply_balance_change;
use autoorder_schema::queries::shop::carts::set_cart_quantity;
use autoorder_schema::queries::shop::checkout::{PayMethod, PlacedOrder, place_order};
use autoorder_schema::queries::shop::payments::{
    CloseReason, Closed, Completion, Confirmed, close_payment, complete_payment,
};
use autoorder_schema::queries::users::{TelegramProfile, touch_user};
use autoorder_schema::secret::Secret;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

pub const DAY: i64 = 86_400_000;

pub fn keys() -> DataKeys {
    DataKeys::new(vec![("t".into(), Secret::new([7u8; 32]))]).unwrap()
}

/// A product with `stock` items; returns its id.
pub fn product(conn: &mut DbConnection, code: &str, price: i64, stock: usize) -> i64 {
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

/// Registers a customer.
pub fn user(conn: &mut DbConnection, id: i64, first_name: &str, username: Option<&str>) {
    touch_user(
        conn,
        &TelegramProfile {
            id,
            username,
            first_name,
            language: None,
        },
    )
    .unwrap();
}

fn fill_cart(conn: &mut DbConnection, user_id: i64, lines: &[(i64, i32)]) {
    for (product_id, quantity) in lines {
        set_cart_quantity(conn, user_id, *product_id, *quantity).unwrap();
    }
}

/// Tops the balance up by exactly the cart's price and pays by Saldo: a paid order.
pub fn buy_with_balance(
    conn: &mut DbConnection,
    user_id: i64,
    lines: &[(i64, i32)],
) -> PlacedOrder {
    use autoorder_schema::tables::products as p;
    let mut price = 0;
    for (product_id, quantity) in lines {
        let unit: i64 = p::table
            .find(product_id)
            .select(p::price)
            .first(conn)
            .unwrap();
        price += unit * i64::from(*quantity);
    }
    apply_balance_change(
        conn,
        user_id,
        price,
        autoorder_schema::queries::shop::status::LedgerReason::Deposit,
        &format!("test-{user_id}-{price}-{}", rand_suffix()),
        None,
    )
    .unwrap()
    .unwrap();
    fill_cart(conn, user_id, lines);
    place_order(conn, user_id, PayMethod::Balance, 0)
        .unwrap()
        .unwrap()
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A QRIS order left pending (its stock reserved).
pub fn order_qris(conn: &mut DbConnection, user_id: i64, lines: &[(i64, i32)]) -> PlacedOrder {
    fill_cart(conn, user_id, lines);
    place_order(conn, user_id, PayMethod::Qris, 0)
        .unwrap()
        .unwrap()
}

/// The gateway confirms a QRIS order's payment.
pub fn pay_qris(conn: &mut DbConnection, placed: &PlacedOrder) {
    let confirmed = Confirmed {
        amount: placed.amount,
        completed_at: autoorder_schema::now_ms(),
    };
    let done = complete_payment(
        conn,
        placed.gateway_order_id.as_deref().unwrap(),
        &confirmed,
        0,
    )
    .unwrap();
    assert!(matches!(done, Completion::Completed { .. }), "{done:?}");
}

/// A QRIS order's payment expires.
pub fn expire_qris(conn: &mut DbConnection, placed: &PlacedOrder) {
    let closed = close_payment(conn, placed.payment_id.unwrap(), CloseReason::Expired).unwrap();
    assert!(matches!(closed, Closed::Closed(_)), "{closed:?}");
}

/// Runs SQL (moving times to test period boundaries; the product never rewrites them).
pub fn sql(conn: &mut DbConnection, text: &str) {
    conn.batch_execute(text).unwrap();
}
