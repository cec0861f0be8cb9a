//! The keyboards the bot shows: the reply-keyboard main menu and the inline keyboards of each
//! flow. Every inline button is built from a typed [`CallbackData`].

use teloxide_core::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, KeyboardMarkup,
};

use super::callback::CallbackData;
use super::texts;

/// One inline button that sends `data`.
pub fn button(text: impl Into<String>, data: CallbackData) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(text.into(), data.wire())
}

/// An inline keyboard from rows (empty rows are dropped).
pub fn inline(rows: Vec<Vec<InlineKeyboardButton>>) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(rows.into_iter().filter(|r| !r.is_empty()))
}

/// The main menu; sellers also get *Admin*.
pub fn main_menu(is_admin: bool) -> KeyboardMarkup {
    let mut rows = vec![
        vec![
            KeyboardButton::new(texts::MENU_PRODUCTS),
            KeyboardButton::new(texts::MENU_STOCK),
        ],
        vec![
            KeyboardButton::new(texts::MENU_DEPOSIT),
            KeyboardButton::new(texts::MENU_INFO),
        ],
        vec![
            KeyboardButton::new(texts::MENU_HOW_TO_ORDER),
            KeyboardButton::new(texts::MENU_ORDERS),
        ],
    ];
    if is_admin {
        rows.push(vec![KeyboardButton::new(texts::MENU_ADMIN)]);
    }
    KeyboardMarkup::new(rows).resize_keyboard().persistent()
}

/// Under the welcome.
pub fn welcome() -> InlineKeyboardMarkup {
    inline(vec![vec![
        button(texts::BTN_INFO, CallbackData::Info),
        button(texts::BTN_HOW_TO_ORDER, CallbackData::HowToOrder),
    ]])
}

/// Previous / page / next, for a list of `pages` pages; empty when there is one page.
pub fn pager(page: u32, pages: u32, to: impl Fn(u32) -> CallbackData) -> Vec<InlineKeyboardButton> {
    if pages <= 1 {
        return Vec::new();
    }
    let mut row = Vec::new();
    if page > 0 {
        row.push(button(texts::BTN_PREV, to(page - 1)));
    }
    row.push(button(texts::btn_page(page, pages), CallbackData::Noop));
    if page + 1 < pages {
        row.push(button(texts::BTN_NEXT, to(page + 1)));
    }
    row
}

/// A single *Batal* under a prompt for text.
pub fn cancel_input() -> InlineKeyboardMarkup {
    inline(vec![vec![button(
        texts::BTN_CANCEL_INPUT,
        CallbackData::CancelInput,
    )]])
}

/// Under an invoice.
pub fn invoice(payment_id: i64) -> InlineKeyboardMarkup {
    inline(vec![
        vec![button(
            texts::BTN_CHECK_PAYMENT,
            CallbackData::CheckPayment { payment_id },
        )],
        vec![button(
            texts::BTN_CANCEL_PAYMENT,
            CallbackData::CancelPayment { payment_id },
        )],
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pager_shows_only_the_ways_that_exist() {
        let to = |page| CallbackData::CatalogPage { page };
        assert!(pager(0, 1, to).is_empty());
        let first = pager(0, 3, to);
        assert_eq!(first.len(), 2);
        assert_eq!(first[1].text, texts::BTN_NEXT);
        let middle = pager(1, 3, to);
        assert_eq!(middle.len(), 3);
        let last = pager(2, 3, to);
        assert_eq!(last[0].text, texts::BTN_PREV);
        assert_eq!(last.len(), 2);
    }

    #[test]
    fn sellers_get_the_admin_button() {
        let count = |k: &KeyboardMarkup| k.keyboard.iter().flatten().count();
        assert_eq!(count(&main_menu(false)), 6);
        assert_eq!(count(&main_menu(true)), 7);
    }
}
