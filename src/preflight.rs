//! `autoorder preflight [--json]`: the go-live checklist, verified live instead of ticked by
//! hand. Each item is ok, warn or fail with a one-line detail and, when not ok, what to do;
//! the exit code is 0 only when nothing fails.
//!
//! Layout: [`Item`] and [`Report`] (what is printed), then one function per checklist item,
//! in the order an operator would fix them: configuration, Telegram (token, webhook, owners),
//! Pakasir, database and migrations, data keys, backups (targets, age, drill), host headroom,
//! log directory, clock. Every probe has a timeout; none writes anything a running bot would
//! notice except a `typing…` action shown to owners and a probe file removed at once. Secrets
//! (tokens, the Pakasir key in its URL) never appear in a detail.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use autoorder_actors::health::checks::{DiskUsage, MemoryUsage};
use autoorder_actors::health::probes::backup_keys;
use autoorder_actors::health::system::{HostProbe, SystemProbe};
use autoorder_schema::queries::settings::get_setting;
use autoorder_schema::{DbConnection, PoolOptions, checkout, now_ms, open_pool};

use crate::config::{Config, DatabaseUrl, TelegramMode};

/// How long one network probe may take.
const TIMEOUT: Duration = Duration::from_secs(10);
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// How an item fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

/// One checklist item.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub name: &'static str,
    pub status: Status,
    /// One line: what was found.
    pub detail: String,
    /// What to do about it (absent when ok).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Item {
    fn ok(name: &'static str, detail: impl Into<String>) -> Item {
        Item {
            name,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Item {
        Item {
            name,
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Item {
        Item {
            name,
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Every item, in checklist order.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub items: Vec<Item>,
}

impl Report {
    /// 0 when nothing failed, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        i32::from(self.items.iter().any(|i| i.status == Status::Fail))
    }

    /// The table printed without `--json`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for item in &self.items {
            out.push_str(&format!(
                "{} {:<12} {}\n",
                item.status.label(),
                item.name,
                item.detail
            ));
            if let Some(fix) = &item.fix {
                out.push_str(&format!("     {:<12} → {fix}\n", ""));
            }
        }
        let count = |s| self.items.iter().filter(|i| i.status == s).count();
        out.push_str(&format!(
            "{} ok, {} warning(s), {} failure(s)\n",
            count(Status::Ok),
            count(Status::Warn),
            count(Status::Fail)
        ));
        out
    }
}

/// Runs the whole checklist.
pub fn run(config: &Config) -> Report {
    let http = reqwest::blocking::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .build();
    let mut items = vec![configuration(config)];
    match &http {
        Ok(http) => {
            let (token_item, server_date) = bot_token(config, http);
            items.push(token_item);
            items.push(webhook(config, http));
            items.push(owners(config, http));
            items.push(pakasir(config, http));
            database_and_keys(config, &mut items);
            items.extend(backups(config));
            items.extend(host(config));
            items.push(log_dir(config));
            items.push(clock(server_date));
        }
        Err(e) => items.push(Item::fail(
            "network",
            format!("cannot build an HTTP client: {e}"),
            "check the TLS setup of this machine",
        )),
    }
    Report { items }
}

fn configuration(config: &Config) -> Item {
    let db = match &config.database {
        DatabaseUrl::Sqlite(p) => format!("SQLite {}", p.display()),
        DatabaseUrl::Postgres(_) => "PostgreSQL".into(),
    };
    let mut gaps = Vec::new();
    if config.telegram.owner_ids.is_empty() {
        gaps.push("TELEGRAM_OWNER_IDS (nobody gets alerts)");
    }
    if config.telegram.admin_ids.is_empty() {
        gaps.push("TELEGRAM_ADMIN_IDS (no seller gets order notices)");
    }
    if config.backup.encryption_password.is_none() && config.backup.recipients.is_empty() {
        gaps.push("BACKUP_ENCRYPTION_PASSWORD or BACKUP_RECIPIENTS (no backups)");
    }
    let detail = format!(
        "valid: store {:?}, {db}, mode {:?}",
        config.store_name, config.telegram.mode
    );
    if gaps.is_empty() {
        Item::ok("config", detail)
    } else {
        Item::warn(
            "config",
            format!("{detail}; not set: {}", gaps.join(", ")),
            "set them in bot.env or the environment (README → Configuration)",
        )
    }
}

/// Calls a Bot API method; the error never carries the URL (it holds the token).
fn bot_call(
    http: &reqwest::blocking::Client,
    api: &str,
    token: &str,
    method: &str,
    params: &serde_json::Value,
) -> Result<(serde_json::Value, Option<String>), String> {
    let resp = http
        .post(format!("{api}/bot{token}/{method}"))
        .json(params)
        .send()
        .map_err(|e| e.without_url().to_string())?;
    let date = resp
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: serde_json::Value = resp.json().map_err(|e| e.without_url().to_string())?;
    if body["ok"] == true {
        Ok((body["result"].clone(), date))
    } else {
        Err(body["description"]
            .as_str()
            .unwrap_or("no description")
            .to_string())
    }
}

fn bot_token(config: &Config, http: &reqwest::blocking::Client) -> (Item, Option<String>) {
    let t = &config.telegram;
    match bot_call(
        http,
        &t.api_url,
        t.bot_token.expose(),
        "getMe",
        &serde_json::json!({}),
    ) {
        Ok((me, date)) => (
            Item::ok(
                "bot token",
                format!("getMe: @{}", me["username"].as_str().unwrap_or("?")),
            ),
            date,
        ),
        Err(e) => (
            Item::fail(
                "bot token",
                format!("getMe failed: {e}"),
                "check TELEGRAM_BOT_TOKEN with @BotFather (and TELEGRAM_API_URL)",
            ),
            None,
        ),
    }
}

fn webhook(config: &Config, http: &reqwest::blocking::Client) -> Item {
    let t = &config.telegram;
    let info = bot_call(
        http,
        &t.api_url,
        t.bot_token.expose(),
        "getWebhookInfo",
        &serde_json::json!({}),
    );
    let (info, _) = match info {
        Ok(i) => i,
        Err(e) => {
            return Item::fail(
                "webhook",
                format!("getWebhookInfo failed: {e}"),
                "fix the bot token first",
            );
        }
    };
    let registered = info["url"].as_str().unwrap_or_default();
    let last_error = info["last_error_message"].as_str();
    let secret =
        if t.webhook_secret.is_some() || config.data_dir.join("telegram-webhook-secret").exists() {
            "with its secret"
        } else {
            "secret generated at first start"
        };
    match (t.mode, t.webhook_url.as_deref()) {
        (TelegramMode::Polling, _) | (TelegramMode::Auto, None) => {
            if registered.is_empty() {
                Item::ok("webhook", "long polling (no webhook registered)")
            } else {
                Item::warn(
                    "webhook",
                    "long polling, but a webhook is registered",
                    "the bot removes it when it starts polling; set TELEGRAM_WEBHOOK_URL to use it",
                )
            }
        }
        (_, Some(url)) if registered == url => match last_error {
            Some(e) => Item::warn(
                "webhook",
                format!("registered at {url} {secret}; Telegram's last delivery error: {e}"),
                "check that the URL reaches this bot (Ingress, TLS certificate, HTTP_ADDR)",
            ),
            None => Item::ok("webhook", format!("registered at {url} {secret}")),
        },
        (mode, Some(url)) => {
            let detail = if registered.is_empty() {
                format!("{url} is not registered")
            } else {
                format!("Telegram delivers to {registered}, not {url}")
            };
            let fix = "start the bot (it registers TELEGRAM_WEBHOOK_URL) or correct the URL";
            if mode == TelegramMode::Webhook {
                Item::fail("webhook", detail, fix)
            } else {
                Item::warn("webhook", detail, fix)
            }
        }
        (TelegramMode::Webhook, None) => Item::fail(
            "webhook",
            "TELEGRAM_MODE=webhook without TELEGRAM_WEBHOOK_URL",
            "set TELEGRAM_WEBHOOK_URL",
        ),
    }
}

fn owners(config: &Config, http: &reqwest::blocking::Client) -> Item {
    let t = &config.telegram;
    if t.owner_ids.is_empty() {
        return Item::warn(
            "owners",
            "no TELEGRAM_OWNER_IDS: nobody gets operational alerts",
            "set TELEGRAM_OWNER_IDS",
        );
    }
    let token = t.owner_bot_token.as_ref().unwrap_or(&t.bot_token);
    let bot = if t.owner_bot_token.is_some() {
        "the owner bot"
    } else {
        "the shop bot"
    };
    let mut unreachable = Vec::new();
    for id in &t.owner_ids {
        let params = serde_json::json!({"chat_id": id, "action": "typing"});
        if let Err(e) = bot_call(http, &t.api_url, token.expose(), "sendChatAction", &params) {
            unreachable.push(format!("{id} ({e})"));
        }
    }
    if unreachable.is_empty() {
        Item::ok(
            "owners",
            format!("{bot} reaches all {} owner(s)", t.owner_ids.len()),
        )
    } else {
        Item::fail(
            "owners",
            format!("{bot} cannot reach {}", unreachable.join(", ")),
            format!("each owner opens {bot} in Telegram and presses Start (and does not block it)"),
        )
    }
}

fn pakasir(config: &Config, http: &reqwest::blocking::Client) -> Item {
    let p = &config.pakasir;
    let (Some(slug), Some(key)) = (&p.project_slug, &p.api_key) else {
        return Item::warn(
            "pakasir",
            "not configured: QRIS is off, customers pay from balance only",
            "set PAKASIR_PROJECT_SLUG, PAKASIR_API_KEY and PAKASIR_WEBHOOK_SECRET",
        );
    };
    // An order id that cannot exist: a working key gets "unknown order", a wrong one is refused.
    let order = format!("PREFLIGHT-{:016x}", rand::random::<u64>());
    let resp = http
        .get(format!("{}/api/transactiondetail", p.base_url))
        .query(&[
            ("project", slug.as_str()),
            ("amount", "1000"),
            ("order_id", order.as_str()),
            ("api_key", key.expose().as_str()),
        ])
        .send();
    match resp {
        Err(e) => Item::fail(
            "pakasir",
            format!("transactiondetail: {}", e.without_url()),
            "check PAKASIR_BASE_URL and the network",
        ),
        Ok(r) => match r.status().as_u16() {
            200..=299 | 404 => Item::ok(
                "pakasir",
                format!(
                    "credentials accepted for project {slug} (a probe order is unknown, as expected)"
                ),
            ),
            401 | 403 => Item::fail(
                "pakasir",
                format!(
                    "unauthorized (HTTP {}) for project {slug}",
                    r.status().as_u16()
                ),
                "check PAKASIR_API_KEY and PAKASIR_PROJECT_SLUG in the Pakasir dashboard",
            ),
            status => Item::warn(
                "pakasir",
                format!("transactiondetail answered HTTP {status}"),
                "try again later; if it persists, ask Pakasir",
            ),
        },
    }
}

/// Database reachable and migrated, then the data keys against every stored value.
fn database_and_keys(config: &Config, out: &mut Vec<Item>) {
    let target = crate::boot::db_target(config);
    let options = PoolOptions {
        max_size: 1,
        ..PoolOptions::default()
    };
    let conn = open_pool(&target, &options).and_then(|pool| {
        let mut c = checkout(&pool)?;
        autoorder_schema::db::ping(&mut c)?;
        Ok((pool, c))
    });
    let (_pool, mut conn) = match conn {
        Ok(c) => c,
        Err(e) => {
            out.push(Item::fail(
                "database",
                format!("unreachable: {e}"),
                "check DATABASE_URL and that the server runs",
            ));
            return;
        }
    };
    match autoorder_schema::migrations::pending_migrations(&mut conn) {
        Ok(p) if p.is_empty() => out.push(Item::ok("database", "reachable, migrations applied")),
        Ok(p) => {
            out.push(Item::fail(
                "database",
                format!("{} migration(s) pending", p.len()),
                "run `autoorder migrate` (a snapshot is taken first)",
            ));
            return;
        }
        Err(e) => {
            out.push(Item::fail(
                "database",
                format!("cannot read migrations: {e}"),
                "check DATABASE_URL",
            ));
            return;
        }
    }
    out.push(data_keys(config, &mut conn));
    out.extend(backup_age(config, &mut conn));
}

fn data_keys(config: &Config, conn: &mut DbConnection) -> Item {
    let generated = config.data_dir.join("data-encryption-key");
    if config.data_keys.is_empty() {
        if matches!(config.database, DatabaseUrl::Postgres(_)) {
            return Item::fail(
                "data keys",
                "DATA_ENCRYPTION_KEY is not set (required with PostgreSQL)",
                "set DATA_ENCRYPTION_KEY to 64 hex characters (openssl rand -hex 32)",
            );
        }
        if !generated.exists() {
            return Item::warn(
                "data keys",
                "no DATA_ENCRYPTION_KEY: one is generated into DATA_DIR at first start",
                "set DATA_ENCRYPTION_KEY, or back up DATA_DIR/data-encryption-key with the database",
            );
        }
    }
    let keys = match crate::config::ensure_data_keys(config) {
        Ok(k) => k,
        Err(e) => {
            return Item::fail("data keys", format!("{e:#}"), "fix DATA_ENCRYPTION_KEY");
        }
    };
    match autoorder_schema::queries::keys::check_ring(conn, &keys, 2_000) {
        Ok((n, bad)) if bad.is_empty() => {
            let ids: Vec<&str> = keys.ids().collect();
            if ids.len() > 1 {
                Item::warn(
                    "data keys",
                    format!("{n} value(s) open with keys {}", ids.join(", ")),
                    "finish a rotation: `autoorder keys rotate`, then remove the old keys",
                )
            } else {
                Item::ok(
                    "data keys",
                    format!("every stored value ({n}) opens with {}", keys.current_id()),
                )
            }
        }
        Ok((n, bad)) => {
            let first: Vec<String> = bad
                .iter()
                .take(3)
                .map(|b| format!("{} #{}", b.column, b.id))
                .collect();
            Item::fail(
                "data keys",
                format!(
                    "{} of {n} value(s) do not open (e.g. {}): {}",
                    bad.len(),
                    first.join(", "),
                    bad[0].reason
                ),
                "put the key that wrote them back into DATA_ENCRYPTION_KEY (see `autoorder keys status`)",
            )
        }
        Err(e) => Item::fail(
            "data keys",
            format!("cannot read: {e}"),
            "check the database",
        ),
    }
}

fn setting_ms(conn: &mut DbConnection, key: &str) -> Option<i64> {
    get_setting(conn, key).ok().flatten()?.parse().ok()
}

fn age(ms: i64) -> String {
    if ms >= DAY_MS {
        format!("{} day(s)", ms / DAY_MS)
    } else {
        format!("{} hour(s)", ms / HOUR_MS)
    }
}

fn backup_age(config: &Config, conn: &mut DbConnection) -> Vec<Item> {
    let now = now_ms();
    let backup = match setting_ms(conn, backup_keys::LAST_SUCCESS_AT) {
        Some(at) if now - at < DAY_MS => Item::ok(
            "last backup",
            format!("verified backup {} old", age(now - at)),
        ),
        Some(at) => Item::fail(
            "last backup",
            format!("the newest verified backup is {} old", age(now - at)),
            "run `autoorder backup create --offsite` and check ENABLE_AUTO_BACKUP / BACKUP_TIME",
        ),
        None => Item::fail(
            "last backup",
            "no verified backup yet",
            "run `autoorder backup create --offsite`",
        ),
    };
    let days = i64::from(config.backup.drill_days.max(1));
    let ok = get_setting(conn, backup_keys::LAST_DRILL_OK).ok().flatten();
    let drill = match setting_ms(conn, backup_keys::LAST_DRILL_AT) {
        Some(_) if ok.as_deref() == Some("0") => Item::fail(
            "restore drill",
            "the last restore drill found differences",
            "run `autoorder backup drill <ID>` on a fresh backup and read its report",
        ),
        Some(at) if now - at < days * DAY_MS => {
            Item::ok("restore drill", format!("passed {} ago", age(now - at)))
        }
        Some(at) => Item::fail(
            "restore drill",
            format!(
                "the last drill is {} old (limit {days} days)",
                age(now - at)
            ),
            "run `autoorder backup drill <ID>`",
        ),
        None => Item::fail(
            "restore drill",
            "no restore drill yet",
            "run `autoorder backup drill <ID>` with the newest backup's id",
        ),
    };
    vec![backup, drill]
}

/// Every backup target can be written (a probe file or object, removed at once).
fn backups(config: &Config) -> Vec<Item> {
    let settings = crate::backup_cli::backup_settings(config, None);
    let probe_name = format!(".preflight-{:016x}", rand::random::<u64>());
    let mut dirs = vec![("local", settings.local_dir.clone())];
    if let Some(dir) = &settings.offsite_dir {
        dirs.push(("offsite", dir.clone()));
    }
    let mut failed = Vec::new();
    let mut passed = Vec::new();
    for (name, dir) in &dirs {
        match write_probe(dir, &probe_name) {
            Ok(()) => passed.push(format!("{name} {}", dir.display())),
            Err(e) => failed.push(format!("{name} {}: {e}", dir.display())),
        }
    }
    if let Some(s3) = settings.s3.clone() {
        let result = autoorder_actors::backup::s3::S3Client::new(s3).and_then(|c| {
            c.put_bytes(&probe_name, b"preflight")?;
            c.delete(&probe_name)?;
            Ok(c.label())
        });
        match result {
            Ok(label) => passed.push(label),
            Err(e) => failed.push(e.to_string()),
        }
    }
    let item = if failed.is_empty() {
        Item::ok("backup targets", format!("writable: {}", passed.join(", ")))
    } else {
        Item::fail(
            "backup targets",
            format!("not writable: {}", failed.join("; ")),
            "mount the directory / fix the bucket and its keys (BACKUP_S3_*)",
        )
    };
    vec![item]
}

fn write_probe(dir: &Path, name: &str) -> std::io::Result<()> {
    crate::boot::create_private_dir(dir)?;
    let path = dir.join(name);
    std::fs::write(&path, b"preflight")?;
    std::fs::remove_file(&path)
}

fn host(config: &Config) -> Vec<Item> {
    let probe = HostProbe::default();
    let h = &config.health;
    let disk = match probe.disk(&config.data_dir) {
        Ok(d) => headroom_disk(&d, h.disk_threshold),
        Err(e) => Item::warn("disk", format!("cannot read: {e}"), "check DATA_DIR"),
    };
    let memory = match probe.memory() {
        Ok(m) => headroom_memory(&m, h.memory_threshold),
        Err(e) => Item::warn(
            "memory",
            format!("cannot read: {e}"),
            "check /proc and the cgroup",
        ),
    };
    vec![disk, memory]
}

fn headroom_disk(d: &DiskUsage, threshold: u8) -> Item {
    let used = d.used_ratio() * 100.0;
    let detail = format!(
        "{used:.0}% used, {:.1} GiB free on the disk of DATA_DIR (limit {threshold}%)",
        d.available_bytes as f64 / f64::from(1u32 << 30)
    );
    if used >= f64::from(threshold) {
        Item::fail("disk", detail, "free space or grow the volume")
    } else if used >= f64::from(threshold) - 10.0 {
        Item::warn("disk", detail, "little headroom: plan more space")
    } else {
        Item::ok("disk", detail)
    }
}

fn headroom_memory(m: &MemoryUsage, threshold: u8) -> Item {
    let used = m.used_ratio() * 100.0;
    let detail = format!(
        "{used:.0}% of {:.1} GiB {} used (limit {threshold}%)",
        m.limit_bytes as f64 / f64::from(1u32 << 30),
        if m.container {
            "container limit"
        } else {
            "host memory"
        }
    );
    if used >= f64::from(threshold) {
        Item::fail(
            "memory",
            detail,
            "raise the memory limit or move other work away",
        )
    } else if used >= f64::from(threshold) - 10.0 {
        Item::warn("memory", detail, "little headroom")
    } else {
        Item::ok("memory", detail)
    }
}

fn log_dir(config: &Config) -> Item {
    let name = format!(".preflight-{:016x}", rand::random::<u64>());
    match write_probe(&config.log_dir, &name) {
        Ok(()) => Item::ok(
            "log dir",
            format!("{} is writable", config.log_dir.display()),
        ),
        Err(e) => Item::fail(
            "log dir",
            format!("{}: {e}", config.log_dir.display()),
            "create LOG_DIR writable by the bot's user",
        ),
    }
}

/// The local clock against Telegram's `Date` header (payments expire by the clock, and
/// TLS and S3 signatures need it right).
fn clock(server_date: Option<String>) -> Item {
    let local = chrono::Utc::now();
    let Some(date) = server_date else {
        return Item::warn(
            "clock",
            format!(
                "local time {} (no server time to compare)",
                local.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            "make sure NTP runs",
        );
    };
    let Ok(server) = chrono::DateTime::parse_from_rfc2822(&date) else {
        return Item::warn(
            "clock",
            format!("unreadable server time {date:?}"),
            "make sure NTP runs",
        );
    };
    let skew = (local - server.with_timezone(&chrono::Utc)).num_seconds();
    let detail = format!("{skew:+} s from Telegram's clock");
    match skew.abs() {
        0..=30 => Item::ok("clock", detail),
        31..=300 => Item::warn("clock", detail, "enable NTP (timedatectl set-ntp true)"),
        _ => Item::fail(
            "clock",
            detail,
            "set the clock: enable NTP (timedatectl set-ntp true)",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headroom_thresholds() {
        let disk = |avail| DiskUsage {
            total_bytes: 100,
            available_bytes: avail,
            used_bytes: 0,
        };
        assert_eq!(headroom_disk(&disk(50), 85).status, Status::Ok);
        assert_eq!(headroom_disk(&disk(20), 85).status, Status::Warn);
        assert_eq!(headroom_disk(&disk(10), 85).status, Status::Fail);
        let mem = |used| MemoryUsage {
            used_bytes: used,
            limit_bytes: 100,
            container: true,
        };
        assert_eq!(headroom_memory(&mem(10), 80).status, Status::Ok);
        assert_eq!(headroom_memory(&mem(95), 80).status, Status::Fail);
    }

    #[test]
    fn clock_skew_is_judged_against_the_server_date() {
        let now = chrono::Utc::now();
        let at = |secs: i64| Some((now - chrono::Duration::seconds(secs)).to_rfc2822());
        assert_eq!(clock(at(2)).status, Status::Ok);
        assert_eq!(clock(at(120)).status, Status::Warn);
        assert_eq!(clock(at(-900)).status, Status::Fail);
        assert_eq!(clock(None).status, Status::Warn);
    }

    #[test]
    fn the_exit_code_is_zero_only_without_failures() {
        let mut r = Report {
            items: vec![Item::ok("a", "x"), Item::warn("b", "y", "z")],
        };
        assert_eq!(r.exit_code(), 0);
        r.items.push(Item::fail("c", "d", "e"));
        assert_eq!(r.exit_code(), 1);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["items"][2]["status"], "fail");
        assert_eq!(json["items"][0]["status"], "ok");
        assert!(r.render().contains("→ e"));
    }
}
