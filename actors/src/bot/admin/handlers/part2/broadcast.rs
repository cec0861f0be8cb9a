//! *Broadcast*: the section menu, *Broadcast Baru* (a wizard: the content — text, photo with
//! caption, or any message to copy —, the audience, a preview exactly as customers get it with
//! the recipient count, the confirmation), and the live progress message with *Jeda* /
//! *Lanjut* / *Batalkan*. Sending is the one broadcast engine (`start_broadcast` + the queue),
//! the same as `autoorder broadcast`; the queue keeps the progress message current.

use teloxide_core::types::{InlineKeyboardMarkup, Message};

use autoorder_schema::StoreError;
use autoorder_schema::db::now_ms;
use autoorder_schema::queries::admin::products::{ProductList, list_products, product};
use autoorder_schema::queries::admin::{PageRequest, ProductId};
use autoorder_schema::queries::broadcasts::{
    Audience, BroadcastState, NewBroadcast, broadcast_audience, broadcast_progress,
    change_broadcast_state, count_audience, recent_broadcasts, set_progress_message,
    start_broadcast,
};

use super::{BROADCAST, current_wizard, end_wizard, keyboard, save};
use crate::bot::admin::WizardToken;
use crate::bot::admin::broadcast::{
    AudienceKind, BroadcastAction, COMPOSE_PROMPT, PREVIEW_HEADER, SellerMessage, audience_label,
    audience_screen, cancel_confirm, compose, confirm_screen, days_screen, menu_screen, parse_days,
    products_screen, progress_screen,
};
use crate::bot::admin::keyboards::step_row;
use crate::bot::admin::ui::{PER_PAGE, Screen};
use crate::bot::admin::wizard::{BroadcastDraft, DraftBody, Flow, Part2Flow, Wizard};
use crate::bot::context::{Apply, CallbackApply, Toast, Tx, apply};
use crate::send::{Effect, OnSent, PhotoSource};

/// A broadcast button with no broadcast wizard behind it.
const NO_DRAFT: &str = "Mulai lagi dari ✍️ Broadcast Baru.";
/// The state change was refused (already finished, …).
const NOT_NOW: &str = "Broadcast ini tidak bisa diubah lagi.";

/// The prepare step of a Broadcast button (everything happens in the transaction).
pub(super) fn prepare(action: BroadcastAction) -> CallbackApply {
    Box::new(move |tx: &mut Tx<'_>| match action {
        BroadcastAction::Menu { page } => {
            show_menu(tx, page)?;
            Ok(Toast::none())
        }
        BroadcastAction::New => {
            let wizard =
                Wizard::start(Flow::Part2(Part2Flow::Broadcast(BroadcastDraft::default())));
            save(tx, &wizard)?;
            let row = step_row(wizard.token, false);
            tx.show(COMPOSE_PROMPT, InlineKeyboardMarkup::new(vec![row]));
            Ok(Toast::none())
        }
        BroadcastAction::Audience(kind) => with_draft(tx, move |tx, token, mut draft| match kind {
            AudienceKind::All => {
                draft.audience = Some(Audience::All);
                preview(tx, token, draft)
            }
            AudienceKind::Active => {
                draft.asking_days = true;
                draft.audience = None;
                save_draft(tx, token, &draft)?;
                step_screen(tx, token, days_screen());
                Ok(Toast::none())
            }
            AudienceKind::Buyers => {
                show_products(tx, token, 0)?;
                Ok(Toast::none())
            }
        }),
        BroadcastAction::Products { page } => with_draft(tx, move |tx, token, _| {
            show_products(tx, token, page)?;
            Ok(Toast::none())
        }),
        BroadcastAction::Product { product_id } => with_draft(tx, move |tx, token, mut draft| {
            draft.audience = Some(Audience::BuyersOf { product_id });
            preview(tx, token, draft)
        }),
        BroadcastAction::Days { days } => with_draft(tx, move |tx, token, mut draft| {
            draft.audience = Some(Audience::ActiveWithin { days });
            preview(tx, token, draft)
        }),
        BroadcastAction::Send => with_draft(tx, send),
        BroadcastAction::Progress { id } => {
            show_progress(tx, id)?;
            Ok(Toast::none())
        }
        BroadcastAction::Pause { id } => change(tx, id, BroadcastState::Paused),
        BroadcastAction::Resume { id } => change(tx, id, BroadcastState::Running),
        BroadcastAction::Cancel { id } => {
            let Some(p) = broadcast_progress(tx.conn(), id)? else {
                return Ok(Toast::stale());
            };
            // A message of its own: the progress message keeps being edited meanwhile.
            let screen = cancel_confirm(id, p.pending);
            tx.send_with(screen.text.clone(), keyboard(BROADCAST, &screen.rows));
            Ok(Toast::none())
        }
        BroadcastAction::ConfirmCancel { id } => {
            let changed = change_broadcast_state(tx.conn(), id, BroadcastState::Cancelled)?;
            tx.jobs_enqueued();
            // The progress message gets its final figures; the confirmation says what happened.
            let tz = tx.services.settings.timezone;
            let expires_at = now_ms() + tx.services.settings.reply_ttl.as_millis() as i64;
            crate::bot::admin::broadcast::queue_progress_edit(tx.conn(), id, &tz, expires_at)?;
            Ok(match changed {
                Ok(()) => {
                    let done = format!("⛔ Broadcast #{id} dibatalkan.");
                    tx.show(done.clone(), InlineKeyboardMarkup::default());
                    Toast::note(done)
                }
                Err(_) => Toast::alert(NOT_NOW),
            })
        }
    })
}

