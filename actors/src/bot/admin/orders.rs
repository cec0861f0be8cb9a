//! *Order* section: the paged order list with status and time filters, an order's detail, and
//! the prompts of its actions (mark paid manually with a mandatory note, cancel a pending
//! order, re-send a paid order's items). Pure: texts, keyboards and typed actions; the
//! handlers read the data and apply the changes.

use chrono_tz::Tz;

use autoorder_schema::queries::admin::listing::{Page, PageRequest};
use autoorder_schema::queries::admin::orders::{
    OrderDetail, OrderFilter, OrderRow, OrderStatus, PaymentLine,
};

use super::ui::{self, AreaAction, Btn, Fields, PER_PAGE, Screen};
use crate::format::{local_time, rupiah};
use crate::reports::period::local_today;

/// Longest manual-payment note, in characters (kept on the order and in the audit log).
pub const MAX_NOTE: usize = 200;

/// The time filter of the order list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Window {
    #[default]
    Any,
    /// Created since local midnight.
    Today,
    /// Created since local midnight six days ago (today and the 6 days before).
    Week,
}

impl Window {
    fn code(self) -> &'static str {
        match self {
            Window::Any => "a",
            Window::Today => "t",
            Window::Week => "w",
        }
    }

    fn from_code(code: &str) -> Option<Window> {
        [Window::Any, Window::Today, Window::Week]
            .into_iter()
            .find(|w| w.code() == code)
    }

    /// The first creation time the window admits, at `now` in `tz`.
    pub fn since(self, now: i64, tz: &Tz) -> Option<i64> {
        use crate::reports::period::ReportRange;
        let range = match self {
            Window::Any => return None,
            Window::Today => ReportRange::Today,
            Window::Week => ReportRange::Last7Days,
        };
        range.resolve(now, tz).ok().map(|p| p.period.start())
    }

    fn label(self) -> &'static str {
        match self {
            Window::Any => "Semua waktu",
            Window::Today => "Hari ini",
            Window::Week => "7 hari",
        }
    }
}

/// Which page of which list: kept in every button so *Kembali* returns to the same place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderList {
    pub status: Option<OrderStatus>,
    pub window: Window,
    pub page: u32,
}

impl OrderList {
    /// The storage filter and page of this list at `now` in `tz`.
    pub fn query(&self, now: i64, tz: &Tz) -> (OrderFilter, PageRequest) {
        (
            OrderFilter {
                status: self.status,
                created_since: self.window.since(now, tz),
                user_id: None,
            },
            PageRequest::new(self.page, PER_PAGE),
        )
    }

    fn encode(&self) -> String {
        format!(
            "{}:{}:{}",
            status_code(self.status),
            self.window.code(),
            self.page
        )
    }

    fn decode(f: &mut Fields<'_>) -> Option<OrderList> {
        let status = status_from_code(f.text()?)?;
        let window = Window::from_code(f.text()?)?;
        let page = f.num()?;
        Some(OrderList {
            status,
            window,
            page,
        })
    }
}

fn status_code(status: Option<OrderStatus>) -> &'static str {
    match status {
        None => "-",
        Some(OrderStatus::Pending) => "p",
        Some(OrderStatus::Paid) => "d",
        Some(OrderStatus::Delivered) => "v",
        Some(OrderStatus::Cancelled) => "c",
        Some(OrderStatus::Expired) => "x",
    }
}

fn status_from_code(code: &str) -> Option<Option<OrderStatus>> {
    std::iter::once(None)
        .chain(OrderStatus::ALL.into_iter().map(Some))
        .find(|s| status_code(*s) == code)
}

/// What the Order section's buttons do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderAction {
    /// A page of the list with its filters.
    List(OrderList),
    /// One order; `back` is the list it was opened from.
    Detail { order_id: i64, back: OrderList },
    /// *Tandai Lunas*: asks for the mandatory note (a wizard step).
    MarkPaid { order_id: i64 },
    /// *Batalkan Pesanan*: asks for confirmation.
    Cancel { order_id: i64 },
    /// The confirmation of [`OrderAction::Cancel`].
    ConfirmCancel { order_id: i64 },
    /// *Kirim Ulang*: re-sends a paid order's items to the customer.
    Resend { order_id: i64 },
    /// Shows one SNK answer of the order (decrypted only when asked).
    SnkAnswer { order_id: i64, product_id: i64 },
}

