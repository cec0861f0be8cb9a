//! The payment life cycle against the gateway, shared by the callback handler, *Cek Status*,
//! the reconciliation poller and the expiry job. The rule everywhere: a payment completes only
//! after `transactiondetail` confirms it with our stored amount.

use std::time::Duration;

use autoorder_schema::StoreError;
use autoorder_schema::queries::shop::payments::{
    CloseReason, Closed, Completion, Confirmed, GatewayInvoice, PaymentRow, close_payment,
    complete_payment, find_payment, load_payment, record_gateway_failure, record_gateway_invoice,
    record_gateway_success,
};
use autoorder_schema::queries::shop::status;

use super::messages::{Invoice, PaymentProblem, PaymentState};
use super::pakasir::{
    Detail, PakasirClient, PakasirConfig, PakasirError, PaymentMethod, TxStatus, estimate_qris_fee,
};
use crate::blocking::with_conn;
use crate::log_targets::PAYMENT;
use crate::services::{PakasirSettings, Services};

/// The gateway client plus the alert threshold.
#[derive(Clone)]
pub struct Gateway {
    pub client: PakasirClient,
    pub failure_alert_threshold: u32,
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
        })
    }
}

fn store(e: StoreError) -> PaymentProblem {
    PaymentProblem::Store(e.to_string())
}

/// Counts a gateway failure (owners are alerted at the threshold) or ends a streak.
async fn note_gateway<T>(services: &Services, gateway: &Gateway, result: &Result<T, PakasirError>) {
    let outcome = match result {
        Ok(_) => with_conn(&services.pool, record_gateway_success)
            .await
            .map(|_| ()),
        // A clear answer (not found, rejected) means the gateway is up.
        Err(e) if !e.is_transient() => with_conn(&services.pool, record_gateway_success)
            .await
            .map(|_| ()),
        Err(e) => {
            let (threshold, message) = (gateway.failure_alert_threshold, e.to_string());
            log::warn!(target: PAYMENT, "gateway failure: {message}");
            with_conn(&services.pool, move |c| {
                record_gateway_failure(c, threshold, &message)
            })
            .await
            .map(|_| ())
        }
    };
    if let Err(e) = outcome {
        log::warn!(target: PAYMENT, "recording the gateway outcome: {e}");
    }
    services.wake_queue();
}

/// Creates the gateway transaction for a payment row in `creating`, records the invoice and
/// schedules expiry. If the gateway cannot create it, the payment is closed (stock released).
pub async fn start_qris(
    services: &Services,
    gateway: &Gateway,
    payment_id: i64,
) -> Result<Invoice, PaymentProblem> {
    let payment = with_conn(&services.pool, move |c| load_payment(c, payment_id))
        .await
        .map_err(store)?
        .ok_or(PaymentProblem::NotFound)?;
    if payment.status != status::CREATING {
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
            let _ = with_conn(&services.pool, move |c| {
                close_payment(c, payment_id, CloseReason::Failed)
            })
            .await;
            services.wake_queue();
            return Err(PaymentProblem::GatewayUnavailable(e.to_string()));
        }
    };
    let Some(payment_number) = created.payment_number.clone() else {
        // Created, but the answer was lost and detail does not carry the QR string: nothing
        // to show. Cancel it rather than leave a payment the customer cannot see.
        let _ = gateway
            .client
            .cancel(&payment.gateway_order_id, payment.amount)
            .await;
        let _ = with_conn(&services.pool, move |c| {
            close_payment(c, payment_id, CloseReason::Failed)
        })
        .await;
        services.wake_queue();
        return Err(PaymentProblem::GatewayUnavailable(
            "no QRIS string returned".into(),
        ));
    };
    let fee = created
        .fee
        .unwrap_or_else(|| estimate_qris_fee(payment.amount));
    let total_payment = created.total_payment.unwrap_or(payment.amount + fee);
    // Never invent an expiry: without one from the gateway, fall back to its documented default.
    let expires_at = created
        .expired_at
        .map(|t| t.timestamp_millis())
        .unwrap_or_else(|| autoorder_schema::now_ms() + 15 * 60 * 1000);
    let record = GatewayInvoice {
        fee: Some(fee),
        total_payment: Some(total_payment),
        payment_number: Some(payment_number.clone()),
        expires_at,
    };
    with_conn(&services.pool, move |c| {
        record_gateway_invoice(c, payment_id, &record)
    })
    .await
    .map_err(store)?;
    services.wake_queue();
    Ok(Invoice {
        payment_id,
        gateway_order_id: payment.gateway_order_id,
        amount: payment.amount,
        fee,
        total_payment,
        payment_number,
        expires_at,
    })
}

