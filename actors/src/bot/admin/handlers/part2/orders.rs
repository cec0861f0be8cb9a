//! *Order*: the list and detail, *Tandai Lunas* (a wizard: mandatory note, confirmation, then
//! the shop's manual-payment transaction), *Batalkan* (the gateway call in the prepare step,
//! like the customer's own cancel) and *Kirim Ulang*.

use autoorder_schema::StoreError;
use autoorder_schema::db::now_ms;
use autoorder_schema::job_kinds::JobPayload;
use autoorder_schema::queries::admin::orders::{OrderDetail, OrderRow, OrderStatus, order_detail};
use autoorder_schema::queries::jobs::NewJob;
use autoorder_schema::queries::shop::checkout::PaymentFor;
use autoorder_schema::queries::shop::manual::{ManualProblem, complete_payment_manually};

use super::{ORDERS, confirm_screen, end_wizard, prompt, save, show, still_current};
use crate::bot::admin::WizardToken;
use crate::bot::admin::orders::{
    NoteProblem, OrderAction, OrderList, cancel_confirm, detail_screen, list_screen,
    mark_paid_confirm, mark_paid_prompt, parse_note,
};
use crate::bot::admin::wizard::{Flow, Part2Flow, Wizard};
use crate::bot::context::{Apply, CallbackApply, Ctx, Toast, Tx, apply};
use crate::bot::pipeline::HandleError;
use crate::payment::messages::{CancelAtGateway, CancelOutcome, CancelPayment, PaymentProblem};

/// Answered when an order is not (or no longer) in a state the action applies to.
const NOT_PENDING: &str = "Pesanan ini sudah tidak menunggu pembayaran.";
/// *Kirim Ulang* of an order with nothing to send.
const NOTHING_TO_RESEND: &str = "Pesanan ini belum dibayar atau belum punya item.";
/// *Kirim Ulang* queued.
const RESENT: &str = "🔁 Item dikirim ulang ke pelanggan.";
/// A manual payment was recorded.
const MARKED_PAID: &str =
    "✅ Pesanan ditandai lunas. Item dikirim ke pelanggan, owner diberi tahu.";
/// A pending order was cancelled.
const CANCELLED: &str = "❌ Pesanan dibatalkan. Stok dan voucher dilepas.";
/// The customer's notice of a seller's cancel.
const CUSTOMER_CANCELLED: &str =
    "❌ Pesanan Anda dibatalkan oleh penjual. Tagihannya tidak berlaku lagi.";
/// The gateway could not be asked (or the payment is under review).
const CANCEL_FAILED: &str = "Tagihan tidak bisa dibatalkan sekarang. Coba lagi sebentar lagi.";
/// An SNK answer that cannot be read (its key is gone, or it was purged meanwhile).
const SNK_UNREADABLE: &str = "Jawaban SNK ini tidak bisa dibuka.";

/// The prepare step of an Order button.
pub(super) async fn prepare(
    ctx: &Ctx<'_>,
    action: OrderAction,
) -> Result<CallbackApply, HandleError> {
    Ok(match action {
        OrderAction::List(list) => Box::new(move |tx: &mut Tx<'_>| {
            show_list(tx, list)?;
            Ok(Toast::none())
        }),
        OrderAction::Detail { order_id, back } => {
            Box::new(move |tx: &mut Tx<'_>| show_detail(tx, order_id, back))
        }
        OrderAction::MarkPaid { order_id } => {
            Box::new(move |tx: &mut Tx<'_>| start_mark_paid(tx, order_id))
        }
        OrderAction::Cancel { order_id } => Box::new(move |tx: &mut Tx<'_>| {
            let Some(d) = order_detail(tx.conn(), order_id)? else {
                return Ok(Toast::stale());
            };
            if d.row.status != OrderStatus::Pending {
                return Ok(Toast::alert(NOT_PENDING));
            }
            show(tx, ORDERS, cancel_confirm(&d.row));
            Ok(Toast::none())
        }),
        OrderAction::ConfirmCancel { order_id } => cancel(ctx, order_id).await?,
        OrderAction::Resend { order_id } => Box::new(move |tx: &mut Tx<'_>| {
            let Some(d) = order_detail(tx.conn(), order_id)? else {
                return Ok(Toast::stale());
            };
            if !d.row.status.is_paid() || d.lines.iter().all(|l| l.assigned == 0) {
                return Ok(Toast::alert(NOTHING_TO_RESEND));
            }
            let key = format!("admin-resend:{order_id}:{}", tx.update_id);
            tx.enqueue(&NewJob::keyed(JobPayload::ResendOrder { order_id }, key))?;
            Ok(Toast::note(RESENT))
        }),
        OrderAction::SnkAnswer {
            order_id,
            product_id,
        } => Box::new(move |tx: &mut Tx<'_>| show_snk_answer(tx, order_id, product_id)),
    })
}