impl AreaAction for OrderAction {
    fn encode(&self) -> String {
        match self {
            OrderAction::List(l) => format!("l:{}", l.encode()),
            OrderAction::Detail { order_id, back } => format!("d:{order_id}:{}", back.encode()),
            OrderAction::MarkPaid { order_id } => format!("m:{order_id}"),
            OrderAction::Cancel { order_id } => format!("c:{order_id}"),
            OrderAction::ConfirmCancel { order_id } => format!("cy:{order_id}"),
            OrderAction::Resend { order_id } => format!("r:{order_id}"),
            OrderAction::SnkAnswer {
                order_id,
                product_id,
            } => format!("s:{order_id}:{product_id}"),
        }
    }

    fn decode(text: &str) -> Option<OrderAction> {
        let mut f = Fields::of(text);
        let action = match f.text()? {
            "l" => OrderAction::List(OrderList::decode(&mut f)?),
            "d" => OrderAction::Detail {
                order_id: f.num()?,
                back: OrderList::decode(&mut f)?,
            },
            "m" => OrderAction::MarkPaid { order_id: f.num()? },
            "c" => OrderAction::Cancel { order_id: f.num()? },
            "cy" => OrderAction::ConfirmCancel { order_id: f.num()? },
            "r" => OrderAction::Resend { order_id: f.num()? },
            "s" => OrderAction::SnkAnswer {
                order_id: f.num()?,
                product_id: f.num()?,
            },
            _ => return None,
        };
        f.done(action)
    }
}

/// A status as sellers read it.
pub fn status_label(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Pending => "⏳ Menunggu bayar",
        OrderStatus::Paid => "✅ Dibayar",
        OrderStatus::Delivered => "📦 Terkirim",
        OrderStatus::Cancelled => "❌ Dibatalkan",
        OrderStatus::Expired => "⌛ Kedaluwarsa",
    }
}

/// `qris` → QRIS, `balance` → Saldo, `manual` → Manual.
pub fn method_label(method: &str) -> &str {
    match method {
        "qris" => "QRIS",
        "balance" => "Saldo",
        "manual" => "Manual",
        other => other,
    }
}

/// A gateway payment state as sellers read it.
pub fn payment_status_label(status: &str) -> &str {
    match status {
        "creating" => "sedang dibuat",
        "pending" => "menunggu",
        "completed" => "lunas",
        "expired" => "kedaluwarsa",
        "cancelled" => "dibatalkan",
        "failed" => "gagal dibuat",
        other => other,
    }
}

fn status_emoji(status: OrderStatus) -> &'static str {
    status_label(status).split(' ').next().unwrap_or("")
}

fn chip(active: bool, label: &str) -> String {
    if active {
        format!("• {label}")
    } else {
        label.to_string()
    }
}

/// The order list screen.
pub fn list_screen(page: &Page<OrderRow>, list: OrderList, tz: &Tz) -> Screen<OrderAction> {
    let filter = match list.status {
        None => "semua status".to_string(),
        Some(s) => status_label(s).to_string(),
    };
    let mut text = format!(
        "🧾 Pesanan — {filter}, {} ({} pesanan)\n",
        list.window.label().to_lowercase(),
        page.total
    );
    if page.items.is_empty() {
        text.push_str("\nBelum ada pesanan yang cocok dengan filter ini.");
    }
    let mut rows = Vec::new();
    for o in &page.items {
        text.push_str(&format!(
            "\n#{} · {} · {} · {}\n   {} · {}",
            o.id,
            status_emoji(o.status),
            rupiah(o.total),
            ui::clip(&o.customer, 24),
            o.invoice_no,
            local_time(o.created_at, tz)
        ));
        rows.push(vec![Btn::act(
            format!(
                "#{} {} {} · {}",
                o.id,
                status_emoji(o.status),
                rupiah(o.total),
                ui::clip(&o.customer, 16)
            ),
            OrderAction::Detail {
                order_id: o.id,
                back: list,
            },
        )]);
    }
    let to_page = |page| OrderAction::List(OrderList { page, ..list });
    rows.push(ui::pager(list.page, page.total, to_page));
    let by_status = |status| {
        OrderAction::List(OrderList {
            status,
            page: 0,
            ..list
        })
    };
    let status_chip = |status: Option<OrderStatus>, label: &str| {
        Btn::act(chip(list.status == status, label), by_status(status))
    };
    rows.push(vec![
        status_chip(None, "Semua"),
        status_chip(Some(OrderStatus::Pending), "⏳"),
        status_chip(Some(OrderStatus::Paid), "✅"),
    ]);
    rows.push(vec![
        status_chip(Some(OrderStatus::Delivered), "📦"),
        status_chip(Some(OrderStatus::Cancelled), "❌"),
        status_chip(Some(OrderStatus::Expired), "⌛"),
    ]);
    rows.push(
        [Window::Any, Window::Today, Window::Week]
            .into_iter()
            .map(|window| {
                Btn::act(
                    chip(list.window == window, window.label()),
                    OrderAction::List(OrderList {
                        window,
                        page: 0,
                        ..list
                    }),
                )
            })
            .collect(),
    );
    rows.push(vec![Btn::admin_menu()]);
    rows.retain(|r| !r.is_empty());
    Screen { text, rows }
}

