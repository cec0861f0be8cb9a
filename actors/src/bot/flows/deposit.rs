//! *Deposit*: presets or *Nominal Lain* (a typed amount between the minimum and the maximum),
//! paid by QRIS with the same invoice life cycle as orders; completion credits the balance.

use autoorder_schema::queries::shop::balance::balance_of;
use autoorder_schema::queries::shop::deposits::create_deposit;

use crate::bot::callback::CallbackData;
use crate::bot::context::{Ctx, Toast};
use crate::bot::conversation::Conversation;
use crate::bot::intake::HandleError;
use crate::bot::keyboards::{button, cancel_input, inline};
use crate::bot::texts;

use super::invoice;

/// The largest deposit.
pub const MAXIMUM: i64 = 10_000_000;
/// The preset buttons.
pub const PRESETS: [i64; 4] = [10_000, 25_000, 50_000, 100_000];

fn minimum(ctx: &Ctx<'_>) -> i64 {
    ctx.services.settings.shop.deposit_minimum.max(1)
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

/// The deposit menu.
pub async fn show_menu(ctx: &Ctx<'_>) -> Result<(), HandleError> {
    if ctx.services.settings.pakasir.is_none() {
        ctx.send(texts::QRIS_NOT_CONFIGURED).await?;
        return Ok(());
    }
    let user_id = ctx.user_id;
    let balance = ctx.db(move |c| balance_of(c, user_id)).await?;
    let min = minimum(ctx);
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
    ctx.send_with(texts::deposit_menu(balance, min, MAXIMUM), inline(rows))
        .await?;
    Ok(())
}

/// *Nominal Lain*: the next text is the amount.
pub async fn ask_amount(ctx: &Ctx<'_>) -> Result<Toast, HandleError> {
    ctx.set_state(Conversation::AwaitingDepositAmount).await?;
    ctx.send_with(texts::deposit_prompt(minimum(ctx), MAXIMUM), cancel_input())
        .await?;
    Ok(Toast::none())
}

/// Why an amount cannot be deposited.
fn check_amount(ctx: &Ctx<'_>, amount: i64) -> Result<(), String> {
    if amount < minimum(ctx) {
        Err(texts::deposit_too_small(minimum(ctx)))
    } else if amount > MAXIMUM {
        Err(texts::deposit_too_large(MAXIMUM))
    } else {
        Ok(())
    }
}

/// A typed amount.
pub async fn amount_typed(ctx: &Ctx<'_>, text: &str) -> Result<(), HandleError> {
    let Some(amount) = parse_amount(text) else {
        ctx.send_with(texts::DEPOSIT_NOT_A_NUMBER, cancel_input())
            .await?;
        return Ok(());
    };
    if let Err(why) = check_amount(ctx, amount) {
        ctx.send_with(why, cancel_input()).await?;
        return Ok(());
    }
    ctx.clear_state().await?;
    start(ctx, amount).await
}

/// A preset button (its amount is checked again: the press may be forged).
pub async fn preset(ctx: &Ctx<'_>, amount: i64) -> Result<Toast, HandleError> {
    if let Err(why) = check_amount(ctx, amount) {
        return Ok(Toast::alert(why));
    }
    start(ctx, amount).await?;
    Ok(Toast::none())
}

/// Creates the deposit and its QRIS invoice.
async fn start(ctx: &Ctx<'_>, amount: i64) -> Result<(), HandleError> {
    if ctx.services.settings.pakasir.is_none() {
        ctx.send(texts::QRIS_NOT_CONFIGURED).await?;
        return Ok(());
    }
    let user_id = ctx.user_id;
    let (_deposit_id, payment) = ctx.db(move |c| create_deposit(c, user_id, amount)).await?;
    match invoice::start_qris(ctx, payment.id).await {
        Ok(inv) => {
            let caption = texts::deposit_invoice(
                &inv.gateway_order_id,
                inv.amount,
                inv.fee,
                inv.total_payment,
                &ctx.local_time(inv.expires_at),
            );
            invoice::send_invoice(ctx, &inv, caption).await
        }
        Err(problem) => {
            ctx.send_after_commit(invoice::problem_text(&problem), None)
                .await;
            Ok(())
        }
    }
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
