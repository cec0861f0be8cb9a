//! The pure part of health: raw probe readings in, one [`Check`] per probe out.
//!
//! Nothing here does I/O, so every threshold and every edge (no backup yet, a stale one, a
//! failed drill, a stuck queue) is unit-tested with plain values.

use serde::{Deserialize, Serialize};

use crate::supervisor::{ChildInfo, ChildStatus};

/// Severity of a check. Only `Failing` alerts the owners; `Degraded` is shown in `/status`,
/// `/health/ready`, `/metrics` and makes `autoorder healthcheck` exit 1.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Ok,
    Degraded,
    Failing,
}

impl Status {
    /// The process exit code of `autoorder healthcheck` for this status.
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Ok => 0,
            Status::Degraded => 1,
            Status::Failing => 2,
        }
    }

    /// Label for JSON, metrics and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Degraded => "degraded",
            Status::Failing => "failing",
        }
    }
}

/// One probe's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub detail: String,
}

impl Check {
    fn new(name: &str, status: Status, detail: impl Into<String>) -> Check {
        Check {
            name: name.to_string(),
            status,
            detail: detail.into(),
        }
    }
}

/// Every check of one run; the overall status is the worst one.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Report {
    pub status: Status,
    pub checks: Vec<Check>,
    /// When the run finished (epoch ms).
    pub at: i64,
}

impl Report {
    /// A report over `checks`.
    pub fn new(checks: Vec<Check>, at: i64) -> Report {
        let status = checks.iter().map(|c| c.status).max().unwrap_or_default();
        Report { status, checks, at }
    }

    /// The check called `name`, if it ran.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

/// Names of the checks, as they appear in alerts, JSON and metric labels.
pub mod names {
    pub const TELEGRAM: &str = "telegram";
    pub const DATABASE: &str = "database";
    pub const MIGRATIONS: &str = "migrations";
    pub const DISK: &str = "disk";
    pub const MEMORY: &str = "memory";
    pub const CPU: &str = "cpu";
    pub const LOGS: &str = "logs";
    pub const BACKUP: &str = "backup";
    pub const DRILL: &str = "drill";
    pub const QUEUE: &str = "queue";
    pub const DEAD_JOBS: &str = "dead_jobs";
    pub const PAYMENTS: &str = "payments";
    pub const ACTORS: &str = "actors";
}

/// Disk usage of the filesystem holding `DATA_DIR`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DiskUsage {
    pub total_bytes: u64,
    /// Bytes available to an unprivileged process.
    pub available_bytes: u64,
    /// Bytes in use (total less free); 0 when unknown.
    #[serde(default)]
    pub used_bytes: u64,
}

impl DiskUsage {
    /// Fraction used (0..=1) as `df` reports it: used against what an unprivileged process
    /// could ever have (used + available), so blocks reserved for root, or a filesystem
    /// that reports more blocks than it can hand out, do not count as used.
    pub fn used_ratio(&self) -> f64 {
        if self.used_bytes > 0 {
            let usable = self.used_bytes.saturating_add(self.available_bytes);
            return self.used_bytes as f64 / usable as f64;
        }
        if self.total_bytes == 0 {
            return 0.0;
        }
        1.0 - (self.available_bytes.min(self.total_bytes) as f64 / self.total_bytes as f64)
    }
}

/// Memory in use against the limit that applies to the process (the cgroup limit when there is
/// one, else the host's memory).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MemoryUsage {
    pub used_bytes: u64,
    pub limit_bytes: u64,
    /// True when the limit came from the container's cgroup.
    pub container: bool,
}

impl MemoryUsage {
    /// Fraction used (0..=1).
    pub fn used_ratio(&self) -> f64 {
        if self.limit_bytes == 0 {
            return 0.0;
        }
        self.used_bytes as f64 / self.limit_bytes as f64
    }
}

/// What the backup engineer's BackupActor records in `settings` (`backup.*`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupState {
    pub last_success_at: Option<i64>,
    pub last_size_bytes: Option<i64>,
    pub last_id: Option<String>,
    pub last_drill_at: Option<i64>,
    pub last_drill_ok: Option<bool>,
    pub last_error: Option<String>,
    /// When the health actor first saw this store (backup grace period for new stores).
    pub store_first_seen_at: Option<i64>,
}

