//! Checkout: turning a cart into an order with its stock and voucher use reserved, in one
//! transaction (a savepoint when the caller already holds one).

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::queries::shop::balance::{InsufficientBalance, apply_balance_change};
use crate::queries::shop::carts::{clear_cart, load_cart};
use crate::queries::shop::completion::{VoucherStep, complete_order_in_tx};
use crate::queries::shop::payments::{Confirmed, complete_in_tx, create_payment_row};
use crate::queries::shop::status::{LedgerReason, OrderStatus, PaymentChannel};
use crate::queries::shop::vouchers::{VoucherProblem, quote_voucher, reserve_voucher_use};
use crate::tables::{order_items as oi, orders as o, products as p, stock_items as s};

/// How the customer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayMethod {
    Qris,
    Balance,
}

impl PayMethod {
    /// The stored payment channel.
    pub fn channel(self) -> PaymentChannel {
        match self {
            PayMethod::Qris => PaymentChannel::Qris,
            PayMethod::Balance => PaymentChannel::Balance,
        }
    }
}

/// Why a checkout was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckoutProblem {
    EmptyCart,
    /// Not enough stock left for this product.
    OutOfStock {
        product: String,
        available: i64,
    },
    /// A product in the cart is no longer for sale.
    Unavailable {
        product: String,
    },
    Voucher(VoucherProblem),
    InsufficientBalance(InsufficientBalance),
    /// Totals must be positive for a gateway payment.
    ZeroTotal,
}

/// A created order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedOrder {
    pub order_id: i64,
    pub invoice_no: String,
    pub subtotal: i64,
    pub discount: i64,
    /// What the shop receives (subtotal − discount); the gateway adds its fee on top.
    pub amount: i64,
    /// For QRIS: the payment row whose gateway call comes next.
    pub payment_id: Option<i64>,
    pub gateway_order_id: Option<String>,
}

/// A readable, unique invoice number: date plus random base-32.
pub fn new_invoice_no() -> String {
    new_reference("INV")
}

/// `<prefix>-YYYYMMDD-<6 random base-32>`: readable, and not guessable or repeated after a
/// restore or by another store on the same Pakasir project, unlike a row id.
pub fn new_reference(prefix: &str) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let tail: String = (0..6)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    let date = chrono_free_date(now_ms());
    format!("{prefix}-{date}-{tail}")
}

/// `YYYYMMDD` (UTC) from epoch ms without a calendar dependency in this crate.
fn chrono_free_date(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}{m:02}{d:02}")
}

