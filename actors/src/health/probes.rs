//! Gathers one run's [`Readings`]: Telegram `getMe`, one database round trip that also reads
//! the queue, the payment streak and the backup state, and the host readings. Shared by
//! HealthActor and `autoorder healthcheck` (which has no actor tree, so no `registry`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use teloxide_core::prelude::*;

use autoorder_schema::queries::jobs::{job_counts, oldest_due_age_ms};
use autoorder_schema::queries::settings::get_setting;
use autoorder_schema::queries::shop::payments::gateway_failure_streak;
use autoorder_schema::{DbConnection, Pool, StoreError};

use super::checks::{BackupState, JobsState, Readings};
use super::system::SystemProbe;
use crate::supervisor::Registry;

/// Settings keys the BackupActor writes.
pub mod backup_keys {
    pub const LAST_SUCCESS_AT: &str = "backup.last_success_at";
    pub const LAST_SIZE_BYTES: &str = "backup.last_size_bytes";
    pub const LAST_ID: &str = "backup.last_id";
    pub const LAST_DRILL_AT: &str = "backup.last_drill_at";
    pub const LAST_DRILL_OK: &str = "backup.last_drill_ok";
    pub const LAST_ERROR: &str = "backup.last_error";
}

/// When HealthActor first ran against this store (backup grace for new stores).
pub const FIRST_SEEN_KEY: &str = "health.first_seen_at";

/// How long the database part of a run may take.
pub const DB_TIMEOUT: Duration = Duration::from_secs(5);
/// How long `getMe` may take.
pub const TELEGRAM_TIMEOUT: Duration = Duration::from_secs(10);

/// What a run probes.
#[derive(Clone)]
pub struct ProbeTargets {
    /// `None` when the pool could not even be opened (`database_error` says why).
    pub pool: Option<Pool>,
    pub database_error: Option<String>,
    /// Bot API base URL and token for `getMe`.
    pub telegram: Option<(String, String)>,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    pub system: Arc<dyn SystemProbe>,
    pub registry: Option<Registry>,
    /// Also report pending migrations.
    pub migrations: bool,
}

/// Everything read from the database in one checkout.
#[derive(Debug, Clone, Default)]
struct DbReadings {
    pending: Option<usize>,
    jobs: JobsState,
    streak: u32,
    backup: BackupState,
}

fn read_db(conn: &mut DbConnection, migrations: bool) -> Result<DbReadings, StoreError> {
    autoorder_schema::db::ping(conn)?;
    let pending = if migrations {
        Some(autoorder_schema::migrations::pending_migrations(conn)?.len())
    } else {
        None
    };
    // A store whose migrations never ran has no tables to read yet.
    if pending.is_some_and(|n| n > 0) {
        return Ok(DbReadings {
            pending,
            ..DbReadings::default()
        });
    }
    let counts = job_counts(conn)?;
    let sum = |state: &str| -> i64 {
        counts
            .iter()
            .filter(|(_, s, _)| s == state)
            .map(|(_, _, n)| n)
            .sum()
    };
    let jobs = JobsState {
        oldest_due_ms: oldest_due_age_ms(conn)?,
        dead: sum("dead"),
        waiting: sum("available"),
    };
    let streak = gateway_failure_streak(conn)?;
    Ok(DbReadings {
        pending,
        jobs,
        streak,
        backup: read_backup(conn)?,
    })
}

/// The backup state as the BackupActor recorded it.
pub fn read_backup(conn: &mut DbConnection) -> Result<BackupState, StoreError> {
    use backup_keys::*;
    let mut get = |key: &str| get_setting(conn, key);
    let num = |v: Option<String>| v.and_then(|v| v.trim().parse::<i64>().ok());
    Ok(BackupState {
        last_success_at: num(get(LAST_SUCCESS_AT)?),
        last_size_bytes: num(get(LAST_SIZE_BYTES)?),
        last_id: get(LAST_ID)?,
        last_drill_at: num(get(LAST_DRILL_AT)?),
        last_drill_ok: get(LAST_DRILL_OK)?.map(|v| v.trim() == "1"),
        last_error: get(LAST_ERROR)?.filter(|e| !e.trim().is_empty()),
        store_first_seen_at: num(get(FIRST_SEEN_KEY)?),
    })
}

