//! *User* section: the paged customer list, search by id / @username / name, the profile card,
//! a customer's order history, block / unblock with a reason, and the balance adjustment's
//! prompts (the amount is parsed here; the ledger change is the shop's transaction). Pure:
//! texts, keyboards, typed actions and input parsers.

use chrono_tz::Tz;

use autoorder_schema::queries::admin::listing::Page;
use autoorder_schema::queries::admin::orders::OrderRow;
use autoorder_schema::queries::admin::users::{
    BlockRefused, MAX_REASON, UserCard, UserFilter, UserRow,
};

use super::orders::{method_label, status_label};
use super::ui::{self, AreaAction, Btn, Fields, Screen};
use crate::format::{local_time, rupiah};

/// Largest single balance adjustment, in Rupiah (a typo guard: ten million).
pub const MAX_ADJUSTMENT: i64 = 10_000_000;

/// What the User section's buttons do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAction {
    /// A page of the customer list.
    List { blocked_only: bool, page: u32 },
    /// *🔎 Cari*: the next text is the search (a wizard step).
    Search,
    /// Another page of the current search's results (the text is in the wizard state).
    SearchPage { page: u32 },
    /// A customer's profile card.
    Card { user_id: i64 },
    /// A page of a customer's orders.
    Orders { user_id: i64, page: u32 },
    /// *🚫 Blokir*: the next text is the reason.
    Block { user_id: i64 },
    /// *✅ Buka Blokir*: the next text is the reason.
    Unblock { user_id: i64 },
    /// *💰 Ubah Saldo*: the next text is the amount (+/−), then the reason.
    AdjustBalance { user_id: i64 },
}

impl UserAction {
    /// The storage filter of a list action.
    pub fn filter(blocked_only: bool) -> UserFilter {
        if blocked_only {
            UserFilter::Blocked
        } else {
            UserFilter::All
        }
    }
}

impl AreaAction for UserAction {
    fn encode(&self) -> String {
        match self {
            UserAction::List { blocked_only, page } => {
                format!("l:{}:{page}", u8::from(*blocked_only))
            }
            UserAction::Search => "q".into(),
            UserAction::SearchPage { page } => format!("qp:{page}"),
            UserAction::Card { user_id } => format!("u:{user_id}"),
            UserAction::Orders { user_id, page } => format!("o:{user_id}:{page}"),
            UserAction::Block { user_id } => format!("b:{user_id}"),
            UserAction::Unblock { user_id } => format!("ub:{user_id}"),
            UserAction::AdjustBalance { user_id } => format!("s:{user_id}"),
        }
    }

    fn decode(text: &str) -> Option<UserAction> {
        let mut f = Fields::of(text);
        let action = match f.text()? {
            "l" => UserAction::List {
                blocked_only: match f.text()? {
                    "0" => false,
                    "1" => true,
                    _ => return None,
                },
                page: f.num()?,
            },
            "q" => UserAction::Search,
            "qp" => UserAction::SearchPage { page: f.num()? },
            "u" => UserAction::Card { user_id: f.num()? },
            "o" => UserAction::Orders {
                user_id: f.num()?,
                page: f.num()?,
            },
            "b" => UserAction::Block { user_id: f.num()? },
            "ub" => UserAction::Unblock { user_id: f.num()? },
            "s" => UserAction::AdjustBalance { user_id: f.num()? },
            _ => return None,
        };
        f.done(action)
    }
}

fn flags(u: &UserRow) -> String {
    let mut out = String::new();
    if u.is_blocked {
        out.push_str(" 🚫");
    }
    if u.unreachable {
        out.push_str(" 📵");
    }
    out
}

fn user_rows(users: &[UserRow], tz: &Tz, text: &mut String) -> Vec<Vec<Btn<UserAction>>> {
    let mut rows = Vec::new();
    for u in users {
        text.push_str(&format!(
            "\n• {}{} — ID {} · saldo {} · terakhir aktif {}",
            ui::clip(&u.name, 32),
            flags(u),
            u.id,
            rupiah(u.balance),
            local_time(u.last_seen_at, tz)
        ));
        rows.push(vec![Btn::act(
            format!("{}{} · {}", ui::clip(&u.name, 22), flags(u), u.id),
            UserAction::Card { user_id: u.id },
        )]);
    }
    rows
}

