//! End-to-end: admin part 2 against the running binary and the Telegram (and Pakasir) doubles,
//! both backends: the broadcast engine's extensions (a "copy any message" broadcast sent with
//! `copyMessage` through the queue, `autoorder broadcast send` with an audience), and the
//! seller's *User*, *Order* and *Laporan* sections driven by their buttons and wizard steps.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use autoorder_doubles::{RateLimits, TelegramDouble, message_update};
use autoorder_schema::both_backends;
use autoorder_schema::queries::broadcasts::{
    Audience, BroadcastBody, NewBroadcast, Progress, broadcast_progress, start_broadcast,
};
use serde_json::json;
use support::{ADMIN_ID, Store, add_users, eventually, press, say};

fn progress(store: &Store, id: i64) -> Progress {
    let pool = store.pool();
    let mut conn = autoorder_schema::checkout(&pool).unwrap();
    broadcast_progress(&mut conn, id).unwrap().unwrap()
}

/// Accepted calls of `method` per target chat.
fn accepted_per_chat(telegram: &TelegramDouble, method: &str) -> HashMap<i64, usize> {
    let mut per_chat = HashMap::new();
    for call in telegram.calls_to(method) {
        if call.ok() == Some(true) {
            *per_chat
                .entry(call.param_i64("chat_id").unwrap())
                .or_insert(0) += 1;
        }
    }
    per_chat
}

both_backends! {
    fn a_copied_message_reaches_every_reachable_customer_once(backend) {
        let telegram = TelegramDouble::start();
        telegram.enforce_limits(Some(RateLimits { slack: Duration::from_millis(5), ..RateLimits::default() }));
        let store = Store::new(backend, &telegram);
        let _bot = store.start();
        add_users(&store.pool(), 1..=30);
        telegram.set_blocked(7, true);

        // The seller's message: a photo with a caption, as it arrived in the seller's chat.
        let mut update = message_update(None, ADMIN_ID, ADMIN_ID, "x");
        let message_id = update["message"]["message_id"].as_i64().unwrap();
        let message = update["message"].as_object_mut().unwrap();
        message.remove("text");
        message.insert("photo".into(), json!([{"file_id": "AgAC-promo", "file_unique_id": "p1", "width": 800, "height": 600}]));
        message.insert("caption".into(), json!("Promo akhir pekan"));
        telegram.push_update(update);
        // The bot registers the seller when it handles that message; the seller is a
        // reachable user too and gets the copy like everyone else.
        assert!(eventually(Duration::from_secs(20), || store.count("users") == 31), "the seller's message was handled");

        let body = BroadcastBody::Copy { from_chat_id: ADMIN_ID, message_id };
        let (id, recipients) = {
            let pool = store.pool();
            let mut conn = autoorder_schema::checkout(&pool).unwrap();
            start_broadcast(&mut conn, &NewBroadcast { body: &body, audience: Audience::All, created_by: "admin:7001" }).unwrap().unwrap()
        };
        assert_eq!(recipients, 31);
        assert!(eventually(Duration::from_secs(30), || progress(&store, id).pending == 0), "{:?}", progress(&store, id));
        let p = progress(&store, id);
        assert_eq!((p.sent, p.blocked, p.failed, p.state.as_str()), (30, 1, 0, "done"));
        let copies = accepted_per_chat(&telegram, "copyMessage");
        assert_eq!(copies.len(), 30);
        assert!(copies.values().all(|n| *n == 1), "someone got it twice");
        for call in telegram.calls_to("copyMessage").iter().filter(|c| c.ok() == Some(true)) {
            assert_eq!(call.param_i64("from_chat_id"), Some(ADMIN_ID));
            let chat = call.param_i64("chat_id").unwrap();
            let copied = call.result().unwrap()["message_id"].as_i64().unwrap();
            let shown = telegram.message(chat, copied).unwrap();
            assert_eq!(shown["caption"], "Promo akhir pekan");
            assert_eq!(shown["photo"][0]["file_id"], "AgAC-promo");
        }
        assert!(accepted_per_chat(&telegram, "sendPhoto").keys().all(|c| !copies.contains_key(c)), "copies are not re-sent as photos");
        assert_eq!(telegram.rate_limited_count(), 0, "copies pass the one limiter");
    }
}