/// Runs every probe of `targets` concurrently.
pub async fn gather(targets: &ProbeTargets) -> Readings {
    let db = async {
        let Some(pool) = targets.pool.clone() else {
            return Err(targets
                .database_error
                .clone()
                .unwrap_or_else(|| "no database".into()));
        };
        let migrations = targets.migrations;
        let work = tokio::task::spawn_blocking(move || {
            let mut conn = autoorder_schema::checkout(&pool)?;
            read_db(&mut conn, migrations)
        });
        match tokio::time::timeout(DB_TIMEOUT, work).await {
            Ok(Ok(Ok(r))) => Ok(r),
            Ok(Ok(Err(e))) => Err(e.to_string()),
            Ok(Err(e)) => Err(format!("probe task failed: {e}")),
            Err(_) => Err(format!("no answer within {} s", DB_TIMEOUT.as_secs())),
        }
    };
    let telegram = async {
        let (url, token) = targets.telegram.as_ref()?;
        Some(get_me(url, token).await)
    };
    let system = {
        let (probe, data_dir, log_dir) = (
            targets.system.clone(),
            targets.data_dir.clone(),
            targets.log_dir.clone(),
        );
        async move {
            tokio::task::spawn_blocking(move || {
                (
                    probe.disk(&data_dir),
                    probe.memory(),
                    probe.cpu(),
                    probe.dir_size(&log_dir),
                )
            })
            .await
            .map_err(|e| e.to_string())
        }
    };
    let (db, telegram, system) = tokio::join!(db, telegram, system);
    let (disk, memory, cpu, log_bytes) = match system {
        Ok(r) => (r.0, r.1, r.2, r.3),
        Err(e) => (Err(e.clone()), Err(e.clone()), Err(e.clone()), Err(e)),
    };
    let mut readings = Readings {
        telegram,
        disk: Some(disk),
        memory: Some(memory),
        cpu: Some(cpu),
        log_bytes: Some(log_bytes),
        actors: targets.registry.as_ref().map(Registry::snapshot),
        ..Readings::default()
    };
    match db {
        Ok(r) => {
            readings.database = Some(Ok(()));
            readings.migrations_pending = r.pending;
            if r.pending.is_none_or(|n| n == 0) {
                readings.jobs = Some(r.jobs);
                readings.payment_streak = Some(r.streak);
                readings.backup = Some(r.backup);
            }
        }
        Err(e) => readings.database = Some(Err(e)),
    }
    readings
}