/// The customer list screen (everyone, or only the blocked).
pub fn list_screen(
    page: &Page<UserRow>,
    blocked_only: bool,
    at_page: u32,
    tz: &Tz,
) -> Screen<UserAction> {
    let mut text = if blocked_only {
        format!("🚫 Pelanggan diblokir ({})\n", page.total)
    } else {
        format!("👥 Pelanggan ({}), terbaru dulu\n", page.total)
    };
    if page.items.is_empty() {
        text.push_str("\nTidak ada pelanggan di daftar ini.");
    }
    let mut rows = user_rows(&page.items, tz, &mut text);
    rows.push(ui::pager(at_page, page.total, |page| UserAction::List {
        blocked_only,
        page,
    }));
    rows.push(vec![
        Btn::act("🔎 Cari", UserAction::Search),
        if blocked_only {
            Btn::act(
                "👥 Semua",
                UserAction::List {
                    blocked_only: false,
                    page: 0,
                },
            )
        } else {
            Btn::act(
                "🚫 Diblokir",
                UserAction::List {
                    blocked_only: true,
                    page: 0,
                },
            )
        },
    ]);
    rows.push(vec![Btn::admin_menu()]);
    rows.retain(|r| !r.is_empty());
    Screen { text, rows }
}

/// The search prompt.
pub const SEARCH_PROMPT: &str =
    "🔎 Kirim ID Telegram (angka), @username, atau sebagian nama pelanggan.";

/// The search results screen.
pub fn search_screen(
    query_text: &str,
    page: &Page<UserRow>,
    at_page: u32,
    tz: &Tz,
) -> Screen<UserAction> {
    let mut text = format!(
        "🔎 Hasil pencarian \"{}\": {} pelanggan\n",
        ui::clip(query_text, 40),
        page.total
    );
    if page.items.is_empty() {
        text.push_str("\nTidak ditemukan. Coba ID, @username, atau nama lain.");
    }
    let mut rows = user_rows(&page.items, tz, &mut text);
    rows.push(ui::pager(at_page, page.total, |page| {
        UserAction::SearchPage { page }
    }));
    rows.push(vec![
        Btn::act("🔎 Cari lagi", UserAction::Search),
        Btn::act(
            "👥 Semua",
            UserAction::List {
                blocked_only: false,
                page: 0,
            },
        ),
    ]);
    rows.push(vec![Btn::admin_menu()]);
    rows.retain(|r| !r.is_empty());
    Screen { text, rows }
}

/// The profile card. `protected`: a seller or owner (no block button).
pub fn card_screen(card: &UserCard, protected: bool, tz: &Tz) -> Screen<UserAction> {
    let u = &card.row;
    let mut text = format!("👤 {}\nID: {}", u.name, u.id);
    if let Some(username) = &u.username {
        text.push_str(&format!("\nUsername: @{username}"));
    }
    text.push_str(&format!(
        "\nSaldo: {}\nPesanan: {} ({} dibayar)\nTotal belanja: {}\nBergabung: {}\nTerakhir aktif: {}",
        rupiah(u.balance),
        card.orders,
        card.paid_orders,
        rupiah(card.total_spent),
        local_time(u.created_at, tz),
        local_time(u.last_seen_at, tz),
    ));
    if protected {
        text.push_str("\nPeran: penjual/owner (tidak bisa diblokir)");
    }
    if u.is_blocked {
        text.push_str("\nStatus: 🚫 diblokir");
        if let Some(at) = card.blocked_at {
            text.push_str(&format!(" sejak {}", local_time(at, tz)));
        }
        if let Some(reason) = &card.blocked_reason {
            text.push_str(&format!("\nAlasan: {reason}"));
        }
    }
    if let Some(at) = card.unreachable_at {
        text.push_str(&format!(
            "\n📵 Tidak bisa dihubungi sejak {} (memblokir bot atau akun nonaktif)",
            local_time(at, tz)
        ));
    }
    let mut rows = vec![vec![
        Btn::act(
            "🧾 Riwayat Pesanan",
            UserAction::Orders {
                user_id: u.id,
                page: 0,
            },
        ),
        Btn::act("💰 Ubah Saldo", UserAction::AdjustBalance { user_id: u.id }),
    ]];
    if u.is_blocked {
        rows.push(vec![Btn::act(
            "✅ Buka Blokir",
            UserAction::Unblock { user_id: u.id },
        )]);
    } else if !protected {
        rows.push(vec![Btn::act(
            "🚫 Blokir",
            UserAction::Block { user_id: u.id },
        )]);
    }
    rows.push(vec![
        Btn::act(
            ui::BTN_BACK,
            UserAction::List {
                blocked_only: false,
                page: 0,
            },
        ),
        Btn::admin_menu(),
    ]);
    Screen { text, rows }
}

