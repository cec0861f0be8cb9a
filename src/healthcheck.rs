//! `autoorder healthcheck [--json]`: runs the HealthActor's probes once against this store and
//! exits 0 ok, 1 degraded, 2 failing. The judgement is the running bot's own
//! ([`autoorder_actors::health::checks`]), so cron and the owner alerts agree; only the actor
//! tree (which lives in the running process) is not probed here.

use std::sync::Arc;
use std::time::Duration;

use autoorder_actors::health::checks::{Thresholds, confirm_cpu, evaluate};
use autoorder_actors::health::probes::{ProbeTargets, gather};
use autoorder_actors::health::system::HostProbe;

pub use autoorder_actors::health::checks::{Check, Report, Status};

use crate::config::Config;

/// Runs every probe once.
pub async fn probe(config: &Config) -> Report {
    let target = crate::boot::db_target(config);
    let opened = tokio::task::spawn_blocking(move || {
        let options = autoorder_schema::PoolOptions {
            max_size: 1,
            connection_timeout: Duration::from_secs(3),
        };
        autoorder_schema::open_pool(&target, &options)
    })
    .await;
    let (pool, database_error) = match opened {
        Ok(Ok(pool)) => (Some(pool), None),
        Ok(Err(e)) => (None, Some(e.to_string())),
        Err(e) => (None, Some(e.to_string())),
    };
    let targets = ProbeTargets {
        pool,
        database_error,
        telegram: Some((
            config.telegram.api_url.clone(),
            config.telegram.bot_token.expose().clone(),
        )),
        data_dir: config.data_dir.clone(),
        log_dir: config.log_dir.clone(),
        system: Arc::new(HostProbe::default()),
        registry: None,
        migrations: true,
    };
    let readings = gather(&targets).await;
    let h = &config.health;
    let thresholds = Thresholds {
        cpu_percent: h.cpu_threshold,
        memory_percent: h.memory_threshold,
        disk_percent: h.disk_threshold,
        log_mb: h.log_usage_threshold_mb,
        backup_enabled: config.backup.enabled,
        payment_streak: config.pakasir.failure_alert_threshold,
        ..Thresholds::default()
    };
    let now = autoorder_schema::now_ms();
    let mut checks = evaluate(&readings, &thresholds, now);
    // One sample cannot show sustained load: a high reading is degraded here.
    confirm_cpu(&mut checks, false);
    Report::new(checks, now)
}

/// Renders a report for a terminal.
pub fn render_table(report: &Report) -> String {
    let mut out = String::new();
    for c in &report.checks {
        out.push_str(&format!(
            "{:<12} {:<9} {}\n",
            c.name,
            c.status.as_str(),
            c.detail
        ));
    }
    out.push_str(&format!("overall: {}\n", report.status.as_str()));
    out
}