fn payment_line(p: &PaymentLine, tz: &Tz) -> String {
    let mut line = format!(
        "• {} {} — {} ({})",
        method_label(&p.method),
        p.gateway_order_id,
        rupiah(p.total_payment.unwrap_or(p.amount)),
        payment_status_label(&p.status)
    );
    if let Some(fee) = p.fee.filter(|f| *f > 0) {
        line.push_str(&format!(", biaya {}", rupiah(fee)));
    }
    match (p.completed_at, p.expires_at) {
        (Some(t), _) => line.push_str(&format!(", lunas {}", local_time(t, tz))),
        (None, Some(t)) => line.push_str(&format!(", berlaku s/d {}", local_time(t, tz))),
        (None, None) => {}
    }
    line
}

/// Most order lines, payments and SNK answers the detail lists (a message holds 4096
/// characters; orders with more are rare and the CSV export has them all).
const DETAIL_ITEMS: usize = 15;

/// The order detail screen.
pub fn detail_screen(d: &OrderDetail, back: OrderList, tz: &Tz) -> Screen<OrderAction> {
    let o = &d.row;
    let mut text = format!(
        "🧾 Pesanan #{} — {}\nInvoice: {}\nPelanggan: {} (ID {})\nMetode: {}\nDibuat: {}",
        o.id,
        status_label(o.status),
        o.invoice_no,
        o.customer,
        o.user_id,
        method_label(&o.payment_method),
        local_time(o.created_at, tz),
    );
    if let Some(t) = o.paid_at {
        text.push_str(&format!("\nDibayar: {}", local_time(t, tz)));
    }
    if let Some(t) = d.delivered_at {
        text.push_str(&format!("\nTerkirim: {}", local_time(t, tz)));
    } else if o.status == OrderStatus::Paid {
        text.push_str("\nTerkirim: belum (antrean pengiriman)");
    }
    if let Some(t) = d.closed_at {
        text.push_str(&format!("\nDitutup: {}", local_time(t, tz)));
    }
    text.push_str("\n\nItem:");
    for line in d.lines.iter().take(DETAIL_ITEMS) {
        text.push_str(&format!(
            "\n• {} × {} @ {}",
            line.product_name,
            line.quantity,
            rupiah(line.unit_price)
        ));
        if o.status.is_paid() {
            text.push_str(&format!(" ({} item diserahkan)", line.assigned));
        }
    }
    if d.lines.len() > DETAIL_ITEMS {
        text.push_str(&format!("\n… dan {} lainnya", d.lines.len() - DETAIL_ITEMS));
    }
    text.push_str(&format!("\n\nSubtotal: {}", rupiah(d.subtotal)));
    if d.discount > 0 {
        let code = d.voucher_code.as_deref().unwrap_or("voucher");
        text.push_str(&format!("\nDiskon ({code}): -{}", rupiah(d.discount)));
    }
    if d.fee > 0 {
        text.push_str(&format!("\nBiaya Layanan: {}", rupiah(d.fee)));
    }
    text.push_str(&format!("\nTotal: {}", rupiah(o.total)));
    if !d.payments.is_empty() {
        text.push_str("\n\nPembayaran:");
        for p in d.payments.iter().take(DETAIL_ITEMS) {
            text.push('\n');
            text.push_str(&payment_line(p, tz));
        }
    }
    if let Some(note) = &d.note {
        text.push_str(&format!("\n\nCatatan: {note}"));
    }
    let mut rows = Vec::new();
    if !d.snk_answers.is_empty() {
        text.push_str("\n\nJawaban SNK:");
        for a in d.snk_answers.iter().take(DETAIL_ITEMS) {
            text.push_str(&format!(
                "\n• {} — {}",
                a.product_name,
                local_time(a.answered_at, tz)
            ));
            rows.push(vec![Btn::act(
                format!("📝 SNK {}", ui::clip(&a.product_name, 24)),
                OrderAction::SnkAnswer {
                    order_id: o.id,
                    product_id: a.product_id,
                },
            )]);
        }
    }
    match o.status {
        OrderStatus::Pending => rows.push(vec![
            Btn::act("✅ Tandai Lunas", OrderAction::MarkPaid { order_id: o.id }),
            Btn::act("❌ Batalkan", OrderAction::Cancel { order_id: o.id }),
        ]),
        OrderStatus::Paid | OrderStatus::Delivered => rows.push(vec![Btn::act(
            "🔁 Kirim Ulang Item",
            OrderAction::Resend { order_id: o.id },
        )]),
        OrderStatus::Cancelled | OrderStatus::Expired => {}
    }
    rows.push(vec![
        Btn::act(ui::BTN_BACK, OrderAction::List(back)),
        Btn::admin_menu(),
    ]);
    Screen { text, rows }
}

