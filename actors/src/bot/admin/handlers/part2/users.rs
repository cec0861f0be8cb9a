//! *User*: the list, search (a typed wizard step), the profile card and order history,
//! block / unblock with a reason, and *Ubah Saldo* (signed amount, mandatory reason,
//! confirmation, then the shop's audited balance change; the customer is told of credits).

use autoorder_schema::StoreError;
use autoorder_schema::queries::admin::listing::PageRequest;
use autoorder_schema::queries::admin::orders::{OrderFilter, list_orders};
use autoorder_schema::queries::admin::users::{
    BlockRefused, MAX_REASON, UserQuery, block_user, list_users, search_users, unblock_user,
    user_card,
};
use autoorder_schema::queries::shop::balance::{AdjustProblem, adjust_balance};

use super::{USERS, confirm_screen, current_wizard, end_wizard, prompt, save, show, still_current};
use crate::bot::admin::WizardToken;
use crate::bot::admin::ui::PER_PAGE;
use crate::bot::admin::users::{
    SEARCH_PROMPT, UserAction, adjustment_confirm, adjustment_prompt, adjustment_reason_prompt,
    block_refused, card_screen, customer_credited, list_screen, orders_screen, parse_adjustment,
    reason_prompt, search_screen, signed,
};
use crate::bot::admin::wizard::{Flow, Part2Flow, Wizard};
use crate::bot::context::{Apply, CallbackApply, Ctx, Toast, Tx, apply};
use crate::bot::pipeline::HandleError;

/// Sellers and owners: never blocked.
fn protected(tx: &Tx<'_>) -> Vec<i64> {
    let s = &tx.services.settings;
    s.admin_ids.iter().chain(&s.owner_ids).copied().collect()
}

/// The prepare step of a User button (everything is read and written in the transaction).
pub(super) async fn prepare(
    ctx: &Ctx<'_>,
    action: UserAction,
) -> Result<CallbackApply, HandleError> {
    let _ = ctx;
    Ok(Box::new(move |tx: &mut Tx<'_>| match action {
        UserAction::List { blocked_only, page } => {
            show_list(tx, blocked_only, page)?;
            Ok(Toast::none())
        }
        UserAction::Search => {
            let wizard = Wizard::start(Flow::Part2(Part2Flow::SearchUsers { query: None }));
            save(tx, &wizard)?;
            prompt(tx, wizard.token, SEARCH_PROMPT.into(), false);
            Ok(Toast::none())
        }
        UserAction::SearchPage { page } => match current_wizard(tx)? {
            Some(Wizard {
                flow: Flow::Part2(Part2Flow::SearchUsers { query: Some(query) }),
                ..
            }) => {
                show_search(tx, &query, page)?;
                Ok(Toast::none())
            }
            _ => Ok(Toast::stale()),
        },
        UserAction::Card { user_id } => show_card(tx, user_id),
        UserAction::Orders { user_id, page } => {
            let Some(card) = user_card(tx.conn(), user_id)? else {
                return Ok(Toast::stale());
            };
            let filter = OrderFilter {
                status: None,
                created_since: None,
                user_id: Some(user_id),
            };
            let rows = list_orders(tx.conn(), filter, PageRequest::new(page, PER_PAGE))?;
            let tz = tx.services.settings.timezone;
            show(
                tx,
                USERS,
                orders_screen(&card.row.name, user_id, &rows, page, &tz),
            );
            Ok(Toast::none())
        }
        UserAction::Block { user_id } | UserAction::Unblock { user_id } => {
            let block = matches!(action, UserAction::Block { .. });
            let Some(card) = user_card(tx.conn(), user_id)? else {
                return Ok(Toast::stale());
            };
            if block && protected(tx).contains(&user_id) {
                return Ok(Toast::alert(block_refused(BlockRefused::Protected)));
            }
            if block == card.row.is_blocked {
                let refused = if block {
                    BlockRefused::AlreadyBlocked
                } else {
                    BlockRefused::NotBlocked
                };
                return Ok(Toast::alert(block_refused(refused)));
            }
            let name = card.row.name.clone();
            let wizard = Wizard::start(Flow::Part2(Part2Flow::BlockUser {
                user_id,
                name: name.clone(),
                block,
            }));
            save(tx, &wizard)?;
            prompt(tx, wizard.token, reason_prompt(&name, block), false);
            Ok(Toast::none())
        }
        UserAction::AdjustBalance { user_id } => {
            let Some(card) = user_card(tx.conn(), user_id)? else {
                return Ok(Toast::stale());
            };
            let name = card.row.name.clone();
            let wizard = Wizard::start(Flow::Part2(Part2Flow::AdjustBalance {
                user_id,
                name: name.clone(),
                delta: None,
                reason: None,
            }));
            save(tx, &wizard)?;
            prompt(
                tx,
                wizard.token,
                adjustment_prompt(&name, card.row.balance),
                false,
            );
            Ok(Toast::none())
        }
    }))
}

