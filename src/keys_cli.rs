//! `autoorder keys …`: rotating `DATA_ENCRYPTION_KEY`.
//!
//! * `keys status [--json]` — how many stored values each key wrote, per encrypted column;
//!   which ones are still to rotate and which name a key the configuration does not hold.
//! * `keys rotate [--batch N]` — re-encrypts every value under the first key of the ring, in
//!   batches (one short transaction each, so the bot keeps running), with a progress bar;
//!   stopping it and running it again resumes, and a finished rotation has nothing to do.
//!   Exit 0 when every value is under the first key, 1 when some could not be rotated (each
//!   named by column and row id).
//!
//! The procedure around it (put the new key first, rotate, remove the old key) is the README's
//! "Rotating keys" section. The work itself is [`autoorder_schema::queries::keys`].

use std::io::{IsTerminal, Write};
use std::time::Instant;

use autoorder_schema::crypto::DataKeys;
use autoorder_schema::queries::keys::{Column, KeyStatus, rotate_batch, status};
use autoorder_schema::{DbConnection, Pool, checkout};

use crate::cli::KeysCommand;
use crate::config::{Config, ensure_data_keys};

/// Rows read per query while counting.
const STATUS_BATCH: i64 = 2_000;

/// Runs a keys command; returns the exit code.
pub fn run(config: &Config, pool: &Pool, command: KeysCommand) -> anyhow::Result<i32> {
    let keys = ensure_data_keys(config)?;
    let mut conn = checkout(pool)?;
    match command {
        KeysCommand::Status { json } => show_status(&mut conn, &keys, json),
        KeysCommand::Rotate { batch } => rotate(config, &mut conn, &keys, batch),
    }
}