/// Why a manual-payment note was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoteProblem {
    #[error("Catatan wajib diisi, misalnya: \"transfer BCA 21/11 a.n. Budi\".")]
    Empty,
    #[error("Catatan terlalu panjang: paling banyak {MAX_NOTE} karakter.")]
    TooLong,
}

/// Reads a manual-payment note: required, trimmed, at most [`MAX_NOTE`] characters.
pub fn parse_note(text: &str) -> Result<String, NoteProblem> {
    let note = text.trim();
    if note.is_empty() {
        return Err(NoteProblem::Empty);
    }
    if note.chars().count() > MAX_NOTE {
        return Err(NoteProblem::TooLong);
    }
    Ok(note.to_string())
}

/// The prompt for the note of a manual payment.
pub fn mark_paid_prompt(row: &OrderRow) -> String {
    format!(
        "✅ Tandai lunas pesanan #{} ({}, {}).\n\nKirim catatan pembayarannya (wajib), misalnya \
         \"transfer BCA 21/11 a.n. Budi\". Item dikirim ke pelanggan dan owner diberi tahu.",
        row.id,
        row.invoice_no,
        rupiah(row.total)
    )
}

/// The confirmation before a manual payment is recorded.
pub fn mark_paid_confirm(row: &OrderRow, note: &str) -> String {
    format!(
        "Konfirmasi: pesanan #{} ({}) atas nama {} senilai {} ditandai LUNAS secara manual.\n\
         Catatan: {note}\n\nLanjutkan?",
        row.id,
        row.invoice_no,
        row.customer,
        rupiah(row.total)
    )
}

/// The confirmation before a pending order is cancelled.
pub fn cancel_confirm(row: &OrderRow) -> Screen<OrderAction> {
    Screen {
        text: format!(
            "Batalkan pesanan #{} ({}, {})? Stok dan voucher dilepas, tagihan di gateway \
             dibatalkan, dan pelanggan diberi tahu.",
            row.id,
            row.invoice_no,
            rupiah(row.total)
        ),
        rows: vec![vec![
            Btn::act(
                "✔️ Ya, batalkan",
                OrderAction::ConfirmCancel { order_id: row.id },
            ),
            Btn::act(
                "✖️ Tidak",
                OrderAction::Detail {
                    order_id: row.id,
                    back: OrderList::default(),
                },
            ),
        ]],
    }
}