/// A customer's order history (rows come from the order list with `user_id` set).
pub fn orders_screen(
    name: &str,
    user_id: i64,
    page: &Page<OrderRow>,
    at_page: u32,
    tz: &Tz,
) -> Screen<UserAction> {
    let mut text = format!(
        "🧾 Riwayat pesanan {} ({})\n",
        ui::clip(name, 32),
        page.total
    );
    if page.items.is_empty() {
        text.push_str("\nBelum ada pesanan.");
    }
    for o in &page.items {
        text.push_str(&format!(
            "\n#{} · {} · {} · {}\n   {} · {}",
            o.id,
            status_label(o.status),
            rupiah(o.total),
            method_label(&o.payment_method),
            o.invoice_no,
            local_time(o.created_at, tz)
        ));
    }
    let mut rows = vec![ui::pager(at_page, page.total, |page| UserAction::Orders {
        user_id,
        page,
    })];
    rows.push(vec![
        Btn::act(ui::BTN_BACK, UserAction::Card { user_id }),
        Btn::admin_menu(),
    ]);
    rows.retain(|r| !r.is_empty());
    Screen { text, rows }
}

/// The reason prompt of a block or unblock.
pub fn reason_prompt(name: &str, block: bool) -> String {
    if block {
        format!(
            "🚫 Blokir {name}? Kirim alasannya (wajib, paling banyak {MAX_REASON} karakter). \
             Pelanggan yang diblokir hanya menerima satu pesan penolakan singkat."
        )
    } else {
        format!(
            "✅ Buka blokir {name}? Kirim alasannya (wajib, paling banyak {MAX_REASON} karakter)."
        )
    }
}

/// Why a block or unblock was refused, as the seller reads it.
pub fn block_refused(refused: BlockRefused) -> String {
    match refused {
        BlockRefused::NotFound(id) => format!("Pelanggan {id} tidak ditemukan."),
        BlockRefused::Protected => "Penjual dan owner tidak bisa diblokir.".into(),
        BlockRefused::AlreadyBlocked => "Pelanggan ini sudah diblokir.".into(),
        BlockRefused::NotBlocked => "Pelanggan ini tidak sedang diblokir.".into(),
        BlockRefused::BadReason => format!("Alasan wajib diisi, 1–{MAX_REASON} karakter."),
    }
}

/// Why a balance adjustment amount was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountProblem {
    #[error("Tulis jumlah dengan tanda + atau −, misalnya +50.000 atau -20000.")]
    NoSign,
    #[error("Jumlah tidak terbaca. Contoh: +50.000, -20000, +Rp 15.000.")]
    NotANumber,
    #[error("Jumlah tidak boleh nol.")]
    Zero,
    #[error("Jumlah terlalu besar: paling banyak Rp 10.000.000 sekali ubah.")]
    TooLarge,
}

/// Reads a balance adjustment: a required sign (`+`/`-`/`−`), then Rupiah written as `50000`,
/// `50.000` or `Rp 50.000`. The sign is required so a credit is never a debit by a slip.
pub fn parse_adjustment(text: &str) -> Result<i64, AmountProblem> {
    let text = text.trim();
    let (sign, rest) = if let Some(rest) = text.strip_prefix('+') {
        (1, rest)
    } else if let Some(rest) = text.strip_prefix('-').or_else(|| text.strip_prefix('−')) {
        (-1, rest)
    } else {
        return Err(AmountProblem::NoSign);
    };
    let rest = rest.trim();
    let rest = rest
        .strip_prefix("Rp")
        .or_else(|| rest.strip_prefix("rp"))
        .or_else(|| rest.strip_prefix("RP"))
        .unwrap_or(rest)
        .trim();
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(AmountProblem::NotANumber);
    }
    // Dots group thousands: each group after the first has exactly three digits.
    let groups: Vec<&str> = rest.split('.').collect();
    if groups.len() > 1
        && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3))
    {
        return Err(AmountProblem::NotANumber);
    }
    let digits: String = groups.concat();
    let value: i64 = digits.parse().map_err(|_| AmountProblem::TooLarge)?;
    if value == 0 {
        return Err(AmountProblem::Zero);
    }
    if value > MAX_ADJUSTMENT {
        return Err(AmountProblem::TooLarge);
    }
    Ok(sign * value)
}

