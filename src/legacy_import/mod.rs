//! `autoorder import-legacy --from URL [--dry-run] [--legacy-key KEY]`: moves a store from the
//! Python bot `moccalatte/bot-auto-order` into the configured database, all or nothing.
//!
//! Layout: [`source`] reads the old PostgreSQL database in one read-only snapshot (diesel
//! `sql_query`, no other client); [`convert`] turns its rows into the schema crate's typed
//! [`LegacyStore`] (cents to Rupiah, statuses, codes, [`templates`], SNK answers decrypted with
//! [`legacy_key`]); the schema crate's
//! [`import_legacy`](autoorder_schema::queries::legacy::import_legacy) writes it in one
//! transaction, recording every old id so a second run adds nothing; [`report`] draws the
//! progress bar and prints the summary, the notes and the problems.
//!
//! Exit codes: 0 imported (or, with `--dry-run`, importable), 1 problems (each named as
//! `TABLE #ID FIELD: reason`; nothing written), and the usual 1 with `error: …` when the old
//! database cannot be read.

mod convert;
mod legacy_key;
mod report;
mod source;
mod templates;

use autoorder_schema::queries::legacy::{ImportMode, LegacyStore, import_legacy};
use autoorder_schema::secret::Secret;
use autoorder_schema::{Pool, StoreError, checkout, now_ms};
use thiserror::Error;

use crate::config::{Config, ensure_data_keys};

pub use templates::PAYMENT_SUCCESS;

/// Exit code when the old store has problems (nothing was imported).
pub const EXIT_PROBLEMS: i32 = 1;

/// Why the import could not run at all.
#[derive(Debug, Error)]
pub enum LegacyImportError {
    /// `--from` is not a PostgreSQL URL.
    #[error(
        "--from: expected the old bot's database as postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    )]
    NotPostgres,
    /// The old database cannot be reached (the message never holds the URL).
    #[error("cannot connect to the old database (--from): {0}")]
    Connect(String),
    /// Reading the old database failed.
    #[error("reading the old database: {0}")]
    Read(#[source] diesel::result::Error),
    /// `--legacy-key` is not a Fernet key.
    #[error(
        "--legacy-key: not a Fernet key; expected the old bot.env's DATA_ENCRYPTION_KEY \
         (32 bytes in base64, 44 characters)"
    )]
    LegacyKey,
    /// Writing into this store failed (nothing was written).
    #[error("importing: {0}")]
    Store(#[from] StoreError),
}

/// What `import-legacy` was asked to do.
#[derive(Debug)]
pub struct ImportArgs {
    /// The old database's URL: it holds a password.
    pub from: Secret<String>,
    pub dry_run: bool,
    /// The old bot's `DATA_ENCRYPTION_KEY`.
    pub legacy_key: Option<Secret<String>>,
}

/// Runs the import; returns the exit code.
pub fn run(config: &Config, pool: &Pool, args: &ImportArgs) -> anyhow::Result<i32> {
    let url = args.from.expose();
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(LegacyImportError::NotPostgres.into());
    }
    let legacy_key = args
        .legacy_key
        .as_ref()
        .map(|k| legacy_key::LegacyKey::parse(k.expose()))
        .transpose()?;
    let keys = ensure_data_keys(config)?;
    let shown = shown_url(url);

    eprintln!("reading {shown}");
    let mut legacy = source::connect(url)?;
    let raw = source::read(&mut legacy)?;
    drop(legacy);
    let converted = convert::convert(
        &raw,
        &convert::Options {
            legacy_key: legacy_key.as_ref(),
            snk_retention_days: config.snk_retention_days,
            now: now_ms(),
        },
    );

    // With problems of its own the store is still checked against ours (in a dry run), so
    // every problem shows in one run.
    let mode = if args.dry_run || !converted.problems.is_empty() {
        ImportMode::DryRun
    } else {
        ImportMode::Write
    };
    let bar = report::Bar::default();
    let mut conn = checkout(pool).map_err(LegacyImportError::Store)?;
    let outcome = import_legacy(&mut conn, &keys, &converted.store, mode, &bar)
        .map_err(LegacyImportError::Store);
    bar.finish();
    let mut problems = converted.problems;
    let report = match outcome? {
        Ok(report) => report,
        Err(issues) => {
            problems.extend(issues);
            Default::default()
        }
    };
    if !problems.is_empty() {
        report::print_problems(&mut std::io::stderr().lock(), &problems)?;
        return Ok(EXIT_PROBLEMS);
    }
    let mut notes = converted.notes;
    notes.extend(report.notes.iter().cloned());
    summary(&shown, &converted.store, &report, &notes, args.dry_run)?;
    Ok(0)
}

fn summary(
    shown: &str,
    store: &LegacyStore,
    report: &autoorder_schema::queries::legacy::ImportReport,
    notes: &[autoorder_schema::queries::legacy::LegacyIssue],
    dry_run: bool,
) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    report::print_summary(&mut out, shown, store, report, notes, dry_run)?;
    out.flush()
}

use std::io::Write as _;

/// The URL without its password, for messages.
fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "the old database".to_string();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let path = path.split('?').next().unwrap_or_default();
    let host = match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{user}@{host}")
        }
        None => authority.to_string(),
    };
    format!("{scheme}://{host}{path}")
}

#[cfg(test)]
mod tests {
    use super::shown_url;

    #[test]
    fn shown_urls_hold_no_password() {
        assert_eq!(
            shown_url("postgres://bot:s3cret@db.local:5432/shop?sslmode=require&password=x"),
            "postgres://bot@db.local:5432/shop"
        );
        assert_eq!(shown_url("postgres://db/shop"), "postgres://db/shop");
    }
}
