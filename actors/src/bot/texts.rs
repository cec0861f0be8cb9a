//! Customer-facing texts, in one place (Indonesian first). Every text the bot shows a
//! customer or a seller is built here; flows pass the facts, these functions word them.
//! All texts are plain (no parse mode), so names and codes typed by users need no escaping.

use crate::format::rupiah;

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

/// The delivery message header under the seller's *Pembayaran Berhasil* text (placeholders
/// already filled): the items still follow, so the text is a greeting, not the whole message.
pub fn delivery_header_from(seller_text: &str) -> String {
    format!("{seller_text}\n\nBerikut produk Anda:")
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

// ---------------------------------------------------------------------------------------------
// Menus and buttons
// ---------------------------------------------------------------------------------------------

/// Reply-keyboard labels (what the button sends is exactly this text).
pub const MENU_PRODUCTS: &str = "Semua Produk";
pub const MENU_STOCK: &str = "Cek Stok";
pub const MENU_DEPOSIT: &str = "Deposit";
pub const MENU_INFO: &str = "Informasi";
pub const MENU_HOW_TO_ORDER: &str = "Cara Order";
pub const MENU_ORDERS: &str = "Pesanan Saya";
pub const MENU_ADMIN: &str = "Admin";

/// Inline buttons.
pub const BTN_INFO: &str = "ℹ️ INFORMASI";
pub const BTN_HOW_TO_ORDER: &str = "📖 Cara Order";
pub const BTN_PREV: &str = "⬅️ Sebelumnya";
pub const BTN_NEXT: &str = "Berikutnya ➡️";
pub const BTN_VIEW_CART: &str = "🛒 Lihat Keranjang";
pub const BTN_CONTINUE_SHOPPING: &str = "🛍️ Lanjut Belanja";
pub const BTN_BACK_TO_CATALOG: &str = "⬅️ Kembali ke Katalog";
pub const BTN_USE_VOUCHER: &str = "🎟️ Gunakan Voucher";
pub const BTN_REMOVE_VOUCHER: &str = "✖️ Hapus Voucher";
pub const BTN_CHECKOUT: &str = "💳 Lanjut ke Pembayaran";
pub const BTN_CLEAR_CART: &str = "❌ Batal";
pub const BTN_PAY_QRIS: &str = "📱 QRIS";
pub const BTN_PAY_BALANCE: &str = "💰 Saldo";
pub const BTN_PAY_ABORT: &str = "❌ Batalkan";
pub const BTN_CHECK_PAYMENT: &str = "🔄 Cek Status Pembayaran";
pub const BTN_CANCEL_PAYMENT: &str = "❌ Batalkan";
pub const BTN_RESEND: &str = "📦 Kirim Ulang";
pub const BTN_BACK_TO_ORDERS: &str = "⬅️ Pesanan Saya";
pub const BTN_REFRESH: &str = "🔄 Refresh";
pub const BTN_DEPOSIT: &str = "💰 Deposit";
pub const BTN_DEPOSIT_OTHER: &str = "✏️ Nominal Lain";
pub const BTN_EDIT_NAME: &str = "✏️ Ubah Nama";
pub const BTN_EDIT_WHATSAPP: &str = "📱 Ubah WhatsApp";
pub const BTN_CANCEL_INPUT: &str = "❌ Batal";

/// "Put n in the cart" on a product page.
pub fn btn_quantity(quantity: i32) -> String {
    format!("🛒 {quantity}")
}

/// A catalog entry's button.
pub fn btn_product(number: u32, name: &str) -> String {
    format!("{number}. {name}")
}

/// A category button of the catalog, with how many of its products are for sale.
pub fn btn_category(name: &str, products: usize) -> String {
    format!("📂 {name} ({products})")
}

/// From a category's page back to the whole catalog.
pub const BTN_ALL_PRODUCTS: &str = "⬅️ Semua Produk";

/// Cart line buttons (by line number).
pub fn btn_decrease(line: usize) -> String {
    format!("➖ {line}")
}
pub fn btn_increase(line: usize) -> String {
    format!("➕ {line}")
}
pub fn btn_remove(line: usize) -> String {
    format!("🗑 {line}")
}

/// The page indicator between previous and next.
pub fn btn_page(page: u32, pages: u32) -> String {
    format!("{}/{}", page + 1, pages.max(1))
}

/// An order in *Pesanan Saya*.
pub fn btn_order(invoice_no: &str) -> String {
    format!("📄 {invoice_no}")
}

/// A deposit preset.
pub fn btn_deposit_amount(amount: i64) -> String {
    rupiah(amount)
}

/// A customer-service link to a seller.
pub fn btn_contact_seller(index: usize, sellers: usize) -> String {
    if sellers <= 1 {
        "💬 Hubungi Penjual".to_string()
    } else {
        format!("💬 Hubungi Penjual {index}")
    }
}

// ---------------------------------------------------------------------------------------------
// /start, help, anti-spam
// ---------------------------------------------------------------------------------------------

/// The built-in welcome.
pub fn welcome(name: &str, store_name: &str) -> String {
    format!(
        "Halo {name}! 👋\n\nSelamat datang di {store_name}, toko produk digital dengan \
         pengiriman otomatis 24 jam."
    )
}

/// The numbers under every welcome (built-in or seller's template).
pub fn welcome_stats(users: i64, completed: i64) -> String {
    format!("👥 Pengguna: {users}\n✅ Transaksi berhasil: {completed}")
}

/// Sent with the reply keyboard after the welcome.
pub const MENU_HINT: &str = "Silakan pilih menu di bawah 👇";

/// A text the bot cannot place.
pub const UNKNOWN_INPUT: &str =
    "Maaf, perintah tidak dikenali. Silakan pilih menu pada keyboard di bawah atau ketik /start.";

/// A number typed without a catalog list to pick from.
pub const NO_LIST_FOR_NUMBER: &str =
    "Buka Semua Produk dulu, lalu ketik nomor produk yang tampil di daftar.";

/// A number not in the last list.
pub fn number_not_in_list(number: u32) -> String {
    format!("Nomor {number} tidak ada di daftar terakhir. Ketik nomor yang tampil di daftar.")
}

/// A dialog ended with *Batal* or /batal.
pub const INPUT_CANCELLED: &str = "Dibatalkan.";

/// Anti-spam: the user is told once per window.
pub const SPAM_WARNING: &str =
    "⚠️ Terlalu banyak aksi dalam waktu singkat. Mohon tunggu beberapa detik lalu coba lagi.";

/// Sellers: a customer is flooding the bot.
pub fn seller_spam_notice(customer: &str, user_id: i64) -> String {
    format!("🚫 Spam terdeteksi dari {customer} ({user_id}): aksi dibatasi sementara.")
}

/// A press that failed for a reason that is not the customer's.
pub const TRY_AGAIN: &str = "Terjadi gangguan, silakan coba lagi.";

// ---------------------------------------------------------------------------------------------
// Catalog, stock and product page
// ---------------------------------------------------------------------------------------------

/// The catalog header.
pub fn catalog_header(page: u32, pages: u32) -> String {
    format!("🛍️ Semua Produk (halaman {}/{})", page + 1, pages.max(1))
}

/// A category heading inside the catalog.
pub fn catalog_category(name: &str) -> String {
    format!("\n【 {name} 】")
}

/// One catalog entry.
pub fn catalog_entry(number: u32, name: &str, price: i64, stock: i64, sold: i64) -> String {
    format!(
        "\n{number}. {name}\n    💰 {} · 📦 Stok {stock} · 🔥 Terjual {sold}",
        rupiah(price)
    )
}

/// Under the catalog.
pub const CATALOG_FOOTER: &str =
    "\n\nKetik nomor produk atau tekan tombolnya untuk melihat detail.";

/// Nothing to sell.
pub const CATALOG_EMPTY: &str = "Belum ada produk yang tersedia saat ini. Silakan cek lagi nanti.";

/// *Cek Stok* header.
pub fn stock_header(at: &str) -> String {
    format!("📊 Stok Produk\nPer {at}\n")
}

/// One *Cek Stok* row.
pub fn stock_row(name: &str, stock: i64) -> String {
    if stock > 0 {
        format!("\n• {name}: {stock}")
    } else {
        format!("\n• {name}: habis")
    }
}

/// *Cek Stok* with no products.
pub const STOCK_EMPTY: &str = "\nBelum ada produk.";

/// After *Refresh*.
pub const STOCK_REFRESHED: &str = "Stok diperbarui.";

/// A product page.
pub fn product_detail(
    name: &str,
    category: Option<&str>,
    description: &str,
    price: i64,
    stock: i64,
    sold: i64,
) -> String {
    let mut out = format!("📦 {name}");
    if let Some(category) = category {
        out.push_str(&format!("\nKategori: {category}"));
    }
    if !description.trim().is_empty() {
        out.push_str(&format!("\n\n{}", description.trim()));
    }
    out.push_str(&format!(
        "\n\n💰 Harga: {}\n📦 Stok: {stock}\n🔥 Terjual: {sold}",
        rupiah(price)
    ));
    if stock > 0 {
        out.push_str("\n\nPilih jumlah untuk dimasukkan ke keranjang:");
    } else {
        out.push_str("\n\n❌ Stok sedang habis.");
    }
    out
}

/// A product that is no longer for sale.
pub const PRODUCT_GONE: &str = "Produk ini sudah tidak tersedia.";

/// After a quantity button.
pub fn added_to_cart(name: &str, quantity: i32) -> String {
    format!("✅ {name} × {quantity} ada di keranjang Anda.")
}

/// The quantity asked for was more than the stock.
pub fn added_to_cart_capped(name: &str, quantity: i32) -> String {
    format!("⚠️ Stok {name} hanya {quantity}. Jumlah di keranjang disesuaikan menjadi {quantity}.")
}

/// Out of stock when adding.
pub fn out_of_stock(name: &str) -> String {
    format!("❌ Maaf, stok {name} sedang habis.")
}

// ---------------------------------------------------------------------------------------------
// Cart and voucher
// ---------------------------------------------------------------------------------------------

/// Cart header.
pub const CART_HEADER: &str = "🛒 Keranjang Anda\n";

/// One cart line.
pub fn cart_line(number: usize, name: &str, quantity: i32, unit_price: i64, stock: i64) -> String {
    let mut out = format!(
        "\n{number}. {name}\n    {quantity} × {} = {}",
        rupiah(unit_price),
        rupiah(unit_price * i64::from(quantity))
    );
    if i64::from(quantity) > stock {
        out.push_str(&format!(" (⚠️ stok tersisa {stock})"));
    }
    out
}

/// Cart totals; `voucher` is (code, discount) when one applies.
pub fn cart_totals(subtotal: i64, voucher: Option<(&str, i64)>) -> String {
    let mut out = format!("\n\nSubtotal: {}", rupiah(subtotal));
    if let Some((code, discount)) = voucher {
        out.push_str(&format!(
            "\nVoucher {code}: -{}\nTotal: {}",
            rupiah(discount),
            rupiah(subtotal - discount)
        ));
    }
    out
}

/// The cart's voucher no longer applies.
pub fn cart_voucher_invalid(code: &str, why: &str) -> String {
    format!("\n\n⚠️ Voucher {code} tidak dapat dipakai: {why}")
}

/// An empty cart.
pub const CART_EMPTY: &str = "🛒 Keranjang Anda kosong.\nBuka Semua Produk untuk mulai belanja.";

/// After *Batal* under the cart.
pub const CART_CLEARED: &str = "🗑 Keranjang dikosongkan.";

/// A cart line changed.
pub const CART_UPDATED: &str = "Keranjang diperbarui.";

/// Asking for the voucher code.
pub const VOUCHER_PROMPT: &str = "🎟️ Ketik kode voucher Anda:";

/// Voucher accepted.
pub fn voucher_applied(code: &str, discount: i64) -> String {
    format!("✅ Voucher {code} dipakai: potongan {}.", rupiah(discount))
}

/// Voucher removed from the cart.
pub const VOUCHER_REMOVED: &str = "Voucher dihapus dari keranjang.";

/// Why a voucher cannot be used (short, also used inside other texts).
pub fn voucher_problem(
    problem: &autoorder_schema::queries::shop::vouchers::VoucherProblem,
) -> &'static str {
    use autoorder_schema::queries::shop::vouchers::VoucherProblem as P;
    match problem {
        P::Unknown => "kode tidak ditemukan",
        P::Inactive => "voucher sudah tidak aktif",
        P::NotYetValid => "voucher belum berlaku",
        P::Expired => "masa berlaku voucher sudah habis",
        P::UsedUp => "kuota pemakaian voucher sudah habis",
    }
}

