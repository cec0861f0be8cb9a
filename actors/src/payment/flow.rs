//! The payment life cycle against the gateway, shared by the callback handler, *Cek Status*,
//! *Batalkan*, the reconciliation poller and the expiry job.
//!
//! The rules everywhere:
//! * a payment completes only after `transactiondetail` confirms it with our stored amount,
//!   for our project — an answer with another amount or project, or a status we do not know,
//!   flags the payment for review instead (nothing delivered, the owners told once);
//! * nothing is closed while the gateway cannot say whether the customer paid: *Batalkan*
//!   refuses, and a closed payment is asked about again for a while (the poller), so money that
//!   arrives late is never lost;
//! * a create's answer for a payment closed meanwhile is cancelled at the gateway, never shown.
//!
//! Layout: [`Gateway`] and the failure streak; [`start_qris`]; [`confirm`] (ask, cross-check,
//! act); [`check`] (*Cek Status*); [`cancel`] (*Batalkan*); [`expire`] (the expiry job);
//! [`recheck_closed`] (the poller's second half); [`on_callback`].

use std::time::Duration;

use autoorder_schema::StoreError;
use autoorder_schema::queries::shop::payments::{
    CloseReason, Closed, Completion, Confirmed, GatewayInvoice, PaymentRow, Recorded,
    close_payment, complete_payment, find_payment, flag_for_review, load_payment, mark_checked,
    record_gateway_failure, record_gateway_invoice, record_gateway_success, view_payment,
    was_refunded,
};
use autoorder_schema::queries::shop::status::PaymentStatus;

use super::messages::{CancelOutcome, Invoice, PaymentProblem, PaymentState};
use super::pakasir::{
    Detail, PakasirClient, PakasirConfig, PakasirError, PaymentMethod, TxStatus, estimate_qris_fee,
};
use crate::blocking::with_conn;
use crate::log_targets::PAYMENT;
use crate::services::{PakasirSettings, Services};

/// How long closed payments are asked about again unless configured
/// (`PAYMENT_RECHECK_HOURS`).
pub const DEFAULT_RECHECK_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The gateway client plus the rules that depend on configuration.
#[derive(Clone)]
pub struct Gateway {
    pub client: PakasirClient,
    pub failure_alert_threshold: u32,
    /// How long after closing a payment the poller keeps asking about it.
    pub recheck_window: Duration,
}

impl Gateway {
    /// Builds the client from settings.
    pub fn new(settings: &PakasirSettings) -> Result<Gateway, PakasirError> {
        let config = PakasirConfig::new(
            settings.base_url.clone(),
            settings.project.clone(),
            settings.api_key.clone(),
        );
        Ok(Gateway {
            client: PakasirClient::new(config)?,
            failure_alert_threshold: settings.failure_alert_threshold,
            recheck_window: settings.recheck_window,
        })
    }

    /// How old a `creating` payment must be before the poller may close it: longer than any
    /// create with its retries can take, plus a minute.
    pub fn creating_min_age(&self) -> Duration {
        self.client.longest_create() + Duration::from_secs(60)
    }
}

fn store(e: StoreError) -> PaymentProblem {
    PaymentProblem::Store(e.to_string())
}

fn stored(e: StoreError) -> PakasirError {
    PakasirError::Malformed(format!("storage: {e}"))
}

/// Counts a gateway failure (owners are alerted at the threshold; at once when our
/// credentials are refused) or ends a streak.
async fn note_gateway<T>(services: &Services, gateway: &Gateway, result: &Result<T, PakasirError>) {
    let outcome = match result {
        Ok(_) => with_conn(&services.pool, record_gateway_success)
            .await
            .map(|_| ()),
        Err(e) if e.is_transient() || e.is_configuration() => {
            let threshold = if e.is_configuration() {
                1
            } else {
                gateway.failure_alert_threshold
            };
            let message = e.to_string();
            log::warn!(target: PAYMENT, "gateway failure: {message}");
            with_conn(&services.pool, move |c| {
                record_gateway_failure(c, threshold, &message)
            })
            .await
            .map(|_| ())
        }
        // A clear answer (not found, rejected) means the gateway is up.
        Err(_) => with_conn(&services.pool, record_gateway_success)
            .await
            .map(|_| ()),
    };
    if let Err(e) = outcome {
        log::warn!(target: PAYMENT, "recording the gateway outcome: {e}");
    }
    services.wake_queue();
}

