//! The HTTP server (actix-web): Telegram webhook intake, probes and metrics.
//!
//! Handlers never touch the database on their own thread: every diesel call goes through the
//! blocking pool.

mod health;
mod metrics;
pub mod pakasir;
mod webhook;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpServer, web};
use prometheus_client::registry::Registry as PromRegistry;

use autoorder_actors::metrics::{HttpLabels, Metrics};
use autoorder_actors::services::RuntimeState;
use autoorder_actors::supervisor::Registry;
use autoorder_schema::Pool;
use autoorder_schema::secret::Secret;

/// Largest Telegram update body accepted (real updates are a few KiB).
pub const MAX_UPDATE_BYTES: usize = 256 * 1024;

/// What the handlers share.
pub struct AppState {
    pub pool: Pool,
    pub state: Arc<RuntimeState>,
    pub registry: Registry,
    pub metrics: Arc<Metrics>,
    pub prometheus: Arc<PromRegistry>,
    /// Expected `X-Telegram-Bot-Api-Secret-Token`.
    pub webhook_secret: Secret<String>,
    /// The secret path segment of the Pakasir callback (`None`: the route answers 404).
    pub pakasir_webhook_secret: Option<Secret<String>>,
    /// Rate limit of the Pakasir callback route.
    pub pakasir_limiter: pakasir::CallbackLimiter,
}

/// Builds the server on an already-bound listener (tests bind port 0 and read it back).
pub fn server(
    app: Arc<AppState>,
    webhook_path: String,
    listener: std::net::TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    let data = web::Data::from(app);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(from_fn(count_requests))
            .route(&webhook_path, web::post().to(webhook::telegram_webhook))
            .route(
                "/webhooks/pakasir/{secret}",
                web::post().to(pakasir::pakasir_callback),
            )
            .route("/health/live", web::get().to(health::live))
            .route("/health/ready", web::get().to(health::ready))
            .route("/metrics", web::get().to(metrics::metrics))
    })
    // Signals are handled by the process shell, which orders the whole shutdown.
    .disable_signals()
    .workers(2)
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Counts every request by route pattern (never the raw path: it may carry a secret) and status.
async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let app = req.app_data::<web::Data<AppState>>().cloned();
    let response = next.call(req).await?;
    if let Some(app) = app {
        let labels = HttpLabels {
            route,
            status: response.status().as_u16(),
        };
        app.metrics.http_requests.get_or_create(&labels).inc();
    }
    Ok(response)
}
