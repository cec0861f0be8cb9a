//! `autoorder catalog …`: stocks a store from a TOML file before the admin menu exists, and
//! moves a catalog between stores.
//!
//! * `catalog import FILE [--dry-run]` — all or nothing. Every problem is printed as
//!   `FILE:LINE: message` on stderr, the file's own and those only the store reveals (unknown
//!   categories, stock already stored) together, and the exit code is 1 with nothing written.
//!   On success a summary goes to stdout.
//! * `catalog export [--format toml|csv] [--include-stock] [--output FILE]` — TOML (the default)
//!   imports back; CSV is for spreadsheets. Without `--include-stock` no stock content leaves
//!   the database. With it the unsold items are decrypted, the export is recorded in the audit
//!   log, and an `--output` file is created readable by its owner only.
//!
//! Layout: this file runs the commands; [`read`] turns a TOML file into the typed
//! [`CatalogFile`](autoorder_schema::queries::catalog::CatalogFile) (with [`toml_text`], the
//! line-aware TOML reader), [`write`] turns a catalog back into TOML or CSV. The rules every
//! entry obeys and the import/export transactions live in
//! [`autoorder_schema::queries::catalog`]; `conf/catalog.example.toml` is a commented example.
//!
//! # The file
//!
//! ```toml
//! [[categories]]
//! name = "Streaming"
//!
//! [[products]]
//! code = "NF1M"                  # unique, 2–32 of A-Z 0-9 _ - (lower case is upper-cased)
//! name = "Netflix Premium 1 Bulan"
//! price = 30000                  # whole Rupiah, 1 ..= 1_000_000_000
//! category = "Streaming"         # optional; declared above or already in the store
//! description = "Akun sharing."  # optional (empty)
//! snk = "Kirim screenshot."      # optional: terms the customer answers after buying
//! archived = false               # optional: true hides the product (export writes it)
//! stock = ["email1@x.id:pass1"]  # optional: one item per entry, added to the stock
//! ```
//!
//! Text is trimmed; an empty `snk` means none. Unknown keys and tables are errors (typo
//! protection), each with a suggestion. CSV exports have the columns [`CSV_COLUMNS`]: one row
//! per product with an empty `stock` column, or one row per stock item repeating the product's
//! columns; CSV has no `archived` column and is not read back — TOML is the format that round
//! trips.

mod read;
mod toml_text;
mod write;

pub use read::{parse_catalog, read_catalog};
pub use write::{CSV_COLUMNS, to_csv, to_toml};

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use autoorder_schema::crypto::DataKeys;
use autoorder_schema::queries::audit::{ActorKind, AuditEntry, append_audit};
use autoorder_schema::queries::catalog::{
    check_catalog, export_catalog, import_catalog, store_problems,
};
use autoorder_schema::{DbConnection, Pool, StoreError, checkout, write_tx};

use crate::cli::CatalogCommand;
use crate::config::{Config, ensure_data_keys};

/// Exit code when the file has problems (nothing was imported).
pub const EXIT_PROBLEMS: i32 = 1;

/// Runs a catalog command; returns the exit code.
pub fn run(config: &Config, pool: &Pool, command: CatalogCommand) -> anyhow::Result<i32> {
    let keys = ensure_data_keys(config)?;
    let mut conn = checkout(pool)?;
    match command {
        CatalogCommand::Import { file, dry_run } => import(&mut conn, &keys, &file, dry_run),
        CatalogCommand::Export {
            format,
            include_stock,
            output,
        } => export(&mut conn, &keys, &format, include_stock, output.as_deref()),
    }
}

fn import(
    conn: &mut DbConnection,
    keys: &DataKeys,
    path: &Path,
    dry_run: bool,
) -> anyhow::Result<i32> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).with_context(|| format!("reading {name}"))?;
    let Ok(text) = String::from_utf8(bytes) else {
        eprintln!("{name}: the file is not UTF-8 text; save it as UTF-8");
        eprintln!("nothing was imported");
        return Ok(EXIT_PROBLEMS);
    };
    let (catalog, mut problems) = read_catalog(&text, &name);
    let outcome = if !problems.is_empty() {
        problems.extend(store_problems(conn, keys, &catalog)?);
        problems.sort_by_key(|p| p.line);
        Err(problems)
    } else if dry_run {
        check_catalog(conn, keys, &catalog)?
    } else {
        import_catalog(conn, keys, &catalog)?
    };
    match outcome {
        Ok(summary) => {
            let counts = format!(
                "{} categories created, {} products created, {} updated, {} unchanged, {} stock items added",
                summary.categories_created,
                summary.products_created,
                summary.products_updated,
                summary.products_unchanged,
                summary.stock_added
            );
            if dry_run {
                println!(
                    "{name} is valid; importing it would leave: {counts} (--dry-run: nothing was written)"
                );
            } else {
                println!("imported {name}: {counts}");
            }
            Ok(0)
        }
        Err(problems) => {
            for problem in &problems {
                eprintln!("{problem}");
            }
            eprintln!(
                "{} problem(s) in {name}; nothing was imported",
                problems.len()
            );
            Ok(EXIT_PROBLEMS)
        }
    }
}

fn export(
    conn: &mut DbConnection,
    keys: &DataKeys,
    format: &str,
    include_stock: bool,
    output: Option<&Path>,
) -> anyhow::Result<i32> {
    let catalog = export_catalog(conn, keys, include_stock)?;
    let text = match format {
        "csv" => to_csv(&catalog),
        _ => to_toml(&catalog),
    };
    let stock = catalog.stock_count();
    if include_stock {
        // Secrets are leaving the database: record who asked and how much.
        let destination = output.map_or_else(|| "stdout".to_string(), |p| p.display().to_string());
        write_tx(conn, |c| {
            append_audit(
                c,
                &AuditEntry {
                    actor_kind: ActorKind::Cli,
                    actor_id: None,
                    action: "catalog.export",
                    subject: Some(&destination),
                    details: serde_json::json!({
                        "format": format,
                        "include_stock": true,
                        "products": catalog.products.len(),
                        "stock_items": stock,
                    }),
                },
            )?;
            Ok::<_, StoreError>(())
        })?;
    }
    let what = format!(
        "{} categories, {} products ({} archived), {stock} stock items",
        catalog.categories.len(),
        catalog.products.len(),
        catalog.products.iter().filter(|p| p.archived).count()
    );
    match output {
        Some(path) => {
            write_file(path, text.as_bytes(), include_stock)?;
            eprintln!("exported {what} to {}", path.display());
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .context("writing to standard output")?;
            eprintln!("exported {what}");
        }
    }
    Ok(0)
}

/// Writes through a temporary file and a rename, so an interrupted export never leaves half a
/// catalog under the real name. A file holding stock is created readable by its owner only.
fn write_file(path: &Path, bytes: &[u8], secret: bool) -> anyhow::Result<()> {
    let file_name = path
        .file_name()
        .with_context(|| format!("--output {}: not a file name", path.display()))?;
    let tmp = path.with_file_name(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let result = options
        .open(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}
