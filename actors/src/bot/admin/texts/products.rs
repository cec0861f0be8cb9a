//! Produk & Kategori texts: the section, product cards, the add and edit wizards, archive /
//! delete / restore, and the category screens.

use super::{or_dash, step};
use crate::bot::admin::callback::ProductField;
use crate::format::rupiah;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_buttons_are_capitalised() {
        assert_eq!(btn_edit_field(ProductField::Price), "✏️ Harga");
        assert_eq!(
            product_edited("Netflix", ProductField::Name),
            "✅ Nama Netflix disimpan."
        );
    }
}