/// The owners' notice of a manual payment: who, which order, the note.
pub fn owner_manual_payment(seller: &str, seller_id: i64, row: &OrderRow, note: &str) -> String {
    format!(
        "💵 Pembayaran manual: {seller} (ID {seller_id}) menandai lunas pesanan #{} ({}) \
         senilai {} untuk {} (ID {}).\nCatatan: {note}",
        row.id,
        row.invoice_no,
        rupiah(row.total),
        row.customer,
        row.user_id
    )
}

/// Today's date in the time zone, for the list header (`21/11/2026`).
pub fn today_label(now: i64, tz: &Tz) -> String {
    local_today(now, tz).format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::admin::ui::Press;
    use crate::bot::admin::ui::testing::round_trips;
    use autoorder_schema::queries::admin::orders::{OrderLine, SnkAnswerRef};

    const TZ: Tz = chrono_tz::Asia::Jakarta;
    const NOW: i64 = 1_795_230_000_000;

    fn row(id: i64, status: OrderStatus) -> OrderRow {
        OrderRow {
            id,
            invoice_no: format!("INV-20261121-{id:06}"),
            user_id: 555,
            customer: "Budi (@budi)".into(),
            status,
            payment_method: "qris".into(),
            total: 45_000,
            created_at: NOW,
            paid_at: status.is_paid().then_some(NOW + 60_000),
        }
    }

    fn detail(status: OrderStatus) -> OrderDetail {
        OrderDetail {
            row: row(7, status),
            subtotal: 50_000,
            discount: 5_000,
            fee: 0,
            voucher_code: Some("HEMAT".into()),
            note: None,
            expires_at: Some(NOW + 900_000),
            delivered_at: None,
            closed_at: None,
            lines: vec![OrderLine {
                product_id: 3,
                product_name: "Netflix 1 Bulan".into(),
                unit_price: 25_000,
                quantity: 2,
                assigned: if status.is_paid() { 2 } else { 0 },
            }],
            payments: vec![PaymentLine {
                id: 1,
                gateway_order_id: "INV-20261121-000007-1".into(),
                method: "qris".into(),
                amount: 45_000,
                fee: Some(625),
                total_payment: Some(45_625),
                status: if status.is_paid() {
                    "completed"
                } else {
                    "pending"
                }
                .into(),
                attempt: 1,
                created_at: NOW,
                expires_at: Some(NOW + 900_000),
                completed_at: status.is_paid().then_some(NOW + 60_000),
            }],
            snk_answers: vec![SnkAnswerRef {
                product_id: 3,
                product_name: "Netflix 1 Bulan".into(),
                answered_at: NOW + 120_000,
                answer_enc: vec![1, 2, 3],
            }],
        }
    }

    #[test]
    fn every_action_round_trips_within_the_limit() {
        let widest = OrderList {
            status: Some(OrderStatus::Expired),
            window: Window::Week,
            page: u32::MAX,
        };
        for action in [
            OrderAction::List(widest),
            OrderAction::List(OrderList::default()),
            OrderAction::Detail {
                order_id: i64::MAX,
                back: widest,
            },
            OrderAction::MarkPaid { order_id: i64::MAX },
            OrderAction::Cancel { order_id: 1 },
            OrderAction::ConfirmCancel { order_id: 2 },
            OrderAction::Resend { order_id: 3 },
            OrderAction::SnkAnswer {
                order_id: i64::MAX,
                product_id: i64::MAX,
            },
        ] {
            round_trips(&action);
        }
        for forged in [
            "",
            "l",
            "l:?:a:0",
            "d:-1:-:a:0",
            "m:1:2",
            "s:1",
            "zz:1",
            "r:1x",
        ] {
            assert_eq!(OrderAction::decode(forged), None, "{forged}");
        }
    }

    #[test]
    fn the_list_shows_rows_filters_and_pages() {
        let page = Page {
            items: vec![row(9, OrderStatus::Pending), row(8, OrderStatus::Paid)],
            total: 20,
        };
        let list = OrderList {
            status: Some(OrderStatus::Pending),
            window: Window::Today,
            page: 0,
        };
        let screen = list_screen(&page, list, &TZ);
        assert!(
            screen
                .text
                .contains("⏳ Menunggu bayar, hari ini (20 pesanan)"),
            "{}",
            screen.text
        );
        assert!(
            screen.text.contains("#9 · ⏳ · Rp 45.000 · Budi (@budi)"),
            "{}",
            screen.text
        );
        assert!(
            screen.text.contains("21/11/2026 10:00 WIB"),
            "{}",
            screen.text
        );
        assert_eq!(
            screen.rows[0][0].press,
            Press::Do(OrderAction::Detail {
                order_id: 9,
                back: list
            })
        );
        assert!(
            screen.rows.iter().flatten().any(|b| b.text == "• ⏳"),
            "the active filter is marked"
        );
        assert!(screen.rows.iter().flatten().any(|b| b.text == "• Hari ini"));
        assert!(
            screen.rows.iter().flatten().any(|b| b.text == "1/3"),
            "pager"
        );
        for action in screen.actions() {
            round_trips(action);
        }
        let empty = list_screen(
            &Page {
                items: vec![],
                total: 0,
            },
            OrderList::default(),
            &TZ,
        );
        assert!(empty.text.contains("Belum ada pesanan"));
    }

    #[test]
    fn the_detail_shows_items_payments_snk_and_the_actions_of_its_status() {
        let pending = detail_screen(&detail(OrderStatus::Pending), OrderList::default(), &TZ);
        assert!(
            pending.text.contains("Netflix 1 Bulan × 2 @ Rp 25.000"),
            "{}",
            pending.text
        );
        assert!(pending.text.contains("Diskon (HEMAT): -Rp 5.000"));
        assert!(
            pending
                .text
                .contains("QRIS INV-20261121-000007-1 — Rp 45.625 (menunggu), biaya Rp 625"),
            "{}",
            pending.text
        );
        let actions: Vec<&OrderAction> = pending.actions().collect();
        assert!(actions.contains(&&OrderAction::MarkPaid { order_id: 7 }));
        assert!(actions.contains(&&OrderAction::Cancel { order_id: 7 }));
        assert!(!actions.contains(&&OrderAction::Resend { order_id: 7 }));

        let paid = detail_screen(&detail(OrderStatus::Paid), OrderList::default(), &TZ);
        assert!(paid.text.contains("(2 item diserahkan)"));
        assert!(paid.text.contains("Terkirim: belum"));
        assert!(
            paid.text
                .contains("Jawaban SNK:\n• Netflix 1 Bulan — 21/11/2026 10:02 WIB"),
            "{}",
            paid.text
        );
        let actions: Vec<&OrderAction> = paid.actions().collect();
        assert!(actions.contains(&&OrderAction::Resend { order_id: 7 }));
        assert!(actions.contains(&&OrderAction::SnkAnswer {
            order_id: 7,
            product_id: 3
        }));
        assert!(
            !actions.contains(&&OrderAction::MarkPaid { order_id: 7 }),
            "a paid order cannot be marked paid"
        );

        let expired = detail_screen(&detail(OrderStatus::Expired), OrderList::default(), &TZ);
        assert!(!expired.actions().any(|a| matches!(
            a,
            OrderAction::MarkPaid { .. } | OrderAction::Resend { .. } | OrderAction::Cancel { .. }
        )));
    }

    #[test]
    fn the_manual_payment_note_is_required() {
        assert_eq!(parse_note("   "), Err(NoteProblem::Empty));
        assert_eq!(
            parse_note(&"x".repeat(MAX_NOTE + 1)),
            Err(NoteProblem::TooLong)
        );
        assert_eq!(
            parse_note("  transfer BCA  ").as_deref(),
            Ok("transfer BCA")
        );
        let r = row(7, OrderStatus::Pending);
        assert!(mark_paid_confirm(&r, "transfer BCA").contains("Catatan: transfer BCA"));
        let owners = owner_manual_payment("Sari", 99, &r, "transfer BCA");
        assert!(
            owners.contains("Sari (ID 99)")
                && owners.contains("#7")
                && owners.contains("transfer BCA"),
            "{owners}"
        );
    }

    #[test]
    fn windows_start_at_local_midnight() {
        assert_eq!(Window::Any.since(NOW, &TZ), None);
        let today = Window::Today.since(NOW, &TZ).unwrap();
        assert_eq!(today, 1_795_194_000_000, "2026-11-21 00:00 WIB");
        assert_eq!(
            Window::Week.since(NOW, &TZ).unwrap(),
            today - 6 * 86_400_000
        );
        assert_eq!(today_label(NOW, &TZ), "21/11/2026");
    }
}
