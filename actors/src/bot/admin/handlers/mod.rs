//! The admin menu's handlers: what a seller's press or message does, in the pipeline's two
//! steps (async prepare with a [`Ctx`], then one synchronous apply inside the update's write
//! transaction with a [`Tx`]).
//!
//! Layout: this module is the entry the router calls — [`open_menu`] (*Admin* / `/admin`),
//! [`prepare_callback`] (every `@`-prefixed press from a seller), [`prepare_message`] (a
//! seller's message while a wizard waits for it); part 1's areas are dispatched here, part 2's
//! (Order, User, Broadcast, Laporan) through [`part2`].
//!
//! The router has already checked that the sender is a seller; a customer's press of admin
//! data never reaches this module (it is answered "not allowed").

mod part2;

use teloxide_core::types::Message;

use autoorder_schema::StoreError;

use super::texts as admin_texts;
use crate::bot::context::{Apply, CallbackApply, Ctx, Toast, Tx};
use crate::bot::pipeline::HandleError;
use crate::bot::texts;

/// *Admin* or `/admin` from a seller: the admin menu.
pub fn open_menu(tx: &mut Tx<'_>) -> Result<(), StoreError> {
    tx.send(texts::ADMIN_SOON);
    Ok(())
}

/// A seller's press of admin data (`@…`).
pub async fn prepare_callback(ctx: &Ctx<'_>, data: &str) -> Result<CallbackApply, HandleError> {
    if let Some(handler) = part2::prepare_callback(ctx, data).await? {
        return Ok(handler);
    }
    let _ = admin_texts::NOT_ALLOWED;
    Ok(Box::new(|_: &mut Tx<'_>| Ok(Toast::stale())))
}

/// A seller's message: `Some` when the admin menu takes it (a wizard waits for it, or it is an
/// admin command), `None` to let the shop handle it.
pub async fn prepare_message(
    ctx: &Ctx<'_>,
    message: &Message,
) -> Result<Option<Apply>, HandleError> {
    // Part 2's wizards (until the dispatcher routes every wizard): the seller's active wizard,
    // offered to part 2 first.
    let seller = autoorder_schema::queries::admin::SellerId(ctx.user_id());
    let wizard = ctx
        .db(move |c| {
            Ok(autoorder_schema::queries::admin::wizards::load_wizard(
                c,
                seller,
                autoorder_schema::db::now_ms(),
            )?
            .as_ref()
            .and_then(|w| super::wizard::Wizard::from_json(&w.state)))
        })
        .await?;
    match wizard {
        Some(wizard) => part2::prepare_message(ctx, message, &wizard).await,
        None => Ok(None),
    }
}
