//! Handling of stored updates: claim in `update_id` order, handle, mark done or retry.

use teloxide_core::prelude::*;
use teloxide_core::types::{CallbackQuery, ChatId, Message, MessageId, Update, UpdateKind, User};

use autoorder_schema::StoreError;
use autoorder_schema::queries::conversations::get_conversation;
use autoorder_schema::queries::shop::spam::SpamVerdict;
use autoorder_schema::queries::updates::{
    StoredUpdate, claim_pending_updates, extend_update_claims, mark_update_done, mark_update_failed,
};
use autoorder_schema::queries::users::{TelegramProfile, is_blocked, touch_user};

use crate::blocking::with_conn;
use crate::log_targets::BOT;
use crate::metrics::OutcomeLabels;
use crate::services::Services;

use super::callback::CallbackData;
use super::context::{Ctx, Toast, telegram};
use super::conversation::Conversation;
use super::flows::{cart, catalog, checkout, deposit, guard, info, invoice, orders, snk, start};
use super::texts;

pub use super::flows::snk::SnkAnswer;

/// How many updates one claim takes.
const BATCH: i64 = 32;
/// How long a claim holds an update before another worker may take it (a crashed worker's
/// claims run out after this); renewed while a batch is being worked through.
const LOCK_MS: i64 = 15_000;
/// Attempts before an update is given up as `failed`.
const MAX_ATTEMPTS: i32 = 5;

/// Why handling one update failed.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("telegram: {0}")]
    Telegram(String),
    #[error("payment actor: {0}")]
    Payment(String),
}

/// Processes pending updates until none are left. Returns how many were handled.
pub async fn drain_pending(services: &Services, bot: &Bot) -> Result<usize, StoreError> {
    let mut handled = 0;
    while !services.state.is_shutting_down() {
        let worker = services.instance_id.to_string();
        let batch = with_conn(&services.pool, move |c| {
            claim_pending_updates(c, &worker, BATCH, LOCK_MS)
        })
        .await?;
        if batch.is_empty() {
            return Ok(handled);
        }
        let mut renewed_at = std::time::Instant::now();
        let ids: Vec<i64> = batch.iter().map(|u| u.update_id).collect();
        for (i, update) in batch.into_iter().enumerate() {
            if renewed_at.elapsed().as_millis() as i64 > LOCK_MS / 3 {
                let (worker, rest) = (services.instance_id.to_string(), ids[i..].to_vec());
                with_conn(&services.pool, move |c| {
                    extend_update_claims(c, &worker, &rest, LOCK_MS)
                })
                .await?;
                renewed_at = std::time::Instant::now();
            }
            process_one(services, bot, update).await?;
            handled += 1;
        }
    }
    Ok(handled)
}

async fn process_one(
    services: &Services,
    bot: &Bot,
    stored: StoredUpdate,
) -> Result<(), StoreError> {
    let update_id = stored.update_id;
    match handle_update(services, bot, &stored.payload).await {
        Ok(()) => {
            with_conn(&services.pool, move |c| mark_update_done(c, update_id)).await?;
            services
                .metrics
                .updates_processed
                .get_or_create(&OutcomeLabels { outcome: "done" })
                .inc();
        }
        Err(e) => {
            let token = services.settings.telegram.bot_token.expose().clone();
            let message = crate::telegram::redact(&e.to_string(), &token);
            let retry_in = 1_000i64 << stored.attempts.clamp(0, 10);
            let msg = message.clone();
            let gave_up = with_conn(&services.pool, move |c| {
                mark_update_failed(c, update_id, &msg, MAX_ATTEMPTS, retry_in)
            })
            .await?;
            let outcome = if gave_up { "failed" } else { "retry" };
            services
                .metrics
                .updates_processed
                .get_or_create(&OutcomeLabels { outcome })
                .inc();
            log::warn!(target: BOT, "update {update_id} attempt {} failed ({outcome}): {message}", stored.attempts);
        }
    }
    Ok(())
}

/// Routes one update. Unknown update kinds and unknown fields are ignored, never an error.
pub async fn handle_update(
    services: &Services,
    bot: &Bot,
    payload: &str,
) -> Result<(), HandleError> {
    let update: Update = match serde_json::from_str(payload) {
        Ok(u) => u,
        Err(e) => {
            log::warn!(target: BOT, "ignoring an update the Bot API types cannot read: {e}");
            return Ok(());
        }
    };
    let update_id = i64::from(update.id.0);
    match update.kind {
        UpdateKind::Message(message) => on_message(services, bot, update_id, &message).await,
        UpdateKind::CallbackQuery(query) => on_callback(services, bot, &query).await,
        _ => Ok(()),
    }
}

/// What every message and press goes through first.
struct Admission {
    blocked: bool,
    verdict: SpamVerdict,
    conversation: Option<Conversation>,
}

