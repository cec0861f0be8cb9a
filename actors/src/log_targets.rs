//! Log targets, one per component. Each gets its own daily file `LOG_DIR/<component>/`,
//! so an operator reading payment problems does not wade through bot chatter.

/// Telegram dialogs and update intake.
pub const BOT: &str = "bot";
/// Pakasir gateway calls and payment completion.
pub const PAYMENT: &str = "payment";
/// The durable job queue and outbound sends.
pub const QUEUE: &str = "queue";
/// Backups, restores and drills.
pub const BACKUP: &str = "backup";
/// Health probes and owner alerts.
pub const HEALTH: &str = "health";
/// Housekeeping: log rotation, purges.
pub const MAINTENANCE: &str = "maintenance";
/// Admin actions and configuration changes.
pub const AUDIT: &str = "audit";
/// The process shell: boot, HTTP, supervisor.
pub const APP: &str = "app";

/// Every component that has its own log directory.
pub const ALL: [&str; 8] = [BOT, PAYMENT, QUEUE, BACKUP, HEALTH, MAINTENANCE, AUDIT, APP];