/// A voucher code that cannot be used.
pub fn voucher_refused(code: &str, why: &str) -> String {
    format!("❌ Voucher {code} tidak dapat dipakai: {why}.\nKetik kode lain atau tekan Batal.")
}

/// A voucher typed that is not a code.
pub const VOUCHER_MALFORMED: &str = "Kode voucher hanya berisi huruf, angka, - atau _ (maksimal 32 karakter). Ketik lagi atau tekan Batal.";

/// Voucher asked for on an empty cart.
pub const VOUCHER_EMPTY_CART: &str =
    "Keranjang Anda kosong; isi keranjang dulu sebelum memakai voucher.";

// ---------------------------------------------------------------------------------------------
// Checkout and invoices
// ---------------------------------------------------------------------------------------------

/// The payment choice.
pub fn payment_choice(subtotal: i64, discount: i64, qris_fee: Option<i64>, balance: i64) -> String {
    let amount = subtotal - discount;
    let qris = match qris_fee {
        Some(fee) => format!(
            "📱 QRIS\nBiaya Layanan: {} (perkiraan)\nTotal: {}\n\n",
            rupiah(fee),
            rupiah(amount + fee)
        ),
        None => String::new(),
    };
    format!(
        "💳 Pilih Metode Pembayaran\n\n\
         Subtotal: {}\nDiskon: -{}\n\n\
         {qris}💰 Saldo (saldo Anda {})\nBiaya Layanan: {}\nTotal: {}",
        rupiah(subtotal),
        rupiah(discount),
        rupiah(balance),
        rupiah(0),
        rupiah(amount),
    )
}