/// Queue backlog.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobsState {
    /// Age of the oldest due job still waiting (ms).
    pub oldest_due_ms: i64,
    pub dead: i64,
    pub waiting: i64,
}

/// Raw readings of one run; `None` means "not probed here" (the CLI has no actor tree), and
/// the check is left out of the report.
#[derive(Debug, Clone, Default)]
pub struct Readings {
    /// `getMe`: the bot's username, or why it failed.
    pub telegram: Option<Result<String, String>>,
    pub database: Option<Result<(), String>>,
    /// Pending migration count.
    pub migrations_pending: Option<usize>,
    pub disk: Option<Result<DiskUsage, String>>,
    pub memory: Option<Result<MemoryUsage, String>>,
    /// Percent of the CPU available to the process (0..=100).
    pub cpu: Option<Result<f64, String>>,
    pub log_bytes: Option<Result<u64, String>>,
    pub backup: Option<BackupState>,
    pub jobs: Option<JobsState>,
    pub payment_streak: Option<u32>,
    pub actors: Option<Vec<ChildInfo>>,
}

/// Limits the readings are judged against.
#[derive(Debug, Clone)]
pub struct Thresholds {
    pub cpu_percent: u8,
    pub memory_percent: u8,
    pub disk_percent: u8,
    pub log_mb: u64,
    /// `ENABLE_AUTO_BACKUP`: without it, a missing backup is not a problem of this process.
    pub backup_enabled: bool,
    /// How often backups are scheduled; stale after twice this.
    pub backup_every_ms: i64,
    /// A drill older than this is degraded.
    pub drill_max_age_ms: i64,
    /// `PAYMENT_FAILURE_ALERT_THRESHOLD`.
    pub payment_streak: u32,
    /// Oldest due job older than this: degraded; twice this: failing.
    pub backlog_ms: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            cpu_percent: 80,
            memory_percent: 80,
            disk_percent: 85,
            log_mb: 512,
            backup_enabled: true,
            backup_every_ms: DAY_MS,
            drill_max_age_ms: 35 * DAY_MS,
            payment_streak: 3,
            backlog_ms: 10 * 60 * 1000,
        }
    }
}

const DAY_MS: i64 = 24 * 3600 * 1000;
const MB: u64 = 1024 * 1024;

