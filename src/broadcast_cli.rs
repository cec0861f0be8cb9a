//! `autoorder broadcast …`: creates and steers broadcasts in the database; the running bot's
//! queue does the sending (woken by NOTIFY on PostgreSQL, within a second on SQLite). `send`
//! takes an audience — every reachable customer (default), `--buyers-of CODE` or
//! `--active-days N` — resolved by the same engine the admin menu's *Broadcast* uses.

use anyhow::{Context, bail};

use autoorder_schema::queries::audit::{ActorKind, AuditEntry, append_audit};
use autoorder_schema::queries::broadcasts::{
    Audience, BroadcastBody, BroadcastPhoto, BroadcastState, MAX_ACTIVE_DAYS, NewBroadcast,
    PhotoSource, Progress, broadcast_progress, buyers_of_code, change_broadcast_state,
    latest_broadcast_id, start_broadcast,
};
use autoorder_schema::{Pool, checkout, write_tx};

use crate::cli::BroadcastCommand;

/// Telegram's limits.
const MAX_TEXT: usize = 4096;
const MAX_CAPTION: usize = 1024;
const MAX_PHOTO_BYTES: u64 = 10 * 1024 * 1024;

/// Runs a broadcast command; returns the exit code.
pub fn run(pool: &Pool, command: BroadcastCommand) -> anyhow::Result<i32> {
    let mut conn = checkout(pool)?;
    match command {
        BroadcastCommand::Send {
            text,
            photo,
            buyers_of,
            active_days,
        } => {
            let text = text.trim().to_string();
            let limit = if photo.is_some() {
                MAX_CAPTION
            } else {
                MAX_TEXT
            };
            if text.is_empty() {
                bail!("--text: the message is empty");
            }
            if text.chars().count() > limit {
                bail!(
                    "--text: {} characters; Telegram allows at most {limit}",
                    text.chars().count()
                );
            }
            let photo = match photo {
                None => None,
                Some(path) => {
                    let meta = std::fs::metadata(&path)
                        .with_context(|| format!("--photo {}", path.display()))?;
                    if meta.len() > MAX_PHOTO_BYTES {
                        bail!(
                            "--photo {}: {} bytes; Telegram allows at most 10 MB",
                            path.display(),
                            meta.len()
                        );
                    }
                    let ext = path
                        .extension()
                        .and_then(|e| e.to_str())
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    if !matches!(ext.as_str(), "jpg" | "jpeg" | "png" | "webp") {
                        bail!(
                            "--photo {}: expected a .jpg, .jpeg, .png or .webp file",
                            path.display()
                        );
                    }
                    let bytes = std::fs::read(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    Some(BroadcastPhoto { name, bytes })
                }
            };
            let audience = match (buyers_of, active_days) {
                (Some(code), _) => buyers_of_code(&mut conn, &code)?.with_context(|| {
                    format!("--buyers-of {code}: there is no product with that code")
                })?,
                (None, Some(days)) => {
                    if days == 0 || days > MAX_ACTIVE_DAYS {
                        bail!("--active-days {days}: expected 1 to {MAX_ACTIVE_DAYS}");
                    }
                    Audience::ActiveWithin { days }
                }
                (None, None) => Audience::All,
            };
            let body = match photo {
                None => BroadcastBody::Text { text },
                Some(photo) => BroadcastBody::Photo {
                    caption: text,
                    photo: PhotoSource::Upload(photo),
                },
            };
            let with_photo = matches!(body, BroadcastBody::Photo { .. });
            let created = write_tx(&mut conn, |c| {
                let created = start_broadcast(
                    c,
                    &NewBroadcast {
                        body: &body,
                        audience,
                        created_by: "cli",
                    },
                )?;
                if let Ok((id, recipients)) = created {
                    append_audit(
                        c,
                        &AuditEntry {
                            actor_kind: ActorKind::Cli,
                            actor_id: None,
                            action: "broadcast.create",
                            subject: Some(&id.to_string()),
                            details: serde_json::json!({
                                "recipients": recipients,
                                "photo": with_photo,
                                "audience": audience,
                            }),
                        },
                    )?;
                }
                Ok::<_, autoorder_schema::StoreError>(created)
            })?;
            let (id, recipients) = created.map_err(|e| anyhow::anyhow!("audience: {e}"))?;
            println!(
                "broadcast {id} created for {recipients} recipient(s); the running bot sends it"
            );
            Ok(0)
        }
        BroadcastCommand::Status { id, json } => {
            let id = match id {
                Some(id) => id,
                None => latest_broadcast_id(&mut conn)?.context("there is no broadcast yet")?,
            };
            let progress = broadcast_progress(&mut conn, id)?
                .with_context(|| format!("broadcast {id} does not exist"))?;
            if json {
                println!("{}", serde_json::to_string(&progress)?);
            } else {
                print_progress(&progress);
            }
            Ok(0)
        }
        BroadcastCommand::Pause { id } => {
            transition(&mut conn, id, BroadcastState::Paused, "broadcast.pause")
        }
        BroadcastCommand::Resume { id } => {
            transition(&mut conn, id, BroadcastState::Running, "broadcast.resume")
        }
        BroadcastCommand::Cancel { id } => {
            transition(&mut conn, id, BroadcastState::Cancelled, "broadcast.cancel")
        }
    }
}

fn transition(
    conn: &mut autoorder_schema::DbConnection,
    id: i64,
    to: BroadcastState,
    action: &'static str,
) -> anyhow::Result<i32> {
    let result = write_tx(conn, |c| {
        let changed = change_broadcast_state(c, id, to)?;
        if changed.is_ok() {
            append_audit(
                c,
                &AuditEntry {
                    actor_kind: ActorKind::Cli,
                    actor_id: None,
                    action,
                    subject: Some(&id.to_string()),
                    details: serde_json::json!({}),
                },
            )?;
        }
        Ok::<_, autoorder_schema::StoreError>(changed)
    })?;
    match result {
        Ok(()) => {
            println!("broadcast {id}: {}", to.as_str());
            Ok(0)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(1)
        }
    }
}

fn print_progress(p: &Progress) {
    println!(
        "broadcast {}: {} — sent {}, failed {}, blocked {}, pending {}, cancelled {} (of {})",
        p.id, p.state, p.sent, p.failed, p.blocked, p.pending, p.cancelled, p.total
    );
}
