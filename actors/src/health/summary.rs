//! The owners' daily summary at `OWNER_SUMMARY_TIME` (local): orders and revenue, failed
//! payments, dead jobs, backups, actor restarts over the last 24 hours, and the result of the
//! daily money reconciliation (`autoorder reconcile`'s storage checks, run just before). Sent
//! once per local day by the leader (the date sent is kept in `settings`, and so is the last
//! reconciliation's result).

use chrono::{NaiveDate, TimeZone};
use diesel::prelude::*;

use autoorder_schema::StoreError;
use autoorder_schema::db::{DbConnection, write_tx};
use autoorder_schema::queries::settings::{get_setting, set_setting};
use autoorder_schema::queries::shop::status;
use autoorder_schema::tables::{jobs, orders, payments};

use super::HealthSettings;
use super::alerts::enqueue_owner_notice;
use super::checks::human_bytes;
use super::probes::read_backup;
use crate::blocking::with_conn;
use crate::format::rupiah;
use crate::log_targets::HEALTH;
use crate::services::Services;

/// The local date of the last summary sent.
pub const LAST_DATE_KEY: &str = "health.summary.last_date";
/// When the daily reconciliation last ran (epoch ms) and how many discrepancies it found.
pub const RECONCILE_AT_KEY: &str = "reconcile.last_at";
/// See [`RECONCILE_AT_KEY`].
pub const RECONCILE_FOUND_KEY: &str = "reconcile.last_discrepancies";
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Figures of one day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub orders: i64,
    pub revenue: i64,
    pub failed_payments: i64,
    pub dead_jobs: i64,
    pub backup_line: String,
    pub restarts: u64,
    /// The daily reconciliation's one-line result.
    pub reconcile_line: String,
}

/// Reads the figures of `[from, to)`.
pub fn figures(conn: &mut DbConnection, from: i64, to: i64) -> Result<Figures, StoreError> {
    let totals: Vec<i64> = orders::table
        .filter(orders::paid_at.ge(from))
        .filter(orders::paid_at.lt(to))
        .select(orders::total)
        .load(conn)?;
    let failed: i64 = payments::table
        .filter(payments::status.eq_any([status::FAILED, status::EXPIRED]))
        .filter(payments::updated_at.ge(from))
        .filter(payments::updated_at.lt(to))
        .count()
        .get_result(conn)?;
    let dead: i64 = jobs::table
        .filter(jobs::state.eq("dead"))
        .count()
        .get_result(conn)?;
    let backup = read_backup(conn)?;
    let backup_line = match backup.last_success_at {
        Some(at) if at >= from => format!(
            "berhasil{}",
            backup
                .last_size_bytes
                .map(|s| format!(" ({})", human_bytes(s.max(0) as u64)))
                .unwrap_or_default()
        ),
        Some(_) => "tidak ada backup baru".to_string(),
        None => "belum pernah".to_string(),
    };
    let backup_line = match backup.last_error {
        Some(e) => format!("{backup_line}; error terakhir: {e}"),
        None => backup_line,
    };
    Ok(Figures {
        orders: totals.len() as i64,
        revenue: totals.iter().sum(),
        failed_payments: failed,
        dead_jobs: dead,
        backup_line,
        restarts: 0,
        reconcile_line: String::new(),
    })
}

/// The summary text.
pub fn text(date: NaiveDate, f: &Figures) -> String {
    format!(
        "📊 Ringkasan {date}\n• Pesanan dibayar: {}\n• Omzet: {}\n• Pembayaran gagal/kedaluwarsa: {}\n• Job mati: {}\n• Backup: {}\n• Restart aktor: {}\n• Rekonsiliasi uang: {}",
        f.orders,
        rupiah(f.revenue),
        f.failed_payments,
        f.dead_jobs,
        f.backup_line,
        f.restarts,
        f.reconcile_line
    )
}

