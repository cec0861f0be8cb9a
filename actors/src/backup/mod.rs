//! BackupActor: scheduled, encrypted, verified backups. The work itself lives in [`engine`]
//! and runs on the blocking pool; the actor only decides when, holds the leader lease, and
//! reports (settings keys for health and `/metrics`, owner notices through the queue).

pub mod crypto;
pub mod engine;
pub mod metadata;
pub mod retention;
pub mod s3;
pub mod targets;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix::prelude::*;

use autoorder_schema::DbConnection;

use crate::log_targets::{BACKUP, MAINTENANCE};
use crate::services::Services;
use crate::supervisor::Shutdown;

pub use crypto::{KeyMode, Keys};
pub use engine::{BackupSettings, CreateOptions, ExtraFile};
pub use retention::RetentionPolicy;
pub use s3::S3Settings;

/// Registry name.
pub const NAME: &str = "backup";
/// Lease that makes one replica the backup leader.
const LEASE: &str = "backup";
/// How often the schedule is looked at.
const TICK: Duration = Duration::from_secs(60);

/// See the module docs.
pub struct BackupActor {
    services: Services,
    busy: Arc<AtomicBool>,
}

impl BackupActor {
    /// Builds a fresh actor (called by the supervisor on every start).
    pub fn new(services: Services) -> BackupActor {
        BackupActor {
            services,
            busy: Arc::new(AtomicBool::new(false)),
        }
    }

    fn tick(&mut self, ctx: &mut Context<Self>) {
        let Some(settings) = self.services.settings.backup.clone() else {
            return;
        };
        if !settings.auto || self.busy.swap(true, Ordering::SeqCst) {
            return;
        }
        let pool = self.services.pool.clone();
        let holder = self.services.instance_id.to_string();
        let busy = self.busy.clone();
        let work = async move {
            let result =
                tokio::task::spawn_blocking(move || scheduled_run(&pool, &holder, &settings)).await;
            if let Err(e) = result {
                log::error!(target: BACKUP, "scheduled backup task failed: {e}");
            }
            busy.store(false, Ordering::SeqCst);
        };
        ctx.spawn(work.into_actor(self));
    }
}

/// One look at the schedule; runs the daily backup when it is due and this replica leads.
fn scheduled_run(pool: &autoorder_schema::Pool, holder: &str, settings: &BackupSettings) {
    use autoorder_schema::queries::{leases, settings as kv};
    let mut conn = match autoorder_schema::checkout(pool) {
        Ok(c) => c,
        Err(e) => {
            log::warn!(target: BACKUP, "schedule check skipped: {e}");
            return;
        }
    };
    let now = chrono::Utc::now().with_timezone(&settings.timezone);
    if now.time() < settings.time {
        return;
    }
    let today = now.date_naive().to_string();
    match kv::get_setting(&mut conn, engine::keys::LAST_AUTO_DAY) {
        Ok(Some(day)) if day == today => return,
        Err(e) => {
            log::warn!(target: BACKUP, "schedule check skipped: {e}");
            return;
        }
        _ => {}
    }
    match leases::try_acquire_lease(&mut conn, LEASE, holder, 6 * 3600 * 1000) {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            log::warn!(target: BACKUP, "backup lease: {e}");
            return;
        }
    }
    let _ = kv::set_setting(&mut conn, engine::keys::LAST_AUTO_DAY, &today);
    drop(conn);
    run_and_report(
        pool,
        settings,
        "scheduled daily backup",
        settings.automatic_offsite,
    );
    if let Ok(mut conn) = autoorder_schema::checkout(pool) {
        let _ = leases::release_lease(&mut conn, LEASE, holder);
    }
}