/// Reserves `quantity` available items of a product for an order. Returns false (and reserves
/// nothing for this line) when there are not enough. On PostgreSQL the candidate rows are
/// locked with `SKIP LOCKED`, so concurrent buyers take different items; the update is guarded
/// on `state = 'available'` so an item can never be in two orders.
pub fn reserve_stock(
    conn: &mut DbConnection,
    order_id: i64,
    product_id: i64,
    quantity: i64,
) -> Result<bool, StoreError> {
    let candidates = s::table
        .select(s::id)
        .filter(s::product_id.eq(product_id))
        .filter(s::state.eq("available"))
        .order(s::id.asc())
        .limit(quantity);
    let ids: Vec<i64> = match conn {
        DbConnection::Pg(c) => candidates.for_update().skip_locked().load(c)?,
        DbConnection::Sqlite(c) => candidates.load(c)?,
    };
    if (ids.len() as i64) < quantity {
        return Ok(false);
    }
    let now = now_ms();
    let updated = diesel::update(
        s::table
            .filter(s::id.eq_any(&ids))
            .filter(s::state.eq("available")),
    )
    .set((
        s::state.eq("reserved"),
        s::order_id.eq(order_id),
        s::reserved_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated as i64 == quantity)
}

/// Returns an order's reserved items to stock.
pub fn release_stock(conn: &mut DbConnection, order_id: i64) -> Result<usize, StoreError> {
    Ok(diesel::update(
        s::table
            .filter(s::order_id.eq(order_id))
            .filter(s::state.eq("reserved")),
    )
    .set((
        s::state.eq("available"),
        s::order_id.eq(None::<i64>),
        s::reserved_at.eq(None::<i64>),
    ))
    .execute(conn)?)
}

/// Places an order for the user's cart: validates it, reserves a use of the cart's voucher,
/// reserves the stock and empties the cart. With `Balance` it is also paid in the same
/// transaction (and completes: items assigned, jobs enqueued); with `Qris` a payment row is
/// created for the gateway call that follows. Any problem leaves everything unchanged. Runs in
/// its own write transaction, or as a savepoint of the caller's.
pub fn place_order(
    conn: &mut DbConnection,
    user_id: i64,
    method: PayMethod,
    low_stock_threshold: i64,
) -> Result<Result<PlacedOrder, CheckoutProblem>, StoreError> {
    let result = write_tx(conn, |conn| -> Result<PlacedOrder, Abort> {
        let cart = load_cart(conn, user_id)?;
        if cart.lines.is_empty() {
            return Err(Abort::Problem(CheckoutProblem::EmptyCart));
        }
        for line in &cart.lines {
            let sellable: i64 = p::table
                .find(line.product_id)
                .filter(p::is_active.eq(true))
                .filter(p::archived_at.is_null())
                .count()
                .get_result(conn)?;
            if sellable == 0 {
                return Err(Abort::Problem(CheckoutProblem::Unavailable {
                    product: line.name.clone(),
                }));
            }
        }
        let subtotal = cart.subtotal();
        let (voucher_id, discount) = match &cart.voucher_code {
            Some(code) => match quote_voucher(conn, code, subtotal)? {
                // The use is reserved now, atomically: it counts against the maximum until
                // the order is paid (kept) or closed (given back).
                Ok(q) if reserve_voucher_use(conn, q.voucher_id)? => {
                    (Some(q.voucher_id), q.discount)
                }
                Ok(_) => {
                    return Err(Abort::Problem(CheckoutProblem::Voucher(
                        VoucherProblem::UsedUp,
                    )));
                }
                Err(problem) => return Err(Abort::Problem(CheckoutProblem::Voucher(problem))),
            },
            None => (None, 0),
        };
        let amount = subtotal - discount;
        if method == PayMethod::Qris && amount <= 0 {
            return Err(Abort::Problem(CheckoutProblem::ZeroTotal));
        }
        let now = now_ms();
        let invoice_no = new_invoice_no();
        let order_id: i64 = diesel::insert_into(o::table)
            .values((
                o::invoice_no.eq(&invoice_no),
                o::user_id.eq(user_id),
                o::status.eq(OrderStatus::Pending.as_str()),
                o::payment_method.eq(method.channel().as_str()),
                o::subtotal.eq(subtotal),
                o::discount.eq(discount),
                o::fee.eq(0),
                o::total.eq(amount),
                o::voucher_id.eq(voucher_id),
                o::created_at.eq(now),
            ))
            .returning(o::id)
            .get_result(conn)?;
        for line in &cart.lines {
            diesel::insert_into(oi::table)
                .values((
                    oi::order_id.eq(order_id),
                    oi::product_id.eq(line.product_id),
                    oi::product_name.eq(&line.name),
                    oi::unit_price.eq(line.unit_price),
                    oi::quantity.eq(line.quantity),
                ))
                .execute(conn)?;
            if !reserve_stock(conn, order_id, line.product_id, i64::from(line.quantity))? {
                // Rolls the whole order back: a half-reserved order never exists.
                let available =
                    crate::queries::shop::products::available_stock(conn, line.product_id)?;
                return Err(Abort::Problem(CheckoutProblem::OutOfStock {
                    product: line.name.clone(),
                    available,
                }));
            }
        }
        clear_cart(conn, user_id)?;
        let mut placed = PlacedOrder {
            order_id,
            invoice_no: invoice_no.clone(),
            subtotal,
            discount,
            amount,
            payment_id: None,
            gateway_order_id: None,
        };
        match method {
            PayMethod::Balance => {
                if let Err(short) = apply_balance_change(
                    conn,
                    user_id,
                    -amount,
                    LedgerReason::Order,
                    &invoice_no,
                    None,
                )? {
                    return Err(Abort::Problem(CheckoutProblem::InsufficientBalance(short)));
                }
                if amount > 0 {
                    let payment = create_payment_row(
                        conn,
                        PaymentFor::Order(order_id),
                        PaymentChannel::Balance,
                        amount,
                        &invoice_no,
                    )?;
                    let completion = complete_in_tx(
                        conn,
                        &payment.gateway_order_id,
                        &Confirmed {
                            amount,
                            completed_at: now,
                        },
                        low_stock_threshold,
                    )?;
                    if !matches!(
                        completion,
                        crate::queries::shop::payments::Completion::Completed { .. }
                    ) {
                        return Err(Abort::Store(StoreError::Corrupt(format!(
                            "a balance payment of {invoice_no} did not complete: {completion:?}"
                        ))));
                    }
                    placed.payment_id = Some(payment.id);
                } else {
                    // Fully discounted: nothing to pay, the order completes as is.
                    complete_order_in_tx(
                        conn,
                        order_id,
                        now,
                        low_stock_threshold,
                        VoucherStep::Finalize,
                    )?;
                }
            }
            PayMethod::Qris => {
                let payment = create_payment_row(
                    conn,
                    PaymentFor::Order(order_id),
                    PaymentChannel::Qris,
                    amount,
                    &invoice_no,
                )?;
                placed.payment_id = Some(payment.id);
                placed.gateway_order_id = Some(payment.gateway_order_id);
            }
        }
        Ok(placed)
    });
    match result {
        Ok(placed) => Ok(Ok(placed)),
        Err(Abort::Problem(problem)) => Ok(Err(problem)),
        Err(Abort::Store(e)) => Err(e),
    }
}

/// Ends a checkout transaction: a problem to report (rolled back) or a storage error.
#[derive(Debug)]
enum Abort {
    Problem(CheckoutProblem),
    Store(StoreError),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Store(e.into())
    }
}

impl From<StoreError> for Abort {
    fn from(e: StoreError) -> Self {
        Abort::Store(e)
    }
}

/// What a payment pays for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentFor {
    Order(i64),
    Deposit(i64),
}
