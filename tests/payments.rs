//! End-to-end: the payment rules of SPEC §4 — callbacks are only triggers, replays change
//! nothing, a forged callback delivers nothing, a lost callback is found by the poller, expiry
//! releases everything, gateway outages alert the owner once and recover, and concurrent
//! buyers on two runtimes never oversell — and the money-integrity rules of issue 10: forty
//! callbacks per deposit over two replicas credit once, closed payments are asked about again,
//! *Batalkan* never closes what the gateway cannot confirm, a create still under way is never
//! closed, a QR is never shown for a closed order, inconsistent gateway answers go to review,
//! a refused key alerts at once, reconciliation rounds never overlap, and the invoice links
//! to Pakasir's payment page.

mod support;

use std::time::{Duration, Instant};

use autoorder_actors::bot::callback::CallbackData;
use autoorder_actors::bot::texts;
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

    /// Waits for the answer to a button press after `since` whose toast has `needle`.
    async fn expect_toast(&self, since: Instant, needle: &str) {
        let toast = self
            .telegram
            .wait_for(
                "answerCallbackQuery",
                |c| c.at >= since && c.param_str("text").is_some_and(|t| t.contains(needle)),
                WAIT,
            )
            .await;
        assert!(
            toast.is_some(),
            "no toast with {needle:?}; toasts: {:?}",
            self.telegram
                .calls_to("answerCallbackQuery")
                .iter()
                .filter_map(|c| c.param_str("text"))
                .collect::<Vec<_>>()
        );
    }

    /// The newest payment of `buyer`'s newest order.
    fn payment_of(&self, buyer: i64) -> autoorder_schema::queries::shop::payments::PaymentRow {
        use autoorder_schema::queries::orders::last_order;
        use autoorder_schema::queries::shop::payments::latest_payment_of_order;
        let mut conn = self.conn();
        let order = last_order(&mut conn, buyer).unwrap().expect("an order");
        latest_payment_of_order(&mut conn, order.id)
            .unwrap()
            .expect("a payment")
    }

    /// Presses a button of `buyer`'s invoice.
    fn press_invoice(&self, buyer: i64, data: CallbackData) {
        press_data(&self.telegram, buyer, 1, &data.encode().expect("fits"));
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

// ---------------------------------------------------------------------------------------------
// Money integrity (issue 10)
// ---------------------------------------------------------------------------------------------

fn closes(rig: &Rig, payment_id: i64) {
    use autoorder_schema::queries::shop::payments::{CloseReason, close_payment};
    close_payment(&mut rig.conn(), payment_id, CloseReason::Cancelled).unwrap();
}

#[test]
fn ten_deposits_with_forty_callbacks_each_over_two_replicas_credit_once() {
    use autoorder_schema::queries::shop::balance::{balance_of, ledger_sum};
    let telegram = TelegramDouble::start();
    let pakasir = PakasirDouble::start();
    let mut store = store(Backend::Postgres, &telegram, &pakasir);
    store.set("TELEGRAM_MODE", "webhook");
    store.set("TELEGRAM_WEBHOOK_URL", "https://shop.example.com/telegram");
    let a = store.start();
    let b = store.replica("b").start();
    let pool = store.pool();
    let buyers: Vec<i64> = (6101..=6110).collect();
    add_users(&pool, buyers.clone());
    runtime().block_on(async {
        let client = reqwest::Client::new();
        let data = CallbackData::Deposit { amount: 10_000 }
            .encode()
            .expect("fits");
        for (i, buyer) in buyers.iter().enumerate() {
            let since = Instant::now();
            let update = autoorder_doubles::callback_update(
                Some(71_000 + i as i64),
                *buyer,
                *buyer,
                1,
                &data,
            )
            .to_string();
            let target = if i % 2 == 0 { &a } else { &b };
            let status = support::post_update(
                &client,
                target,
                "/telegram",
                Some(support::WEBHOOK_SECRET),
                update,
            )
            .await;
            assert_eq!(status, 200);
            assert!(
                telegram
                    .wait_for(
                        "sendPhoto",
                        |c| c.at >= since
                            && c.param_i64("chat_id") == Some(*buyer)
                            && c.ok() == Some(true),
                        WAIT
                    )
                    .await
                    .is_some(),
                "deposit invoice for {buyer}"
            );
        }
        // The gateway marks them paid; then every callback arrives forty times, over both
        // replicas at once (replays, the poller, Cek Status and another replica together).
        let deposits = pakasir.transactions();
        assert_eq!(deposits.len(), 10);
        for tx in &deposits {
            assert!(tx.order_id.starts_with("DEP-"), "{}", tx.order_id);
            assert!(pakasir.complete(&tx.order_id));
        }
        let posts = deposits.iter().flat_map(|tx| {
            let body = serde_json::json!({
                "amount": tx.amount,
                "order_id": tx.order_id,
                "project": pakasir.project(),
                "status": "completed",
                "payment_method": "qris",
            })
            .to_string();
            let client = client.clone();
            let (url_a, url_b) = (
                a.url(&format!("/webhooks/pakasir/{SECRET}")),
                b.url(&format!("/webhooks/pakasir/{SECRET}")),
            );
            (0..40).map(move |i| {
                let (client, body) = (client.clone(), body.clone());
                let url = if i % 2 == 0 {
                    url_a.clone()
                } else {
                    url_b.clone()
                };
                async move {
                    client
                        .post(url)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                }
            })
        });
        let answers = futures_util::future::join_all(posts).await;
        // The endpoint is rate-limited: a refused replay changes nothing either.
        assert!(
            answers.iter().all(|a| matches!(a, Ok(200..=299 | 429))),
            "{answers:?}"
        );
    });
    let credited = || {
        let mut conn = autoorder_schema::checkout(&pool).unwrap();
        buyers
            .iter()
            .map(|b| balance_of(&mut conn, *b).unwrap())
            .sum::<i64>()
    };
    assert!(
        eventually(Duration::from_secs(60), || credited() == 100_000),
        "credited {}",
        credited()
    );
    // Whatever is still in flight must not credit more.
    assert!(eventually(
        WAIT,
        || autoorder_schema::queries::jobs::busy_jobs(
            &mut autoorder_schema::checkout(&pool).unwrap()
        )
        .unwrap()
            == 0
    ));
    let mut conn = autoorder_schema::checkout(&pool).unwrap();
    for buyer in &buyers {
        assert_eq!(
            balance_of(&mut conn, *buyer).unwrap(),
            10_000,
            "buyer {buyer}"
        );
        assert_eq!(ledger_sum(&mut conn, *buyer).unwrap(), 10_000);
    }
    assert_eq!(
        store.count("balance_ledger"),
        10,
        "Rp 100.000 in ten ledger rows"
    );
    let report = autoorder_schema::queries::reconcile::reconcile(&mut conn).unwrap();
    assert!(report.is_clean(), "{:#?}", report.discrepancies);
}

#[test]
fn a_payment_closed_here_but_paid_at_the_gateway_is_found_by_the_recheck() {
    let rig = Rig::open(Backend::Sqlite, |s| s.set("PAYMENT_RECONCILE_SECONDS", "1"));
    let buyer = 5301;
    runtime().block_on(async {
        let since = Instant::now();
        rig.buy_with_qris(buyer, "SPOT1M");
        rig.expect("sendPhoto", buyer, since, "INV-").await;
        // Closed here (its gateway cancel lost), paid there seconds later, webhook lost.
        rig.pakasir.clear_webhook_url();
        closes(&rig, rig.payment_of(buyer).id);
        assert_eq!(rig.available("SPOT1M"), 3, "released by the close");
        let tx = only_transaction(&rig.pakasir);
        assert!(rig.pakasir.complete(&tx.order_id));
        rig.expect("sendMessage", buyer, since, "Pembayaran diterima!")
            .await;
    });
    assert_eq!(rig.available("SPOT1M"), 2, "the paid item was taken again");
    let report = autoorder_schema::queries::reconcile::reconcile(&mut rig.conn()).unwrap();
    assert!(report.is_clean(), "{:#?}", report.discrepancies);
}

#[test]
fn cek_status_asks_the_gateway_about_a_closed_payment() {
    let rig = Rig::open(Backend::Sqlite, |s| {
        s.set("PAYMENT_RECONCILE_SECONDS", "3600")
    });
    let buyer = 5302;
    runtime().block_on(async {
        let since = Instant::now();
        rig.buy_with_qris(buyer, "SPOT1M");
        rig.expect("sendPhoto", buyer, since, "INV-").await;
        rig.pakasir.clear_webhook_url();
        let payment = rig.payment_of(buyer);
        closes(&rig, payment.id);
        assert!(rig.pakasir.complete(&payment.gateway_order_id));
        let since = Instant::now();
        rig.press_invoice(
            buyer,
            CallbackData::CheckPayment {
                payment_id: payment.id,
            },
        );
        rig.expect_toast(since, texts::STATUS_PAID).await;
        rig.expect("sendMessage", buyer, since, "Pembayaran diterima!")
            .await;
    });
}

#[test]
fn batalkan_refuses_to_close_what_the_gateway_cannot_confirm() {
    let rig = Rig::open(Backend::Sqlite, |s| {
        s.set("PAYMENT_RECONCILE_SECONDS", "3600")
    });
    let buyer = 5303;
    runtime().block_on(async {
        let since = Instant::now();
        rig.buy_with_qris(buyer, "SPOT1M");
        rig.expect("sendPhoto", buyer, since, "INV-").await;
        let payment = rig.payment_of(buyer);
        rig.pakasir
            .fail(Endpoint::Detail, Failure::Status(503), None);
        let since = Instant::now();
        rig.press_invoice(
            buyer,
            CallbackData::CancelPayment {
                payment_id: payment.id,
            },
        );
        rig.expect_toast(since, texts::CANCEL_UNCONFIRMED).await;
        assert_eq!(rig.payment_of(buyer).status, "pending", "nothing closed");
        assert_eq!(rig.available("SPOT1M"), 2, "still reserved");
        assert!(
            rig.pakasir.calls_to(Endpoint::Cancel).is_empty(),
            "nothing cancelled"
        );
        // Once the gateway answers, Batalkan works.
        rig.pakasir.clear_failures();
        let since = Instant::now();
        rig.press_invoice(
            buyer,
            CallbackData::CancelPayment {
                payment_id: payment.id,
            },
        );
        rig.expect("sendMessage", buyer, since, texts::PAYMENT_CANCELLED)
            .await;
    });
    assert_eq!(rig.available("SPOT1M"), 3);
    assert_eq!(
        only_transaction(&rig.pakasir).status,
        autoorder_doubles::pakasir::TxState::Cancelled
    );
}

#[test]
fn the_poller_never_closes_a_payment_whose_create_is_still_under_way() {
    let rig = Rig::open(Backend::Sqlite, |s| s.set("PAYMENT_RECONCILE_SECONDS", "1"));
    // The first create hangs for four seconds and is lost; the client asks detail (not
    // found) and creates again. Meanwhile the poller runs every second.
    rig.pakasir.set_hold(Duration::from_secs(4));
    rig.pakasir
        .fail(Endpoint::Create, Failure::Timeout, Some(1));
    let buyer = 5304;
    runtime().block_on(async {
        let since = Instant::now();
        rig.buy_with_qris(buyer, "SPOT1M");
        rig.expect("sendPhoto", buyer, since, "INV-").await;
    });
    assert_eq!(
        rig.payment_of(buyer).status,
        "pending",
        "the invoice shown is open"
    );
    assert_eq!(rig.available("SPOT1M"), 2);
    assert_eq!(rig.pakasir.calls_to(Endpoint::Create).len(), 2);
}

#[test]
fn a_create_answer_for_an_order_closed_meanwhile_is_cancelled_and_the_customer_told() {
    let rig = Rig::open(Backend::Sqlite, |s| {
        s.set("PAYMENT_RECONCILE_SECONDS", "3600")
    });
    rig.pakasir.set_hold(Duration::from_secs(3));
    rig.pakasir
        .fail(Endpoint::Create, Failure::Timeout, Some(1));
    let buyer = 5305;
    runtime().block_on(async {
        let since = Instant::now();
        rig.buy_with_qris(buyer, "SPOT1M");
        // While the create hangs, the order is closed (Batalkan from Pesanan Saya, or a
        // seller's manual payment).
        rig.pakasir
            .wait_for(Endpoint::Create, |_| true, WAIT)
            .await
            .expect("a create");
        closes(&rig, rig.payment_of(buyer).id);
        rig.expect(
            "sendMessage",
            buyer,
            since,
            "sudah ditutup saat kode QR dibuat",
        )
        .await;
    });
    assert!(
        !rig.telegram
            .calls_to("sendPhoto")
            .iter()
            .any(|c| c.param_i64("chat_id") == Some(buyer)),
        "no QR for a closed order"
    );
    assert!(
        eventually(WAIT, || only_transaction(&rig.pakasir).status
            == autoorder_doubles::pakasir::TxState::Cancelled),
        "cancelled at the gateway"
    );
    assert_eq!(rig.available("SPOT1M"), 3);
}

/// A detail answer the double would not give: another amount, or an unknown status.
fn odd_detail(
    pakasir: &PakasirDouble,
    tx: &autoorder_doubles::pakasir::Transaction,
    amount: i64,
    status: &str,
) {
    let body = serde_json::json!({ "transaction": {
        "amount": amount, "order_id": tx.order_id, "project": pakasir.project(),
        "status": status, "payment_method": "qris",
    }});
    pakasir.fail(Endpoint::Detail, Failure::Raw(200, body.to_string()), None);
}

#[test]
fn gateway_answers_that_do_not_match_go_to_review_and_deliver_nothing() {
    let rig = Rig::open(Backend::Sqlite, |s| {
        s.set("PAYMENT_RECONCILE_SECONDS", "3600")
    });
    rig.pakasir.set_validity(Duration::from_secs(8));
    let (first, second) = (5306, 5307);
    runtime().block_on(async {
        let since = Instant::now();
        rig.buy_with_qris(first, "SPOT1M");
        rig.expect("sendPhoto", first, since, "INV-").await;
        let tx = only_transaction(&rig.pakasir);
        // "Completed" — for another amount: not paid as far as we are concerned.
        odd_detail(&rig.pakasir, &tx, tx.amount - 1_000, "completed");
        let payment = rig.payment_of(first);
        for _ in 0..2 {
            let since = Instant::now();
            rig.press_invoice(
                first,
                CallbackData::CheckPayment {
                    payment_id: payment.id,
                },
            );
            rig.expect_toast(since, texts::STATUS_UNDER_REVIEW).await;
        }
        rig.expect("sendMessage", OWNER, since, "perlu ditinjau")
            .await;
        // An unknown status is no payment either.
        rig.pakasir.clear_failures();
        let since = Instant::now();
        rig.buy_with_qris(second, "SPOT1M");
        rig.expect("sendPhoto", second, since, "INV-").await;
        let tx2 = rig
            .pakasir
            .transaction(&rig.payment_of(second).gateway_order_id)
            .unwrap();
        odd_detail(&rig.pakasir, &tx2, tx2.amount, "settling");
        let since = Instant::now();
        rig.press_invoice(
            second,
            CallbackData::CheckPayment {
                payment_id: rig.payment_of(second).id,
            },
        );
        rig.expect_toast(since, texts::STATUS_UNDER_REVIEW).await;
        // Both expire as usual and give their stock back.
        rig.expect("sendMessage", first, since, "kedaluwarsa").await;
        rig.expect("sendMessage", second, since, "kedaluwarsa")
            .await;
    });
    assert!(eventually(WAIT, || rig.queue_idle()));
    assert_eq!(rig.available("SPOT1M"), 3, "released after expiry");
    assert_eq!(
        rig.sends_to(first, "Pembayaran diterima!") + rig.sends_to(second, "Pembayaran diterima!"),
        0
    );
    assert_eq!(
        rig.sends_to(OWNER, "perlu ditinjau"),
        2,
        "owners told once per payment"
    );
    let report = autoorder_schema::queries::reconcile::reconcile(&mut rig.conn()).unwrap();
    assert!(report.is_clean(), "{:#?}", report.discrepancies);
    assert_eq!(report.under_review.len(), 2);
}

#[test]
fn a_create_answer_for_another_amount_is_never_shown() {
    let rig = Rig::open(Backend::Sqlite, |_| {});
    let buyer = 5308;
    // The gateway answers the create for Rp 1.000, whatever we asked for.
    let body = serde_json::json!({ "payment": {
        "project": rig.pakasir.project(), "amount": 1_000, "fee": 317, "total_payment": 1_317,
        "payment_method": "qris", "payment_number": "00020101021226",
        "expired_at": "2030-01-01T00:00:00.000000000Z",
    }});
    rig.pakasir.fail(
        Endpoint::Create,
        Failure::Raw(200, body.to_string()),
        Some(1),
    );
    runtime().block_on(async {
        let since = Instant::now();
        rig.buy_with_qris(buyer, "SPOT1M");
        rig.expect("sendMessage", buyer, since, "gangguan").await;
        rig.expect("sendMessage", OWNER, since, "perlu ditinjau")
            .await;
    });
    assert!(
        !rig.telegram
            .calls_to("sendPhoto")
            .iter()
            .any(|c| c.param_i64("chat_id") == Some(buyer))
    );
    assert_eq!(rig.available("SPOT1M"), 3, "released");
}

#[test]
fn a_refused_key_alerts_the_owner_at_the_first_failure() {
    let rig = Rig::open(Backend::Sqlite, |s| {
        s.set("PAKASIR_PROJECT_SLUG", "toko-lain")
    });
    runtime().block_on(async {
        let since = Instant::now();
        rig.buy_with_qris(5309, "SPOT1M");
        rig.expect("sendMessage", 5309, since, "gangguan").await;
        rig.expect("sendMessage", OWNER, since, "PAKASIR_API_KEY")
            .await;
    });
}

#[test]
fn reconciliation_rounds_never_overlap() {
    let rig = Rig::open(Backend::Sqlite, |s| s.set("PAYMENT_RECONCILE_SECONDS", "1"));
    let buyer = 5310;
    runtime().block_on(async {
        let since = Instant::now();
        rig.buy_with_qris(buyer, "SPOT1M");
        rig.expect("sendPhoto", buyer, since, "INV-").await;
    });
    // The gateway turns slow: every detail hangs two seconds, longer than the interval.
    rig.pakasir.set_hold(Duration::from_secs(2));
    rig.pakasir.clear_calls();
    rig.pakasir.fail(Endpoint::Detail, Failure::Timeout, None);
    let finished = || {
        rig.pakasir
            .calls_to(Endpoint::Detail)
            .into_iter()
            .filter(|c| c.finished_at.is_some())
            .count()
    };
    assert!(
        eventually(Duration::from_secs(40), || finished() >= 4),
        "{} detail calls",
        finished()
    );
    let calls = rig.pakasir.calls_to(Endpoint::Detail);
    for (i, a) in calls.iter().enumerate() {
        for b in &calls[i + 1..] {
            let a_end = a.finished_at.unwrap_or_else(Instant::now);
            assert!(
                b.at >= a_end,
                "two rounds asked at once: {:?} and {:?}",
                a.at,
                b.at
            );
        }
    }
}

#[test]
fn the_invoice_links_to_pakasirs_payment_page() {
    let rig = Rig::open(Backend::Sqlite, |_| {});
    let buyer = 5311;
    let photo = runtime().block_on(async {
        let since = Instant::now();
        rig.buy_with_qris(buyer, "SPOT1M");
        rig.expect("sendPhoto", buyer, since, "INV-").await
    });
    let tx = only_transaction(&rig.pakasir);
    let markup = photo.param_json("reply_markup").expect("buttons");
    let buttons = support::inline_buttons(&serde_json::json!({ "reply_markup": markup }));
    let expected = format!(
        "{}/pay/{}/{}?order_id={}&qris_only=1",
        rig.pakasir.base_url(),
        rig.pakasir.project(),
        tx.amount,
        tx.order_id
    );
    assert!(
        buttons
            .iter()
            .any(|(text, url)| text == texts::BTN_PAY_ON_PAKASIR && *url == expected),
        "{buttons:?}"
    );
}