/// Flags a payment for review (owners told once) and logs why.
async fn review(services: &Services, payment: &PaymentRow, reason: String) {
    log::error!(target: PAYMENT, "{}: {reason}; flagged for review, nothing delivered", payment.gateway_order_id);
    let id = payment.id;
    match with_conn(&services.pool, move |c| flag_for_review(c, id, &reason)).await {
        Ok(_) => services.wake_queue(),
        Err(e) => {
            log::error!(target: PAYMENT, "flagging {} for review: {e}", payment.gateway_order_id)
        }
    }
}

/// Best-effort cancel at the gateway (a repeated cancel is harmless; the poller re-checks).
pub(crate) async fn cancel_at_gateway(gateway: &Gateway, payment: &PaymentRow) {
    match gateway
        .client
        .cancel(&payment.gateway_order_id, payment.amount)
        .await
    {
        Ok(()) | Err(PakasirError::NotFound) => {}
        Err(e) => {
            log::warn!(target: PAYMENT, "cancelling {} at the gateway: {e}", payment.gateway_order_id)
        }
    }
}

async fn close(
    services: &Services,
    payment_id: i64,
    reason: CloseReason,
) -> Result<Closed, StoreError> {
    let closed = with_conn(&services.pool, move |c| {
        close_payment(c, payment_id, reason)
    })
    .await;
    services.wake_queue();
    closed
}

/// Creates the gateway transaction for a payment row in `creating`, cross-checks the answer,
/// records the invoice and schedules expiry. If the gateway cannot create it (or answers for
/// another amount or project) the payment is closed and its stock released; if the payment
/// was closed while the gateway call ran, the transaction is cancelled at the gateway and
/// [`PaymentProblem::ClosedMeanwhile`] returned — the caller tells the customer, and shows no QR.
pub async fn start_qris(
    services: &Services,
    gateway: &Gateway,
    payment_id: i64,
) -> Result<Invoice, PaymentProblem> {
    let payment = with_conn(&services.pool, move |c| load_payment(c, payment_id))
        .await
        .map_err(store)?
        .ok_or(PaymentProblem::NotFound)?;
    if payment.status != PaymentStatus::Creating {
        return Err(PaymentProblem::NotOpen);
    }
    let created = gateway
        .client
        .create(
            PaymentMethod::Qris,
            &payment.gateway_order_id,
            payment.amount,
        )
        .await;
    note_gateway(services, gateway, &created).await;
    let created = match created {
        Ok(c) => c,
        Err(e) => {
            log::error!(target: PAYMENT, "creating {} failed: {e}", payment.gateway_order_id);
            let _ = close(services, payment_id, CloseReason::Failed).await;
            return Err(PaymentProblem::GatewayUnavailable(e.to_string()));
        }
    };
    // Cross-check: the gateway must have created what we asked for, where we asked.
    let ours = &gateway.client.config().project;
    let mismatch = if created.amount != payment.amount {
        Some(format!(
            "the gateway created it for {} instead of {}",
            created.amount, payment.amount
        ))
    } else if created.project.as_ref().is_some_and(|p| p != ours) {
        Some(format!(
            "the gateway created it in project {:?}",
            created.project.as_deref().unwrap_or_default()
        ))
    } else if created.total_payment.is_some_and(|t| t < payment.amount) {
        Some(format!(
            "the gateway asks {} for an amount of {}",
            created.total_payment.unwrap_or_default(),
            payment.amount
        ))
    } else {
        None
    };
    if let Some(reason) = mismatch {
        review(services, &payment, reason.clone()).await;
        cancel_at_gateway(gateway, &payment).await;
        let _ = close(services, payment_id, CloseReason::Failed).await;
        return Err(PaymentProblem::GatewayUnavailable(reason));
    }
    let Some(payment_number) = created.payment_number.clone() else {
        // Created, but the answer was lost and detail does not carry the QR string: nothing
        // to show. Cancel it rather than leave a payment the customer cannot see.
        cancel_at_gateway(gateway, &payment).await;
        let _ = close(services, payment_id, CloseReason::Failed).await;
        return Err(PaymentProblem::GatewayUnavailable(
            "no QRIS string returned".into(),
        ));
    };
    // The gateway's own figures: fee and total as it said them (the formula only fills a gap
    // for display, and is never stored as the gateway's).
    let fee = created
        .fee
        .or_else(|| created.total_payment.map(|t| t - payment.amount));
    let shown_fee = fee.unwrap_or_else(|| estimate_qris_fee(payment.amount));
    let total_payment = created.total_payment.unwrap_or(payment.amount + shown_fee);
    // Never invent an expiry: without one from the gateway, fall back to its documented default.
    let expires_at = created
        .expired_at
        .map(|t| t.timestamp_millis())
        .unwrap_or_else(|| autoorder_schema::now_ms() + 15 * 60 * 1000);
    let record = GatewayInvoice {
        fee,
        total_payment: created.total_payment,
        payment_number: Some(payment_number.clone()),
        expires_at,
    };
    let recorded = with_conn(&services.pool, move |c| {
        record_gateway_invoice(c, payment_id, &record)
    })
    .await
    .map_err(store)?;
    services.wake_queue();
    if let Recorded::NotOpen(status) = recorded {
        log::warn!(target: PAYMENT, "{} was closed ({status}) while it was being created; cancelling it at the gateway", payment.gateway_order_id);
        cancel_at_gateway(gateway, &payment).await;
        return Err(PaymentProblem::ClosedMeanwhile);
    }
    let pay_url = gateway
        .client
        .payment_page_url(&payment.gateway_order_id, payment.amount)
        .map_err(|e| PaymentProblem::GatewayUnavailable(e.to_string()))?;
    Ok(Invoice {
        payment_id,
        gateway_order_id: payment.gateway_order_id,
        amount: payment.amount,
        fee: shown_fee,
        total_payment,
        payment_number,
        expires_at,
        pay_url,
    })
}