/// One SNK answer of an order, decrypted only now that a seller asked for it.
fn show_snk_answer(tx: &mut Tx<'_>, order_id: i64, product_id: i64) -> Result<Toast, StoreError> {
    use crate::bot::flows::snk::SnkAnswer;
    use crate::send::PhotoSource;
    use autoorder_schema::queries::snk::snk_aad;
    let Some(d) = order_detail(tx.conn(), order_id)? else {
        return Ok(Toast::stale());
    };
    let Some(found) = d.snk_answers.iter().find(|a| a.product_id == product_id) else {
        return Ok(Toast::stale());
    };
    let aad = snk_aad(&d.row.invoice_no, product_id);
    let answer: Option<SnkAnswer> = tx
        .services
        .data_keys
        .decrypt(&found.answer_enc, &aad)
        .ok()
        .and_then(|plain| serde_json::from_slice(&plain).ok());
    let Some(answer) = answer else {
        return Ok(Toast::alert(SNK_UNREADABLE));
    };
    let text = format!(
        "📝 Jawaban SNK {} — pesanan #{} ({}):\n{}",
        found.product_name,
        d.row.id,
        d.row.invoice_no,
        answer.text.as_deref().unwrap_or("(foto)")
    );
    match answer.photo_file_id {
        Some(file_id) => tx.photo(
            PhotoSource::FileId { file_id },
            Some(crate::bot::admin::ui::clip(&text, 1000)),
            None,
            None,
        ),
        None => tx.send(text),
    }
    Ok(Toast::none())
}

/// The order list.
pub(super) fn show_list(tx: &mut Tx<'_>, list: OrderList) -> Result<(), StoreError> {
    let tz = tx.services.settings.timezone;
    let (filter, page) = list.query(now_ms(), &tz);
    let rows = autoorder_schema::queries::admin::orders::list_orders(tx.conn(), filter, page)?;
    show(tx, ORDERS, list_screen(&rows, list, &tz));
    Ok(())
}

/// An order's detail (stale when the id is unknown).
pub(super) fn show_detail(
    tx: &mut Tx<'_>,
    order_id: i64,
    back: OrderList,
) -> Result<Toast, StoreError> {
    let Some(d) = order_detail(tx.conn(), order_id)? else {
        return Ok(Toast::stale());
    };
    let tz = tx.services.settings.timezone;
    show(tx, ORDERS, detail_screen(&d, back, &tz));
    Ok(Toast::none())
}

fn load_unpaid(tx: &mut Tx<'_>, order_id: i64) -> Result<Option<OrderDetail>, StoreError> {
    Ok(order_detail(tx.conn(), order_id)?.filter(|d| !d.row.status.is_paid()))
}

/// The order as a manual payment records it: its total without the gateway's fee (what the
/// shop receives by transfer), so the prompt and confirmation name the amount that is booked.
fn as_paid_manually(d: &OrderDetail) -> OrderRow {
    OrderRow {
        total: d.subtotal - d.discount,
        ..d.row.clone()
    }
}