/// What the gateway says about a payment, after acting on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Completed now or before.
    Paid(Completion),
    Pending(Detail),
    Expired,
    Cancelled,
    /// The gateway does not know it.
    NotFound,
}

/// Asks the gateway about `payment` (with our stored amount) and completes it if it is paid.
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
            .map_err(|e| PakasirError::Malformed(format!("storing the completion: {e}")))?;
            services.wake_queue();
            match &completion {
                Completion::Completed { .. } => {
                    log::info!(target: PAYMENT, "{} paid", payment.gateway_order_id)
                }
                Completion::RefundedToBalance { .. } => {
                    log::warn!(target: PAYMENT, "{} paid late; refunded to balance", payment.gateway_order_id)
                }
                Completion::AmountMismatch {
                    expected,
                    confirmed,
                } => log::error!(
                    target: PAYMENT,
                    "{}: gateway amount {confirmed} differs from ours {expected}; not completed",
                    payment.gateway_order_id
                ),
                Completion::AlreadyCompleted | Completion::Unknown => {}
            }
            Ok(Confirmation::Paid(completion))
        }
        TxStatus::Expired => Ok(Confirmation::Expired),
        TxStatus::Cancelled => Ok(Confirmation::Cancelled),
        TxStatus::Pending | TxStatus::Unknown(_) => Ok(Confirmation::Pending(detail)),
    }
}

/// *Cek Status Pembayaran*.
pub async fn check(
    services: &Services,
    gateway: &Gateway,
    payment_id: i64,
    user_id: i64,
) -> Result<PaymentState, PaymentProblem> {
    let view = with_conn(&services.pool, move |c| {
        autoorder_schema::queries::shop::payments::view_payment(c, payment_id)
    })
    .await
    .map_err(store)?
    .filter(|v| v.user_id == user_id)
    .ok_or(PaymentProblem::NotFound)?;
    match view.row.status.as_str() {
        s if s == status::COMPLETED => return Ok(PaymentState::Paid),
        s if s == status::EXPIRED => return Ok(PaymentState::Expired),
        s if s == status::CANCELLED || s == status::FAILED => return Ok(PaymentState::Cancelled),
        _ => {}
    }
    match confirm(services, gateway, &view.row).await {
        Ok(Confirmation::Paid(_)) => Ok(PaymentState::Paid),
        Ok(Confirmation::Expired) => {
            expire(services, gateway, payment_id)
                .await
                .map_err(|e| PaymentProblem::GatewayUnavailable(e.to_string()))?;
            Ok(PaymentState::Expired)
        }
        Ok(Confirmation::Cancelled) => Ok(PaymentState::Cancelled),
        Ok(Confirmation::Pending(_) | Confirmation::NotFound) => Ok(PaymentState::Pending),
        Err(e) => Err(PaymentProblem::GatewayUnavailable(e.to_string())),
    }
}