/// What the gateway says about a payment, after acting on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Paid: completed now or before, or refunded to the balance (see the [`Completion`]).
    Paid(Completion),
    Pending(Detail),
    Expired,
    Cancelled,
    /// The gateway does not know it (HTTP 404).
    NotFound,
    /// The answer did not match what we stored (amount, project) or had a status we do not
    /// know: the payment is flagged for review, nothing was completed.
    UnderReview,
}

/// Asks the gateway about `payment` (with our stored amount), cross-checks the answer and
/// completes the payment if it is paid.
pub async fn confirm(
    services: &Services,
    gateway: &Gateway,
    payment: &PaymentRow,
) -> Result<Confirmation, PakasirError> {
    let detail = gateway
        .client
        .detail(&payment.gateway_order_id, payment.amount)
        .await;
    note_gateway(services, gateway, &detail).await;
    let detail = match detail {
        Ok(d) => d,
        Err(PakasirError::NotFound) => return Ok(Confirmation::NotFound),
        Err(e) => return Err(e),
    };
    let ours = &gateway.client.config().project;
    let mismatch = if detail.amount != payment.amount {
        Some(format!(
            "the gateway reports {} for an amount of {}",
            detail.amount, payment.amount
        ))
    } else if &detail.project != ours {
        Some(format!(
            "the gateway reports it in project {:?}",
            detail.project
        ))
    } else if let TxStatus::Unknown(status) = &detail.status {
        Some(format!("the gateway reports an unknown status {status:?}"))
    } else {
        None
    };
    if let Some(reason) = mismatch {
        review(services, payment, reason).await;
        return Ok(Confirmation::UnderReview);
    }
    match detail.status {
        TxStatus::Completed => {
            let gateway_order_id = payment.gateway_order_id.clone();
            let confirmed = Confirmed {
                amount: detail.amount,
                completed_at: detail
                    .completed_at
                    .map(|t| t.timestamp_millis())
                    .unwrap_or_else(autoorder_schema::now_ms),
            };
            let threshold = services.settings.shop.low_stock_threshold;
            let completion = with_conn(&services.pool, move |c| {
                complete_payment(c, &gateway_order_id, &confirmed, threshold)
            })
            .await
            .map_err(stored)?;
            services.wake_queue();
            match &completion {
                Completion::Completed { .. } => {
                    log::info!(target: PAYMENT, "{} paid", payment.gateway_order_id)
                }
                Completion::RefundedToBalance { reason, .. } => {
                    log::warn!(target: PAYMENT, "{} paid but refunded to balance ({reason:?})", payment.gateway_order_id)
                }
                Completion::AmountMismatch {
                    expected,
                    confirmed,
                } => {
                    review(
                        services,
                        payment,
                        format!("the gateway confirmed {confirmed} for an amount of {expected}"),
                    )
                    .await;
                    return Ok(Confirmation::UnderReview);
                }
                Completion::UnderReview => return Ok(Confirmation::UnderReview),
                Completion::AlreadyCompleted | Completion::Unknown => {}
            }
            Ok(Confirmation::Paid(completion))
        }
        TxStatus::Expired => Ok(Confirmation::Expired),
        TxStatus::Cancelled => Ok(Confirmation::Cancelled),
        TxStatus::Pending | TxStatus::Unknown(_) => Ok(Confirmation::Pending(detail)),
    }
}

