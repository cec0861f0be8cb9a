//! Every text of the admin menu (part 1), Indonesian, plain (no parse mode, so names and codes
//! sellers type need no escaping). The screens pass facts; these functions word them. Customer
//! texts stay in `crate::bot::texts`.
//!
//! Sections: common (menu, framework, refusals) · Produk & Kategori · Stok · SNK · Voucher ·
//! Respon Bot · owner notices.

use autoorder_schema::queries::admin::stock::{StockReport, StockState};
use autoorder_schema::queries::admin::summary::AdminSummary;
use autoorder_schema::queries::admin::templates::TemplateKey;
use autoorder_schema::queries::admin::vouchers::{VoucherKind, VoucherStatus};
use autoorder_schema::queries::admin::{AdminRefusal, InvalidField, LastWriter};

use super::callback::{ProductField, Section};
use super::placeholders::PLACEHOLDERS;
use crate::format::{local_time, rupiah};

// ---------------------------------------------------------------------------------------------
// Common
// ---------------------------------------------------------------------------------------------

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
pub fn wrong_input(awaits: super::wizard::Awaits) -> &'static str {
    use super::wizard::Awaits;
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
// Produk & Kategori
// ---------------------------------------------------------------------------------------------

pub const BTN_ADD_PRODUCT: &str = "➕ Tambah Produk";
pub const BTN_MANAGE_PRODUCTS: &str = "✏️ Kelola Produk";
pub const BTN_ARCHIVED: &str = "🗄️ Arsip";
pub const BTN_CATEGORIES: &str = "🗂️ Kategori";
pub const BTN_ARCHIVE: &str = "🗄️ Arsipkan";
pub const BTN_DELETE_PRODUCT: &str = "🗑️ Hapus";
pub const BTN_RESTORE: &str = "♻️ Pulihkan";
pub const BTN_NO_CATEGORY: &str = "🚫 Tanpa kategori";
pub const BTN_NEW_CATEGORY: &str = "➕ Kategori baru";
pub const BTN_ADD_CATEGORY: &str = "➕ Tambah Kategori";
pub const BTN_RENAME: &str = "✏️ Ganti Nama";
pub const BTN_MOVE_UP: &str = "⬆️ Naik";
pub const BTN_MOVE_DOWN: &str = "⬇️ Turun";
pub const BTN_DELETE_CATEGORY: &str = "🗑️ Hapus Kategori";
pub const BTN_ADD_STOCK_NOW: &str = "📥 Tambah Stok sekarang";

/// A field's name in prompts and buttons.
pub fn field_name(field: ProductField) -> &'static str {
    match field {
        ProductField::Name => "nama",
        ProductField::Price => "harga",
        ProductField::Description => "deskripsi",
        ProductField::Category => "kategori",
    }
}

/// The edit button of a field.
pub fn btn_edit_field(field: ProductField) -> String {
    let name = field_name(field);
    let mut label = String::from("✏️ ");
    let mut chars = name.chars();
    if let Some(first) = chars.next() {
        label.extend(first.to_uppercase());
        label.push_str(chars.as_str());
    }
    label
}

/// The Produk section.
pub fn products_section(active: i64, archived: i64, categories: usize) -> String {
    format!(
        "📦 Produk\n\n{active} produk aktif · {archived} diarsipkan · {categories} kategori.\n\
         Produk yang sudah punya pesanan hanya bisa diarsipkan (riwayat tetap utuh)."
    )
}

/// Heading of the active-product picker.
pub const PICK_PRODUCT: &str = "Pilih produk:";
/// Heading of the archived-product picker.
pub const PICK_ARCHIVED: &str = "🗄️ Produk diarsipkan — pilih untuk dipulihkan:";
/// An empty product list.
pub const NO_PRODUCTS: &str = "Belum ada produk. Tambahkan dengan ➕ Tambah Produk.";
/// An empty archive.
pub const NO_ARCHIVED: &str = "Tidak ada produk yang diarsipkan.";

/// A product in a picker.
pub fn product_label(name: &str, price: i64, available: i64) -> String {
    format!("{name} · {} · stok {available}", rupiah(price))
}

