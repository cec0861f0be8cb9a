//! The customer shop end to end: the real binary against the Telegram and Pakasir doubles,
//! driven only by what a customer can do (typing menu texts, tapping buttons) and by what the
//! gateway does (a payment completes and its webhook fires).

mod support;

use std::time::{Duration, Instant};

use autoorder_actors::bot::texts;
use autoorder_actors::format::{local_time, rupiah};
use autoorder_doubles::pakasir::{Endpoint, Failure};
use autoorder_doubles::{Call, PakasirDouble, TelegramDouble};
use autoorder_schema::both_backends;
use autoorder_schema::db::Backend;
use autoorder_schema::testing::execute;
use support::{
    ADMIN_ID, Bot, Store, eventually, find_button, message_of, press, press_data, runtime, say,
    text_of,
};

const WAIT: Duration = Duration::from_secs(15);
const PAKASIR_SECRET: &str = "pakasir-path-secret-42";
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/conf/catalog.example.toml");

/// A running store with the example catalog, QRIS through the Pakasir double.
struct Shop {
    telegram: TelegramDouble,
    pakasir: PakasirDouble,
    store: Store,
    bot: Bot,
}

impl Shop {
    /// Opens a store. Tests click faster than people, so most `lift_spam_limit`; the anti-spam
    /// tests keep the production limit (5 actions per 5 s, a burst of 10).
    fn open(backend: Backend, lift_spam_limit: bool) -> Shop {
        Shop::open_with(backend, lift_spam_limit, None)
    }

    fn open_with(backend: Backend, lift_spam_limit: bool, extra_catalog: Option<&str>) -> Shop {
        Shop::open_full(backend, lift_spam_limit, extra_catalog, &[])
    }

    /// The production spam limit with extra settings.
    fn open_env(backend: Backend, env: &[(&str, &str)]) -> Shop {
        Shop::open_full(backend, false, None, env)
    }

    fn open_full(
        backend: Backend,
        lift_spam_limit: bool,
        extra_catalog: Option<&str>,
        env: &[(&str, &str)],
    ) -> Shop {
        let telegram = TelegramDouble::start();
        let pakasir = PakasirDouble::start();
        let mut store = Store::new(backend, &telegram);
        store.set("PAKASIR_PROJECT_SLUG", &pakasir.project());
        store.set("PAKASIR_API_KEY", &pakasir.api_key());
        store.set("PAKASIR_WEBHOOK_SECRET", PAKASIR_SECRET);
        store.set("PAKASIR_BASE_URL", &pakasir.base_url());
        if lift_spam_limit {
            store.set("SPAM_MAX_ACTIONS", "10000");
        }
        for (name, value) in env {
            store.set(name, value);
        }
        import(&store, EXAMPLE);
        if let Some(toml) = extra_catalog {
            let path = store.dir.path().join("extra.toml");
            std::fs::write(&path, toml).expect("extra catalog");
            import(&store, &path.display().to_string());
        }
        let bot = store.start();
        pakasir.set_webhook_url(format!("{}/webhooks/pakasir/{PAKASIR_SECRET}", bot.base));
        Shop {
            telegram,
            pakasir,
            store,
            bot,
        }
    }

    /// SIGTERM, then a fresh process on the same store.
    fn restart(&mut self) {
        let status = self.bot.sigterm(Duration::from_secs(30));
        assert!(status.success(), "exit after SIGTERM: {status:?}");
        self.bot = self.store.start();
        self.pakasir.set_webhook_url(format!(
            "{}/webhooks/pakasir/{PAKASIR_SECRET}",
            self.bot.base
        ));
    }

    /// Waits until every stored update is handled and every reply sent (the outbox empty).
    fn settle(&self) {
        support::settle(&self.store, WAIT);
    }

    fn conn(&self) -> autoorder_schema::PooledConn {
        autoorder_schema::checkout(&self.store.pool()).expect("db")
    }

    fn balance(&self, user: i64) -> (i64, i64) {
        use autoorder_schema::queries::shop::balance::{balance_of, ledger_sum};
        let mut c = self.conn();
        (
            balance_of(&mut c, user).unwrap(),
            ledger_sum(&mut c, user).unwrap(),
        )
    }

    /// Available items of the product with `code`.
    fn available(&self, code: &str) -> i64 {
        autoorder_schema::queries::shop::products::stock_table(&mut self.conn())
            .unwrap()
            .into_iter()
            .find(|l| l.code == code)
            .unwrap_or_else(|| panic!("no product {code}"))
            .stock
    }

