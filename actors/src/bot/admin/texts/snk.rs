//! SNK texts: the picker, a product's SNK, setting and clearing it.

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