/// Facts of a product card.
pub struct ProductCardFacts<'a> {
    pub name: &'a str,
    pub code: &'a str,
    pub price: i64,
    pub category: Option<&'a str>,
    pub description: &'a str,
    pub has_snk: bool,
    pub available: i64,
    pub reserved: i64,
    pub sold: i64,
    pub orders: i64,
    pub archived: bool,
}

/// A product's card.
pub fn product_card(f: &ProductCardFacts<'_>) -> String {
    let archived = if f.archived {
        "🗄️ DIARSIPKAN — tidak tampil di katalog.\n"
    } else {
        ""
    };
    format!(
        "{archived}📦 {name}\nKode: {code}\nHarga: {price}\nKategori: {category}\n\
         Stok: {available} tersedia · {reserved} dipesan · {sold} terjual\nPesanan: {orders}\n\
         SNK: {snk}\n\nDeskripsi:\n{description}",
        name = f.name,
        code = f.code,
        price = rupiah(f.price),
        category = f.category.unwrap_or("-"),
        available = f.available,
        reserved = f.reserved,
        sold = f.sold,
        orders = f.orders,
        snk = if f.has_snk { "ada" } else { "tidak ada" },
        description = or_dash(f.description),
    )
}

/// Add-product prompts, one per step (7 steps).
pub fn add_product_code() -> String {
    format!(
        "{}➕ Tambah Produk\nKirim KODE produk: 2–32 huruf A–Z, angka, _ atau - (misalnya NF1M). \
         Kode dipakai di laporan dan impor katalog.",
        step(1, 7)
    )
}
pub fn add_product_name(code: &str) -> String {
    format!(
        "{}Kode: {code}\nKirim NAMA produk (maks 128 karakter).",
        step(2, 7)
    )
}
pub fn add_product_price(name: &str) -> String {
    format!(
        "{}Produk: {name}\nKirim HARGA, misalnya 30000, 30.000 atau Rp 30.000.",
        step(3, 7)
    )
}
pub fn add_product_description() -> String {
    format!(
        "{}Kirim DESKRIPSI produk (maks 3000 karakter), atau tekan ⏭️ Lewati / kirim - bila \
         tidak ada.",
        step(4, 7)
    )
}
pub fn add_product_category(has_categories: bool) -> String {
    let hint = if has_categories {
        "Pilih KATEGORI produk:"
    } else {
        "Belum ada kategori. Buat kategori baru, atau lanjut tanpa kategori:"
    };
    format!("{}{hint}", step(5, 7))
}
pub fn add_product_new_category() -> String {
    format!("{}Kirim NAMA kategori baru (maks 64 karakter).", step(5, 7))
}
pub fn add_product_snk() -> String {
    format!(
        "{}Kirim SNK (syarat & ketentuan yang dijawab pembeli setelah menerima produk), atau \
         tekan ⏭️ Lewati bila tidak perlu.",
        step(6, 7)
    )
}

/// The add-product confirmation.
pub fn add_product_confirm(
    code: &str,
    name: &str,
    price: i64,
    description: &str,
    category: Option<&str>,
    new_category: bool,
    snk: Option<&str>,
) -> String {
    let category = match (category, new_category) {
        (Some(c), true) => format!("{c} (kategori baru)"),
        (Some(c), false) => c.to_owned(),
        (None, _) => "-".into(),
    };
    format!(
        "{}Periksa dulu sebelum disimpan:\n\nKode: {code}\nNama: {name}\nHarga: {price}\n\
         Kategori: {category}\nDeskripsi: {description}\nSNK: {snk}\n\nSimpan produk ini? Stok \
         ditambahkan sesudahnya lewat menu Stok.",
        step(7, 7),
        price = rupiah(price),
        description = or_dash(description),
        snk = snk.unwrap_or("-"),
    )
}

/// After adding a product.
pub fn product_added(name: &str, code: &str) -> String {
    format!(
        "✅ Produk {name} ({code}) disimpan. Produk tampil di katalog setelah punya stok — \
         tambahkan lewat 📥 Stok."
    )
}

/// The prompt for a new value of one field.
pub fn edit_field_prompt(product: &str, field: ProductField, current: &str) -> String {
    let hint = match field {
        ProductField::Name => "Kirim nama baru (maks 128 karakter).",
        ProductField::Price => "Kirim harga baru, misalnya 30000, 30.000 atau Rp 30.000.",
        ProductField::Description => {
            "Kirim deskripsi baru (maks 3000 karakter), atau - untuk kosong."
        }
        ProductField::Category => "Pilih kategori baru:",
    };
    format!(
        "✏️ Ubah {} — {product}\nSekarang: {}\n\n{hint}",
        field_name(field),
        or_dash(current)
    )
}