/// Where a completed payment ended: its order or deposit, or the balance.
async fn settled_state(services: &Services, payment: &PaymentRow) -> PaymentState {
    let gid = payment.gateway_order_id.clone();
    match with_conn(&services.pool, move |c| was_refunded(c, &gid)).await {
        Ok(true) => PaymentState::RefundedToBalance,
        _ => PaymentState::Paid,
    }
}

/// What *Batalkan* reports for a payment found paid: completed for its order (or deposit), or
/// refunded to the balance — by this call or a concurrent one.
async fn paid_outcome(
    services: &Services,
    payment: &PaymentRow,
    completion: &Completion,
) -> CancelOutcome {
    match completion {
        Completion::RefundedToBalance { .. } => CancelOutcome::RefundedToBalance,
        Completion::Completed { .. } => CancelOutcome::AlreadyPaid,
        _ => match settled_state(services, payment).await {
            PaymentState::RefundedToBalance => CancelOutcome::RefundedToBalance,
            _ => CancelOutcome::AlreadyPaid,
        },
    }
}

/// The state a closed payment shows.
fn closed_state(status: PaymentStatus) -> PaymentState {
    match status {
        PaymentStatus::Expired => PaymentState::Expired,
        _ => PaymentState::Cancelled,
    }
}

/// *Cek Status Pembayaran*: asks the gateway — also about closed payments, since money can
/// arrive after the close — and acts on the answer.
pub async fn check(
    services: &Services,
    gateway: &Gateway,
    payment_id: i64,
    user_id: i64,
) -> Result<PaymentState, PaymentProblem> {
    let view = with_conn(&services.pool, move |c| view_payment(c, payment_id))
        .await
        .map_err(store)?
        .filter(|v| v.user_id == user_id)
        .ok_or(PaymentProblem::NotFound)?;
    if view.review.is_some() {
        return Ok(PaymentState::UnderReview);
    }
    let payment = view.row;
    if payment.status == PaymentStatus::Completed {
        return Ok(settled_state(services, &payment).await);
    }
    let open = payment.status.is_open();
    match confirm(services, gateway, &payment).await {
        Ok(Confirmation::Paid(Completion::RefundedToBalance { .. })) => {
            Ok(PaymentState::RefundedToBalance)
        }
        Ok(Confirmation::Paid(_)) => Ok(settled_state(services, &payment).await),
        Ok(Confirmation::UnderReview) => Ok(PaymentState::UnderReview),
        Ok(Confirmation::Expired) if open => {
            expire(services, gateway, payment_id)
                .await
                .map_err(|e| PaymentProblem::GatewayUnavailable(e.to_string()))?;
            Ok(PaymentState::Expired)
        }
        Ok(Confirmation::Cancelled) if open => {
            close(services, payment_id, CloseReason::Cancelled)
                .await
                .map_err(store)?;
            Ok(PaymentState::Cancelled)
        }
        Ok(Confirmation::Pending(_) | Confirmation::NotFound) if open => Ok(PaymentState::Pending),
        Ok(Confirmation::Pending(_)) => {
            // Closed here but still payable there (a cancel that did not land): stop it.
            cancel_at_gateway(gateway, &payment).await;
            Ok(closed_state(payment.status))
        }
        Ok(_) => Ok(closed_state(payment.status)),
        Err(e) => Err(PaymentProblem::GatewayUnavailable(e.to_string())),
    }
}

