//! HealthActor: probes dependencies and keeps the last results where `/health/ready`,
//! `/metrics` and (later) owner alerts read them. It also runs the daily housekeeping.

use std::time::Duration;

use actix::prelude::*;
use chrono::{TimeZone, Utc};

use crate::blocking::with_conn;
use crate::log_targets::{HEALTH, MAINTENANCE};
use crate::services::{ProbeResult, Services};
use crate::supervisor::Shutdown;

/// Registry name.
pub const NAME: &str = "health";

/// Runs the probes now (also sent by the interval timer).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct ProbeNow;

/// See the module docs.
pub struct HealthActor {
    services: Services,
    last_db_ok: Option<bool>,
}

impl HealthActor {
    /// Builds a fresh actor (called by the supervisor on every start).
    pub fn new(services: Services) -> HealthActor {
        HealthActor {
            services,
            last_db_ok: None,
        }
    }
}

impl Actor for HealthActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.notify(ProbeNow);
        ctx.run_interval(self.services.settings.db_probe_interval, |_, ctx| {
            ctx.notify(ProbeNow)
        });
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

impl Handler<Shutdown> for HealthActor {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