fn show_status(conn: &mut DbConnection, keys: &DataKeys, json: bool) -> anyhow::Result<i32> {
    let counts = status(conn, STATUS_BATCH)?;
    let configured: Vec<&str> = keys.ids().collect();
    if json {
        let rows: Vec<serde_json::Value> = counts
            .counts
            .iter()
            .map(|((column, key), n)| {
                serde_json::json!({
                    "column": column.name(),
                    "key": key,
                    "count": n,
                    "configured": key.as_deref().is_some_and(|k| configured.contains(&k)),
                })
            })
            .collect();
        let out = serde_json::json!({
            "current": keys.current_id(),
            "configured": configured,
            "values": rows,
            "to_rotate": counts.not_under(keys.current_id()),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(0);
    }
    print!("{}", render_status(&counts, keys));
    Ok(0)
}

/// The `keys status` table.
fn render_status(counts: &KeyStatus, keys: &DataKeys) -> String {
    let configured: Vec<&str> = keys.ids().collect();
    let mut out = format!(
        "keys configured: {} (the first, {}, encrypts)\n",
        configured.join(", "),
        keys.current_id()
    );
    if counts.counts.is_empty() {
        out.push_str("no encrypted values stored yet\n");
        return out;
    }
    out.push_str(&format!(
        "{:<26} {:<18} {:>10}\n",
        "column", "key", "values"
    ));
    for ((column, key), n) in &counts.counts {
        let label = match key.as_deref() {
            Some(k) if k == keys.current_id() => format!("{k} (current)"),
            Some(k) if configured.contains(&k) => format!("{k} (to rotate)"),
            Some(k) => format!("{k} (NOT CONFIGURED)"),
            None => "(unreadable)".to_string(),
        };
        out.push_str(&format!("{:<26} {:<18} {:>10}\n", column.name(), label, n));
    }
    let left = counts.not_under(keys.current_id());
    if left == 0 {
        out.push_str("every value is under the current key: older keys can be removed\n");
    } else {
        out.push_str(&format!(
            "{left} value(s) not under the current key: run `autoorder keys rotate`\n"
        ));
    }
    out
}

/// A progress bar on stderr when it is a terminal, a line per tenth otherwise.
struct Bar {
    tty: bool,
    total: u64,
    shown_tenth: u64,
    last: Instant,
}

impl Bar {
    fn new(total: u64) -> Bar {
        Bar {
            tty: std::io::stderr().is_terminal(),
            total: total.max(1),
            shown_tenth: 0,
            last: Instant::now(),
        }
    }

    fn show(&mut self, done: u64) {
        let frac = (done as f64 / self.total as f64).min(1.0);
        if self.tty {
            if self.last.elapsed().as_millis() < 100 && done < self.total {
                return;
            }
            self.last = Instant::now();
            let filled = (frac * 30.0) as usize;
            eprint!(
                "\r  [{}{}] {:>3.0}% {done}/{} values",
                "#".repeat(filled),
                "-".repeat(30 - filled),
                frac * 100.0,
                self.total
            );
            let _ = std::io::stderr().flush();
        } else {
            let tenth = (frac * 10.0) as u64;
            if tenth > self.shown_tenth {
                self.shown_tenth = tenth;
                eprintln!("  {:>3}% {done}/{} values", tenth * 10, self.total);
            }
        }
    }

    fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}

fn rotate(
    config: &Config,
    conn: &mut DbConnection,
    keys: &DataKeys,
    batch: u32,
) -> anyhow::Result<i32> {
    let started = Instant::now();
    let before = status(conn, STATUS_BATCH)?;
    let total = before.not_under(keys.current_id());
    if total == 0 {
        println!(
            "nothing to rotate: every value is under {}",
            keys.current_id()
        );
        return Ok(0);
    }
    eprintln!(
        "re-encrypting {total} value(s) under {} ({} per batch)",
        keys.current_id(),
        batch
    );
    let mut bar = Bar::new(total);
    let (mut rotated, mut changed, mut problems) = (0u64, 0u64, Vec::new());
    for column in Column::ALL {
        let mut after = i64::MIN;
        loop {
            let step = rotate_batch(conn, keys, column, after, i64::from(batch))?;
            rotated += step.rotated;
            changed += step.changed_meanwhile;
            problems.extend(step.problems);
            bar.show(rotated + problems.len() as u64);
            match step.next_after {
                Some(next) => after = next,
                None => break,
            }
        }
    }
    bar.finish();
    println!(
        "rotated {rotated} value(s) to key {} in {:.1}s",
        keys.current_id(),
        started.elapsed().as_secs_f64()
    );
    if changed > 0 {
        println!("{changed} value(s) changed while rotating: run `autoorder keys rotate` again");
    }
    for p in &problems {
        eprintln!("error: {} row {}: {}", p.column, p.id, p.reason);
    }
    let summary = format!(
        "key rotation: {rotated} value(s) re-encrypted under {}, {} not rotated, {:.1}s",
        keys.current_id(),
        problems.len() as u64 + changed,
        started.elapsed().as_secs_f64()
    );
    let level = if problems.is_empty() {
        log::Level::Info
    } else {
        log::Level::Error
    };
    crate::maintenance_log::record(config, level, &summary);
    if problems.is_empty() && changed == 0 {
        println!(
            "every value is under the current key: the old keys can be removed from DATA_ENCRYPTION_KEY"
        );
        Ok(0)
    } else {
        Ok(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use autoorder_schema::secret::Secret;

    #[test]
    fn status_names_what_is_left_and_what_is_not_configured() {
        let keys = DataKeys::new(vec![
            ("new".into(), Secret::new([1; 32])),
            ("old".into(), Secret::new([2; 32])),
        ])
        .unwrap();
        let mut counts = KeyStatus::default();
        counts
            .counts
            .insert((Column::StockContent, Some("new".into())), 5);
        counts
            .counts
            .insert((Column::StockContent, Some("old".into())), 2);
        counts
            .counts
            .insert((Column::Whatsapp, Some("gone".into())), 1);
        let text = render_status(&counts, &keys);
        assert!(text.contains("new (current)"), "{text}");
        assert!(text.contains("old (to rotate)"), "{text}");
        assert!(text.contains("gone (NOT CONFIGURED)"), "{text}");
        assert!(
            text.contains("3 value(s) not under the current key"),
            "{text}"
        );
    }
}
