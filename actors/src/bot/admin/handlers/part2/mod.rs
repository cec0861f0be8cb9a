//! Part 2 of the admin menu (Order, User, Broadcast, Laporan): the entry points the admin
//! dispatcher ([`super`]) calls for part 2's sections, presses, wizard messages and wizard
//! buttons.
//!
//! Part 2's buttons carry their own area codes (`crate::bot::admin::ui::area`) — `@o:` orders,
//! `@u:` users, `@x:` broadcast, `@l:` laporan — followed by the section's [`AreaAction`]
//! encoding; a press whose data does not decode is answered as stale and changes nothing.
//! Wizard buttons use the framework's `@w:<token>:<act>`: when the seller's active wizard is
//! one of part 2's flows with that token, this module answers them itself (so a stale token
//! never acts on the current wizard).
//!
//! Layout: one private submodule per section ([`orders`], [`users`], [`broadcast`],
//! [`reports`]) with its prepare/apply steps; the shared pieces (rendering a section screen,
//! saving the wizard) here.

mod broadcast;
mod orders;
mod reports;
mod users;

use teloxide_core::types::{InlineKeyboardMarkup, Message};

use autoorder_schema::StoreError;
use autoorder_schema::db::now_ms;
use autoorder_schema::queries::admin::SellerId;
use autoorder_schema::queries::admin::wizards::{clear_wizard, load_wizard, save_wizard};

use crate::bot::admin::callback::{AdminCallback, Section, WizardAction};
use crate::bot::admin::ui::{AreaAction, Btn, Screen};
use crate::bot::admin::wizard::{Awaits, Back, Flow, Part2Flow, Wizard};
use crate::bot::context::{Apply, CallbackApply, Ctx, Toast, Tx, apply};
use crate::bot::pipeline::HandleError;

use crate::bot::admin::ui::area::{BROADCAST, ORDERS, REPORTS, USERS};

/// `Some` when `data` is one of part 2's own presses (its area codes, its sections of the
/// main menu, or a button of a part-2 wizard).
pub async fn prepare_callback(
    ctx: &Ctx<'_>,
    data: &str,
) -> Result<Option<CallbackApply>, HandleError> {
    let (area, rest) = data.split_once(':').unwrap_or((data, ""));
    Ok(Some(match area {
        ORDERS => match AreaAction::decode(rest) {
            Some(action) => orders::prepare(ctx, action).await?,
            None => stale(),
        },
        USERS => match AreaAction::decode(rest) {
            Some(action) => users::prepare(ctx, action).await?,
            None => stale(),
        },
        BROADCAST => match AreaAction::decode(rest) {
            Some(action) => broadcast::prepare(action),
            None => stale(),
        },
        REPORTS => match AreaAction::decode(rest) {
            Some(action) => reports::prepare(ctx, action).await?,
            None => stale(),
        },
        "@s" => match AdminCallback::parse(data) {
            Ok(AdminCallback::Section(section)) if is_part2(section) => {
                prepare_section(ctx, section).await?
            }
            _ => return Ok(None),
        },
        "@w" => match AdminCallback::parse(data) {
            Ok(AdminCallback::Wizard { token, action }) => match active_wizard(ctx).await? {
                Some(wizard) if wizard.token == token && matches!(wizard.flow, Flow::Part2(_)) => {
                    prepare_wizard_press(ctx, wizard, action).await?
                }
                _ => return Ok(None),
            },
            _ => return Ok(None),
        },
        _ => return Ok(None),
    }))
}

/// Whether `section` is one of part 2's.
fn is_part2(section: Section) -> bool {
    matches!(
        section,
        Section::Orders | Section::Users | Section::Broadcast | Section::Reports
    )
}