both_backends! {
    fn the_cli_broadcasts_to_recently_active_customers_only(backend) {
        let telegram = TelegramDouble::start();
        let store = Store::new(backend, &telegram);
        let _bot = store.start();
        add_users(&store.pool(), 1..=10);
        autoorder_schema::testing::execute(&store.pool(), "UPDATE users SET last_seen_at = last_seen_at - CAST(30 AS BIGINT) * 86400000 WHERE id <= 4").unwrap();

        let refused = store.cli(&["broadcast", "send", "--text", "Halo", "--buyers-of", "NOPE"]);
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("--buyers-of NOPE: there is no product with that code"), "{}", String::from_utf8_lossy(&refused.stderr));
        let refused = store.cli(&["broadcast", "send", "--text", "Halo", "--active-days", "0"]);
        assert!(String::from_utf8_lossy(&refused.stderr).contains("--active-days 0: expected 1 to 365"));
        assert_eq!(store.count("broadcasts"), 0, "refused commands create nothing");

        let out = store.cli(&["broadcast", "send", "--text", "Promo pelanggan aktif", "--active-days", "7"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("for 6 recipient(s)"), "{stdout}");
        let id: i64 = stdout.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!(eventually(Duration::from_secs(30), || progress(&store, id).pending == 0), "{:?}", progress(&store, id));
        let sent: Vec<i64> = {
            let mut chats: Vec<i64> = accepted_per_chat(&telegram, "sendMessage")
                .into_keys()
                .filter(|c| (1..=10).contains(c))
                .collect();
            chats.sort();
            chats
        };
        assert_eq!(sent, vec![5, 6, 7, 8, 9, 10]);
    }
}

// ---------------------------------------------------------------------------------------------
// The seller's sections, pressed and typed as a seller would.

mod seller {
    use std::time::{Duration, Instant};

    use autoorder_actors::bot::texts;
    use autoorder_doubles::{Call, PakasirDouble, TelegramDouble};
    use autoorder_schema::db::Backend;

    use super::support::{
        self, ADMIN_ID, Bot, Store, bot_messages, find_button, message_of, press, press_data, say,
        text_of,
    };

    pub const WAIT: Duration = Duration::from_secs(20);
    const PAKASIR_SECRET: &str = "pakasir-path-secret-42";
    const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/conf/catalog.example.toml");
    /// The owner the test store configures (`TELEGRAM_OWNER_IDS`).
    pub const OWNER_ID: i64 = 9001;

    /// A running store with the example catalog and QRIS through the Pakasir double.
    pub struct Shop {
        pub telegram: TelegramDouble,
        pub pakasir: PakasirDouble,
        pub store: Store,
        pub _bot: Bot,
    }

    impl Shop {
        pub fn open(backend: Backend) -> Shop {
            Shop::open_with(backend, &[])
        }

