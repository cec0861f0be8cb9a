//! Every text of the admin menu (part 1), Indonesian, plain (no parse mode, so names and codes
//! sellers type need no escaping). The screens pass facts; these functions word them. Customer
//! texts stay in `crate::bot::texts`.
//!
//! Layout: this module holds what every area shares (menu, framework messages, refusals) and
//! the owner notices; one private submodule per area — `products` (with categories), `stock`,
//! `snk`, `vouchers`, `respon` — re-exported here, so callers write `texts::…`.

mod products;
mod respon;
mod snk;
mod stock;
mod vouchers;

pub use products::*;
pub use respon::*;
pub use snk::*;
pub use stock::*;
pub use vouchers::*;

use autoorder_schema::queries::admin::summary::AdminSummary;
use autoorder_schema::queries::admin::{AdminRefusal, InvalidField, LastWriter};

use super::callback::Section;
use super::wizard::Awaits;
use crate::format::local_time;

/// The admin menu's heading with the summary line.
pub fn menu(store_name: &str, summary: &AdminSummary, buyer_mode: bool) -> String {
    let mode = if buyer_mode {
        "\n🛍️ Mode Pembeli sedang aktif."
    } else {
        ""
    };
    format!(
        "⚙️ Menu Admin — {store_name}\n\n👥 {users} pengguna · 🧾 {orders} pesanan hari ini · \
         ⚠️ {low} produk stok menipis{mode}\n\nPilih menu:",
        users = summary.users,
        orders = summary.orders_today,
        low = summary.low_stock,
    )
}

/// A section's button label.
pub fn section_label(section: Section) -> &'static str {
    match section {
        Section::Products => "📦 Produk",
        Section::Stock => "📥 Stok",
        Section::Snk => "📋 SNK",
        Section::Vouchers => "🎟️ Voucher",
        Section::Orders => "🧾 Order",
        Section::Users => "👥 User",
        Section::Broadcast => "📢 Broadcast",
        Section::Respon => "💬 Respon Bot",
        Section::Reports => "📊 Laporan",
    }
}

/// The Mode Pembeli button.
pub fn buyer_mode_label(on: bool) -> &'static str {
    if on {
        "🛍️ Mode Pembeli: NYALA"
    } else {
        "🛍️ Mode Pembeli: MATI"
    }
}

/// Toast for a section that part 2 of the admin menu brings.
pub const SECTION_SOON: &str = "Menu ini hadir di pembaruan berikutnya.";
/// Answer to anyone but a seller pressing an admin button.
pub const NOT_ALLOWED: &str = "⛔ Tombol ini hanya untuk admin toko.";
/// Toast for a button of an earlier wizard, or of a row that is gone.
pub const STALE: &str = "Tombol ini sudah tidak berlaku. Buka menu lagi dengan /admin.";
/// The seller's wizard lapsed (30 minutes) before this step.
pub const EXPIRED: &str =
    "⌛ Sesi sebelumnya sudah berakhir (tidak ada langkah selama 30 menit). Silakan mulai lagi.";
/// After *Batal*.
pub const CANCELLED: &str = "❌ Dibatalkan. Tidak ada yang diubah.";
/// Mode Pembeli switched on.
pub const BUYER_MODE_ON: &str = "🛍️ Mode Pembeli aktif: Anda melihat toko persis seperti pelanggan \
     (tombol Admin disembunyikan). Ketik /admin untuk kembali ke mode admin.";
/// Mode Pembeli switched off.
pub const BUYER_MODE_OFF: &str = "⚙️ Mode admin aktif lagi.";

/// Button labels shared by every area.
pub const BTN_MENU: &str = "🏠 Menu Admin";
pub const BTN_BACK: &str = "⬅️ Kembali";
pub const BTN_CANCEL: &str = "❌ Batal";
pub const BTN_SAVE: &str = "✅ Simpan";
pub const BTN_YES: &str = "✅ Ya, lanjutkan";
pub const BTN_SKIP: &str = "⏭️ Lewati";
pub const BTN_PREV: &str = "⬅️";
pub const BTN_NEXT: &str = "➡️";