/// The section menu: recent broadcasts and *Broadcast Baru*.
pub(super) fn show_menu(tx: &mut Tx<'_>, page: u32) -> Result<(), StoreError> {
    let per_page = i64::from(PER_PAGE);
    let offset = i64::from(page) * per_page;
    // One more than a page tells the pager whether a next page exists.
    let mut recent = recent_broadcasts(tx.conn(), per_page + 1, offset)?;
    let total = offset + recent.len() as i64;
    recent.truncate(PER_PAGE as usize);
    let tz = tx.services.settings.timezone;
    let screen = menu_screen(&recent, page, total, &tz);
    tx.show(screen.text.clone(), keyboard(BROADCAST, &screen.rows));
    Ok(())
}

/// Runs `f` with the seller's broadcast draft; stale when there is none.
fn with_draft(
    tx: &mut Tx<'_>,
    f: impl FnOnce(&mut Tx<'_>, WizardToken, BroadcastDraft) -> Result<Toast, StoreError>,
) -> Result<Toast, StoreError> {
    match current_wizard(tx)? {
        Some(Wizard {
            token,
            flow: Flow::Part2(Part2Flow::Broadcast(draft)),
        }) => f(tx, token, draft),
        _ => Ok(Toast::alert(NO_DRAFT)),
    }
}

fn save_draft(
    tx: &mut Tx<'_>,
    token: WizardToken,
    draft: &BroadcastDraft,
) -> Result<(), StoreError> {
    save(
        tx,
        &Wizard {
            token,
            flow: Flow::Part2(Part2Flow::Broadcast(draft.clone())),
        },
    )
}

/// A section screen that is a wizard step: its buttons, then *Kembali* / *Batal*.
fn step_screen(tx: &mut Tx<'_>, token: WizardToken, screen: Screen<BroadcastAction>) {
    let markup = keyboard(BROADCAST, &screen.rows).append_row(step_row(token, true));
    tx.show(screen.text, markup);
}

/// *Kembali*: the step the draft is at again.
pub(super) fn reprompt(tx: &mut Tx<'_>, token: WizardToken, draft: &BroadcastDraft) {
    if draft.body.is_none() {
        let row = step_row(token, false);
        tx.show(COMPOSE_PROMPT, InlineKeyboardMarkup::new(vec![row]));
    } else if draft.asking_days {
        step_screen(tx, token, days_screen());
    } else {
        step_screen(tx, token, audience_screen());
    }
}

fn show_products(tx: &mut Tx<'_>, token: WizardToken, page: u32) -> Result<(), StoreError> {
    let rows = list_products(
        tx.conn(),
        ProductList::Active,
        PageRequest::new(page, PER_PAGE),
    )?;
    let items: Vec<(i64, String)> = rows
        .items
        .iter()
        .map(|p| (p.id.0, p.name.clone()))
        .collect();
    step_screen(tx, token, products_screen(&items, page, rows.total));
    Ok(())
}

/// The seller's message while the draft waits for content or a typed day count.
pub(super) fn message_typed(token: WizardToken, draft: BroadcastDraft, message: &Message) -> Apply {
    let photo = message
        .photo()
        .and_then(|sizes| sizes.last())
        .map(|p| p.file.id.to_string());
    let text = message.text().map(str::to_string);
    let caption = message.caption().map(str::to_string);
    let formatted = message.entities().is_some_and(|e| !e.is_empty())
        || message.caption_entities().is_some_and(|e| !e.is_empty());
    let forwarded = message.forward_origin().is_some();
    let (chat_id, message_id) = (message.chat.id.0, i64::from(message.id.0));
    apply(move |tx| {
        if !super::still_current(tx, token)? {
            return Ok(());
        }
        let mut draft = draft;
        if draft.body.is_none() {
            let seller_message = SellerMessage {
                chat_id,
                message_id,
                text: text.as_deref(),
                caption: caption.as_deref(),
                photo_file_id: photo.as_deref(),
                forwarded,
                formatted,
            };
            let body = match compose(&seller_message) {
                Ok(body) => body,
                Err(problem) => {
                    tx.send(problem.to_string());
                    return Ok(());
                }
            };
            draft.body = DraftBody::of(&body);
            save_draft(tx, token, &draft)?;
            step_screen(tx, token, audience_screen());
            return Ok(());
        }
        match text.as_deref().and_then(parse_days) {
            Some(days) => {
                draft.audience = Some(Audience::ActiveWithin { days });
                preview(tx, token, draft).map(|_| ())
            }
            None => {
                step_screen(tx, token, days_screen());
                Ok(())
            }
        }
    })
}

/// The preview exactly as customers get it, then who and how many, with *Kirim*.
fn preview(
    tx: &mut Tx<'_>,
    token: WizardToken,
    draft: BroadcastDraft,
) -> Result<Toast, StoreError> {
    let (Some(body), Some(audience)) = (draft.body.clone(), draft.audience) else {
        return Ok(Toast::alert(NO_DRAFT));
    };
    if let Err(problem) = audience.check(tx.conn())? {
        return Ok(Toast::alert(problem.to_string()));
    }
    let label = label_of(tx, &audience)?;
    let recipients = count_audience(tx.conn(), audience, now_ms())?;
    if recipients == 0 {
        // Nobody to send to: back to the audience choice, the content kept.
        let draft = BroadcastDraft {
            audience: None,
            asking_days: false,
            ..draft
        };
        save_draft(tx, token, &draft)?;
        let nobody = confirm_screen(&label, 0);
        let picker = audience_screen();
        let markup = keyboard(BROADCAST, &picker.rows).append_row(step_row(token, true));
        tx.send_with(format!("{}\n\n{}", nobody.text, picker.text), markup);
        return Ok(Toast::none());
    }
    save_draft(tx, token, &draft)?;
    tx.send(PREVIEW_HEADER);
    match &body {
        DraftBody::Text { text } => tx.send(text.clone()),
        DraftBody::Photo { file_id, caption } => tx.photo(
            PhotoSource::FileId {
                file_id: file_id.clone(),
            },
            (!caption.is_empty()).then(|| caption.clone()),
            None,
            None,
        ),
        // Copied into the seller's chat with the same `copyMessage` the recipients get.
        DraftBody::Copy {
            from_chat_id,
            message_id,
        } => tx.effect(Effect::Copy {
            from_chat_id: *from_chat_id,
            message_id: *message_id,
        }),
    }
    let screen = confirm_screen(&label, recipients);
    let markup = keyboard(BROADCAST, &screen.rows).append_row(step_row(token, true));
    tx.send_with(screen.text, markup);
    Ok(Toast::none())
}

/// Who an audience is, with the product's name for "buyers of".
fn label_of(tx: &mut Tx<'_>, audience: &Audience) -> Result<String, StoreError> {
    let name = match audience {
        Audience::BuyersOf { product_id } => {
            product(tx.conn(), ProductId(*product_id))?.map(|p| p.name)
        }
        _ => None,
    };
    Ok(audience_label(audience, name.as_deref()))
}

/// *Kirim*: the broadcast is created (a recipient row and a queue job each), the wizard ends,
/// and the live progress message is sent (the queue edits it from then on).
fn send(tx: &mut Tx<'_>, token: WizardToken, draft: BroadcastDraft) -> Result<Toast, StoreError> {
    let _ = token;
    let (Some(body), Some(audience)) = (draft.body, draft.audience) else {
        return Ok(Toast::alert(NO_DRAFT));
    };
    let created_by = format!("admin:{}", tx.user_id());
    let body = body.body();
    let started = start_broadcast(
        tx.conn(),
        &NewBroadcast {
            body: &body,
            audience,
            created_by: &created_by,
        },
    )?;
    let (id, _) = match started {
        Ok(started) => started,
        Err(problem) => return Ok(Toast::alert(problem.to_string())),
    };
    tx.jobs_enqueued();
    end_wizard(tx)?;
    let Some(p) = broadcast_progress(tx.conn(), id)? else {
        return Ok(Toast::stale());
    };
    let label = label_of(tx, &audience)?;
    let tz = tx.services.settings.timezone;
    let screen = progress_screen(&p, &label, &tz);
    tx.effect(Effect::Text {
        text: screen.text.clone(),
        markup: Some(keyboard(BROADCAST, &screen.rows).into()),
        html: false,
        on_sent: Some(OnSent::BroadcastProgress { broadcast_id: id }),
    });
    Ok(Toast::note(format!("📢 Broadcast #{id} dimulai.")))
}

/// The progress screen of a broadcast in place of the pressed message, which becomes the one
/// the queue keeps current.
fn show_progress(tx: &mut Tx<'_>, id: i64) -> Result<bool, StoreError> {
    let Some(p) = broadcast_progress(tx.conn(), id)? else {
        return Ok(false);
    };
    let audience = broadcast_audience(tx.conn(), id)?.unwrap_or(Audience::All);
    let label = label_of(tx, &audience)?;
    let tz = tx.services.settings.timezone;
    let screen = progress_screen(&p, &label, &tz);
    tx.show(screen.text.clone(), keyboard(BROADCAST, &screen.rows));
    if let Some(origin) = tx.who.origin {
        let chat = tx.chat().0;
        set_progress_message(tx.conn(), id, chat, i64::from(origin.0))?;
    }
    Ok(true)
}

/// *Jeda* / *Lanjut*: the engine's state change, then the progress shown.
fn change(tx: &mut Tx<'_>, id: i64, to: BroadcastState) -> Result<Toast, StoreError> {
    let changed = change_broadcast_state(tx.conn(), id, to)?;
    tx.jobs_enqueued();
    if !show_progress(tx, id)? {
        return Ok(Toast::stale());
    }
    Ok(match changed {
        Ok(()) => Toast::note(if to == BroadcastState::Paused {
            "⏸ Dijeda."
        } else {
            "▶️ Dilanjutkan."
        }),
        Err(_) => Toast::alert(NOT_NOW),
    })
}
