//! The limits admin input must meet, in one place: the storage enforces them and the bot's input
//! parsers use the same functions, so a value the bot accepted is never refused later.

pub use crate::queries::catalog::{
    MAX_CATEGORY_NAME, MAX_LONG_TEXT, MAX_PRICE, MAX_PRODUCT_NAME, MAX_STOCK_ITEM,
};

/// Shortest product or voucher code.
pub const MIN_CODE: usize = 2;
/// Longest product or voucher code.
pub const MAX_CODE: usize = 32;
/// Longest template text sent as a message: Telegram allows 4096 characters, and the rest is
/// room for what is added to it (the welcome's numbers) and for filled-in placeholders.
pub const MAX_TEMPLATE_TEXT: usize = 3500;
/// Longest template text sent as a photo caption: Telegram allows 1024, the rest is room for
/// filled-in placeholders.
pub const MAX_TEMPLATE_CAPTION: usize = 900;
/// Largest percent discount.
pub const MAX_PERCENT: i64 = 100;
/// Largest "maximum uses" of a voucher (the column is a 32-bit integer).
pub const MAX_VOUCHER_USES: i32 = 1_000_000;

/// A product or voucher code: 2–32 of `A-Z 0-9 _ -` (upper case; callers upper-case input).
pub fn is_valid_code(code: &str) -> bool {
    (MIN_CODE..=MAX_CODE).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// A product name: not blank, at most [`MAX_PRODUCT_NAME`] characters.
pub fn is_valid_product_name(name: &str) -> bool {
    !name.trim().is_empty() && name.chars().count() <= MAX_PRODUCT_NAME
}

/// A category name: not blank, at most [`MAX_CATEGORY_NAME`] characters.
pub fn is_valid_category_name(name: &str) -> bool {
    !name.trim().is_empty() && name.chars().count() <= MAX_CATEGORY_NAME
}

/// A price: 1 ..= [`MAX_PRICE`] Rupiah.
pub fn is_valid_price(price: i64) -> bool {
    (1..=MAX_PRICE).contains(&price)
}

/// A description (may be empty) or SNK text: at most [`MAX_LONG_TEXT`] characters.
pub fn is_valid_long_text(text: &str) -> bool {
    text.chars().count() <= MAX_LONG_TEXT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_case_letters_digits_and_two_marks() {
        for ok in ["NF", "NF1M", "A_B-C", &"X".repeat(32)] {
            assert!(is_valid_code(ok), "{ok}");
        }
        for bad in ["", "N", "nf1m", "NF 1", "NF.1", &"X".repeat(33), "ÄB"] {
            assert!(!is_valid_code(bad), "{bad}");
        }
    }

    #[test]
    fn names_prices_and_texts_have_limits() {
        assert!(is_valid_product_name("Netflix"));
        assert!(!is_valid_product_name("  "));
        assert!(!is_valid_product_name(&"n".repeat(MAX_PRODUCT_NAME + 1)));
        assert!(is_valid_category_name("Streaming"));
        assert!(!is_valid_category_name(&"c".repeat(MAX_CATEGORY_NAME + 1)));
        assert!(is_valid_price(1) && is_valid_price(MAX_PRICE));
        assert!(!is_valid_price(0) && !is_valid_price(MAX_PRICE + 1));
        assert!(is_valid_long_text("") && !is_valid_long_text(&"d".repeat(MAX_LONG_TEXT + 1)));
    }
}