/// The page indicator between previous and next.
pub fn page_label(page: u32, pages: u32) -> String {
    format!("{}/{}", page + 1, pages.max(1))
}

/// A message that is not what the step takes.
pub fn wrong_input(awaits: Awaits) -> &'static str {
    match awaits {
        Awaits::Buttons => "Pilih dengan tombol pada pesan di atas, atau tekan ❌ Batal.",
        Awaits::Text => "Langkah ini menunggu teks. Kirim teks, atau tekan ❌ Batal.",
        Awaits::TextOrPhoto => {
            "Langkah ini menunggu teks, atau foto dengan caption. Kirim salah satunya, atau tekan ❌ Batal."
        }
        Awaits::TextOrDocument => {
            "Langkah ini menunggu item stok: teks satu item per baris, atau file .txt/.csv. \
             Kirim salah satunya, atau tekan ❌ Batal."
        }
    }
}

/// A refused input, with what is expected (`problem` is the parser's message).
pub fn invalid_input(problem: &str) -> String {
    format!("⚠️ {problem}\nSilakan kirim lagi.")
}

fn who(writer: Option<&LastWriter>, tz: &chrono_tz::Tz) -> String {
    match writer {
        Some(LastWriter {
            seller: Some(id),
            at,
        }) => format!(" oleh admin {id} ({})", local_time(*at, tz)),
        Some(LastWriter { seller: None, at }) => format!(" ({})", local_time(*at, tz)),
        None => String::new(),
    }
}

fn invalid_field(field: InvalidField) -> &'static str {
    match field {
        InvalidField::Code => "kode harus 2–32 karakter A–Z, 0–9, _ atau -",
        InvalidField::ProductName => "nama produk harus 1–128 karakter",
        InvalidField::Price => "harga harus antara Rp 1 dan Rp 1.000.000.000",
        InvalidField::Description => "deskripsi maksimal 3000 karakter",
        InvalidField::Snk => "SNK harus 1–3000 karakter",
        InvalidField::CategoryName => "nama kategori harus 1–64 karakter",
        InvalidField::VoucherValue => "nilai voucher: persen 1–100 atau nominal Rp 1–1.000.000.000",
        InvalidField::MaxUses => "batas pemakaian minimal 1",
        InvalidField::VoucherWindow => "masa berlaku harus berakhir sesudah mulai dan belum lewat",
        InvalidField::TemplateBody => "teks kosong, terlalu panjang, atau foto tidak didukung",
    }
}

/// Why a write was refused (nothing was changed).
pub fn refusal(refusal: &AdminRefusal, tz: &chrono_tz::Tz) -> String {
    match refusal {
        AdminRefusal::ChangedMeanwhile { last_writer, .. } => format!(
            "⚠️ Data ini baru saja diubah{}. Perubahan Anda TIDAK disimpan — buka lagi untuk \
             memuat data terbaru, lalu ulangi bila masih perlu.",
            who(last_writer.as_ref(), tz)
        ),
        AdminRefusal::NotFound => "⚠️ Data ini sudah tidak ada (mungkin baru dihapus).".into(),
        AdminRefusal::CodeTaken => {
            "⚠️ Kode ini sudah dipakai (termasuk produk/voucher yang diarsipkan). Pakai kode lain."
                .into()
        }
        AdminRefusal::CategoryGone => {
            "⚠️ Kategori yang dipilih baru saja dihapus. Pilih kategori lain.".into()
        }
        AdminRefusal::NameTaken => "⚠️ Nama kategori ini sudah ada. Pakai nama lain.".into(),
        AdminRefusal::CategoryNotEmpty { products } => format!(
            "⚠️ Kategori masih berisi {products} produk (termasuk yang diarsipkan). Pindahkan \
             produknya ke kategori lain dulu."
        ),
        AdminRefusal::HasOrders { orders } => format!(
            "⚠️ Produk ini sudah ada di {orders} pesanan, jadi tidak bisa dihapus agar riwayat \
             tetap utuh. Arsipkan saja: produk hilang dari katalog dan bisa dipulihkan."
        ),
        AdminRefusal::Archived => {
            "⚠️ Produk ini diarsipkan. Pulihkan dulu dari daftar Arsip.".into()
        }
        AdminRefusal::NotArchived => "⚠️ Produk ini tidak diarsipkan.".into(),
        AdminRefusal::Invalid(field) => format!("⚠️ Ditolak: {}.", invalid_field(*field)),
    }
}

