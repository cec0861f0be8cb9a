//! The admin menu, part 1, end to end: the real binary against the Telegram double, driven only
//! by what sellers and customers can do (typing, tapping buttons, sending a file), on both
//! backends. Each test is one journey (spawning the bot costs seconds):
//! - a seller opens and stocks a store (product wizard across a restart, *Batal*, stock by
//!   lines and by a `.txt` file, SNK set and cleared with the owners told, the customer's view);
//! - templates and vouchers (welcome with `{nama}`, `{foo}` refused, the Deposit screen's
//!   manual-transfer instructions with their contact button, a voucher a customer uses);
//! - replays and concurrent edits (a customer replaying the seller's buttons, two sellers
//!   saving the same product).

mod support;

use std::time::{Duration, Instant};

use autoorder_actors::bot::admin::callback::Section;
use autoorder_actors::bot::admin::texts as admin;
use autoorder_actors::bot::texts;
use autoorder_doubles::{Call, TelegramDouble, document_update, photo_update};
use autoorder_schema::both_backends;
use autoorder_schema::db::Backend;
use autoorder_schema::queries::admin::{AdminAction, admin_audit_of};
use support::{
    ADMIN_ID, Bot, Store, eventually, inline_buttons, message_of, press, press_data, runtime, say,
    text_of,
};

const WAIT: Duration = Duration::from_secs(15);
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/conf/catalog.example.toml");
/// `TELEGRAM_OWNER_IDS` of the test store.
const OWNER_ID: i64 = 9001;
/// A second seller (the concurrent-edit test).
const SECOND_ADMIN: i64 = 7002;

/// A running store with the example catalog.
struct Admin {
    telegram: TelegramDouble,
    store: Store,
    bot: Bot,
}