/// *Batalkan* on the payment choice.
pub const PAYMENT_ABORTED: &str = "Pembayaran dibatalkan. Keranjang Anda tetap tersimpan.";

/// Checkout on an empty cart.
pub const CHECKOUT_EMPTY: &str = "🛒 Keranjang Anda kosong, belum ada yang bisa dibayar.";

/// A product ran short while checking out.
pub fn checkout_out_of_stock(product: &str, available: i64) -> String {
    format!(
        "❌ Stok {product} tidak cukup (tersisa {available}). Ubah jumlah di keranjang lalu coba lagi."
    )
}

/// A product left the shop while in the cart.
pub fn checkout_unavailable(product: &str) -> String {
    format!("❌ {product} sudah tidak dijual. Hapus dari keranjang lalu coba lagi.")
}

/// The cart's voucher failed at checkout.
pub fn checkout_voucher(why: &str) -> String {
    format!("❌ Voucher di keranjang tidak dapat dipakai: {why}. Hapus voucher lalu coba lagi.")
}

/// QRIS needs a positive total.
pub const CHECKOUT_ZERO_TOTAL: &str =
    "Total pesanan Rp 0 tidak bisa dibayar dengan QRIS. Silakan pilih Saldo.";

/// Not enough balance.
pub fn insufficient_balance(balance: i64, needed: i64, qris: bool) -> String {
    let ways = if qris {
        "Silakan deposit dulu atau bayar dengan QRIS."
    } else {
        "Silakan isi saldo dulu (hubungi penjual untuk deposit manual)."
    };
    format!(
        "❌ Saldo tidak cukup.\nSaldo Anda: {}\nTotal: {}\nKurang: {}\n\n{ways}",
        rupiah(balance),
        rupiah(needed),
        rupiah(needed - balance)
    )
}