/// The confirmation of a one-field edit.
pub fn edit_field_confirm(product: &str, field: ProductField, before: &str, after: &str) -> String {
    format!(
        "Ubah {} produk {product}?\n\nSebelum: {}\nSesudah: {}",
        field_name(field),
        or_dash(before),
        or_dash(after)
    )
}

/// After an edit.
pub fn product_edited(product: &str, field: ProductField) -> String {
    format!("✅ {} {product} disimpan.", capitalised(field_name(field)))
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Confirmations of archive / delete / restore.
pub fn archive_confirm(name: &str) -> String {
    format!(
        "🗄️ Arsipkan {name}?\n\nProduk disembunyikan dari katalog dan dikeluarkan dari keranjang \
         pelanggan. Riwayat pesanan dan stok tetap tersimpan; bisa dipulihkan dari 🗄️ Arsip."
    )
}
pub fn delete_confirm(name: &str, available: i64) -> String {
    format!(
        "🗑️ Hapus {name} PERMANEN?\n\nProduk belum pernah dipesan. {available} item stok yang \
         belum terjual ikut terhapus. Tindakan ini tidak bisa dibatalkan — pilih 🗄️ Arsipkan \
         bila ragu."
    )
}
pub fn restore_confirm(name: &str) -> String {
    format!("♻️ Pulihkan {name}? Produk tampil lagi di katalog bila punya stok.")
}
pub fn product_archived(name: &str) -> String {
    format!("🗄️ {name} diarsipkan.")
}
pub fn product_deleted(name: &str, stock_items: usize) -> String {
    format!("🗑️ {name} dihapus beserta {stock_items} item stok.")
}
pub fn product_restored(name: &str) -> String {
    format!("♻️ {name} dipulihkan.")
}

/// The category list.
pub fn categories(count: usize) -> String {
    if count == 0 {
        "🗂️ Kategori\n\nBelum ada kategori. Katalog pelanggan menampilkan semua produk dalam satu \
         daftar; dengan dua kategori atau lebih, pelanggan memilih kategori dulu."
            .into()
    } else {
        format!(
            "🗂️ Kategori ({count})\n\nUrutan di bawah adalah urutan tombol di katalog pelanggan \
             (tampil bila ada dua kategori atau lebih). Pilih kategori untuk mengubahnya:"
        )
    }
}

/// A category in the list.
pub fn category_label(position: usize, name: &str, active: i64) -> String {
    format!("{position}. {name} · {active} produk")
}

/// A category's card.
pub fn category_card(name: &str, position: usize, active: i64, archived: i64) -> String {
    format!(
        "🗂️ {name}\nUrutan: {position}\nProduk aktif: {active}\nProduk diarsipkan: {archived}\n\n\
         Kategori hanya bisa dihapus bila tidak berisi produk."
    )
}

pub fn add_category_prompt() -> String {
    "➕ Tambah Kategori\nKirim nama kategori (maks 64 karakter).".into()
}
pub fn rename_category_prompt(old: &str) -> String {
    format!("✏️ Ganti nama kategori {old}\nKirim nama baru (maks 64 karakter).")
}
pub fn add_category_confirm(name: &str) -> String {
    format!("Tambah kategori {name}? Kategori ditaruh di urutan terakhir.")
}
pub fn rename_category_confirm(old: &str, new: &str) -> String {
    format!("Ganti nama kategori?\n\nSebelum: {old}\nSesudah: {new}")
}
pub fn delete_category_confirm(name: &str) -> String {
    format!("🗑️ Hapus kategori {name}? Kategorinya kosong.")
}
pub fn category_added(name: &str) -> String {
    format!("✅ Kategori {name} ditambahkan.")
}
pub fn category_renamed(name: &str) -> String {
    format!("✅ Nama kategori diganti menjadi {name}.")
}
pub fn category_deleted(name: &str) -> String {
    format!("🗑️ Kategori {name} dihapus.")
}

// ---------------------------------------------------------------------------------------------
// Stok
// ---------------------------------------------------------------------------------------------

pub const BTN_ADD_STOCK: &str = "➕ Tambah Stok";
pub const BTN_REMOVE_STOCK: &str = "🗑️ Lihat / Hapus Stok";
pub const BTN_DELETE_SELECTED: &str = "🗑️ Hapus yang dipilih";

/// Heading of the stock product picker.
pub fn stock_picker(low: usize, threshold: i64) -> String {
    if low == 0 {
        "📥 Stok — pilih produk:".into()
    } else {
        format!("📥 Stok — pilih produk:\n⚠️ {low} produk dengan stok ≤ {threshold}.")
    }
}

/// A product in the stock picker.
pub fn stock_label(name: &str, available: i64, low: bool) -> String {
    let mark = if low { "⚠️ " } else { "" };
    format!("{mark}{name} · stok {available}")
}

/// A product's stock card.
pub fn stock_card(name: &str, available: i64, reserved: i64, sold: i64, threshold: i64) -> String {
    let warn = if available <= threshold {
        format!("\n⚠️ Stok menipis (batas peringatan: {threshold}).")
    } else {
        String::new()
    };
    format!(
        "📥 Stok {name}\n\nTersedia: {available}\nDipesan (belum dibayar): {reserved}\nTerjual: \
         {sold}{warn}\n\nIsi stok tersimpan terenkripsi; daftar hanya menampilkan awal tiap item."
    )
}

/// The add-stock prompt.
pub fn add_stock_prompt(name: &str, max_file_kb: usize) -> String {
    format!(
        "➕ Tambah stok {name}\n\nKirim item stok, SATU ITEM PER BARIS (misalnya \
         email:password). Atau unggah file .txt / .csv (maks {max_file_kb} KB), satu item per \
         baris.\n\nItem yang sudah ada di toko (terjual atau belum) atau berulang di kiriman \
         ditolak dan dilaporkan nomor barisnya."
    )
}

/// Where an upload came from, in a report.
pub fn upload_source(file: Option<&str>) -> String {
    match file {
        Some(name) => format!("file {name}"),
        None => "pesan".into(),
    }
}

fn stock_report_lines(report: &StockReport) -> String {
    let mut out = String::new();
    if !report.repeated.is_empty() {
        let lines: Vec<usize> = report.repeated.iter().map(|r| r.line).collect();
        out.push_str(&format!(
            "\n♻️ Berulang di kiriman ini ({}): baris {}",
            lines.len(),
            line_list(&lines)
        ));
    }
    if !report.in_store.is_empty() {
        out.push_str(&format!(
            "\n♻️ Sudah ada di toko ({}):",
            report.in_store.len()
        ));
        for d in report.in_store.iter().take(10) {
            out.push_str(&format!(
                "\n  baris {} — {} ({})",
                d.line,
                d.product_name,
                stock_state(d.state)
            ));
        }
        if report.in_store.len() > 10 {
            out.push_str(&format!("\n  … (+{} lagi)", report.in_store.len() - 10));
        }
    }
    if !report.empty.is_empty() {
        out.push_str(&format!(
            "\n▫️ Baris kosong ({}): {}",
            report.empty.len(),
            line_list(&report.empty)
        ));
    }
    if !report.too_long.is_empty() {
        out.push_str(&format!(
            "\n✂️ Terlalu panjang, maks 4000 karakter ({}): baris {}",
            report.too_long.len(),
            line_list(&report.too_long)
        ));
    }
    out
}

fn stock_state(state: StockState) -> &'static str {
    match state {
        StockState::Available => "belum terjual",
        StockState::Reserved => "sedang dipesan",
        StockState::Sold => "sudah terjual",
    }
}

