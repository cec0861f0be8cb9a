//! The owner bot: `/status` (every check, actor states and restarts, the queue, the last
//! backup and drill) and `/backup` (start one now), for `TELEGRAM_OWNER_IDS` only.
//!
//! With its own `OWNER_BOT_TOKEN` the owner bot is long-polled here by the replica holding the
//! `health-leader` lease (its commands are idempotent reads, so they are answered directly and
//! not stored in the durable intake). With the shop's token, the BotActor's intake routes
//! owners' commands to [`command_reply`] before any customer flow.

use std::time::Duration;

use actix::prelude::*;

use autoorder_schema::queries::settings::{get_setting, set_setting};

use super::checks::{Report, Status, evaluate, human_bytes, human_duration};
use super::probes::{self, backup_keys};
use super::{HealthActor, targets_of};
use crate::blocking::with_conn;
use crate::log_targets::HEALTH;
use crate::services::Services;

/// The owner bot's getUpdates offset.
pub const OFFSET_KEY: &str = "owner_bot.polling_offset";

/// Answer to anyone not in `TELEGRAM_OWNER_IDS`.
pub const REFUSED: &str = "⛔ Perintah ini hanya untuk pemilik bot.";

const LONG_POLL_SECONDS: u64 = 20;

/// The owner commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerCommand {
    Status,
    Backup,
}

/// Recognises `/status` and `/backup` (also `/status@bot_name`).
pub fn parse_command(text: &str) -> Option<OwnerCommand> {
    let first = text.split_whitespace().next()?;
    let name = first.split('@').next()?;
    match name {
        "/status" => Some(OwnerCommand::Status),
        "/backup" => Some(OwnerCommand::Backup),
        _ => None,
    }
}

/// True when the owner bot shares the shop's token (then the shop bot's intake takes owner
/// commands).
pub fn shares_shop_token(services: &Services) -> bool {
    let tg = &services.settings.telegram;
    tg.owner_bot_token
        .as_ref()
        .is_none_or(|t| t.expose() == tg.bot_token.expose())
}

/// The reply to an owner command from `user_id`, or `None` when `text` is no owner command.
/// Non-owners are refused.
pub async fn command_reply(services: &Services, user_id: i64, text: &str) -> Option<String> {
    let command = parse_command(text)?;
    if !services.settings.owner_ids.contains(&user_id) {
        log::warn!(target: HEALTH, "user {user_id} tried an owner command; refused");
        return Some(REFUSED.to_string());
    }
    let body = match command {
        OwnerCommand::Status => status_text(services).await,
        OwnerCommand::Backup => request_backup(services).await,
    };
    Some(format!("[{}] {body}", services.settings.store_name))
}

/// `/status`: a fresh run of every probe, plus what only the process knows.
pub async fn status_text(services: &Services) -> String {
    let health = &services.settings.health;
    let readings = probes::gather(&targets_of(services)).await;
    let now = autoorder_schema::now_ms();
    let mut checks = evaluate(&readings, &health.thresholds, now);
    super::checks::confirm_cpu(&mut checks, false);
    let report = Report::new(checks, now);
    let icon = |s: Status| match s {
        Status::Ok => "✅",
        Status::Degraded => "🟡",
        Status::Failing => "🔴",
    };
    let mut out = format!(
        "{} Status: {}\n",
        icon(report.status),
        report.status.as_str()
    );
    for c in &report.checks {
        out.push_str(&format!("{} {}: {}\n", icon(c.status), c.name, c.detail));
    }
    out.push_str("\nAktor:\n");
    for a in services.registry.snapshot() {
        out.push_str(&format!(
            "• {} {} — {} restart\n",
            a.name,
            a.status.as_str(),
            a.restarts
        ));
    }
    if let Some(j) = &readings.jobs {
        out.push_str(&format!(
            "\nAntrean: {} menunggu, {} mati, tertua {}\n",
            j.waiting,
            j.dead,
            human_duration(j.oldest_due_ms.max(0))
        ));
    }
    if let Some(b) = &readings.backup {
        let tz = &services.settings.timezone;
        match b.last_success_at {
            Some(at) => out.push_str(&format!(
                "Backup terakhir: {}{}{}\n",
                local_time(tz, at),
                b.last_size_bytes
                    .map(|s| format!(", {}", human_bytes(s.max(0) as u64)))
                    .unwrap_or_default(),
                b.last_id
                    .as_ref()
                    .map(|id| format!(", {id}"))
                    .unwrap_or_default()
            )),
            None => out.push_str("Backup terakhir: belum ada\n"),
        }
        if let Some(e) = &b.last_error {
            out.push_str(&format!("Error backup terakhir: {e}\n"));
        }
        match (b.last_drill_at, b.last_drill_ok) {
            (Some(at), ok) => out.push_str(&format!(
                "Drill terakhir: {} ({})\n",
                local_time(tz, at),
                if ok == Some(false) { "gagal" } else { "lulus" }
            )),
            _ => out.push_str("Drill terakhir: belum ada\n"),
        }
    }
    out.push_str(&format!("Replika: {}", services.instance_id));
    out
}

fn local_time(tz: &chrono_tz::Tz, ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "?".into())
}