/// Paid from the balance.
pub fn balance_paid(invoice_no: &str, amount: i64, balance_after: i64) -> String {
    format!(
        "✅ Pembayaran berhasil!\nPesanan: {invoice_no}\nDibayar dengan saldo: {}\nSisa saldo: {}\n\n\
         Produk Anda sedang dikirim dan akan masuk sebentar lagi.",
        rupiah(amount),
        rupiah(balance_after)
    )
}

/// The gateway could not create the QRIS (the order was cancelled, its stock released).
pub const GATEWAY_UNAVAILABLE: &str = "😔 Maaf, layanan pembayaran QRIS sedang gangguan sehingga tagihan belum bisa dibuat. \
     Pesanan dibatalkan dan stok dikembalikan; silakan coba lagi beberapa saat lagi atau bayar dengan Saldo.";

/// QRIS is not configured in this store.
pub const QRIS_NOT_CONFIGURED: &str =
    "Pembayaran QRIS belum tersedia di toko ini. Silakan bayar dengan Saldo atau hubungi penjual.";

/// The QR image could not be made (the payment is cancelled).
pub const QR_FAILED: &str =
    "Maaf, kode QR tidak dapat dibuat. Tagihan dibatalkan; silakan coba lagi.";

/// The caption of an order's QRIS invoice.
#[allow(clippy::too_many_arguments)]
pub fn order_invoice(
    invoice_no: &str,
    lines: &[(String, i32)],
    subtotal: i64,
    discount: i64,
    fee: i64,
    total_payment: i64,
    expires: &str,
) -> String {
    // A photo caption holds 1024 characters: a few lines, names shortened.
    const SHOWN: usize = 5;
    let mut out = format!("🧾 Tagihan {invoice_no}\n");
    for (name, quantity) in lines.iter().take(SHOWN) {
        out.push_str(&format!("\n• {} × {quantity}", shorten(name, 40)));
    }
    if lines.len() > SHOWN {
        out.push_str(&format!("\n• … dan {} produk lain", lines.len() - SHOWN));
    }
    out.push_str(&format!(
        "\n\nSubtotal: {}\nDiskon: -{}\nBiaya Layanan: {}\nTotal Bayar: {}\n\n\
         ⏰ Bayar sebelum {expires}\n\
         Scan QRIS di atas dengan e-wallet atau m-banking. Produk dikirim otomatis setelah pembayaran diterima.",
        rupiah(subtotal),
        rupiah(discount),
        rupiah(fee),
        rupiah(total_payment),
    ));
    out
}

