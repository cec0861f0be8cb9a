//! The admin menu's handlers: what a seller's press or message does, in the pipeline's two
//! steps (async prepare with a [`Ctx`], then one synchronous apply inside the update's write
//! transaction with a [`Tx`]).
//!
//! Layout: this module is the entry the router calls — [`open_menu`] (*Admin* / `/admin`),
//! [`prepare_callback`] (every `@`-prefixed press from a seller), [`prepare_message`] (a
//! seller's message while a wizard waits for it); part 1's areas are dispatched here, part 2's
//! (Order, User, Broadcast, Laporan) through [`part2`]. Part 1 itself is split by what it does:
//! `stored` (the seller's wizard in the database), `nav` (screens outside a wizard and the
//! starts of wizards), `steps` (a wizard's buttons, messages and final writes), `upload` (a
//! stock file fetched from Telegram in the prepare step).
//!
//! The router has already checked that the sender is a seller; a customer's press of admin
//! data never reaches this module (it is answered "not allowed").

mod nav;
mod part2;
mod steps;
mod stored;
mod upload;

use teloxide_core::types::Message;

use autoorder_schema::StoreError;
use autoorder_schema::queries::admin::SellerId;
use autoorder_schema::queries::admin::wizards::buyer_mode;

use super::callback::{AdminCallback, Section, WizardAction};
use super::texts as admin_texts;
use super::wizard::Awaits;
use crate::bot::context::{Apply, CallbackApply, Ctx, Toast, Tx, apply};
use crate::bot::pipeline::HandleError;

/// *Admin* or `/admin` from a seller: the admin menu (a wizard in progress is left — the
/// menu is a fresh start, and Mode Pembeli's way back).
pub fn open_menu(tx: &mut Tx<'_>) -> Result<(), StoreError> {
    stored::clear(tx)?;
    let screen = nav::main_menu(tx)?;
    tx.send_with(screen.text, screen.keyboard);
    Ok(())
}

/// A seller's press of admin data (`@…`).
pub async fn prepare_callback(ctx: &Ctx<'_>, data: &str) -> Result<CallbackApply, HandleError> {
    if let Some(handler) = part2::prepare_callback(ctx, data).await? {
        return Ok(handler);
    }
    let Ok(parsed) = AdminCallback::parse(data) else {
        log::info!(target: crate::log_targets::BOT, "admin press with data the bot did not write");
        return Ok(stale());
    };
    Ok(match parsed {
        AdminCallback::Section(
            section @ (Section::Orders | Section::Users | Section::Broadcast | Section::Reports),
        ) => part2::prepare_section(ctx, section).await?,
        AdminCallback::Wizard { token, action } => {
            // A part-2 wizard's own buttons go to part 2; Batal and Kembali are generic.
            let seller = SellerId(ctx.user_id());
            let current = ctx.db(move |c| stored::load_conn(c, seller)).await?;
            match current {
                Some((wizard, _))
                    if wizard.token == token
                        && !steps::is_part1(&wizard.flow)
                        && !matches!(action, WizardAction::Cancel | WizardAction::Back) =>
                {
                    part2::prepare_wizard_press(ctx, wizard, action).await?
                }
                _ => Box::new(move |tx: &mut Tx<'_>| steps::press(tx, token, action)),
            }
        }
        other => Box::new(move |tx: &mut Tx<'_>| nav::press(tx, other)),
    })
}

fn stale() -> CallbackApply {
    Box::new(|_: &mut Tx<'_>| Ok(Toast::note(admin_texts::STALE)))
}

/// Whether `text` is the command `name` (with or without `@botname`).
fn is_command(text: &str, name: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or_default();
    first == name || first.starts_with(&format!("{name}@"))
}

/// A seller's message: `Some` when the admin menu takes it (a wizard waits for it, or it is an
/// admin command), `None` to let the shop handle it.
pub async fn prepare_message(
    ctx: &Ctx<'_>,
    message: &Message,
) -> Result<Option<Apply>, HandleError> {
    let text = message
        .text()
        .or_else(|| message.caption())
        .unwrap_or_default()
        .trim()
        .to_string();
    if is_command(&text, "/admin") {
        return Ok(Some(apply(open_menu)));
    }
    let seller = SellerId(ctx.user_id());
    let (current, buying) = ctx
        .db(move |c| Ok((stored::load_conn(c, seller)?, buyer_mode(c, seller)?)))
        .await?;
    // Mode Pembeli: the seller is a customer until `/admin` (no wizard is kept then).
    if buying {
        return Ok(None);
    }
    let Some((wizard, _)) = current else {
        return Ok(None);
    };
    if let Some(taken) = part2::prepare_message(ctx, message, &wizard).await? {
        return Ok(Some(taken));
    }
    if is_command(&text, "/batal") {
        let token = wizard.token;
        return Ok(Some(apply(move |tx| steps::cancel_typed(tx, token))));
    }
    // Other commands are the shop's (`/start` never gets here).
    if text.starts_with('/') || !steps::is_part1(&wizard.flow) {
        return Ok(None);
    }
    let token = wizard.token;
    let input = match wizard.awaits() {
        Awaits::Buttons => None,
        Awaits::Text => message.text().map(|t| steps::Input::Text(t.to_string())),
        Awaits::TextOrPhoto => match (message.text(), message.photo()) {
            (Some(t), _) => Some(steps::Input::Text(t.to_string())),
            (None, Some(sizes)) => sizes.last().map(|p| steps::Input::Photo {
                file_id: p.file.id.0.clone(),
                caption: message.caption().unwrap_or_default().to_string(),
            }),
            _ => None,
        },
        Awaits::TextOrDocument => match (message.text(), message.document()) {
            (Some(t), _) => Some(steps::Input::Text(t.to_string())),
            (None, Some(document)) => Some(upload::fetch(ctx, document).await),
            _ => None,
        },
    };
    let awaits = wizard.awaits();
    Ok(Some(apply(move |tx| match input {
        Some(input) => steps::on_message(tx, token, input),
        None => {
            tx.send(admin_texts::wrong_input(awaits));
            Ok(())
        }
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_matched_by_their_first_word() {
        assert!(is_command("/admin", "/admin"));
        assert!(is_command("/admin@TokoBot", "/admin"));
        assert!(is_command(" /batal sekarang", "/batal"));
        assert!(!is_command("/administrator", "/admin"));
        assert!(!is_command("admin", "/admin"));
        assert!(!is_command("", "/batal"));
    }
}
