//! One summary line per maintenance action (backup, verify, drill, restore, prune, migration,
//! key rotation) in `LOG_DIR/maintenance/YYYY-MM-DD.log`, so the history of the store's
//! upkeep is in one place — whether the action ran in the bot or from the command line.
//!
//! CLI commands log to the console only, so this appends the line itself, in the format and
//! file the running bot's `maintenance` appender uses (files are opened in append mode, one
//! `write` per line, so the bot and a CLI run can share the file).

use std::io::Write;

use chrono::Utc;

use crate::config::Config;
use crate::logging::{LineEncoder, local_today, log_file_name};

/// The component directory of maintenance lines under `LOG_DIR`.
pub const DIR: &str = "maintenance";

/// Appends `line` (one line; secrets never belong in it) to today's maintenance log. A
/// failure to write is reported on stderr and otherwise ignored: the action itself is done.
pub fn record(config: &Config, level: log::Level, line: &str) {
    let dir = config.log_dir.join(DIR);
    let path = dir.join(log_file_name(local_today(config.timezone)));
    let text = LineEncoder::new(config.timezone).format_line(Utc::now(), level, line);
    let result = crate::boot::create_private_dir(&dir).and_then(|()| {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        let mut text = text.into_bytes();
        if text.last() != Some(&b'\n') {
            text.push(b'\n');
        }
        file.write_all(&text)
    });
    if let Err(e) = result {
        eprintln!(
            "warning: could not write the maintenance log {}: {e}",
            path.display()
        );
    }
}
