//! A screen: the text of a message and the inline keyboard under it. Every admin step is drawn
//! as one, so handlers only choose which screen to show (`tx.show(text, keyboard)`).

use teloxide_core::types::{InlineKeyboardButton, InlineKeyboardMarkup};

/// One message of the admin menu.
#[derive(Debug, Clone, PartialEq)]
pub struct Screen {
    pub text: String,
    pub keyboard: InlineKeyboardMarkup,
}

impl Screen {
    /// A screen from its text and keyboard rows (empty rows are dropped).
    pub fn new(text: impl Into<String>, rows: Vec<Vec<InlineKeyboardButton>>) -> Screen {
        Screen {
            text: text.into(),
            keyboard: InlineKeyboardMarkup::new(rows.into_iter().filter(|r| !r.is_empty())),
        }
    }

    /// Every button's callback data, row by row (tests read screens through this).
    pub fn callbacks(&self) -> Vec<String> {
        self.keyboard
            .inline_keyboard
            .iter()
            .flatten()
            .filter_map(|b| match &b.kind {
                teloxide_core::types::InlineKeyboardButtonKind::CallbackData(d) => Some(d.clone()),
                _ => None,
            })
            .collect()
    }

    /// Every button's label, row by row.
    pub fn labels(&self) -> Vec<String> {
        self.keyboard
            .inline_keyboard
            .iter()
            .flatten()
            .map(|b| b.text.clone())
            .collect()
    }
}
