//! The cart (stored in the database, so it survives restarts): lines with ➖/➕/🗑, subtotal,
//! the voucher dialog, *Lanjut ke Pembayaran* and *Batal*.

use autoorder_schema::queries::shop::carts::{
    Cart, CartChange, change_cart_quantity, clear_cart, load_cart, set_cart_quantity,
    set_cart_voucher,
};
use autoorder_schema::queries::shop::vouchers::{VoucherProblem, quote_voucher};
use autoorder_schema::{DbConnection, StoreError};

use crate::bot::callback::CallbackData;
use crate::bot::context::{Toast, Tx};
use crate::bot::conversation::Conversation;
use crate::bot::keyboards::{button, cancel_input, inline};
use crate::bot::texts;

/// The cart with what its voucher is worth now.
pub struct PricedCart {
    pub cart: Cart,
    /// The voucher's discount, or why it does not apply.
    pub voucher: Option<(String, Result<i64, VoucherProblem>)>,
}

impl PricedCart {
    /// The discount that applies (0 when the voucher does not).
    pub fn discount(&self) -> i64 {
        match &self.voucher {
            Some((_, Ok(d))) => *d,
            _ => 0,
        }
    }
}

/// Loads the cart and prices its voucher.
pub fn priced_cart(c: &mut DbConnection, user_id: i64) -> Result<PricedCart, StoreError> {
    let cart = load_cart(c, user_id)?;
    let voucher = match &cart.voucher_code {
        Some(code) => Some((
            code.clone(),
            quote_voucher(c, code, cart.subtotal())?.map(|q| q.discount),
        )),
        None => None,
    };
    Ok(PricedCart { cart, voucher })
}

/// Shows the cart (editing the message the button is under, if any).
pub fn show_cart(tx: &mut Tx<'_>) -> Result<(), StoreError> {
    let user_id = tx.user_id();
    let priced = priced_cart(tx.conn(), user_id)?;
    let cart = &priced.cart;
    if cart.lines.is_empty() {
        let keyboard = inline(vec![vec![button(
            texts::BTN_CONTINUE_SHOPPING,
            CallbackData::CatalogPage { page: 0 },
        )]]);
        tx.show(texts::CART_EMPTY, keyboard);
        return Ok(());
    }
    let mut text = texts::CART_HEADER.to_string();
    let mut rows = Vec::new();
    for (i, line) in cart.lines.iter().enumerate() {
        let number = i + 1;
        text.push_str(&texts::cart_line(
            number,
            &line.name,
            line.quantity,
            line.unit_price,
            line.stock,
        ));
        let product_id = line.product_id;
        rows.push(vec![
            button(
                texts::btn_decrease(number),
                CallbackData::CartDecrease { product_id },
            ),
            button(
                texts::btn_increase(number),
                CallbackData::CartIncrease { product_id },
            ),
            button(
                texts::btn_remove(number),
                CallbackData::CartRemove { product_id },
            ),
        ]);
    }
    match &priced.voucher {
        Some((code, Ok(discount))) => {
            text.push_str(&texts::cart_totals(
                cart.subtotal(),
                Some((code, *discount)),
            ));
        }
        Some((code, Err(problem))) => {
            text.push_str(&texts::cart_totals(cart.subtotal(), None));
            text.push_str(&texts::cart_voucher_invalid(
                code,
                texts::voucher_problem(problem),
            ));
        }
        None => text.push_str(&texts::cart_totals(cart.subtotal(), None)),
    }
    if priced.voucher.is_some() {
        rows.push(vec![button(
            texts::BTN_REMOVE_VOUCHER,
            CallbackData::RemoveVoucher,
        )]);
    } else {
        rows.push(vec![button(
            texts::BTN_USE_VOUCHER,
            CallbackData::UseVoucher,
        )]);
    }
    rows.push(vec![button(texts::BTN_CHECKOUT, CallbackData::Checkout)]);
    rows.push(vec![
        button(texts::BTN_CLEAR_CART, CallbackData::ClearCart),
        button(
            texts::BTN_CONTINUE_SHOPPING,
            CallbackData::CatalogPage { page: 0 },
        ),
    ]);
    tx.show(text, inline(rows));
    Ok(())
}

/// What a cart edit button does.
#[derive(Debug, Clone, Copy)]
pub enum LineEdit {
    Increase,
    Decrease,
    Remove,
}