/// *Batalkan*: cancels at the gateway first, then closes here (stock and voucher use
/// released, invoice cleaned up) — but only once the gateway confirms the customer has not
/// paid. When it cannot say, nothing is cancelled ([`PaymentProblem::CannotConfirm`]); when
/// the customer paid meanwhile, the payment completes instead.
pub async fn cancel(
    services: &Services,
    gateway: &Gateway,
    payment_id: i64,
    user_id: i64,
) -> Result<CancelOutcome, PaymentProblem> {
    let view = with_conn(&services.pool, move |c| view_payment(c, payment_id))
        .await
        .map_err(store)?
        .filter(|v| v.user_id == user_id)
        .ok_or(PaymentProblem::NotFound)?;
    if view.review.is_some() {
        return Err(PaymentProblem::UnderReview);
    }
    let payment = view.row;
    if !payment.status.is_open() {
        return Err(PaymentProblem::NotOpen);
    }
    match confirm(services, gateway, &payment).await {
        Ok(Confirmation::Paid(c)) => return Ok(paid_outcome(services, &payment, &c).await),
        Ok(Confirmation::UnderReview) => return Err(PaymentProblem::UnderReview),
        Ok(Confirmation::Pending(_) | Confirmation::NotFound) => {
            match gateway
                .client
                .cancel(&payment.gateway_order_id, payment.amount)
                .await
            {
                Ok(()) | Err(PakasirError::NotFound) => {}
                Err(e) => {
                    // Refused or unclear: perhaps paid a moment ago. Ask again.
                    log::warn!(target: PAYMENT, "cancelling {} at the gateway: {e}", payment.gateway_order_id);
                    match confirm(services, gateway, &payment).await {
                        Ok(Confirmation::Paid(c)) => {
                            return Ok(paid_outcome(services, &payment, &c).await);
                        }
                        Ok(Confirmation::Expired | Confirmation::Cancelled) => {}
                        Ok(Confirmation::UnderReview) => return Err(PaymentProblem::UnderReview),
                        Ok(Confirmation::Pending(_) | Confirmation::NotFound) | Err(_) => {
                            return Err(PaymentProblem::CannotConfirm);
                        }
                    }
                }
            }
        }
        Ok(Confirmation::Expired | Confirmation::Cancelled) => {}
        Err(e) => {
            log::warn!(target: PAYMENT, "Batalkan on {}: the gateway cannot confirm ({e}); nothing cancelled", payment.gateway_order_id);
            return Err(PaymentProblem::CannotConfirm);
        }
    }
    match close(services, payment_id, CloseReason::Cancelled)
        .await
        .map_err(store)?
    {
        Closed::Closed(_) => Ok(CancelOutcome::Cancelled),
        // Completed by a concurrent confirmation in the meantime.
        Closed::NotOpen(Some(PaymentStatus::Completed)) => {
            Ok(paid_outcome(services, &payment, &Completion::AlreadyCompleted).await)
        }
        Closed::NotOpen(_) => Err(PaymentProblem::NotOpen),
    }
}

/// What the expiry job should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpiryOutcome {
    /// Finished (expired, or found paid / already closed).
    Done,
    /// Not yet expired (clocks differ): look again after this.
    Later(Duration),
}

/// The expiry job: confirms with the gateway first (a last-second payment completes), then
/// expires the payment, releases its stock and voucher use and cancels it at the gateway. A
/// payment under review expires on our own clock (its stock is released; a person decides
/// about the money).
pub async fn expire(
    services: &Services,
    gateway: &Gateway,
    payment_id: i64,
) -> Result<ExpiryOutcome, PakasirError> {
    let Some(view) = with_conn(&services.pool, move |c| view_payment(c, payment_id))
        .await
        .map_err(stored)?
    else {
        return Ok(ExpiryOutcome::Done);
    };
    let payment = view.row;
    if !payment.status.is_open() {
        return Ok(ExpiryOutcome::Done);
    }
    let not_yet = || {
        let now = autoorder_schema::now_ms();
        payment
            .expires_at
            .filter(|at| *at > now)
            .map(|at| ExpiryOutcome::Later(Duration::from_millis((at - now) as u64)))
    };
    let under_review = view.review.is_some()
        || match confirm(services, gateway, &payment).await? {
            Confirmation::Paid(_) => return Ok(ExpiryOutcome::Done),
            Confirmation::Pending(_) => {
                if let Some(later) = not_yet() {
                    return Ok(later);
                }
                false
            }
            Confirmation::UnderReview => true,
            Confirmation::Expired | Confirmation::Cancelled | Confirmation::NotFound => false,
        };
    if under_review && let Some(later) = not_yet() {
        return Ok(later);
    }
    let closed = close(services, payment_id, CloseReason::Expired)
        .await
        .map_err(stored)?;
    if let Closed::Closed(row) = closed {
        log::info!(target: PAYMENT, "{} expired; stock released", row.gateway_order_id);
        cancel_at_gateway(gateway, &row).await;
    }
    Ok(ExpiryOutcome::Done)
}