/// The prompt for the amount of a balance adjustment.
pub fn adjustment_prompt(name: &str, balance: i64) -> String {
    format!(
        "💰 Ubah saldo {name} (saldo sekarang {}).\nKirim jumlahnya dengan tanda: +50.000 untuk \
         menambah, -20.000 untuk mengurangi.",
        rupiah(balance)
    )
}

/// The prompt for the mandatory reason of a balance adjustment.
pub fn adjustment_reason_prompt(delta: i64) -> String {
    format!(
        "Alasan perubahan saldo {}? (wajib, paling banyak {MAX_REASON} karakter, tercatat di \
         buku saldo)",
        signed(delta)
    )
}

/// The confirmation before a balance adjustment is written.
pub fn adjustment_confirm(name: &str, balance: i64, delta: i64, reason: &str) -> String {
    format!(
        "Konfirmasi perubahan saldo {name}:\n{} → {} ({})\nAlasan: {reason}\n\nLanjutkan?",
        rupiah(balance),
        rupiah(balance + delta),
        signed(delta)
    )
}

/// What the customer is told of a credit.
pub fn customer_credited(amount: i64, balance: i64) -> String {
    format!(
        "💰 Saldo Anda ditambah {} oleh penjual. Saldo sekarang: {}.",
        rupiah(amount),
        rupiah(balance)
    )
}