/// `[n/total]` before a wizard prompt.
fn step(n: u8, total: u8) -> String {
    format!("[{n}/{total}] ")
}

fn or_dash(text: &str) -> &str {
    if text.trim().is_empty() { "-" } else { text }
}

/// Line numbers for a report: at most 15, then how many more.
pub fn line_list(lines: &[usize]) -> String {
    const SHOWN: usize = 15;
    let mut out = lines
        .iter()
        .take(SHOWN)
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if lines.len() > SHOWN {
        out.push_str(&format!(" … (+{} lagi)", lines.len() - SHOWN));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Owner notices (the owner bot prefixes `[BOT_STORE_NAME]`)
// ---------------------------------------------------------------------------------------------

/// Owners: an SNK was set, changed or cleared.
pub fn owner_snk_changed(
    seller_id: i64,
    seller_name: &str,
    product: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> String {
    let what = match (before, after) {
        (_, None) => "dihapus",
        (None, Some(_)) => "ditambahkan",
        (Some(_), Some(_)) => "diubah",
    };
    format!(
        "📋 SNK {what} oleh admin {seller_name} ({seller_id})\nProduk: {product}\n\nSebelum:\n{}\n\n\
         Sesudah:\n{}",
        before.unwrap_or("-"),
        after.unwrap_or("-")
    )
}

/// Owners: two sellers edited the same thing; the later save was refused.
pub fn owner_overlapping_edit(
    refused_seller: i64,
    what: &str,
    first: Option<&LastWriter>,
    tz: &chrono_tz::Tz,
) -> String {
    format!(
        "⚠️ Edit bersamaan: admin {refused_seller} mencoba menyimpan {what}, yang baru saja \
         diubah{}. Simpanan kedua ditolak; tidak ada data yang tertimpa.",
        who(first, tz)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_has_the_summary_line() {
        let text = menu(
            "Toko",
            &AdminSummary {
                users: 120,
                orders_today: 7,
                low_stock: 2,
            },
            false,
        );
        assert!(text.contains("120 pengguna"), "{text}");
        assert!(text.contains("7 pesanan hari ini"), "{text}");
        assert!(text.contains("2 produk stok menipis"), "{text}");
    }

    #[test]
    fn refusals_say_who_changed_it_and_what_to_do() {
        let tz = chrono_tz::Asia::Jakarta;
        let text = refusal(
            &AdminRefusal::ChangedMeanwhile {
                current_version: 3,
                last_writer: Some(LastWriter {
                    seller: Some(42),
                    at: 1_758_244_729_000,
                }),
            },
            &tz,
        );
        assert!(
            text.contains("admin 42") && text.contains("08:18 WIB"),
            "{text}"
        );
        assert!(text.contains("TIDAK disimpan"), "{text}");
        assert!(refusal(&AdminRefusal::HasOrders { orders: 3 }, &tz).contains("Arsipkan"));
    }

    #[test]
    fn line_lists_are_bounded() {
        assert_eq!(line_list(&[1, 2, 3]), "1, 2, 3");
        let many: Vec<usize> = (1..=40).collect();
        assert!(line_list(&many).ends_with("(+25 lagi)"));
    }

    #[test]
    fn owners_hear_clearing_as_clearing() {
        let text = owner_snk_changed(42, "Ana", "Netflix", Some("Kirim email"), None);
        assert!(
            text.starts_with("📋 SNK dihapus oleh admin Ana (42)"),
            "{text}"
        );
        assert!(text.contains("Kirim email"));
        assert!(owner_snk_changed(1, "A", "N", None, Some("x")).contains("ditambahkan"));
    }
}