/// *Tandai Lunas*: starts the wizard that asks for the note.
fn start_mark_paid(tx: &mut Tx<'_>, order_id: i64) -> Result<Toast, StoreError> {
    let Some(d) = load_unpaid(tx, order_id)? else {
        return Ok(Toast::alert(NOT_PENDING));
    };
    let wizard = Wizard::start(Flow::Part2(Part2Flow::MarkPaid {
        order_id,
        note: None,
    }));
    save(tx, &wizard)?;
    prompt(
        tx,
        wizard.token,
        mark_paid_prompt(&as_paid_manually(&d)),
        false,
    );
    Ok(Toast::none())
}

/// *Kembali* to the note step.
pub(super) fn reprompt(
    tx: &mut Tx<'_>,
    token: WizardToken,
    flow: &Part2Flow,
) -> Result<(), StoreError> {
    if let Part2Flow::MarkPaid { order_id, .. } = flow
        && let Some(d) = load_unpaid(tx, *order_id)?
    {
        prompt(tx, token, mark_paid_prompt(&as_paid_manually(&d)), false);
    }
    Ok(())
}

/// The note of a manual payment was typed: checked, kept, and the confirmation shown.
pub(super) fn note_typed(token: WizardToken, flow: Part2Flow, text: String) -> Apply {
    apply(move |tx| {
        let Part2Flow::MarkPaid { order_id, .. } = flow else {
            return Ok(());
        };
        if !still_current(tx, token)? {
            return Ok(());
        }
        let note = match parse_note(&text) {
            Ok(note) => note,
            Err(problem) => {
                tx.send(problem.to_string());
                return Ok(());
            }
        };
        let Some(d) = load_unpaid(tx, order_id)? else {
            end_wizard(tx)?;
            tx.send(NOT_PENDING);
            return Ok(());
        };
        let wizard = Wizard {
            token,
            flow: Flow::Part2(Part2Flow::MarkPaid {
                order_id,
                note: Some(note.clone()),
            }),
        };
        save(tx, &wizard)?;
        confirm_screen(tx, token, mark_paid_confirm(&as_paid_manually(&d), &note));
        Ok(())
    })
}

/// *Ya, lanjutkan* on the manual-payment confirmation. Prepare: the order's open QRIS
/// transactions are cancelled at the gateway (so the customer cannot pay a QR that no longer
/// counts; one paid meanwhile makes the manual payment refuse as already paid). Apply: the
/// shop's manual-payment transaction (the same completion as a gateway payment: items sold,
/// delivery queued, the open payment rows closed, owners told).
pub(super) async fn confirm(
    ctx: &Ctx<'_>,
    token: WizardToken,
    flow: Part2Flow,
) -> Result<CallbackApply, HandleError> {
    if let Part2Flow::MarkPaid {
        order_id,
        note: Some(_),
    } = &flow
    {
        let order_id = *order_id;
        let detail = ctx.db(move |c| order_detail(c, order_id)).await?;
        let open: Vec<i64> = detail
            .into_iter()
            .filter(|d| d.row.status == OrderStatus::Pending)
            .flat_map(|d| d.payments)
            .filter(|p| p.status == "pending")
            .map(|p| p.id)
            .collect();
        if !open.is_empty()
            && let Some(payment) = crate::tree::payment_actor(&ctx.services.registry)
        {
            payment
                .send(CancelAtGateway { payment_ids: open })
                .await
                .map_err(|e| HandleError::Payment(e.to_string()))?;
        }
    }
    Ok(Box::new(move |tx: &mut Tx<'_>| {
        let Part2Flow::MarkPaid { order_id, note } = flow else {
            return Ok(Toast::stale());
        };
        if !still_current(tx, token)? {
            return Ok(Toast::stale());
        }
        let Some(note) = note else {
            return Ok(Toast::alert(NoteProblem::Empty.to_string()));
        };
        let admin = tx.user_id();
        let threshold = tx.services.settings.shop.low_stock_threshold;
        let done = complete_payment_manually(
            tx.conn(),
            PaymentFor::Order(order_id),
            admin,
            &note,
            threshold,
        )?;
        end_wizard(tx)?;
        match done {
            Ok(_) => {
                tx.jobs_enqueued();
                show_detail(tx, order_id, OrderList::default())?;
                tx.send(MARKED_PAID);
                Ok(Toast::note(MARKED_PAID))
            }
            Err(problem) => {
                show_detail(tx, order_id, OrderList::default())?;
                Ok(Toast::alert(refused(&problem)))
            }
        }
    }))
}