/// The confirmation of an upload (what will be added and what is refused).
pub fn stock_preview(name: &str, source: &str, report: &StockReport) -> String {
    let verdict = if report.added.is_empty() {
        "\n\nTidak ada item baru untuk disimpan.".to_owned()
    } else {
        format!("\n\nSimpan {} item baru ke {name}?", report.added.len())
    };
    format!(
        "📋 Pratinjau stok {name} dari {source}:\n\n✅ Item baru: {}{}{verdict}",
        report.added.len(),
        stock_report_lines(report),
    )
}

/// After an upload is saved (the report as written, which may differ from the preview when
/// another seller added the same lines meanwhile).
pub fn stock_added(name: &str, report: &StockReport) -> String {
    format!(
        "✅ {} item ditambahkan ke {name}. Stok tersedia sekarang: {}.{}",
        report.added.len(),
        report.available_after,
        stock_report_lines(report)
    )
}

/// An upload that is too big.
pub fn file_too_big(max_file_kb: usize) -> String {
    format!(
        "⚠️ File terlalu besar. Maksimal {max_file_kb} KB — bagi menjadi beberapa file, atau \
         kirim sebagian sebagai teks."
    )
}
/// An upload of another kind of file.
pub const FILE_WRONG_TYPE: &str =
    "⚠️ Hanya file .txt atau .csv (teks, satu item per baris) yang bisa dipakai.";