/// `getMe` through the Bot API; errors never carry the token.
pub async fn get_me(api_url: &str, token: &str) -> Result<String, String> {
    let bot = crate::telegram::bot(api_url, token)?;
    match tokio::time::timeout(TELEGRAM_TIMEOUT, bot.get_me().into_future()).await {
        Ok(Ok(me)) => Ok(me.username.clone().unwrap_or_default()),
        Ok(Err(e)) => Err(crate::telegram::redact(&e.to_string(), token)),
        Err(_) => Err(format!("no answer within {} s", TELEGRAM_TIMEOUT.as_secs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::checks::{DiskUsage, MemoryUsage, Status, Thresholds, evaluate, names};
    use crate::health::system::FixedProbe;
    use autoorder_schema::db::Backend;
    use autoorder_schema::testing::TestDatabase;

    fn fixed(disk_avail: u64, mem_used: u64) -> Arc<dyn SystemProbe> {
        Arc::new(FixedProbe {
            disk: Ok(DiskUsage {
                total_bytes: 100,
                available_bytes: disk_avail,
                used_bytes: 0,
            }),
            memory: Ok(MemoryUsage {
                used_bytes: mem_used,
                limit_bytes: 100,
                container: true,
            }),
            cpu: Ok(10.0),
            dir_size: Ok(1024),
        })
    }

    fn targets(pool: Option<Pool>, system: Arc<dyn SystemProbe>) -> ProbeTargets {
        ProbeTargets {
            pool,
            database_error: None,
            telegram: None,
            data_dir: std::env::temp_dir(),
            log_dir: std::env::temp_dir(),
            system,
            registry: None,
            migrations: true,
        }
    }

    fn status(r: &Readings, name: &str) -> Status {
        evaluate(r, &Thresholds::default(), autoorder_schema::now_ms())
            .into_iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .status
    }

    #[tokio::test]
    async fn injected_disk_and_memory_readings_pass_and_fail() {
        let (_db, pool) = TestDatabase::migrated(Backend::Sqlite);
        let ok = gather(&targets(Some(pool.clone()), fixed(50, 50))).await;
        for name in [
            names::DATABASE,
            names::MIGRATIONS,
            names::DISK,
            names::MEMORY,
            names::CPU,
            names::LOGS,
            names::BACKUP,
            names::QUEUE,
            names::PAYMENTS,
        ] {
            assert_eq!(status(&ok, name), Status::Ok, "{name}");
        }
        let bad = gather(&targets(Some(pool), fixed(5, 95))).await;
        assert_eq!(status(&bad, names::DISK), Status::Failing);
        assert_eq!(status(&bad, names::MEMORY), Status::Failing);
    }

    #[tokio::test]
    async fn backup_state_is_read_from_settings() {
        let (_db, pool) = TestDatabase::migrated(Backend::Sqlite);
        {
            let mut conn = autoorder_schema::checkout(&pool).unwrap();
            use autoorder_schema::queries::settings::set_setting;
            let old = autoorder_schema::now_ms() - 3 * 24 * 3600 * 1000;
            set_setting(&mut conn, backup_keys::LAST_SUCCESS_AT, &old.to_string()).unwrap();
            set_setting(&mut conn, backup_keys::LAST_DRILL_OK, "0").unwrap();
            set_setting(&mut conn, backup_keys::LAST_DRILL_AT, &old.to_string()).unwrap();
        }
        let r = gather(&targets(Some(pool), fixed(50, 50))).await;
        assert_eq!(status(&r, names::BACKUP), Status::Failing, "stale");
        assert_eq!(status(&r, names::DRILL), Status::Degraded);
    }

    #[tokio::test]
    async fn an_unreachable_or_stopped_database_fails() {
        // Nothing listens on port 9: the server is unreachable.
        let target = autoorder_schema::DbTarget::Postgres(
            "postgres://nobody:pw@127.0.0.1:9/none".to_string(),
        );
        let options = autoorder_schema::PoolOptions {
            max_size: 1,
            connection_timeout: Duration::from_secs(1),
        };
        let (pool, err) = match autoorder_schema::open_pool(&target, &options) {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let mut t = targets(pool, fixed(50, 50));
        t.database_error = err;
        let r = gather(&t).await;
        assert_eq!(status(&r, names::DATABASE), Status::Failing);
        assert!(
            r.backup.is_none(),
            "nothing read from a database that is down"
        );
    }

    #[tokio::test]
    async fn telegram_fails_when_the_api_is_gone() {
        // A port nothing listens on: the Bot API went away.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let mut t = targets(None, fixed(50, 50));
        t.telegram = Some((url, "123:secret-token-value".into()));
        let r = gather(&t).await;
        assert_eq!(status(&r, names::TELEGRAM), Status::Failing);
        let detail = format!("{:?}", r.telegram);
        assert!(!detail.contains("secret-token-value"), "{detail}");
    }

    #[tokio::test]
    async fn telegram_passes_against_the_double() {
        let double = autoorder_doubles::TelegramDouble::start();
        let mut t = targets(None, fixed(50, 50));
        t.telegram = Some((double.base_url(), "123456:AAtest-token".into()));
        let r = gather(&t).await;
        assert_eq!(status(&r, names::TELEGRAM), Status::Ok, "{:?}", r.telegram);
        double.stop();
        let r = gather(&t).await;
        assert_eq!(status(&r, names::TELEGRAM), Status::Failing);
    }
}
