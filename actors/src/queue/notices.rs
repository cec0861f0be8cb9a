//! Renders a [`Notice`] into texts for its audiences, reading the facts it names.

use autoorder_schema::DbConnection;
use autoorder_schema::StoreError;
use autoorder_schema::job_kinds::Notice;
use autoorder_schema::queries::shop::balance::balance_of;
use autoorder_schema::queries::shop::deposits::load_deposit;
use autoorder_schema::queries::shop::payments::view_payment;
use autoorder_schema::queries::shop::products::available_stock;

use crate::bot::texts;
use crate::format::rupiah;

/// Who hears a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// One customer.
    Customer(i64),
    /// Every seller (`TELEGRAM_ADMIN_IDS`).
    Sellers,
    /// Every owner, through the owner bot.
    Owners,
}

/// The messages a notice becomes.
pub fn render(
    conn: &mut DbConnection,
    notice: &Notice,
) -> Result<Vec<(Audience, String)>, StoreError> {
    Ok(match notice {
        Notice::OrderPaid { order_id } => {
            let Some(order) = order_facts(conn, *order_id)? else {
                return Ok(Vec::new());
            };
            let lines: String = order
                .lines
                .iter()
                .map(|(n, q, p)| format!("• {n} × {q} @ {}\n", rupiah(*p)))
                .collect();
            let method = crate::bot::admin::orders::method_label(&order.method);
            vec![(
                Audience::Sellers,
                texts::seller_order_paid(
                    &order.invoice_no,
                    &order.buyer,
                    order.buyer_id,
                    lines.trim_end(),
                    &rupiah(order.total),
                    method,
                ),
            )]
        }
        Notice::DepositCompleted { deposit_id } => {
            let Some((amount, _, user_id)) = load_deposit(conn, *deposit_id)? else {
                return Ok(Vec::new());
            };
            let balance = balance_of(conn, user_id)?;
            let buyer = display_name(conn, user_id)?;
            vec![
                (
                    Audience::Customer(user_id),
                    texts::deposit_completed(&rupiah(amount), &rupiah(balance)),
                ),
                (
                    Audience::Sellers,
                    texts::seller_deposit(&buyer, user_id, &rupiah(amount)),
                ),
            ]
        }
        Notice::PaymentExpired { payment_id } => {
            let Some(view) = view_payment(conn, *payment_id)? else {
                return Ok(Vec::new());
            };
            vec![(
                Audience::Customer(view.user_id),
                texts::payment_expired(&view.row.gateway_order_id),
            )]
        }
        Notice::LatePaymentRefunded { payment_id, reason } => {
            let Some(view) = view_payment(conn, *payment_id)? else {
                return Ok(Vec::new());
            };
            let amount = rupiah(view.row.amount);
            let why = reason.unwrap_or(texts::RefundWhy::StockGone);
            vec![
                (
                    Audience::Customer(view.user_id),
                    texts::payment_refunded(&view.row.gateway_order_id, &amount, why),
                ),
                (
                    Audience::Sellers,
                    texts::seller_late_payment(&view.row.gateway_order_id, view.user_id, &amount),
                ),
            ]
        }
        Notice::LowStock { product_id } => {
            let name = autoorder_schema::queries::orders::product_name(conn, *product_id)?
                .unwrap_or_default();
            let left = available_stock(conn, *product_id)?;
            vec![(Audience::Sellers, texts::low_stock(&name, left))]
        }
        Notice::GatewayFailing {
            failures,
            last_error,
        } => vec![(
            Audience::Owners,
            texts::gateway_failing(*failures, last_error),
        )],
        Notice::GatewayRecovered { failures } => {
            vec![(Audience::Owners, texts::gateway_recovered(*failures))]
        }
        Notice::UnconfirmedCallback {
            gateway_order_id,
            reason,
        } => {
            vec![(
                Audience::Owners,
                texts::unconfirmed_callback(gateway_order_id, reason),
            )]
        }
        Notice::PaymentUnderReview { payment_id, reason } => {
            let Some(view) = view_payment(conn, *payment_id)? else {
                return Ok(Vec::new());
            };
            vec![(
                Audience::Owners,
                texts::payment_under_review(
                    &view.row.gateway_order_id,
                    &rupiah(view.row.amount),
                    view.user_id,
                    reason,
                ),
            )]
        }
        Notice::ManualPayment {
            reference,
            admin_id,
            amount,
            note,
        } => vec![(
            Audience::Owners,
            texts::manual_payment(reference, *admin_id, &rupiah(*amount), note),
        )],
    })
}

struct OrderFacts {
    invoice_no: String,
    buyer: String,
    buyer_id: i64,
    method: String,
    total: i64,
    lines: Vec<(String, i32, i64)>,
}

fn order_facts(conn: &mut DbConnection, order_id: i64) -> Result<Option<OrderFacts>, StoreError> {
    let Some((buyer_id, invoice_no, _, _)) =
        autoorder_schema::queries::orders::delivery_target(conn, order_id)?
    else {
        return Ok(None);
    };
    let Some((summary, lines)) =
        autoorder_schema::queries::orders::order_of_user(conn, order_id, buyer_id)?
    else {
        return Ok(None);
    };
    let buyer = display_name(conn, buyer_id)?;
    Ok(Some(OrderFacts {
        invoice_no,
        buyer,
        buyer_id,
        method: summary.payment_method,
        total: summary.total,
        lines,
    }))
}

fn display_name(conn: &mut DbConnection, user_id: i64) -> Result<String, StoreError> {
    Ok(
        autoorder_schema::queries::users::display_name(conn, user_id)?
            .unwrap_or_else(|| user_id.to_string()),
    )
}
