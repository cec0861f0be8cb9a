//! *Deposit*: presets or *Nominal Lain* (a typed amount between the minimum and the maximum),
//! paid by QRIS with the same invoice life cycle as orders; completion credits the balance.
//! When the seller wrote manual-transfer instructions (Respon Bot, *Instruksi Deposit Manual*)
//! the screen shows them with a *Hubungi Penjual* button per seller (the same `tg://user?id=`
//! links as the *Informasi* page) — also in a store without QRIS, where they are the only way.

use autoorder_schema::StoreError;
use autoorder_schema::queries::shop::balance::balance_of;
use autoorder_schema::queries::shop::deposits::create_deposit;
use autoorder_schema::queries::shop::templates::{DEPOSIT_INSTRUCTIONS, get_template};

use crate::bot::admin::placeholders::{Values, render};
use crate::bot::callback::CallbackData;
use crate::bot::context::{Toast, Tx};
use crate::bot::conversation::Conversation;
use crate::bot::keyboards::{button, cancel_input, inline};
use crate::bot::texts;
use crate::format::rupiah;

use super::checkout::{qris_enabled, start_invoice};
use super::info::seller_links;
use super::start::customer_name;

/// The largest deposit.
pub const MAXIMUM: i64 = 10_000_000;
/// The preset buttons.
pub const PRESETS: [i64; 4] = [10_000, 25_000, 50_000, 100_000];

fn minimum(tx: &Tx<'_>) -> i64 {
    tx.services.settings.shop.deposit_minimum.max(1)
}

/// Reads a typed amount: digits, optionally with `Rp` and `.`/`,` thousands separators
/// (`15000`, `15.000`, `Rp 15.000`). Anything else is not an amount.
pub fn parse_amount(text: &str) -> Option<i64> {
    let t = text.trim();
    let t = t
        .strip_prefix("Rp")
        .or_else(|| t.strip_prefix("rp"))
        .or_else(|| t.strip_prefix("RP"))
        .unwrap_or(t)
        .trim();
    if t.is_empty() || !t.chars().next()?.is_ascii_digit() {
        return None;
    }
    let digits: String = t.chars().filter(|c| *c != '.' && *c != ',').collect();
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The seller's manual-transfer instructions with this customer's `{nama}`, `{store_name}` and
/// `{saldo}` filled in; `None` when the seller has not written any.
fn manual_instructions(tx: &mut Tx<'_>, balance: i64) -> Result<Option<String>, StoreError> {
    let Some(template) = get_template(tx.conn(), DEPOSIT_INSTRUCTIONS)? else {
        return Ok(None);
    };
    let values = Values {
        nama: Some(customer_name(tx)?),
        store_name: Some(tx.services.settings.store_name.clone()),
        saldo: Some(rupiah(balance)),
        ..Values::default()
    };
    let text = render(&template.body, &values);
    Ok((!text.trim().is_empty()).then_some(text))
}

/// The deposit menu.
pub fn show_menu(tx: &mut Tx<'_>) -> Result<(), StoreError> {
    let user_id = tx.user_id();
    let balance = balance_of(tx.conn(), user_id)?;
    let manual = manual_instructions(tx, balance)?;
    if !qris_enabled(tx) {
        match manual {
            Some(instructions) => {
                let rows = seller_links(tx);
                tx.send_with(
                    texts::deposit_manual_only(balance, &instructions),
                    inline(rows),
                );
            }
            None => tx.send(texts::QRIS_NOT_CONFIGURED),
        }
        return Ok(());
    }
    let min = minimum(tx);
    let presets: Vec<_> = PRESETS
        .iter()
        .filter(|a| (min..=MAXIMUM).contains(*a))
        .map(|a| {
            button(
                texts::btn_deposit_amount(*a),
                CallbackData::Deposit { amount: *a },
            )
        })
        .collect();
    let mut rows: Vec<Vec<_>> = presets.chunks(2).map(|c| c.to_vec()).collect();
    rows.push(vec![button(
        texts::BTN_DEPOSIT_OTHER,
        CallbackData::DepositOther,
    )]);
    let mut text = texts::deposit_menu(balance, min, MAXIMUM);
    if let Some(instructions) = manual {
        text.push_str(&texts::deposit_manual_block(&instructions));
        rows.extend(seller_links(tx));
    }
    tx.send_with(text, inline(rows));
    Ok(())
}

/// *Nominal Lain*: the next text is the amount.
pub fn ask_amount(tx: &mut Tx<'_>) -> Result<Toast, StoreError> {
    tx.set_state(Conversation::AwaitingDepositAmount)?;
    let min = minimum(tx);
    tx.send_with(texts::deposit_prompt(min, MAXIMUM), cancel_input());
    Ok(Toast::none())
}

/// Why an amount cannot be deposited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AmountRefused {
    /// Below the store's minimum (the minimum).
    TooSmall(i64),
    /// Above the largest deposit (the maximum).
    TooLarge(i64),
}

impl AmountRefused {
    /// What the customer is told.
    fn message(self) -> String {
        match self {
            AmountRefused::TooSmall(min) => texts::deposit_too_small(min),
            AmountRefused::TooLarge(max) => texts::deposit_too_large(max),
        }
    }
}

fn check_amount(tx: &Tx<'_>, amount: i64) -> Result<(), AmountRefused> {
    let min = minimum(tx);
    if amount < min {
        Err(AmountRefused::TooSmall(min))
    } else if amount > MAXIMUM {
        Err(AmountRefused::TooLarge(MAXIMUM))
    } else {
        Ok(())
    }
}

/// A typed amount.
pub fn amount_typed(tx: &mut Tx<'_>, text: &str) -> Result<(), StoreError> {
    let Some(amount) = parse_amount(text) else {
        tx.send_with(texts::DEPOSIT_NOT_A_NUMBER, cancel_input());
        return Ok(());
    };
    if let Err(why) = check_amount(tx, amount) {
        tx.send_with(why.message(), cancel_input());
        return Ok(());
    }
    tx.clear_state()?;
    start(tx, amount)
}

/// A preset button (its amount is checked again: the press may be forged).
pub fn preset(tx: &mut Tx<'_>, amount: i64) -> Result<Toast, StoreError> {
    if let Err(why) = check_amount(tx, amount) {
        return Ok(Toast::alert(why.message()));
    }
    start(tx, amount)?;
    Ok(Toast::note(texts::QRIS_CREATING))
}

/// Creates the deposit and enqueues its QRIS invoice, in this update's transaction.
fn start(tx: &mut Tx<'_>, amount: i64) -> Result<(), StoreError> {
    if !qris_enabled(tx) {
        tx.send(texts::QRIS_NOT_CONFIGURED);
        return Ok(());
    }
    let user_id = tx.user_id();
    let (_deposit_id, payment) = create_deposit(tx.conn(), user_id, amount)?;
    start_invoice(tx, payment.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_like_people_write_them() {
        assert_eq!(parse_amount("15000"), Some(15_000));
        assert_eq!(parse_amount(" 15.000 "), Some(15_000));
        assert_eq!(parse_amount("Rp 15.000"), Some(15_000));
        assert_eq!(parse_amount("Rp15,000"), Some(15_000));
        assert_eq!(parse_amount("0"), Some(0));
        assert_eq!(parse_amount(""), None);
        assert_eq!(parse_amount("sepuluh ribu"), None);
        assert_eq!(parse_amount("-5000"), None);
        assert_eq!(parse_amount("15k"), None);
        assert_eq!(parse_amount("1e9"), None);
        assert_eq!(parse_amount(&"9".repeat(30)), None);
    }
}