/// `text` cut to `max` characters (with an ellipsis when cut).
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The caption of a deposit's QRIS invoice.
pub fn deposit_invoice(
    reference: &str,
    amount: i64,
    fee: i64,
    total_payment: i64,
    expires: &str,
) -> String {
    format!(
        "🧾 Deposit Saldo {reference}\n\nNominal: {}\nBiaya Layanan: {}\nTotal Bayar: {}\n\n\
         ⏰ Bayar sebelum {expires}\n\
         Scan QRIS di atas dengan e-wallet atau m-banking. Saldo bertambah otomatis setelah pembayaran diterima.",
        rupiah(amount),
        rupiah(fee),
        rupiah(total_payment),
    )
}

/// *Cek Status* answers.
pub const STATUS_PENDING: &str =
    "⏳ Pembayaran belum diterima. Silakan selesaikan pembayaran lalu cek lagi.";
pub const STATUS_PAID: &str = "✅ Pembayaran diterima! Pesanan Anda sedang diproses.";
pub const STATUS_EXPIRED: &str = "⌛ Tagihan sudah kedaluwarsa.";
pub const STATUS_CANCELLED: &str = "❌ Tagihan sudah dibatalkan.";
pub const STATUS_UNAVAILABLE: &str =
    "Status belum bisa dicek karena gangguan gateway. Coba lagi sebentar lagi.";

/// After *Batalkan* on an invoice.
pub const PAYMENT_CANCELLED: &str = "❌ Tagihan dibatalkan. Stok dikembalikan.";
/// *Batalkan* on an invoice that is no longer open.
pub const PAYMENT_NOT_OPEN: &str =
    "Tagihan ini sudah tidak aktif (sudah dibayar, dibatalkan, atau kedaluwarsa).";

// ---------------------------------------------------------------------------------------------
// Pesanan Saya
// ---------------------------------------------------------------------------------------------

/// An order status as customers read it.
pub fn order_status(status: &str) -> &'static str {
    match status {
        "pending" => "⏳ Menunggu pembayaran",
        "paid" => "✅ Dibayar",
        "delivered" => "✅ Terkirim",
        "cancelled" => "❌ Dibatalkan",
        "expired" => "⌛ Kedaluwarsa",
        _ => "❔ Tidak diketahui",
    }
}

/// How an order was paid.
pub fn pay_method(method: &str) -> &'static str {
    match method {
        "qris" => "QRIS",
        "balance" => "Saldo",
        _ => "Lainnya",
    }
}

/// *Pesanan Saya* header.
pub fn orders_header(page: u32, pages: u32, total: i64) -> String {
    format!(
        "📋 Pesanan Saya ({total} pesanan, halaman {}/{})\n",
        page + 1,
        pages.max(1)
    )
}

/// One order in the list.
pub fn orders_entry(
    invoice_no: &str,
    status: &str,
    when: &str,
    total: i64,
    method: &str,
) -> String {
    format!(
        "\n{invoice_no}\n    {} · {} · {} · {when}",
        order_status(status),
        rupiah(total),
        pay_method(method)
    )
}

/// No orders yet.
pub const ORDERS_EMPTY: &str = "📋 Anda belum punya pesanan.";

