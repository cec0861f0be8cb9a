//! *Lanjut ke Pembayaran*: the payment choice (subtotal, discount, *Biaya Layanan*, total),
//! then QRIS (order placed with its stock reserved; the invoice comes from a job that asks the
//! gateway outside any transaction) or Saldo (paid and completed in one transaction; delivery
//! comes from the queue).

use autoorder_schema::StoreError;
use autoorder_schema::job_kinds::JobPayload;
use autoorder_schema::queries::jobs::NewJob;
use autoorder_schema::queries::shop::balance::balance_of;
use autoorder_schema::queries::shop::checkout::{CheckoutProblem, PayMethod, place_order};

use crate::bot::callback::CallbackData;
use crate::bot::context::{Toast, Tx};
use crate::bot::keyboards::{button, inline};
use crate::bot::texts;
use crate::payment::pakasir::estimate_qris_fee;

use super::cart::priced_cart;

/// Whether the store takes QRIS (Pakasir configured).
pub fn qris_enabled(tx: &Tx<'_>) -> bool {
    tx.services.settings.pakasir.is_some()
}

/// The payment choice for the cart as it is now. An empty cart cannot be checked out. Only
/// the methods the store can take are shown.
pub fn choose(tx: &mut Tx<'_>) -> Result<Toast, StoreError> {
    let user_id = tx.user_id();
    let priced = priced_cart(tx.conn(), user_id)?;
    let cart = &priced.cart;
    if cart.lines.is_empty() {
        return Ok(Toast::alert(texts::CHECKOUT_EMPTY));
    }
    if let Some((_, Err(problem))) = &priced.voucher {
        return Ok(Toast::alert(texts::checkout_voucher(
            texts::voucher_problem(problem),
        )));
    }
    if let Some(short) = cart.lines.iter().find(|l| i64::from(l.quantity) > l.stock) {
        return Ok(Toast::alert(texts::checkout_out_of_stock(
            &short.name,
            short.stock,
        )));
    }
    let balance = balance_of(tx.conn(), user_id)?;
    let (subtotal, discount) = (cart.subtotal(), priced.discount());
    let qris = qris_enabled(tx);
    let fee = qris.then(|| estimate_qris_fee(subtotal - discount));
    let mut methods = Vec::new();
    if qris {
        methods.push(button(texts::BTN_PAY_QRIS, CallbackData::PayQris));
    }
    methods.push(button(texts::BTN_PAY_BALANCE, CallbackData::PayBalance));
    let keyboard = inline(vec![
        methods,
        vec![button(texts::BTN_PAY_ABORT, CallbackData::PayAbort)],
    ]);
    tx.send_with(
        texts::payment_choice(subtotal, discount, fee, balance),
        keyboard,
    );
    Ok(Toast::none())
}

/// *Batalkan* on the payment choice: nothing was placed; the cart stays.
pub fn abort(tx: &mut Tx<'_>) -> Result<Toast, StoreError> {
    let keyboard = inline(vec![vec![button(
        texts::BTN_VIEW_CART,
        CallbackData::ViewCart,
    )]]);
    tx.show(texts::PAYMENT_ABORTED, keyboard);
    Ok(Toast::none())
}

/// Why a checkout was refused, for the customer.
fn problem_text(problem: &CheckoutProblem, qris: bool) -> String {
    match problem {
        CheckoutProblem::EmptyCart => texts::CHECKOUT_EMPTY.to_string(),
        CheckoutProblem::OutOfStock { product, available } => {
            texts::checkout_out_of_stock(product, *available)
        }
        CheckoutProblem::Unavailable { product } => texts::checkout_unavailable(product),
        CheckoutProblem::Voucher(p) => texts::checkout_voucher(texts::voucher_problem(p)),
        CheckoutProblem::InsufficientBalance(short) => {
            texts::insufficient_balance(short.balance, short.needed, qris)
        }
        CheckoutProblem::ZeroTotal => texts::CHECKOUT_ZERO_TOTAL.to_string(),
    }
}

/// QRIS: places the order (stock reserved, cart emptied) and enqueues the job that creates the
/// gateway transaction and sends the invoice — all in this update's transaction, so a retry
/// never places a second order.
pub fn pay_qris(tx: &mut Tx<'_>) -> Result<Toast, StoreError> {
    if !qris_enabled(tx) {
        return Ok(Toast::alert(texts::QRIS_NOT_CONFIGURED));
    }
    let (user_id, threshold) = (tx.user_id(), tx.services.settings.shop.low_stock_threshold);
    match place_order(tx.conn(), user_id, PayMethod::Qris, threshold)? {
        Ok(placed) => {
            tx.jobs_enqueued();
            match placed.payment_id {
                Some(payment_id) => {
                    start_invoice(tx, payment_id)?;
                    Ok(Toast::note(texts::QRIS_CREATING))
                }
                None => {
                    tx.send(texts::TRY_AGAIN);
                    Ok(Toast::none())
                }
            }
        }
        Err(problem) => {
            tx.send(problem_text(&problem, true));
            Ok(Toast::none())
        }
    }
}

/// Enqueues the invoice job of a payment row in `creating` (orders and deposits alike).
pub fn start_invoice(tx: &mut Tx<'_>, payment_id: i64) -> Result<(), StoreError> {
    let chat_id = tx.chat().0;
    tx.enqueue(&NewJob::keyed(
        JobPayload::CreateInvoice {
            payment_id,
            chat_id,
        },
        format!("invoice:{payment_id}"),
    ))?;
    Ok(())
}

/// Saldo: pays from the balance and completes the order in one transaction; the queue
/// delivers. Not enough balance: how much is missing, and the ways to top up the store has.
pub fn pay_balance(tx: &mut Tx<'_>) -> Result<Toast, StoreError> {
    let (user_id, threshold) = (tx.user_id(), tx.services.settings.shop.low_stock_threshold);
    let qris = qris_enabled(tx);
    match place_order(tx.conn(), user_id, PayMethod::Balance, threshold)? {
        Ok(placed) => {
            tx.jobs_enqueued();
            let balance = balance_of(tx.conn(), user_id)?;
            tx.send(texts::balance_paid(
                &placed.invoice_no,
                placed.amount,
                balance,
            ));
        }
        Err(CheckoutProblem::InsufficientBalance(short)) => {
            let mut ways = Vec::new();
            if qris {
                ways.push(button(texts::BTN_DEPOSIT, CallbackData::DepositMenu));
                ways.push(button(texts::BTN_PAY_QRIS, CallbackData::PayQris));
            }
            let text = texts::insufficient_balance(short.balance, short.needed, qris);
            if ways.is_empty() {
                tx.send(text);
            } else {
                tx.send_with(text, inline(vec![ways]));
            }
        }
        Err(problem) => tx.send(problem_text(&problem, qris)),
    }
    Ok(Toast::none())
}