/// Why a manual payment was refused, as the seller reads it.
fn refused(problem: &ManualProblem) -> String {
    match problem {
        ManualProblem::NoNote => NoteProblem::Empty.to_string(),
        ManualProblem::NoteTooLong => NoteProblem::TooLong.to_string(),
        ManualProblem::Unknown => "Pesanan tidak ditemukan.".into(),
        ManualProblem::AlreadyPaid => "Pesanan ini sudah lunas.".into(),
        ManualProblem::StockGone => {
            "Stok pesanan ini sudah habis terjual; tidak bisa ditandai lunas.".into()
        }
        ManualProblem::VoucherUsedUp => {
            "Voucher pesanan ini sudah habis dipakai; tidak bisa ditandai lunas.".into()
        }
    }
}

/// *Ya, batalkan*: each open payment of the order is cancelled through the payment actor (the
/// gateway is called here, before the transaction — as the customer's own cancel does), which
/// closes the order and releases its stock and voucher.
async fn cancel(ctx: &Ctx<'_>, order_id: i64) -> Result<CallbackApply, HandleError> {
    let detail = ctx.db(move |c| order_detail(c, order_id)).await?;
    let Some(d) = detail else {
        return Ok(super::stale());
    };
    if d.row.status != OrderStatus::Pending {
        return Ok(Box::new(|_: &mut Tx<'_>| Ok(Toast::alert(NOT_PENDING))));
    }
    let open: Vec<i64> = d
        .payments
        .iter()
        .filter(|p| p.status == "pending" || p.status == "creating")
        .map(|p| p.id)
        .collect();
    let Some(payment) = crate::tree::payment_actor(&ctx.services.registry) else {
        return Ok(Box::new(|_: &mut Tx<'_>| Ok(Toast::alert(CANCEL_FAILED))));
    };
    let mut cancelled = false;
    for payment_id in open {
        let outcome = payment
            .send(CancelPayment {
                payment_id,
                user_id: d.row.user_id,
            })
            .await
            .map_err(|e| HandleError::Payment(e.to_string()))?;
        match outcome {
            Ok(CancelOutcome::Cancelled) => cancelled = true,
            Ok(CancelOutcome::AlreadyPaid | CancelOutcome::RefundedToBalance) => {
                return Ok(Box::new(move |tx: &mut Tx<'_>| {
                    show_detail(tx, order_id, OrderList::default())?;
                    Ok(Toast::alert("Pesanan ini sudah dibayar."))
                }));
            }
            Err(PaymentProblem::NotOpen | PaymentProblem::NotFound) => {}
            Err(_) => return Ok(Box::new(|_: &mut Tx<'_>| Ok(Toast::alert(CANCEL_FAILED)))),
        }
    }
    let customer = d.row.user_id;
    Ok(Box::new(move |tx: &mut Tx<'_>| {
        if !cancelled {
            return Ok(Toast::alert(CANCEL_FAILED));
        }
        let key = format!("admin-cancel:{order_id}");
        super::tell_customer(tx, customer, CUSTOMER_CANCELLED.into(), key)?;
        show_detail(tx, order_id, OrderList::default())?;
        Ok(Toast::note(CANCELLED))
    }))
}