/// A part-2 section of the admin menu (Order, User, Broadcast, Laporan) was opened.
pub async fn prepare_section(
    ctx: &Ctx<'_>,
    section: Section,
) -> Result<CallbackApply, HandleError> {
    use crate::bot::admin::{orders as o, reports as r, users as u};
    match section {
        Section::Orders => orders::prepare(ctx, o::OrderAction::List(Default::default())).await,
        Section::Users => {
            users::prepare(
                ctx,
                u::UserAction::List {
                    blocked_only: false,
                    page: 0,
                },
            )
            .await
        }
        Section::Reports => reports::prepare(ctx, r::ReportAction::Menu).await,
        Section::Broadcast => Ok(broadcast::prepare(
            crate::bot::admin::broadcast::BroadcastAction::Menu { page: 0 },
        )),
        // Part 1's sections never come here (the dispatcher opens them itself).
        _ => Ok(Box::new(|_: &mut Tx<'_>| Ok(Toast::stale()))),
    }
}

/// A seller's message while `wizard` is active: `Some` when the wizard is one of part 2's
/// flows (it then takes the message), `None` otherwise.
pub async fn prepare_message(
    ctx: &Ctx<'_>,
    message: &Message,
    wizard: &Wizard,
) -> Result<Option<Apply>, HandleError> {
    let _ = ctx;
    let Flow::Part2(flow) = &wizard.flow else {
        return Ok(None);
    };
    if let Part2Flow::Broadcast(draft) = flow {
        if wizard.awaits() == Awaits::Buttons {
            return Ok(Some(apply(|tx| {
                tx.send(USE_BUTTONS);
                Ok(())
            })));
        }
        return Ok(Some(broadcast::message_typed(
            wizard.token,
            draft.clone(),
            message,
        )));
    }
    let text = message.text().map(str::to_string);
    if wizard.awaits() != Awaits::Text {
        return Ok(Some(apply(|tx| {
            tx.send(USE_BUTTONS);
            Ok(())
        })));
    }
    let Some(text) = text else {
        return Ok(Some(apply(|tx| {
            tx.send(TEXT_ONLY);
            Ok(())
        })));
    };
    let (token, flow) = (wizard.token, flow.clone());
    Ok(Some(match flow {
        Part2Flow::MarkPaid { .. } => orders::note_typed(token, flow, text),
        _ => users::text_typed(token, flow, text),
    }))
}

/// A part-2 wizard's button (Batal, Kembali, confirm) with the token of the active wizard.
pub async fn prepare_wizard_press(
    ctx: &Ctx<'_>,
    wizard: Wizard,
    action: WizardAction,
) -> Result<CallbackApply, HandleError> {
    let Flow::Part2(flow) = wizard.flow.clone() else {
        return Ok(stale());
    };
    let token = wizard.token;
    Ok(match action {
        WizardAction::Cancel => Box::new(move |tx: &mut Tx<'_>| {
            end_wizard(tx)?;
            leave(tx, &flow)?;
            Ok(Toast::note(crate::bot::admin::texts::CANCELLED))
        }),
        WizardAction::Back => Box::new(move |tx: &mut Tx<'_>| {
            let mut flow = flow;
            match flow.back() {
                Back::Leave => {
                    end_wizard(tx)?;
                    leave(tx, &flow)?;
                }
                Back::Stepped => {
                    let wizard = Wizard {
                        token,
                        flow: Flow::Part2(flow.clone()),
                    };
                    save(tx, &wizard)?;
                    reprompt(tx, &wizard, &flow)?;
                }
            }
            Ok(Toast::none())
        }),
        WizardAction::Confirm => match flow {
            Part2Flow::MarkPaid { .. } => orders::confirm(ctx, token, flow).await?,
            Part2Flow::Broadcast(_) => stale(),
            _ => users::confirm(token, flow),
        },
        _ => stale(),
    })
}

/// Shows the step `flow` is at again (after *Kembali*).
fn reprompt(tx: &mut Tx<'_>, wizard: &Wizard, flow: &Part2Flow) -> Result<(), StoreError> {
    match flow {
        Part2Flow::MarkPaid { .. } => orders::reprompt(tx, wizard.token, flow),
        Part2Flow::Broadcast(draft) => {
            broadcast::reprompt(tx, wizard.token, draft);
            Ok(())
        }
        _ => users::reprompt(tx, wizard.token, flow),
    }
}

/// The screen a part-2 wizard goes back to when it ends without writing.
fn leave(tx: &mut Tx<'_>, flow: &Part2Flow) -> Result<(), StoreError> {
    match flow {
        Part2Flow::MarkPaid { order_id, .. } => {
            orders::show_detail(tx, *order_id, Default::default()).map(|_| ())
        }
        Part2Flow::SearchUsers { .. } => users::show_list(tx, false, 0),
        Part2Flow::Broadcast(_) => broadcast::show_menu(tx, 0),
        Part2Flow::BlockUser { user_id, .. } | Part2Flow::AdjustBalance { user_id, .. } => {
            users::show_card(tx, *user_id).map(|_| ())
        }
    }
}