impl Admin {
    fn open(backend: Backend) -> Admin {
        let telegram = TelegramDouble::start();
        let mut store = Store::new(backend, &telegram);
        store.set("SPAM_MAX_ACTIONS", "10000");
        store.set("TELEGRAM_ADMIN_IDS", &format!("{ADMIN_ID},{SECOND_ADMIN}"));
        let out = store.cli(&["catalog", "import", EXAMPLE]);
        assert!(
            out.status.success(),
            "catalog import failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bot = store.start();
        Admin {
            telegram,
            store,
            bot,
        }
    }

    /// SIGTERM, then a fresh process on the same store.
    fn restart(&mut self) {
        let status = self.bot.sigterm(Duration::from_secs(30));
        assert!(status.success(), "exit after SIGTERM: {status:?}");
        self.bot = self.store.start();
    }

    fn conn(&self) -> autoorder_schema::PooledConn {
        autoorder_schema::checkout(&self.store.pool()).expect("db")
    }

    /// Waits for a message to `chat` (sent or edited in) at or after `since` containing every
    /// needle.
    async fn expect(&self, chat: i64, since: Instant, needles: &[&str]) -> Call {
        let found = support::wait_for_text(&self.telegram, chat, since, needles, WAIT).await;
        found.unwrap_or_else(|| {
            let recent: Vec<String> = self
                .telegram
                .calls()
                .iter()
                .filter(|c| message_of(c).is_some_and(|(ch, _)| ch == chat))
                .map(text_of)
                .collect();
            panic!(
                "no message to {chat} with {needles:?}; texts: {:#?}\ntoasts: {:?}",
                &recent[recent.len().saturating_sub(5)..],
                self.toasts()
            )
        })
    }

    fn toasts(&self) -> Vec<Option<String>> {
        self.telegram
            .calls_to("answerCallbackQuery")
            .iter()
            .map(|c| c.param_str("text"))
            .collect()
    }

    /// Waits for a press's answer containing `needle`.
    async fn expect_toast(&self, since: Instant, needle: &str) -> Call {
        self.telegram
            .wait_for(
                "answerCallbackQuery",
                |c| c.at >= since && c.param_str("text").is_some_and(|t| t.contains(needle)),
                WAIT,
            )
            .await
            .unwrap_or_else(|| panic!("no toast with {needle:?}; answers: {:?}", self.toasts()))
    }

    async fn tap(&self, chat: i64, label: &str, needles: &[&str]) -> Call {
        let since = Instant::now();
        press(&self.telegram, chat, label);
        self.expect(chat, since, needles).await
    }

    async fn type_text(&self, chat: i64, text: &str, needles: &[&str]) -> Call {
        let since = Instant::now();
        say(&self.telegram, chat, text);
        self.expect(chat, since, needles).await
    }

    /// Waits for the owners' message containing `needle` (through the owner bot, which shares
    /// the shop's token in the test store).
    async fn expect_owner(&self, since: Instant, needle: &str) -> Call {
        self.expect(OWNER_ID, since, &["[Toko Uji]", needle]).await
    }

    /// Products (active or archived) called `name`.
    fn products_named(&self, name: &str) -> usize {
        use autoorder_schema::queries::admin::PageRequest;
        use autoorder_schema::queries::admin::products::{ProductList, list_products};
        [ProductList::Active, ProductList::Archived]
            .into_iter()
            .map(|which| {
                list_products(&mut self.conn(), which, PageRequest::new(0, 100))
                    .unwrap()
                    .items
                    .into_iter()
                    .filter(|p| p.name == name)
                    .count()
            })
            .sum()
    }

    /// Available stock of the product `code`.
    fn available(&self, code: &str) -> i64 {
        autoorder_schema::queries::shop::products::stock_table(&mut self.conn())
            .unwrap()
            .into_iter()
            .find(|l| l.code == code)
            .unwrap_or_else(|| panic!("no product {code}"))
            .stock
    }

    fn audit_actions(&self) -> Vec<AdminAction> {
        admin_audit_of(&mut self.conn(), None)
            .unwrap()
            .into_iter()
            .filter_map(|r| r.action)
            .collect()
    }
}

both_backends! {
    fn a_seller_opens_and_stocks_a_store(backend) {
        let mut shop = Admin::open(backend);
        let buyer = 4301;
        let rt = runtime();
        rt.block_on(async {
            // The admin menu, and the product wizard's first steps.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin — Toko Uji", "pengguna"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Products), &["📦 Produk", "produk aktif"]).await;
            shop.tap(ADMIN_ID, admin::BTN_ADD_PRODUCT, &["Kirim KODE produk"]).await;
            shop.type_text(ADMIN_ID, "a", &["⚠️"]).await;
            // A file where text is expected: a hint saying what the step takes.
            let stray = shop.telegram.add_file("x.txt", "text/plain", "x");
            let since = Instant::now();
            shop.telegram.push_update(document_update(None, ADMIN_ID, ADMIN_ID, stray, None));
            shop.expect(ADMIN_ID, since, &["Langkah ini menunggu teks"]).await;
            shop.type_text(ADMIN_ID, "SPF1", &["Kode: SPF1", "Kirim NAMA produk"]).await;
            shop.type_text(ADMIN_ID, "Spotify Family", &["Kirim HARGA"]).await;
        });
        // The wizard is in the database: a restart in the middle loses nothing.
        shop.restart();
        rt.block_on(async {
            shop.tap(ADMIN_ID, admin::BTN_BACK, &["Kirim NAMA produk"]).await;
            shop.type_text(ADMIN_ID, "Spotify Family", &["Kirim HARGA"]).await;
            shop.type_text(ADMIN_ID, "25.000", &["Kirim DESKRIPSI"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SKIP, &["Pilih KATEGORI produk"]).await;
            shop.tap(ADMIN_ID, admin::BTN_NEW_CATEGORY, &["NAMA kategori baru"]).await;
            shop.type_text(ADMIN_ID, "Musik", &["Kirim SNK"]).await;
            shop.type_text(ADMIN_ID, "Kirim email akun Anda", &["Periksa dulu", "Musik (kategori baru)", "Rp 25.000"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["✅ Produk Spotify Family (SPF1) disimpan"]).await;
            assert_eq!(shop.products_named("Spotify Family"), 1);

            // A Batal run leaves nothing: no product, no category, no wizard.
            shop.tap(ADMIN_ID, admin::BTN_BACK, &["📦 Produk"]).await;
            shop.tap(ADMIN_ID, admin::BTN_ADD_PRODUCT, &["Kirim KODE produk"]).await;
            shop.type_text(ADMIN_ID, "BATAL1", &["Kode: BATAL1"]).await;
            shop.type_text(ADMIN_ID, "Produk Batal", &["Kirim HARGA"]).await;
            let since = Instant::now();
            press(&shop.telegram, ADMIN_ID, admin::BTN_CANCEL);
            shop.expect_toast(since, admin::CANCELLED).await;
            assert_eq!(shop.products_named("Produk Batal"), 0);
            assert_eq!(shop.store.count("admin_wizards"), 0, "nothing left behind");
            // The text after Batal is the shop's again, not a wizard's.
            shop.type_text(ADMIN_ID, "Produk Batal", &[texts::UNKNOWN_INPUT]).await;

            // Stock by lines, duplicates reported with their line numbers.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Stock), &["Stok"]).await;
            shop.tap(ADMIN_ID, "Spotify Family", &["Spotify Family"]).await;
            shop.tap(ADMIN_ID, admin::BTN_ADD_STOCK, &["SATU ITEM PER BARIS"]).await;
            shop.type_text(ADMIN_ID, "spf-a@x.id:1\nspf-b@x.id:2\nspf-a@x.id:1", &["Pratinjau stok Spotify Family", "Item baru: 2", "Berulang di kiriman ini (1): baris 3"]).await;
            assert_eq!(shop.available("SPF1"), 0, "nothing stored before Simpan");
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["✅ 2 item ditambahkan ke Spotify Family", "Stok tersedia sekarang: 2"]).await;

            // Stock by a .txt upload: items already in the store are reported by line.
            shop.tap(ADMIN_ID, admin::BTN_ADD_STOCK, &["SATU ITEM PER BARIS"]).await;
            let document = shop.telegram.add_file("stok.txt", "text/plain", "spf-c@x.id:3\nspf-b@x.id:2\nspf-d@x.id:4\n");
            let since = Instant::now();
            shop.telegram.push_update(document_update(None, ADMIN_ID, ADMIN_ID, document, None));
            shop.expect(ADMIN_ID, since, &["stok.txt", "Item baru: 2", "Sudah ada di toko (1)", "baris 2 — Spotify Family"]).await;
            assert!(!shop.telegram.calls_to("getFile").is_empty(), "fetched with getFile");
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["✅ 2 item ditambahkan", "Stok tersedia sekarang: 4"]).await;
            assert_eq!(shop.available("SPF1"), 4);
            // A file of another type is refused before any download.
            shop.tap(ADMIN_ID, admin::BTN_ADD_STOCK, &["SATU ITEM PER BARIS"]).await;
            let downloads = shop.telegram.calls_to("getFile").len();
            let pdf = shop.telegram.add_file("stok.pdf", "application/pdf", "%PDF");
            let since = Instant::now();
            shop.telegram.push_update(document_update(None, ADMIN_ID, ADMIN_ID, pdf, None));
            shop.expect(ADMIN_ID, since, &[admin::FILE_WRONG_TYPE]).await;
            assert_eq!(shop.telegram.calls_to("getFile").len(), downloads);
            let since = Instant::now();
            say(&shop.telegram, ADMIN_ID, "/batal");
            shop.expect(ADMIN_ID, since, &[admin::CANCELLED, "📥 Stok Spotify Family"]).await;

            // Unsold items are listed masked; one is chosen and deleted, which takes the
            // product down to the low-stock threshold: the sellers are told.
            let list = shop.tap(ADMIN_ID, admin::BTN_REMOVE_STOCK, &["4 item belum terjual", "Terpilih: 0"]).await;
            let markup = list.param_json("reply_markup").unwrap().to_string();
            assert!(markup.contains("•••") && !markup.contains("spf-a@x.id:1"), "{markup}");
            shop.tap(ADMIN_ID, "▫️ #", &["Terpilih: 1"]).await;
            shop.tap(ADMIN_ID, admin::BTN_DELETE_SELECTED, &["Hapus 1 item stok Spotify Family?"]).await;
            let since = Instant::now();
            shop.tap(ADMIN_ID, admin::BTN_YES, &["🗑️ 1 item stok Spotify Family dihapus.", "Sisa stok: 3"]).await;
            shop.expect(ADMIN_ID, since, &[&texts::low_stock("Spotify Family", 3)]).await;
            assert_eq!(shop.available("SPF1"), 3);

            // The customer sees the product under its category: the catalog offers the
            // categories as buttons, and Musik's page lists it.
            let catalog = shop.type_text(buyer, texts::MENU_PRODUCTS, &["Spotify Family"]).await;
            let keyboard = catalog.param_json("reply_markup").unwrap().to_string();
            assert!(keyboard.contains(&texts::btn_category("Musik", 1)) && keyboard.contains(&texts::btn_category("Streaming", 2)), "{keyboard}");
            let page = shop.tap(buyer, &texts::btn_category("Musik", 1), &["【 Musik 】", "Spotify Family"]).await;
            let listed = text_of(&page);
            assert!(!listed.contains("Netflix"), "only the category's products: {listed}");
            shop.tap(buyer, texts::BTN_ALL_PRODUCTS, &["Netflix Premium 1 Bulan", "Spotify Family"]).await;

            // SNK set, then cleared: the owners are told both times.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Snk), &[admin::PICK_SNK]).await;
            shop.tap(ADMIN_ID, "Spotify Family", &["Kirim email akun Anda"]).await;
            shop.tap(ADMIN_ID, admin::BTN_EDIT_SNK, &["Spotify Family"]).await;
            shop.type_text(ADMIN_ID, "Kirim email dan nomor WA", &["Kirim email dan nomor WA"]).await;
            let since = Instant::now();
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["✅ SNK Spotify Family disimpan."]).await;
            shop.expect_owner(since, "SNK diubah").await;
            shop.tap(ADMIN_ID, admin::BTN_BACK, &["Kirim email dan nomor WA"]).await;
            shop.tap(ADMIN_ID, admin::BTN_CLEAR_SNK, &["Spotify Family"]).await;
            let since = Instant::now();
            shop.tap(ADMIN_ID, admin::BTN_YES, &["🗑️ SNK Spotify Family dihapus."]).await;
            shop.expect_owner(since, "SNK dihapus").await;
        });

        // Every admin write has its audit row.
        let actions = shop.audit_actions();
        for action in [AdminAction::CategoryCreate, AdminAction::ProductCreate, AdminAction::SnkSet, AdminAction::SnkClear] {
            assert_eq!(actions.iter().filter(|a| **a == action).count(), 1, "{action:?} in {actions:?}");
        }
        assert_eq!(actions.iter().filter(|a| **a == AdminAction::StockAdd).count(), 2, "{actions:?}");
        assert_eq!(actions.iter().filter(|a| **a == AdminAction::StockDelete).count(), 1, "{actions:?}");
    }
}