/// A file that is not UTF-8 text.
pub const FILE_NOT_TEXT: &str =
    "⚠️ Isi file tidak bisa dibaca sebagai teks (UTF-8). Simpan ulang sebagai .txt UTF-8.";
/// Downloading the file from Telegram failed.
pub const FILE_DOWNLOAD_FAILED: &str =
    "⚠️ File tidak bisa diunduh dari Telegram saat ini. Coba kirim lagi sebentar lagi.";

/// Heading of the unsold-item list.
pub fn unsold_list(name: &str, total: i64, selected: usize) -> String {
    format!(
        "🗑️ Stok {name}: {total} item belum terjual.\nKetuk item untuk memilih (☑️), lalu \
         tekan 🗑️ Hapus yang dipilih. Terpilih: {selected}."
    )
}

/// An item in the unsold list.
pub fn unsold_label(id: i64, preview: Option<&str>, selected: bool) -> String {
    let mark = if selected { "☑️" } else { "▫️" };
    format!("{mark} #{id} {}", preview.unwrap_or("⚠️ tidak terbaca"))
}

/// Nothing selected yet.
pub const NOTHING_SELECTED: &str = "Pilih minimal satu item dulu.";
/// The selection is full.
pub fn selection_full(max: usize) -> String {
    format!("Maksimal {max} item sekali hapus.")
}

/// The deletion confirmation.
pub fn remove_stock_confirm(name: &str, count: usize) -> String {
    format!(
        "🗑️ Hapus {count} item stok {name}?\nItem yang keburu dipesan pembeli tidak akan dihapus."
    )
}

/// After a deletion.
pub fn stock_removed(name: &str, deleted: usize, skipped: usize, available: i64) -> String {
    let skipped = if skipped > 0 {
        format!(" {skipped} dilewati (sudah dipesan, terjual, atau terhapus).")
    } else {
        String::new()
    };
    format!("🗑️ {deleted} item stok {name} dihapus.{skipped} Sisa stok: {available}.")
}

// ---------------------------------------------------------------------------------------------
// SNK
// ---------------------------------------------------------------------------------------------

pub const BTN_EDIT_SNK: &str = "✏️ Ubah SNK";
pub const BTN_CLEAR_SNK: &str = "🗑️ Hapus SNK";

/// Heading of the SNK product picker.
pub const PICK_SNK: &str = "📋 SNK — pilih produk:";

/// A product in the SNK picker.
pub fn snk_label(name: &str, has_snk: bool) -> String {
    format!("{} {name}", if has_snk { "📋" } else { "▫️" })
}

/// A product's SNK.
pub fn snk_card(name: &str, snk: Option<&str>) -> String {
    match snk {
        Some(text) => format!(
            "📋 SNK {name}\n\n{text}\n\nPembeli menerima SNK ini setelah produk terkirim, lalu \
             menjawabnya lewat tombol 📝 Penuhi SNK."
        ),
        None => format!("📋 SNK {name}\n\nBelum ada SNK untuk produk ini."),
    }
}

