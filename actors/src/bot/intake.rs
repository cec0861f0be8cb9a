//! Handling of stored updates: claim in `update_id` order, handle, mark done or retry.

use teloxide_core::prelude::*;
use teloxide_core::types::{CallbackQuery, ChatId, Message, Update, UpdateKind};

use autoorder_schema::StoreError;
use autoorder_schema::job_kinds::JobPayload;
use autoorder_schema::queries::conversations::{
    clear_conversation, get_conversation, set_conversation,
};
use autoorder_schema::queries::jobs::{NewJob, enqueue};
use autoorder_schema::queries::orders::{order_owner, product_name};
use autoorder_schema::queries::snk::{save_snk_answer, snk_aad};
use autoorder_schema::queries::updates::{
    StoredUpdate, claim_pending_updates, extend_update_claims, mark_update_done, mark_update_failed,
};
use autoorder_schema::queries::users::{TelegramProfile, count_users, is_blocked, touch_user};
use autoorder_schema::write_tx;

use crate::blocking::with_conn;
use crate::log_targets::BOT;
use crate::metrics::OutcomeLabels;
use crate::services::Services;

use super::callback::CallbackData;
use super::conversation::Conversation;
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
    let update_id = i64::from(update.id.0);
    match update.kind {
        UpdateKind::Message(message) => on_message(services, bot, update_id, &message).await,
        UpdateKind::CallbackQuery(query) => on_callback(services, bot, &query).await,
        _ => Ok(()),
    }
}

fn telegram(e: impl std::fmt::Display) -> HandleError {
    HandleError::Telegram(e.to_string())
}

async fn on_message(
    services: &Services,
    bot: &Bot,
    update_id: i64,
    message: &Message,
) -> Result<(), HandleError> {
    let Some(from) = message.from.as_ref() else {
        return Ok(());
    };
    let user_id = from.id.0 as i64;
    let username = from.username.clone();
    let first_name = from.first_name.clone();
    let language = from.language_code.clone();
    let (users, blocked, conversation) = with_conn(&services.pool, move |c| {
        touch_user(
            c,
            &TelegramProfile {
                id: user_id,
                username: username.as_deref(),
                first_name: &first_name,
                language: language.as_deref(),
            },
        )?;
        Ok((
            count_users(c)?,
            is_blocked(c, user_id)?,
            get_conversation(c, user_id)?,
        ))
    })
    .await?;

    let text = message.text().unwrap_or_default();
    let command = text.split_whitespace().next().unwrap_or_default();
    let is_start = command == "/start" || command.starts_with("/start@");
    if blocked {
        if is_start {
            bot.send_message(message.chat.id, texts::BLOCKED)
                .await
                .map_err(telegram)?;
        }
        return Ok(());
    }
    if is_start {
        let reply = texts::welcome(&from.first_name, &services.settings.store_name, users);
        bot.send_message(message.chat.id, reply)
            .await
            .map_err(telegram)?;
        return Ok(());
    }
    match conversation.as_deref().and_then(Conversation::from_json) {
        Some(Conversation::AwaitingSnkAnswer {
            order_ref,
            product_id,
            product_name,
        }) => {
            let answer = SnkAnswer {
                text: message.text().or(message.caption()).map(str::to_string),
                photo_file_id: message
                    .photo()
                    .and_then(|p| p.last())
                    .map(|p| p.file.id.to_string()),
            };
            if answer.text.is_none() && answer.photo_file_id.is_none() {
                bot.send_message(message.chat.id, texts::SNK_EMPTY)
                    .await
                    .map_err(telegram)?;
                return Ok(());
            }
            let customer = from.full_name();
            store_snk_answer(
                services,
                update_id,
                user_id,
                &customer,
                &order_ref,
                product_id,
                &product_name,
                &answer,
            )
            .await?;
            bot.send_message(message.chat.id, texts::SNK_THANKS)
                .await
                .map_err(telegram)?;
            Ok(())
        }
        None => Ok(()),
    }
}

/// An SNK answer as stored (encrypted as a whole).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SnkAnswer {
    pub text: Option<String>,
    pub photo_file_id: Option<String>,
}

/// Stores the encrypted answer, ends the dialog and enqueues the seller notice — one
/// transaction, so an answer is never stored without its notice or the other way round.
#[allow(clippy::too_many_arguments)]
async fn store_snk_answer(
    services: &Services,
    update_id: i64,
    user_id: i64,
    customer: &str,
    order_ref: &str,
    product_id: i64,
    product_name: &str,
    answer: &SnkAnswer,
) -> Result<(), HandleError> {
    let plain = serde_json::to_vec(answer).map_err(|e| HandleError::Telegram(e.to_string()))?;
    let sealed = services
        .data_keys
        .encrypt(&plain, &snk_aad(order_ref, product_id));
    let notice = JobPayload::SellerNotice {
        notice_id: format!("snk-{update_id}"),
        text: texts::snk_seller_notice(
            customer,
            user_id,
            product_name,
            order_ref,
            answer.text.as_deref().unwrap_or("(foto)"),
        ),
        photo_file_id: answer.photo_file_id.clone(),
    };
    let order_ref = order_ref.to_string();
    with_conn(&services.pool, move |c| {
        write_tx(c, |c| {
            save_snk_answer(c, &order_ref, product_id, user_id, &sealed)?;
            enqueue(
                c,
                &NewJob::keyed(notice, format!("seller-notice:snk-{update_id}")),
            )?;
            clear_conversation(c, user_id)
        })
    })
    .await?;
    services.wake_queue();
    Ok(())
}

async fn on_callback(
    services: &Services,
    bot: &Bot,
    query: &CallbackQuery,
) -> Result<(), HandleError> {
    let user_id = query.from.id.0 as i64;
    let parsed = query.data.as_deref().map(CallbackData::parse);
    match parsed {
        Some(Ok(CallbackData::SnkFulfil {
            order_ref,
            product_id,
        })) => {
            let (owner_ok, name) = {
                let order_ref = order_ref.clone();
                with_conn(&services.pool, move |c| {
                    let owner = order_owner(c, &order_ref)?;
                    let name = product_name(c, product_id)?;
                    Ok((owner == Some(user_id), name))
                })
                .await?
            };
            if !owner_ok {
                log::warn!(target: BOT, "SNK press for an order user {user_id} does not own");
                bot.answer_callback_query(query.id.clone())
                    .text(texts::STALE_BUTTON)
                    .await
                    .map_err(telegram)?;
                return Ok(());
            }
            let product_name = name.unwrap_or_else(|| format!("produk #{product_id}"));
            let state = Conversation::AwaitingSnkAnswer {
                order_ref,
                product_id,
                product_name: product_name.clone(),
            };
            let json = state.to_json();
            with_conn(&services.pool, move |c| set_conversation(c, user_id, &json)).await?;
            bot.answer_callback_query(query.id.clone())
                .await
                .map_err(telegram)?;
            bot.send_message(ChatId(user_id), texts::snk_prompt(&product_name))
                .await
                .map_err(telegram)?;
            Ok(())
        }
        _ => {
            bot.answer_callback_query(query.id.clone())
                .text(texts::STALE_BUTTON)
                .await
                .map_err(telegram)?;
            Ok(())
        }
    }
}
