//! Anti-spam: every message and button press of a customer is counted in a window stored in the
//! database (so the limit holds across restarts). Spam is dropped; the customer is warned once
//! per window and the sellers are told at most once per two minutes.

use autoorder_schema::job_kinds::JobPayload;
use autoorder_schema::queries::jobs::{NewJob, enqueue};
use autoorder_schema::queries::shop::spam::{SpamVerdict, record_action};
use autoorder_schema::queries::users::display_name;
use autoorder_schema::{DbConnection, StoreError};

use crate::services::Services;

/// Sellers hear about one spammer at most this often.
pub const SELLER_COOLDOWN_MS: i64 = 120_000;

/// The limit in force (`SPAM_MAX_ACTIONS` within `SPAM_WINDOW_SECONDS`).
pub fn limits(services: &Services) -> (i32, i64) {
    let shop = &services.settings.shop;
    (shop.spam_max_actions, shop.spam_window.as_millis() as i64)
}

/// Counts one action (inside the caller's blocking call) and, when the sellers are to be
/// told, enqueues their notice in the same transaction as the count. The caller wakes the
/// queue when the verdict says sellers were told.
pub fn count_action(
    conn: &mut DbConnection,
    user_id: i64,
    max_actions: i32,
    window_ms: i64,
) -> Result<SpamVerdict, StoreError> {
    autoorder_schema::write_tx(conn, |c| {
        let verdict = record_action(c, user_id, max_actions, window_ms, SELLER_COOLDOWN_MS)?;
        if let SpamVerdict::Spam {
            tell_sellers: true, ..
        } = verdict
        {
            let name = display_name(c, user_id)?.unwrap_or_else(|| user_id.to_string());
            let at = autoorder_schema::now_ms();
            let notice = JobPayload::SellerNotice {
                notice_id: format!("spam-{user_id}-{at}"),
                text: super::super::texts::seller_spam_notice(&name, user_id),
                photo_file_id: None,
            };
            enqueue(
                c,
                &NewJob::keyed(notice, format!("seller-notice:spam-{user_id}-{at}")),
            )?;
        }
        Ok(verdict)
    })
}
