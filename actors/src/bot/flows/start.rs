//! `/start` (the welcome and the main menu), *Cara Order* and the *Admin* entry.

use autoorder_schema::StoreError;
use autoorder_schema::queries::orders::count_completed_orders;
use autoorder_schema::queries::shop::templates::{HOW_TO_ORDER, WELCOME, get_template};
use autoorder_schema::queries::users::{count_users, user_profile};

use crate::bot::context::Tx;
use crate::bot::{keyboards, texts};
use crate::send::PhotoSource;

/// Telegram's limit on a photo caption.
const CAPTION_LIMIT: usize = 1024;

/// The name `{nama}` stands for: the display name the customer chose, else their first name.
pub(super) fn customer_name(tx: &mut Tx<'_>) -> Result<String, StoreError> {
    let user_id = tx.user_id();
    let profile = user_profile(tx.conn(), user_id)?;
    Ok(profile
        .and_then(|p| p.display_name)
        .unwrap_or_else(|| tx.who.first_name.clone()))
}

/// The welcome (seller's template or the built-in text, with the store's numbers) with
/// *INFORMASI* and *Cara Order*, then the main menu keyboard.
pub fn start(tx: &mut Tx<'_>) -> Result<(), StoreError> {
    let name = customer_name(tx)?;
    let users = count_users(tx.conn())?;
    let completed = count_completed_orders(tx.conn())?;
    let template = get_template(tx.conn(), WELCOME)?;
    let store = tx.services.settings.store_name.clone();
    let body = match template {
        Some(t) if !t.body.trim().is_empty() => texts::fill_template(&t.body, &name, &store),
        _ => texts::welcome(&name, &store),
    };
    let text = format!("{body}\n\n{}", texts::welcome_stats(users, completed));
    tx.send_with(text, keyboards::welcome());
    // Mode Pembeli: a seller gets the customer's menu (no *Admin*) until `/admin`.
    let seller = autoorder_schema::queries::admin::SellerId(tx.user_id());
    let is_admin =
        tx.is_admin() && !autoorder_schema::queries::admin::wizards::buyer_mode(tx.conn(), seller)?;
    tx.send_with(texts::MENU_HINT, keyboards::main_menu(is_admin));
    Ok(())
}

/// *Cara Order*: the seller's template (text, or photo with the text as caption) or the
/// built-in guide.
pub fn how_to_order(tx: &mut Tx<'_>) -> Result<(), StoreError> {
    let name = customer_name(tx)?;
    let template = get_template(tx.conn(), HOW_TO_ORDER)?;
    let store = tx.services.settings.store_name.clone();
    let Some(t) = template else {
        tx.send(texts::how_to_order(&name, &store));
        return Ok(());
    };
    let text = texts::fill_template(&t.body, &name, &store);
    match t.photo.filter(|p| !p.trim().is_empty()) {
        Some(file_id) => {
            let fits = text.chars().count() <= CAPTION_LIMIT;
            let caption = (fits && !text.trim().is_empty()).then(|| text.clone());
            tx.photo(PhotoSource::FileId { file_id }, caption, None, None);
            if !fits {
                tx.send(text);
            }
        }
        None if !text.trim().is_empty() => tx.send(text),
        None => tx.send(texts::how_to_order(&name, &store)),
    }
    Ok(())
}
