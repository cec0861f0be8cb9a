//! SNK (syarat & ketentuan): *Penuhi SNK* opens the dialog; the customer's text and/or photo is
//! stored encrypted and forwarded to the sellers.

use teloxide_core::types::Message;

use autoorder_schema::job_kinds::JobPayload;
use autoorder_schema::queries::conversations::clear_conversation;
use autoorder_schema::queries::jobs::{NewJob, enqueue};
use autoorder_schema::queries::orders::{order_owner, product_name};
use autoorder_schema::queries::snk::{save_snk_answer, snk_aad};
use autoorder_schema::write_tx;

use crate::bot::context::{Ctx, Toast};
use crate::bot::conversation::Conversation;
use crate::bot::intake::HandleError;
use crate::bot::texts;
use crate::log_targets::BOT;

/// An SNK answer as stored (encrypted as a whole).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SnkAnswer {
    pub text: Option<String>,
    pub photo_file_id: Option<String>,
}

/// *Penuhi SNK* under an SNK notice.
pub async fn press(
    ctx: &Ctx<'_>,
    order_ref: String,
    product_id: i64,
) -> Result<Toast, HandleError> {
    let user_id = ctx.user_id;
    let (owner_ok, name) = {
        let order_ref = order_ref.clone();
        ctx.db(move |c| {
            let owner = order_owner(c, &order_ref)?;
            let name = product_name(c, product_id)?;
            Ok((owner == Some(user_id), name))
        })
        .await?
    };
    if !owner_ok {
        log::warn!(target: BOT, "SNK press for an order user {user_id} does not own");
        return Ok(Toast::stale());
    }
    let product_name = name.unwrap_or_else(|| format!("produk #{product_id}"));
    ctx.set_state(Conversation::AwaitingSnkAnswer {
        order_ref,
        product_id,
        product_name: product_name.clone(),
    })
    .await?;
    ctx.send(texts::snk_prompt(&product_name)).await?;
    Ok(Toast::none())
}

/// The answer: text and/or photo.
pub async fn answer(
    ctx: &Ctx<'_>,
    update_id: i64,
    message: &Message,
    customer: &str,
    order_ref: &str,
    product_id: i64,
    product_name: &str,
) -> Result<(), HandleError> {
    let answer = SnkAnswer {
        text: message.text().or(message.caption()).map(str::to_string),
        photo_file_id: message
            .photo()
            .and_then(|p| p.last())
            .map(|p| p.file.id.to_string()),
    };
    if answer.text.is_none() && answer.photo_file_id.is_none() {
        ctx.send(texts::SNK_EMPTY).await?;
        return Ok(());
    }
    store_answer(
        ctx,
        update_id,
        customer,
        order_ref,
        product_id,
        product_name,
        &answer,
    )
    .await?;
    ctx.send(texts::SNK_THANKS).await?;
    Ok(())
}

/// Stores the encrypted answer, ends the dialog and enqueues the seller notice — one
/// transaction, so an answer is never stored without its notice or the other way round.
async fn store_answer(
    ctx: &Ctx<'_>,
    update_id: i64,
    customer: &str,
    order_ref: &str,
    product_id: i64,
    product_name: &str,
    answer: &SnkAnswer,
) -> Result<(), HandleError> {
    let user_id = ctx.user_id;
    let plain = serde_json::to_vec(answer).map_err(|e| HandleError::Telegram(e.to_string()))?;
    let sealed = ctx
        .services
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
    ctx.db(move |c| {
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
    ctx.services.wake_queue();
    Ok(())
}
