//! Voucher texts: the list, a card, the create wizard and the switch.

use autoorder_schema::queries::admin::vouchers::{VoucherKind, VoucherStatus};

use super::step;
use crate::format::{local_time, rupiah};

pub const BTN_ADD_VOUCHER: &str = "➕ Buat Voucher";
pub const BTN_DEACTIVATE: &str = "⏸️ Nonaktifkan";
pub const BTN_REACTIVATE: &str = "▶️ Aktifkan lagi";
pub const BTN_PERCENT: &str = "％ Persen";
pub const BTN_FLAT: &str = "💵 Nominal (Rp)";
pub const BTN_NO_LIMIT: &str = "♾️ Tanpa batas";
pub const BTN_FROM_NOW: &str = "▶️ Mulai sekarang";

/// A voucher's value: `10%` or `Rp 5.000`.
pub fn voucher_value(kind: VoucherKind, value: i64) -> String {
    match kind {
        VoucherKind::Percent => format!("{value}%"),
        VoucherKind::Flat => rupiah(value),
    }
}

/// A voucher's status word.
pub fn voucher_status(status: VoucherStatus) -> &'static str {
    match status {
        VoucherStatus::Active => "✅ aktif",
        VoucherStatus::Inactive => "⏸️ nonaktif",
        VoucherStatus::Scheduled => "🕒 belum mulai",
        VoucherStatus::Expired => "⌛ kedaluwarsa",
        VoucherStatus::UsedUp => "🔚 habis",
    }
}

/// Uses: `3/10` or `3/∞`.
pub fn voucher_uses(used: i32, max: Option<i32>) -> String {
    match max {
        Some(m) => format!("{used}/{m}"),
        None => format!("{used}/∞"),
    }
}

/// The voucher list heading.
pub fn vouchers(total: i64) -> String {
    if total == 0 {
        "🎟️ Voucher\n\nBelum ada voucher.".into()
    } else {
        format!("🎟️ Voucher ({total}) — terpakai/batas dan status:")
    }
}

/// A voucher in the list.
pub fn voucher_label(code: &str, value: &str, uses: &str, status: VoucherStatus) -> String {
    format!("{code} · {value} · {uses} · {}", voucher_status(status))
}

fn window(from: Option<i64>, until: Option<i64>, tz: &chrono_tz::Tz) -> String {
    let from = from.map_or("sekarang".into(), |f| local_time(f, tz));
    let until = until.map_or("tanpa batas".into(), |u| local_time(u, tz));
    format!("{from} s/d {until}")
}

/// Facts of a voucher card.
pub struct VoucherFacts<'a> {
    pub code: &'a str,
    pub kind: VoucherKind,
    pub value: i64,
    pub used: i32,
    pub max_uses: Option<i32>,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub status: VoucherStatus,
}

/// A voucher's card.
pub fn voucher_card(f: &VoucherFacts<'_>, tz: &chrono_tz::Tz) -> String {
    format!(
        "🎟️ {code}\nPotongan: {value}\nTerpakai: {uses}\nBerlaku: {window}\nStatus: {status}",
        code = f.code,
        value = voucher_value(f.kind, f.value),
        uses = voucher_uses(f.used, f.max_uses),
        window = window(f.valid_from, f.valid_until, tz),
        status = voucher_status(f.status),
    )
}

/// Create-voucher prompts (6 steps and the confirmation).
pub fn voucher_code_prompt() -> String {
    format!(
        "{}➕ Buat Voucher\nKirim KODE voucher: 2–32 huruf A–Z, angka, _ atau - (misalnya \
         HEMAT10). Pelanggan mengetik kode ini saat checkout.",
        step(1, 7)
    )
}
pub fn voucher_kind_prompt(code: &str) -> String {
    format!(
        "{}Voucher {code}: potongan persen atau nominal?",
        step(2, 7)
    )
}
pub fn voucher_value_prompt(kind: VoucherKind) -> String {
    let hint = match kind {
        VoucherKind::Percent => "Kirim PERSEN potongan, 1–100 (misalnya 10 atau 10%).",
        VoucherKind::Flat => "Kirim NOMINAL potongan, misalnya 5000, 5.000 atau Rp 5.000.",
    };
    format!("{}{hint}", step(3, 7))
}
pub fn voucher_max_uses_prompt() -> String {
    format!(
        "{}Kirim BATAS PEMAKAIAN (berapa kali voucher bisa dipakai, misalnya 100), atau tekan \
         ♾️ Tanpa batas.",
        step(4, 7)
    )
}
pub fn voucher_from_prompt() -> String {
    format!(
        "{}Kirim tanggal MULAI berlaku (HH/BB/TTTT, misalnya 01/12/2026, boleh dengan jam \
         01/12/2026 08:00), atau tekan ▶️ Mulai sekarang.",
        step(5, 7)
    )
}
pub fn voucher_until_prompt() -> String {
    format!(
        "{}Kirim tanggal BERAKHIR (HH/BB/TTTT; berlaku sampai akhir hari itu), atau tekan \
         ♾️ Tanpa batas.",
        step(6, 7)
    )
}

/// The create-voucher confirmation.
pub fn voucher_confirm(f: &VoucherFacts<'_>, tz: &chrono_tz::Tz) -> String {
    format!(
        "{}Periksa dulu sebelum disimpan:\n\nKode: {code}\nPotongan: {value}\nBatas pemakaian: \
         {max}\nBerlaku: {window}\n\nSimpan voucher ini? Voucher langsung bisa dipakai pelanggan.",
        step(7, 7),
        code = f.code,
        value = voucher_value(f.kind, f.value),
        max = f.max_uses.map_or("tanpa batas".into(), |m| m.to_string()),
        window = window(f.valid_from, f.valid_until, tz),
    )
}
pub fn voucher_created(code: &str) -> String {
    format!("✅ Voucher {code} dibuat dan langsung bisa dipakai.")
}
pub fn voucher_switch_confirm(code: &str, active: bool) -> String {
    if active {
        format!("▶️ Aktifkan lagi voucher {code}?")
    } else {
        format!(
            "⏸️ Nonaktifkan voucher {code}? Pelanggan tidak bisa memakainya lagi; pesanan yang \
             sudah memakai tetap mendapat potongannya."
        )
    }
}
pub fn voucher_switched(code: &str, active: bool) -> String {
    if active {
        format!("▶️ Voucher {code} aktif lagi.")
    } else {
        format!("⏸️ Voucher {code} dinonaktifkan.")
    }
}
