//! `POST /webhooks/pakasir/<PAKASIR_WEBHOOK_SECRET>`: the gateway's callback. It carries no
//! signature, so it is only a trigger: the secret path segment (compared in constant time)
//! and a rate limit keep strangers out, the body is checked for shape, and PaymentActor
//! confirms with `transactiondetail` before anything completes.

use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::{HttpResponse, web};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use subtle::ConstantTimeEq;

use autoorder_actors::log_targets::PAYMENT;
use autoorder_actors::payment::messages::GatewayCallback;
use autoorder_actors::payment::pakasir::parse_webhook;
use autoorder_actors::tree::payment_actor;

use super::AppState;

/// Largest callback body accepted.
const MAX_CALLBACK_BYTES: usize = 16 * 1024;

/// Shared limiter of the callback route.
pub type CallbackLimiter = Arc<DefaultDirectRateLimiter>;

/// 20 callbacks per second, bursts of 40: far above a store's real payment rate, low enough
/// that a flood cannot make the bot hammer the gateway's detail endpoint.
pub fn callback_limiter() -> CallbackLimiter {
    let per_second = NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(40).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::direct(
        Quota::per_second(per_second).allow_burst(burst),
    ))
}

fn answer(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .json(serde_json::json!({ "ok": status.is_success(), "message": message }))
}

/// The callback handler.
pub async fn pakasir_callback(
    path: web::Path<String>,
    body: web::Bytes,
    app: web::Data<AppState>,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    let Some(expected) = &app.pakasir_webhook_secret else {
        return answer(StatusCode::NOT_FOUND, "not found");
    };
    if !bool::from(path.as_bytes().ct_eq(expected.expose().as_bytes())) {
        return answer(StatusCode::NOT_FOUND, "not found");
    }
    if app.pakasir_limiter.check().is_err() {
        return answer(StatusCode::TOO_MANY_REQUESTS, "slow down");
    }
    if app.state.is_shutting_down() {
        return answer(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    if body.len() > MAX_CALLBACK_BYTES {
        return answer(StatusCode::PAYLOAD_TOO_LARGE, "too large");
    }
    let payload = match parse_webhook(&body) {
        Ok(p) => p,
        Err(e) => {
            log::warn!(target: PAYMENT, "malformed Pakasir callback rejected: {e}");
            return answer(StatusCode::BAD_REQUEST, "malformed callback");
        }
    };
    let Some(payment) = payment_actor(&app.registry) else {
        // Not lost: the reconciliation poller confirms open payments.
        return answer(StatusCode::SERVICE_UNAVAILABLE, "restarting");
    };
    payment.do_send(GatewayCallback {
        order_id: payload.order_id,
        amount: payload.amount,
        project: payload.project,
    });
    answer(StatusCode::OK, "received")
}