        /// A store with extra settings.
        pub fn open_with(backend: Backend, env: &[(&str, &str)]) -> Shop {
            let telegram = TelegramDouble::start();
            let pakasir = PakasirDouble::start();
            let mut store = Store::new(backend, &telegram);
            store.set("PAKASIR_PROJECT_SLUG", &pakasir.project());
            store.set("PAKASIR_API_KEY", &pakasir.api_key());
            store.set("PAKASIR_WEBHOOK_SECRET", PAKASIR_SECRET);
            store.set("PAKASIR_BASE_URL", &pakasir.base_url());
            store.set("SPAM_MAX_ACTIONS", "10000");
            for (name, value) in env {
                store.set(name, value);
            }
            let out = store.cli(&["catalog", "import", EXAMPLE]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let bot = store.start();
            pakasir.set_webhook_url(format!("{}/webhooks/pakasir/{PAKASIR_SECRET}", bot.base));
            Shop {
                telegram,
                pakasir,
                store,
                _bot: bot,
            }
        }

        pub fn conn(&self) -> autoorder_schema::PooledConn {
            autoorder_schema::checkout(&self.store.pool()).expect("db")
        }

        /// Every stored update handled and every reply sent (the outbox empty).
        pub fn settle(&self) {
            support::settle(&self.store, WAIT);
        }

        /// Waits for a message to `chat` at or after `since` containing every needle.
        pub async fn expect(&self, chat: i64, since: Instant, needles: &[&str]) -> Call {
            let found = support::wait_for_text(&self.telegram, chat, since, needles, WAIT).await;
            found.unwrap_or_else(|| {
                panic!(
                    "no message to {chat} with {needles:?}; recent: {:#?}\ntoasts: {:?}\nlog:\n{}",
                    self.recent(chat),
                    self.toasts(),
                    support::read_all(&self.store.log_dir())
                        .lines()
                        .filter(|l| l.contains("[WARN]") || l.contains("[ERROR]"))
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            })
        }

        /// Waits for a toast containing `needle` at or after `since`.
        pub async fn expect_toast(&self, since: Instant, needle: &str) -> Call {
            self.telegram
                .wait_for(
                    "answerCallbackQuery",
                    |c| c.at >= since && c.param_str("text").is_some_and(|t| t.contains(needle)),
                    WAIT,
                )
                .await
                .unwrap_or_else(|| panic!("no toast with {needle:?}; answers: {:?}", self.toasts()))
        }

        pub fn toasts(&self) -> Vec<Option<String>> {
            self.telegram
                .calls_to("answerCallbackQuery")
                .iter()
                .map(|c| c.param_str("text"))
                .collect()
        }

        fn recent(&self, chat: i64) -> Vec<String> {
            let mut texts: Vec<String> = self
                .telegram
                .calls()
                .iter()
                .filter(|c| message_of(c).is_some_and(|(ch, _)| ch == chat))
                .map(text_of)
                .collect();
            let skip = texts.len().saturating_sub(6);
            texts.drain(..skip);
            texts
        }

        /// Taps a button and waits for the message it leads to.
        pub async fn tap(&self, chat: i64, label: &str, needles: &[&str]) -> Call {
            let since = Instant::now();
            press(&self.telegram, chat, label);
            self.expect(chat, since, needles).await
        }

        /// Types a text and waits for the reply.
        pub async fn type_text(&self, chat: i64, text: &str, needles: &[&str]) -> Call {
            let since = Instant::now();
            say(&self.telegram, chat, text);
            self.expect(chat, since, needles).await
        }

        /// `chat` presses `data` under the newest bot message in its chat (the seller's own
        /// area buttons, pressed directly; or a customer replaying them).
        pub fn press_raw(&self, chat: i64, data: &str) {
            let message = bot_messages(&self.telegram, chat)
                .first()
                .map(|(id, _)| *id)
                .unwrap_or(1);
            press_data(&self.telegram, chat, message, data);
        }

        /// The seller presses `data` and waits for a message with every needle.
        pub async fn admin(&self, data: &str, needles: &[&str]) -> Call {
            let since = Instant::now();
            self.press_raw(ADMIN_ID, data);
            self.expect(ADMIN_ID, since, needles).await
        }

        /// The callback data of the newest button labelled `label` in `chat`.
        pub fn data_of(&self, chat: i64, label: &str) -> String {
            find_button(&self.telegram, chat, label)
                .unwrap_or_else(|| panic!("no button {label:?}"))
                .1
        }

        /// The sends to `chat` whose text contains `needle`, so far.
        pub fn count_sent(&self, chat: i64, needle: &str) -> usize {
            self.telegram
                .calls()
                .iter()
                .filter(|c| c.ok() == Some(true))
                .filter(|c| message_of(c).is_some_and(|(ch, _)| ch == chat))
                .filter(|c| c.method == "sendMessage" || c.method == "sendPhoto")
                .filter(|c| text_of(c).contains(needle))
                .count()
        }

        /// The bytes of the newest document sent to `chat` named with `suffix`, after `since`.
        pub async fn document(&self, chat: i64, since: Instant, suffix: &str) -> (Call, Vec<u8>) {
            let call = self
                .telegram
                .wait_for(
                    "sendDocument",
                    |c| {
                        c.at >= since
                            && c.ok() == Some(true)
                            && c.param_i64("chat_id") == Some(chat)
                            && c.param_json("document").is_some_and(|d| {
                                d["file_name"].as_str().is_some_and(|n| n.ends_with(suffix))
                            })
                    },
                    WAIT,
                )
                .await
                .unwrap_or_else(|| {
                    panic!("no {suffix} document to {chat}; toasts {:?}", self.toasts())
                });
            let hex = call.param_json("document").unwrap()["data_hex"]
                .as_str()
                .expect("the double keeps uploaded bytes")
                .to_string();
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            (call, bytes)
        }

        /// Fills the cart with `quantity` of `product` and goes to the payment choice.
        pub async fn to_checkout(&self, chat: i64, product: &str, quantity: i32) {
            self.type_text(chat, texts::MENU_PRODUCTS, &["Semua Produk"])
                .await;
            self.tap(chat, product, &["📦", product]).await;
            self.tap(chat, &texts::btn_quantity(quantity), &["ada di keranjang"])
                .await;
            self.tap(chat, texts::BTN_VIEW_CART, &["Keranjang Anda", product])
                .await;
            self.tap(chat, texts::BTN_CHECKOUT, &["Pilih Metode Pembayaran"])
                .await;
        }

        /// A pending QRIS order of `product` for `chat`: its id once the invoice is shown.
        pub async fn pending_qris(&self, chat: i64, product: &str) -> i64 {
            self.to_checkout(chat, product, 1).await;
            let since = Instant::now();
            press(&self.telegram, chat, texts::BTN_PAY_QRIS);
            self.telegram
                .wait_for(
                    "sendPhoto",
                    |c| {
                        c.at >= since
                            && c.param_i64("chat_id") == Some(chat)
                            && c.ok() == Some(true)
                    },
                    WAIT,
                )
                .await
                .expect("an invoice photo");
            self.last_order(chat).id
        }

        pub fn last_order(&self, chat: i64) -> autoorder_schema::queries::orders::OrderSummary {
            autoorder_schema::queries::orders::last_order(&mut self.conn(), chat)
                .unwrap()
                .expect("an order")
        }

        pub fn balance(&self, user: i64) -> (i64, i64) {
            use autoorder_schema::queries::shop::balance::{balance_of, ledger_sum};
            let mut c = self.conn();
            (
                balance_of(&mut c, user).unwrap(),
                ledger_sum(&mut c, user).unwrap(),
            )
        }
    }
}

both_backends! {
    fn a_blocked_customer_is_refused_until_unblocked_and_a_balance_change_needs_its_reason(backend) {
        use autoorder_actors::bot::texts;
        use autoorder_schema::queries::shop::balance::ledger_of;
        use seller::Shop;
        use std::time::Instant;

        let shop = Shop::open(backend);
        let buyer = 4301;
        support::runtime().block_on(async {
            shop.type_text(buyer, "/start", &["Toko Uji"]).await;
            shop.type_text(ADMIN_ID, "/start", &["Toko Uji"]).await;

            // The User section: list, card, block with a reason.
            shop.admin("@s:u", &["Pelanggan (", "4301"]).await;
            shop.admin(&format!("@u:u:{buyer}"), &["ID: 4301", "Saldo: Rp 0"]).await;
            shop.tap(ADMIN_ID, "🚫 Blokir", &["Blokir", "alasan"]).await;
            let since = Instant::now();
            say(&shop.telegram, ADMIN_ID, "spam pesanan palsu");
            shop.expect(ADMIN_ID, since, &["Pelanggan diblokir"]).await;
            shop.expect(ADMIN_ID, since, &["Status: 🚫 diblokir", "Alasan: spam pesanan palsu"]).await;

            // Blocked: /start gets the one refusal, the shop answers nothing else.
            shop.type_text(buyer, "/start", &[texts::BLOCKED]).await;
            let catalogs = shop.count_sent(buyer, "halaman 1/");
            say(&shop.telegram, buyer, texts::MENU_PRODUCTS);
            shop.settle();
            assert_eq!(shop.count_sent(buyer, "halaman 1/"), catalogs, "a blocked customer is not served");

            // A seller is never blocked: the card offers no button, a forged press is refused.
            shop.admin(&format!("@u:u:{ADMIN_ID}"), &["tidak bisa diblokir"]).await;
            let since = Instant::now();
            shop.press_raw(ADMIN_ID, &format!("@u:b:{ADMIN_ID}"));
            shop.expect_toast(since, "tidak bisa diblokir").await;

            // Unblock with a reason: served again.
            shop.admin(&format!("@u:u:{buyer}"), &["ID: 4301"]).await;
            shop.tap(ADMIN_ID, "✅ Buka Blokir", &["alasan"]).await;
            shop.type_text(ADMIN_ID, "sudah klarifikasi", &["Blokir dibuka"]).await;
            shop.type_text(buyer, texts::MENU_PRODUCTS, &["halaman 1/"]).await;

            // Search by id (a typed wizard step), the card from the result, the order history.
            shop.admin("@u:q", &["Kirim ID Telegram"]).await;
            shop.type_text(ADMIN_ID, "4301", &["Hasil pencarian \"4301\": 1 pelanggan"]).await;
            shop.tap(ADMIN_ID, "· 4301", &["ID: 4301"]).await;
            shop.tap(ADMIN_ID, "🧾 Riwayat Pesanan", &["Riwayat pesanan", "Belum ada pesanan"]).await;

            // Balance: the sign is required, the reason is required, then the confirmation.
            shop.admin(&format!("@u:u:{buyer}"), &["ID: 4301"]).await;
            shop.tap(ADMIN_ID, "💰 Ubah Saldo", &["Ubah saldo"]).await;
            shop.type_text(ADMIN_ID, "50000", &["tanda + atau −"]).await;
            shop.type_text(ADMIN_ID, "+50.000", &["Alasan perubahan saldo +Rp 50.000"]).await;
            shop.type_text(ADMIN_ID, "   ", &["Alasan wajib diisi"]).await;
            shop.settle();
            assert_eq!(shop.balance(buyer), (0, 0), "nothing changes without a reason");
            shop.type_text(ADMIN_ID, "transfer BCA 21/11", &["Konfirmasi perubahan saldo", "Rp 0 → Rp 50.000"]).await;
            let confirm = shop.data_of(ADMIN_ID, "Ya, lanjutkan");
            let since = Instant::now();
            shop.press_raw(ADMIN_ID, &confirm);
            shop.expect_toast(since, "Saldo diubah +Rp 50.000").await;
            shop.expect(buyer, since, &["Saldo Anda ditambah Rp 50.000", "Saldo sekarang: Rp 50.000"]).await;
            // A second press of the same confirmation changes nothing.
            let since = Instant::now();
            shop.press_raw(ADMIN_ID, &confirm);
            shop.expect_toast(since, texts::STALE_BUTTON).await;
            shop.settle();
            assert_eq!(shop.balance(buyer), (50_000, 50_000));
            let ledger = ledger_of(&mut shop.conn(), buyer).unwrap();
            assert_eq!(ledger.len(), 1, "{ledger:?}");
            assert_eq!((ledger[0].delta, ledger[0].actor_id), (50_000, Some(ADMIN_ID)));
            assert!(ledger[0].reference.as_deref().is_some_and(|r| r.starts_with("audit:")), "{ledger:?}");

            // The customer pays by Saldo with it.
            shop.to_checkout(buyer, "Netflix Premium 1 Bulan", 1).await;
            shop.tap(buyer, texts::BTN_PAY_BALANCE, &["Pembayaran berhasil"]).await;
            shop.settle();
            assert_eq!(shop.balance(buyer), (20_000, 20_000));

            // A customer replaying the seller's buttons changes nothing.
            for data in [format!("@u:b:{buyer}"), format!("@u:s:{buyer}"), confirm.clone(), "@s:u".to_string(), "@l:s:t".to_string()] {
                let since = Instant::now();
                shop.press_raw(buyer, &data);
                shop.expect_toast(since, autoorder_actors::bot::admin::texts::NOT_ALLOWED).await;
            }
            shop.settle();
            assert_eq!(shop.balance(buyer), (20_000, 20_000));
            let card = autoorder_schema::queries::admin::users::user_card(&mut shop.conn(), buyer).unwrap().unwrap();
            assert!(!card.row.is_blocked);
        });
    }
}

both_backends! {
    fn a_pending_order_marked_paid_with_a_note_is_delivered_once_and_reported(backend) {
        use seller::{OWNER_ID, Shop, WAIT};
        use std::time::Instant;

        let shop = Shop::open(backend);
        let (buyer, other) = (4401, 4402);
        support::runtime().block_on(async {
            shop.type_text(ADMIN_ID, "/start", &["Toko Uji"]).await;
            let order = shop.pending_qris(buyer, "Netflix Premium 1 Bulan").await;
            let unpaid = shop.pending_qris(other, "Netflix Premium 1 Bulan").await;
            let invoice = shop.last_order(buyer).invoice_no;

            // The list filtered to pending orders, the detail, *Tandai Lunas*.
            shop.admin("@s:o", &["Pesanan", &format!("#{order}")]).await;
            shop.admin("@o:l:p:t:0", &["Menunggu bayar, hari ini (2 pesanan)"]).await;
            shop.admin(&format!("@o:d:{order}:-:a:0"), &[&invoice, "Netflix Premium 1 Bulan × 1"]).await;
            shop.tap(ADMIN_ID, "✅ Tandai Lunas", &["Kirim catatan pembayarannya"]).await;

            // Without a note nothing happens: the confirmation is refused.
            let cancel = shop.data_of(ADMIN_ID, "❌ Batal");
            let confirm = cancel.replace(":c", ":y");
            let since = Instant::now();
            shop.press_raw(ADMIN_ID, &confirm);
            shop.expect_toast(since, "Catatan wajib diisi").await;
            shop.settle();
            assert_eq!(shop.last_order(buyer).status, "pending");

            // With a note: confirmation, then paid through the shop's transaction.
            shop.type_text(ADMIN_ID, "transfer BCA 21/11 a.n. Budi", &["senilai Rp 30.000 ditandai LUNAS secara manual", "Catatan: transfer BCA 21/11 a.n. Budi"]).await;
            let since = Instant::now();
            shop.press_raw(ADMIN_ID, &shop.data_of(ADMIN_ID, "Ya, lanjutkan"));
            shop.expect(ADMIN_ID, since, &["Pesanan ditandai lunas"]).await;
            shop.expect(buyer, since, &["Pembayaran diterima!"]).await;
            shop.expect(OWNER_ID, since, &[&invoice, "transfer BCA 21/11 a.n. Budi"]).await;
            // Replays: the same confirmation, and *Tandai Lunas* again.
            let since = Instant::now();
            shop.press_raw(ADMIN_ID, &confirm);
            shop.press_raw(ADMIN_ID, &format!("@o:m:{order}"));
            shop.expect_toast(since, "sudah tidak menunggu pembayaran").await;
            shop.settle();
            assert!(eventually(WAIT, || shop.last_order(buyer).status == "delivered"));
            assert_eq!(shop.count_sent(buyer, "Pembayaran diterima!"), 1, "delivered exactly once");
            assert_eq!(shop.count_sent(OWNER_ID, "transfer BCA 21/11 a.n. Budi"), 1);
            assert_eq!(shop.last_order(buyer).payment_method, "manual");
            let superseded: Vec<_> = shop.pakasir.transactions().into_iter().filter(|t| t.order_id.starts_with(&invoice)).collect();
            assert_eq!(superseded.len(), 1, "{superseded:?}");
            assert_eq!(superseded[0].status, autoorder_doubles::pakasir::TxState::Cancelled, "the superseded QR can no longer be paid");
            // The customer answers the SNK; the seller opens it from the order detail.
            shop.tap(buyer, autoorder_actors::bot::texts::SNK_BUTTON, &["Silakan kirim jawaban SNK"]).await;
            shop.type_text(buyer, "Profil 1 sudah saya pakai", &[autoorder_actors::bot::texts::SNK_THANKS]).await;
            shop.admin(&format!("@o:d:{order}:-:a:0"), &["Jawaban SNK:", "Netflix Premium 1 Bulan"]).await;
            shop.tap(ADMIN_ID, "📝 SNK", &["Jawaban SNK Netflix Premium 1 Bulan", "Profil 1 sudah saya pakai"]).await;

            let reconcile = shop.store.cli(&["reconcile"]);
            assert!(reconcile.status.success(), "{}", String::from_utf8_lossy(&reconcile.stdout));

            // Today's report: exactly the paid order, with a PNG chart.
            let since = Instant::now();
            shop.press_raw(ADMIN_ID, "@l:s:t");
            let (_, png) = shop.document(ADMIN_ID, since, ".png").await;
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG chart");
            shop.expect(ADMIN_ID, since, &["Omzet: Rp 30.000", "Pesanan dibayar: 1"]).await;
            // The CSV export parses and its paid rows sum to the same revenue.
            let since = Instant::now();
            shop.press_raw(ADMIN_ID, &shop.data_of(ADMIN_ID, "Export CSV"));
            let (_, csv) = shop.document(ADMIN_ID, since, ".csv").await;
            let mut reader = csv::Reader::from_reader(csv.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(&csv));
            let headers = reader.headers().unwrap().clone();
            let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {headers:?}"));
            let (status, total) = (col("status"), col("total"));
            let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
            assert_eq!(rows.len(), 2, "the paid order and the pending one");
            let revenue: i64 = rows.iter().filter(|r| r[status] == *"paid" || r[status] == *"delivered").map(|r| r[total].parse::<i64>().unwrap()).sum();
            assert_eq!(revenue, 30_000);

            // The stock report lists the product.
            shop.admin("@l:st", &["Laporan Stok", "NF1M"]).await;

            // Cancelling the other pending order: released, the gateway told, the customer too.
            shop.admin(&format!("@o:c:{unpaid}"), &["Batalkan pesanan"]).await;
            let since = Instant::now();
            shop.press_raw(ADMIN_ID, &format!("@o:cy:{unpaid}"));
            shop.expect_toast(since, "Pesanan dibatalkan").await;
            shop.expect(other, since, &["dibatalkan oleh penjual"]).await;
            assert_eq!(shop.last_order(other).status, "cancelled");
            let other_invoice = shop.last_order(other).invoice_no;
            let at_gateway: Vec<_> = shop.pakasir.transactions().into_iter().filter(|t| t.order_id.starts_with(&other_invoice)).collect();
            assert_eq!(at_gateway.len(), 1, "{at_gateway:?}");
            assert_eq!(at_gateway[0].status, autoorder_doubles::pakasir::TxState::Cancelled, "the gateway was told");
        });
    }
}

both_backends! {
    fn a_broadcast_from_the_menu_reaches_everyone_once_with_live_progress_and_its_buttons(backend) {
        use autoorder_actors::bot::admin::broadcast::{COMPOSE_PROMPT, PREVIEW_HEADER};
        use seller::{Shop, WAIT};
        use std::time::Instant;
        use support::message_of;

        let shop = Shop::open_with(backend, &[("TELEGRAM_SEND_RATE", "4")]);
        add_users(&shop.store.pool(), 1..=20);
        shop.telegram.set_blocked(7, true);
        support::runtime().block_on(async {
            shop.type_text(ADMIN_ID, "/start", &["Toko Uji"]).await;
            shop.admin("@s:b", &["📢 Broadcast", "Belum ada broadcast"]).await;
            shop.tap(ADMIN_ID, "✍️ Broadcast Baru", &[COMPOSE_PROMPT]).await;
            shop.type_text(ADMIN_ID, "Promo akhir pekan: diskon 10%!", &["Kirim ke siapa?"]).await;

            // The preview exactly as customers get it, the count, then *Kirim*.
            let since = Instant::now();
            press(&shop.telegram, ADMIN_ID, "📢 Semua pelanggan");
            shop.expect(ADMIN_ID, since, &[PREVIEW_HEADER]).await;
            shop.expect(ADMIN_ID, since, &["Promo akhir pekan: diskon 10%!"]).await;
            shop.expect(ADMIN_ID, since, &["Kirim broadcast di atas ke 21 pelanggan"]).await;
            let since = Instant::now();
            press(&shop.telegram, ADMIN_ID, "✅ Kirim ke 21");
            let progress_msg = shop.expect(ADMIN_ID, since, &["📢 Broadcast #1", "Penerima: 21"]).await;
            let (_, progress_id) = message_of(&progress_msg).unwrap();

            // The progress message is edited as recipients are done.
            let edited = |needle: &str| {
                let needle = needle.to_string();
                shop.telegram.calls_to("editMessageText").into_iter().filter(move |c| {
                    c.ok() == Some(true) && c.param_i64("message_id") == Some(progress_id) && support::text_of(c).contains(&needle)
                }).count()
            };
            assert!(eventually(WAIT, || edited("✅ Terkirim:") >= 1), "the progress message is updated");

            // *Jeda*: the broadcast pauses with recipients still pending.
            let since = Instant::now();
            shop.press_raw(ADMIN_ID, "@x:pa:1");
            shop.expect_toast(since, "Dijeda").await;
            let paused = progress(&shop.store, 1);
            assert_eq!(paused.state, "paused");
            assert!(paused.pending > 0, "{paused:?}");

            // *Lanjut*: everyone reachable gets it exactly once; the final figures land.
            let since = Instant::now();
            shop.press_raw(ADMIN_ID, "@x:re:1");
            shop.expect_toast(since, "Dilanjutkan").await;
            assert!(eventually(WAIT * 3, || progress(&shop.store, 1).pending == 0), "{:?}", progress(&shop.store, 1));
            let done = progress(&shop.store, 1);
            assert_eq!((done.sent, done.blocked, done.failed, done.state.as_str()), (20, 1, 0, "done"));
            let per_chat = accepted_per_chat(&shop.telegram, "sendMessage");
            for chat in (1..=20).filter(|c| *c != 7) {
                assert_eq!(per_chat.get(&chat), Some(&1), "chat {chat}: {per_chat:?}");
            }
            assert!(eventually(WAIT, || edited("✅ selesai") == 1 && edited("✅ Terkirim: 20") == 1), "the final figures are shown");

            // A second broadcast, cancelled from its buttons: the rest never get it.
            shop.admin("@s:b", &["#1"]).await;
            shop.tap(ADMIN_ID, "✍️ Broadcast Baru", &[COMPOSE_PROMPT]).await;
            shop.type_text(ADMIN_ID, "Pengumuman kedua", &["Kirim ke siapa?"]).await;
            shop.tap(ADMIN_ID, "📢 Semua pelanggan", &["Kirim broadcast di atas ke"]).await;
            let since = Instant::now();
            press(&shop.telegram, ADMIN_ID, "✅ Kirim ke");
            let second_progress = shop.expect(ADMIN_ID, since, &["📢 Broadcast #2"]).await;
            let (_, second_id) = message_of(&second_progress).unwrap();
            shop.tap(ADMIN_ID, "⛔ Batalkan", &["Batalkan broadcast #2?"]).await;
            let since = Instant::now();
            press(&shop.telegram, ADMIN_ID, "✔️ Ya, batalkan");
            shop.expect_toast(since, "Broadcast #2 dibatalkan").await;
            // The progress message ends with the cancelled figures.
            assert!(eventually(WAIT, || shop.telegram.message(ADMIN_ID, second_id).is_some_and(|m| m["text"].as_str().is_some_and(|t| t.contains("⛔ dibatalkan")))), "{:?}", shop.telegram.message(ADMIN_ID, second_id));
            shop.settle();
            let cancelled = progress(&shop.store, 2);
            assert_eq!(cancelled.state, "cancelled");
            assert!(cancelled.cancelled > 0 && cancelled.pending == 0, "{cancelled:?}");
            let second = || -> i64 {
                shop.telegram.calls_to("sendMessage").iter()
                    .filter(|c| c.ok() == Some(true) && support::text_of(c) == "Pengumuman kedua")
                    .count() as i64
            };
            // The preview to the seller, plus exactly the recipients recorded as sent before
            // the cancel took effect (the seller is a recipient too); the rest never get it.
            assert!(
                eventually(WAIT, || second() == 1 + progress(&shop.store, 2).sent),
                "{} sends, {:?}", second(), progress(&shop.store, 2)
            );
            assert!(progress(&shop.store, 2).sent < 20, "the cancel stopped the sending");

            // A photo with its caption, to the customers active in a typed number of days.
            shop.admin("@x:n", &[COMPOSE_PROMPT]).await;
            let mut update = autoorder_doubles::message_update(None, ADMIN_ID, ADMIN_ID, "x");
            let message = update["message"].as_object_mut().unwrap();
            message.remove("text");
            message.insert("photo".into(), json!([{"file_id": "AgAC-promo3", "file_unique_id": "p3", "width": 800, "height": 600}]));
            message.insert("caption".into(), json!("Promo ketiga"));
            let since = Instant::now();
            shop.telegram.push_update(update);
            shop.expect(ADMIN_ID, since, &["Kirim ke siapa?"]).await;
            // Buyers of a product nobody bought: no recipients, back to the choice.
            shop.tap(ADMIN_ID, "🛍️ Pembeli produk…", &["Pembeli produk mana?"]).await;
            shop.tap(ADMIN_ID, "Canva Pro 1 Bulan", &["Tidak ada penerima: pembeli Canva Pro 1 Bulan", "Kirim ke siapa?"]).await;
            shop.tap(ADMIN_ID, "🕒 Aktif N hari terakhir…", &["aktif berapa hari terakhir"]).await;
            let since = Instant::now();
            say(&shop.telegram, ADMIN_ID, "7");
            let preview = shop.expect(ADMIN_ID, since, &["Promo ketiga"]).await;
            assert_eq!(preview.method, "sendPhoto");
            shop.expect(ADMIN_ID, since, &["Kirim broadcast di atas ke 20 pelanggan (pelanggan aktif 7 hari terakhir)?"]).await;
            shop.tap(ADMIN_ID, "✅ Kirim ke 20", &["📢 Broadcast #3"]).await;
            assert!(eventually(WAIT * 3, || progress(&shop.store, 3).pending == 0), "{:?}", progress(&shop.store, 3));
            let photos = accepted_per_chat(&shop.telegram, "sendPhoto");
            for chat in (1..=20).filter(|c| *c != 7) {
                assert_eq!(photos.get(&chat), Some(&1), "chat {chat}: {photos:?}");
            }

            // A forwarded message is copied as it is: its preview is that very copy, made with
            // `copyMessage` into the seller's chat, before anyone else gets anything. (Pressed
            // under the newest message, the photo: it cannot be edited, so the prompt comes as
            // a new message, not after retries.)
            shop.admin("@x:n", &[COMPOSE_PROMPT]).await;
            let mut update = autoorder_doubles::message_update(None, ADMIN_ID, ADMIN_ID, "Diteruskan dari kanal promo");
            let forwarded_id = update["message"]["message_id"].as_i64().unwrap();
            update["message"]["forward_origin"] = json!({
                "type": "user",
                "date": 1_700_000_000,
                "sender_user": {"id": 4242, "is_bot": false, "first_name": "Kanal"},
            });
            let since = Instant::now();
            shop.telegram.push_update(update);
            shop.expect(ADMIN_ID, since, &["Kirim ke siapa?"]).await;
            let copies_before = shop.telegram.calls_to("copyMessage").len();
            let since = Instant::now();
            press(&shop.telegram, ADMIN_ID, "📢 Semua pelanggan");
            shop.expect(ADMIN_ID, since, &[PREVIEW_HEADER]).await;
            let copy = shop.telegram.wait_for("copyMessage", |c| c.at >= since && c.ok().is_some(), WAIT).await.expect("the preview is a copy");
            assert_eq!(copy.ok(), Some(true), "{copy:?}");
            assert_eq!(copy.param_i64("chat_id"), Some(ADMIN_ID));
            assert_eq!(copy.param_i64("from_chat_id"), Some(ADMIN_ID));
            assert_eq!(copy.param_i64("message_id"), Some(forwarded_id));
            shop.expect(ADMIN_ID, since, &["Kirim broadcast di atas ke"]).await;
            // Batal: the preview was the only copy made.
            let since = Instant::now();
            press(&shop.telegram, ADMIN_ID, "❌ Batal");
            shop.expect_toast(since, "Dibatalkan").await;
            shop.settle();
            assert_eq!(shop.telegram.calls_to("copyMessage").len(), copies_before + 1, "only the seller's preview");
        });
    }
}