/// Under the order list.
pub const ORDERS_FOOTER: &str = "\n\nTekan nomor invoice untuk melihat detail.";

/// One order's page (`total` includes the fee).
#[allow(clippy::too_many_arguments)]
pub fn order_detail(
    invoice_no: &str,
    status: &str,
    method: &str,
    created: &str,
    paid: Option<&str>,
    lines: &[(String, i32, i64)],
    subtotal: i64,
    discount: i64,
    fee: i64,
    total: i64,
) -> String {
    let mut out = format!(
        "📄 Pesanan {invoice_no}\nStatus: {}\nMetode: {}\nDibuat: {created}",
        order_status(status),
        pay_method(method)
    );
    if let Some(paid) = paid {
        out.push_str(&format!("\nDibayar: {paid}"));
    }
    out.push('\n');
    for (name, quantity, unit_price) in lines {
        out.push_str(&format!(
            "\n• {name} × {quantity} @ {}",
            rupiah(*unit_price)
        ));
    }
    out.push_str(&format!(
        "\n\nSubtotal: {}\nDiskon: -{}\nBiaya Layanan: {}\nTotal: {}",
        rupiah(subtotal),
        rupiah(discount),
        rupiah(fee),
        rupiah(total)
    ));
    out
}

/// The header of re-sent items.
pub fn resend_header(invoice_no: &str) -> String {
    format!("📦 Kirim ulang pesanan {invoice_no}\n\nBerikut produk Anda:")
}

/// *Kirim Ulang* on an order that has no items to send.
pub const RESEND_NOTHING: &str = "Pesanan ini belum dibayar, jadi belum ada produk untuk dikirim.";

/// An item that could not be decrypted.
pub const RESEND_FAILED: &str = "Maaf, data produk tidak dapat dibaca. Silakan hubungi penjual dengan menyebutkan nomor pesanan.";

/// Toast after *Kirim Ulang*.
pub const RESENT: &str = "Produk dikirim ulang.";

// ---------------------------------------------------------------------------------------------
// Deposit
// ---------------------------------------------------------------------------------------------

/// The deposit menu.
pub fn deposit_menu(balance: i64, minimum: i64, maximum: i64) -> String {
    format!(
        "💰 Deposit Saldo\n\nSaldo Anda: {}\n\nPilih nominal deposit, atau tekan Nominal Lain \
         (minimal {}, maksimal {}). Pembayaran dengan QRIS.",
        rupiah(balance),
        rupiah(minimum),
        rupiah(maximum)
    )
}

/// The seller's manual-transfer instructions under the deposit menu.
pub fn deposit_manual_block(instructions: &str) -> String {
    format!("\n\n🏦 Transfer manual:\n{instructions}")
}

/// The Deposit screen of a store without QRIS whose seller wrote manual-transfer instructions.
pub fn deposit_manual_only(balance: i64, instructions: &str) -> String {
    format!(
        "💰 Deposit Saldo\n\nSaldo Anda: {}{}",
        rupiah(balance),
        deposit_manual_block(instructions)
    )
}

/// Asking for a deposit amount.
pub fn deposit_prompt(minimum: i64, maximum: i64) -> String {
    format!(
        "Ketik nominal deposit dalam Rupiah, misalnya 15000 (minimal {}, maksimal {}):",
        rupiah(minimum),
        rupiah(maximum)
    )
}

/// An amount that is not a number.
pub const DEPOSIT_NOT_A_NUMBER: &str =
    "Nominal harus berupa angka, misalnya 15000 atau 15.000. Ketik lagi atau tekan Batal.";

/// Below the minimum.
pub fn deposit_too_small(minimum: i64) -> String {
    format!(
        "Minimal deposit {}. Ketik nominal lain atau tekan Batal.",
        rupiah(minimum)
    )
}

/// Above the maximum.
pub fn deposit_too_large(maximum: i64) -> String {
    format!(
        "Maksimal deposit {}. Ketik nominal lain atau tekan Batal.",
        rupiah(maximum)
    )
}

// ---------------------------------------------------------------------------------------------
// Informasi
// ---------------------------------------------------------------------------------------------