/// `/backup`: starts a backup now on the blocking pool; the BackupActor's reporting tells the
/// owners how it went (and records it for `/status`).
pub async fn request_backup(services: &Services) -> String {
    let Some(settings) = services.settings.backup.clone() else {
        return "💾 Backup tidak dikonfigurasi di proses ini.".to_string();
    };
    let pool = services.pool.clone();
    let wake = services.queue_wake.clone();
    tokio::task::spawn_blocking(move || {
        crate::backup::run_and_report(
            &pool,
            &settings,
            "manual backup (/backup)",
            settings.automatic_offsite,
        );
        wake.notify_one();
    });
    log::info!(target: HEALTH, "owner started a backup with /backup");
    "💾 Backup dimulai; hasilnya dikirim ke sini.".to_string()
}

/// Sends `text` to every owner through the owner bot right away, prefixed with the store name
/// (for when the queue cannot be used: the database is down). Returns how many were reached.
pub async fn send_direct(services: &Services, text: &str) -> usize {
    let message = format!("[{}] {text}", services.settings.store_name);
    let mut reached = 0;
    for owner in &services.settings.owner_ids {
        let effect = crate::send::Effect::Text {
            text: message.clone(),
            markup: None,
            html: false,
            on_sent: None,
        };
        let send = services
            .sends
            .owner
            .send(crate::send::Lane::Reply, *owner, &effect);
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(10), send).await {
            reached += 1;
        }
    }
    reached
}

/// Starts long polling of a separate owner bot (nothing to do when it shares the shop token).
pub fn start_owner_bot(act: &HealthActor, ctx: &mut Context<HealthActor>) {
    if shares_shop_token(&act.services) || act.services.settings.owner_ids.is_empty() {
        return;
    }
    let services = act.services.clone();
    let leader = act.leader.clone();
    ctx.spawn(
        async move {
            let client = reqwest::Client::new();
            loop {
                if services.state.is_shutting_down() {
                    break;
                }
                if !leader.load(std::sync::atomic::Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    continue;
                }
                if let Err(e) = poll_owner_bot(&services, &client).await {
                    log::warn!(target: HEALTH, "owner bot getUpdates failed: {e}");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        }
        .into_actor(act),
    );
}

#[derive(serde::Deserialize)]
struct Updates {
    ok: bool,
    #[serde(default)]
    result: Vec<serde_json::Value>,
    #[serde(default)]
    description: Option<String>,
}

async fn poll_owner_bot(services: &Services, client: &reqwest::Client) -> Result<(), String> {
    let tg = &services.settings.telegram;
    let Some(token) = tg.owner_bot_token.as_ref() else {
        return Ok(());
    };
    let token = token.expose().clone();
    let offset = with_conn(&services.pool, |c| get_setting(c, OFFSET_KEY))
        .await
        .map_err(|e| e.to_string())?
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let url = format!("{}/bot{}/getUpdates", tg.api_url, token);
    let body = serde_json::json!({
        "offset": offset,
        "timeout": LONG_POLL_SECONDS,
        "allowed_updates": ["message"],
    });
    let parsed: Updates = client
        .post(url)
        .json(&body)
        .timeout(Duration::from_secs(LONG_POLL_SECONDS + 10))
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?
        .json()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if !parsed.ok {
        return Err(parsed.description.unwrap_or_else(|| "not ok".into()));
    }
    let mut next = offset;
    for update in parsed.result {
        let Some(id) = update.get("update_id").and_then(|v| v.as_i64()) else {
            continue;
        };
        next = next.max(id + 1);
        let message = update.get("message");
        let text = message
            .and_then(|m| m.pointer("/text"))
            .and_then(|t| t.as_str());
        let from = message
            .and_then(|m| m.pointer("/from/id"))
            .and_then(|t| t.as_i64());
        let chat = message
            .and_then(|m| m.pointer("/chat/id"))
            .and_then(|t| t.as_i64());
        let (Some(text), Some(from), Some(chat)) = (text, from, chat) else {
            continue;
        };
        let reply = match command_reply(services, from, text).await {
            Some(reply) => reply,
            None if services.settings.owner_ids.contains(&from) => {
                "Perintah: /status, /backup".to_string()
            }
            None => REFUSED.to_string(),
        };
        let effect = crate::send::Effect::Text {
            text: reply,
            markup: None,
            html: false,
            on_sent: None,
        };
        // Through the owner bot's own budget, like every send of that token.
        if let Err(e) = services
            .sends
            .owner
            .send(crate::send::Lane::Reply, chat, &effect)
            .await
        {
            log::warn!(target: HEALTH, "owner bot reply failed: {e:?}");
        }
    }
    if next != offset {
        let value = next.to_string();
        with_conn(&services.pool, move |c| set_setting(c, OFFSET_KEY, &value))
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Keys read by `/status` (re-exported for the backup engineer's reference).
pub const BACKUP_KEYS: [&str; 6] = [
    backup_keys::LAST_SUCCESS_AT,
    backup_keys::LAST_SIZE_BYTES,
    backup_keys::LAST_ID,
    backup_keys::LAST_DRILL_AT,
    backup_keys::LAST_DRILL_OK,
    backup_keys::LAST_ERROR,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_commands_are_recognised() {
        assert_eq!(parse_command("/status"), Some(OwnerCommand::Status));
        assert_eq!(
            parse_command("/status@toko_bot now"),
            Some(OwnerCommand::Status)
        );
        assert_eq!(parse_command(" /backup"), Some(OwnerCommand::Backup));
        assert_eq!(parse_command("/start"), None);
        assert_eq!(parse_command("status"), None);
    }
}
