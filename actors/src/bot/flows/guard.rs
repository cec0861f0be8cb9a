//! Anti-spam: every message and button press of a customer takes a token from a bucket stored
//! in the database (so the limit holds across restarts). Spam is dropped visibly: a press is
//! answered with an alert, a message with a warning at most once per window; the sellers are
//! told at most once per two minutes.

use autoorder_schema::StoreError;
use autoorder_schema::job_kinds::JobPayload;
use autoorder_schema::queries::jobs::NewJob;
use autoorder_schema::queries::shop::spam::{SpamLimit, SpamVerdict, record_action};
use autoorder_schema::queries::users::display_name;

use crate::bot::context::Tx;
use crate::services::Services;

/// Sellers hear about one spammer at most this often.
pub const SELLER_COOLDOWN_MS: i64 = 120_000;

/// The limit in force (`SPAM_MAX_ACTIONS` per `SPAM_WINDOW_SECONDS` sustained, twice that as
/// a burst).
pub fn limit(services: &Services) -> SpamLimit {
    let shop = &services.settings.shop;
    SpamLimit {
        max_actions: shop.spam_max_actions,
        window_ms: shop.spam_window.as_millis() as i64,
        seller_cooldown_ms: SELLER_COOLDOWN_MS,
    }
}

/// Counts one action in the update's transaction and, when the sellers are to be told,
/// enqueues their notice in the same transaction.
pub fn count_action(tx: &mut Tx<'_>, limit: &SpamLimit) -> Result<SpamVerdict, StoreError> {
    let user_id = tx.user_id();
    let verdict = record_action(tx.conn(), user_id, limit)?;
    if let SpamVerdict::Spam {
        tell_sellers: true, ..
    } = verdict
    {
        let name = display_name(tx.conn(), user_id)?.unwrap_or_else(|| user_id.to_string());
        let at = autoorder_schema::now_ms();
        let notice = JobPayload::SellerNotice {
            notice_id: format!("spam-{user_id}-{at}"),
            text: super::super::texts::seller_spam_notice(&name, user_id),
            photo_file_id: None,
        };
        tx.enqueue(&NewJob::keyed(
            notice,
            format!("seller-notice:spam-{user_id}-{at}"),
        ))?;
        log::warn!(target: crate::log_targets::BOT, "user {user_id} is over the spam limit; sellers told");
    }
    Ok(verdict)
}
