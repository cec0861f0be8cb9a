//! Command line (clap).

use std::path::PathBuf;

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
    /// Probe the dependencies once; exit 0 ok, 1 degraded, 2 failing (for cron or a container
    /// HEALTHCHECK).
    Healthcheck {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `autoorder config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration, reporting every problem at once.
    Check,
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
