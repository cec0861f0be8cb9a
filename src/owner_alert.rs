//! A direct owner alert for the moments the job queue cannot be trusted (the actor tree is
//! failing). Everything routine goes through the queue instead.

use std::time::Duration;

use teloxide_core::prelude::*;
use teloxide_core::types::ChatId;

use crate::config::Config;

/// Sends `text` to every owner through the owner bot (falling back to the main bot), prefixed
/// with the store name. Best effort within `timeout`; returns how many owners were reached.
pub async fn send_direct(config: &Config, text: &str, timeout: Duration) -> usize {
    let token = config
        .telegram
        .owner_bot_token
        .as_ref()
        .unwrap_or(&config.telegram.bot_token);
    let Ok(bot) = autoorder_actors::telegram::bot(&config.telegram.api_url, token.expose()) else {
        return 0;
    };
    let message = format!("[{}] {text}", config.store_name);
    let mut reached = 0;
    for owner in &config.telegram.owner_ids {
        let send = bot.send_message(ChatId(*owner), message.clone());
        if let Ok(Ok(_)) = tokio::time::timeout(timeout, send.into_future()).await {
            reached += 1;
        }
    }
    reached
}