/// The account page.
pub fn account(
    name: &str,
    customer_id: i64,
    balance: i64,
    verified: bool,
    whatsapp: Option<&str>,
    last_order: Option<&str>,
) -> String {
    format!(
        "👤 Informasi Akun\n\nNama: {name}\nID Pelanggan: {customer_id}\nSaldo: {}\nStatus: {}\n\
         WhatsApp: {}\nTransaksi terakhir: {}\n\nButuh bantuan? Hubungi penjual lewat tombol di bawah.",
        rupiah(balance),
        if verified {
            "✅ Terverifikasi"
        } else {
            "Belum terverifikasi"
        },
        whatsapp.unwrap_or("belum diisi"),
        last_order.unwrap_or("belum ada"),
    )
}

/// The last transaction on the account page.
pub fn last_order(invoice_no: &str, status: &str, total: i64, when: &str) -> String {
    format!(
        "{invoice_no} ({}, {}, {when})",
        order_status(status),
        rupiah(total)
    )
}

/// Asking for a display name.
pub const NAME_PROMPT: &str = "Ketik nama tampilan baru (3–32 karakter):";
/// A display name out of bounds.
pub const NAME_INVALID: &str =
    "Nama harus 3–32 karakter, satu baris, tanpa karakter khusus. Ketik lagi atau tekan Batal.";
/// Display name saved.
pub fn name_saved(name: &str) -> String {
    format!("✅ Nama tampilan diubah menjadi {name}.")
}

/// Asking for a WhatsApp number.
pub const WHATSAPP_PROMPT: &str = "Ketik nomor WhatsApp Anda (9–15 angka, misalnya 081234567890):";
/// A WhatsApp number out of bounds.
pub const WHATSAPP_INVALID: &str =
    "Nomor WhatsApp harus 9–15 angka (boleh diawali +). Ketik lagi atau tekan Batal.";
/// WhatsApp saved.
pub fn whatsapp_saved(masked: &str) -> String {
    format!("✅ Nomor WhatsApp disimpan: {masked}.")
}

// ---------------------------------------------------------------------------------------------
// Cara Order
// ---------------------------------------------------------------------------------------------

/// The built-in *Cara Order*.
pub fn how_to_order(name: &str, store_name: &str) -> String {
    format!(
        "📖 Cara Order di {store_name}\n\n\
         Halo {name}, begini cara belanja:\n\
         1. Tekan Semua Produk, lalu pilih produk (tekan tombolnya atau ketik nomornya).\n\
         2. Pilih jumlah untuk memasukkannya ke keranjang.\n\
         3. Buka keranjang, pakai voucher bila ada, lalu tekan Lanjut ke Pembayaran.\n\
         4. Bayar dengan QRIS (scan kode QR) atau dengan Saldo.\n\
         5. Setelah pembayaran diterima, produk dikirim otomatis ke chat ini.\n\n\
         Isi saldo lewat menu Deposit, dan lihat riwayat di Pesanan Saya (produk bisa dikirim ulang)."
    )
}

/// Fills `{nama}` and `{store_name}` in a seller's template.
pub fn fill_template(template: &str, name: &str, store_name: &str) -> String {
    template
        .replace("{nama}", name)
        .replace("{store_name}", store_name)
}

/// An invoice message whose payment ended (deleted, or edited to this when it cannot be).
pub fn invoice_gone(gateway_order_id: &str) -> String {
    format!("❌ Tagihan {gateway_order_id} sudah tidak berlaku.")
}

/// While the QRIS is being made (the invoice follows as a photo).
pub const QRIS_CREATING: &str = "⏳ Membuat kode QRIS…";

/// An update whose handling failed for good (the bot crashed on it repeatedly).
pub const UPDATE_GIVEN_UP: &str =
    "⚠️ Maaf, permintaan Anda tidak dapat diproses. Silakan coba lagi atau ketik /start.";
// ---------------------------------------------------------------------------------------------
// Money integrity (issue 10): refunds, reviews, refused cancels, manual payments, Bayar di
// Pakasir
// ---------------------------------------------------------------------------------------------

/// The invoice's link to Pakasir's hosted payment page.
pub const BTN_PAY_ON_PAKASIR: &str = "💳 Bayar di Pakasir";
/// *Cek Status*: paid, but the order could not take it; the money is in the balance.
pub const STATUS_REFUNDED: &str =
    "ℹ️ Pembayaran diterima, tetapi pesanan sudah tidak berlaku. Dana dikembalikan ke saldo Anda.";
/// *Cek Status* / *Batalkan*: the gateway answered inconsistently; a person looks at it.
pub const STATUS_UNDER_REVIEW: &str = "🔎 Pembayaran ini sedang ditinjau admin. Anda akan dihubungi; \
    mohon jangan membayar ulang.";
