//! `POST <webhook path>`: Telegram's updates. The update is stored durably, de-duplicated by
//! `update_id`, **before** the 200 answer, so a crash after answering loses nothing; when it
//! cannot be stored the answer is 503 and Telegram delivers it again.

use futures_util::StreamExt;

use actix_web::{HttpRequest, HttpResponse, web};
use subtle::ConstantTimeEq;

use autoorder_actors::bot::UpdatesStored;
use autoorder_actors::bot::polling::chat_id_of;
use autoorder_actors::log_targets::BOT;
use autoorder_actors::metrics::SourceLabels;
use autoorder_actors::tree::bot_actor;
use autoorder_schema::queries::updates::{UpdateSource, store_update};

use super::{AppState, MAX_UPDATE_BYTES};

const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

fn error(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(serde_json::json!({ "ok": false, "error": message }))
}

/// The webhook handler; see the module docs for the order of checks.
pub async fn telegram_webhook(
    req: HttpRequest,
    mut payload: web::Payload,
    app: web::Data<AppState>,
) -> HttpResponse {
    use actix_web::http::StatusCode;

    // 1. Who is calling: compare in constant time so the secret cannot be guessed byte by byte.
    let given = req
        .headers()
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let expected = app.webhook_secret.expose().as_bytes();
    if !bool::from(given.ct_eq(expected)) {
        return error(StatusCode::UNAUTHORIZED, "bad secret token");
    }
    if app.state.is_shutting_down() {
        return error(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    // 2. Size: read at most the limit, whatever Content-Length claims.
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return error(StatusCode::BAD_REQUEST, "unreadable body");
        };
        if body.len() + chunk.len() > MAX_UPDATE_BYTES {
            return error(StatusCode::PAYLOAD_TOO_LARGE, "update too large");
        }
        body.extend_from_slice(&chunk);
    }
    // 3. Shape: a JSON object with an integer update_id. Nothing else is required, so new
    //    update kinds and unknown fields pass through untouched.
    let Ok(update) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "malformed JSON");
    };
    let Some(update_id) = update.get("update_id").and_then(|v| v.as_i64()) else {
        return error(StatusCode::BAD_REQUEST, "update_id missing");
    };
    // 4. Store, then answer.
    let chat_id = chat_id_of(&update);
    let payload_text = String::from_utf8_lossy(&body).into_owned();
    let pool = app.pool.clone();
    let stored = web::block(move || {
        let mut conn = autoorder_schema::checkout(&pool)?;
        store_update(
            &mut conn,
            update_id,
            chat_id,
            &payload_text,
            UpdateSource::Webhook,
        )
    })
    .await;
    match stored {
        Ok(Ok(new)) => {
            if new {
                app.metrics
                    .updates_received
                    .get_or_create(&SourceLabels { source: "webhook" })
                    .inc();
                if let Some(bot) = bot_actor(&app.registry) {
                    bot.do_send(UpdatesStored);
                }
            } else {
                app.metrics.updates_duplicate.inc();
            }
            HttpResponse::Ok().json(serde_json::json!({ "ok": true }))
        }
        Ok(Err(e)) => {
            log::error!(target: BOT, "cannot store update {update_id}: {e}");
            error(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable")
        }
        Err(e) => {
            log::error!(target: BOT, "cannot store update {update_id}: {e}");
            error(StatusCode::SERVICE_UNAVAILABLE, "storage unavailable")
        }
    }
}
