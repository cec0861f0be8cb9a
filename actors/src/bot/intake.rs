//! Handling of stored updates: claim in `update_id` order, handle, mark done or retry.

use teloxide_core::prelude::*;
use teloxide_core::types::{Update, UpdateKind};

use autoorder_schema::StoreError;
use autoorder_schema::queries::updates::{
    StoredUpdate, claim_pending_updates, extend_update_claims, mark_update_done, mark_update_failed,
};
use autoorder_schema::queries::users::{TelegramProfile, count_users, is_blocked, touch_user};

use crate::blocking::with_conn;
use crate::log_targets::BOT;
use crate::metrics::OutcomeLabels;
use crate::services::Services;

use super::texts;

/// How many updates one claim takes.
const BATCH: i64 = 32;
/// How long a claim holds an update before another worker may take it (a crashed worker's
/// claims run out after this); renewed while a batch is being worked through.
const LOCK_MS: i64 = 15_000;
/// Attempts before an update is given up as `failed`.
const MAX_ATTEMPTS: i32 = 5;

/// Why handling one update failed.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("telegram: {0}")]
    Telegram(String),
}

/// Processes pending updates until none are left. Returns how many were handled.
pub async fn drain_pending(services: &Services, bot: &Bot) -> Result<usize, StoreError> {
    let mut handled = 0;
    while !services.state.is_shutting_down() {
        let worker = services.instance_id.to_string();
        let batch = with_conn(&services.pool, move |c| {
            claim_pending_updates(c, &worker, BATCH, LOCK_MS)
        })
        .await?;
        if batch.is_empty() {
            return Ok(handled);
        }
        let mut renewed_at = std::time::Instant::now();
        let ids: Vec<i64> = batch.iter().map(|u| u.update_id).collect();
        for (i, update) in batch.into_iter().enumerate() {
            if renewed_at.elapsed().as_millis() as i64 > LOCK_MS / 3 {
                let (worker, rest) = (services.instance_id.to_string(), ids[i..].to_vec());
                with_conn(&services.pool, move |c| {
                    extend_update_claims(c, &worker, &rest, LOCK_MS)
                })
                .await?;
                renewed_at = std::time::Instant::now();
            }
            process_one(services, bot, update).await?;
            handled += 1;
        }
    }
    Ok(handled)
}

async fn process_one(
    services: &Services,
    bot: &Bot,
    stored: StoredUpdate,
) -> Result<(), StoreError> {
    let update_id = stored.update_id;
    match handle_update(services, bot, &stored.payload).await {
        Ok(()) => {
            with_conn(&services.pool, move |c| mark_update_done(c, update_id)).await?;
            services
                .metrics
                .updates_processed
                .get_or_create(&OutcomeLabels { outcome: "done" })
                .inc();
        }
        Err(e) => {
            let token = services.settings.telegram.bot_token.expose().clone();
            let message = crate::telegram::redact(&e.to_string(), &token);
            let retry_in = 1_000i64 << stored.attempts.clamp(0, 10);
            let msg = message.clone();
            let gave_up = with_conn(&services.pool, move |c| {
                mark_update_failed(c, update_id, &msg, MAX_ATTEMPTS, retry_in)
            })
            .await?;
            let outcome = if gave_up { "failed" } else { "retry" };
            services
                .metrics
                .updates_processed
                .get_or_create(&OutcomeLabels { outcome })
                .inc();
            log::warn!(target: BOT, "update {update_id} attempt {} failed ({outcome}): {message}", stored.attempts);
        }
    }
    Ok(())
}

/// Routes one update. Unknown update kinds and unknown fields are ignored, never an error.
pub async fn handle_update(
    services: &Services,
    bot: &Bot,
    payload: &str,
) -> Result<(), HandleError> {
    let update: Update = match serde_json::from_str(payload) {
        Ok(u) => u,
        Err(e) => {
            log::warn!(target: BOT, "ignoring an update the Bot API types cannot read: {e}");
            return Ok(());
        }
    };
    let UpdateKind::Message(message) = update.kind else {
        return Ok(());
    };
    let Some(from) = message.from.as_ref() else {
        return Ok(());
    };
    let user_id = from.id.0 as i64;
    let username = from.username.clone();
    let first_name = from.first_name.clone();
    let language = from.language_code.clone();
    let (users, blocked) = with_conn(&services.pool, move |c| {
        touch_user(
            c,
            &TelegramProfile {
                id: user_id,
                username: username.as_deref(),
                first_name: &first_name,
                language: language.as_deref(),
            },
        )?;
        Ok((count_users(c)?, is_blocked(c, user_id)?))
    })
    .await?;

    let text = message.text().unwrap_or_default();
    let command = text.split_whitespace().next().unwrap_or_default();
    let is_start = command == "/start" || command.starts_with("/start@");
    if !is_start {
        return Ok(());
    }
    let reply = if blocked {
        texts::BLOCKED.to_string()
    } else {
        texts::welcome(&from.first_name, &services.settings.store_name, users)
    };
    bot.send_message(message.chat.id, reply)
        .await
        .map_err(|e| HandleError::Telegram(e.to_string()))?;
    Ok(())
}
