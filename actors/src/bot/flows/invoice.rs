//! QRIS invoices for orders and deposits alike: ask PaymentActor to create the gateway
//! transaction, send the QR as a photo with the gateway's own figures, and tell PaymentActor
//! where the invoice is so it is cleaned up when the payment ends. Also *Cek Status* and
//! *Batalkan* on an invoice.

use teloxide_core::prelude::*;
use teloxide_core::types::InputFile;

use crate::bot::context::{Ctx, Toast, telegram};
use crate::bot::intake::HandleError;
use crate::bot::{keyboards, qr, texts};
use crate::log_targets::BOT;
use crate::payment::messages::{
    CancelOutcome, CancelPayment, CheckPayment, Invoice, InvoiceShown, PaymentProblem,
    PaymentState, StartQris,
};

/// Creates the gateway transaction for a payment row in `creating`.
pub async fn start_qris(ctx: &Ctx<'_>, payment_id: i64) -> Result<Invoice, PaymentProblem> {
    let Some(payment) = crate::tree::payment_actor(&ctx.services.registry) else {
        return Err(PaymentProblem::GatewayUnavailable(
            "the payment actor is restarting".into(),
        ));
    };
    payment
        .send(StartQris { payment_id })
        .await
        .map_err(|e| PaymentProblem::GatewayUnavailable(e.to_string()))?
}

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

/// Sends the invoice photo (QR from `payment_number`, `caption`, *Cek Status* / *Batalkan*)
/// and registers it with PaymentActor. When the photo cannot be made or sent, the payment is
/// cancelled (its stock released) so nothing stays reserved behind an invoice nobody sees.
pub async fn send_invoice(
    ctx: &Ctx<'_>,
    invoice: &Invoice,
    caption: String,
) -> Result<(), HandleError> {
    let png = match qr::qr_png(&invoice.payment_number) {
        Ok(png) => png,
        Err(e) => {
            log::error!(target: BOT, "QR for payment {}: {e}", invoice.payment_id);
            cancel_quietly(ctx, invoice.payment_id).await;
            ctx.send(texts::QR_FAILED).await?;
            return Ok(());
        }
    };
    let sent = ctx
        .bot
        .send_photo(
            ctx.chat,
            InputFile::memory(png).file_name(format!("qris-{}.png", invoice.gateway_order_id)),
        )
        .caption(caption)
        .reply_markup(with_pay_link(
            keyboards::invoice(invoice.payment_id),
            &invoice.pay_url,
        ))
        .await;
    let message = match sent {
        Ok(m) => m,
        Err(e) => {
            log::warn!(target: BOT, "sending the invoice of payment {} failed: {e}; cancelling it", invoice.payment_id);
            cancel_quietly(ctx, invoice.payment_id).await;
            return Err(telegram(e));
        }
    };
    if let Some(payment) = crate::tree::payment_actor(&ctx.services.registry) {
        let shown = InvoiceShown {
            payment_id: invoice.payment_id,
            chat_id: ctx.chat.0,
            message_id: i64::from(message.id.0),
        };
        if let Err(e) = payment.send(shown).await {
            log::warn!(target: BOT, "registering the invoice of payment {}: {e}", invoice.payment_id);
        }
    }
    Ok(())
}

/// Adds *Bayar di Pakasir* (the gateway's hosted payment page) under the invoice buttons.
fn with_pay_link(
    markup: teloxide_core::types::InlineKeyboardMarkup,
    pay_url: &str,
) -> teloxide_core::types::InlineKeyboardMarkup {
    match pay_url.parse() {
        Ok(url) => markup.append_row(vec![teloxide_core::types::InlineKeyboardButton::url(
            texts::BTN_PAY_ON_PAKASIR,
            url,
        )]),
        Err(_) => markup,
    }
}

async fn cancel_quietly(ctx: &Ctx<'_>, payment_id: i64) {
    if let Some(payment) = crate::tree::payment_actor(&ctx.services.registry) {
        let cancel = CancelPayment {
            payment_id,
            user_id: ctx.user_id,
        };
        if let Ok(Err(e)) = payment.send(cancel).await {
            log::warn!(target: BOT, "cancelling payment {payment_id}: {e}");
        }
    }
}

/// *Cek Status Pembayaran*: asks the gateway through PaymentActor.
pub async fn check(ctx: &Ctx<'_>, payment_id: i64) -> Result<Toast, HandleError> {
    let Some(payment) = crate::tree::payment_actor(&ctx.services.registry) else {
        return Ok(Toast::alert(texts::STATUS_UNAVAILABLE));
    };
    let asked = payment
        .send(CheckPayment {
            payment_id,
            user_id: ctx.user_id,
        })
        .await
        .map_err(|e| HandleError::Payment(e.to_string()))?;
    Ok(match asked {
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
    })
}

/// *Batalkan* on an invoice: PaymentActor closes it (stock released, invoice cleaned up by the
/// queue) and cancels it at the gateway.
pub async fn cancel(ctx: &Ctx<'_>, payment_id: i64) -> Result<Toast, HandleError> {
    let Some(payment) = crate::tree::payment_actor(&ctx.services.registry) else {
        return Ok(Toast::alert(texts::TRY_AGAIN));
    };
    let cancelled = payment
        .send(CancelPayment {
            payment_id,
            user_id: ctx.user_id,
        })
        .await
        .map_err(|e| HandleError::Payment(e.to_string()))?;
    Ok(match cancelled {
        Ok(CancelOutcome::Cancelled) => {
            ctx.send_after_commit(texts::PAYMENT_CANCELLED, None).await;
            Toast::note(texts::PAYMENT_CANCELLED)
        }
        Ok(CancelOutcome::AlreadyPaid) => Toast::alert(texts::CANCEL_ALREADY_PAID),
        Ok(CancelOutcome::RefundedToBalance) => Toast::alert(texts::STATUS_REFUNDED),
        Err(PaymentProblem::NotFound) => Toast::stale(),
        Err(PaymentProblem::NotOpen | PaymentProblem::ClosedMeanwhile) => {
            Toast::alert(texts::PAYMENT_NOT_OPEN)
        }
        Err(PaymentProblem::NotConfigured) => Toast::alert(texts::QRIS_NOT_CONFIGURED),
        Err(PaymentProblem::CannotConfirm) => Toast::alert(texts::CANCEL_UNCONFIRMED),
        Err(PaymentProblem::UnderReview) => Toast::alert(texts::STATUS_UNDER_REVIEW),
        Err(PaymentProblem::GatewayUnavailable(_) | PaymentProblem::Store(_)) => {
            Toast::alert(texts::TRY_AGAIN)
        }
    })
}
