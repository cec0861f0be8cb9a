//! *Pesanan Saya*: the order history (paged), one order's details, and *Kirim Ulang* for a
//! paid order's items.

use autoorder_schema::job_kinds::JobPayload;
use autoorder_schema::queries::jobs::NewJob;
use autoorder_schema::queries::orders::{count_orders, list_orders, order_of_user, sold_items};
use autoorder_schema::queries::shop::payments::latest_payment_of_order;
use autoorder_schema::queries::shop::status;

use autoorder_schema::StoreError;

use crate::bot::callback::CallbackData;
use crate::bot::context::{Toast, Tx};
use crate::bot::keyboards::{button, inline, pager};
use crate::bot::texts;

/// Orders per page.
pub const PAGE_SIZE: i64 = 5;

/// A page of the customer's orders, newest first.
pub fn show_orders(tx: &mut Tx<'_>, page: u32) -> Result<(), StoreError> {
    let user_id = tx.user_id();
    let total = count_orders(tx.conn(), user_id)?;
    if total == 0 {
        let keyboard = inline(vec![vec![button(
            texts::BTN_CONTINUE_SHOPPING,
            CallbackData::CatalogPage { page: 0 },
        )]]);
        tx.show(texts::ORDERS_EMPTY, keyboard);
        return Ok(());
    }
    let pages = super::catalog::page_count(total as usize, PAGE_SIZE as usize);
    let page = page.min(pages - 1);
    let offset = i64::from(page) * PAGE_SIZE;
    let orders = list_orders(tx.conn(), user_id, PAGE_SIZE, offset)?;
    let mut text = texts::orders_header(page, pages, total);
    let mut rows = Vec::new();
    for order in &orders {
        text.push_str(&texts::orders_entry(
            &order.invoice_no,
            &order.status,
            &tx.local_time(order.created_at),
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
    tx.show(text, inline(rows));
    Ok(())
}

fn is_paid(status: &str) -> bool {
    status == status::PAID || status == status::DELIVERED
}

/// One order: lines, totals, status; *Kirim Ulang* when paid, the invoice buttons while a
/// payment is open.
pub fn show_order(tx: &mut Tx<'_>, order_id: i64) -> Result<Toast, StoreError> {
    let user_id = tx.user_id();
    let Some((order, lines)) = order_of_user(tx.conn(), order_id, user_id)? else {
        return Ok(Toast::stale());
    };
    let payment = if order.status == status::PENDING {
        latest_payment_of_order(tx.conn(), order_id)?
    } else {
        None
    };
    let text = texts::order_detail(
        &order.invoice_no,
        &order.status,
        &order.payment_method,
        &tx.local_time(order.created_at),
        order.paid_at.map(|t| tx.local_time(t)).as_deref(),
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
    tx.show(text, inline(rows));
    Ok(Toast::none())
}

/// *Kirim Ulang*: the queue decrypts the order's sold items and sends them again (the items
/// are decrypted only when sent, never stored in the clear).
pub fn resend(tx: &mut Tx<'_>, order_id: i64) -> Result<Toast, StoreError> {
    let user_id = tx.user_id();
    let Some((order, _)) = order_of_user(tx.conn(), order_id, user_id)? else {
        return Ok(Toast::stale());
    };
    if !is_paid(&order.status) || sold_items(tx.conn(), order_id)?.is_empty() {
        return Ok(Toast::alert(texts::RESEND_NOTHING));
    }
    let key = format!("resend:{order_id}:{}", tx.update_id);
    tx.enqueue(&NewJob::keyed(JobPayload::ResendOrder { order_id }, key))?;
    Ok(Toast::note(texts::RESENT))
}