/// Makes a backup, prunes, records the outcome and tells the owners. Blocking.
pub fn run_and_report(
    pool: &autoorder_schema::Pool,
    settings: &BackupSettings,
    reason: &str,
    offsite: bool,
) {
    let options = CreateOptions {
        reason: reason.to_string(),
        offsite,
        fail_after_bytes: None,
    };
    let result = engine::create(settings, &options, &engine::NoProgress);
    let Ok(mut conn) = autoorder_schema::checkout(pool) else {
        log::error!(target: BACKUP, "backup finished but the database is unreachable to record it");
        return;
    };
    match result {
        Ok(report) => {
            let _ = engine::record_success(&mut conn, &report.meta);
            let failed: Vec<String> = report
                .targets
                .iter()
                .filter(|t| !t.ok)
                .map(|t| format!("{}: {}", t.target, t.detail))
                .collect();
            let pruned = match engine::prune(settings, false) {
                Ok(outcomes) => outcomes.iter().map(|o| o.deleted.len()).sum::<usize>(),
                Err(e) => {
                    log::warn!(target: BACKUP, "prune refused: {e}");
                    0
                }
            };
            log::info!(
                target: BACKUP,
                "backup {} done: {} bytes in {:.1}s, {pruned} old backup(s) pruned",
                report.meta.id,
                report.meta.archive_size,
                report.elapsed.as_secs_f64()
            );
            log::info!(
                target: MAINTENANCE,
                "backup: {} created ({} bytes, {:.1}s, reason {reason:?}, offsite failures: {}); prune: {pruned} deleted",
                report.meta.id,
                report.meta.archive_size,
                report.elapsed.as_secs_f64(),
                if failed.is_empty() { "none".to_string() } else { failed.join("; ") }
            );
            let mut text = format!(
                "✅ Backup {} selesai: {:.1} MB, {} tabel, {:.0} detik.",
                report.meta.id,
                report.meta.archive_size as f64 / 1e6,
                report.meta.row_counts.len(),
                report.elapsed.as_secs_f64()
            );
            if !failed.is_empty() {
                log::error!(target: BACKUP, "backup {} offsite target(s) failed: {}", report.meta.id, failed.join("; "));
                text = format!(
                    "⚠️ Backup {} tersimpan lokal, tetapi target offsite gagal: {}",
                    report.meta.id,
                    failed.join("; ")
                );
                let _ = engine::record_failure(&mut conn, &failed.join("; "));
            }
            let _ = engine::alert_owner(&mut conn, &format!("backup:{}", report.meta.id), &text);
            maybe_drill(
                &mut conn,
                settings,
                &report.meta.id,
                autoorder_schema::now_ms(),
            );
        }
        Err(e) => {
            log::error!(target: BACKUP, "backup failed: {e}");
            log::error!(target: MAINTENANCE, "backup failed: {e}");
            let _ = engine::record_failure(&mut conn, &e);
            let _ = engine::alert_owner(
                &mut conn,
                &format!("backup-failed:{}", autoorder_schema::now_ms()),
                &format!("❌ Backup gagal: {e}"),
            );
        }
    }
}

const DAY_MS: i64 = 24 * 3600 * 1000;
/// When owners were last reminded to run a drill the bot cannot run itself.
const DRILL_REMINDED_AT: &str = "backup.drill_reminded_at";

/// The periodic restore drill (`BACKUP_DRILL_DAYS`), after a backup: when the last drill is
/// older than the period, the bot drills the backup it just made if it can open it (a
/// passphrase); with public-key backups it cannot, so owners are reminded to run one with
/// their identity, once per period. Blocking.
pub fn maybe_drill(conn: &mut DbConnection, settings: &BackupSettings, id: &str, now: i64) {
    use autoorder_schema::queries::settings as kv;
    if settings.drill_days == 0 {
        return;
    }
    let period = i64::from(settings.drill_days) * DAY_MS;
    let at = |conn: &mut DbConnection, key: &str| {
        kv::get_setting(conn, key)
            .ok()
            .flatten()
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    if now - at(conn, engine::keys::LAST_DRILL_AT) < period {
        return;
    }
    match &settings.key {
        Some(KeyMode::Passphrase(passphrase)) => {
            let keys = Keys {
                passphrase: Some(passphrase.clone()),
                identities: Vec::new(),
            };
            let result = engine::drill(settings, &keys, id, &engine::NoProgress);
            let ok = matches!(&result, Ok(r) if r.ok);
            let _ = engine::record_drill(conn, ok);
            match result {
                Ok(r) if r.ok => {
                    log::info!(target: MAINTENANCE, "drill: {id} passed ({} ms, scheduled)", r.elapsed_ms)
                }
                Ok(r) => {
                    log::error!(target: MAINTENANCE, "drill: {id} FAILED: {}", r.mismatches.join(", "));
                    let _ = engine::alert_owner(
                        conn,
                        &format!("drill-failed:{id}"),
                        &format!(
                            "❌ Latihan pemulihan backup {id} GAGAL: {}",
                            r.mismatches.join(", ")
                        ),
                    );
                }
                Err(e) => {
                    log::error!(target: MAINTENANCE, "drill: {id} failed: {e}");
                    let _ = engine::alert_owner(
                        conn,
                        &format!("drill-failed:{id}"),
                        &format!("❌ Latihan pemulihan backup {id} gagal: {e}"),
                    );
                }
            }
        }
        _ => {
            if now - at(conn, DRILL_REMINDED_AT) < period {
                return;
            }
            let _ = kv::set_setting(conn, DRILL_REMINDED_AT, &now.to_string());
            log::info!(target: MAINTENANCE, "drill: due; owners reminded (the bot holds no backup identity)");
            let _ = engine::alert_owner(
                conn,
                &format!("drill-reminder:{now}"),
                &format!(
                    "🧪 Latihan pemulihan terakhir lebih dari {} hari lalu. Bot tidak memegang kunci \
                     privat backup: jalankan `autoorder backup drill {id} --identity FILE` di mesin \
                     yang memegangnya.",
                    settings.drill_days
                ),
            );
        }
    }
}

impl Actor for BackupActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        match &self.services.settings.backup {
            Some(s) if s.auto => {
                log::info!(target: BACKUP, "backup actor ready: daily at {}", s.time.format("%H:%M"));
                ctx.run_interval(TICK, |act, ctx| act.tick(ctx));
            }
            _ => log::info!(target: BACKUP, "backup actor ready: automatic backups off"),
        }
    }
}

impl Handler<Shutdown> for BackupActor {
    type Result = ();

    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) {
        ctx.stop();
    }
}
