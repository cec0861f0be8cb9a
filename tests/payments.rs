//! End-to-end: the payment rules of SPEC §4 — callbacks are only triggers, replays change
//! nothing, a forged callback delivers nothing, a lost callback is found by the poller, expiry
//! releases everything, gateway outages alert the owner once and recover, and concurrent
//! buyers on two runtimes never oversell.

mod support;

use std::time::{Duration, Instant};

use autoorder_actors::bot::callback::CallbackData;
use autoorder_doubles::pakasir::{Endpoint, Failure};
use autoorder_doubles::{PakasirDouble, TelegramDouble};
use autoorder_schema::both_backends;
use autoorder_schema::db::Backend;
use autoorder_schema::queries::shop::carts::set_cart_quantity;
use autoorder_schema::queries::shop::products::stock_table;
use support::{Bot, Store, add_users, eventually, press_data, runtime, text_of};

const WAIT: Duration = Duration::from_secs(20);
const SECRET: &str = "pakasir-callback-secret-7";
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/conf/catalog.example.toml");
const OWNER: i64 = 9001;

struct Rig {
    telegram: TelegramDouble,
    pakasir: PakasirDouble,
    store: Store,
    bot: Bot,
}

fn store(backend: Backend, telegram: &TelegramDouble, pakasir: &PakasirDouble) -> Store {
    let mut store = Store::new(backend, telegram);
    store.set("PAKASIR_PROJECT_SLUG", &pakasir.project());
    store.set("PAKASIR_API_KEY", &pakasir.api_key());
    store.set("PAKASIR_WEBHOOK_SECRET", SECRET);
    store.set("PAKASIR_BASE_URL", &pakasir.base_url());
    store.set("SPAM_MAX_ACTIONS", "10000");
    let out = store.cli(&["catalog", "import", EXAMPLE]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    store
}

impl Rig {
    fn open(backend: Backend, configure: impl FnOnce(&mut Store)) -> Rig {
        let telegram = TelegramDouble::start();
        let pakasir = PakasirDouble::start();
        let mut store = store(backend, &telegram, &pakasir);
        configure(&mut store);
        let bot = store.start();
        pakasir.set_webhook_url(format!("{}/webhooks/pakasir/{SECRET}", bot.base));
        Rig {
            telegram,
            pakasir,
            store,
            bot,
        }
    }

    fn conn(&self) -> autoorder_schema::PooledConn {
        autoorder_schema::checkout(&self.store.pool()).unwrap()
    }

    fn product_id(&self, code: &str) -> i64 {
        stock_table(&mut self.conn())
            .unwrap()
            .into_iter()
            .find(|l| l.code == code)
            .unwrap()
            .id
    }

    fn available(&self, code: &str) -> i64 {
        stock_table(&mut self.conn())
            .unwrap()
            .into_iter()
            .find(|l| l.code == code)
            .unwrap()
            .stock
    }

    /// Puts one item in `buyer`'s cart (as the cart buttons would) and presses *QRIS*.
    fn buy_with_qris(&self, buyer: i64, code: &str) {
        add_users(&self.store.pool(), [buyer]);
        let pid = self.product_id(code);
        set_cart_quantity(&mut self.conn(), buyer, pid, 1).unwrap();
        press_data(
            &self.telegram,
            buyer,
            1,
            &CallbackData::PayQris.encode().expect("fits in 64 bytes"),
        );
    }

    /// Waits for a send to `chat` after `since` whose text or caption has `needle`.
    async fn expect(
        &self,
        method: &str,
        chat: i64,
        since: Instant,
        needle: &str,
    ) -> autoorder_doubles::Call {
        self.telegram
            .wait_for(
                method,
                |c| {
                    c.at >= since
                        && c.param_i64("chat_id") == Some(chat)
                        && c.ok() == Some(true)
                        && text_of(c).contains(needle)
                },
                WAIT,
            )
            .await
            .unwrap_or_else(|| {
                panic!(
                    "no {method} to {chat} with {needle:?}; output:\n{}",
                    support::read_all(&self.store.log_dir())
                )
            })
    }

    fn sends_to(&self, chat: i64, needle: &str) -> usize {
        self.telegram
            .calls()
            .iter()
            .filter(|c| {
                c.ok() == Some(true)
                    && c.param_i64("chat_id") == Some(chat)
                    && text_of(c).contains(needle)
            })
            .count()
    }

    /// True once no job is due or running (everything the events caused has happened).
    fn queue_idle(&self) -> bool {
        autoorder_schema::queries::jobs::busy_jobs(&mut self.conn()).unwrap() == 0
    }
}

fn only_transaction(pakasir: &PakasirDouble) -> autoorder_doubles::pakasir::Transaction {
    let all = pakasir.transactions();
    assert_eq!(all.len(), 1, "{all:?}");
    all.into_iter().next().unwrap()
}

both_backends! {
    fn a_callback_replayed_ten_times_delivers_once(backend) {
        let rig = Rig::open(backend, |_| {});
        let buyer = 5101;
        runtime().block_on(async {
            let since = Instant::now();
            rig.buy_with_qris(buyer, "SPOT1M");
            rig.expect("sendPhoto", buyer, since, "INV-").await;
            let tx = only_transaction(&rig.pakasir);
            assert!(rig.pakasir.complete(&tx.order_id));
            rig.expect("sendMessage", buyer, since, "Pembayaran diterima!").await;
            for _ in 0..9 {
                assert!(rig.pakasir.fire_webhook(&tx.order_id));
            }
            let accepted = || rig.pakasir.webhooks().iter().filter(|w| w.order_id == tx.order_id && w.accepted()).count();
            assert!(eventually(WAIT, || accepted() == 10), "{} webhooks accepted", accepted());
        });
        assert!(eventually(WAIT, || rig.queue_idle()), "the queue settles");
        assert_eq!(rig.sends_to(buyer, "Pembayaran diterima!"), 1, "ten callbacks, one delivery");
        assert_eq!(autoorder_schema::queries::jobs::jobs_of_kind(&mut rig.conn(), "deliver_order").unwrap().len(), 1);
    }
}

both_backends! {
    fn a_forged_callback_delivers_nothing_and_alerts_the_owner(backend) {
        let rig = Rig::open(backend, |_| {});
        let buyer = 5102;
        runtime().block_on(async {
            let since = Instant::now();
            rig.buy_with_qris(buyer, "SPOT1M");
            rig.expect("sendPhoto", buyer, since, "INV-").await;
            let tx = only_transaction(&rig.pakasir);
            // A "completed" callback the gateway never sent: its detail still says pending.
            assert!(rig.pakasir.fire_forged_webhook(&tx.order_id, tx.amount));
            rig.expect("sendMessage", OWNER, since, "TIDAK dikonfirmasi").await;
        });
        assert!(eventually(WAIT, || rig.queue_idle()));
        assert_eq!(rig.sends_to(buyer, "Pembayaran diterima!"), 0, "nothing delivered");
        let audit = autoorder_schema::queries::audit::recent_audit(&mut rig.conn(), 20).unwrap();
        assert!(audit.iter().any(|(_, action, _)| action == "payment.callback_unconfirmed"), "{audit:?}");
        assert_eq!(rig.available("SPOT1M"), 2, "still reserved for the unpaid order");
        // Wrong secret path: refused outright.
        let status = runtime().block_on(async {
            reqwest::Client::new().post(rig.bot.url("/webhooks/pakasir/wrong")).body("{}").send().await.unwrap().status()
        });
        assert_eq!(status, 404);
    }
}

#[test]
fn a_lost_callback_is_completed_by_the_reconciliation_poller() {
    let rig = Rig::open(Backend::Sqlite, |s| s.set("PAYMENT_RECONCILE_SECONDS", "1"));
    let buyer = 5103;
    runtime().block_on(async {
        let since = Instant::now();
        rig.buy_with_qris(buyer, "SPOT1M");
        rig.expect("sendPhoto", buyer, since, "INV-").await;
        let tx = only_transaction(&rig.pakasir);
        // The customer pays, but the callback never arrives.
        rig.pakasir.clear_webhook_url();
        assert!(rig.pakasir.complete(&tx.order_id));
        rig.expect("sendMessage", buyer, since, "Pembayaran diterima!")
            .await;
    });
    assert!(
        rig.pakasir.webhooks().is_empty(),
        "no callback was delivered"
    );
}

#[test]
fn expiry_releases_the_stock_and_cleans_up_the_invoice() {
    let rig = Rig::open(Backend::Sqlite, |_| {});
    rig.pakasir.set_validity(Duration::from_secs(2));
    let buyer = 5104;
    runtime().block_on(async {
        let since = Instant::now();
        rig.buy_with_qris(buyer, "SPOT1M");
        let photo = rig.expect("sendPhoto", buyer, since, "INV-").await;
        let message_id = photo.result().unwrap()["message_id"].as_i64().unwrap();
        assert_eq!(rig.available("SPOT1M"), 2);
        rig.expect("sendMessage", buyer, since, "kedaluwarsa").await;
        let cleaned = rig
            .telegram
            .wait_for(
                "deleteMessage",
                |c| c.param_i64("message_id") == Some(message_id),
                WAIT,
            )
            .await;
        assert!(cleaned.is_some(), "the invoice message is deleted");
    });
    assert_eq!(rig.available("SPOT1M"), 3, "released");
    let tx = only_transaction(&rig.pakasir);
    assert!(
        eventually(WAIT, || rig
            .pakasir
            .calls_to(Endpoint::Cancel)
            .iter()
            .any(|c| c.params["order_id"] == tx.order_id.as_str())),
        "cancelled at the gateway"
    );
}

#[test]
fn gateway_failures_alert_the_owner_once_then_recovery_is_announced() {
    let rig = Rig::open(Backend::Sqlite, |_| {});
    rig.pakasir
        .fail(Endpoint::Create, Failure::Status(503), None);
    runtime().block_on(async {
        for (i, buyer) in (5201..=5204).enumerate() {
            let since = Instant::now();
            rig.buy_with_qris(buyer, "SPOT1M");
            rig.expect("sendMessage", buyer, since, "gangguan").await;
            if i == 2 {
                rig.expect("sendMessage", OWNER, since, "gagal 3 kali")
                    .await;
            }
        }
        rig.pakasir.clear_failures();
        let since = Instant::now();
        rig.buy_with_qris(5205, "SPOT1M");
        rig.expect("sendPhoto", 5205, since, "INV-").await;
        rig.expect("sendMessage", OWNER, since, "kembali normal")
            .await;
    });
    assert!(eventually(WAIT, || rig.queue_idle()));
    assert_eq!(
        rig.sends_to(OWNER, "berturut-turut"),
        1,
        "one alert for the whole streak"
    );
    assert_eq!(rig.sends_to(OWNER, "kembali normal"), 1);
    assert!(
        rig.sends_to(OWNER, "[Toko Uji]") >= 2,
        "owner messages name the store"
    );
    assert_eq!(
        rig.available("SPOT1M"),
        2,
        "failed orders released their stock"
    );
}

#[test]
fn fifty_buyers_on_two_postgresql_runtimes_never_oversell() {
    let telegram = TelegramDouble::start();
    let pakasir = PakasirDouble::start();
    let mut store = store(Backend::Postgres, &telegram, &pakasir);
    store.set("TELEGRAM_MODE", "webhook");
    store.set("TELEGRAM_WEBHOOK_URL", "https://shop.example.com/telegram");
    let a = store.start();
    let b = store.replica("b").start();
    let pool = store.pool();
    // A product with exactly ten items.
    let extra = store.dir.path().join("hot.toml");
    let stock: Vec<String> = (0..10).map(|i| format!("\"hot-{i}:pw\"")).collect();
    std::fs::write(
        &extra,
        format!(
            "[[products]]\ncode = \"HOT\"\nname = \"Promo Kilat\"\nprice = 10000\nstock = [{}]\n",
            stock.join(", ")
        ),
    )
    .unwrap();
    assert!(
        store
            .cli(&["catalog", "import", &extra.display().to_string()])
            .status
            .success()
    );
    let pid = stock_table(&mut autoorder_schema::checkout(&pool).unwrap())
        .unwrap()
        .into_iter()
        .find(|l| l.code == "HOT")
        .unwrap()
        .id;
    let buyers: Vec<i64> = (6001..=6050).collect();
    add_users(&pool, buyers.clone());
    for buyer in &buyers {
        set_cart_quantity(
            &mut autoorder_schema::checkout(&pool).unwrap(),
            *buyer,
            pid,
            1,
        )
        .unwrap();
    }
    runtime().block_on(async {
        let client = reqwest::Client::new();
        let data = CallbackData::PayQris.encode().expect("fits in 64 bytes");
        let posts = buyers.iter().enumerate().map(|(i, buyer)| {
            let target = if i % 2 == 0 { &a } else { &b };
            let update = autoorder_doubles::callback_update(
                Some(70_000 + i as i64),
                *buyer,
                *buyer,
                1,
                &data,
            )
            .to_string();
            support::post_update(
                &client,
                target,
                "/telegram",
                Some(support::WEBHOOK_SECRET),
                update,
            )
        });
        for status in futures_util::future::join_all(posts).await {
            assert_eq!(status, 200);
        }
    });
    let answered = |b: i64| {
        telegram.calls().iter().any(|c| {
            c.param_i64("chat_id") == Some(b)
                && c.ok() == Some(true)
                && (text_of(c).contains("INV-") || text_of(c).contains("tidak cukup"))
        })
    };
    assert!(
        eventually(Duration::from_secs(60), || buyers
            .iter()
            .all(|b| answered(*b))),
        "every buyer got an answer"
    );
    let invoices = buyers
        .iter()
        .filter(|b| {
            telegram
                .calls_to("sendPhoto")
                .iter()
                .any(|c| c.param_i64("chat_id") == Some(**b) && c.ok() == Some(true))
        })
        .count();
    assert_eq!(invoices, 10, "exactly ten orders got the ten items");
    assert_eq!(pakasir.transactions().len(), 10);
    let mut conn = autoorder_schema::checkout(&pool).unwrap();
    assert_eq!(
        stock_table(&mut conn)
            .unwrap()
            .into_iter()
            .find(|l| l.code == "HOT")
            .unwrap()
            .stock,
        0
    );
}