/// A page of the customer list.
pub(super) fn show_list(tx: &mut Tx<'_>, blocked_only: bool, page: u32) -> Result<(), StoreError> {
    let rows = list_users(
        tx.conn(),
        UserAction::filter(blocked_only),
        PageRequest::new(page, PER_PAGE),
    )?;
    let tz = tx.services.settings.timezone;
    show(tx, USERS, list_screen(&rows, blocked_only, page, &tz));
    Ok(())
}

fn show_search(tx: &mut Tx<'_>, query: &str, page: u32) -> Result<(), StoreError> {
    let Ok(parsed) = UserQuery::parse(query) else {
        return Ok(());
    };
    let rows = search_users(tx.conn(), &parsed, PageRequest::new(page, PER_PAGE))?;
    let tz = tx.services.settings.timezone;
    show(tx, USERS, search_screen(query, &rows, page, &tz));
    Ok(())
}

/// A customer's profile card (stale when unknown).
pub(super) fn show_card(tx: &mut Tx<'_>, user_id: i64) -> Result<Toast, StoreError> {
    let Some(card) = user_card(tx.conn(), user_id)? else {
        return Ok(Toast::stale());
    };
    let is_protected = protected(tx).contains(&user_id);
    let tz = tx.services.settings.timezone;
    show(tx, USERS, card_screen(&card, is_protected, &tz));
    Ok(Toast::none())
}

/// *Kembali* to a text step of a User wizard.
pub(super) fn reprompt(
    tx: &mut Tx<'_>,
    token: WizardToken,
    flow: &Part2Flow,
) -> Result<(), StoreError> {
    match flow {
        Part2Flow::SearchUsers { .. } => prompt(tx, token, SEARCH_PROMPT.into(), false),
        Part2Flow::AdjustBalance {
            user_id,
            name,
            delta,
            ..
        } => match delta {
            None => {
                let balance = user_card(tx.conn(), *user_id)?.map_or(0, |c| c.row.balance);
                prompt(tx, token, adjustment_prompt(name, balance), false);
            }
            Some(delta) => prompt(tx, token, adjustment_reason_prompt(*delta), true),
        },
        _ => {}
    }
    Ok(())
}

/// A reason: required, at most [`MAX_REASON`] characters.
fn checked_reason(text: &str) -> Option<String> {
    let reason = text.trim();
    (!reason.is_empty() && reason.chars().count() <= MAX_REASON).then(|| reason.to_string())
}

