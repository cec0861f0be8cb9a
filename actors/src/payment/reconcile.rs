//! `autoorder reconcile --gateway`: every completed QRIS payment, and every one closed within
//! the recheck window, must agree with Pakasir's `transactiondetail` — a completed payment
//! completed there with our amount, a closed one not paid there. Disagreements are named as
//! [`DiscrepancyKind::GatewayDisagrees`]; when the gateway cannot answer, the check could not
//! be made (the caller exits 2), which is never reported as "clean".

use std::time::Duration;

use autoorder_schema::queries::reconcile::{Discrepancy, DiscrepancyKind, gateway_candidates};
use autoorder_schema::queries::shop::payments::PaymentRow;
use autoorder_schema::queries::shop::status::PaymentStatus;
use autoorder_schema::{Pool, StoreError};
use futures_util::{StreamExt, stream};

use super::pakasir::{PakasirClient, PakasirError, TxStatus};
use crate::blocking::with_conn;

/// How many detail calls run at once: polite to the gateway, quick enough for thousands.
pub const CONCURRENCY: usize = 4;

/// What the gateway cross-check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayCheck {
    /// Payments asked about.
    pub asked: usize,
    /// Where the gateway disagrees.
    pub discrepancies: Vec<Discrepancy>,
}

/// Why the cross-check could not be made.
#[derive(Debug, thiserror::Error)]
pub enum GatewayCheckError {
    #[error("reading the payments: {0}")]
    Store(#[from] StoreError),
    #[error("asking Pakasir about {payment}: {error}")]
    Gateway {
        payment: String,
        error: PakasirError,
    },
}

/// Asks the gateway about every candidate payment (see the module docs).
pub async fn check_gateway(
    pool: &Pool,
    client: &PakasirClient,
    window: Duration,
) -> Result<GatewayCheck, GatewayCheckError> {
    let window_ms = window.as_millis() as i64;
    let payments = with_conn(pool, move |c| gateway_candidates(c, window_ms)).await?;
    let asked = payments.len();
    let answers: Vec<Result<Option<Discrepancy>, GatewayCheckError>> = stream::iter(payments)
        .map(|payment| async move { judge(client, &payment).await })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut discrepancies = Vec::new();
    for answer in answers {
        if let Some(d) = answer? {
            discrepancies.push(d);
        }
    }
    discrepancies.sort_by(|a, b| a.payment.cmp(&b.payment));
    Ok(GatewayCheck {
        asked,
        discrepancies,
    })
}

async fn judge(
    client: &PakasirClient,
    payment: &PaymentRow,
) -> Result<Option<Discrepancy>, GatewayCheckError> {
    let named = |detail: String| {
        Discrepancy::new(DiscrepancyKind::GatewayDisagrees, detail)
            .payment(&payment.gateway_order_id)
            .amount(payment.amount)
    };
    let completed = payment.status == PaymentStatus::Completed;
    let detail = match client
        .detail(&payment.gateway_order_id, payment.amount)
        .await
    {
        Ok(d) => d,
        Err(PakasirError::NotFound) if completed => {
            return Ok(Some(named(
                "completed here, unknown to the gateway with this amount".into(),
            )));
        }
        Err(PakasirError::NotFound) => return Ok(None),
        Err(error) => {
            return Err(GatewayCheckError::Gateway {
                payment: payment.gateway_order_id.clone(),
                error,
            });
        }
    };
    let ours = &client.config().project;
    if detail.amount != payment.amount || &detail.project != ours {
        return Ok(Some(named(format!(
            "the gateway holds {} in project {:?}",
            detail.amount, detail.project
        ))));
    }
    let paid_there = detail.status == TxStatus::Completed;
    Ok(match (completed, paid_there) {
        (true, true) | (false, false) => None,
        (true, false) => Some(named(format!(
            "completed here, {} at the gateway",
            detail.status
        ))),
        (false, true) => Some(named(format!(
            "{} here, but paid at the gateway",
            payment.status
        ))),
    })
}
