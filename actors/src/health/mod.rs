//! HealthActor: probes the dependencies and the host on `HEALTHCHECK_INTERVAL_*`, keeps the
//! last report where `/health/ready`, `/metrics` and `/status` read it, and — on the replica
//! holding the `health-leader` lease — alerts the owners when a check starts failing, reminds
//! them while it keeps failing and tells them when it recovers. It also forwards error logs to
//! the owners, sends the daily summary, reminds them of old credentials, answers the owner
//! bot's `/status` and `/backup`, and runs the daily log housekeeping.
//!
//! The decisions are pure and tested on their own: [`checks`] (readings → status per check),
//! [`alerts`] (status changes → one message), [`forward`] (de-duplication and rate limit).

pub mod alerts;
pub mod checks;
pub mod credentials;
pub mod forward;
pub mod owner;
pub mod probes;
pub mod summary;
pub mod system;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use actix::prelude::*;
use chrono::{TimeZone, Utc};

use crate::blocking::with_conn;
use crate::log_targets::{HEALTH, MAINTENANCE};
use crate::services::{ProbeResult, Services};
use crate::supervisor::Shutdown;

use checks::{Report, Status, Thresholds};
use probes::ProbeTargets;
use system::{HostProbe, SystemProbe};

/// Registry name.
pub const NAME: &str = "health";

/// The lease only one replica holds: it alone alerts, summarises and polls the owner bot.
pub const LEADER_LEASE: &str = "health-leader";

/// Health settings, mapped from `HealthConfig` at boot.
#[derive(Clone)]
pub struct HealthSettings {
    /// `ENABLE_AUTO_HEALTHCHECK`.
    pub enabled: bool,
    /// `HEALTHCHECK_INTERVAL_SECONDS` / `_MINUTES`.
    pub interval: Duration,
    pub thresholds: Thresholds,
    /// `ALERT_REMINDER_MINUTES`.
    pub alert_reminder: Duration,
    /// `ENABLE_OWNER_ALERTS`: forward error logs.
    pub forward_errors: bool,
    /// `OWNER_SUMMARY_TIME` (local).
    pub summary_time: chrono::NaiveTime,
    /// `CREDENTIAL_ROTATION_DAYS`.
    pub credential_rotation_days: u32,
    /// Credentials to watch: (label, fingerprint). Fingerprints only, never the secret.
    pub credentials: Vec<(String, String)>,
    /// Host readings (tests inject fixed ones).
    pub system: Arc<dyn SystemProbe>,
}

impl std::fmt::Debug for HealthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthSettings")
            .field("enabled", &self.enabled)
            .field("interval", &self.interval)
            .field("thresholds", &self.thresholds)
            .finish_non_exhaustive()
    }
}

impl Default for HealthSettings {
    fn default() -> Self {
        HealthSettings {
            enabled: true,
            interval: Duration::from_secs(300),
            thresholds: Thresholds::default(),
            alert_reminder: Duration::from_secs(3600),
            forward_errors: true,
            summary_time: chrono::NaiveTime::from_hms_opt(21, 0, 0).unwrap_or_default(),
            credential_rotation_days: 90,
            credentials: Vec::new(),
            system: Arc::new(HostProbe::default()),
        }
    }
}

/// The last run, for `/health/ready`, `/metrics` and `/status`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Snapshot {
    pub report: Report,
    pub disk_used_ratio: Option<f64>,
    pub memory_used_ratio: Option<f64>,
    pub cpu_percent: Option<f64>,
    /// `backup.last_success_at` (epoch ms).
    pub backup_last_success_at: Option<i64>,
    /// True when this replica holds the `health-leader` lease.
    pub leader: bool,
}

/// Where the last [`Snapshot`] is kept; shared by the actor, HTTP and metrics.
#[derive(Debug, Clone, Default)]
pub struct HealthBoard(Arc<RwLock<Option<Snapshot>>>);

