//! `GET /metrics`: Prometheus (OpenMetrics) text.

use actix_web::{HttpResponse, web};

use super::AppState;

/// Encodes every registered metric and collector.
pub async fn metrics(app: web::Data<AppState>) -> HttpResponse {
    let mut body = String::new();
    match prometheus_client::encoding::text::encode(&mut body, &app.prometheus) {
        Ok(()) => HttpResponse::Ok()
            .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
            .body(body),
        Err(_) => HttpResponse::InternalServerError().body("metrics encoding failed"),
    }
}
