//! Command line (clap).

use std::path::PathBuf;

use autoorder_schema::secret::Secret;
use clap::{Parser, Subcommand};

/// autoorder — Telegram auto-order shop bot runtime.
#[derive(Debug, Parser)]
#[command(name = "autoorder", version, about)]
pub struct Cli {
    /// Optional TOML configuration file; environment variables win over it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// log4rs YAML file (default: conf/log4rs.yaml when it exists, else built-in).
    #[arg(long, global = true, value_name = "FILE")]
    pub log_config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot: migrate, start the actor tree and the HTTP server.
    Run,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Broadcast to reachable customers (sent by the running bot's queue).
    Broadcast {
        #[command(subcommand)]
        command: BroadcastCommand,
    },
    /// Import or export the catalog: categories, products and stock.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Encrypted, verified backups: create, list, verify, restore, drill, prune, keygen.
    Backup {
        #[command(subcommand)]
        command: BackupCommand,
    },
    /// Move a store from the Python bot (bot-auto-order): customers and balances, catalog and
    /// stock, orders, payments and deposits, vouchers, SNK and templates — all or nothing, and
    /// a second run adds nothing. Stop the old bot first; run with --dry-run first.
    ImportLegacy {
        /// The old bot's PostgreSQL database: postgres://USER:PASSWORD@HOST:PORT/DATABASE (also
        /// read from LEGACY_DATABASE_URL).
        #[arg(long, value_name = "URL", env = "LEGACY_DATABASE_URL", hide_env_values = true, value_parser = secret)]
        from: Secret<String>,
        /// Check everything and show what would be imported, with every note; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The old bot.env's DATA_ENCRYPTION_KEY, to bring the SNK answers it encrypted (also
        /// read from LEGACY_DATA_ENCRYPTION_KEY); without it they are skipped and counted.
        #[arg(long, value_name = "KEY", env = "LEGACY_DATA_ENCRYPTION_KEY", hide_env_values = true, value_parser = secret)]
        legacy_key: Option<Secret<String>>,
    },
    /// The go-live checklist, verified live: configuration, Telegram, owners, Pakasir, database,
    /// keys, backups and drills, headroom, logs, clock. Exit 0 only when nothing fails.
    Preflight {
        /// Print JSON (`{"items":[{"name","status","detail","fix"}]}`).
        #[arg(long)]
        json: bool,
    },
    /// Rotate DATA_ENCRYPTION_KEY: which key each stored value uses, and re-encrypting them
    /// under the first key of the ring.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Probe the dependencies once; exit 0 ok, 1 degraded, 2 failing (for cron or a container
    /// HEALTHCHECK).
    Healthcheck {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Prove every rupiah is accounted for: balances equal ledgers, every ledger row and
    /// completed payment is justified, paid orders hold their items, voucher counts match.
    /// Exit 0 clean, 1 with discrepancies (each named), 2 when it could not check.
    Reconcile {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Also ask Pakasir about every completed or recently closed QRIS payment.
        #[arg(long)]
        gateway: bool,
    },
}

/// `autoorder config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration, reporting every problem at once.
    Check,
}

/// `autoorder keys …`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Count the stored encrypted values by the key that wrote them.
    Status {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Re-encrypt every value under the first key of DATA_ENCRYPTION_KEY (resumable: run it
    /// again after an interruption); afterwards the other keys can be removed.
    Rotate {
        /// Values read per transaction.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        batch: u32,
    },
}

/// `autoorder broadcast …`
#[derive(Debug, Subcommand)]
pub enum BroadcastCommand {
    /// Create a broadcast: one job per reachable customer of the audience (default: all).
    Send {
        /// Message text (the caption when a photo is given).
        #[arg(long)]
        text: String,
        /// A photo to send with the text (JPEG/PNG/WebP, at most 10 MB).
        #[arg(long, value_name = "FILE")]
        photo: Option<PathBuf>,
        /// Only reachable customers who bought this product (its code).
        #[arg(long, value_name = "CODE", conflicts_with = "active_days")]
        buyers_of: Option<String>,
        /// Only reachable customers active in the last N days (1–365).
        #[arg(long, value_name = "N")]
        active_days: Option<u32>,
    },
    /// Progress: sent, failed, blocked, pending (the newest broadcast when no id is given).
    Status {
        id: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Stop sending until resumed.
    Pause { id: i64 },
    /// Continue a paused broadcast.
    Resume { id: i64 },
    /// Stop for good; pending recipients are not sent to.
    Cancel { id: i64 },
}

/// `autoorder catalog …`
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Add and update categories and products and add stock from a TOML file (see
    /// conf/catalog.example.toml). All or nothing: every problem is reported as FILE:LINE and
    /// nothing is written until there is none.
    Import {
        /// The catalog file (TOML).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Make every check, the database's included, and show what would change; write
        /// nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the catalog: TOML (imports back) or CSV (for spreadsheets; one row per product,
    /// or per unsold stock item with --include-stock).
    Export {
        /// Output format.
        #[arg(long, value_parser = ["toml", "csv"], default_value = "toml")]
        format: String,
        /// Include the unsold stock items, decrypted: the output then holds secrets.
        #[arg(long)]
        include_stock: bool,
        /// Write to this file (owner-only when it holds stock) instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// `autoorder backup …`
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Back up the database, the configuration and the logs (encrypted, checked).
    Create {
        /// Why (shown by `backup list`).
        #[arg(long)]
        reason: Option<String>,
        /// Also copy to the offsite targets (BACKUP_OFFSITE_DIR, BACKUP_S3_*).
        #[arg(long)]
        offsite: bool,
    },
    /// Every backup on every target, newest first, with its state.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Check archives against their checksums (no key needed); --deep also decrypts and
    /// checks every file and the dump.
    Verify {
        /// One backup (all when omitted).
        id: Option<String>,
        #[arg(long)]
        deep: bool,
        /// age identity file for public-key backups (repeatable).
        #[arg(long, value_name = "FILE")]
        identity: Vec<PathBuf>,
    },
    /// Replace the database with a backup (a safety snapshot is taken first).
    Restore {
        id: String,
        /// Confirm: the current data is replaced.
        #[arg(long)]
        yes: bool,
        /// Restore into another database (postgres://… or an SQLite path) instead.
        #[arg(long, value_name = "URL")]
        target_url: Option<String>,
        #[arg(long, value_name = "FILE")]
        identity: Vec<PathBuf>,
        /// Restore even while the PostgreSQL database is in use (a running bot's leases or
        /// other connections).
        #[arg(long)]
        force: bool,
        /// Also put the archive's configuration and logs back, under this directory.
        #[arg(long, value_name = "DIR")]
        files_to: Option<PathBuf>,
        /// Replace files that already exist under --files-to (refused otherwise).
        #[arg(long, requires = "files_to")]
        overwrite_files: bool,
    },
    /// Restore into a scratch database and compare row counts with the metadata.
    Drill {
        id: String,
        #[arg(long, value_name = "FILE")]
        identity: Vec<PathBuf>,
    },
    /// Delete old backups by the BACKUP_KEEP_* policy.
    Prune {
        #[arg(long)]
        dry_run: bool,
    },
    /// Make an age identity (private key) for BACKUP_RECIPIENTS.
    Keygen {
        /// Write the identity here (created with mode 0600) instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// A command-line value that must never be printed (URLs with passwords, keys).
fn secret(value: &str) -> Result<Secret<String>, std::convert::Infallible> {
    Ok(Secret::new(value.to_string()))
}