impl HealthBoard {
    /// The last run, if any.
    pub fn get(&self) -> Option<Snapshot> {
        self.0.read().ok().and_then(|s| s.clone())
    }

    /// Publishes a run.
    pub fn set(&self, snapshot: Snapshot) {
        if let Ok(mut s) = self.0.write() {
            *s = Some(snapshot);
        }
    }
}

/// The snapshot of a finished run.
pub fn snapshot_of(readings: &checks::Readings, report: Report, leader: bool) -> Snapshot {
    Snapshot {
        report,
        disk_used_ratio: readings
            .disk
            .as_ref()
            .and_then(|d| d.as_ref().ok())
            .map(|d| d.used_ratio()),
        memory_used_ratio: readings
            .memory
            .as_ref()
            .and_then(|m| m.as_ref().ok())
            .map(|m| m.used_ratio()),
        cpu_percent: readings.cpu.as_ref().and_then(|c| c.as_ref().ok()).copied(),
        backup_last_success_at: readings.backup.as_ref().and_then(|b| b.last_success_at),
        leader,
    }
}

/// Runs the probes now (also sent by the interval timer).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct ProbeNow;

/// Runs every health check now (the interval timer sends it; tests may too).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct RunChecks;

/// See the module docs.
pub struct HealthActor {
    services: Services,
    last_db_ok: Option<bool>,
    running: bool,
    /// The last CPU reading was above the limit.
    cpu_high: bool,
    /// Did this replica hold the lease at its last run (for alerts while the database is down).
    was_leader: bool,
    /// Alert states kept in memory while the database (where they normally live) is down.
    offline_alerts: alerts::AlertStates,
    leader: Arc<AtomicBool>,
    forwarder: forward::Limiter,
}

impl HealthActor {
    /// Builds a fresh actor (called by the supervisor on every start).
    pub fn new(services: Services) -> HealthActor {
        HealthActor {
            services,
            last_db_ok: None,
            running: false,
            cpu_high: false,
            was_leader: false,
            offline_alerts: BTreeMap::new(),
            leader: Arc::new(AtomicBool::new(false)),
            forwarder: forward::Limiter::default(),
        }
    }

    fn health(&self) -> &HealthSettings {
        &self.services.settings.health
    }
}

impl Actor for HealthActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.notify(ProbeNow);
        ctx.run_interval(self.services.settings.db_probe_interval, |_, ctx| {
            ctx.notify(ProbeNow)
        });
        if self.health().enabled {
            ctx.notify(RunChecks);
            ctx.run_interval(self.health().interval, |_, ctx| ctx.notify(RunChecks));
        }
        if self.health().forward_errors {
            ctx.run_interval(forward::DRAIN_EVERY, |act, ctx| act.drain_forwarded(ctx));
        }
        owner::start_owner_bot(self, ctx);
        run_maintenance(&self.services);
        let first = until_next_local(&self.services.settings.timezone, 0, 5);
        ctx.run_later(first, |act, ctx| {
            run_maintenance(&act.services);
            ctx.run_interval(Duration::from_secs(24 * 3600), |act, _| {
                run_maintenance(&act.services)
            });
        });
    }
}

fn run_maintenance(services: &Services) {
    let hook = services.maintenance.clone();
    // Compressing logs is file I/O: off the actor thread.
    tokio::task::spawn_blocking(move || hook());
    log::debug!(target: MAINTENANCE, "daily maintenance scheduled");
}

/// Time until the next local `hh:mm` in `tz`.
pub fn until_next_local(tz: &chrono_tz::Tz, hour: u32, minute: u32) -> Duration {
    let now = Utc::now().with_timezone(tz);
    let today = now.date_naive().and_hms_opt(hour, minute, 0);
    let next = today
        .and_then(|t| tz.from_local_datetime(&t).earliest())
        .filter(|t| *t > now)
        .or_else(|| {
            let tomorrow = now.date_naive().succ_opt()?.and_hms_opt(hour, minute, 0)?;
            tz.from_local_datetime(&tomorrow).earliest()
        });
    next.and_then(|t| (t - now).to_std().ok())
        .unwrap_or(Duration::from_secs(24 * 3600))
}

