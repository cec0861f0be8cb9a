//! Admin keyboard pieces: buttons from typed [`AdminCallback`]s, paged pickers (items are picked
//! from lists, never typed), and the rows every wizard step ends with — *Batal* always,
//! *Kembali* where there is a step to go back to, *Simpan* on confirmation screens.

use teloxide_core::types::InlineKeyboardButton;

use super::callback::{AdminCallback, WizardAction};
use super::texts;
use super::wizard::WizardToken;

/// Items per page of every admin picker.
pub const PER_PAGE: u32 = 8;

/// A button that sends `data`.
pub fn button(text: impl Into<String>, data: AdminCallback) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(text.into(), data.wire())
}

/// A button of the wizard `token`.
pub fn wizard_button(
    text: impl Into<String>,
    token: WizardToken,
    action: WizardAction,
) -> InlineKeyboardButton {
    button(text, AdminCallback::Wizard { token, action })
}

/// Previous / page / next for a list of `pages` pages; empty with one page.
pub fn pager(
    page: u32,
    pages: u32,
    to: impl Fn(u32) -> AdminCallback,
) -> Vec<InlineKeyboardButton> {
    if pages <= 1 {
        return Vec::new();
    }
    let mut row = Vec::new();
    if page > 0 {
        row.push(button(texts::BTN_PREV, to(page - 1)));
    }
    row.push(button(texts::page_label(page, pages), AdminCallback::Noop));
    if page + 1 < pages {
        row.push(button(texts::BTN_NEXT, to(page + 1)));
    }
    row
}

/// One button per item (one per row, so long names stay readable), then the pager.
pub fn picker<T>(
    items: &[T],
    label: impl Fn(&T) -> String,
    data: impl Fn(&T) -> AdminCallback,
    page: u32,
    pages: u32,
    to_page: impl Fn(u32) -> AdminCallback,
) -> Vec<Vec<InlineKeyboardButton>> {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = items
        .iter()
        .map(|item| vec![button(label(item), data(item))])
        .collect();
    rows.push(pager(page, pages, to_page));
    rows
}

/// *Kembali* to a screen outside a wizard (and the admin menu beside it).
pub fn back_row(to: AdminCallback) -> Vec<InlineKeyboardButton> {
    if to == AdminCallback::Menu {
        return vec![button(texts::BTN_MENU, AdminCallback::Menu)];
    }
    vec![
        button(texts::BTN_BACK, to),
        button(texts::BTN_MENU, AdminCallback::Menu),
    ]
}

/// The last row of a wizard step: *Kembali* (when `back`) and *Batal*.
pub fn step_row(token: WizardToken, back: bool) -> Vec<InlineKeyboardButton> {
    let mut row = Vec::new();
    if back {
        row.push(wizard_button(texts::BTN_BACK, token, WizardAction::Back));
    }
    row.push(wizard_button(
        texts::BTN_CANCEL,
        token,
        WizardAction::Cancel,
    ));
    row
}

/// The rows of a confirmation screen: the confirm button, then *Kembali* (when `back`) and
/// *Batal*.
pub fn confirm_rows(
    token: WizardToken,
    confirm: &str,
    back: bool,
) -> Vec<Vec<InlineKeyboardButton>> {
    vec![
        vec![wizard_button(confirm, token, WizardAction::Confirm)],
        step_row(token, back),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::admin::callback::ProductAction;

    fn data(b: &InlineKeyboardButton) -> String {
        match &b.kind {
            teloxide_core::types::InlineKeyboardButtonKind::CallbackData(d) => d.clone(),
            _ => String::new(),
        }
    }

    #[test]
    fn pagers_show_only_the_ways_that_exist() {
        let to = |page| AdminCallback::Product(ProductAction::List { page });
        assert!(pager(0, 1, to).is_empty());
        let first = pager(0, 3, to);
        assert_eq!(first.iter().map(data).collect::<Vec<_>>(), ["@.", "@p:l:1"]);
        assert_eq!(pager(1, 3, to).len(), 3);
        let last = pager(2, 3, to);
        assert_eq!(last.iter().map(data).collect::<Vec<_>>(), ["@p:l:1", "@."]);
    }

    #[test]
    fn every_step_can_be_cancelled() {
        let token = WizardToken(77);
        assert_eq!(
            step_row(token, false).iter().map(data).collect::<Vec<_>>(),
            ["@w:77:c"]
        );
        assert_eq!(
            step_row(token, true).iter().map(data).collect::<Vec<_>>(),
            ["@w:77:b", "@w:77:c"]
        );
        let rows = confirm_rows(token, texts::BTN_SAVE, true);
        assert_eq!(data(&rows[0][0]), "@w:77:y");
        assert_eq!(back_row(AdminCallback::Menu).len(), 1);
    }
}
