//! Customer-facing texts, in one place (Indonesian first).

/// The placeholder welcome until the shop menus exist.
pub fn welcome(first_name: &str, store_name: &str, users: i64) -> String {
    format!(
        "Halo {first_name}! 👋\n\nSelamat datang di {store_name}.\n\
         Saat ini {users} pengguna sudah bergabung.\n\n\
         Toko sedang disiapkan — katalog akan segera tersedia."
    )
}

/// What a user blocked by a seller is told.
pub const BLOCKED: &str = "Maaf, akun Anda diblokir oleh penjual.";

/// Button that opens the SNK dialog.
pub const SNK_BUTTON: &str = "📝 Penuhi SNK";

/// The SNK request sent after delivery.
pub fn snk_notice(product_name: &str, order_ref: &str, snk_text: &str) -> String {
    format!(
        "📋 Syarat & Ketentuan — {product_name}\nPesanan: {order_ref}\n\n{snk_text}\n\n\
         Tekan tombol di bawah untuk memenuhi SNK."
    )
}

/// Prompt after the SNK button is pressed.
pub fn snk_prompt(product_name: &str) -> String {
    format!(
        "Silakan kirim jawaban SNK untuk {product_name}: teks dan/atau foto. Batas waktu 30 menit."
    )
}

/// Thanks after an SNK answer is stored.
pub const SNK_THANKS: &str =
    "✅ Terima kasih, jawaban SNK Anda sudah kami terima dan diteruskan ke penjual.";

/// An SNK answer had neither text nor photo.
pub const SNK_EMPTY: &str = "Jawaban SNK harus berupa teks dan/atau foto. Silakan kirim lagi.";

/// A button press the bot cannot use any more.
pub const STALE_BUTTON: &str = "Tombol ini sudah tidak berlaku.";

/// The seller notice carrying an SNK answer.
pub fn snk_seller_notice(
    customer: &str,
    user_id: i64,
    product_name: &str,
    order_ref: &str,
    answer: &str,
) -> String {
    format!(
        "📝 Jawaban SNK\nPelanggan: {customer} ({user_id})\nProduk: {product_name}\nPesanan: {order_ref}\n\n{answer}"
    )
}