/// *Batalkan*: closes the payment (stock released, invoice cleaned up), then cancels it at
/// the gateway. If the gateway says it was paid meanwhile, it completes instead.
pub async fn cancel(
    services: &Services,
    gateway: &Gateway,
    payment_id: i64,
    user_id: i64,
) -> Result<(), PaymentProblem> {
    let view = with_conn(&services.pool, move |c| {
        autoorder_schema::queries::shop::payments::view_payment(c, payment_id)
    })
    .await
    .map_err(store)?
    .filter(|v| v.user_id == user_id)
    .ok_or(PaymentProblem::NotFound)?;
    if view.row.status != status::PENDING && view.row.status != status::CREATING {
        return Err(PaymentProblem::NotOpen);
    }
    if let Ok(Confirmation::Paid(_)) = confirm(services, gateway, &view.row).await {
        return Err(PaymentProblem::NotOpen);
    }
    let closed = with_conn(&services.pool, move |c| {
        close_payment(c, payment_id, CloseReason::Cancelled)
    })
    .await
    .map_err(store)?;
    services.wake_queue();
    if let Closed::Closed(row) = closed
        && let Err(e) = gateway
            .client
            .cancel(&row.gateway_order_id, row.amount)
            .await
    {
        log::warn!(target: PAYMENT, "cancelling {} at the gateway: {e}", row.gateway_order_id);
    }
    Ok(())
}

/// What the expiry job should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpiryOutcome {
    /// Finished (expired, or found paid / already closed).
    Done,
    /// Not yet expired at the gateway (clocks differ): look again after this.
    Later(Duration),
}

/// The expiry job: confirms with the gateway first (a last-second payment completes), then
/// expires the payment, releases its stock and cancels it at the gateway.
pub async fn expire(
    services: &Services,
    gateway: &Gateway,
    payment_id: i64,
) -> Result<ExpiryOutcome, PakasirError> {
    let Some(payment) = with_conn(&services.pool, move |c| load_payment(c, payment_id))
        .await
        .map_err(|e| PakasirError::Malformed(e.to_string()))?
    else {
        return Ok(ExpiryOutcome::Done);
    };
    if payment.status != status::PENDING && payment.status != status::CREATING {
        return Ok(ExpiryOutcome::Done);
    }
    match confirm(services, gateway, &payment).await? {
        Confirmation::Paid(_) => return Ok(ExpiryOutcome::Done),
        Confirmation::Pending(_) => {
            let now = autoorder_schema::now_ms();
            if let Some(at) = payment.expires_at
                && at > now
            {
                return Ok(ExpiryOutcome::Later(Duration::from_millis(
                    (at - now) as u64,
                )));
            }
        }
        Confirmation::Expired | Confirmation::Cancelled | Confirmation::NotFound => {}
    }
    let closed = with_conn(&services.pool, move |c| {
        close_payment(c, payment_id, CloseReason::Expired)
    })
    .await
    .map_err(|e| PakasirError::Malformed(e.to_string()))?;
    services.wake_queue();
    if let Closed::Closed(row) = closed {
        log::info!(target: PAYMENT, "{} expired; stock released", row.gateway_order_id);
        if let Err(e) = gateway
            .client
            .cancel(&row.gateway_order_id, row.amount)
            .await
        {
            log::warn!(target: PAYMENT, "cancelling expired {} at the gateway: {e}", row.gateway_order_id);
        }
    }
    Ok(ExpiryOutcome::Done)
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
    if payment.status == status::COMPLETED {
        return; // a replay
    }
    if payment.amount != amount {
        log::warn!(target: PAYMENT, "callback amount {amount} for {order_id} differs from ours {}; confirming ours", payment.amount);
    }
    match confirm(services, gateway, &payment).await {
        Ok(Confirmation::Paid(_)) => {}
        Ok(Confirmation::Pending(_)) => reject("the gateway says it is still pending".into()).await,
        Ok(Confirmation::NotFound) => reject("the gateway does not know it".into()).await,
        Ok(Confirmation::Expired | Confirmation::Cancelled) => {
            reject("the gateway says it is not paid".into()).await
        }
        // Could not ask: the poller confirms later; no notice for a gateway hiccup.
        Err(e) => log::warn!(target: PAYMENT, "confirming {order_id}: {e}; the poller will retry"),
    }
}