/// Registers or refreshes the user, then checks the block and counts the action against the
/// spam limit (the sellers' notice is enqueued in the same transaction as the count).
async fn admit(services: &Services, from: &User) -> Result<Admission, HandleError> {
    let user_id = from.id.0 as i64;
    let username = from.username.clone();
    let first_name = from.first_name.clone();
    let language = from.language_code.clone();
    let (max_actions, window_ms) = guard::limits(services);
    let (blocked, verdict, conversation) = with_conn(&services.pool, move |c| {
        touch_user(
            c,
            &TelegramProfile {
                id: user_id,
                username: username.as_deref(),
                first_name: &first_name,
                language: language.as_deref(),
            },
        )?;
        let blocked = is_blocked(c, user_id)?;
        let verdict = if blocked {
            SpamVerdict::Allow
        } else {
            guard::count_action(c, user_id, max_actions, window_ms)?
        };
        Ok((blocked, verdict, get_conversation(c, user_id)?))
    })
    .await?;
    if let SpamVerdict::Spam {
        tell_sellers: true, ..
    } = verdict
    {
        log::warn!(target: BOT, "user {user_id} is over the spam limit; sellers told");
        services.wake_queue();
    }
    Ok(Admission {
        blocked,
        verdict,
        conversation: conversation.as_deref().and_then(Conversation::from_json),
    })
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

async fn route_menu(ctx: &Ctx<'_>, menu: Menu) -> Result<(), HandleError> {
    match menu {
        Menu::Products => catalog::show_catalog(ctx, 0).await,
        Menu::Stock => catalog::show_stock(ctx).await,
        Menu::Deposit => deposit::show_menu(ctx).await,
        Menu::Info => info::show_info(ctx).await,
        Menu::HowToOrder => start::how_to_order(ctx).await,
        Menu::Orders => orders::show_orders(ctx, 0).await,
        Menu::Admin if ctx.is_admin() => start::admin(ctx).await,
        Menu::Admin => ctx.send(texts::UNKNOWN_INPUT).await.map(|_| ()),
    }
}

/// A number as the customer types it from a list (`7`, ` 7 `).
fn typed_number(text: &str) -> Option<u32> {
    let t = text.trim();
    (!t.is_empty() && t.len() <= 6 && t.bytes().all(|b| b.is_ascii_digit()))
        .then(|| t.parse().ok())
        .flatten()
}

async fn on_message(
    services: &Services,
    bot: &Bot,
    update_id: i64,
    message: &Message,
) -> Result<(), HandleError> {
    let Some(from) = message.from.as_ref() else {
        return Ok(());
    };
    // Owner commands (`/status`, `/backup`) when the owner bot shares the shop's token; anyone
    // not in TELEGRAM_OWNER_IDS is refused. Never reaches the customer flows.
    if crate::health::owner::shares_shop_token(services)
        && let Some(reply) = crate::health::owner::command_reply(
            services,
            from.id.0 as i64,
            message.text().unwrap_or_default(),
        )
        .await
    {
        bot.send_message(message.chat.id, reply)
            .await
            .map_err(|e| HandleError::Telegram(e.to_string()))?;
        return Ok(());
    }
    let admission = admit(services, from).await?;
    let ctx = Ctx {
        services,
        bot,
        user_id: from.id.0 as i64,
        chat: message.chat.id,
        first_name: from.first_name.clone(),
        origin: None,
    };
    let text = message.text().unwrap_or_default().trim();
    let command = text.split_whitespace().next().unwrap_or_default();
    let is_command = |name: &str| command == name || command.starts_with(&format!("{name}@"));
    if admission.blocked {
        if is_command("/start") {
            ctx.send(texts::BLOCKED).await?;
        }
        return Ok(());
    }
    if let SpamVerdict::Spam { warn, .. } = admission.verdict {
        if warn {
            ctx.send(texts::SPAM_WARNING).await?;
        }
        return Ok(());
    }
    if is_command("/start") {
        ctx.clear_state().await?;
        return start::start(&ctx).await;
    }
    if is_command("/batal") {
        ctx.clear_state().await?;
        ctx.send(texts::INPUT_CANCELLED).await?;
        return Ok(());
    }
    if let Some(menu) = menu_of(text) {
        // A menu choice ends a dialog waiting for text; the last catalog list stays.
        if awaits_text(&admission.conversation)
            || matches!(
                admission.conversation,
                Some(Conversation::AwaitingSnkAnswer { .. })
            )
        {
            ctx.clear_state().await?;
        }
        return route_menu(&ctx, menu).await;
    }
    match admission.conversation {
        Some(Conversation::AwaitingSnkAnswer {
            order_ref,
            product_id,
            product_name,
        }) => {
            snk::answer(
                &ctx,
                update_id,
                message,
                &from.full_name(),
                &order_ref,
                product_id,
                &product_name,
            )
            .await
        }
        Some(Conversation::AwaitingVoucher) => cart::voucher_typed(&ctx, text).await,
        Some(Conversation::AwaitingDepositAmount) => deposit::amount_typed(&ctx, text).await,
        Some(Conversation::AwaitingDisplayName) => info::name_typed(&ctx, text).await,
        Some(Conversation::AwaitingWhatsapp) => info::whatsapp_typed(&ctx, text).await,
        state => match typed_number(text) {
            Some(number) => catalog::typed_number(&ctx, state.as_ref(), number).await,
            None => ctx.send(texts::UNKNOWN_INPUT).await.map(|_| ()),
        },
    }
}

async fn on_callback(
    services: &Services,
    bot: &Bot,
    query: &CallbackQuery,
) -> Result<(), HandleError> {
    let admission = admit(services, &query.from).await?;
    let user_id = query.from.id.0 as i64;
    let (chat, origin): (ChatId, Option<MessageId>) = match &query.message {
        Some(m) => (m.chat().id, Some(m.id())),
        None => (ChatId(user_id), None),
    };
    let ctx = Ctx {
        services,
        bot,
        user_id,
        chat,
        first_name: query.from.first_name.clone(),
        origin,
    };
    let toast = if admission.blocked {
        Toast::alert(texts::BLOCKED)
    } else if let SpamVerdict::Spam { warn, .. } = admission.verdict {
        if warn {
            Toast::alert(texts::SPAM_WARNING)
        } else {
            Toast::none()
        }
    } else {
        match query.data.as_deref().map(CallbackData::parse) {
            Some(Ok(data)) => {
                if awaits_text(&admission.conversation) && data != CallbackData::Noop {
                    ctx.clear_state().await?;
                }
                match route_callback(&ctx, data).await {
                    Ok(toast) => toast,
                    Err(e) => {
                        answer(bot, query, Toast::note(texts::TRY_AGAIN)).await;
                        return Err(e);
                    }
                }
            }
            _ => {
                log::info!(target: BOT, "a press from {user_id} with data the bot did not write");
                Toast::stale()
            }
        }
    };
    answer(bot, query, toast).await;
    Ok(())
}

/// Answers a press. A failed answer (already answered, too old) is not worth a retry.
async fn answer(bot: &Bot, query: &CallbackQuery, toast: Toast) {
    let mut req = bot.answer_callback_query(query.id.clone());
    if let Some(text) = toast.text {
        // Telegram shows at most 200 characters.
        req = req.text(text.chars().take(200).collect::<String>());
    }
    if toast.alert {
        req = req.show_alert(true);
    }
    if let Err(e) = req.await {
        log::debug!(target: BOT, "answering a callback query: {}", telegram(e));
    }
}

async fn route_callback(ctx: &Ctx<'_>, data: CallbackData) -> Result<Toast, HandleError> {
    use CallbackData as C;
    let none = |r: Result<(), HandleError>| r.map(|_| Toast::none());
    match data {
        C::SnkFulfil {
            order_ref,
            product_id,
        } => snk::press(ctx, order_ref, product_id).await,
        C::Info => none(info::show_info(ctx).await),
        C::HowToOrder => none(start::how_to_order(ctx).await),
        C::CatalogPage { page } => none(catalog::show_catalog(ctx, page).await),
        C::Product { product_id } => Ok(if catalog::show_product(ctx, product_id).await? {
            Toast::none()
        } else {
            Toast::alert(texts::PRODUCT_GONE)
        }),
        C::AddToCart {
            product_id,
            quantity,
        } => catalog::add_to_cart(ctx, product_id, quantity).await,
        C::ViewCart => none(cart::show_cart(ctx).await),
        C::CartIncrease { product_id } => {
            cart::edit_line(ctx, product_id, cart::LineEdit::Increase).await
        }
        C::CartDecrease { product_id } => {
            cart::edit_line(ctx, product_id, cart::LineEdit::Decrease).await
        }
        C::CartRemove { product_id } => {
            cart::edit_line(ctx, product_id, cart::LineEdit::Remove).await
        }
        C::UseVoucher => cart::ask_voucher(ctx).await,
        C::RemoveVoucher => cart::remove_voucher(ctx).await,
        C::Checkout => checkout::choose(ctx).await,
        C::ClearCart => cart::clear(ctx).await,
        C::PayQris => checkout::pay_qris(ctx).await,
        C::PayBalance => checkout::pay_balance(ctx).await,
        C::PayAbort => checkout::abort(ctx).await,
        C::CheckPayment { payment_id } => invoice::check(ctx, payment_id).await,
        C::CancelPayment { payment_id } => invoice::cancel(ctx, payment_id).await,
        C::OrdersPage { page } => none(orders::show_orders(ctx, page).await),
        C::Order { order_id } => orders::show_order(ctx, order_id).await,
        C::Resend { order_id } => orders::resend(ctx, order_id).await,
        C::RefreshStock => catalog::show_stock(ctx)
            .await
            .map(|_| Toast::note(texts::STOCK_REFRESHED)),
        C::DepositMenu => none(deposit::show_menu(ctx).await),
        C::Deposit { amount } => deposit::preset(ctx, amount).await,
        C::DepositOther => deposit::ask_amount(ctx).await,
        C::EditName => info::ask_name(ctx).await,
        C::EditWhatsapp => info::ask_whatsapp(ctx).await,
        C::CancelInput => {
            ctx.send(texts::INPUT_CANCELLED).await?;
            Ok(Toast::none())
        }
        C::Noop => Ok(Toast::none()),
    }
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
}
