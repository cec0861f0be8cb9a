//! SNK (syarat & ketentuan): *Penuhi SNK* opens the dialog; the customer's text and/or photo is
//! stored encrypted and forwarded to the sellers.

use teloxide_core::types::Message;

use autoorder_schema::StoreError;
use autoorder_schema::job_kinds::JobPayload;
use autoorder_schema::queries::jobs::NewJob;
use autoorder_schema::queries::orders::{order_owner, product_name};
use autoorder_schema::queries::snk::{save_snk_answer, snk_aad};

use crate::bot::context::{Toast, Tx};
use crate::bot::conversation::Conversation;
use crate::bot::texts;
use crate::log_targets::BOT;

/// An SNK answer as stored (encrypted as a whole).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SnkAnswer {
    pub text: Option<String>,
    pub photo_file_id: Option<String>,
}

impl SnkAnswer {
    /// The answer a message carries: its text or caption and/or its largest photo.
    pub fn of(message: &Message) -> SnkAnswer {
        SnkAnswer {
            text: message.text().or(message.caption()).map(str::to_string),
            photo_file_id: message
                .photo()
                .and_then(|p| p.last())
                .map(|p| p.file.id.to_string()),
        }
    }
}

/// *Penuhi SNK* under an SNK notice.
pub fn press(tx: &mut Tx<'_>, order_ref: String, product_id: i64) -> Result<Toast, StoreError> {
    let user_id = tx.user_id();
    let owner = order_owner(tx.conn(), &order_ref)?;
    if owner != Some(user_id) {
        log::warn!(target: BOT, "SNK press for an order user {user_id} does not own");
        return Ok(Toast::stale());
    }
    let product_name =
        product_name(tx.conn(), product_id)?.unwrap_or_else(|| format!("produk #{product_id}"));
    tx.set_state(Conversation::AwaitingSnkAnswer {
        order_ref,
        product_id,
        product_name: product_name.clone(),
    })?;
    tx.send(texts::snk_prompt(&product_name));
    Ok(Toast::none())
}

/// The answer (text and/or photo): stored encrypted, the dialog ended and the sellers' notice
/// enqueued — in the update's transaction, so an answer is never stored without its notice or
/// the other way round.
pub fn answer(
    tx: &mut Tx<'_>,
    customer: &str,
    order_ref: &str,
    product_id: i64,
    product_name: &str,
    answer: SnkAnswer,
) -> Result<(), StoreError> {
    if answer.text.is_none() && answer.photo_file_id.is_none() {
        tx.send(texts::SNK_EMPTY);
        return Ok(());
    }
    let user_id = tx.user_id();
    let plain = serde_json::to_vec(&answer).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let sealed = tx
        .services
        .data_keys
        .encrypt(&plain, &snk_aad(order_ref, product_id));
    let update_id = tx.update_id;
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
    save_snk_answer(tx.conn(), order_ref, product_id, user_id, &sealed)?;
    tx.enqueue(&NewJob::keyed(
        notice,
        format!("seller-notice:snk-{update_id}"),
    ))?;
    tx.clear_state()?;
    tx.send(texts::SNK_THANKS);
    Ok(())
}