/// Judges every reading that is present. `now` is epoch ms.
pub fn evaluate(r: &Readings, t: &Thresholds, now: i64) -> Vec<Check> {
    use names::*;
    let mut out = Vec::new();
    if let Some(tg) = &r.telegram {
        out.push(match tg {
            Ok(username) => Check::new(TELEGRAM, Status::Ok, format!("getMe ok (@{username})")),
            Err(e) => Check::new(TELEGRAM, Status::Failing, format!("getMe failed: {e}")),
        });
    }
    if let Some(db) = &r.database {
        out.push(match db {
            Ok(()) => Check::new(DATABASE, Status::Ok, "reachable"),
            Err(e) => Check::new(DATABASE, Status::Failing, e.clone()),
        });
    }
    if let Some(pending) = r.migrations_pending {
        out.push(if pending == 0 {
            Check::new(MIGRATIONS, Status::Ok, "up to date")
        } else {
            Check::new(
                MIGRATIONS,
                Status::Degraded,
                format!("{pending} pending: run `autoorder migrate`"),
            )
        });
    }
    if let Some(disk) = &r.disk {
        out.push(match disk {
            Ok(d) => {
                let pct = d.used_ratio() * 100.0;
                let detail = format!(
                    "{pct:.0}% used, {} free (limit {}%)",
                    human_bytes(d.available_bytes),
                    t.disk_percent
                );
                Check::new(DISK, over(pct, t.disk_percent), detail)
            }
            Err(e) => Check::new(DISK, Status::Degraded, format!("cannot read: {e}")),
        });
    }
    if let Some(mem) = &r.memory {
        out.push(match mem {
            Ok(m) => {
                let pct = m.used_ratio() * 100.0;
                let detail = format!(
                    "{pct:.0}% used, {} of {}{} (limit {}%)",
                    human_bytes(m.used_bytes),
                    human_bytes(m.limit_bytes),
                    if m.container { " container" } else { "" },
                    t.memory_percent
                );
                Check::new(MEMORY, over(pct, t.memory_percent), detail)
            }
            Err(e) => Check::new(MEMORY, Status::Degraded, format!("cannot read: {e}")),
        });
    }
    if let Some(cpu) = &r.cpu {
        out.push(match cpu {
            Ok(pct) => Check::new(
                CPU,
                over(*pct, t.cpu_percent),
                format!("{pct:.0}% busy (limit {}%)", t.cpu_percent),
            ),
            Err(e) => Check::new(CPU, Status::Degraded, format!("cannot read: {e}")),
        });
    }
    if let Some(logs) = &r.log_bytes {
        out.push(match logs {
            Ok(bytes) => {
                let status = if *bytes > t.log_mb.saturating_mul(MB) {
                    Status::Failing
                } else {
                    Status::Ok
                };
                Check::new(
                    LOGS,
                    status,
                    format!("{} (limit {} MB)", human_bytes(*bytes), t.log_mb),
                )
            }
            Err(e) => Check::new(LOGS, Status::Degraded, format!("cannot read: {e}")),
        });
    }
    if let Some(b) = &r.backup {
        out.push(backup_check(b, t, now));
        out.push(drill_check(b, t, now));
    }
    if let Some(j) = &r.jobs {
        let age = j.oldest_due_ms;
        let status = if age > 2 * t.backlog_ms {
            Status::Failing
        } else if age > t.backlog_ms {
            Status::Degraded
        } else {
            Status::Ok
        };
        out.push(Check::new(
            QUEUE,
            status,
            format!(
                "{} waiting, oldest due {}",
                j.waiting,
                human_duration(age.max(0))
            ),
        ));
        out.push(if j.dead > 0 {
            Check::new(
                DEAD_JOBS,
                Status::Degraded,
                format!("{} job(s) ran out of attempts", j.dead),
            )
        } else {
            Check::new(DEAD_JOBS, Status::Ok, "none")
        });
    }
    if let Some(streak) = r.payment_streak {
        // PaymentActor alerts the owners itself when the streak reaches the threshold (and
        // when it ends), so here it is degraded rather than failing: one alert, not two.
        out.push(if streak >= t.payment_streak {
            Check::new(
                PAYMENTS,
                Status::Degraded,
                format!("{streak} gateway failures in a row"),
            )
        } else {
            Check::new(
                PAYMENTS,
                Status::Ok,
                format!("{streak} gateway failures in a row"),
            )
        });
    }
    if let Some(actors) = &r.actors {
        out.push(actors_check(actors));
    }
    out
}

/// CPU spikes are normal; only load that stays above the limit is a failure. A reading above
/// the limit fails when the previous one (`previous_high`) was above it too, and is degraded
/// otherwise (so a one-shot `autoorder healthcheck` reports a single high sample as degraded).
pub fn confirm_cpu(checks: &mut [Check], previous_high: bool) -> bool {
    let Some(cpu) = checks.iter_mut().find(|c| c.name == names::CPU) else {
        return false;
    };
    let high = cpu.status == Status::Failing;
    if high && !previous_high {
        cpu.status = Status::Degraded;
        cpu.detail.push_str("; first reading above the limit");
    }
    high
}

fn over(pct: f64, limit: u8) -> Status {
    if pct > f64::from(limit) {
        Status::Failing
    } else {
        Status::Ok
    }
}

fn backup_check(b: &BackupState, t: &Thresholds, now: i64) -> Check {
    use names::BACKUP;
    let stale_after = 2 * t.backup_every_ms;
    match b.last_success_at {
        Some(at) => {
            let age = (now - at).max(0);
            let mut detail = format!("last success {} ago", human_duration(age));
            if let Some(size) = b.last_size_bytes {
                detail.push_str(&format!(", {}", human_bytes(size.max(0) as u64)));
            }
            if age > stale_after && t.backup_enabled {
                if let Some(e) = &b.last_error {
                    detail.push_str(&format!("; last error: {e}"));
                }
                Check::new(BACKUP, Status::Failing, format!("stale: {detail}"))
            } else {
                Check::new(BACKUP, Status::Ok, detail)
            }
        }
        None if !t.backup_enabled => Check::new(BACKUP, Status::Ok, "automatic backups disabled"),
        None => {
            // A store younger than the stale window has not missed a backup yet.
            let young = b
                .store_first_seen_at
                .is_none_or(|first| now - first <= stale_after);
            let mut detail = "no backup yet".to_string();
            if let Some(e) = &b.last_error {
                detail.push_str(&format!("; last error: {e}"));
            }
            let status = if young && b.last_error.is_none() {
                Status::Ok
            } else {
                Status::Degraded
            };
            Check::new(BACKUP, status, detail)
        }
    }
}

