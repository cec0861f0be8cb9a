//! *Pesanan Saya*: the order history (paged), one order's details, and *Kirim Ulang* for a
//! paid order's items.

use autoorder_schema::queries::catalog::stock_aad;
use autoorder_schema::queries::orders::{count_orders, list_orders, order_of_user, sold_items};
use autoorder_schema::queries::shop::payments::latest_payment_of_order;
use autoorder_schema::queries::shop::status;

use crate::bot::callback::CallbackData;
use crate::bot::context::{Ctx, Toast};
use crate::bot::intake::HandleError;
use crate::bot::keyboards::{button, inline, pager};
use crate::bot::texts;
use crate::log_targets::BOT;
use crate::queue::handlers::split_message;

/// Orders per page.
pub const PAGE_SIZE: i64 = 5;
/// Longest message the bot sends (Telegram allows 4096).
pub const MESSAGE_CHARS: usize = 4000;

/// A page of the customer's orders, newest first.
pub async fn show_orders(ctx: &Ctx<'_>, page: u32) -> Result<(), HandleError> {
    let user_id = ctx.user_id;
    let total = ctx.db(move |c| count_orders(c, user_id)).await?;
    if total == 0 {
        let keyboard = inline(vec![vec![button(
            texts::BTN_CONTINUE_SHOPPING,
            CallbackData::CatalogPage { page: 0 },
        )]]);
        return ctx.show(texts::ORDERS_EMPTY, keyboard).await;
    }
    let pages = super::catalog::page_count(total as usize, PAGE_SIZE as usize);
    let page = page.min(pages - 1);
    let offset = i64::from(page) * PAGE_SIZE;
    let orders = ctx
        .db(move |c| list_orders(c, user_id, PAGE_SIZE, offset))
        .await?;
    let mut text = texts::orders_header(page, pages, total);
    let mut rows = Vec::new();
    for order in &orders {
        text.push_str(&texts::orders_entry(
            &order.invoice_no,
            &order.status,
            &ctx.local_time(order.created_at),
            order.total,
            &order.payment_method,
        ));
        rows.push(vec![button(
            texts::btn_order(&order.invoice_no),
            CallbackData::Order { order_id: order.id },
        )]);
    }
    text.push_str(texts::ORDERS_FOOTER);
    rows.push(pager(page, pages, |page| CallbackData::OrdersPage { page }));
    ctx.show(text, inline(rows)).await
}

fn is_paid(status: &str) -> bool {
    status == status::PAID || status == status::DELIVERED
}

/// One order: lines, totals, status; *Kirim Ulang* when paid, the invoice buttons while a
/// payment is open.
pub async fn show_order(ctx: &Ctx<'_>, order_id: i64) -> Result<Toast, HandleError> {
    let user_id = ctx.user_id;
    let found = ctx
        .db(move |c| {
            let Some(order) = order_of_user(c, order_id, user_id)? else {
                return Ok(None);
            };
            let payment = if order.0.status == status::PENDING {
                latest_payment_of_order(c, order_id)?
            } else {
                None
            };
            Ok(Some((order, payment)))
        })
        .await?;
    let Some(((order, lines), payment)) = found else {
        return Ok(Toast::stale());
    };
    let text = texts::order_detail(
        &order.invoice_no,
        &order.status,
        &order.payment_method,
        &ctx.local_time(order.created_at),
        order.paid_at.map(|t| ctx.local_time(t)).as_deref(),
        &lines,
        order.subtotal,
        order.discount,
        order.fee,
        order.total,
    );
    let mut rows = Vec::new();
    if is_paid(&order.status) {
        rows.push(vec![button(
            texts::BTN_RESEND,
            CallbackData::Resend { order_id },
        )]);
    }
    if let Some(p) = payment.filter(|p| p.status == status::PENDING || p.status == status::CREATING)
    {
        rows.push(vec![button(
            texts::BTN_CHECK_PAYMENT,
            CallbackData::CheckPayment { payment_id: p.id },
        )]);
        rows.push(vec![button(
            texts::BTN_CANCEL_PAYMENT,
            CallbackData::CancelPayment { payment_id: p.id },
        )]);
    }
    rows.push(vec![button(
        texts::BTN_BACK_TO_ORDERS,
        CallbackData::OrdersPage { page: 0 },
    )]);
    ctx.show(text, inline(rows)).await?;
    Ok(Toast::none())
}

/// *Kirim Ulang*: decrypts the order's sold items and sends them again, split to fit.
pub async fn resend(ctx: &Ctx<'_>, order_id: i64) -> Result<Toast, HandleError> {
    let user_id = ctx.user_id;
    let found = ctx
        .db(move |c| {
            let Some((order, _)) = order_of_user(c, order_id, user_id)? else {
                return Ok(None);
            };
            let items = if is_paid(&order.status) {
                sold_items(c, order_id)?
            } else {
                Vec::new()
            };
            Ok(Some((order, items)))
        })
        .await?;
    let Some((order, items)) = found else {
        return Ok(Toast::stale());
    };
    if items.is_empty() {
        return Ok(Toast::alert(texts::RESEND_NOTHING));
    }
    let mut by_product: Vec<(i64, String, Vec<String>)> = Vec::new();
    for item in items {
        let aad = stock_aad(item.product_id, &item.content_hash);
        let content = match ctx.services.data_keys.decrypt_str(&item.content_enc, &aad) {
            Ok(c) => c,
            Err(e) => {
                log::error!(target: BOT, "re-sending order {order_id}: an item cannot be decrypted: {e}");
                ctx.send(texts::RESEND_FAILED).await?;
                return Ok(Toast::none());
            }
        };
        match by_product
            .iter_mut()
            .find(|(id, _, _)| *id == item.product_id)
        {
            Some((_, _, list)) => list.push(content),
            None => by_product.push((item.product_id, item.product_name, vec![content])),
        }
    }
    let mut text = texts::resend_header(&order.invoice_no);
    for (_, name, list) in &by_product {
        text.push_str(&texts::delivery_block(name, list));
    }
    for chunk in split_message(&text, MESSAGE_CHARS) {
        ctx.send(chunk).await?;
    }
    Ok(Toast::note(texts::RESENT))
}
