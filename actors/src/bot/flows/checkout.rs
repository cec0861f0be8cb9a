//! *Lanjut ke Pembayaran*: the payment choice (subtotal, discount, *Biaya Layanan*, total),
//! then QRIS (order placed with its stock reserved, invoice from the gateway) or Saldo (paid
//! and completed in one transaction; delivery comes from the queue).

use autoorder_schema::queries::orders::order_of_user;
use autoorder_schema::queries::shop::balance::balance_of;
use autoorder_schema::queries::shop::checkout::{CheckoutProblem, PayMethod, place_order};

use crate::bot::callback::CallbackData;
use crate::bot::context::{Ctx, Toast};
use crate::bot::intake::HandleError;
use crate::bot::keyboards::{button, inline};
use crate::bot::texts;
use crate::payment::pakasir::estimate_qris_fee;

use super::cart::priced_cart;
use super::invoice;

fn qris_enabled(ctx: &Ctx<'_>) -> bool {
    ctx.services.settings.pakasir.is_some()
}

/// The payment choice for the cart as it is now. An empty cart cannot be checked out.
pub async fn choose(ctx: &Ctx<'_>) -> Result<Toast, HandleError> {
    let priced = priced_cart(ctx).await?;
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
    let user_id = ctx.user_id;
    let balance = ctx.db(move |c| balance_of(c, user_id)).await?;
    let (subtotal, discount) = (cart.subtotal(), priced.discount());
    let fee = estimate_qris_fee(subtotal - discount);
    let mut methods = Vec::new();
    if qris_enabled(ctx) {
        methods.push(button(texts::BTN_PAY_QRIS, CallbackData::PayQris));
    }
    methods.push(button(texts::BTN_PAY_BALANCE, CallbackData::PayBalance));
    let keyboard = inline(vec![
        methods,
        vec![button(texts::BTN_PAY_ABORT, CallbackData::PayAbort)],
    ]);
    ctx.send_with(
        texts::payment_choice(subtotal, discount, fee, balance),
        keyboard,
    )
    .await?;
    Ok(Toast::none())
}

/// *Batalkan* on the payment choice: nothing was placed; the cart stays.
pub async fn abort(ctx: &Ctx<'_>) -> Result<Toast, HandleError> {
    let keyboard = inline(vec![vec![button(
        texts::BTN_VIEW_CART,
        CallbackData::ViewCart,
    )]]);
    ctx.show(texts::PAYMENT_ABORTED, keyboard).await?;
    Ok(Toast::none())
}

/// Why a checkout was refused, for the customer.
fn problem_text(problem: &CheckoutProblem) -> String {
    match problem {
        CheckoutProblem::EmptyCart => texts::CHECKOUT_EMPTY.to_string(),
        CheckoutProblem::OutOfStock { product, available } => {
            texts::checkout_out_of_stock(product, *available)
        }
        CheckoutProblem::Unavailable { product } => texts::checkout_unavailable(product),
        CheckoutProblem::Voucher(p) => texts::checkout_voucher(texts::voucher_problem(p)),
        CheckoutProblem::InsufficientBalance(short) => {
            texts::insufficient_balance(short.balance, short.needed)
        }
        CheckoutProblem::ZeroTotal => texts::CHECKOUT_ZERO_TOTAL.to_string(),
    }
}

/// QRIS: places the order (stock reserved, cart emptied), asks the gateway for the QRIS and
/// shows the invoice.
pub async fn pay_qris(ctx: &Ctx<'_>) -> Result<Toast, HandleError> {
    if !qris_enabled(ctx) {
        return Ok(Toast::alert(texts::QRIS_NOT_CONFIGURED));
    }
    let (user_id, threshold) = (ctx.user_id, ctx.services.settings.shop.low_stock_threshold);
    let placed = ctx
        .db(move |c| {
            let placed = place_order(c, user_id, PayMethod::Qris, threshold)?;
            let lines = match &placed {
                Ok(p) => order_of_user(c, p.order_id, user_id)?
                    .map(|(_, lines)| lines)
                    .unwrap_or_default(),
                Err(_) => Vec::new(),
            };
            Ok((placed, lines))
        })
        .await?;
    let (placed, lines) = match placed {
        (Ok(placed), lines) => (placed, lines),
        (Err(problem), _) => {
            ctx.send(problem_text(&problem)).await?;
            return Ok(Toast::none());
        }
    };
    let Some(payment_id) = placed.payment_id else {
        ctx.send_after_commit(texts::TRY_AGAIN, None).await;
        return Ok(Toast::none());
    };
    match invoice::start_qris(ctx, payment_id).await {
        Ok(inv) => {
            let lines: Vec<(String, i32)> = lines.into_iter().map(|(n, q, _)| (n, q)).collect();
            let caption = texts::order_invoice(
                &placed.invoice_no,
                &lines,
                placed.subtotal,
                placed.discount,
                inv.fee,
                inv.total_payment,
                &ctx.local_time(inv.expires_at),
            );
            invoice::send_invoice(ctx, &inv, caption).await?;
        }
        Err(problem) => {
            ctx.send_after_commit(invoice::problem_text(&problem), None)
                .await;
        }
    }
    Ok(Toast::none())
}

/// Saldo: pays from the balance and completes the order in one transaction; the queue
/// delivers. Not enough balance: how much is missing, and the way to top up.
pub async fn pay_balance(ctx: &Ctx<'_>) -> Result<Toast, HandleError> {
    let (user_id, threshold) = (ctx.user_id, ctx.services.settings.shop.low_stock_threshold);
    let placed = ctx
        .db(move |c| {
            let placed = place_order(c, user_id, PayMethod::Balance, threshold)?;
            Ok((placed, balance_of(c, user_id)?))
        })
        .await?;
    match placed {
        (Ok(placed), balance) => {
            ctx.services.wake_queue();
            ctx.send_after_commit(
                texts::balance_paid(&placed.invoice_no, placed.amount, balance),
                None,
            )
            .await;
        }
        (Err(CheckoutProblem::InsufficientBalance(short)), _) => {
            let mut ways = vec![button(texts::BTN_DEPOSIT, CallbackData::DepositMenu)];
            if qris_enabled(ctx) {
                ways.push(button(texts::BTN_PAY_QRIS, CallbackData::PayQris));
            }
            ctx.send_with(
                texts::insufficient_balance(short.balance, short.needed),
                inline(vec![ways]),
            )
            .await?;
        }
        (Err(problem), _) => {
            ctx.send(problem_text(&problem)).await?;
        }
    }
    Ok(Toast::none())
}