fn drill_check(b: &BackupState, t: &Thresholds, now: i64) -> Check {
    use names::DRILL;
    match (b.last_drill_at, b.last_drill_ok) {
        (None, _) => Check::new(DRILL, Status::Ok, "no restore drill yet"),
        (Some(at), ok) => {
            let age = (now - at).max(0);
            let ago = human_duration(age);
            if ok == Some(false) {
                Check::new(
                    DRILL,
                    Status::Degraded,
                    format!("last drill failed {ago} ago"),
                )
            } else if age > t.drill_max_age_ms {
                Check::new(DRILL, Status::Degraded, format!("last drill {ago} ago"))
            } else {
                Check::new(DRILL, Status::Ok, format!("last drill passed {ago} ago"))
            }
        }
    }
}

fn actors_check(actors: &[ChildInfo]) -> Check {
    use names::ACTORS;
    let failed: Vec<&str> = actors
        .iter()
        .filter(|c| c.status == ChildStatus::Failed)
        .map(|c| c.name)
        .collect();
    let unsettled: Vec<&str> = actors
        .iter()
        .filter(|c| matches!(c.status, ChildStatus::Restarting | ChildStatus::Starting))
        .map(|c| c.name)
        .collect();
    let restarts: u64 = actors.iter().map(|c| c.restarts).sum();
    let detail = actors
        .iter()
        .map(|c| format!("{} {} ({}×)", c.name, c.status.as_str(), c.restarts))
        .collect::<Vec<_>>()
        .join(", ");
    if !failed.is_empty() {
        Check::new(
            ACTORS,
            Status::Failing,
            format!("gave up: {}; {detail}", failed.join(", ")),
        )
    } else if !unsettled.is_empty() {
        Check::new(
            ACTORS,
            Status::Degraded,
            format!("restarting: {}; {detail}", unsettled.join(", ")),
        )
    } else {
        Check::new(
            ACTORS,
            Status::Ok,
            format!("{restarts} restart(s); {detail}"),
        )
    }
}