/// The poller found a payment still `creating` long after any create could have finished
/// (the process stopped mid-call): nobody saw its QR, so nobody can pay it. Whatever the
/// gateway holds is cancelled there and the payment closed as failed (stock released); if it
/// was paid after all, the recheck of closed payments completes it.
pub async fn abandon_creating(services: &Services, gateway: &Gateway, payment: &PaymentRow) {
    cancel_at_gateway(gateway, payment).await;
    if let Err(e) = close(services, payment.id, CloseReason::Failed).await {
        log::warn!(target: PAYMENT, "closing abandoned {}: {e}", payment.gateway_order_id);
    }
}

/// The poller's second half: asks the gateway about one payment closed within the recheck
/// window. Paid after all → completed now (or refunded to the balance when its order cannot
/// take it); still payable at the gateway → cancelled there. Returns whether the gateway
/// answered (the payment is then not asked about again for a while).
pub async fn recheck_closed(
    services: &Services,
    gateway: &Gateway,
    payment: &PaymentRow,
) -> Result<Confirmation, PakasirError> {
    let confirmation = confirm(services, gateway, payment).await?;
    match &confirmation {
        Confirmation::Paid(Completion::Completed { .. }) => {
            log::warn!(target: PAYMENT, "{} was paid after it closed; completed now", payment.gateway_order_id)
        }
        Confirmation::Pending(_) => cancel_at_gateway(gateway, payment).await,
        _ => {}
    }
    let id = payment.id;
    if let Err(e) = with_conn(&services.pool, move |c| mark_checked(c, id)).await {
        log::warn!(target: PAYMENT, "recording the re-check of {}: {e}", payment.gateway_order_id);
    }
    Ok(confirmation)
}

/// A callback: only a trigger. Checks the project, finds our payment and confirms with the
/// gateway; an unconfirmed or unknown callback delivers nothing, is audited and raises an
/// owner notice.
pub async fn on_callback(
    services: &Services,
    gateway: &Gateway,
    order_id: &str,
    amount: i64,
    project: &str,
) {
    use autoorder_schema::job_kinds::{JobPayload, Notice};
    use autoorder_schema::queries::audit::{ActorKind, AuditEntry, append_audit};
    use autoorder_schema::queries::jobs::{NewJob, enqueue};

    let reject = |reason: String| {
        let services = services.clone();
        let order_id = order_id.to_string();
        async move {
            log::warn!(target: PAYMENT, "callback for {order_id} not confirmed: {reason}");
            let notice = JobPayload::Notify(Notice::UnconfirmedCallback {
                gateway_order_id: order_id.clone(),
                reason: reason.clone(),
            });
            let key = format!("notice:unconfirmed:{order_id}");
            let result = with_conn(&services.pool, move |c| {
                autoorder_schema::write_tx(c, |c| {
                    append_audit(
                        c,
                        &AuditEntry {
                            actor_kind: ActorKind::System,
                            actor_id: None,
                            action: "payment.callback_unconfirmed",
                            subject: Some(&order_id),
                            details: serde_json::json!({ "reason": reason, "amount": amount }),
                        },
                    )?;
                    enqueue(c, &NewJob::keyed(notice, key))
                })
            })
            .await;
            if let Err(e) = result {
                log::error!(target: PAYMENT, "recording an unconfirmed callback: {e}");
            }
            services.wake_queue();
        }
    };
    if project != gateway.client.config().project {
        return reject(format!("unknown project {project:?}")).await;
    }
    let id = order_id.to_string();
    let payment = match with_conn(&services.pool, move |c| find_payment(c, &id)).await {
        Ok(Some(p)) => p,
        Ok(None) => return reject("no such payment".into()).await,
        Err(e) => {
            // The reconciliation poller will find it once the database is back.
            log::error!(target: PAYMENT, "callback for {order_id}: {e}");
            return;
        }
    };
    if payment.status == PaymentStatus::Completed {
        return; // a replay
    }
    if payment.amount != amount {
        log::warn!(target: PAYMENT, "callback amount {amount} for {order_id} differs from ours {}; confirming ours", payment.amount);
    }
    match confirm(services, gateway, &payment).await {
        Ok(Confirmation::Paid(_) | Confirmation::UnderReview) => {}
        Ok(Confirmation::Pending(_)) => reject("the gateway says it is still pending".into()).await,
        Ok(Confirmation::NotFound) => reject("the gateway does not know it".into()).await,
        Ok(Confirmation::Expired | Confirmation::Cancelled) => {
            reject("the gateway says it is not paid".into()).await
        }
        // Could not ask: the poller confirms later; no notice for a gateway hiccup.
        Err(e) => log::warn!(target: PAYMENT, "confirming {order_id}: {e}; the poller will retry"),
    }
}