impl Handler<ProbeNow> for HealthActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: ProbeNow, _ctx: &mut Self::Context) -> Self::Result {
        let services = self.services.clone();
        let probe = async move {
            let result = tokio::time::timeout(
                Duration::from_secs(5),
                with_conn(&services.pool, autoorder_schema::db::ping),
            )
            .await;
            let (ok, detail) = match result {
                Ok(Ok(())) => (true, "ok".to_string()),
                Ok(Err(e)) => (false, e.to_string()),
                Err(_) => (false, "timed out after 5 s".to_string()),
            };
            let probe = ProbeResult {
                ok,
                detail,
                at: autoorder_schema::now_ms(),
            };
            services.state.set_db_probe(probe.clone());
            probe
        };
        Box::pin(probe.into_actor(self).map(|probe, act, _| {
            if act.last_db_ok != Some(probe.ok) {
                if probe.ok {
                    log::info!(target: HEALTH, "database: ok");
                } else {
                    log::error!(target: HEALTH, "database: failing: {}", probe.detail);
                }
            }
            act.last_db_ok = Some(probe.ok);
        }))
    }
}

/// The probe targets of the running process.
pub fn targets_of(services: &Services) -> ProbeTargets {
    let s = &services.settings;
    ProbeTargets {
        pool: Some(services.pool.clone()),
        database_error: None,
        telegram: Some((
            s.telegram.api_url.clone(),
            s.telegram.bot_token.expose().clone(),
        )),
        data_dir: s.data_dir.clone(),
        log_dir: s.log_dir.clone(),
        system: s.health.system.clone(),
        registry: Some(services.registry.clone()),
        migrations: false,
    }
}

/// What a run did, handed back to the actor.
struct RunOutcome {
    report: Report,
    database_ok: bool,
    leader: bool,
    cpu_high: bool,
}

/// One full run: probe, publish, log, and (leader only) alert, summarise, remind.
async fn run_once(services: Services, was_leader: bool, cpu_was_high: bool) -> RunOutcome {
    let health = services.settings.health.clone();
    let readings = probes::gather(&targets_of(&services)).await;
    let now = autoorder_schema::now_ms();
    let mut checks = checks::evaluate(&readings, &health.thresholds, now);
    let cpu_high = checks::confirm_cpu(&mut checks, cpu_was_high);
    let report = Report::new(checks, now);
    let database_ok = matches!(readings.database, Some(Ok(())));
    let leader = database_ok && acquire_leader(&services, &health).await;
    services
        .metrics
        .health
        .set(snapshot_of(&readings, report.clone(), leader));
    log_run(&report);
    if leader {
        leader_duties(&services, &health, &report, now, !was_leader).await;
    }
    RunOutcome {
        report,
        database_ok,
        leader,
        cpu_high,
    }
}

async fn acquire_leader(services: &Services, health: &HealthSettings) -> bool {
    use autoorder_schema::queries::leases::try_acquire_lease;
    let holder = services.instance_id.to_string();
    // Outlives two missed runs, so a busy leader keeps it; a dead one loses it soon enough.
    let ttl = (health.interval * 3)
        .max(Duration::from_secs(30))
        .as_millis() as i64;
    with_conn(&services.pool, move |c| {
        try_acquire_lease(c, LEADER_LEASE, &holder, ttl)
    })
    .await
    .unwrap_or(false)
}