/// Leader duty: after the summary time, once per local day.
pub async fn maybe_send(services: &Services, health: &HealthSettings, now: i64) {
    let tz = services.settings.timezone;
    let Some(local) = chrono::DateTime::from_timestamp_millis(now).map(|t| t.with_timezone(&tz))
    else {
        return;
    };
    if local.time() < health.summary_time {
        return;
    }
    let date = local.date_naive();
    // Nothing to summarise for a store that started today after the summary time.
    let restarts: u64 = services
        .registry
        .snapshot()
        .iter()
        .map(|c| c.restarts)
        .sum();
    // The reconciliation reads the whole money history: run it only when a summary is due
    // (and in its own read transaction, before the one that records the summary).
    let today = date.to_string();
    let due = with_conn(&services.pool, move |c| {
        Ok(get_setting(c, LAST_DATE_KEY)?.as_deref() != Some(today.as_str()))
    })
    .await
    .unwrap_or(false);
    if !due {
        return;
    }
    let reconcile_line = run_reconcile(&services.pool).await;
    let result = with_conn(&services.pool, move |c| {
        write_tx(c, |c| {
            let last = get_setting(c, LAST_DATE_KEY)?;
            if last.as_deref() == Some(date.to_string().as_str()) {
                return Ok(None);
            }
            set_setting(c, LAST_DATE_KEY, &date.to_string())?;
            if last.is_none() {
                // First day seen: start the cycle without a half-day summary.
                return Ok(None);
            }
            let mut f = figures(c, now - DAY_MS, now)?;
            f.restarts = restarts;
            f.reconcile_line = reconcile_line;
            let body = text(date, &f);
            enqueue_owner_notice(c, &format!("daily-summary:{date}"), &body)?;
            Ok::<_, StoreError>(Some(body))
        })
    })
    .await;
    match result {
        Ok(Some(_)) => {
            log::info!(target: HEALTH, "daily summary for {date} enqueued");
            services.wake_queue();
        }
        Ok(None) => {}
        Err(e) => log::warn!(target: HEALTH, "daily summary failed: {e}"),
    }
}

/// Runs the daily reconciliation, keeps its result in `settings` and returns the summary line.
pub async fn run_reconcile(pool: &autoorder_schema::Pool) -> String {
    let outcome = with_conn(pool, |c| {
        let report = autoorder_schema::queries::reconcile::reconcile(c)?;
        set_setting(c, RECONCILE_AT_KEY, &autoorder_schema::now_ms().to_string())?;
        set_setting(
            c,
            RECONCILE_FOUND_KEY,
            &report.discrepancies.len().to_string(),
        )?;
        Ok(report)
    })
    .await;
    match outcome {
        Ok(report) => {
            for d in &report.discrepancies {
                log::error!(target: HEALTH, "reconcile: {d}");
            }
            report.summary_line()
        }
        Err(e) => {
            log::error!(target: HEALTH, "reconcile could not run: {e}");
            format!("tidak bisa dijalankan ({e})")
        }
    }
}

/// Epoch ms of local midnight of `date` in `tz` (tests and callers that want calendar days).
pub fn local_midnight(tz: &chrono_tz::Tz, date: NaiveDate) -> Option<i64> {
    tz.from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use autoorder_schema::db::Backend;
    use autoorder_schema::testing::TestDatabase;

    #[test]
    fn figures_of_an_empty_store_and_the_text() {
        let (_db, pool) = TestDatabase::migrated(Backend::Sqlite);
        let mut conn = autoorder_schema::checkout(&pool).unwrap();
        let now = autoorder_schema::now_ms();
        let f = figures(&mut conn, now - DAY_MS, now).unwrap();
        assert_eq!(f.orders, 0);
        assert_eq!(f.backup_line, "belum pernah");
        let date = NaiveDate::from_ymd_opt(2025, 1, 2).unwrap();
        let t = text(
            date,
            &Figures {
                orders: 3,
                revenue: 45_000,
                reconcile_line: "bersih (3 pembayaran, 2 baris saldo diperiksa)".into(),
                ..f
            },
        );
        assert!(t.contains("Pesanan dibayar: 3"), "{t}");
        assert!(t.contains("Rekonsiliasi uang: bersih"), "{t}");
        assert!(t.contains("Rp 45.000"), "{t}");
        assert!(local_midnight(&chrono_tz::Asia::Jakarta, date).is_some());
    }

    #[tokio::test]
    async fn the_daily_reconciliation_reports_and_remembers_its_result() {
        let (_db, pool) = TestDatabase::migrated(Backend::Sqlite);
        let line = run_reconcile(&pool).await;
        assert!(line.starts_with("bersih"), "{line}");
        autoorder_schema::testing::execute(
            &pool,
            "INSERT INTO users (id, first_name, balance, created_at, updated_at, last_seen_at) \
             VALUES (1, 'Budi', 5000, 0, 0, 0)",
        )
        .unwrap();
        let line = run_reconcile(&pool).await;
        assert!(
            line.starts_with("1 selisih (balance_not_ledger_sum 1)"),
            "{line}"
        );
        let mut conn = autoorder_schema::checkout(&pool).unwrap();
        assert_eq!(
            get_setting(&mut conn, RECONCILE_FOUND_KEY)
                .unwrap()
                .as_deref(),
            Some("1")
        );
        assert!(get_setting(&mut conn, RECONCILE_AT_KEY).unwrap().is_some());
    }
}
