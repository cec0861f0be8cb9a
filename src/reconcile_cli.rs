//! `autoorder reconcile [--json] [--gateway]`: proves every rupiah is accounted for.
//!
//! The storage checks are `autoorder_schema::queries::reconcile` (balances = ledgers, every
//! ledger row and completed payment justified, paid orders hold their items, voucher counts);
//! `--gateway` adds Pakasir's word on every completed or recently closed QRIS payment
//! (`autoorder_actors::payment::reconcile`). Exit 0 clean, 1 with discrepancies (each named:
//! user, order, payment, amount), 2 when it could not check (database unreachable or not
//! migrated, gateway not configured or not answering) — never "clean" by default.

use std::time::Duration;

use autoorder_actors::payment::pakasir::{PakasirClient, PakasirConfig};
use autoorder_actors::payment::reconcile::check_gateway;
use autoorder_schema::queries::reconcile::{Discrepancy, Report, reconcile};
use autoorder_schema::{PoolOptions, checkout, open_pool};
use serde::Serialize;

use crate::config::Config;

/// Exit code: every invariant holds.
pub const CLEAN: i32 = 0;
/// Exit code: discrepancies found (listed).
pub const DISCREPANCIES: i32 = 1;
/// Exit code: the check could not be made.
pub const COULD_NOT_CHECK: i32 = 2;

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Output<'a> {
    clean: bool,
    #[serde(flatten)]
    report: &'a Report,
    /// Payments Pakasir was asked about (`--gateway` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    gateway_asked: Option<usize>,
}

/// Why the check could not be made.
#[derive(Debug, thiserror::Error)]
enum CouldNotCheck {
    #[error("database: {0}")]
    Store(#[from] autoorder_schema::StoreError),
    #[error("the database has {0} pending migration(s): run `autoorder migrate` first")]
    NotMigrated(usize),
    #[error("--gateway needs PAKASIR_PROJECT_SLUG and PAKASIR_API_KEY")]
    NoGateway,
    #[error("Pakasir: {0}")]
    Gateway(String),
}

/// Runs the command; returns the exit code (0, 1 or 2 — see the module docs).
pub fn run(config: &Config, json: bool, gateway: bool) -> i32 {
    match check(config, gateway) {
        Ok((report, asked)) => {
            if json {
                let out = Output {
                    clean: report.is_clean(),
                    report: &report,
                    gateway_asked: asked,
                };
                println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            } else {
                print!("{}", render(&report, asked));
            }
            if report.is_clean() {
                CLEAN
            } else {
                DISCREPANCIES
            }
        }
        Err(e) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "clean": false, "error": e.to_string() })
                );
            }
            eprintln!("error: reconcile could not check: {e}");
            COULD_NOT_CHECK
        }
    }
}

fn check(config: &Config, gateway: bool) -> Result<(Report, Option<usize>), CouldNotCheck> {
    let target = crate::boot::db_target(config);
    let pool = open_pool(
        &target,
        &PoolOptions {
            max_size: 2,
            connection_timeout: Duration::from_secs(10),
        },
    )?;
    let mut report = {
        let mut conn = checkout(&pool)?;
        let pending = autoorder_schema::migrations::pending_migrations(&mut conn)?;
        if !pending.is_empty() {
            return Err(CouldNotCheck::NotMigrated(pending.len()));
        }
        reconcile(&mut conn)?
    };
    if !gateway {
        return Ok((report, None));
    }
    let (Some(project), Some(api_key)) = (&config.pakasir.project_slug, &config.pakasir.api_key)
    else {
        return Err(CouldNotCheck::NoGateway);
    };
    let client = PakasirClient::new(PakasirConfig::new(
        config.pakasir.base_url.clone(),
        project.clone(),
        api_key.clone(),
    ))
    .map_err(|e| CouldNotCheck::Gateway(e.to_string()))?;
    let window = Duration::from_secs(u64::from(config.pakasir.recheck_hours) * 3600);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CouldNotCheck::Gateway(e.to_string()))?;
    let found = runtime
        .block_on(check_gateway(&pool, &client, window))
        .map_err(|e| CouldNotCheck::Gateway(e.to_string()))?;
    report.discrepancies.extend(found.discrepancies);
    Ok((report, Some(found.asked)))
}

/// The human-readable report.
fn render(report: &Report, gateway_asked: Option<usize>) -> String {
    let c = &report.checked;
    let mut out = format!(
        "checked {} users, {} ledger rows, {} payments, {} orders, {} deposits, {} vouchers, {} held stock items\n",
        c.users, c.ledger_rows, c.payments, c.orders, c.deposits, c.vouchers, c.stock_items
    );
    if let Some(asked) = gateway_asked {
        out.push_str(&format!("asked Pakasir about {asked} payments\n"));
    }
    if report.is_clean() {
        out.push_str("clean: every rupiah is accounted for\n");
    } else {
        out.push_str(&format!("{} discrepancies:\n", report.discrepancies.len()));
        for d in &report.discrepancies {
            out.push_str(&format!("  {}\n", line(d)));
        }
    }
    if !report.under_review.is_empty() {
        out.push_str(&format!(
            "{} payment(s) under review (the owners were told):\n",
            report.under_review.len()
        ));
        for r in &report.under_review {
            out.push_str(&format!(
                "  {} amount={} {}: {}\n",
                r.payment, r.amount, r.status, r.reason
            ));
        }
    }
    out
}

fn line(d: &Discrepancy) -> String {
    d.to_string()
}