/// A part-2 step that waits for a button got a message.
const USE_BUTTONS: &str = "Gunakan tombol di pesan terakhir, atau tekan ❌ Batal.";

/// A part-2 step that takes only text got something else.
const TEXT_ONLY: &str = "Kirim teks ya, atau tekan ❌ Batal.";

/// The seller's active wizard, if any (read in the prepare step).
async fn active_wizard(ctx: &Ctx<'_>) -> Result<Option<Wizard>, HandleError> {
    let seller = SellerId(ctx.user_id());
    ctx.db(move |c| {
        Ok(load_wizard(c, seller, now_ms())?
            .as_ref()
            .and_then(|w| Wizard::from_json(&w.state)))
    })
    .await
}

/// The seller's active wizard, read inside the transaction (the state a confirmation acts on).
fn current_wizard(tx: &mut Tx<'_>) -> Result<Option<Wizard>, StoreError> {
    let seller = SellerId(tx.user_id());
    Ok(load_wizard(tx.conn(), seller, now_ms())?
        .as_ref()
        .and_then(|w| Wizard::from_json(&w.state)))
}

/// Starts or advances the seller's wizard.
fn save(tx: &mut Tx<'_>, wizard: &Wizard) -> Result<(), StoreError> {
    let seller = SellerId(tx.user_id());
    save_wizard(tx.conn(), seller, &wizard.to_json(), None, now_ms())
}

/// Ends the seller's wizard.
fn end_wizard(tx: &mut Tx<'_>) -> Result<(), StoreError> {
    let seller = SellerId(tx.user_id());
    clear_wizard(tx.conn(), seller).map(|_| ())
}

/// Whether the transaction still sees the wizard the press or message was prepared for (a
/// second press of the same confirmation, or a press after *Batal*, finds it gone).
fn still_current(
    tx: &mut Tx<'_>,
    token: crate::bot::admin::WizardToken,
) -> Result<bool, StoreError> {
    Ok(current_wizard(tx)?.is_some_and(|w| w.token == token))
}

/// Answers a press as stale.
fn stale() -> CallbackApply {
    Box::new(|_: &mut Tx<'_>| Ok(Toast::stale()))
}

/// The inline keyboard of a section screen, its buttons under `area`.
fn keyboard<A: AreaAction>(area: &str, rows: &[Vec<Btn<A>>]) -> InlineKeyboardMarkup {
    crate::bot::admin::ui::keyboard(area, rows)
}

/// Shows a section screen in place of the pressed message (or as a new one).
fn show<A: AreaAction>(tx: &mut Tx<'_>, area: &str, screen: Screen<A>) {
    let markup = keyboard(area, &screen.rows);
    tx.show(screen.text, markup);
}

/// A wizard step's prompt with its *Kembali* / *Batal* row.
fn prompt(tx: &mut Tx<'_>, token: crate::bot::admin::WizardToken, text: String, back: bool) {
    let row = crate::bot::admin::keyboards::step_row(token, back);
    tx.show(text, InlineKeyboardMarkup::new(vec![row]));
}

/// A confirmation screen of a wizard.
fn confirm_screen(tx: &mut Tx<'_>, token: crate::bot::admin::WizardToken, text: String) {
    let rows =
        crate::bot::admin::keyboards::confirm_rows(token, crate::bot::admin::texts::BTN_YES, true);
    tx.send_with(text, InlineKeyboardMarkup::new(rows));
}

/// Tells a customer something from a seller's action, through the queue (after the commit,
/// rate-limited like every other send).
fn tell_customer(
    tx: &mut Tx<'_>,
    user_id: i64,
    text: String,
    key: String,
) -> Result<(), StoreError> {
    use autoorder_schema::job_kinds::{JobPayload, OutboundMessage};
    use autoorder_schema::queries::jobs::NewJob;
    let job = JobPayload::SendMessage(OutboundMessage {
        chat_id: user_id,
        text,
        photo: None,
        buttons: Vec::new(),
        via_owner_bot: false,
        html: false,
    });
    tx.enqueue(&NewJob::keyed(job, key)).map(|_| ())
}