/// `1.5 GB`, `300 MB`, `12 KB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value >= 10.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `45 s`, `12 min`, `3 h`, `2 d`.
pub fn human_duration(ms: i64) -> String {
    let s = ms / 1000;
    if s < 120 {
        format!("{s} s")
    } else if s < 2 * 3600 {
        format!("{} min", s / 60)
    } else if s < 2 * 86_400 {
        format!("{} h", s / 3600)
    } else {
        format!("{} d", s / 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    const NOW: i64 = 1_700_000_000_000;

    fn status_of(checks: &[Check], name: &str) -> Status {
        checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no check {name}"))
            .status
    }

    fn one(r: Readings) -> Vec<Check> {
        evaluate(&r, &Thresholds::default(), NOW)
    }

    #[test]
    fn only_probed_checks_are_reported() {
        assert!(one(Readings::default()).is_empty());
        let checks = one(Readings {
            database: Some(Ok(())),
            ..Readings::default()
        });
        assert_eq!(checks.len(), 1);
    }

    #[test]
    fn telegram_and_database_fail_when_unreachable() {
        let checks = one(Readings {
            telegram: Some(Err("connection refused".into())),
            database: Some(Err("server closed the connection".into())),
            ..Readings::default()
        });
        assert_eq!(status_of(&checks, names::TELEGRAM), Status::Failing);
        assert_eq!(status_of(&checks, names::DATABASE), Status::Failing);
        let checks = one(Readings {
            telegram: Some(Ok("toko_bot".into())),
            database: Some(Ok(())),
            migrations_pending: Some(0),
            ..Readings::default()
        });
        assert!(checks.iter().all(|c| c.status == Status::Ok), "{checks:?}");
    }

    #[test]
    fn disk_fails_above_the_threshold() {
        let disk = |avail| DiskUsage {
            total_bytes: 100 * MB,
            available_bytes: avail,
            used_bytes: 0,
        };
        let ok = one(Readings {
            disk: Some(Ok(disk(20 * MB))),
            ..Readings::default()
        });
        assert_eq!(status_of(&ok, names::DISK), Status::Ok);
        let full = one(Readings {
            disk: Some(Ok(disk(10 * MB))),
            ..Readings::default()
        });
        assert_eq!(status_of(&full, names::DISK), Status::Failing);
        assert!(full[0].detail.contains("90% used"), "{}", full[0].detail);
        // As df: 65 used and 27 available of 252 reported blocks is 71 % used, not 89 %.
        let df = DiskUsage {
            total_bytes: 252,
            available_bytes: 27,
            used_bytes: 65,
        };
        assert!((df.used_ratio() - 65.0 / 92.0).abs() < 1e-9);
    }

    #[test]
    fn memory_uses_the_container_limit() {
        let mem = |used| MemoryUsage {
            used_bytes: used,
            limit_bytes: 1000 * MB,
            container: true,
        };
        let ok = one(Readings {
            memory: Some(Ok(mem(800 * MB))),
            ..Readings::default()
        });
        assert_eq!(status_of(&ok, names::MEMORY), Status::Ok);
        let high = one(Readings {
            memory: Some(Ok(mem(801 * MB))),
            ..Readings::default()
        });
        assert_eq!(status_of(&high, names::MEMORY), Status::Failing);
        assert!(high[0].detail.contains("container"));
    }

    #[test]
    fn cpu_and_logs_against_their_thresholds() {
        let r = |cpu: f64, logs: u64| Readings {
            cpu: Some(Ok(cpu)),
            log_bytes: Some(Ok(logs)),
            ..Readings::default()
        };
        let ok = one(r(79.0, 512 * MB));
        assert_eq!(status_of(&ok, names::CPU), Status::Ok);
        assert_eq!(status_of(&ok, names::LOGS), Status::Ok);
        let bad = one(r(95.0, 513 * MB));
        assert_eq!(status_of(&bad, names::CPU), Status::Failing);
        assert_eq!(status_of(&bad, names::LOGS), Status::Failing);
        let unreadable = one(Readings {
            cpu: Some(Err("no /proc".into())),
            ..Readings::default()
        });
        assert_eq!(status_of(&unreadable, names::CPU), Status::Degraded);
    }

    #[test]
    fn backup_age_grace_and_staleness() {
        let hour = 3600 * 1000;
        let b = |last: Option<i64>, first: Option<i64>| BackupState {
            last_success_at: last,
            store_first_seen_at: first,
            ..BackupState::default()
        };
        let checks = |state: BackupState| {
            one(Readings {
                backup: Some(state),
                ..Readings::default()
            })
        };
        // Fresh store: nothing missed yet.
        assert_eq!(
            status_of(&checks(b(None, Some(NOW - hour))), names::BACKUP),
            Status::Ok
        );
        // Older than the stale window and still none: degraded, not failing.
        assert_eq!(
            status_of(&checks(b(None, Some(NOW - 3 * DAY_MS))), names::BACKUP),
            Status::Degraded
        );
        // Recent backup: ok; older than twice the schedule: failing.
        assert_eq!(
            status_of(&checks(b(Some(NOW - 30 * hour), None)), names::BACKUP),
            Status::Ok
        );
        assert_eq!(
            status_of(&checks(b(Some(NOW - 49 * hour), None)), names::BACKUP),
            Status::Failing
        );
        // Disabled: nothing to say.
        let r = Readings {
            backup: Some(b(None, Some(NOW - 30 * DAY_MS))),
            ..Readings::default()
        };
        let t = Thresholds {
            backup_enabled: false,
            ..Thresholds::default()
        };
        assert_eq!(status_of(&evaluate(&r, &t, NOW), names::BACKUP), Status::Ok);
    }

    #[test]
    fn drill_failures_and_age_degrade() {
        let d = |at: Option<i64>, ok: Option<bool>| {
            one(Readings {
                backup: Some(BackupState {
                    last_success_at: Some(NOW),
                    last_drill_at: at,
                    last_drill_ok: ok,
                    ..BackupState::default()
                }),
                ..Readings::default()
            })
        };
        assert_eq!(status_of(&d(None, None), names::DRILL), Status::Ok);
        assert_eq!(
            status_of(&d(Some(NOW - DAY_MS), Some(true)), names::DRILL),
            Status::Ok
        );
        assert_eq!(
            status_of(&d(Some(NOW - DAY_MS), Some(false)), names::DRILL),
            Status::Degraded
        );
        assert_eq!(
            status_of(&d(Some(NOW - 40 * DAY_MS), Some(true)), names::DRILL),
            Status::Degraded
        );
    }

    #[test]
    fn queue_backlog_dead_jobs_and_payment_streak() {
        let r = |oldest: i64, dead: i64, streak: u32| {
            one(Readings {
                jobs: Some(JobsState {
                    oldest_due_ms: oldest,
                    dead,
                    waiting: 3,
                }),
                payment_streak: Some(streak),
                ..Readings::default()
            })
        };
        let ok = r(1000, 0, 0);
        assert!(ok.iter().all(|c| c.status == Status::Ok), "{ok:?}");
        let slow = r(11 * 60 * 1000, 1, 3);
        assert_eq!(status_of(&slow, names::QUEUE), Status::Degraded);
        assert_eq!(status_of(&slow, names::DEAD_JOBS), Status::Degraded);
        assert_eq!(status_of(&slow, names::PAYMENTS), Status::Degraded);
        assert_eq!(
            status_of(&r(21 * 60 * 1000, 0, 0), names::QUEUE),
            Status::Failing
        );
    }

    #[test]
    fn actor_states_and_restarts() {
        let child = |name: &'static str, status, restarts| ChildInfo {
            name,
            status,
            restarts,
            last_exit: None,
            since: Instant::now(),
            last_restart_at: None,
        };
        let r = |actors| {
            one(Readings {
                actors: Some(actors),
                ..Readings::default()
            })
        };
        let ok = r(vec![child("bot", ChildStatus::Running, 2)]);
        assert_eq!(status_of(&ok, names::ACTORS), Status::Ok);
        assert!(
            ok[0].detail.contains("bot running (2×)"),
            "{}",
            ok[0].detail
        );
        let restarting = r(vec![child("bot", ChildStatus::Restarting, 3)]);
        assert_eq!(status_of(&restarting, names::ACTORS), Status::Degraded);
        let failed = r(vec![
            child("bot", ChildStatus::Running, 0),
            child("queue", ChildStatus::Failed, 9),
        ]);
        assert_eq!(status_of(&failed, names::ACTORS), Status::Failing);
    }

    #[test]
    fn cpu_fails_only_when_it_stays_high() {
        let r = Readings {
            cpu: Some(Ok(99.0)),
            ..Readings::default()
        };
        let mut first = one(r.clone());
        assert!(confirm_cpu(&mut first, false));
        assert_eq!(status_of(&first, names::CPU), Status::Degraded);
        let mut second = one(r);
        assert!(confirm_cpu(&mut second, true));
        assert_eq!(status_of(&second, names::CPU), Status::Failing);
        let mut calm = one(Readings {
            cpu: Some(Ok(10.0)),
            ..Readings::default()
        });
        assert!(!confirm_cpu(&mut calm, true));
        assert_eq!(status_of(&calm, names::CPU), Status::Ok);
    }

    #[test]
    fn report_takes_the_worst_status() {
        let report = Report::new(
            vec![
                Check::new("a", Status::Ok, ""),
                Check::new("b", Status::Degraded, ""),
            ],
            NOW,
        );
        assert_eq!(report.status, Status::Degraded);
        assert_eq!(Report::new(vec![], NOW).status, Status::Ok);
        assert_eq!(human_bytes(1536 * MB), "1.5 GB");
        assert_eq!(human_duration(90 * 60 * 1000), "90 min");
    }
}