async fn leader_duties(
    services: &Services,
    health: &HealthSettings,
    report: &Report,
    now: i64,
    newly_leader: bool,
) {
    let checks = report.checks.clone();
    let reminder = health.alert_reminder.as_millis() as i64;
    let result = with_conn(&services.pool, move |c| {
        use autoorder_schema::queries::settings::{get_setting, set_setting};
        if get_setting(c, probes::FIRST_SEEN_KEY)?.is_none() {
            set_setting(c, probes::FIRST_SEEN_KEY, &now.to_string())?;
        }
        alerts::apply(c, &checks, now, reminder)
    })
    .await;
    match result {
        Ok(Some(text)) => {
            log::warn!(target: HEALTH, "owners alerted: {}", text.replace('\n', " | "));
            services.wake_queue();
        }
        Ok(None) => {}
        Err(e) => log::warn!(target: HEALTH, "could not record alerts: {e}"),
    }
    if newly_leader {
        log::info!(target: HEALTH, "this replica now holds {LEADER_LEASE}");
    }
    credentials::check(services, health, now).await;
    summary::maybe_send(services, health, now).await;
}

fn log_run(report: &Report) {
    let line = report
        .checks
        .iter()
        .map(|c| format!("{}={} ({})", c.name, c.status.as_str(), c.detail))
        .collect::<Vec<_>>()
        .join("; ");
    match report.status {
        Status::Ok => log::info!(target: HEALTH, "run: ok; {line}"),
        Status::Degraded => log::info!(target: HEALTH, "run: degraded; {line}"),
        Status::Failing => log::warn!(target: HEALTH, "run: failing; {line}"),
    }
}

impl Handler<RunChecks> for HealthActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: RunChecks, _ctx: &mut Self::Context) -> Self::Result {
        if self.running {
            return Box::pin(actix::fut::ready(()));
        }
        self.running = true;
        let services = self.services.clone();
        let fut = run_once(services, self.was_leader, self.cpu_high);
        Box::pin(fut.into_actor(self).map(|outcome, act, ctx| {
            act.running = false;
            act.cpu_high = outcome.cpu_high;
            act.leader.store(outcome.leader, Ordering::SeqCst);
            if outcome.database_ok {
                act.was_leader = outcome.leader;
                if !act.offline_alerts.is_empty() {
                    // The database is back: tell the owners directly what the queue could not.
                    act.offline_alert(ctx, &outcome.report);
                }
            } else if act.was_leader {
                act.offline_alert(ctx, &outcome.report);
            }
        }))
    }
}

impl HealthActor {
    /// Alerts while the database is down: the queue lives there, so the last leader sends
    /// straight through the owner bot, with the state machine kept in memory.
    fn offline_alert(&mut self, ctx: &mut Context<Self>, report: &Report) {
        let now = report.at;
        let reminder = self.health().alert_reminder.as_millis() as i64;
        let plan = alerts::plan(&self.offline_alerts, &report.checks, now, reminder);
        self.offline_alerts = plan.states.clone();
        if report.check(checks::names::DATABASE).map(|c| c.status) != Some(Status::Failing) {
            // Back online: whatever is still failing is handed to the persisted machine.
            self.offline_alerts.clear();
        }
        let Some(text) = plan.message(now) else {
            return;
        };
        let services = self.services.clone();
        ctx.spawn(
            async move {
                let reached = owner::send_direct(&services, &text).await;
                log::warn!(target: HEALTH, "database down: owners alerted directly ({reached} reached)");
            }
            .into_actor(self),
        );
    }

    fn drain_forwarded(&mut self, ctx: &mut Context<Self>) {
        let events = forward::drain();
        let now = autoorder_schema::now_ms();
        let Some(text) = self.forwarder.admit(events, now) else {
            return;
        };
        let services = self.services.clone();
        ctx.spawn(
            async move {
                let key = format!("log-forward:{}:{now}", services.instance_id);
                let result = with_conn(&services.pool, move |c| {
                    alerts::enqueue_owner_notice(c, &key, &text)
                })
                .await;
                match result {
                    Ok(_) => services.wake_queue(),
                    Err(e) => log::warn!(target: HEALTH, "could not forward error logs: {e}"),
                }
            }
            .into_actor(self),
        );
    }

    /// True when this replica held the lease at its last run.
    pub fn is_leader(&self) -> bool {
        self.leader.load(Ordering::SeqCst)
    }
}

impl Handler<Shutdown> for HealthActor {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
