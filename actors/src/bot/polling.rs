//! How updates reach the intake: webhook registration, or long polling with a persisted
//! offset. Both paths store an update durably before it counts as received.

use std::time::Duration;

use teloxide_core::Bot;
use teloxide_core::prelude::*;

use autoorder_schema::StoreError;
use autoorder_schema::queries::settings::{get_setting, set_setting};
use autoorder_schema::queries::updates::{UpdateSource, store_update};

use crate::blocking::with_conn;
use crate::log_targets::BOT;
use crate::metrics::SourceLabels;
use crate::services::{IntakeMode, Services};
use crate::telegram::redact;

/// Why registering the webhook or a getUpdates round failed. The intake logs it (with the
/// token redacted) and tries again; nothing here is fatal.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("TELEGRAM_WEBHOOK_URL is not a URL: {0}")]
    WebhookUrl(#[from] url::ParseError),
    #[error("Bot API call failed: {0}")]
    Api(#[from] teloxide_core::RequestError),
    /// getUpdates could not be sent or read (the request's URL, which holds the token, is
    /// stripped before the error is kept).
    #[error("getUpdates failed: {0}")]
    Http(reqwest::Error),
    #[error("getUpdates refused: {0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<reqwest::Error> for IntakeError {
    fn from(e: reqwest::Error) -> IntakeError {
        IntakeError::Http(e.without_url())
    }
}

/// Setting that keeps the getUpdates offset across restarts.
pub const POLLING_OFFSET_KEY: &str = "telegram.polling_offset";
/// Seconds Telegram may hold a getUpdates call open.
const LONG_POLL_SECONDS: u32 = 25;

/// Decides the intake for this run. `webhook` keeps trying to register; `auto` tries a few
/// times and falls back to polling; `polling` removes any webhook first (Telegram refuses
/// getUpdates while one is set).
pub async fn resolve_intake(services: &Services, bot: &Bot) -> IntakeMode {
    let tg = &services.settings.telegram;
    let token = tg.bot_token.expose();
    let url = tg.webhook_url.clone().filter(|u| !u.is_empty());
    match (tg.mode, url) {
        (IntakeMode::Webhook, Some(url)) => {
            let mut attempt = 0u32;
            loop {
                attempt += 1;
                match register_webhook(bot, &url, tg.webhook_secret.expose()).await {
                    Ok(()) => return IntakeMode::Webhook,
                    Err(e) => {
                        let delay = Duration::from_secs(u64::from(attempt.min(6)) * 5);
                        log::error!(target: BOT, "setWebhook failed (attempt {attempt}): {}; retrying in {delay:?}", redact(&e.to_string(), token));
                        tokio::time::sleep(delay).await;
                    }
                }
            }
        }
        (IntakeMode::Auto, Some(url)) => {
            for attempt in 1..=3u64 {
                match register_webhook(bot, &url, tg.webhook_secret.expose()).await {
                    Ok(()) => return IntakeMode::Webhook,
                    Err(e) => {
                        log::warn!(target: BOT, "setWebhook failed (attempt {attempt} of 3): {}", redact(&e.to_string(), token));
                        if attempt < 3 {
                            tokio::time::sleep(Duration::from_secs(attempt)).await;
                        }
                    }
                }
            }
            log::warn!(target: BOT, "falling back to long polling");
            start_polling(bot, token).await
        }
        _ => start_polling(bot, token).await,
    }
}

async fn register_webhook(bot: &Bot, url: &str, secret: &str) -> Result<(), IntakeError> {
    let url = reqwest::Url::parse(url)?;
    bot.set_webhook(url)
        .secret_token(secret.to_string())
        .await?;
    log::info!(target: BOT, "webhook registered");
    Ok(())
}

async fn start_polling(bot: &Bot, token: &str) -> IntakeMode {
    if let Err(e) = bot.delete_webhook().await {
        log::warn!(target: BOT, "deleteWebhook failed: {}", redact(&e.to_string(), token));
    }
    IntakeMode::Polling
}

#[derive(serde::Deserialize)]
struct GetUpdatesResponse {
    ok: bool,
    #[serde(default)]
    result: Vec<serde_json::Value>,
    #[serde(default)]
    description: Option<String>,
}

/// One getUpdates round: fetches raw updates (raw, so unknown fields survive into storage),
/// stores each, then persists the new offset. A crash between storing and persisting the
/// offset re-fetches updates that are then de-duplicated by `update_id`.
pub async fn poll_once(
    services: &Services,
    client: &reqwest::Client,
) -> Result<usize, IntakeError> {
    let offset = with_conn(&services.pool, |c| get_setting(c, POLLING_OFFSET_KEY))
        .await?
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let tg = &services.settings.telegram;
    let url = format!("{}/bot{}/getUpdates", tg.api_url, tg.bot_token.expose());
    let body = serde_json::json!({ "offset": offset, "timeout": LONG_POLL_SECONDS, "limit": 100 });
    let response = client
        .post(url)
        .json(&body)
        .timeout(Duration::from_secs(u64::from(LONG_POLL_SECONDS) + 10))
        .send()
        .await?;
    let parsed: GetUpdatesResponse = response.json().await?;
    if !parsed.ok {
        return Err(IntakeError::Refused(
            parsed
                .description
                .unwrap_or_else(|| "no description".to_string()),
        ));
    }
    let mut next_offset = offset;
    let mut stored = 0;
    for update in parsed.result {
        let Some(update_id) = update.get("update_id").and_then(|v| v.as_i64()) else {
            log::warn!(target: BOT, "getUpdates returned an update without update_id; skipped");
            continue;
        };
        let chat_id = chat_id_of(&update);
        let payload = update.to_string();
        let new = with_conn(&services.pool, move |c| {
            store_update(c, update_id, chat_id, &payload, UpdateSource::Polling)
        })
        .await?;
        if new {
            services
                .metrics
                .updates_received
                .get_or_create(&SourceLabels { source: "polling" })
                .inc();
            stored += 1;
        } else {
            services.metrics.updates_duplicate.inc();
        }
        next_offset = next_offset.max(update_id + 1);
    }
    if next_offset != offset {
        let value = next_offset.to_string();
        with_conn(&services.pool, move |c| {
            set_setting(c, POLLING_OFFSET_KEY, &value)
        })
        .await?;
    }
    Ok(stored)
}

/// A long poll that came back empty sooner than this was answered "at once".
const EMPTY_AT_ONCE: Duration = Duration::from_secs(1);

/// After a long poll that returned nothing: how long to pause before the next one. Some Bot
/// API servers answer an empty poll at once instead of holding it; without a pause the loop
/// would spin. `streak` counts such answers in a row (reset by a normal, held poll), and the
/// pause doubles with it from 250 ms up to 5 s.
pub fn empty_answer_backoff(streak: &mut u32, took: Duration) -> Option<Duration> {
    if took >= EMPTY_AT_ONCE {
        *streak = 0;
        return None;
    }
    *streak = streak.saturating_add(1);
    Some(Duration::from_millis(250u64 << (*streak - 1).min(5)).min(Duration::from_secs(5)))
}

/// The chat an update belongs to, for per-chat ordering.
pub fn chat_id_of(update: &serde_json::Value) -> Option<i64> {
    let obj = update.as_object()?;
    for (key, value) in obj {
        if key == "update_id" {
            continue;
        }
        if let Some(id) = value.pointer("/chat/id").and_then(|v| v.as_i64()) {
            return Some(id);
        }
        if let Some(id) = value.pointer("/message/chat/id").and_then(|v| v.as_i64()) {
            return Some(id);
        }
        if let Some(id) = value.pointer("/from/id").and_then(|v| v.as_i64()) {
            return Some(id);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_answers_at_once_back_off_and_held_polls_reset() {
        let mut streak = 0;
        let fast = Duration::from_millis(3);
        assert_eq!(
            empty_answer_backoff(&mut streak, fast),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            empty_answer_backoff(&mut streak, fast),
            Some(Duration::from_millis(500))
        );
        for _ in 0..10 {
            empty_answer_backoff(&mut streak, fast);
        }
        assert_eq!(
            empty_answer_backoff(&mut streak, fast),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            empty_answer_backoff(&mut streak, Duration::from_secs(25)),
            None
        );
        assert_eq!(streak, 0);
    }
}