/// ➖ / ➕ / 🗑 on a cart line, then the cart again.
pub fn edit_line(tx: &mut Tx<'_>, product_id: i64, edit: LineEdit) -> Result<Toast, StoreError> {
    let user_id = tx.user_id();
    let c = tx.conn();
    let change = match edit {
        LineEdit::Increase => change_cart_quantity(c, user_id, product_id, 1)?,
        LineEdit::Decrease => change_cart_quantity(c, user_id, product_id, -1)?,
        LineEdit::Remove => set_cart_quantity(c, user_id, product_id, 0)?,
    };
    show_cart(tx)?;
    Ok(match change {
        CartChange::Capped(n) => Toast::alert(texts::added_to_cart_capped("produk ini", n)),
        CartChange::OutOfStock => Toast::alert(texts::out_of_stock("produk ini")),
        CartChange::Unavailable => Toast::alert(texts::PRODUCT_GONE),
        CartChange::Set(_) | CartChange::Removed => Toast::note(texts::CART_UPDATED),
    })
}

/// *Batal* under the cart: empties it.
pub fn clear(tx: &mut Tx<'_>) -> Result<Toast, StoreError> {
    let user_id = tx.user_id();
    clear_cart(tx.conn(), user_id)?;
    let keyboard = inline(vec![vec![button(
        texts::BTN_CONTINUE_SHOPPING,
        CallbackData::CatalogPage { page: 0 },
    )]]);
    tx.show(texts::CART_CLEARED, keyboard);
    Ok(Toast::note(texts::CART_CLEARED))
}

/// *Gunakan Voucher*: the next text is the code.
pub fn ask_voucher(tx: &mut Tx<'_>) -> Result<Toast, StoreError> {
    let user_id = tx.user_id();
    let priced = priced_cart(tx.conn(), user_id)?;
    if priced.cart.lines.is_empty() {
        return Ok(Toast::alert(texts::VOUCHER_EMPTY_CART));
    }
    tx.set_state(Conversation::AwaitingVoucher)?;
    tx.send_with(texts::VOUCHER_PROMPT, cancel_input());
    Ok(Toast::none())
}

/// Whether a typed voucher code looks like one (letters, digits, `-`, `_`; at most 32).
pub fn looks_like_code(code: &str) -> bool {
    let code = code.trim();
    !code.is_empty()
        && code.chars().count() <= 32
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The typed voucher code: applied when it is valid for the cart now; otherwise the customer is
/// told why and may type another.
pub fn voucher_typed(tx: &mut Tx<'_>, code: &str) -> Result<(), StoreError> {
    if !looks_like_code(code) {
        tx.send_with(texts::VOUCHER_MALFORMED, cancel_input());
        return Ok(());
    }
    let (user_id, code) = (tx.user_id(), code.trim());
    let cart = load_cart(tx.conn(), user_id)?;
    if cart.lines.is_empty() {
        tx.clear_state()?;
        tx.send(texts::VOUCHER_EMPTY_CART);
        return Ok(());
    }
    match quote_voucher(tx.conn(), code, cart.subtotal())? {
        Ok(quote) => {
            set_cart_voucher(tx.conn(), user_id, Some(&quote.code))?;
            tx.clear_state()?;
            tx.send(texts::voucher_applied(&quote.code, quote.discount));
            show_cart(tx)?;
        }
        Err(problem) => {
            let shown = autoorder_schema::queries::shop::vouchers::normalise_code(code);
            tx.send_with(
                texts::voucher_refused(&shown, texts::voucher_problem(&problem)),
                cancel_input(),
            );
        }
    }
    Ok(())
}

/// *Hapus Voucher*.
pub fn remove_voucher(tx: &mut Tx<'_>) -> Result<Toast, StoreError> {
    let user_id = tx.user_id();
    set_cart_voucher(tx.conn(), user_id, None)?;
    show_cart(tx)?;
    Ok(Toast::note(texts::VOUCHER_REMOVED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voucher_codes_are_short_and_plain() {
        assert!(looks_like_code("HEMAT10"));
        assert!(looks_like_code(" hemat-10_a "));
        assert!(!looks_like_code(""));
        assert!(!looks_like_code("HEMAT 10"));
        assert!(!looks_like_code(&"A".repeat(33)));
        assert!(!looks_like_code("DROP;TABLE"));
    }
}