/// `+Rp 50.000` / `-Rp 20.000`.
pub fn signed(delta: i64) -> String {
    if delta >= 0 {
        format!("+{}", rupiah(delta))
    } else {
        rupiah(delta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::admin::ui::testing::round_trips;
    use autoorder_schema::queries::admin::orders::OrderStatus;

    const TZ: Tz = chrono_tz::Asia::Jakarta;
    const NOW: i64 = 1_795_230_000_000;

    fn user(id: i64, blocked: bool) -> UserRow {
        UserRow {
            id,
            name: "Budi (@budi)".into(),
            username: Some("budi".into()),
            balance: 12_500,
            is_blocked: blocked,
            unreachable: false,
            created_at: NOW - 86_400_000,
            last_seen_at: NOW,
        }
    }

    fn card(blocked: bool) -> UserCard {
        UserCard {
            row: user(555, blocked),
            first_name: "Budi".into(),
            display_name: None,
            orders: 4,
            paid_orders: 3,
            total_spent: 120_000,
            blocked_reason: blocked.then(|| "spam".to_string()),
            blocked_at: blocked.then_some(NOW),
            blocked_by: blocked.then_some(99),
            unreachable_at: None,
        }
    }

    #[test]
    fn every_action_round_trips_within_the_limit() {
        for action in [
            UserAction::List {
                blocked_only: true,
                page: u32::MAX,
            },
            UserAction::List {
                blocked_only: false,
                page: 0,
            },
            UserAction::Search,
            UserAction::SearchPage { page: u32::MAX },
            UserAction::Card { user_id: i64::MAX },
            UserAction::Orders {
                user_id: i64::MAX,
                page: u32::MAX,
            },
            UserAction::Block { user_id: 1 },
            UserAction::Unblock { user_id: 2 },
            UserAction::AdjustBalance { user_id: 3 },
        ] {
            round_trips(&action);
        }
        for forged in [
            "", "l:2:0", "l:1", "u:", "u:x", "o:1", "q:1", "b:-5", "ub:1:1",
        ] {
            assert_eq!(UserAction::decode(forged), None, "{forged}");
        }
    }

    #[test]
    fn the_card_shows_the_profile_and_the_right_buttons() {
        let open = card_screen(&card(false), false, &TZ);
        for expected in [
            "ID: 555",
            "Username: @budi",
            "Saldo: Rp 12.500",
            "Pesanan: 4 (3 dibayar)",
            "Total belanja: Rp 120.000",
            "Terakhir aktif: 21/11/2026 10:00 WIB",
        ] {
            assert!(open.text.contains(expected), "{expected} in {}", open.text);
        }
        assert!(
            open.actions()
                .any(|a| *a == UserAction::Block { user_id: 555 })
        );
        let seller = card_screen(&card(false), true, &TZ);
        assert!(
            !seller
                .actions()
                .any(|a| matches!(a, UserAction::Block { .. })),
            "sellers have no block button"
        );
        let blocked = card_screen(&card(true), false, &TZ);
        assert!(
            blocked
                .text
                .contains("🚫 diblokir sejak 21/11/2026 10:00 WIB\nAlasan: spam"),
            "{}",
            blocked.text
        );
        assert!(
            blocked
                .actions()
                .any(|a| *a == UserAction::Unblock { user_id: 555 })
        );
        for action in open.actions().chain(blocked.actions()) {
            round_trips(action);
        }
    }

    #[test]
    fn lists_search_and_history_screens() {
        let page = Page {
            items: vec![user(1, true), user(2, false)],
            total: 2,
        };
        let list = list_screen(&page, false, 0, &TZ);
        assert!(
            list.text.contains("Budi (@budi) 🚫 — ID 1"),
            "{}",
            list.text
        );
        assert!(list.actions().any(|a| *a == UserAction::Search));
        let found = search_screen("bud", &page, 0, &TZ);
        assert!(found.text.contains("\"bud\": 2 pelanggan"));
        let none = search_screen(
            "zzz",
            &Page {
                items: vec![],
                total: 0,
            },
            0,
            &TZ,
        );
        assert!(none.text.contains("Tidak ditemukan"));
        let orders = Page {
            items: vec![OrderRow {
                id: 7,
                invoice_no: "INV-1".into(),
                user_id: 1,
                customer: "Budi".into(),
                status: OrderStatus::Delivered,
                payment_method: "balance".into(),
                total: 30_000,
                created_at: NOW,
                paid_at: Some(NOW),
            }],
            total: 9,
        };
        let history = orders_screen("Budi", 1, &orders, 0, &TZ);
        assert!(
            history
                .text
                .contains("#7 · 📦 Terkirim · Rp 30.000 · Saldo"),
            "{}",
            history.text
        );
        assert!(history.actions().any(|a| *a
            == UserAction::Orders {
                user_id: 1,
                page: 1
            }));
    }

    #[test]
    fn adjustments_need_a_sign_and_a_sane_amount() {
        assert_eq!(parse_adjustment("+50000"), Ok(50_000));
        assert_eq!(parse_adjustment("+50.000"), Ok(50_000));
        assert_eq!(parse_adjustment("+ Rp 1.250.000"), Ok(1_250_000));
        assert_eq!(parse_adjustment("-20.000"), Ok(-20_000));
        assert_eq!(parse_adjustment("−5000"), Ok(-5_000));
        assert_eq!(parse_adjustment("50000"), Err(AmountProblem::NoSign));
        assert_eq!(parse_adjustment("+"), Err(AmountProblem::NotANumber));
        assert_eq!(parse_adjustment("+5,000"), Err(AmountProblem::NotANumber));
        assert_eq!(parse_adjustment("+50.00"), Err(AmountProblem::NotANumber));
        assert_eq!(parse_adjustment("+.500"), Err(AmountProblem::NotANumber));
        assert_eq!(parse_adjustment("+0"), Err(AmountProblem::Zero));
        assert_eq!(
            parse_adjustment("+10.000.001"),
            Err(AmountProblem::TooLarge)
        );
        assert_eq!(
            parse_adjustment("+99999999999999999999999"),
            Err(AmountProblem::TooLarge)
        );
        assert!(
            adjustment_confirm("Budi", 10_000, -2_500, "koreksi")
                .contains("Rp 10.000 → Rp 7.500 (-Rp 2.500)")
        );
        assert_eq!(signed(5_000), "+Rp 5.000");
        assert!(customer_credited(5_000, 17_500).contains("ditambah Rp 5.000"));
    }

    #[test]
    fn refusals_read_clearly() {
        assert_eq!(
            block_refused(BlockRefused::Protected),
            "Penjual dan owner tidak bisa diblokir."
        );
        assert!(reason_prompt("Budi", true).contains("wajib"));
    }
}
