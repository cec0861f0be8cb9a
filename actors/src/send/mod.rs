//! The send pipeline: every Bot API call that Telegram rate-limits leaves the process here.
//!
//! ```text
//! handler transaction ──► outbox rows ──► outbox::run (lease holder) ──┐
//!                                                                      ├─► SendPipeline ─► Telegram
//! queue jobs (deliveries, notices, broadcasts) ────────────────────────┘   (limiter: global budget,
//!                                                                            per chat, 429 pause,
//!                                                                            lanes reply > bulk)
//! ```
//!
//! - [`limiter`]: the budget, per bot token, with the reply and bulk lanes.
//! - [`effect`]: what a handler records (send, edit, delete, photo, document, answer).
//! - [`sender`]: one Bot API call, its answer sorted into what to do next.
//! - [`outbox`]: the loop that sends handler replies after their commit, per chat in order.
//!
//! One [`SendPipeline`] exists per bot token ([`Sends`]); the owner bot has its own budget
//! unless it shares the shop's token. Only the replica holding the `queue-leader` lease sends
//! (outbox and Telegram jobs alike), so any number of replicas stays inside one budget.

pub mod effect;
pub mod limiter;
pub mod outbox;
pub mod sender;

use std::sync::Arc;

use teloxide_core::Bot;

use crate::metrics::{LaneSendLabels, Metrics};
pub use effect::{Effect, OnSent, PhotoSource};
pub use limiter::{Lane, SendLimiter};
pub use sender::{SendError, Sent};

/// One bot token's client and budget.
pub struct SendPipeline {
    bot: Bot,
    limiter: SendLimiter,
    metrics: Arc<Metrics>,
}

impl SendPipeline {
    /// A pipeline for `bot` with `per_second` messages overall.
    pub fn new(bot: Bot, per_second: u32, metrics: Arc<Metrics>) -> SendPipeline {
        SendPipeline {
            bot,
            limiter: SendLimiter::new(per_second),
            metrics,
        }
    }

    /// The Bot API client (for calls that are not sends: getFile, getMe).
    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    /// The limiter (tests and metrics).
    pub fn limiter(&self) -> &SendLimiter {
        &self.limiter
    }

    /// Waits for a slot in `lane` for `chat_id`. Use with [`SendPipeline::observe`] around a
    /// call the pipeline does not make itself (a queue job's upload).
    pub async fn acquire(&self, lane: Lane, chat_id: i64) {
        self.limiter.acquire(lane, chat_id).await;
    }

    /// Records a call's result: a 429 pauses every send of this token for exactly
    /// `retry_after`; every result is counted by lane.
    pub fn observe<T>(&self, lane: &'static str, result: &Result<T, SendError>) {
        let label = match result {
            Ok(_) => "ok",
            Err(SendError::RetryAfter(wait)) => {
                log::warn!(target: crate::log_targets::QUEUE, "Telegram asked to slow down: pausing sends for {wait:?}");
                let before = self.limiter.paused_total();
                self.limiter.pause_for(*wait);
                let added = self.limiter.paused_total().saturating_sub(before);
                self.metrics.send_paused_seconds.inc_by(added.as_secs_f64());
                "retry_after"
            }
            Err(SendError::Unreachable(_)) => "unreachable",
            Err(SendError::Transient(_)) => "transient",
            Err(SendError::Permanent(_)) => "rejected",
        };
        self.metrics
            .telegram_sends
            .get_or_create(&LaneSendLabels {
                lane,
                result: label,
            })
            .inc();
    }

    /// Runs one effect for `chat_id`: rate-limited effects wait for a slot in `lane` first;
    /// answers to button presses go at once.
    pub async fn send(&self, lane: Lane, chat_id: i64, effect: &Effect) -> Result<Sent, SendError> {
        let label = if effect.is_rate_limited() {
            self.limiter.acquire(lane, chat_id).await;
            lane.label()
        } else {
            "answer"
        };
        let result = sender::execute(&self.bot, chat_id, effect).await;
        self.observe(label, &result);
        result
    }
}

/// The pipelines of this process: the shop bot's and the owner bot's (the same one when the
/// owner bot shares the shop's token).
#[derive(Clone)]
pub struct Sends {
    pub shop: Arc<SendPipeline>,
    pub owner: Arc<SendPipeline>,
}

impl Sends {
    /// Builds the pipelines from the Telegram settings.
    pub fn new(
        settings: &crate::services::TelegramSettings,
        per_second: u32,
        metrics: Arc<Metrics>,
    ) -> Result<Sends, String> {
        let shop_bot = crate::telegram::bot(&settings.api_url, settings.bot_token.expose())?;
        let shop = Arc::new(SendPipeline::new(shop_bot, per_second, metrics.clone()));
        let owner = match &settings.owner_bot_token {
            Some(token) if token.expose() != settings.bot_token.expose() => {
                let bot = crate::telegram::bot(&settings.api_url, token.expose())?;
                Arc::new(SendPipeline::new(bot, per_second, metrics))
            }
            _ => shop.clone(),
        };
        Ok(Sends { shop, owner })
    }
}