pub fn edit_snk_prompt(name: &str) -> String {
    format!("✏️ SNK {name}\nKirim teks SNK baru (maks 3000 karakter).")
}
pub fn edit_snk_confirm(name: &str, before: Option<&str>, after: &str) -> String {
    format!(
        "Simpan SNK {name}?\n\nSebelum:\n{}\n\nSesudah:\n{after}\n\nOwner diberi tahu setiap \
         perubahan SNK.",
        before.unwrap_or("-")
    )
}
pub fn clear_snk_confirm(name: &str, before: &str) -> String {
    format!(
        "🗑️ Hapus SNK {name}?\n\nSNK sekarang:\n{before}\n\nPembeli berikutnya tidak diminta \
         memenuhi SNK. Owner diberi tahu."
    )
}
pub fn snk_saved(name: &str) -> String {
    format!("✅ SNK {name} disimpan.")
}
pub fn snk_cleared(name: &str) -> String {
    format!("🗑️ SNK {name} dihapus.")
}
pub fn snk_unchanged(name: &str) -> String {
    format!("SNK {name} sama dengan sebelumnya; tidak ada yang diubah.")
}

// ---------------------------------------------------------------------------------------------
// Voucher
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Respon Bot
// ---------------------------------------------------------------------------------------------

pub const BTN_EDIT_TEMPLATE: &str = "✏️ Ubah";
pub const BTN_PREVIEW: &str = "👁️ Pratinjau";
pub const BTN_RESET: &str = "♻️ Kembalikan bawaan";

/// A template's name.
pub fn template_title(key: TemplateKey) -> &'static str {
    match key {
        TemplateKey::Welcome => "👋 Sambutan (/start)",
        TemplateKey::HowToOrder => "📖 Cara Order",
        TemplateKey::PaymentSuccess => "✅ Pembayaran Berhasil",
    }
}

/// The Respon Bot section.
pub const RESPON: &str = "💬 Respon Bot — teks yang dilihat pelanggan. Pilih teks:";

/// `{nama}, {store_name}, …`
pub fn placeholder_list() -> String {
    PLACEHOLDERS
        .iter()
        .map(|p| format!("{{{p}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A template's card.
pub fn template_card(key: TemplateKey, body: Option<&str>, photo: bool) -> String {
    let current = match (body, photo) {
        (None, _) => "(memakai teks bawaan)".to_owned(),
        (Some(b), true) => format!("🖼️ Foto dengan caption:\n{}", or_dash(b)),
        (Some(b), false) => b.to_owned(),
    };
    format!(
        "{}\n\n{current}\n\nPlaceholder: {}",
        template_title(key),
        placeholder_list()
    )
}

/// The edit prompt.
pub fn template_prompt(key: TemplateKey) -> String {
    let photo = if key.allows_photo() {
        " Bisa juga foto dengan caption."
    } else {
        ""
    };
    format!(
        "✏️ {}\nKirim teks baru.{photo}\n\nPlaceholder yang bisa dipakai: {}\n(contoh: Halo \
         {{nama}}, selamat datang di {{store_name}}!)",
        template_title(key),
        placeholder_list()
    )
}

/// The preview with sample values, before saving.
pub fn template_preview(key: TemplateKey, rendered: &str, photo: bool) -> String {
    let photo = if photo { "🖼️ (dengan foto)\n" } else { "" };
    format!(
        "👁️ Pratinjau {} dengan contoh data:\n\n{photo}{rendered}\n\nSimpan teks ini?",
        template_title(key)
    )
}

/// The preview of the stored (or built-in) text, outside a wizard.
pub fn template_sample(key: TemplateKey, rendered: &str) -> String {
    format!(
        "👁️ {} dengan contoh data:\n\n{rendered}",
        template_title(key)
    )
}

pub fn template_saved(key: TemplateKey) -> String {
    format!(
        "✅ {} disimpan. Pelanggan melihatnya mulai sekarang.",
        template_title(key)
    )
}
pub fn template_reset_confirm(key: TemplateKey) -> String {
    format!("♻️ Kembalikan {} ke teks bawaan?", template_title(key))
}
pub fn template_reset(key: TemplateKey) -> String {
    format!("♻️ {} kembali memakai teks bawaan.", template_title(key))
}
pub fn template_already_default(key: TemplateKey) -> String {
    format!("{} sudah memakai teks bawaan.", template_title(key))
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

    #[test]
    fn field_buttons_are_capitalised() {
        assert_eq!(btn_edit_field(ProductField::Price), "✏️ Harga");
        assert_eq!(
            product_edited("Netflix", ProductField::Name),
            "✅ Nama Netflix disimpan."
        );
    }
}
