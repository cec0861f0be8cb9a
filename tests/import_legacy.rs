//! `autoorder import-legacy` as a store moving from the Python bot runs it: a PostgreSQL
//! database made from the old bot's schema (tests/fixtures/legacy/) with a small store in it is
//! imported into a fresh store on each backend. A dry run changes nothing; the import brings
//! customers, balances, catalog, stock (encrypted, the sold items not for sale), orders,
//! payments, deposits, vouchers, SNK and templates; a second run adds nothing; a failure
//! halfway leaves the store untouched; a wrong key or a taken code stops everything; and the
//! moved customer finds their balance and history in the running bot and pays with it.

mod support;

use std::time::{Duration, Instant};

use autoorder_actors::bot::texts;
use autoorder_doubles::{Call, TelegramDouble};
use autoorder_schema::both_backends;
use autoorder_schema::crypto::DataKeys;
use autoorder_schema::db::{Backend, DbConnection, checkout};
use autoorder_schema::migrations::row_counts;
use autoorder_schema::queries::catalog::stock_aad;
use autoorder_schema::queries::legacy::ids::imported_voucher_uses;
use autoorder_schema::queries::shop::balance::{balance_of, ledger_sum};
use autoorder_schema::queries::shop::templates::get_template;
use autoorder_schema::queries::snk::snk_aad;
use autoorder_schema::queries::users::whatsapp_aad;
use autoorder_schema::secret::Secret;
use autoorder_schema::tables::{
    audit_log as a, balance_ledger as l, deposits as d, orders as o, payments as pay,
    products as p, snk_answers as sa, stock_items as s, users as u, vouchers as v,
};
use autoorder_schema::testing::{admin_url, execute, with_database};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use support::{Store, find_button, message_of, press, runtime, say, text_of};

const SCHEMA: &str = include_str!("fixtures/legacy/schema.sql");
const STORE: &str = include_str!("fixtures/legacy/store.sql");
/// The old bot's DATA_ENCRYPTION_KEY in the fixture (its SNK answers are Fernet tokens under it).
const LEGACY_KEY: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
/// A valid Fernet key that is not the fixture's.
const OTHER_KEY: &str = "+//7//v/+//7//v/+//7//v/+//7//v/+//7//v/+/8=";
const WAIT: Duration = Duration::from_secs(15);
const PAID_ORDER: &str = "OLD-4A1D564C228D";

/// The old bot's database: created from the fixture, dropped afterwards.
struct LegacyDb {
    name: String,
    url: String,
}

