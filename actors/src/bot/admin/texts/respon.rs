//! Respon Bot texts: the template cards, the edit prompt with the placeholder list, previews.

use autoorder_schema::queries::admin::templates::TemplateKey;

use super::or_dash;
use crate::bot::admin::placeholders::PLACEHOLDERS;

pub const BTN_EDIT_TEMPLATE: &str = "✏️ Ubah";
pub const BTN_PREVIEW: &str = "👁️ Pratinjau";
pub const BTN_RESET: &str = "♻️ Kembalikan bawaan";

/// A template's name.
pub fn template_title(key: TemplateKey) -> &'static str {
    match key {
        TemplateKey::Welcome => "👋 Sambutan (/start)",
        TemplateKey::HowToOrder => "📖 Cara Order",
        TemplateKey::PaymentSuccess => "✅ Pembayaran Berhasil",
        TemplateKey::DepositInstructions => "🏦 Instruksi Deposit Manual",
    }
}

/// What the *Instruksi Deposit Manual* card and preview say while it is unset: it has no
/// built-in text, the customer's *Deposit* screen simply shows none.
pub const DEPOSIT_INSTRUCTIONS_UNSET: &str =
    "(belum diisi — layar Deposit pelanggan tidak menampilkan instruksi transfer manual)";

/// Under the deposit instructions' prompt: what the customer sees with them.
const DEPOSIT_INSTRUCTIONS_HINT: &str = " Teks ini tampil di layar Deposit pelanggan, dengan \
     tombol 💬 Hubungi Penjual (chat ke penjual). Tulis rekening/e-wallet tujuan dan cara \
     konfirmasi transfer.";

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
        (None, _) if key == TemplateKey::DepositInstructions => {
            DEPOSIT_INSTRUCTIONS_UNSET.to_owned()
        }
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
    } else if key == TemplateKey::DepositInstructions {
        DEPOSIT_INSTRUCTIONS_HINT
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
    if key == TemplateKey::DepositInstructions {
        return format!(
            "♻️ {} dikosongkan — layar Deposit tidak menampilkannya lagi.",
            template_title(key)
        );
    }
    format!("♻️ {} kembali memakai teks bawaan.", template_title(key))
}
pub fn template_already_default(key: TemplateKey) -> String {
    format!("{} sudah memakai teks bawaan.", template_title(key))
}