/// *Batalkan* refused: the gateway cannot say whether it was paid.
pub const CANCEL_UNCONFIRMED: &str = "⚠️ Tagihan belum bisa dibatalkan karena status pembayaran \
    belum bisa dipastikan. Silakan coba lagi sebentar lagi.";
/// *Batalkan*: it was paid meanwhile.
pub const CANCEL_ALREADY_PAID: &str =
    "✅ Pembayaran ternyata sudah diterima, jadi tagihan tidak dibatalkan. Pesanan Anda diproses.";
/// The order was closed while its QR was being made: nothing to pay.
pub const QR_CLOSED_MEANWHILE: &str = "❌ Pesanan ini sudah ditutup saat kode QR dibuat, jadi \
    tagihannya dibatalkan. Tidak ada yang perlu dibayar; silakan pesan lagi bila masih berminat.";

/// Buyer: a paid payment its order could not take (why), refunded to the balance.
pub fn payment_refunded(reference: &str, amount: &str, why: RefundWhy) -> String {
    let because = match why {
        RefundWhy::StockGone => "tagihan sudah kedaluwarsa dan stok sudah habis",
        RefundWhy::VoucherUsedUp => "tagihan sudah kedaluwarsa dan kuota voucher sudah habis",
        RefundWhy::AlreadyPaid => "pesanan ini sudah dibayar dengan cara lain",
    };
    format!(
        "ℹ️ Pembayaran {reference} diterima, tetapi {because}. Dana {amount} dikembalikan ke saldo Anda."
    )
}

/// Why a payment went to the balance (for the texts).
pub use autoorder_schema::queries::shop::payments::RefundReason as RefundWhy;

/// Owners: a payment waits for review.
pub fn payment_under_review(reference: &str, amount: &str, buyer_id: i64, reason: &str) -> String {
    format!(
        "🔎 Pembayaran {reference} ({amount}, pelanggan {buyer_id}) perlu ditinjau: {reason}. \
         Tidak ada yang dikirim; stok dilepas saat kedaluwarsa. Selesaikan manual bila dana memang masuk."
    )
}

/// Owners: a seller marked something paid by hand.
pub fn manual_payment(reference: &str, admin_id: i64, amount: &str, note: &str) -> String {
    format!(
        "✍️ {reference} ditandai lunas manual oleh admin {admin_id} ({amount}). Catatan: {note}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_their_placeholders() {
        assert_eq!(
            fill_template("Hai {nama}, ini {store_name}. {nama}!", "Budi", "Toko"),
            "Hai Budi, ini Toko. Budi!"
        );
    }

    #[test]
    fn invoice_captions_fit_a_photo_caption() {
        let lines: Vec<(String, i32)> = (0..20)
            .map(|i| ("N".repeat(128) + &i.to_string(), 10))
            .collect();
        let caption = order_invoice(
            "INV-20261121-ABCDEF",
            &lines,
            9_999_999_999,
            9_999_999,
            99_999_999,
            9_999_999_999,
            "21/11/2026 13:05 WIB",
        );
        assert!(
            caption.chars().count() <= 1024,
            "{}",
            caption.chars().count()
        );
        assert!(caption.contains("dan 15 produk lain"), "{caption}");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
    }

    #[test]
    fn money_in_texts_is_rupiah() {
        let t = payment_choice(60_000, 6_000, Some(688), 0);
        assert!(t.contains("Subtotal: Rp 60.000"), "{t}");
        assert!(t.contains("Diskon: -Rp 6.000"), "{t}");
        assert!(t.contains("Biaya Layanan: Rp 688"), "{t}");
        assert!(t.contains("Total: Rp 54.688"), "{t}");
        assert!(t.contains("Total: Rp 54.000"), "{t}");
        let short = insufficient_balance(10_000, 30_000, true);
        assert!(short.contains("Kurang: Rp 20.000"), "{short}");
        assert!(short.contains("QRIS"), "{short}");
        // With QRIS off, only what the store can take is shown.
        let no_qris = payment_choice(60_000, 6_000, None, 0);
        assert!(!no_qris.contains("QRIS"), "{no_qris}");
        assert!(no_qris.contains("Total: Rp 54.000"), "{no_qris}");
        assert!(!insufficient_balance(10_000, 30_000, false).contains("QRIS"));
    }
}