    /// The only gateway transaction for `amount`.
    fn transaction(&self, amount: i64) -> autoorder_doubles::pakasir::Transaction {
        let found: Vec<_> = self
            .pakasir
            .transactions()
            .into_iter()
            .filter(|t| t.amount == amount)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "transactions: {:?}",
            self.pakasir.transactions()
        );
        found.into_iter().next().unwrap()
    }

    /// Waits for a message to `chat` (sent, or edited into an existing message) at or after
    /// `since` whose text or caption contains every needle.
    async fn expect(&self, chat: i64, since: Instant, needles: &[&str]) -> Call {
        let found = support::wait_for_text(&self.telegram, chat, since, needles, WAIT).await;
        found.unwrap_or_else(|| {
            panic!(
                "no message to {chat} with {needles:?}; recent texts: {:#?}\ntoasts: {:?}\nlogs:\n{}",
                recent_texts(&self.telegram, chat),
                self.telegram
                    .calls_to("answerCallbackQuery")
                    .iter()
                    .map(|c| c.param_str("text"))
                    .collect::<Vec<_>>(),
                bot_log(&self.store)
            )
        })
    }

    /// Waits for the answer to a button press (a toast) containing `needle`.
    async fn expect_toast(&self, since: Instant, needle: &str) -> Call {
        self.telegram
            .wait_for(
                "answerCallbackQuery",
                |c| c.at >= since && c.param_str("text").is_some_and(|t| t.contains(needle)),
                WAIT,
            )
            .await
            .unwrap_or_else(|| {
                panic!(
                    "no toast with {needle:?}; answers: {:?}",
                    self.telegram
                        .calls_to("answerCallbackQuery")
                        .iter()
                        .map(|c| c.param_str("text"))
                        .collect::<Vec<_>>()
                )
            })
    }

    /// Taps a button and waits for the message it leads to.
    async fn tap(&self, chat: i64, label: &str, needles: &[&str]) -> Call {
        let since = Instant::now();
        press(&self.telegram, chat, label);
        self.expect(chat, since, needles).await
    }

    /// Types a text and waits for the reply.
    async fn type_text(&self, chat: i64, text: &str, needles: &[&str]) -> Call {
        let since = Instant::now();
        say(&self.telegram, chat, text);
        self.expect(chat, since, needles).await
    }

    /// The sends to `chat` whose text contains `needle`, so far.
    fn count_sent(&self, chat: i64, needle: &str) -> usize {
        self.telegram
            .calls_to("sendMessage")
            .iter()
            .filter(|c| c.ok() == Some(true))
            .filter(|c| c.param_i64("chat_id") == Some(chat) && text_of(c).contains(needle))
            .count()
    }
}

