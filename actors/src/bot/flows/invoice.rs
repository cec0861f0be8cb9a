//! QRIS invoices for orders and deposits alike: the invoice message (the QR rendered from the
//! gateway's `payment_number`, the gateway's own figures, *Cek Status* / *Batalkan* and the
//! *Bayar di Pakasir* link), recorded by the invoice job into the outbox; and the two invoice
//! buttons, which ask PaymentActor in the prepare step (a slow gateway holds only this chat)
//! and answer in the transaction.

use autoorder_schema::queries::orders::order_of_user;
use autoorder_schema::queries::shop::payments::view_payment;
use autoorder_schema::{DbConnection, StoreError};
use teloxide_core::types::{InlineKeyboardButton, InlineKeyboardMarkup, ReplyMarkup};

use crate::bot::context::{Ctx, Toast};
use crate::bot::pipeline::HandleError;
use crate::bot::{keyboards, texts};
use crate::payment::messages::{
    CancelOutcome, CancelPayment, CheckPayment, Invoice, PaymentProblem, PaymentState,
};
use crate::send::{Effect, OnSent, PhotoSource};

type CallbackApply =
    Box<dyn FnOnce(&mut crate::bot::context::Tx<'_>) -> Result<Toast, StoreError> + Send>;

/// What the customer is told when an invoice could not be made.
pub fn problem_text(problem: &PaymentProblem) -> &'static str {
    match problem {
        PaymentProblem::GatewayUnavailable(_) => texts::GATEWAY_UNAVAILABLE,
        PaymentProblem::NotConfigured => texts::QRIS_NOT_CONFIGURED,
        PaymentProblem::NotOpen | PaymentProblem::NotFound | PaymentProblem::Store(_) => {
            texts::TRY_AGAIN
        }
        PaymentProblem::ClosedMeanwhile => texts::QR_CLOSED_MEANWHILE,
        PaymentProblem::CannotConfirm => texts::CANCEL_UNCONFIRMED,
        PaymentProblem::UnderReview => texts::STATUS_UNDER_REVIEW,
    }
}

/// Adds *Bayar di Pakasir* (the gateway's hosted payment page) under the invoice buttons.
fn with_pay_link(markup: InlineKeyboardMarkup, pay_url: &str) -> InlineKeyboardMarkup {
    match pay_url.parse() {
        Ok(url) => markup.append_row(vec![InlineKeyboardButton::url(
            texts::BTN_PAY_ON_PAKASIR,
            url,
        )]),
        Err(_) => markup,
    }
}

/// The invoice message of `invoice`: the QR photo with its caption and buttons, remembered
/// once sent so it is cleaned up when the payment ends. `None` when the payment is gone.
pub fn invoice_message(
    conn: &mut DbConnection,
    timezone: &chrono_tz::Tz,
    invoice: &Invoice,
) -> Result<Option<Effect>, StoreError> {
    let Some(view) = view_payment(conn, invoice.payment_id)? else {
        return Ok(None);
    };
    let expires = crate::format::local_time(invoice.expires_at, timezone);
    let caption = match view.row.order_id {
        Some(order_id) => {
            let Some((order, lines)) = order_of_user(conn, order_id, view.user_id)? else {
                return Ok(None);
            };
            let lines: Vec<(String, i32)> = lines.into_iter().map(|(n, q, _)| (n, q)).collect();
            texts::order_invoice(
                &order.invoice_no,
                &lines,
                order.subtotal,
                order.discount,
                invoice.fee,
                invoice.total_payment,
                &expires,
            )
        }
        None => texts::deposit_invoice(
            &invoice.gateway_order_id,
            invoice.amount,
            invoice.fee,
            invoice.total_payment,
            &expires,
        ),
    };
    Ok(Some(Effect::Photo {
        photo: PhotoSource::Qr {
            payload: invoice.payment_number.clone(),
            file_name: format!("qris-{}.png", invoice.gateway_order_id),
        },
        caption: Some(caption),
        markup: Some(ReplyMarkup::InlineKeyboard(with_pay_link(
            keyboards::invoice(invoice.payment_id),
            &invoice.pay_url,
        ))),
        on_sent: Some(OnSent::InvoiceMessage {
            payment_id: invoice.payment_id,
        }),
    }))
}

