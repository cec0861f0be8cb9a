//! `GET /metrics`: Prometheus (OpenMetrics) text.

use actix_web::{HttpResponse, web};

use super::AppState;

/// Encodes every registered metric and collector. Some collectors read the database, so the
/// encoding runs on the blocking pool.
pub async fn metrics(app: web::Data<AppState>) -> HttpResponse {
    let registry = app.prometheus.clone();
    let encoded = web::block(move || {
        let mut body = String::new();
        prometheus_client::encoding::text::encode(&mut body, &registry).map(|()| body)
    })
    .await;
    match encoded {
        Ok(Ok(body)) => HttpResponse::Ok()
            .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
            .body(body),
        _ => HttpResponse::InternalServerError().body("metrics encoding failed"),
    }
}