both_backends! {
    fn templates_and_vouchers(backend) {
        let shop = Admin::open(backend);
        let buyer = 4302;
        runtime().block_on(async {
            // Mode Pembeli: the shop as a customer sees it; /admin is the way back.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            let since = Instant::now();
            press(&shop.telegram, ADMIN_ID, admin::buyer_mode_label(false));
            shop.expect(ADMIN_ID, since, &[admin::BUYER_MODE_ON]).await;
            let menu = shop.expect(ADMIN_ID, since, &[texts::MENU_HINT]).await;
            let keyboard = menu.param_json("reply_markup").unwrap().to_string();
            assert!(!keyboard.contains("Admin") && keyboard.contains("Semua Produk"), "{keyboard}");
            let again = shop.type_text(ADMIN_ID, "/start", &[texts::MENU_HINT]).await;
            assert!(!again.param_json("reply_markup").unwrap().to_string().contains("Admin"));
            shop.type_text(ADMIN_ID, "/admin", &["Mode Pembeli sedang aktif"]).await;
            let since = Instant::now();
            press(&shop.telegram, ADMIN_ID, admin::buyer_mode_label(true));
            let back = shop.expect(ADMIN_ID, since, &[admin::BUYER_MODE_OFF]).await;
            assert!(back.param_json("reply_markup").unwrap().to_string().contains("Admin"));
            shop.expect(ADMIN_ID, since, &["⚙️ Menu Admin", "Pilih menu"]).await;

            // Welcome template: {foo} refused, {nama} applied on the next /start.
            shop.tap(ADMIN_ID, admin::section_label(Section::Respon), &[admin::RESPON]).await;
            let welcome = admin::template_title(autoorder_schema::queries::admin::templates::TemplateKey::Welcome);
            shop.tap(ADMIN_ID, welcome, &[welcome]).await;
            shop.tap(ADMIN_ID, admin::BTN_EDIT_TEMPLATE, &["{nama}"]).await;
            shop.type_text(ADMIN_ID, "Halo {foo}!", &["Placeholder tidak dikenal: {foo}"]).await;
            shop.type_text(ADMIN_ID, "Halo {nama}, selamat berbelanja di {store_name}!", &["Halo Budi"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["disimpan"]).await;
            shop.type_text(buyer, "/start", &["Halo Budi, selamat berbelanja di Toko Uji!"]).await;

            // The stored text previewed with sample values, then reset to the built-in one.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Respon), &[admin::RESPON]).await;
            shop.tap(ADMIN_ID, welcome, &["Halo {nama}, selamat berbelanja di {store_name}!"]).await;
            shop.tap(ADMIN_ID, admin::BTN_PREVIEW, &["contoh data", "Halo Budi, selamat berbelanja di Toko Uji!"]).await;
            shop.tap(ADMIN_ID, admin::BTN_BACK, &[welcome]).await;
            shop.tap(ADMIN_ID, admin::BTN_RESET, &["Kembalikan"]).await;
            shop.tap(ADMIN_ID, admin::BTN_YES, &["kembali memakai teks bawaan"]).await;
            let again = shop.type_text(buyer, "/start", &["Toko Uji"]).await;
            assert!(!text_of(&again).contains("selamat berbelanja"), "{}", text_of(&again));

            // Cara Order: a photo with its caption, sent to customers as such.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Respon), &[admin::RESPON]).await;
            let how = admin::template_title(autoorder_schema::queries::admin::templates::TemplateKey::HowToOrder);
            shop.tap(ADMIN_ID, how, &[how]).await;
            shop.tap(ADMIN_ID, admin::BTN_EDIT_TEMPLATE, &["foto dengan caption"]).await;
            let since = Instant::now();
            shop.telegram.push_update(photo_update(None, ADMIN_ID, ADMIN_ID, "AgACAgHowToOrder", Some("Cara order di {store_name}: pilih produk, bayar QRIS.")));
            shop.expect(ADMIN_ID, since, &["🖼️ (dengan foto)", "Cara order di Toko Uji"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["disimpan"]).await;
            let since = Instant::now();
            say(&shop.telegram, buyer, texts::MENU_HOW_TO_ORDER);
            let photo = shop.telegram.wait_for("sendPhoto", |c| c.at >= since && c.param_i64("chat_id") == Some(buyer) && c.ok() == Some(true), WAIT).await.expect("the Cara Order photo");
            assert_eq!(photo.param_str("photo").as_deref(), Some("AgACAgHowToOrder"));
            assert!(text_of(&photo).contains("Cara order di Toko Uji"), "{}", text_of(&photo));

            // Manual-transfer instructions on the Deposit screen (this store has no QRIS):
            // nothing before the seller writes them; then the text with the customer's values
            // and a contact button to the sellers.
            let plain = shop.type_text(buyer, texts::MENU_DEPOSIT, &[texts::QRIS_NOT_CONFIGURED]).await;
            assert!(!text_of(&plain).contains("Transfer manual"), "{}", text_of(&plain));
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Respon), &[admin::RESPON]).await;
            let deposit = admin::template_title(autoorder_schema::queries::admin::templates::TemplateKey::DepositInstructions);
            shop.tap(ADMIN_ID, deposit, &[admin::DEPOSIT_INSTRUCTIONS_UNSET]).await;
            shop.tap(ADMIN_ID, admin::BTN_PREVIEW, &[admin::DEPOSIT_INSTRUCTIONS_UNSET]).await;
            shop.tap(ADMIN_ID, admin::BTN_BACK, &[deposit]).await;
            shop.tap(ADMIN_ID, admin::BTN_EDIT_TEMPLATE, &["Hubungi Penjual"]).await;
            shop.type_text(ADMIN_ID, "Transfer ke {rekening}", &["Placeholder tidak dikenal: {rekening}"]).await;
            shop.type_text(ADMIN_ID, "Hai {nama}, transfer ke BCA 123456 a.n. {store_name}, lalu kirim bukti.", &["Hai Budi, transfer ke BCA 123456 a.n. Toko Uji"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["disimpan"]).await;
            let screen = shop.type_text(buyer, texts::MENU_DEPOSIT, &["Saldo Anda", "Transfer manual", "transfer ke BCA 123456 a.n. Toko Uji"]).await;
            assert!(!text_of(&screen).contains("{nama}"), "{}", text_of(&screen));
            let markup = screen.param_json("reply_markup").expect("a contact button").to_string();
            assert!(markup.contains(&format!("tg://user?id={ADMIN_ID}")) && markup.contains("Hubungi Penjual"), "{markup}");
            // Reset: the Deposit screen is back to the plain refusal.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Respon), &[admin::RESPON]).await;
            shop.tap(ADMIN_ID, deposit, &["transfer ke BCA 123456"]).await;
            shop.tap(ADMIN_ID, admin::BTN_RESET, &["Kembalikan"]).await;
            shop.tap(ADMIN_ID, admin::BTN_YES, &["dikosongkan"]).await;
            let plain = shop.type_text(buyer, texts::MENU_DEPOSIT, &[texts::QRIS_NOT_CONFIGURED]).await;
            assert!(!text_of(&plain).contains("BCA"), "{}", text_of(&plain));

            // A voucher created through the wizard, then used by a customer.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Vouchers), &["Voucher"]).await;
            shop.tap(ADMIN_ID, admin::BTN_ADD_VOUCHER, &["KODE"]).await;
            shop.type_text(ADMIN_ID, "HEMAT20", &["HEMAT20"]).await;
            shop.tap(ADMIN_ID, admin::BTN_PERCENT, &["%"]).await;
            shop.type_text(ADMIN_ID, "20", &["BATAS PEMAKAIAN"]).await;
            shop.tap(ADMIN_ID, admin::BTN_NO_LIMIT, &["MULAI berlaku"]).await;
            shop.tap(ADMIN_ID, admin::BTN_FROM_NOW, &["BERAKHIR"]).await;
            shop.tap(ADMIN_ID, admin::BTN_NO_LIMIT, &["Periksa dulu", "Kode: HEMAT20", "Batas pemakaian: tanpa batas"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["✅ Voucher HEMAT20 dibuat"]).await;

            shop.type_text(buyer, texts::MENU_PRODUCTS, &["Semua Produk"]).await;
            shop.tap(buyer, "Netflix Premium 1 Bulan", &["📦", "Netflix Premium 1 Bulan"]).await;
            shop.tap(buyer, &texts::btn_quantity(1), &["ada di keranjang"]).await;
            shop.tap(buyer, texts::BTN_VIEW_CART, &["Keranjang Anda"]).await;
            shop.tap(buyer, texts::BTN_USE_VOUCHER, &[texts::VOUCHER_PROMPT]).await;
            shop.type_text(buyer, "HEMAT20", &["Voucher HEMAT20 dipakai: potongan Rp 6.000"]).await;

            // Deactivated, it is refused.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Vouchers), &["Voucher"]).await;
            shop.tap(ADMIN_ID, "HEMAT20", &["HEMAT20"]).await;
            shop.tap(ADMIN_ID, admin::BTN_DEACTIVATE, &["HEMAT20"]).await;
            shop.tap(ADMIN_ID, admin::BTN_YES, &["HEMAT20"]).await;
        });
        let actions = shop.audit_actions();
        assert_eq!(actions.iter().filter(|a| **a == AdminAction::BuyerMode).count(), 2, "{actions:?}");
        assert_eq!(actions.iter().filter(|a| **a == AdminAction::TemplateSave).count(), 3, "{actions:?}");
        assert_eq!(actions.iter().filter(|a| **a == AdminAction::TemplateReset).count(), 2, "{actions:?}");
        for action in [AdminAction::VoucherCreate, AdminAction::VoucherDeactivate] {
            assert_eq!(actions.iter().filter(|a| **a == action).count(), 1, "{action:?} in {actions:?}");
        }
    }
}

both_backends! {
    fn replays_and_concurrent_edits(backend) {
        let shop = Admin::open(backend);
        let buyer = 4303;
        runtime().block_on(async {
            // The seller walks through a few screens; a wizard is left open.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Products), &["produk aktif"]).await;
            shop.tap(ADMIN_ID, admin::BTN_MANAGE_PRODUCTS, &[admin::PICK_PRODUCT]).await;
            shop.tap(ADMIN_ID, "Netflix Premium 1 Bulan", &["Kode: NF1M"]).await;
            shop.tap(ADMIN_ID, &admin::btn_edit_field(autoorder_actors::bot::admin::callback::ProductField::Name), &["Kirim nama baru"]).await;
        });
        // Every button the seller was shown (screens are edited in place: read every send and
        // edit), with the message it was under.
        let mut buttons: Vec<(i64, String)> = Vec::new();
        for call in shop.telegram.calls() {
            let Some((ADMIN_ID, message)) = message_of(&call) else { continue };
            let markup = serde_json::json!({ "reply_markup": call.param_json("reply_markup") });
            for (_, data) in inline_buttons(&markup) {
                if data.starts_with('@') && !buttons.iter().any(|(_, d)| *d == data) {
                    buttons.push((message, data));
                }
            }
        }
        assert!(buttons.len() >= 10, "{buttons:?}");
        let audit_before = shop.audit_actions().len();
        let wizards_before = shop.store.count("admin_wizards");
        let since = Instant::now();
        for i in 0..40 {
            let (message, data) = &buttons[i % buttons.len()];
            press_data(&shop.telegram, buyer, *message, data);
        }
        assert!(
            eventually(WAIT, || {
                shop.telegram
                    .calls_to("answerCallbackQuery")
                    .iter()
                    .filter(|c| c.at >= since && c.param_str("text").as_deref() == Some(admin::NOT_ALLOWED))
                    .count()
                    == 40
            }),
            "every replayed press refused; answers: {:?}",
            shop.toasts()
        );
        assert_eq!(shop.audit_actions().len(), audit_before, "nothing written");
        assert_eq!(shop.store.count("admin_wizards"), wizards_before, "the seller's wizard untouched");
        assert!(
            !shop.telegram.calls().iter().any(|c| c.at >= since && message_of(c).is_some_and(|(ch, _)| ch == buyer)),
            "the customer was shown nothing"
        );

        runtime().block_on(async {
            // Two sellers edit the same product's name from the same card: the second save is
            // refused and the owners are told.
            shop.type_text(SECOND_ADMIN, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(SECOND_ADMIN, admin::section_label(Section::Products), &["produk aktif"]).await;
            shop.tap(SECOND_ADMIN, admin::BTN_MANAGE_PRODUCTS, &[admin::PICK_PRODUCT]).await;
            shop.tap(SECOND_ADMIN, "Netflix Premium 1 Bulan", &["Kode: NF1M"]).await;
            shop.tap(SECOND_ADMIN, &admin::btn_edit_field(autoorder_actors::bot::admin::callback::ProductField::Name), &["Kirim nama baru"]).await;
            shop.type_text(ADMIN_ID, "Netflix Satu", &["Sesudah: Netflix Satu"]).await;
            shop.type_text(SECOND_ADMIN, "Netflix Dua", &["Sesudah: Netflix Dua"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["✅ Nama Netflix Satu disimpan."]).await;
            let since = Instant::now();
            shop.tap(SECOND_ADMIN, admin::BTN_SAVE, &["baru saja diubah oleh admin 7001", "TIDAK disimpan"]).await;
            shop.expect_owner(since, "Edit bersamaan: admin 7002").await;
        });
        runtime().block_on(async {
            // Archived: gone from the catalog; restored from the card.
            shop.tap(ADMIN_ID, admin::BTN_BACK, &["Kode: NF1M"]).await;
            shop.tap(ADMIN_ID, admin::BTN_ARCHIVE, &["Arsipkan Netflix Satu?"]).await;
            shop.tap(ADMIN_ID, admin::BTN_YES, &["🗄️ Netflix Satu diarsipkan."]).await;
            let catalog = shop.type_text(buyer, texts::MENU_PRODUCTS, &["Semua Produk"]).await;
            assert!(!text_of(&catalog).contains("Netflix Satu"), "{}", text_of(&catalog));
            shop.tap(ADMIN_ID, admin::BTN_BACK, &["DIARSIPKAN"]).await;
            shop.tap(ADMIN_ID, admin::BTN_RESTORE, &["Pulihkan Netflix Satu?"]).await;
            shop.tap(ADMIN_ID, admin::BTN_YES, &["♻️ Netflix Satu dipulihkan."]).await;

            // Categories: add, move up, rename, delete when empty.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Products), &["produk aktif"]).await;
            shop.tap(ADMIN_ID, admin::BTN_CATEGORIES, &["🗂️ Kategori (3)"]).await;
            shop.tap(ADMIN_ID, admin::BTN_ADD_CATEGORY, &["Kirim nama kategori"]).await;
            // A name already taken (compared without case) is refused at Simpan; Kembali to fix.
            shop.type_text(ADMIN_ID, "streaming", &["Tambah kategori streaming?"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["Nama kategori ini sudah ada"]).await;
            shop.tap(ADMIN_ID, admin::BTN_BACK, &["Kirim nama kategori"]).await;
            shop.type_text(ADMIN_ID, "Musik", &["Tambah kategori Musik?"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["✅ Kategori Musik ditambahkan."]).await;
            shop.tap(ADMIN_ID, admin::BTN_BACK, &["🗂️ Kategori (4)"]).await;
            shop.tap(ADMIN_ID, "4. Musik", &["🗂️ Musik", "Urutan: 4"]).await;
            shop.tap(ADMIN_ID, admin::BTN_MOVE_UP, &["🗂️ Musik", "Urutan: 3"]).await;
            shop.tap(ADMIN_ID, admin::BTN_RENAME, &["Ganti nama kategori Musik"]).await;
            shop.type_text(ADMIN_ID, "Lagu", &["Sesudah: Lagu"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["✅ Nama kategori diganti menjadi Lagu."]).await;
            shop.tap(ADMIN_ID, admin::BTN_BACK, &["🗂️ Kategori (4)"]).await;
            shop.tap(ADMIN_ID, "3. Lagu", &["🗂️ Lagu"]).await;
            shop.tap(ADMIN_ID, admin::BTN_DELETE_CATEGORY, &["Hapus kategori Lagu?"]).await;
            shop.tap(ADMIN_ID, admin::BTN_YES, &["🗑️ Kategori Lagu dihapus."]).await;
        });
        // The seller's own old wizard buttons and forged data: refused, nothing changes.
        let audit_before = shop.audit_actions().len();
        let (message, old_save) = buttons
            .iter()
            .find(|(_, d)| d.starts_with("@w:"))
            .cloned()
            .expect("a wizard button");
        runtime().block_on(async {
            for data in [old_save.as_str(), "@w:1:y", "@zz:1", "@p:o:999999"] {
                let since = Instant::now();
                press_data(&shop.telegram, ADMIN_ID, message, data);
                let needle = if data == "@p:o:999999" { "sudah tidak ada" } else { admin::STALE };
                shop.expect_toast(since, needle).await;
            }
        });
        assert_eq!(shop.audit_actions().len(), audit_before);
        assert_eq!(shop.products_named("Netflix Satu"), 1);
        assert_eq!(shop.products_named("Netflix Dua"), 0);
        let edits = shop.audit_actions().into_iter().filter(|a| *a == AdminAction::ProductEdit).count();
        assert_eq!(edits, 1, "one save, one audit row");
        let actions = shop.audit_actions();
        for action in [
            AdminAction::ProductArchive,
            AdminAction::ProductRestore,
            AdminAction::CategoryCreate,
            AdminAction::CategoryMove,
            AdminAction::CategoryRename,
            AdminAction::CategoryDelete,
        ] {
            assert_eq!(actions.iter().filter(|a| **a == action).count(), 1, "{action:?} in {actions:?}");
        }
    }
}

both_backends! {
    fn product_edits_deletes_voucher_reactivation_success_template_and_csv_stock(backend) {
        use autoorder_actors::bot::admin::callback::ProductField;
        use autoorder_schema::queries::admin::templates::TemplateKey;
        use autoorder_schema::queries::shop::balance::adjust_balance;

        let shop = Admin::open(backend);
        let buyer = 4304;
        support::add_users(&shop.store.pool(), [buyer]);
        adjust_balance(&mut shop.conn(), buyer, 200_000, ADMIN_ID, "test top-up").unwrap().unwrap();
        runtime().block_on(async {
            // Price typed as people write it, description and category, each confirmed.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Products), &["produk aktif"]).await;
            shop.tap(ADMIN_ID, admin::BTN_MANAGE_PRODUCTS, &[admin::PICK_PRODUCT]).await;
            shop.tap(ADMIN_ID, "Netflix Premium 1 Bulan", &["Kode: NF1M", "Rp 30.000"]).await;
            shop.tap(ADMIN_ID, &admin::btn_edit_field(ProductField::Price), &["Kirim harga baru"]).await;
            shop.type_text(ADMIN_ID, "Rp 35.000", &["Sebelum: Rp 30.000", "Sesudah: Rp 35.000"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["✅ Harga Netflix Premium 1 Bulan disimpan."]).await;
            shop.tap(ADMIN_ID, admin::BTN_BACK, &["Kode: NF1M", "Rp 35.000"]).await;
            shop.tap(ADMIN_ID, &admin::btn_edit_field(ProductField::Description), &["Kirim deskripsi baru"]).await;
            shop.type_text(ADMIN_ID, "Akun sharing, 1 profil, garansi 30 hari", &["Sesudah: Akun sharing, 1 profil, garansi 30 hari"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["✅ Deskripsi Netflix Premium 1 Bulan disimpan."]).await;
            shop.tap(ADMIN_ID, admin::BTN_BACK, &["Kode: NF1M", "Akun sharing, 1 profil"]).await;
            shop.tap(ADMIN_ID, &admin::btn_edit_field(ProductField::Category), &["Pilih kategori baru"]).await;
            shop.tap(ADMIN_ID, "Desain", &["Sebelum: Streaming", "Sesudah: Desain"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["✅ Kategori Netflix Premium 1 Bulan disimpan."]).await;
            // The customer sees all three.
            shop.type_text(buyer, texts::MENU_PRODUCTS, &["Semua Produk"]).await;
            let page = shop.tap(buyer, &texts::btn_category("Desain", 2), &["【 Desain 】", "Netflix Premium 1 Bulan"]).await;
            assert!(text_of(&page).contains("Canva Pro 1 Bulan"), "{}", text_of(&page));
            shop.tap(buyer, "Netflix Premium 1 Bulan", &["Rp 35.000", "Akun sharing, 1 profil, garansi 30 hari"]).await;

            // The payment-success text, then a real purchase paid from the balance: the
            // delivery opens with it, filled with this order's values.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Respon), &[admin::RESPON]).await;
            let success = admin::template_title(TemplateKey::PaymentSuccess);
            shop.tap(ADMIN_ID, success, &[success]).await;
            shop.tap(ADMIN_ID, admin::BTN_EDIT_TEMPLATE, &["{order_id}"]).await;
            shop.type_text(ADMIN_ID, "Lunas! {order_id}: {produk} x{jumlah}, total {total}. Terima kasih {nama}, saldo {saldo}.", &["Lunas! INV-20261130-0042"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["disimpan"]).await;
            shop.tap(buyer, &texts::btn_quantity(1), &["ada di keranjang"]).await;
            shop.tap(buyer, texts::BTN_VIEW_CART, &["Keranjang Anda"]).await;
            shop.tap(buyer, texts::BTN_CHECKOUT, &["Pilih Metode Pembayaran"]).await;
            let since = Instant::now();
            press(&shop.telegram, buyer, texts::BTN_PAY_BALANCE);
            shop.expect(buyer, since, &["Pembayaran berhasil"]).await;
            let invoice = autoorder_schema::queries::orders::last_order(&mut shop.conn(), buyer).unwrap().expect("the order").invoice_no;
            let delivered = shop.expect(buyer, since, &["Lunas!", "Berikut produk Anda"]).await;
            let text = text_of(&delivered);
            assert!(
                text.contains(&format!("Lunas! {invoice}: Netflix Premium 1 Bulan x1, total Rp 35.000. Terima kasih Budi, saldo Rp 165.000.")),
                "{text}"
            );
            assert!(!text.contains("Pembayaran diterima!") && !text.contains("INV-20261130-0042"), "{text}");

            // Netflix now has an order: its card offers no delete, and a forged delete press
            // is refused with archiving offered; nothing is deleted.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Products), &["produk aktif"]).await;
            shop.tap(ADMIN_ID, admin::BTN_MANAGE_PRODUCTS, &[admin::PICK_PRODUCT]).await;
            let card = shop.tap(ADMIN_ID, "Netflix Premium 1 Bulan", &["Kode: NF1M"]).await;
            let markup = card.param_json("reply_markup").unwrap().to_string();
            assert!(!markup.contains(admin::BTN_DELETE_PRODUCT) && markup.contains(admin::BTN_ARCHIVE), "{markup}");
            let netflix = product_id(&shop, "Netflix Premium 1 Bulan");
            let (_, card_id) = message_of(&card).unwrap();
            let since = Instant::now();
            press_data(&shop.telegram, ADMIN_ID, card_id, &format!("@p:d:{netflix}"));
            shop.expect(ADMIN_ID, since, &["Hapus Netflix Premium 1 Bulan PERMANEN?"]).await;
            shop.tap(ADMIN_ID, admin::BTN_YES, &["sudah ada di 1 pesanan", "Arsipkan"]).await;
            assert_eq!(shop.products_named("Netflix Premium 1 Bulan"), 1);

            // A product never ordered is deleted with its unsold stock.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Products), &["produk aktif"]).await;
            shop.tap(ADMIN_ID, admin::BTN_MANAGE_PRODUCTS, &[admin::PICK_PRODUCT]).await;
            shop.tap(ADMIN_ID, "Canva Pro 1 Bulan", &["Kode: CANVA1B"]).await;
            shop.tap(ADMIN_ID, admin::BTN_DELETE_PRODUCT, &["Hapus Canva Pro 1 Bulan PERMANEN?", "Produk belum pernah dipesan"]).await;
            shop.tap(ADMIN_ID, admin::BTN_YES, &["🗑️ Canva Pro 1 Bulan dihapus beserta"]).await;
            assert_eq!(shop.products_named("Canva Pro 1 Bulan"), 0);

            // Stock from a .csv file: one item per line, commas are part of the item.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Stock), &["Stok"]).await;
            shop.tap(ADMIN_ID, "Spotify Premium 1 Bulan", &["Spotify Premium 1 Bulan"]).await;
            let before = shop.available("SPOT1M");
            shop.tap(ADMIN_ID, admin::BTN_ADD_STOCK, &["SATU ITEM PER BARIS"]).await;
            let csv = shop.telegram.add_file("stok.csv", "text/csv", "csv-a@x.id,pass1\ncsv-b@x.id,pass2\ncsv-c@x.id,pass3\n");
            let since = Instant::now();
            shop.telegram.push_update(document_update(None, ADMIN_ID, ADMIN_ID, csv, None));
            shop.expect(ADMIN_ID, since, &["stok.csv", "Item baru: 3"]).await;
            assert_eq!(shop.available("SPOT1M"), before, "nothing stored before Simpan");
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["✅ 3 item ditambahkan ke Spotify Premium 1 Bulan"]).await;
            assert_eq!(shop.available("SPOT1M"), before + 3);

            // A voucher deactivated then reactivated: refused, then usable again.
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Vouchers), &["Voucher"]).await;
            shop.tap(ADMIN_ID, admin::BTN_ADD_VOUCHER, &["KODE"]).await;
            shop.type_text(ADMIN_ID, "LAGI10", &["LAGI10"]).await;
            shop.tap(ADMIN_ID, admin::BTN_PERCENT, &["%"]).await;
            shop.type_text(ADMIN_ID, "10", &["BATAS PEMAKAIAN"]).await;
            shop.tap(ADMIN_ID, admin::BTN_NO_LIMIT, &["MULAI berlaku"]).await;
            shop.tap(ADMIN_ID, admin::BTN_FROM_NOW, &["BERAKHIR"]).await;
            shop.tap(ADMIN_ID, admin::BTN_NO_LIMIT, &["Kode: LAGI10"]).await;
            shop.tap(ADMIN_ID, admin::BTN_SAVE, &["✅ Voucher LAGI10 dibuat"]).await;
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Vouchers), &["Voucher"]).await;
            shop.tap(ADMIN_ID, "LAGI10", &["LAGI10"]).await;
            shop.tap(ADMIN_ID, admin::BTN_DEACTIVATE, &["Nonaktifkan voucher LAGI10?"]).await;
            shop.tap(ADMIN_ID, admin::BTN_YES, &["⏸️ Voucher LAGI10 dinonaktifkan."]).await;
            shop.type_text(buyer, texts::MENU_PRODUCTS, &["Semua Produk"]).await;
            shop.tap(buyer, &texts::btn_category("Streaming", 1), &["Spotify Premium 1 Bulan"]).await;
            shop.tap(buyer, "Spotify Premium 1 Bulan", &["📦", "Spotify Premium 1 Bulan"]).await;
            shop.tap(buyer, &texts::btn_quantity(1), &["ada di keranjang"]).await;
            shop.tap(buyer, texts::BTN_VIEW_CART, &["Keranjang Anda"]).await;
            shop.tap(buyer, texts::BTN_USE_VOUCHER, &[texts::VOUCHER_PROMPT]).await;
            shop.type_text(buyer, "LAGI10", &["Voucher LAGI10 tidak dapat dipakai", "tidak aktif"]).await;
            shop.type_text(ADMIN_ID, "/admin", &["⚙️ Menu Admin"]).await;
            shop.tap(ADMIN_ID, admin::section_label(Section::Vouchers), &["Voucher"]).await;
            shop.tap(ADMIN_ID, "LAGI10", &["LAGI10", "nonaktif"]).await;
            shop.tap(ADMIN_ID, admin::BTN_REACTIVATE, &["Aktifkan lagi voucher LAGI10?"]).await;
            shop.tap(ADMIN_ID, admin::BTN_YES, &["▶️ Voucher LAGI10 aktif lagi."]).await;
            // The customer, still at the voucher prompt, types it again.
            shop.type_text(buyer, "LAGI10", &["Voucher LAGI10 dipakai: potongan Rp 1.800"]).await;
        });
        let actions = shop.audit_actions();
        assert_eq!(actions.iter().filter(|a| **a == AdminAction::ProductEdit).count(), 3, "{actions:?}");
        for action in [
            AdminAction::ProductDelete,
            AdminAction::TemplateSave,
            AdminAction::StockAdd,
            AdminAction::VoucherCreate,
            AdminAction::VoucherDeactivate,
            AdminAction::VoucherReactivate,
        ] {
            assert_eq!(actions.iter().filter(|a| **a == action).count(), 1, "{action:?} in {actions:?}");
        }
    }
}

/// The id of the product called `name` (active or archived).
fn product_id(shop: &Admin, name: &str) -> i64 {
    use autoorder_schema::queries::admin::PageRequest;
    use autoorder_schema::queries::admin::products::{ProductList, list_products};
    [ProductList::Active, ProductList::Archived]
        .into_iter()
        .flat_map(|which| {
            list_products(&mut shop.conn(), which, PageRequest::new(0, 100))
                .unwrap()
                .items
        })
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no product {name}"))
        .id
        .0
}
