//! Stok texts: the picker and card, the upload prompt, preview and report (line numbers, never
//! contents), file problems, and choosing items to delete.

use autoorder_schema::queries::admin::stock::{StockReport, StockState};

use super::line_list;

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