impl LegacyDb {
    fn create() -> LegacyDb {
        let name = format!(
            "legacy_bot_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let mut admin = diesel::PgConnection::establish(&admin_url())
            .expect("PostgreSQL for the old bot's database (AUTOORDER_TEST_PG_URL)");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let url = with_database(&admin_url(), &name);
        let db = LegacyDb { name, url };
        db.execute(SCHEMA);
        db.execute(STORE);
        db
    }

    fn execute(&self, sql: &str) {
        diesel::PgConnection::establish(&self.url)
            .unwrap()
            .batch_execute(sql)
            .unwrap();
    }
}

impl Drop for LegacyDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = diesel::PgConnection::establish(&admin_url()) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn keys() -> DataKeys {
    let key: [u8; 32] = std::array::from_fn(|i| i as u8);
    DataKeys::new(vec![("t1".to_string(), Secret::new(key))]).unwrap()
}

/// A store on `backend`, migrated, so "nothing changed" compares like with like.
fn target(backend: Backend, telegram: &TelegramDouble) -> Store {
    let store = Store::new(backend, telegram);
    let out = store.cli(&["migrate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    store
}

fn import(store: &Store, legacy: &LegacyDb, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["import-legacy", "--from", legacy.url.as_str()];
    args.extend_from_slice(extra);
    store.cli(&args)
}

fn counts(store: &Store) -> Vec<(String, i64)> {
    row_counts(&mut checkout(&store.pool()).unwrap()).unwrap()
}

fn conn(store: &Store) -> autoorder_schema::PooledConn {
    checkout(&store.pool()).unwrap()
}

both_backends! {
    fn a_dry_run_then_the_import_bring_the_whole_store_once(backend) {
        let legacy = LegacyDb::create();
        let telegram = TelegramDouble::start();
        let store = target(backend, &telegram);
        let empty = counts(&store);

        // A dry run shows what would come and every note, and writes nothing.
        let dry = import(&store, &legacy, &["--dry-run", "--legacy-key", LEGACY_KEY]);
        let stdout = text(&dry.stdout);
        assert!(dry.status.success(), "{stdout}\n{}", text(&dry.stderr));
        assert!(stdout.contains("nothing was written"), "{stdout}");
        assert!(stdout.contains("users #2 balance_cents: Rp 12.345,50 is not whole Rupiah: imported as Rp 12.345, the Rp 0,50 left out"), "{stdout}");
        assert!(stdout.contains("reply_templates #welcome content: placeholder {status} has no equivalent here"), "{stdout}");
        assert!(stdout.contains("products #4 code: \"spot 1m\" becomes SPOT-1M"), "{stdout}");
        assert_eq!(counts(&store), empty, "a dry run writes nothing");
        let output = format!("{stdout}{}", text(&dry.stderr));
        assert!(!output.contains(":autoorder_test@"), "the password of --from was printed");
        assert!(!output.contains("Sandi-"), "stock content printed");

        let out = import(&store, &legacy, &["--legacy-key", LEGACY_KEY]);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
        assert!(stdout.contains("imported from postgres://"), "{stdout}");
        assert!(stdout.contains("opening balances: Rp 62.345 in 2 ledger row(s)"), "{stdout}");
        let mut c = conn(&store);
        check_customers(&mut c);
        check_catalog_and_stock(&mut c);
        check_orders_payments_deposits(&mut c);
        check_vouchers_texts_snk_audit(&mut c);
        // Every rupiah the move brought is accounted for.
        let reconciled = store.cli(&["reconcile", "--json"]);
        assert_eq!(
            reconciled.status.code(),
            Some(0),
            "reconcile after the import:\n{}{}",
            text(&reconciled.stdout),
            text(&reconciled.stderr)
        );

        // A second run adds nothing.
        let after = counts(&store);
        let again = import(&store, &legacy, &["--legacy-key", LEGACY_KEY]);
        let stdout = text(&again.stdout);
        assert!(again.status.success(), "{stdout}\n{}", text(&again.stderr));
        assert_eq!(counts(&store), after, "a second run adds nothing");
        assert!(stdout.contains("already imported before"), "{stdout}");
        assert!(!stdout.contains("left out (see the notes)"), "{stdout}");
        assert_eq!(balance_of(&mut conn(&store), 8001).unwrap(), 50_000, "no balance twice");
    }
}

fn check_customers(c: &mut DbConnection) {
    type Row = (
        i64,
        Option<String>,
        String,
        Option<String>,
        Option<Vec<u8>>,
        i64,
        bool,
        bool,
        Option<i64>,
    );
    let users: Vec<Row> = u::table
        .order(u::id.asc())
        .select((
            u::id,
            u::username,
            u::first_name,
            u::display_name,
            u::whatsapp_enc,
            u::balance,
            u::is_blocked,
            u::is_verified,
            u::unreachable_at,
        ))
        .load(c)
        .unwrap();
    let ids: Vec<i64> = users.iter().map(|r| r.0).collect();
    assert_eq!(
        ids,
        [8001, 8002, 8003, 8004],
        "Telegram ids are our user ids"
    );
    let budi = &users[0];
    assert_eq!(
        (budi.1.as_deref(), budi.2.as_str(), budi.3.as_deref()),
        (Some("budi"), "Budi", Some("Budi S"))
    );
    let sealed = budi.4.as_ref().expect("WhatsApp number kept");
    assert_eq!(
        keys().decrypt_str(sealed, &whatsapp_aad(8001)).unwrap(),
        "081234567890"
    );
    assert!(
        !sealed.windows(4).any(|w| w == b"0812"),
        "WhatsApp number in plaintext"
    );
    assert!(budi.7, "verified kept");
    assert_eq!(
        users[1].5, 12_345,
        "not whole Rupiah: the remainder left out, noted"
    );
    assert!(
        users[2].6 && users[2].2.is_empty(),
        "blocked kept, no first name"
    );
    assert!(users[3].8.is_some(), "blocked the old bot: unreachable");

    // Each opening balance is one ledger row, reason import, reference legacy-user:<old id>.
    let ledger: Vec<(i64, i64, String, Option<String>)> = l::table
        .order(l::id.asc())
        .select((l::user_id, l::delta, l::reason, l::reference))
        .load(c)
        .unwrap();
    assert_eq!(
        ledger,
        [
            (
                8001,
                50_000,
                "import".to_string(),
                Some("legacy-user:1".to_string())
            ),
            (
                8002,
                12_345,
                "import".to_string(),
                Some("legacy-user:2".to_string())
            ),
        ]
    );
    for id in [8001, 8002, 8003, 8004] {
        assert_eq!(
            balance_of(c, id).unwrap(),
            ledger_sum(c, id).unwrap(),
            "user {id}"
        );
    }
}

fn check_catalog_and_stock(c: &mut DbConnection) {
    type Row = (String, String, i64, Option<String>, bool, Option<i64>, i64);
    let products: Vec<Row> = p::table
        .order(p::id.asc())
        .select((
            p::code,
            p::name,
            p::price,
            p::snk,
            p::is_active,
            p::archived_at,
            p::sold_count,
        ))
        .load(c)
        .unwrap();
    let codes: Vec<&str> = products.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(codes, ["NF1M", "ML86", "OLDVPN", "SPOT-1M"]);
    assert_eq!(products[0].2, 30_000);
    assert_eq!(
        products[0].3.as_deref(),
        Some("Kirim screenshot login dalam 1x24 jam.")
    );
    assert_eq!(products[0].6, 2, "sold count kept");
    assert!(
        !products[2].4 && products[2].5.is_some(),
        "inactive: archived"
    );
    assert_eq!(products[2].6, 5);

    // Stock: encrypted at rest and bound to its row; sold items sold to their order.
    /// Product id and code, ciphertext, hash, state, and the invoice it was sold to.
    type StockRow = (i64, String, Vec<u8>, String, String, Option<String>);
    let rows: Vec<StockRow> = s::table
        .inner_join(p::table)
        .left_join(o::table.on(s::order_id.eq(o::id.nullable())))
        .order(s::id.asc())
        .select((
            s::product_id,
            p::code,
            s::content_enc,
            s::content_hash,
            s::state,
            o::invoice_no.nullable(),
        ))
        .load(c)
        .unwrap();
    assert_eq!(rows.len(), 9);
    let mut available: Vec<(String, String)> = Vec::new();
    let mut sold: Vec<(String, String)> = Vec::new();
    for (product_id, code, sealed, hash, state, invoice) in rows {
        assert!(
            !sealed.windows(5).any(|w| w == b"Sandi" || w == b"MLBB-"),
            "plaintext stock"
        );
        let content = keys()
            .decrypt_str(&sealed, &stock_aad(product_id, &hash))
            .unwrap();
        match (state.as_str(), invoice) {
            ("available", None) => available.push((code, content)),
            ("sold", Some(invoice)) => sold.push((invoice, content)),
            other => panic!("stock item in state {other:?}"),
        }
    }
    assert_eq!(available.len(), 6);
    assert!(
        available
            .iter()
            .all(|(_, c)| !c.contains("Sandi-A1") && c != "MLBB-86D-OLD1-0001"),
        "sold items are not for sale"
    );
    sold.sort();
    assert_eq!(
        sold,
        [
            (
                PAID_ORDER.to_string(),
                "nf.a@mailtoko.id:Sandi-A1".to_string()
            ),
            (
                PAID_ORDER.to_string(),
                "nf.b@mailtoko.id:Sandi-B2".to_string()
            ),
            (
                "OLD-E5766AE21994".to_string(),
                "MLBB-86D-OLD1-0001".to_string()
            ),
        ]
    );
}

fn check_orders_payments_deposits(c: &mut DbConnection) {
    type Row = (
        String,
        i64,
        String,
        String,
        i64,
        i64,
        i64,
        Option<i64>,
        Option<i64>,
    );
    let orders: Vec<Row> = o::table
        .order(o::invoice_no.asc())
        .select((
            o::invoice_no,
            o::user_id,
            o::status,
            o::payment_method,
            o::subtotal,
            o::fee,
            o::total,
            o::paid_at,
            o::delivered_at,
        ))
        .load(c)
        .unwrap();
    let summary: Vec<(&str, &str)> = orders
        .iter()
        .map(|r| (r.0.as_str(), r.2.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("OLD-0A640389A3C3", "expired"),
            ("OLD-1C264CABD94F", "expired"),
            (PAID_ORDER, "delivered"),
            ("OLD-B0D727B79D8D", "cancelled"),
            ("OLD-E5766AE21994", "delivered"),
        ]
    );
    let paid = &orders[2];
    assert_eq!(
        (paid.1, paid.3.as_str(), paid.4, paid.5, paid.6),
        (8001, "qris", 60_000, 730, 60_730)
    );
    assert!(
        paid.7.is_some() && paid.8.is_some(),
        "paid and delivered history"
    );

    let payments: Vec<(String, String, i64, String)> = pay::table
        .order(pay::gateway_order_id.asc())
        .select((
            pay::gateway_order_id,
            pay::purpose,
            pay::amount,
            pay::status,
        ))
        .load(c)
        .unwrap();
    let shown: Vec<(&str, &str, i64, &str)> = payments
        .iter()
        .map(|(g, p, a, s)| (g.as_str(), p.as_str(), *a, s.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("dp8001-5f3a9c21", "deposit", 50_000, "completed"),
            ("dp8002-77ab01de", "deposit", 10_000, "expired"),
            ("tg8001-1c264cab", "order", 22_000, "expired"),
            ("tg8001-4a1d564c", "order", 60_000, "completed"),
            ("tg8002-0a640389", "order", 30_000, "expired"),
            ("tg8002-e5766ae2", "order", 22_000, "completed"),
        ],
        "gateway ids kept (never reused), open ones closed"
    );
    let deposits: Vec<(i64, i64, String)> = d::table
        .order(d::id.asc())
        .select((d::user_id, d::amount, d::status))
        .load(c)
        .unwrap();
    assert_eq!(
        deposits,
        [
            (8001, 50_000, "completed".to_string()),
            (8002, 10_000, "expired".to_string()),
            (8002, 2_345, "completed".to_string()),
        ]
    );
}

fn check_vouchers_texts_snk_audit(c: &mut DbConnection) {
    let vouchers: Vec<(i64, String, String, i64, Option<i32>, i32)> = v::table
        .order(v::id.asc())
        .select((
            v::id,
            v::code,
            v::kind,
            v::value,
            v::max_uses,
            v::used_count,
        ))
        .load(c)
        .unwrap();
    assert_eq!(vouchers[0].1, "HEMAT10");
    assert_eq!(
        (
            vouchers[0].2.as_str(),
            vouchers[0].3,
            vouchers[0].4,
            vouchers[0].5
        ),
        ("percent", 10, Some(5), 2)
    );
    assert_eq!(
        (
            vouchers[1].1.as_str(),
            vouchers[1].2.as_str(),
            vouchers[1].3
        ),
        ("POTONG5K", "flat", 5_000)
    );
    assert_eq!(
        imported_voucher_uses(c, vouchers[0].0).unwrap(),
        2,
        "uses consumed in the old bot"
    );

    let welcome = get_template(c, "welcome").unwrap().unwrap();
    assert_eq!(
        welcome.body,
        "Halo {nama}, selamat datang di {store_name}! Status akun: {status}."
    );
    let cara = get_template(c, "cara_order").unwrap().unwrap();
    assert!(
        cara.body.starts_with("Cara order di {store_name}") && cara.photo.is_none(),
        "{cara:?}"
    );
    let success = get_template(c, "payment_success").unwrap().unwrap();
    assert!(
        success.body.contains("sebesar {total} lunas"),
        "{{harga}} mapped: {}",
        success.body
    );

    // SNK answers: decrypted from Fernet, stored under our key; the one past retention left out.
    let answers: Vec<(String, i64, i64, Vec<u8>)> = sa::table
        .order(sa::order_ref.asc())
        .select((sa::order_ref, sa::product_id, sa::user_id, sa::answer_enc))
        .load(c)
        .unwrap();
    assert_eq!(answers.len(), 2);
    let mut plain = Vec::new();
    for (order_ref, product_id, user_id, sealed) in &answers {
        assert!(
            !sealed.windows(6).any(|w| w == b"Sudah "),
            "SNK answer in plaintext"
        );
        let json = keys()
            .decrypt_str(sealed, &snk_aad(order_ref, *product_id))
            .unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        plain.push((order_ref.clone(), *user_id, value));
    }
    assert_eq!(plain[0].0, PAID_ORDER);
    assert_eq!(plain[0].1, 8001);
    assert_eq!(plain[0].2["text"], "Sudah saya kirim screenshot, ID 77123");
    assert_eq!(plain[0].2["photo_file_id"], "AgACAgIAAxkBAAIBsnapshot");
    assert_eq!(plain[1].2["text"], "Akun sudah login, terima kasih");

    let audit: Vec<(String, Option<String>)> = a::table
        .order(a::id.asc())
        .select((a::action, a::subject))
        .load(c)
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        actions,
        [
            "legacy.product.create",
            "legacy.order.paid",
            "legacy.import"
        ]
    );
}

both_backends! {
    fn a_failure_halfway_leaves_the_store_untouched(backend) {
        let legacy = LegacyDb::create();
        let telegram = TelegramDouble::start();
        let store = target(backend, &telegram);
        // Orders come after customers, balances, the catalog and stock: make them fail.
        let (inject, remove) = match backend {
            Backend::Sqlite => (
                "CREATE TRIGGER injected BEFORE INSERT ON orders BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
                "DROP TRIGGER injected;",
            ),
            Backend::Postgres => (
                "CREATE FUNCTION injected() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END; $$ LANGUAGE plpgsql;\n\
                 CREATE TRIGGER injected BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION injected();",
                "DROP TRIGGER injected ON orders; DROP FUNCTION injected();",
            ),
        };
        execute(&store.pool(), inject).unwrap();
        let before = counts(&store);
        let out = import(&store, &legacy, &["--legacy-key", LEGACY_KEY]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        assert!(text(&out.stderr).contains("injected failure"), "{}", text(&out.stderr));
        assert_eq!(counts(&store), before, "nothing of the half-done import is left");

        execute(&store.pool(), remove).unwrap();
        let out = import(&store, &legacy, &["--legacy-key", LEGACY_KEY]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(store.count("orders"), 5);
    }
}

#[test]
fn without_the_key_answers_are_counted_and_a_wrong_key_or_a_taken_code_stops_everything() {
    let legacy = LegacyDb::create();
    let telegram = TelegramDouble::start();

    // No key: everything else comes, the encrypted answers are skipped and counted.
    let store = target(Backend::Sqlite, &telegram);
    let out = import(&store, &legacy, &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains(
            "product_term_submissions #* message: 2 answer(s) with text skipped: give --legacy-key"
        ),
        "{stdout}"
    );
    assert_eq!(store.count("snk_answers"), 0);
    assert_eq!(store.count("orders"), 5);

    // A key that is not the old bot's: every answer named, nothing imported.
    let store = target(Backend::Sqlite, &telegram);
    let before = counts(&store);
    let out = import(&store, &legacy, &["--legacy-key", OTHER_KEY]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("product_term_submissions #1 message: does not decrypt with --legacy-key"),
        "{stderr}"
    );
    assert!(
        stderr.contains("product_term_submissions #2 message: does not decrypt"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert!(!stderr.contains(OTHER_KEY), "the key was printed");
    assert_eq!(counts(&store), before);

    // Not a key at all, and not a PostgreSQL URL: clear errors.
    let out = import(&store, &legacy, &["--legacy-key", "short"]);
    assert!(
        text(&out.stderr).contains("--legacy-key: not a Fernet key"),
        "{}",
        text(&out.stderr)
    );
    let out = store.cli(&["import-legacy", "--from", "mysql://x@y/z"]);
    assert!(
        text(&out.stderr).contains("--from: expected the old bot's database as postgres://"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(counts(&store), before);

    // A product code this store already uses for another product.
    let catalog = store.dir.path().join("mine.toml");
    std::fs::write(
        &catalog,
        "[[products]]\ncode = \"NF1M\"\nname = \"Punya toko ini\"\nprice = 1000\n",
    )
    .unwrap();
    let out = store.cli(&["catalog", "import", catalog.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = counts(&store);
    let out = import(&store, &legacy, &["--legacy-key", LEGACY_KEY]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("products #1 code: code NF1M is already used by product #1 of this store"),
        "{stderr}"
    );
    assert_eq!(counts(&store), before);
}

/// Waits for a message to `chat` sent at or after `since` holding every needle.
async fn expect(telegram: &TelegramDouble, chat: i64, since: Instant, needles: &[&str]) -> Call {
    let found = support::wait_for_text(telegram, chat, since, needles, WAIT).await;
    found.unwrap_or_else(|| {
        let recent: Vec<String> = telegram
            .calls()
            .iter()
            .filter(|c| message_of(c).is_some_and(|(ch, _)| ch == chat))
            .map(text_of)
            .collect();
        panic!("no message to {chat} with {needles:?}; sent: {recent:#?}")
    })
}

async fn tap(telegram: &TelegramDouble, chat: i64, label: &str, needles: &[&str]) -> Call {
    let since = Instant::now();
    press(telegram, chat, label);
    expect(telegram, chat, since, needles).await
}

async fn type_text(telegram: &TelegramDouble, chat: i64, words: &str, needles: &[&str]) -> Call {
    let since = Instant::now();
    say(telegram, chat, words);
    expect(telegram, chat, since, needles).await
}

#[test]
fn the_moved_customer_finds_balance_and_history_and_pays_with_balance_and_the_coupon() {
    let legacy = LegacyDb::create();
    let telegram = TelegramDouble::start();
    let mut store = target(Backend::Sqlite, &telegram);
    // Tests tap faster than people: lift the anti-spam limit.
    store.set("SPAM_MAX_ACTIONS", "10000");
    let out = import(&store, &legacy, &["--legacy-key", LEGACY_KEY]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let _bot = store.start();
    let budi = 8001;
    runtime().block_on(async {
        type_text(&telegram, budi, texts::MENU_INFO, &["Saldo: Rp 50.000"]).await;
        type_text(
            &telegram,
            budi,
            texts::MENU_ORDERS,
            &[PAID_ORDER, "Terkirim"],
        )
        .await;
        tap(
            &telegram,
            budi,
            &texts::btn_order(PAID_ORDER),
            &[PAID_ORDER, "Netflix Premium 1 Bulan × 2"],
        )
        .await;
        let resent = tap(
            &telegram,
            budi,
            texts::BTN_RESEND,
            &["Kirim ulang pesanan", PAID_ORDER],
        )
        .await;
        let items = text_of(&resent);
        assert!(
            items.contains("nf.a@mailtoko.id:Sandi-A1")
                && items.contains("nf.b@mailtoko.id:Sandi-B2"),
            "{items}"
        );

        // A new order with the old coupon, paid from the old balance.
        type_text(&telegram, budi, texts::MENU_PRODUCTS, &["Semua Produk"]).await;
        tap(
            &telegram,
            budi,
            "Mobile Legends 86 Diamond",
            &["📦", "Mobile Legends 86 Diamond"],
        )
        .await;
        tap(
            &telegram,
            budi,
            &texts::btn_quantity(1),
            &["ada di keranjang"],
        )
        .await;
        tap(&telegram, budi, texts::BTN_VIEW_CART, &["Keranjang Anda"]).await;
        tap(
            &telegram,
            budi,
            texts::BTN_USE_VOUCHER,
            &[texts::VOUCHER_PROMPT],
        )
        .await;
        type_text(
            &telegram,
            budi,
            "HEMAT10",
            &["Voucher HEMAT10 dipakai: potongan Rp 2.200"],
        )
        .await;
        assert!(find_button(&telegram, budi, texts::BTN_CHECKOUT).is_some());
        tap(&telegram, budi, texts::BTN_CHECKOUT, &["Diskon: -Rp 2.200"]).await;
        let since = Instant::now();
        press(&telegram, budi, texts::BTN_PAY_BALANCE);
        expect(&telegram, budi, since, &["Pembayaran berhasil"]).await;
        // The delivery opens with the store's own payment-success text, imported from the
        // old bot's templates with its placeholders mapped.
        expect(
            &telegram,
            budi,
            since,
            &[
                "Terima kasih Budi S, pesanan INV-",
                "lunas",
                "MLBB-86D-OLD1-0002",
            ],
        )
        .await;
    });
    let mut c = conn(&store);
    assert_eq!(balance_of(&mut c, budi).unwrap(), 50_000 - 19_800);
    assert_eq!(
        balance_of(&mut c, budi).unwrap(),
        ledger_sum(&mut c, budi).unwrap()
    );
    assert!(
        support::eventually(WAIT, || {
            v::table
                .filter(v::code.eq("HEMAT10"))
                .select(v::used_count)
                .first::<i32>(&mut conn(&store))
                .unwrap()
                == 3
        }),
        "the coupon's third use"
    );
}
