//! *Informasi*: the account page (display name, balance, customer id, verified flag, WhatsApp,
//! last transaction), editing the display name and the WhatsApp number (stored encrypted), and
//! links to the sellers.

use teloxide_core::types::InlineKeyboardButton;

use autoorder_schema::queries::orders::last_order;
use autoorder_schema::queries::users::{
    set_display_name, set_whatsapp, user_profile, whatsapp_aad,
};

use autoorder_schema::StoreError;

use crate::bot::callback::CallbackData;
use crate::bot::context::{Toast, Tx};
use crate::bot::conversation::Conversation;
use crate::bot::keyboards::{button, cancel_input, inline};
use crate::bot::texts;
use crate::log_targets::BOT;

/// Seller links shown at most.
const MAX_SELLER_LINKS: usize = 5;

/// A display name as typed, if acceptable: 3–32 characters on one line, no control characters.
pub fn valid_display_name(text: &str) -> Option<String> {
    let name = text.trim();
    let n = name.chars().count();
    ((3..=32).contains(&n) && !name.chars().any(char::is_control)).then(|| name.to_string())
}

/// A WhatsApp number as typed, normalised to its digits if acceptable: 9–15 digits, optionally
/// with a leading `+` and spaces, dashes or dots between them.
pub fn valid_whatsapp(text: &str) -> Option<String> {
    let t = text.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.'))
    {
        return None;
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    (9..=15).contains(&digits.len()).then_some(digits)
}

/// `0812*****890`: enough to recognise, not enough to copy.
pub fn mask_whatsapp(digits: &str) -> String {
    let n = digits.chars().count();
    if n <= 7 {
        return "*".repeat(n);
    }
    let head: String = digits.chars().take(4).collect();
    let tail: String = digits.chars().skip(n - 3).collect();
    format!("{head}{}{tail}", "*".repeat(n - 7))
}

pub(super) fn seller_links(tx: &Tx<'_>) -> Vec<Vec<InlineKeyboardButton>> {
    let sellers = &tx.services.settings.admin_ids;
    let shown = sellers.len().min(MAX_SELLER_LINKS);
    sellers
        .iter()
        .take(shown)
        .enumerate()
        .filter_map(|(i, id)| {
            let url = reqwest::Url::parse(&format!("tg://user?id={id}")).ok()?;
            Some(vec![InlineKeyboardButton::url(
                texts::btn_contact_seller(i + 1, shown),
                url,
            )])
        })
        .collect()
}

/// The account page.
pub fn show_info(tx: &mut Tx<'_>) -> Result<(), StoreError> {
    let user_id = tx.user_id();
    let profile = user_profile(tx.conn(), user_id)?;
    let last = last_order(tx.conn(), user_id)?;
    let Some(profile) = profile else {
        return Ok(());
    };
    let whatsapp = profile.whatsapp_enc.as_ref().and_then(|sealed| {
        match tx
            .services
            .data_keys
            .decrypt_str(sealed, &whatsapp_aad(user_id))
        {
            Ok(digits) => Some(mask_whatsapp(&digits)),
            Err(e) => {
                log::warn!(target: BOT, "the WhatsApp number of {user_id} cannot be decrypted: {e}");
                None
            }
        }
    });
    let last = last.map(|o| {
        texts::last_order(
            &o.invoice_no,
            &o.status,
            o.total,
            &tx.local_time(o.created_at),
        )
    });
    let name = profile
        .display_name
        .clone()
        .unwrap_or_else(|| profile.first_name.clone());
    let text = texts::account(
        &name,
        profile.id,
        profile.balance,
        profile.is_verified,
        whatsapp.as_deref(),
        last.as_deref(),
    );
    let mut rows = vec![vec![
        button(texts::BTN_EDIT_NAME, CallbackData::EditName),
        button(texts::BTN_EDIT_WHATSAPP, CallbackData::EditWhatsapp),
    ]];
    rows.extend(seller_links(tx));
    tx.send_with(text, inline(rows));
    Ok(())
}

/// *Ubah Nama*.
pub fn ask_name(tx: &mut Tx<'_>) -> Result<Toast, StoreError> {
    tx.set_state(Conversation::AwaitingDisplayName)?;
    tx.send_with(texts::NAME_PROMPT, cancel_input());
    Ok(Toast::none())
}

/// The typed display name.
pub fn name_typed(tx: &mut Tx<'_>, text: &str) -> Result<(), StoreError> {
    let Some(name) = valid_display_name(text) else {
        tx.send_with(texts::NAME_INVALID, cancel_input());
        return Ok(());
    };
    let user_id = tx.user_id();
    set_display_name(tx.conn(), user_id, Some(&name))?;
    tx.clear_state()?;
    tx.send(texts::name_saved(&name));
    Ok(())
}

/// *Ubah WhatsApp*.
pub fn ask_whatsapp(tx: &mut Tx<'_>) -> Result<Toast, StoreError> {
    tx.set_state(Conversation::AwaitingWhatsapp)?;
    tx.send_with(texts::WHATSAPP_PROMPT, cancel_input());
    Ok(Toast::none())
}

/// The typed WhatsApp number, stored encrypted.
pub fn whatsapp_typed(tx: &mut Tx<'_>, text: &str) -> Result<(), StoreError> {
    let Some(digits) = valid_whatsapp(text) else {
        tx.send_with(texts::WHATSAPP_INVALID, cancel_input());
        return Ok(());
    };
    let user_id = tx.user_id();
    let sealed = tx
        .services
        .data_keys
        .encrypt(digits.as_bytes(), &whatsapp_aad(user_id));
    set_whatsapp(tx.conn(), user_id, Some(&sealed))?;
    tx.clear_state()?;
    tx.send(texts::whatsapp_saved(&mask_whatsapp(&digits)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_three_to_thirty_two_characters() {
        assert_eq!(valid_display_name("  Budi  ").as_deref(), Some("Budi"));
        assert_eq!(valid_display_name("Ana").as_deref(), Some("Ana"));
        assert!(valid_display_name("Al").is_none());
        assert!(valid_display_name(&"é".repeat(32)).is_some());
        assert!(valid_display_name(&"é".repeat(33)).is_none());
        assert!(valid_display_name("Budi\nSantoso").is_none());
    }

    #[test]
    fn whatsapp_numbers_are_nine_to_fifteen_digits() {
        assert_eq!(
            valid_whatsapp("081234567890").as_deref(),
            Some("081234567890")
        );
        assert_eq!(
            valid_whatsapp("+62 812-3456-7890").as_deref(),
            Some("6281234567890")
        );
        assert!(valid_whatsapp("12345678").is_none());
        assert!(valid_whatsapp("1234567890123456").is_none());
        assert!(valid_whatsapp("0812abc4567").is_none());
        assert!(valid_whatsapp("").is_none());
        assert_eq!(mask_whatsapp("081234567890"), "0812*****890");
    }
}
