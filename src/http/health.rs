//! Probes. `/health/live` looks only at the process and its actor tree (a liveness probe must
//! not fail because a dependency is down, or the orchestrator would restart a healthy pod);
//! `/health/ready` checks the dependencies the bot needs to take work and shows the last
//! HealthActor run.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde_json::json;

use autoorder_schema::migrations::pending_migrations;

use super::AppState;

/// Liveness: 200 while the actor tree is up (children may be restarting), 503 once a child
/// exceeded its restart intensity.
pub async fn live(app: web::Data<AppState>) -> HttpResponse {
    let actors = app.registry.snapshot();
    let failed = app.registry.any_failed();
    let body = json!({ "status": if failed { "failing" } else { "ok" }, "actors": actors });
    if failed {
        HttpResponse::ServiceUnavailable().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}

/// Readiness: database reachable, migrations applied, not shutting down.
pub async fn ready(app: web::Data<AppState>) -> HttpResponse {
    let pool = app.pool.clone();
    let db = web::block(move || {
        let mut conn = autoorder_schema::checkout(&pool)?;
        autoorder_schema::db::ping(&mut conn)?;
        pending_migrations(&mut conn)
    });
    let (database, migrations) = match tokio::time::timeout(Duration::from_secs(3), db).await {
        Ok(Ok(Ok(pending))) if pending.is_empty() => (check(true, "ok"), check(true, "up to date")),
        Ok(Ok(Ok(pending))) => (
            check(true, "ok"),
            check(false, &format!("{} pending", pending.len())),
        ),
        Ok(Ok(Err(e))) => (check(false, &e.to_string()), check(false, "unknown")),
        Ok(Err(e)) => (check(false, &e.to_string()), check(false, "unknown")),
        Err(_) => (check(false, "timed out after 3 s"), check(false, "unknown")),
    };
    let shutting_down = app.state.is_shutting_down();
    let ok = database["ok"] == true && migrations["ok"] == true && !shutting_down;
    let body = json!({
        "status": if ok { "ready" } else { "not_ready" },
        "checks": {
            "database": database,
            "migrations": migrations,
            "shutdown": check(!shutting_down, if shutting_down { "shutting down" } else { "running" }),
        },
        "intake": app.state.intake().map(|m| format!("{m:?}").to_lowercase()),
        // The last HealthActor run (every check with its status); informational: readiness
        // itself depends only on what the bot needs to take work.
        "health": app.metrics.health.get(),
        "actors": app.registry.snapshot(),
    });
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

fn check(ok: bool, detail: &str) -> serde_json::Value {
    json!({ "ok": ok, "detail": detail })
}