fn import(store: &Store, file: &str) {
    let out = store.cli(&["catalog", "import", file]);
    assert!(
        out.status.success(),
        "catalog import failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The bot's warnings and errors so far (for failure messages).
fn bot_log(store: &Store) -> String {
    support::read_all(&store.log_dir())
        .lines()
        .filter(|l| l.contains("[WARN]") || l.contains("[ERROR]"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn recent_texts(telegram: &TelegramDouble, chat: i64) -> Vec<String> {
    let mut texts: Vec<String> = telegram
        .calls()
        .iter()
        .filter(|c| message_of(c).is_some_and(|(ch, _)| ch == chat))
        .map(text_of)
        .collect();
    let skip = texts.len().saturating_sub(6);
    texts.drain(..skip);
    texts
}

/// `🧾 Tagihan INV-…` → `INV-…`.
fn invoice_no(caption: &str) -> String {
    caption
        .split_whitespace()
        .find(|w| w.starts_with("INV-"))
        .unwrap_or_else(|| panic!("no invoice number in {caption:?}"))
        .to_string()
}

fn jakarta(t: chrono::DateTime<chrono::Utc>) -> String {
    local_time(t.timestamp_millis(), &chrono_tz::Asia::Jakarta)
}

/// Puts `label`'s product in the cart with the preset `quantity` and opens the cart.
async fn fill_cart(shop: &Shop, chat: i64, product: &str, quantity: i32) {
    shop.type_text(chat, texts::MENU_PRODUCTS, &["Semua Produk"])
        .await;
    shop.tap(chat, product, &["📦", product]).await;
    shop.tap(chat, &texts::btn_quantity(quantity), &["ada di keranjang"])
        .await;
    shop.tap(chat, texts::BTN_VIEW_CART, &["Keranjang Anda", product])
        .await;
}

both_backends! {
    fn a_qris_purchase_through_buttons_is_delivered_once_with_its_snk(backend) {
        let shop = Shop::open(backend, true);
        let buyer = 4201;
        runtime().block_on(async {
            // /start: welcome with the store's numbers, INFORMASI / Cara Order, and the menu.
            let since = Instant::now();
            say(&shop.telegram, buyer, "/start");
            let welcome = shop.expect(buyer, since, &["Toko Uji", "Pengguna: 1", "Transaksi berhasil: 0"]).await;
            let inline = welcome.param_json("reply_markup").unwrap().to_string();
            assert!(inline.contains(texts::BTN_INFO) && inline.contains(texts::BTN_HOW_TO_ORDER), "{inline}");
            let menu = shop.expect(buyer, since, &[texts::MENU_HINT]).await;
            let keyboard = menu.param_json("reply_markup").unwrap().to_string();
            for label in ["Semua Produk", "Cek Stok", "Deposit", "Informasi", "Cara Order", "Pesanan Saya"] {
                assert!(keyboard.contains(label), "{label} missing: {keyboard}");
            }
            assert!(!keyboard.contains("Admin"), "customers get no Admin button: {keyboard}");

            // Catalog → product → 1 in the cart → cart → payment choice with the fee estimate.
            let catalog = shop.type_text(buyer, "Semua Produk", &["halaman 1/1"]).await;
            let listed = text_of(&catalog);
            assert!(listed.contains("Netflix Premium 1 Bulan") && listed.contains("Rp 30.000") && listed.contains("Stok 4"), "{listed}");
            shop.tap(buyer, "Netflix Premium 1 Bulan", &["Akun sharing 1 profil", "Harga: Rp 30.000", "Stok: 4"]).await;
            shop.tap(buyer, &texts::btn_quantity(1), &["Netflix Premium 1 Bulan × 1"]).await;
            shop.tap(buyer, texts::BTN_VIEW_CART, &["Subtotal: Rp 30.000"]).await;
            shop.tap(buyer, texts::BTN_CHECKOUT, &["Pilih Metode Pembayaran", "Biaya Layanan: Rp 520", "Total: Rp 30.520"]).await;

            // QRIS: the invoice is a photo with the gateway's own figures and expiry.
            let since = Instant::now();
            press(&shop.telegram, buyer, texts::BTN_PAY_QRIS);
            let photo = shop.telegram.wait_for("sendPhoto", |c| c.at >= since && c.param_i64("chat_id") == Some(buyer) && c.ok() == Some(true), WAIT).await.expect("an invoice photo");
            let tx = shop.transaction(30_000);
            let caption = text_of(&photo);
            for part in [
                format!("Biaya Layanan: {}", rupiah(tx.fee)),
                format!("Total Bayar: {}", rupiah(tx.total_payment)),
                format!("Bayar sebelum {}", jakarta(tx.expired_at)),
                "Subtotal: Rp 30.000".to_string(),
            ] {
                assert!(caption.contains(&part), "{part:?} not in {caption:?}");
            }
            let upload = photo.param_json("photo").expect("an uploaded photo");
            assert!(upload["size"].as_u64().unwrap_or(0) > 500, "{upload}");
            let markup = photo.param_json("reply_markup").unwrap().to_string();
            assert!(markup.contains(texts::BTN_CHECK_PAYMENT) && markup.contains(texts::BTN_CANCEL_PAYMENT), "{markup}");
            assert_eq!(shop.available("NF1M"), 3, "one item reserved");
            let invoice = invoice_no(&caption);
            let (_, invoice_message) = message_of(&photo).unwrap();

            // The customer pays: the webhook fires; the item, the SNK and the seller notice follow.
            let since = Instant::now();
            assert!(shop.pakasir.complete(&tx.order_id));
            let delivered = shop.expect(buyer, since, &["Pembayaran diterima!", &invoice]).await;
            assert!(text_of(&delivered).contains("nf.toko01@mailtoko.id:NfDemo#8831 | profil 1 | PIN 1234"), "{}", text_of(&delivered));
            shop.expect(buyer, since, &["Syarat & Ketentuan", "Kirim screenshot halaman profil"]).await;
            shop.expect(ADMIN_ID, since, &["Pesanan baru dibayar", &invoice]).await;
            let _ = invoice_message;

            // The SNK answer still works after a purchase.
            shop.tap(buyer, texts::SNK_BUTTON, &["Silakan kirim jawaban SNK"]).await;
            let since = Instant::now();
            shop.type_text(buyer, "Profil 1 sudah saya pakai", &[texts::SNK_THANKS]).await;
            shop.expect(ADMIN_ID, since, &["Jawaban SNK", "Profil 1 sudah saya pakai"]).await;

            // A replayed webhook delivers nothing more.
            assert!(shop.pakasir.fire_webhook(&tx.order_id));
            assert!(shop.pakasir.wait_for_webhook(|d| d.order_id == tx.order_id && d.accepted(), WAIT).await.is_some());
            assert!(eventually(WAIT, || {
                autoorder_schema::queries::orders::last_order(&mut shop.conn(), buyer)
                    .unwrap()
                    .is_some_and(|o| o.status == "delivered")
            }));
            shop.type_text(buyer, "Pesanan Saya", &[&invoice, "Terkirim"]).await;
        });
        assert_eq!(shop.count_sent(buyer, "Pembayaran diterima!"), 1, "delivered exactly once");
        let mut c = shop.conn();
        let deliveries = autoorder_schema::queries::jobs::jobs_of_kind(&mut c, "deliver_order").unwrap();
        assert_eq!(deliveries.len(), 1, "{deliveries:?}");
        assert_eq!(shop.available("NF1M"), 3);
    }
}

both_backends! {
    fn a_deposit_tops_up_the_balance_and_pays_an_order(backend) {
        let shop = Shop::open(backend, true);
        let buyer = 4202;
        runtime().block_on(async {
            fill_cart(&shop, buyer, "Spotify Premium 1 Bulan", 2).await;
            shop.tap(buyer, texts::BTN_CHECKOUT, &["Total: Rp 36.000"]).await;

            // No balance yet: how much is missing, and the way to top up.
            shop.tap(buyer, texts::BTN_PAY_BALANCE, &["Saldo tidak cukup", "Kurang: Rp 36.000"]).await;
            assert_eq!(shop.store.count("orders"), 0, "nothing placed");
            shop.tap(buyer, texts::BTN_DEPOSIT, &["Deposit Saldo", "Saldo Anda: Rp 0"]).await;
            shop.tap(buyer, texts::BTN_DEPOSIT_OTHER, &["Ketik nominal deposit"]).await;
            shop.type_text(buyer, "sepuluh ribu", &[texts::DEPOSIT_NOT_A_NUMBER]).await;
            shop.type_text(buyer, "5000", &["Minimal deposit Rp 10.000"]).await;
            shop.type_text(buyer, "20000000", &["Maksimal deposit Rp 10.000.000"]).await;
            assert_eq!(shop.store.count("deposits"), 0, "invalid amounts change nothing");
            let invoice = shop.type_text(buyer, "Rp 50.000", &["Deposit Saldo", "Nominal: Rp 50.000"]).await;
            assert_eq!(invoice.method, "sendPhoto");
            let tx = shop.transaction(50_000);
            assert!(text_of(&invoice).contains(&format!("Total Bayar: {}", rupiah(tx.total_payment))));

            let since = Instant::now();
            assert!(shop.pakasir.complete(&tx.order_id));
            shop.expect(buyer, since, &["Deposit Rp 50.000 berhasil masuk", "Rp 50.000"]).await;
            assert!(eventually(WAIT, || shop.balance(buyer) == (50_000, 50_000)), "balance {:?}", shop.balance(buyer));

            // The cart is still there: pay it from the balance.
            let since = Instant::now();
            press(&shop.telegram, buyer, texts::BTN_PAY_BALANCE);
            let paid = shop.expect(buyer, since, &["Pembayaran berhasil", "Sisa saldo: Rp 14.000"]).await;
            let invoice = invoice_no(&text_of(&paid));
            let delivered = shop.expect(buyer, since, &["Pembayaran diterima!", &invoice]).await;
            let items = text_of(&delivered);
            assert!(items.contains("spoti.a01@mailtoko.id:SpDemo-4410") && items.contains("spoti.a02@mailtoko.id:SpDemo-7781"), "{items}");
            shop.expect(ADMIN_ID, since, &["Pesanan baru dibayar", &invoice, "Saldo"]).await;
        });
        assert_eq!(shop.balance(buyer), (14_000, 14_000), "ledger equals balance");
        assert_eq!(shop.available("SPOT1M"), 1);
    }
}

both_backends! {
    fn a_restart_mid_flow_keeps_the_cart_and_the_pending_order(backend) {
        let mut shop = Shop::open(backend, true);
        let buyer = 4203;
        let tx = runtime().block_on(async {
            fill_cart(&shop, buyer, "Netflix Premium 1 Bulan", 1).await;
            shop.tap(buyer, texts::BTN_CHECKOUT, &["Pilih Metode Pembayaran"]).await;
            let since = Instant::now();
            press(&shop.telegram, buyer, texts::BTN_PAY_QRIS);
            shop.expect(buyer, since, &["Tagihan INV-"]).await;
            // Something else goes in the (now empty) cart before the restart.
            shop.tap(buyer, "Canva Pro 1 Bulan", &["📦 Canva Pro 1 Bulan"]).await;
            shop.tap(buyer, &texts::btn_quantity(2), &["Canva Pro 1 Bulan × 2"]).await;
            shop.transaction(30_000)
        });
        shop.restart();
        runtime().block_on(async {
            // The invoice's Cek Status still works after the restart.
            let since = Instant::now();
            press(&shop.telegram, buyer, texts::BTN_CHECK_PAYMENT);
            shop.expect_toast(since, "belum diterima").await;
            // The cart survived.
            let cart = shop.tap(buyer, texts::BTN_VIEW_CART, &["Keranjang Anda", "Canva Pro 1 Bulan"]).await;
            assert!(!text_of(&cart).contains("Netflix"), "{}", text_of(&cart));
            // Paying the old invoice still delivers.
            let since = Instant::now();
            assert!(shop.pakasir.complete(&tx.order_id));
            shop.expect(buyer, since, &["Pembayaran diterima!", "NfDemo"]).await;
        });
        assert_eq!(shop.available("NF1M"), 3);
        assert_eq!(shop.available("CANVA1B"), 3, "the cart reserves nothing");
    }
}

#[test]
fn the_catalog_pages_opens_typed_numbers_caps_quantities_and_stock_refreshes() {
    let extra = r#"
[[products]]
code = "VIDIO"
name = "Vidio Platinum 1 Bulan"
price = 25_000
stock = ["vidio-1", "vidio-2", "vidio-3", "vidio-4"]

[[products]]
code = "YT1M"
name = "YouTube Premium 1 Bulan"
price = 12_000
description = "Undangan ke YouTube Premium Family."
stock = ["yt-1", "yt-2"]

[[products]]
code = "ZOOM"
name = "Zoom Pro 1 Bulan"
price = 40_000
stock = ["zoom-1", "zoom-2", "zoom-3"]
"#;
    let shop = Shop::open_with(Backend::Sqlite, true, Some(extra));
    let buyer = 4204;
    runtime().block_on(async {
        // Typing a number before any list was shown.
        shop.type_text(buyer, "6", &[texts::NO_LIST_FOR_NUMBER])
            .await;
        let first = shop
            .type_text(buyer, "Semua Produk", &["halaman 1/2"])
            .await;
        let text = text_of(&first);
        assert!(
            text.contains("1. Canva Pro 1 Bulan") && text.contains("5. Vidio Platinum 1 Bulan"),
            "{text}"
        );
        assert!(!text.contains("YouTube"), "five per page: {text}");
        assert!(
            text.contains("Terjual 0") && text.contains("Stok 3"),
            "{text}"
        );
        let (_, catalog_message) = message_of(&first).unwrap();
        let next = shop.tap(buyer, texts::BTN_NEXT, &["halaman 2/2"]).await;
        assert_eq!(next.method, "editMessageText", "page turns edit the list");
        assert_eq!(message_of(&next).unwrap().1, catalog_message);
        let text = text_of(&next);
        assert!(
            text.contains("6. YouTube Premium 1 Bulan") && text.contains("7. Zoom Pro 1 Bulan"),
            "{text}"
        );
        // The number shown opens the product; one not shown is refused.
        shop.type_text(
            buyer,
            "6",
            &["📦 YouTube Premium 1 Bulan", "Undangan ke YouTube"],
        )
        .await;
        shop.type_text(buyer, "2", &["Nomor 2 tidak ada di daftar terakhir"])
            .await;
        // 10 of a product with 3 in stock: capped, and the customer is told.
        shop.type_text(buyer, "7", &["📦 Zoom Pro 1 Bulan", "Stok: 3"])
            .await;
        let since = Instant::now();
        press(&shop.telegram, buyer, &texts::btn_quantity(10));
        shop.expect(
            buyer,
            since,
            &["Stok Zoom Pro 1 Bulan hanya 3", "menjadi 3"],
        )
        .await;
        shop.expect_toast(since, "hanya 3").await;
        shop.tap(buyer, texts::BTN_VIEW_CART, &["3 × Rp 40.000 = Rp 120.000"])
            .await;
        // ➕ beyond the stock stays capped; ➖ lowers it.
        let since = Instant::now();
        press(&shop.telegram, buyer, &texts::btn_increase(1));
        shop.expect_toast(since, "hanya 3").await;
        shop.tap(
            buyer,
            &texts::btn_decrease(1),
            &["2 × Rp 40.000 = Rp 80.000"],
        )
        .await;

        // Cek Stok, then Refresh edits the same message with what changed.
        let stock = shop
            .type_text(
                buyer,
                "Cek Stok",
                &["Stok Produk", "Netflix Premium 1 Bulan: 4", "Per "],
            )
            .await;
        let (_, stock_message) = message_of(&stock).unwrap();
        let today = local_time(autoorder_schema::now_ms(), &chrono_tz::Asia::Jakarta);
        assert!(
            text_of(&stock).contains(&today[..10]),
            "{}",
            text_of(&stock)
        );
        execute(
            &shop.store.pool(),
            "UPDATE products SET name = 'Zoom Pro 1 Bulan (Promo)' WHERE code = 'ZOOM'",
        )
        .unwrap();
        let refreshed = shop
            .tap(buyer, texts::BTN_REFRESH, &["Zoom Pro 1 Bulan (Promo): 3"])
            .await;
        assert_eq!(refreshed.method, "editMessageText");
        assert_eq!(message_of(&refreshed).unwrap().1, stock_message);
    });
}

#[test]
fn a_voucher_discounts_the_order_and_is_used_only_once_paid() {
    use autoorder_schema::queries::shop::vouchers::{NewVoucher, create_voucher, voucher_uses};
    let shop = Shop::open(Backend::Sqlite, true);
    let voucher = create_voucher(
        &mut shop.conn(),
        &NewVoucher {
            code: "HEMAT10",
            percent: true,
            value: 10,
            max_uses: Some(5),
            valid_from: None,
            valid_until: None,
        },
    )
    .unwrap();
    let buyer = 4205;
    runtime().block_on(async {
        fill_cart(&shop, buyer, "Netflix Premium 1 Bulan", 1).await;
        shop.tap(buyer, texts::BTN_USE_VOUCHER, &[texts::VOUCHER_PROMPT])
            .await;
        shop.type_text(
            buyer,
            "SALAH",
            &["Voucher SALAH tidak dapat dipakai", "kode tidak ditemukan"],
        )
        .await;
        shop.type_text(buyer, "ada spasi", &[texts::VOUCHER_MALFORMED])
            .await;
        let since = Instant::now();
        say(&shop.telegram, buyer, " hemat10 ");
        shop.expect(
            buyer,
            since,
            &["Voucher HEMAT10 dipakai: potongan Rp 3.000"],
        )
        .await;
        shop.expect(
            buyer,
            since,
            &[
                "Keranjang Anda",
                "Voucher HEMAT10: -Rp 3.000",
                "Total: Rp 27.000",
            ],
        )
        .await;
        shop.tap(
            buyer,
            texts::BTN_CHECKOUT,
            &["Diskon: -Rp 3.000", "Biaya Layanan: Rp 499 (perkiraan)"],
        )
        .await;
        let since = Instant::now();
        press(&shop.telegram, buyer, texts::BTN_PAY_QRIS);
        let invoice = shop
            .expect(
                buyer,
                since,
                &["Tagihan INV-", "Subtotal: Rp 30.000", "Diskon: -Rp 3.000"],
            )
            .await;
        let tx = shop.transaction(27_000);
        assert!(text_of(&invoice).contains(&format!("Total Bayar: {}", rupiah(tx.total_payment))));
        assert_eq!(
            voucher_uses(&mut shop.conn(), voucher).unwrap(),
            0,
            "not used before payment"
        );
        let since = Instant::now();
        assert!(shop.pakasir.complete(&tx.order_id));
        shop.expect(buyer, since, &["Pembayaran diterima!"]).await;
    });
    assert!(eventually(WAIT, || voucher_uses(&mut shop.conn(), voucher)
        .unwrap()
        == 1));
}

#[test]
fn an_empty_cart_cannot_be_checked_out() {
    let shop = Shop::open(Backend::Sqlite, true);
    let buyer = 4206;
    runtime().block_on(async {
        // A cart never filled.
        let since = Instant::now();
        say(&shop.telegram, buyer, "/start");
        shop.expect(buyer, since, &[texts::MENU_HINT]).await;
        let (welcome, _) = find_button(&shop.telegram, buyer, texts::BTN_INFO).unwrap();
        let since = Instant::now();
        press_data(&shop.telegram, buyer, welcome, "chk");
        shop.expect_toast(since, "kosong").await;

        // A cart emptied with Batal: its old message cannot check out either.
        fill_cart(&shop, buyer, "Canva Pro 1 Bulan", 1).await;
        let (cart_message, _) = find_button(&shop.telegram, buyer, texts::BTN_CHECKOUT).unwrap();
        shop.tap(buyer, texts::BTN_CLEAR_CART, &[texts::CART_CLEARED])
            .await;
        assert!(
            find_button(&shop.telegram, buyer, texts::BTN_CHECKOUT).is_none(),
            "no checkout button on an empty cart"
        );
        let since = Instant::now();
        press_data(&shop.telegram, buyer, cart_message, "chk");
        shop.expect_toast(since, "kosong").await;
        let since = Instant::now();
        press_data(&shop.telegram, buyer, cart_message, "payq");
        shop.expect(buyer, since, &[texts::CHECKOUT_EMPTY]).await;
        shop.tap(buyer, texts::BTN_CONTINUE_SHOPPING, &["Semua Produk"])
            .await;
    });
    assert_eq!(shop.store.count("orders"), 0);
    assert_eq!(shop.store.count("payments"), 0);
    assert!(shop.pakasir.transactions().is_empty());
}

#[test]
fn order_history_resends_paid_items_and_refuses_other_peoples_buttons() {
    use autoorder_schema::queries::shop::balance::adjust_balance;
    let shop = Shop::open(Backend::Sqlite, true);
    let (buyer, stranger) = (4207, 4208);
    support::add_users(&shop.store.pool(), [buyer, stranger]);
    adjust_balance(&mut shop.conn(), buyer, 100_000, ADMIN_ID, "test top-up")
        .unwrap()
        .unwrap();
    runtime().block_on(async {
        shop.type_text(buyer, "Pesanan Saya", &[texts::ORDERS_EMPTY])
            .await;
        fill_cart(&shop, buyer, "Mobile Legends 86 Diamond", 2).await;
        shop.tap(buyer, texts::BTN_CHECKOUT, &["Pilih Metode Pembayaran"])
            .await;
        let since = Instant::now();
        press(&shop.telegram, buyer, texts::BTN_PAY_BALANCE);
        let paid = shop.expect(buyer, since, &["Pembayaran berhasil"]).await;
        let invoice = invoice_no(&text_of(&paid));
        shop.expect(
            buyer,
            since,
            &["Pembayaran diterima!", "MLBB-86D-7Q4K-2NXP"],
        )
        .await;

        assert!(eventually(WAIT, || {
            autoorder_schema::queries::orders::last_order(&mut shop.conn(), buyer)
                .unwrap()
                .is_some_and(|o| o.status == "delivered")
        }));
        shop.type_text(
            buyer,
            "Pesanan Saya",
            &["Pesanan Saya (1 pesanan", &invoice, "Terkirim", "Saldo"],
        )
        .await;
        shop.tap(
            buyer,
            &texts::btn_order(&invoice),
            &[
                "Pesanan",
                &invoice,
                "Mobile Legends 86 Diamond × 2",
                "Total: Rp 44.000",
            ],
        )
        .await;
        let (detail, resend) = find_button(&shop.telegram, buyer, texts::BTN_RESEND).unwrap();
        let resent = shop
            .tap(buyer, texts::BTN_RESEND, &["Kirim ulang pesanan", &invoice])
            .await;
        let items = text_of(&resent);
        assert!(
            items.contains("MLBB-86D-7Q4K-2NXP") && items.contains("MLBB-86D-H8TR-51CW"),
            "{items}"
        );

        // Someone else pressing the same button, and a button the bot never wrote.
        let since = Instant::now();
        support::say(&shop.telegram, stranger, "/start");
        shop.expect(stranger, since, &["Toko Uji"]).await;
        let since = Instant::now();
        press_data(&shop.telegram, stranger, detail, &resend);
        shop.expect_toast(since, texts::STALE_BUTTON).await;
        let since = Instant::now();
        press_data(&shop.telegram, stranger, detail, "ord:999999");
        shop.expect_toast(since, texts::STALE_BUTTON).await;
        let since = Instant::now();
        press_data(&shop.telegram, buyer, detail, "beli:semua");
        shop.expect_toast(since, texts::STALE_BUTTON).await;
        assert_eq!(
            shop.count_sent(stranger, "MLBB"),
            0,
            "nothing leaked to a stranger"
        );
    });
}

#[test]
fn information_cara_order_and_the_welcome_use_the_sellers_texts() {
    use autoorder_schema::queries::shop::templates::{
        HOW_TO_ORDER, Template, WELCOME, set_template,
    };
    use autoorder_schema::queries::users::{user_profile, whatsapp_aad};
    let shop = Shop::open(Backend::Sqlite, true);
    {
        let mut c = shop.conn();
        set_template(
            &mut c,
            WELCOME,
            &Template {
                body: "Hai {nama}, selamat belanja di {store_name}!".into(),
                photo: None,
            },
            Some(ADMIN_ID),
        )
        .unwrap();
        set_template(
            &mut c,
            HOW_TO_ORDER,
            &Template {
                body: "Cara order di {store_name} untuk {nama}".into(),
                photo: Some("AgACAgQAAxkBAAIBcara".into()),
            },
            Some(ADMIN_ID),
        )
        .unwrap();
    }
    let buyer = 4209;
    runtime().block_on(async {
        shop.type_text(
            buyer,
            "/start",
            &["Hai Budi, selamat belanja di Toko Uji!", "Pengguna: 1"],
        )
        .await;
        let since = Instant::now();
        say(&shop.telegram, buyer, "Cara Order");
        let photo = shop
            .telegram
            .wait_for(
                "sendPhoto",
                |c| c.at >= since && c.param_i64("chat_id") == Some(buyer),
                WAIT,
            )
            .await
            .expect("Cara Order photo");
        assert_eq!(
            photo.param_str("photo").as_deref(),
            Some("AgACAgQAAxkBAAIBcara")
        );
        assert_eq!(text_of(&photo), "Cara order di Toko Uji untuk Budi");

        let info = shop
            .type_text(
                buyer,
                "Informasi",
                &[
                    "Informasi Akun",
                    "ID Pelanggan: 4209",
                    "Saldo: Rp 0",
                    "Belum terverifikasi",
                    "WhatsApp: belum diisi",
                    "Transaksi terakhir: belum ada",
                ],
            )
            .await;
        let markup = info.param_json("reply_markup").unwrap().to_string();
        assert!(
            markup.contains(&format!("tg://user?id={ADMIN_ID}")),
            "{markup}"
        );

        shop.tap(buyer, texts::BTN_EDIT_NAME, &[texts::NAME_PROMPT])
            .await;
        shop.type_text(buyer, "Bo", &[texts::NAME_INVALID]).await;
        shop.type_text(
            buyer,
            "Budi Keren",
            &["Nama tampilan diubah menjadi Budi Keren"],
        )
        .await;
        shop.tap(buyer, texts::BTN_EDIT_WHATSAPP, &[texts::WHATSAPP_PROMPT])
            .await;
        shop.type_text(buyer, "0812-abc", &[texts::WHATSAPP_INVALID])
            .await;
        shop.type_text(
            buyer,
            "+62 812-3456-7890",
            &["Nomor WhatsApp disimpan: 6281******890"],
        )
        .await;
        shop.type_text(
            buyer,
            "Informasi",
            &["Nama: Budi Keren", "WhatsApp: 6281******890"],
        )
        .await;
        // The welcome now greets by the chosen name.
        shop.type_text(buyer, "/start", &["Hai Budi Keren"]).await;

        // Sellers see the Admin button, which opens the admin menu; customers get no menu.
        let since = Instant::now();
        say(&shop.telegram, ADMIN_ID, "/start");
        let menu = shop.expect(ADMIN_ID, since, &[texts::MENU_HINT]).await;
        assert!(
            menu.param_json("reply_markup")
                .unwrap()
                .to_string()
                .contains("Admin")
        );
        shop.type_text(ADMIN_ID, "Admin", &["⚙️ Menu Admin — Toko Uji", "pengguna"])
            .await;
        shop.type_text(buyer, "Admin", &[texts::UNKNOWN_INPUT])
            .await;
    });
    let profile = user_profile(&mut shop.conn(), buyer).unwrap().unwrap();
    assert_eq!(profile.display_name.as_deref(), Some("Budi Keren"));
    let sealed = profile.whatsapp_enc.expect("stored");
    assert!(
        !String::from_utf8_lossy(&sealed).contains("6281234567890"),
        "stored encrypted"
    );
    let key: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&support::DATA_KEY_HEX[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let keys = autoorder_schema::crypto::DataKeys::new(vec![(
        "t1".into(),
        autoorder_schema::secret::Secret::new(key.try_into().unwrap()),
    )])
    .unwrap();
    assert_eq!(
        keys.decrypt_str(&sealed, &whatsapp_aad(buyer)).unwrap(),
        "6281234567890"
    );
}

#[test]
fn a_gateway_outage_is_explained_and_batalkan_releases_the_stock() {
    let shop = Shop::open(Backend::Sqlite, true);
    shop.pakasir
        .fail(Endpoint::Create, Failure::Status(503), None);
    shop.pakasir
        .fail(Endpoint::Detail, Failure::Status(503), None);
    let buyer = 4210;
    runtime().block_on(async {
        fill_cart(&shop, buyer, "Canva Pro 1 Bulan", 1).await;
        shop.tap(buyer, texts::BTN_CHECKOUT, &["Pilih Metode Pembayaran"])
            .await;
        shop.tap(
            buyer,
            texts::BTN_PAY_QRIS,
            &["layanan pembayaran QRIS sedang gangguan"],
        )
        .await;
        assert!(
            eventually(WAIT, || shop.available("CANVA1B") == 3),
            "stock released"
        );
        assert!(shop.telegram.calls_to("sendPhoto").is_empty(), "no invoice");

        // The gateway is back: a new invoice, then Batalkan.
        shop.pakasir.clear_failures();
        fill_cart(&shop, buyer, "Canva Pro 1 Bulan", 1).await;
        shop.tap(buyer, texts::BTN_CHECKOUT, &["Pilih Metode Pembayaran"])
            .await;
        let since = Instant::now();
        press(&shop.telegram, buyer, texts::BTN_PAY_QRIS);
        let photo = shop.expect(buyer, since, &["Tagihan INV-"]).await;
        let (_, invoice_message) = message_of(&photo).unwrap();
        assert_eq!(shop.available("CANVA1B"), 2);
        let since = Instant::now();
        press(&shop.telegram, buyer, texts::BTN_CANCEL_PAYMENT);
        shop.expect_toast(since, "Tagihan dibatalkan").await;
        shop.expect(buyer, since, &[texts::PAYMENT_CANCELLED]).await;
        assert!(
            shop.telegram
                .wait_for(
                    "deleteMessage",
                    |c| c.param_i64("message_id") == Some(invoice_message),
                    WAIT
                )
                .await
                .is_some(),
            "the invoice is cleaned up"
        );
        // Its buttons are dead now.
        let since = Instant::now();
        let markup =
            serde_json::json!({ "reply_markup": photo.param_json("reply_markup").unwrap() });
        let (_, cancel) = support::inline_buttons(&markup)
            .into_iter()
            .find(|(text, _)| text == texts::BTN_CANCEL_PAYMENT)
            .expect("a Batalkan button on the invoice");
        press_data(&shop.telegram, buyer, invoice_message, &cancel);
        let answer = shop
            .telegram
            .wait_for("answerCallbackQuery", |c| c.at >= since, WAIT)
            .await
            .unwrap();
        assert_eq!(
            answer.param_str("text").as_deref(),
            Some(texts::PAYMENT_NOT_OPEN)
        );
    });
    assert_eq!(shop.available("CANVA1B"), 3, "stock released again");
    let tx = shop.transaction(15_000);
    assert_eq!(
        tx.status,
        autoorder_doubles::pakasir::TxState::Cancelled,
        "cancelled at the gateway"
    );
}

#[test]
fn spam_is_dropped_visibly_the_customer_warned_once_and_sellers_told_once() {
    // The production limit (5 per 5 s sustained, a burst of 10), but a long window so no
    // token comes back while the burst is handled: exactly the burst gets through.
    let shop = Shop::open_env(Backend::Sqlite, &[("SPAM_WINDOW_SECONDS", "600")]);
    let spammer = 4211;
    runtime().block_on(async {
        let since = Instant::now();
        for _ in 0..25 {
            say(&shop.telegram, spammer, "Cek Stok");
        }
        shop.expect(spammer, since, &[texts::SPAM_WARNING]).await;
        shop.expect(ADMIN_ID, since, &["Spam terdeteksi", "4211"])
            .await;
        // A dropped press is answered visibly.
        let press_at = Instant::now();
        press_data(&shop.telegram, spammer, 1, "stk");
        shop.expect_toast(press_at, texts::SPAM_WARNING).await;
    });
    shop.settle();
    let (_, done, _) = autoorder_schema::queries::updates::update_counts(&mut shop.conn()).unwrap();
    assert_eq!(done, 26, "every update handled");
    assert_eq!(
        shop.count_sent(spammer, "Stok Produk"),
        10,
        "the burst allowed, nothing more"
    );
    assert_eq!(
        shop.count_sent(spammer, texts::SPAM_WARNING),
        1,
        "warned once by message"
    );
    assert_eq!(
        shop.count_sent(ADMIN_ID, "Spam terdeteksi"),
        1,
        "sellers told once"
    );
}

#[test]
fn a_quick_customer_tapping_through_a_purchase_is_never_cut_off() {
    // The default limit: catalog → product → quantity → cart → pay → Saldo in a second.
    let shop = Shop::open(Backend::Sqlite, false);
    let buyer = 4213;
    support::add_users(&shop.store.pool(), [buyer]);
    runtime().block_on(async {
        let since = Instant::now();
        say(&shop.telegram, buyer, "Semua Produk");
        say(&shop.telegram, buyer, "Cek Stok");
        say(&shop.telegram, buyer, "Informasi");
        say(&shop.telegram, buyer, "Cara Order");
        say(&shop.telegram, buyer, "Pesanan Saya");
        say(&shop.telegram, buyer, "Semua Produk");
        say(&shop.telegram, buyer, "Cek Stok");
        shop.expect(buyer, since, &["Stok Produk"]).await;
    });
    shop.settle();
    assert_eq!(
        shop.count_sent(buyer, texts::SPAM_WARNING),
        0,
        "never warned"
    );
    assert_eq!(
        shop.count_sent(buyer, "Stok Produk"),
        2,
        "every tap answered"
    );
}

#[test]
fn a_blocked_customer_gets_a_short_refusal_and_nothing_else() {
    let shop = Shop::open(Backend::Sqlite, true);
    let blocked = 4212;
    support::add_users(&shop.store.pool(), [blocked]);
    execute(
        &shop.store.pool(),
        &format!("UPDATE users SET is_blocked = 1 WHERE id = {blocked}"),
    )
    .unwrap();
    runtime().block_on(async {
        let since = Instant::now();
        say(&shop.telegram, blocked, "Semua Produk");
        press_data(&shop.telegram, blocked, 1, "cat:0");
        say(&shop.telegram, blocked, "/start");
        shop.expect(blocked, since, &[texts::BLOCKED]).await;
        shop.expect_toast(since, texts::BLOCKED).await;
    });
    // Updates are handled in order: the menu text and the press came before the /start.
    let sent: Vec<String> = shop
        .telegram
        .calls()
        .iter()
        .filter(|c| message_of(c).is_some_and(|(chat, _)| chat == blocked))
        .map(text_of)
        .collect();
    assert_eq!(sent, vec![texts::BLOCKED.to_string()]);
}
