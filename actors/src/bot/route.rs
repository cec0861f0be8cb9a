//! Routing: what an update means, decided in the prepare step, and the [`Apply`] that carries
//! it out inside the update's transaction.
//!
//! Every message and press first goes through admission inside the transaction (the user is
//! registered or refreshed, a blocked user gets one short refusal, the anti-spam bucket counts
//! the action). The prepare step only *peeks* at those, so a press that will be dropped never
//! reaches the payment gateway.

use std::collections::HashSet;
use std::sync::Mutex;

use teloxide_core::types::{CallbackQuery, Message, Update, UpdateKind};

use autoorder_schema::StoreError;
use autoorder_schema::queries::conversations::get_conversation;
use autoorder_schema::queries::shop::spam::{SpamVerdict, would_allow};
use autoorder_schema::queries::users::{TelegramProfile, is_blocked, touch_user_returning_blocked};

use super::admin;
use super::callback::CallbackData;
use super::context::{Apply, CallbackApply, Ctx, Toast, Tx, Who, apply};
use super::conversation::Conversation;
use super::flows::{cart, catalog, checkout, deposit, guard, info, invoice, orders, snk, start};
use super::pipeline::HandleError;
use super::texts;
use crate::log_targets::BOT;
use crate::services::Services;

/// An update ready to be committed: who it is from (none for kinds the bot ignores), whether
/// it is a button press (its id, to answer it), and what to apply.
pub struct Prepared {
    pub who: Option<Who>,
    pub query_id: Option<String>,
    pub apply: Apply,
}

impl Prepared {
    fn ignored() -> Prepared {
        Prepared {
            who: None,
            query_id: None,
            apply: apply(|_| Ok(())),
        }
    }
}

/// What the prepare step read about the sender (nothing written).
struct Peek {
    blocked: bool,
    allowed: bool,
    conversation: Option<Conversation>,
}

async fn peek(ctx: &Ctx<'_>) -> Result<Peek, HandleError> {
    let user_id = ctx.user_id();
    let limit = guard::limit(ctx.services);
    ctx.db(move |c| {
        Ok(Peek {
            blocked: is_blocked(c, user_id)?,
            allowed: would_allow(c, user_id, &limit)?,
            conversation: get_conversation(c, user_id)?
                .as_deref()
                .and_then(Conversation::from_json),
        })
    })
    .await
}