/// Text for a User wizard's step.
pub(super) fn text_typed(token: WizardToken, flow: Part2Flow, text: String) -> Apply {
    apply(move |tx| {
        if !still_current(tx, token)? {
            return Ok(());
        }
        match flow {
            Part2Flow::SearchUsers { .. } => {
                if UserQuery::parse(&text).is_err() {
                    tx.send(SEARCH_PROMPT);
                    return Ok(());
                }
                let query = text.trim().to_string();
                save(
                    tx,
                    &Wizard {
                        token,
                        flow: Flow::Part2(Part2Flow::SearchUsers {
                            query: Some(query.clone()),
                        }),
                    },
                )?;
                show_search(tx, &query, 0)
            }
            Part2Flow::BlockUser { user_id, block, .. } => {
                let actor = tx.user_id();
                let protected = protected(tx);
                let done = if block {
                    block_user(tx.conn(), user_id, &text, actor, &protected)?
                } else {
                    unblock_user(tx.conn(), user_id, &text, actor)?
                };
                match done {
                    Ok(()) => {
                        end_wizard(tx)?;
                        tx.send(if block {
                            "🚫 Pelanggan diblokir."
                        } else {
                            "✅ Blokir dibuka."
                        });
                        show_card(tx, user_id).map(|_| ())
                    }
                    Err(refused) => {
                        if refused != BlockRefused::BadReason {
                            end_wizard(tx)?;
                        }
                        tx.send(block_refused(refused));
                        Ok(())
                    }
                }
            }
            Part2Flow::AdjustBalance {
                user_id,
                name,
                delta: None,
                ..
            } => match parse_adjustment(&text) {
                Err(problem) => {
                    tx.send(problem.to_string());
                    Ok(())
                }
                Ok(delta) => {
                    save(
                        tx,
                        &Wizard {
                            token,
                            flow: Flow::Part2(Part2Flow::AdjustBalance {
                                user_id,
                                name,
                                delta: Some(delta),
                                reason: None,
                            }),
                        },
                    )?;
                    prompt(tx, token, adjustment_reason_prompt(delta), true);
                    Ok(())
                }
            },
            Part2Flow::AdjustBalance {
                user_id,
                name,
                delta: Some(delta),
                ..
            } => {
                let Some(reason) = checked_reason(&text) else {
                    tx.send(format!("Alasan wajib diisi, 1–{MAX_REASON} karakter."));
                    return Ok(());
                };
                let balance = user_card(tx.conn(), user_id)?.map_or(0, |c| c.row.balance);
                save(
                    tx,
                    &Wizard {
                        token,
                        flow: Flow::Part2(Part2Flow::AdjustBalance {
                            user_id,
                            name: name.clone(),
                            delta: Some(delta),
                            reason: Some(reason.clone()),
                        }),
                    },
                )?;
                confirm_screen(
                    tx,
                    token,
                    adjustment_confirm(&name, balance, delta, &reason),
                );
                Ok(())
            }
            Part2Flow::MarkPaid { .. } | Part2Flow::Broadcast(_) => Ok(()),
        }
    })
}

/// *Ya, lanjutkan* on the balance confirmation: the shop's audited balance change (ledger row
/// with the seller as actor, never below zero); a credit is told to the customer.
pub(super) fn confirm(token: WizardToken, flow: Part2Flow) -> CallbackApply {
    Box::new(move |tx: &mut Tx<'_>| {
        let Part2Flow::AdjustBalance {
            user_id,
            delta: Some(delta),
            reason: Some(reason),
            ..
        } = flow
        else {
            return Ok(Toast::stale());
        };
        if !still_current(tx, token)? {
            return Ok(Toast::stale());
        }
        let actor = tx.user_id();
        let done = adjust_balance(tx.conn(), user_id, delta, actor, &reason)?;
        end_wizard(tx)?;
        match done {
            Ok(adjusted) => {
                if delta > 0 {
                    let key = format!("admin-credit:{}", adjusted.audit_id);
                    super::tell_customer(
                        tx,
                        user_id,
                        customer_credited(delta, adjusted.balance),
                        key,
                    )?;
                }
                show_card(tx, user_id)?;
                Ok(Toast::note(format!("Saldo diubah {}.", signed(delta))))
            }
            Err(problem) => {
                show_card(tx, user_id)?;
                Ok(Toast::alert(adjust_refused(&problem)))
            }
        }
    })
}

fn adjust_refused(problem: &AdjustProblem) -> String {
    match problem {
        AdjustProblem::NoReason | AdjustProblem::ReasonTooLong => {
            format!("Alasan wajib diisi, 1–{MAX_REASON} karakter.")
        }
        AdjustProblem::ZeroAmount => "Jumlah tidak boleh nol.".into(),
        AdjustProblem::UnknownUser => "Pelanggan tidak ditemukan.".into(),
        AdjustProblem::Insufficient(_) => {
            "Saldo tidak cukup: saldo tidak boleh kurang dari nol.".into()
        }
    }
}
