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

/// The buyer's delivery message header.
pub fn delivery_header(invoice_no: &str) -> String {
    format!("✅ Pembayaran diterima!\nPesanan: {invoice_no}\n\nBerikut produk Anda:")
}

/// One delivered product block.
pub fn delivery_block(product_name: &str, items: &[String]) -> String {
    let mut out = format!("\n\n📦 {product_name} ({} item)", items.len());
    for (i, item) in items.iter().enumerate() {
        out.push_str(&format!("\n{}. {item}", i + 1));
    }
    out
}

/// Footer of the delivery message.
pub const DELIVERY_FOOTER: &str =
    "\n\nTerima kasih telah berbelanja! Simpan data di atas dengan aman.";

/// Sellers: a new paid order.
pub fn seller_order_paid(
    invoice_no: &str,
    buyer: &str,
    buyer_id: i64,
    lines: &str,
    total: &str,
    method: &str,
) -> String {
    format!(
        "🛒 Pesanan baru dibayar\nInvoice: {invoice_no}\nPembeli: {buyer} ({buyer_id})\n{lines}\nTotal: {total}\nMetode: {method}"
    )
}

/// Buyer: deposit credited.
pub fn deposit_completed(amount: &str, balance: &str) -> String {
    format!("✅ Deposit {amount} berhasil masuk.\nSaldo Anda sekarang {balance}.")
}

/// Sellers: a deposit came in.
pub fn seller_deposit(buyer: &str, buyer_id: i64, amount: &str) -> String {
    format!("💰 Deposit masuk\nPelanggan: {buyer} ({buyer_id})\nJumlah: {amount}")
}

/// Buyer: an unpaid invoice expired.
pub fn payment_expired(reference: &str) -> String {
    format!(
        "⌛ Tagihan {reference} sudah kedaluwarsa dan dibatalkan. Stok dikembalikan; silakan pesan lagi bila masih berminat."
    )
}

/// Buyer: paid after expiry, stock gone, refunded to balance.
pub fn late_payment_refunded(reference: &str, amount: &str) -> String {
    format!(
        "ℹ️ Pembayaran {reference} diterima setelah tagihan kedaluwarsa dan stok sudah habis. Dana {amount} dikembalikan ke saldo Anda."
    )
}

/// Sellers: late payment refunded.
pub fn seller_late_payment(reference: &str, buyer_id: i64, amount: &str) -> String {
    format!(
        "⚠️ Pembayaran terlambat {reference} dari {buyer_id}: stok habis, {amount} dikembalikan ke saldo pelanggan."
    )
}

/// Sellers: low stock.
pub fn low_stock(product_name: &str, left: i64) -> String {
    format!("⚠️ Stok menipis: {product_name} tinggal {left} item.")
}

/// Owners: gateway failing.
pub fn gateway_failing(failures: u32, last_error: &str) -> String {
    format!(
        "🔴 Gateway pembayaran (Pakasir) gagal {failures} kali berturut-turut.\nGalat terakhir: {last_error}"
    )
}

/// Owners: gateway recovered.
pub fn gateway_recovered(failures: u32) -> String {
    format!("🟢 Gateway pembayaran (Pakasir) kembali normal setelah {failures} kegagalan.")
}

/// Owners: a callback the gateway did not confirm.
pub fn unconfirmed_callback(gateway_order_id: &str, reason: &str) -> String {
    format!(
        "🚨 Callback pembayaran untuk {gateway_order_id} TIDAK dikonfirmasi gateway ({reason}). Tidak ada yang dikirim."
    )
}