/// Update kinds the Bot API types could not read, each logged once per process.
static UNREADABLE_LOGGED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// The kind of an update (its field other than `update_id`), for logs and metrics.
pub fn kind_of(payload: &str) -> String {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| {
            v.as_object().and_then(|o| {
                o.keys()
                    .find(|k| k.as_str() != "update_id")
                    .map(|k| k.chars().take(40).collect())
            })
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// Parses and routes one stored update. Unknown update kinds and fields are ignored, never an
/// error; updates the Bot API types cannot read are logged once per kind and counted.
pub async fn prepare(
    services: &Services,
    update_id: i64,
    payload: &str,
) -> Result<Prepared, HandleError> {
    let update: Update = match serde_json::from_str(payload) {
        Ok(u) => u,
        Err(e) => {
            let kind = kind_of(payload);
            note_unreadable(services, &kind, &e.to_string());
            return Ok(Prepared::ignored());
        }
    };
    match update.kind {
        UpdateKind::Message(message) => on_message(services, update_id, message).await,
        UpdateKind::CallbackQuery(query) => on_callback(services, update_id, query).await,
        UpdateKind::Error(_) => {
            // teloxide keeps nothing of an update it could not read: name it from the payload.
            let kind = kind_of(payload);
            note_unreadable(services, &kind, "the Bot API types cannot read it");
            Ok(Prepared::ignored())
        }
        _ => Ok(Prepared::ignored()),
    }
}

fn note_unreadable(services: &Services, kind: &str, why: &str) {
    services
        .metrics
        .updates_unreadable
        .get_or_create(&crate::metrics::KindLabels {
            kind: kind.to_string(),
        })
        .inc();
    let mut seen = UNREADABLE_LOGGED.lock().unwrap_or_else(|e| e.into_inner());
    if seen
        .get_or_insert_with(HashSet::new)
        .insert(kind.to_string())
    {
        log::warn!(target: BOT, "ignoring updates of kind `{kind}`: {why} (logged once per kind)");
    }
}

/// Registers or refreshes the user, then checks the block and counts the action against the
/// spam limit (the sellers' notice is enqueued in the same transaction as the count).
fn admit(tx: &mut Tx<'_>, profile: &ProfileOwned) -> Result<Admission, StoreError> {
    let user_id = tx.user_id();
    let blocked = touch_user_returning_blocked(
        tx.conn(),
        &TelegramProfile {
            id: user_id,
            username: profile.username.as_deref(),
            first_name: &profile.first_name,
            language: profile.language.as_deref(),
        },
    )?;
    if blocked {
        return Ok(Admission::Blocked);
    }
    let limit = guard::limit(&tx.services);
    match guard::count_action(tx, &limit)? {
        SpamVerdict::Allow => Ok(Admission::Allowed),
        SpamVerdict::Spam { warn, .. } => Ok(Admission::Spam { warn }),
    }
}

/// What admission decided.
enum Admission {
    Allowed,
    Blocked,
    Spam { warn: bool },
}

/// The Telegram profile fields admission stores.
#[derive(Clone)]
struct ProfileOwned {
    username: Option<String>,
    first_name: String,
    language: Option<String>,
}

impl ProfileOwned {
    fn of(user: &teloxide_core::types::User) -> ProfileOwned {
        ProfileOwned {
            username: user.username.clone(),
            first_name: user.first_name.clone(),
            language: user.language_code.clone(),
        }
    }
}

/// A dialog waiting for typed text (a menu choice or a button press ends it).
fn awaits_text(state: &Option<Conversation>) -> bool {
    matches!(
        state,
        Some(
            Conversation::AwaitingVoucher
                | Conversation::AwaitingDepositAmount
                | Conversation::AwaitingDisplayName
                | Conversation::AwaitingWhatsapp
        )
    )
}

/// The main menu (reply keyboard).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Menu {
    Products,
    Stock,
    Deposit,
    Info,
    HowToOrder,
    Orders,
    Admin,
}

/// The menu entry a text names: the label, in any case, with or without a leading emoji.
fn menu_of(text: &str) -> Option<Menu> {
    let label = text
        .trim()
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .trim();
    [
        (texts::MENU_PRODUCTS, Menu::Products),
        (texts::MENU_STOCK, Menu::Stock),
        (texts::MENU_DEPOSIT, Menu::Deposit),
        (texts::MENU_INFO, Menu::Info),
        (texts::MENU_HOW_TO_ORDER, Menu::HowToOrder),
        (texts::MENU_ORDERS, Menu::Orders),
        (texts::MENU_ADMIN, Menu::Admin),
    ]
    .into_iter()
    .find(|(l, _)| l.eq_ignore_ascii_case(label))
    .map(|(_, m)| m)
}

fn route_menu(tx: &mut Tx<'_>, menu: Menu) -> Result<(), StoreError> {
    match menu {
        Menu::Products => catalog::show_catalog(tx, 0),
        Menu::Stock => catalog::show_stock(tx),
        Menu::Deposit => deposit::show_menu(tx),
        Menu::Info => info::show_info(tx),
        Menu::HowToOrder => start::how_to_order(tx),
        Menu::Orders => orders::show_orders(tx, 0),
        Menu::Admin if tx.is_admin() => admin::handlers::open_menu(tx),
        Menu::Admin => {
            tx.send(texts::UNKNOWN_INPUT);
            Ok(())
        }
    }
}

/// A number as the customer types it from a list (`7`, ` 7 `).
fn typed_number(text: &str) -> Option<u32> {
    let t = text.trim();
    (!t.is_empty() && t.len() <= 6 && t.bytes().all(|b| b.is_ascii_digit()))
        .then(|| t.parse().ok())
        .flatten()
}

/// Wraps a customer handler with admission: the handler runs only for an admitted action.
fn admitted(
    profile: ProfileOwned,
    is_start: bool,
    handler: impl FnOnce(&mut Tx<'_>) -> Result<(), StoreError> + Send + 'static,
) -> Apply {
    apply(move |tx| match admit(tx, &profile)? {
        Admission::Allowed => handler(tx),
        Admission::Blocked => {
            if is_start {
                tx.send(texts::BLOCKED);
            }
            Ok(())
        }
        Admission::Spam { warn } => {
            if warn {
                tx.send(texts::SPAM_WARNING);
            }
            Ok(())
        }
    })
}

async fn on_message(
    services: &Services,
    update_id: i64,
    message: Message,
) -> Result<Prepared, HandleError> {
    let Some(from) = message.from.clone() else {
        return Ok(Prepared::ignored());
    };
    let who = Who {
        user_id: from.id.0 as i64,
        chat: message.chat.id,
        first_name: from.first_name.clone(),
        origin: None,
    };
    let ctx = Ctx {
        services,
        who: who.clone(),
        update_id,
    };
    let text = message.text().unwrap_or_default().trim().to_string();
    // Owner commands (`/status`, `/backup`) when the owner bot shares the shop's token; anyone
    // not in TELEGRAM_OWNER_IDS is refused. Never reaches the customer flows.
    if crate::health::owner::shares_shop_token(services)
        && let Some(reply) = crate::health::owner::command_reply(services, who.user_id, &text).await
    {
        return Ok(Prepared {
            who: Some(who),
            query_id: None,
            apply: apply(move |tx| {
                tx.send(reply);
                Ok(())
            }),
        });
    }
    let profile = ProfileOwned::of(&from);
    let command = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let is_command = |name: &str| command == name || command.starts_with(&format!("{name}@"));
    let is_start = is_command("/start");
    // A seller's message goes to the admin menu first (its wizards, `/admin`); what it does
    // not take is the shop's.
    let for_admin = if ctx.is_admin() && !is_start {
        admin::handlers::prepare_message(&ctx, &message).await?
    } else {
        None
    };
    let handler: Apply = if let Some(for_admin) = for_admin {
        for_admin
    } else if is_start {
        apply(|tx| {
            tx.clear_state()?;
            start::start(tx)
        })
    } else if is_command("/batal") {
        apply(|tx| {
            tx.clear_state()?;
            tx.send(texts::INPUT_CANCELLED);
            Ok(())
        })
    } else if let Some(menu) = menu_of(&text) {
        apply(move |tx| {
            // A menu choice ends a dialog waiting for text; the last catalog list stays.
            let user_id = tx.user_id();
            let state =
                autoorder_schema::queries::conversations::get_conversation(tx.conn(), user_id)?
                    .as_deref()
                    .and_then(Conversation::from_json);
            if awaits_text(&state) || matches!(state, Some(Conversation::AwaitingSnkAnswer { .. }))
            {
                tx.clear_state()?;
            }
            route_menu(tx, menu)
        })
    } else {
        // A text (or photo) outside the menu: what it means depends on the dialog the customer
        // is in, read inside the transaction (no read in the prepare step: this is the most
        // common update, and the state read in the transaction cannot be stale).
        let answer = snk::SnkAnswer::of(&message);
        let customer = from.full_name();
        apply(move |tx| {
            let user_id = tx.user_id();
            let state = get_conversation(tx.conn(), user_id)?
                .as_deref()
                .and_then(Conversation::from_json);
            match state {
                Some(Conversation::AwaitingSnkAnswer {
                    order_ref,
                    product_id,
                    product_name,
                }) => snk::answer(tx, &customer, &order_ref, product_id, &product_name, answer),
                Some(Conversation::AwaitingVoucher) => cart::voucher_typed(tx, &text),
                Some(Conversation::AwaitingDepositAmount) => deposit::amount_typed(tx, &text),
                Some(Conversation::AwaitingDisplayName) => info::name_typed(tx, &text),
                Some(Conversation::AwaitingWhatsapp) => info::whatsapp_typed(tx, &text),
                state => match typed_number(&text) {
                    Some(number) => catalog::typed_number(tx, state.as_ref(), number),
                    None => {
                        tx.send(texts::UNKNOWN_INPUT);
                        Ok(())
                    }
                },
            }
        })
    };
    Ok(Prepared {
        who: Some(who),
        query_id: None,
        apply: admitted(profile, is_start, handler),
    })
}

async fn on_callback(
    services: &Services,
    update_id: i64,
    query: CallbackQuery,
) -> Result<Prepared, HandleError> {
    let user_id = query.from.id.0 as i64;
    let (chat, origin) = match &query.message {
        Some(m) => (m.chat().id, Some(m.id())),
        None => (teloxide_core::types::ChatId(user_id), None),
    };
    let who = Who {
        user_id,
        chat,
        first_name: query.from.first_name.clone(),
        origin,
    };
    let ctx = Ctx {
        services,
        who: who.clone(),
        update_id,
    };
    let profile = ProfileOwned::of(&query.from);
    let query_id = query.id.0.clone();
    let raw = query.data.as_deref().unwrap_or_default();
    let data = query.data.as_deref().map(CallbackData::parse);
    let handler: CallbackApply = if admin::is_admin_data(raw) {
        // Admin buttons: a seller's go to the admin menu; anyone else's (a replayed or forged
        // press) is refused and changes nothing.
        if ctx.is_admin() {
            admin::handlers::prepare_callback(&ctx, raw).await?
        } else {
            log::info!(target: BOT, "a press of admin data from {user_id}, who is not a seller");
            Box::new(|_: &mut Tx<'_>| Ok(Toast::alert(admin::texts::NOT_ALLOWED)))
        }
    } else {
        match data {
            Some(Ok(data)) => {
                let peeked = peek(&ctx).await?;
                let clears = awaits_text(&peeked.conversation) && data != CallbackData::Noop;
                // Presses that call the payment gateway do it here, before the transaction — and
                // only when the press will be admitted.
                let routed = if peeked.blocked || !peeked.allowed {
                    Box::new(|_: &mut Tx<'_>| Ok(Toast::none())) as _
                } else {
                    route_callback(&ctx, data).await?
                };
                Box::new(move |tx: &mut Tx<'_>| {
                    if clears {
                        tx.clear_state()?;
                    }
                    routed(tx)
                })
            }
            _ => {
                log::info!(target: BOT, "a press from {user_id} with data the bot did not write");
                Box::new(|_: &mut Tx<'_>| Ok(Toast::stale()))
            }
        }
    };
    Ok(Prepared {
        who: Some(who),
        query_id: Some(query_id),
        apply: apply(move |tx| {
            let toast = match admit(tx, &profile)? {
                Admission::Blocked => Toast::alert(texts::BLOCKED),
                // A dropped press is always answered visibly (it costs no message).
                Admission::Spam { .. } => Toast::alert(texts::SPAM_WARNING),
                Admission::Allowed => handler(tx)?,
            };
            tx.toast(toast);
            Ok(())
        }),
    })
}

fn cb(f: impl FnOnce(&mut Tx<'_>) -> Result<Toast, StoreError> + Send + 'static) -> CallbackApply {
    Box::new(f)
}

fn none(f: impl FnOnce(&mut Tx<'_>) -> Result<(), StoreError> + Send + 'static) -> CallbackApply {
    Box::new(move |tx| f(tx).map(|()| Toast::none()))
}

async fn route_callback(ctx: &Ctx<'_>, data: CallbackData) -> Result<CallbackApply, HandleError> {
    use CallbackData as C;
    Ok(match data {
        C::SnkFulfil {
            order_ref,
            product_id,
        } => cb(move |tx| snk::press(tx, order_ref, product_id)),
        C::Info => none(info::show_info),
        C::HowToOrder => none(start::how_to_order),
        C::CatalogPage { page } => none(move |tx| catalog::show_catalog(tx, page)),
        C::CategoryPage { category_id, page } => {
            none(move |tx| catalog::show_category(tx, category_id, page))
        }
        C::Product { product_id } => cb(move |tx| {
            Ok(if catalog::show_product(tx, product_id)? {
                Toast::none()
            } else {
                Toast::alert(texts::PRODUCT_GONE)
            })
        }),
        C::AddToCart {
            product_id,
            quantity,
        } => cb(move |tx| catalog::add_to_cart(tx, product_id, quantity)),
        C::ViewCart => none(cart::show_cart),
        C::CartIncrease { product_id } => {
            cb(move |tx| cart::edit_line(tx, product_id, cart::LineEdit::Increase))
        }
        C::CartDecrease { product_id } => {
            cb(move |tx| cart::edit_line(tx, product_id, cart::LineEdit::Decrease))
        }
        C::CartRemove { product_id } => {
            cb(move |tx| cart::edit_line(tx, product_id, cart::LineEdit::Remove))
        }
        C::UseVoucher => cb(cart::ask_voucher),
        C::RemoveVoucher => cb(cart::remove_voucher),
        C::Checkout => cb(checkout::choose),
        C::ClearCart => cb(cart::clear),
        C::PayQris => cb(checkout::pay_qris),
        C::PayBalance => cb(checkout::pay_balance),
        C::PayAbort => cb(checkout::abort),
        C::CheckPayment { payment_id } => invoice::check(ctx, payment_id).await?,
        C::CancelPayment { payment_id } => invoice::cancel(ctx, payment_id).await?,
        C::OrdersPage { page } => none(move |tx| orders::show_orders(tx, page)),
        C::Order { order_id } => cb(move |tx| orders::show_order(tx, order_id)),
        C::Resend { order_id } => cb(move |tx| orders::resend(tx, order_id)),
        C::RefreshStock => {
            cb(|tx| catalog::show_stock(tx).map(|()| Toast::note(texts::STOCK_REFRESHED)))
        }
        C::DepositMenu => none(deposit::show_menu),
        C::Deposit { amount } => cb(move |tx| deposit::preset(tx, amount)),
        C::DepositOther => cb(deposit::ask_amount),
        C::EditName => cb(info::ask_name),
        C::EditWhatsapp => cb(info::ask_whatsapp),
        C::CancelInput => cb(|tx| {
            tx.send(texts::INPUT_CANCELLED);
            Ok(Toast::none())
        }),
        C::Noop => cb(|_| Ok(Toast::none())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_labels_are_recognised_loosely() {
        assert_eq!(menu_of("Semua Produk"), Some(Menu::Products));
        assert_eq!(menu_of("  semua produk "), Some(Menu::Products));
        assert_eq!(menu_of("🛍️ Semua Produk"), Some(Menu::Products));
        assert_eq!(menu_of("Pesanan Saya"), Some(Menu::Orders));
        assert_eq!(menu_of("Admin"), Some(Menu::Admin));
        assert_eq!(menu_of("Semua"), None);
        assert_eq!(menu_of(""), None);
    }

    #[test]
    fn typed_numbers_are_plain_digits() {
        assert_eq!(typed_number("7"), Some(7));
        assert_eq!(typed_number(" 12 "), Some(12));
        assert_eq!(typed_number("-1"), None);
        assert_eq!(typed_number("7a"), None);
        assert_eq!(typed_number(""), None);
        assert_eq!(typed_number("99999999"), None);
    }

    #[test]
    fn update_kinds_are_named_for_logs() {
        assert_eq!(
            kind_of(r#"{"update_id":1,"business_message":{}}"#),
            "business_message"
        );
        assert_eq!(kind_of("not json"), "unknown");
    }
}