/// *Cek Status Pembayaran*: asks the gateway through PaymentActor (prepare step).
pub async fn check(ctx: &Ctx<'_>, payment_id: i64) -> Result<CallbackApply, HandleError> {
    let Some(payment) = crate::tree::payment_actor(&ctx.services.registry) else {
        return Ok(toast(Toast::alert(texts::STATUS_UNAVAILABLE)));
    };
    let asked = payment
        .send(CheckPayment {
            payment_id,
            user_id: ctx.user_id(),
        })
        .await
        .map_err(|e| HandleError::Payment(e.to_string()))?;
    Ok(toast(match asked {
        Ok(PaymentState::Pending) => Toast::alert(texts::STATUS_PENDING),
        Ok(PaymentState::Paid) => Toast::alert(texts::STATUS_PAID),
        Ok(PaymentState::Expired) => Toast::alert(texts::STATUS_EXPIRED),
        Ok(PaymentState::Cancelled) => Toast::alert(texts::STATUS_CANCELLED),
        Ok(PaymentState::RefundedToBalance) => Toast::alert(texts::STATUS_REFUNDED),
        Ok(PaymentState::UnderReview) | Err(PaymentProblem::UnderReview) => {
            Toast::alert(texts::STATUS_UNDER_REVIEW)
        }
        Err(PaymentProblem::NotFound) => Toast::stale(),
        Err(PaymentProblem::NotConfigured) => Toast::alert(texts::QRIS_NOT_CONFIGURED),
        Err(PaymentProblem::NotOpen | PaymentProblem::ClosedMeanwhile) => {
            Toast::alert(texts::PAYMENT_NOT_OPEN)
        }
        Err(
            PaymentProblem::GatewayUnavailable(_)
            | PaymentProblem::Store(_)
            | PaymentProblem::CannotConfirm,
        ) => Toast::alert(texts::STATUS_UNAVAILABLE),
    }))
}

/// *Batalkan* on an invoice: PaymentActor cancels it at the gateway and closes it (stock
/// released, invoice cleaned up by the queue), refusing when the gateway cannot confirm it
/// was not paid (prepare step); the customer is told in the transaction.
pub async fn cancel(ctx: &Ctx<'_>, payment_id: i64) -> Result<CallbackApply, HandleError> {
    let Some(payment) = crate::tree::payment_actor(&ctx.services.registry) else {
        return Ok(toast(Toast::alert(texts::TRY_AGAIN)));
    };
    let cancelled = payment
        .send(CancelPayment {
            payment_id,
            user_id: ctx.user_id(),
        })
        .await
        .map_err(|e| HandleError::Payment(e.to_string()))?;
    Ok(match cancelled {
        Ok(CancelOutcome::Cancelled) => Box::new(|tx| {
            tx.send(texts::PAYMENT_CANCELLED);
            Ok(Toast::note(texts::PAYMENT_CANCELLED))
        }),
        Ok(CancelOutcome::AlreadyPaid) => toast(Toast::alert(texts::CANCEL_ALREADY_PAID)),
        Ok(CancelOutcome::RefundedToBalance) => toast(Toast::alert(texts::STATUS_REFUNDED)),
        Err(PaymentProblem::NotFound) => toast(Toast::stale()),
        Err(PaymentProblem::NotOpen | PaymentProblem::ClosedMeanwhile) => {
            toast(Toast::alert(texts::PAYMENT_NOT_OPEN))
        }
        Err(PaymentProblem::NotConfigured) => toast(Toast::alert(texts::QRIS_NOT_CONFIGURED)),
        Err(PaymentProblem::CannotConfirm) => toast(Toast::alert(texts::CANCEL_UNCONFIRMED)),
        Err(PaymentProblem::UnderReview) => toast(Toast::alert(texts::STATUS_UNDER_REVIEW)),
        Err(PaymentProblem::GatewayUnavailable(_) | PaymentProblem::Store(_)) => {
            toast(Toast::alert(texts::TRY_AGAIN))
        }
    })
}

fn toast(t: Toast) -> CallbackApply {
    Box::new(move |_| Ok(t))
}
