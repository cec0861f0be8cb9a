//! Invoice latency: from the webhook POST of a "QRIS" press to the invoice photo (`sendPhoto`)
//! reaching the Telegram double, through the real release binary.
//!
//! Per backend: a generated catalog (one product, enough stock) is imported with
//! `autoorder catalog import`; `AUTOORDER_BENCH_CUSTOMERS` (default 200) customers, plus a few
//! warm-up customers not counted, are created in the database, each with one item in the cart
//! (`set_cart_quantity`). Then, one customer at a time, the press of *QRIS*
//! (`CallbackData::PayQris`) is posted to the webhook route as a `callback_query` update, and
//! the bench waits for the `sendPhoto` to that customer. The next press is posted only once the
//! previous update is fully handled (the press answered, the update marked done), so every
//! sample is a press on an idle bot.
//!
//! Per press it records, all from the same `Instant` clock (the doubles run in this process):
//! the POST start, the webhook's 200 (the update is stored), the Pakasir double receiving the
//! create call, and the Telegram double receiving `sendPhoto`. The path in between is
//! webhook → `inbound_updates` → BotActor (one transaction: admit, `place_order`, the invoice
//! job) → QueueActor (the invoice job: create at the gateway, record it and the invoice message
//! in the outbox) → outbox → QR PNG → `sendPhoto`. The Pakasir double answers at once, so this is
//! our own pipeline. The QR rendering is also timed on its own, in this process.
//!
//! ```sh
//! cargo build --release                       # the binary under test
//! cargo bench --bench invoice_latency         # SQLite then PostgreSQL, 200 customers each
//! AUTOORDER_BENCH_CUSTOMERS=50 AUTOORDER_BENCH_BACKENDS=sqlite cargo bench --bench invoice_latency
//! ```
//!
//! The binary is found as in the `intake` benchmark. Under `cargo test --benches` only a
//! 5-customer smoke run on SQLite happens (with the debug binary).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use autoorder_actors::bot::callback::CallbackData;
use autoorder_actors::bot::qr::qr_png;
use autoorder_doubles::pakasir::Endpoint;
use autoorder_doubles::{PakasirDouble, TelegramDouble, callback_update};
use autoorder_schema::db::Backend;
use autoorder_schema::queries::shop::carts::{CartChange, set_cart_quantity};
use autoorder_schema::queries::shop::products::stock_table;
use autoorder_schema::queries::updates::find_update;
use autoorder_schema::queries::users::{TelegramProfile, touch_user};
use autoorder_schema::{PooledConn, checkout};

use common::process::{Store, post_update};
use common::{Mode, backend_name, quantile, secs};

const FIRST_CUSTOMER: i64 = 3_000_001;
const FIRST_UPDATE_ID: i64 = 700_000_001;
/// Presses before the measured ones (first connections to the doubles, cold caches).
const WARMUP: usize = 5;
const PRODUCT_CODE: &str = "BENCHQR";
const PRICE: i64 = 25_000;
const PAKASIR_SECRET: &str = "bench-pakasir-secret-42";
/// Longest wait for one step of one press before the run is given up.
const STEP_LIMIT: Duration = Duration::from_secs(30);

fn main() {
    let mode = common::mode();
    let (customers, warmup, backends) = match mode {
        Mode::Test => (5, 1, vec![Backend::Sqlite]),
        Mode::Bench => (
            common::env_usize("AUTOORDER_BENCH_CUSTOMERS", 200),
            WARMUP,
            common::backends(&[Backend::Sqlite, Backend::Postgres]),
        ),
    };
    let Some(binary) = common::process::locate_binary("invoice_latency", mode) else {
        println!(
            "invoice_latency benchmark: smoke run skipped, no autoorder binary next to the benchmark"
        );
        return;
    };

    common::print_header("invoice latency: webhook POST of the QRIS press → sendPhoto at Telegram");
    common::process::print_binary(&binary);
    println!(
        "presses: {customers} customers per backend (after {warmup} warm-up presses), one at a time, one item in each cart{}",
        if mode == Mode::Test {
            " (smoke run under cargo test; use cargo bench for numbers)"
        } else {
            ""
        }
    );
    println!();

    let mut results = Vec::new();
    for backend in backends {
        results.push(run(&binary, backend, customers, warmup));
    }

    println!("load at end: {}", common::loadavg());
    println!();
    println!("summary ({customers} sequential presses each; ms from the POST start)");
    println!(
        "| backend | presses | **POST → sendPhoto p50 / p90 / p99 / max** | mean | POST → 200 (stored) p50 / p99 | POST → gateway create p50 / p99 | create → sendPhoto p50 / p99 | QR PNG render p50 (in-process) |"
    );
    println!("|---|---:|---|---:|---|---|---|---:|");
    for r in &results {
        let total = column(&r.samples, |s| s.photo);
        let stored = column(&r.samples, |s| s.stored);
        let create = column(&r.samples, |s| s.create);
        let tail = column(&r.samples, |s| s.photo.saturating_sub(s.create));
        println!(
            "| {} | {} | **{:.1} / {:.1} / {:.1} / {:.1}** | {:.1} | {:.2} / {:.2} | {:.1} / {:.1} | {:.1} / {:.1} | {:.2} |",
            backend_name(r.backend),
            r.samples.len(),
            ms(quantile(&total, 0.5)),
            ms(quantile(&total, 0.9)),
            ms(quantile(&total, 0.99)),
            ms(total.last().copied().unwrap_or_default()),
            ms(mean(&total)),
            ms(quantile(&stored, 0.5)),
            ms(quantile(&stored, 0.99)),
            ms(quantile(&create, 0.5)),
            ms(quantile(&create, 0.99)),
            ms(quantile(&tail, 0.5)),
            ms(quantile(&tail, 0.99)),
            ms(r.qr_render),
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mean(d: &[Duration]) -> Duration {
    d.iter().sum::<Duration>() / (d.len().max(1) as u32)
}

/// One field of every sample, sorted.
fn column(samples: &[Sample], f: impl Fn(&Sample) -> Duration) -> Vec<Duration> {
    let mut v: Vec<Duration> = samples.iter().map(f).collect();
    v.sort();
    v
}

/// One press, every time measured from the start of its POST.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// The webhook answered 200: the update is stored.
    stored: Duration,
    /// The Pakasir double received the create call.
    create: Duration,
    /// The Telegram double received `sendPhoto`.
    photo: Duration,
}

struct Measured {
    backend: Backend,
    samples: Vec<Sample>,
    /// Median time of one `qr_png` of a real invoice's payment string, in this process.
    qr_render: Duration,
}

/// A catalog with one product and `items` stock entries.
fn catalog(items: usize) -> String {
    let mut toml = format!(
        "[[categories]]\nname = \"Bench\"\n\n[[products]]\ncode = \"{PRODUCT_CODE}\"\n\
         name = \"Voucher Bench\"\nprice = {PRICE}\ncategory = \"Bench\"\n\
         description = \"Produk untuk benchmark.\"\nstock = [\n"
    );
    for i in 0..items {
        toml.push_str(&format!(
            "    \"bench.{i:05}@mailtoko.id:BenchPass-{i:05}\",\n"
        ));
    }
    toml.push_str("]\n");
    toml
}

fn run(binary: &Path, backend: Backend, customers: usize, warmup: usize) -> Measured {
    let name = backend_name(backend);
    let presses = warmup + customers;
    let telegram = TelegramDouble::start();
    let pakasir = PakasirDouble::start();
    let mut store = Store::new(binary, backend, &telegram);
    store.set("PAKASIR_PROJECT_SLUG", &pakasir.project());
    store.set("PAKASIR_API_KEY", &pakasir.api_key());
    store.set("PAKASIR_WEBHOOK_SECRET", PAKASIR_SECRET);
    store.set("PAKASIR_BASE_URL", &pakasir.base_url());

    let file = store.dir.path().join("bench-catalog.toml");
    std::fs::write(&file, catalog(presses + 10)).expect("catalog file");
    let t = Instant::now();
    let imported = store.cli(&["catalog", "import", &file.display().to_string()]);
    println!(
        "[{name}] catalog with {} items imported in {:.2} s: {}",
        presses + 10,
        secs(t.elapsed()),
        imported.lines().last().unwrap_or_default().trim()
    );

    let pool = store.db.pool();
    let mut conn = checkout(&pool).expect("db");
    let product = stock_table(&mut conn)
        .expect("stock table")
        .into_iter()
        .find(|l| l.code == PRODUCT_CODE)
        .expect("the bench product");
    assert!(
        product.stock >= presses as i64,
        "stock {} for {presses} presses",
        product.stock
    );
    let customer_ids: Vec<i64> = (0..presses as i64).map(|i| FIRST_CUSTOMER + i).collect();
    for &id in &customer_ids {
        touch_user(
            &mut conn,
            &TelegramProfile {
                id,
                username: None,
                first_name: "Pelanggan",
                language: None,
            },
        )
        .expect("customer");
        let change = set_cart_quantity(&mut conn, id, product.id, 1).expect("cart");
        assert_eq!(change, CartChange::Set(1), "cart of {id}");
    }

    let mut bot = store.start();
    pakasir.set_webhook_url(format!("{}/webhooks/pakasir/{PAKASIR_SECRET}", bot.base));
    let url = bot.webhook_url();
    let press_data = CallbackData::PayQris.encode().expect("callback data");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut samples = Vec::with_capacity(customers);
    let run_started = Instant::now();
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .tcp_nodelay(true)
            .build()
            .expect("HTTP client");
        for (i, &customer) in customer_ids.iter().enumerate() {
            let update_id = FIRST_UPDATE_ID + i as i64;
            // Pressed under some earlier bot message: the QRIS handler sends a new photo and
            // does not edit the message it is under.
            let update = callback_update(Some(update_id), customer, customer, 1, &press_data);
            let callback_id = update["callback_query"]["id"]
                .as_str()
                .expect("callback id")
                .to_string();
            let body = serde_json::to_vec(&update).expect("update JSON");

            let start = Instant::now();
            let status = post_update(&client, &url, body).await.expect("webhook POST");
            let stored = start.elapsed();
            assert_eq!(status, reqwest::StatusCode::OK, "[{name}] webhook answer");
            let Some(photo) = telegram
                .wait_for(
                    "sendPhoto",
                    |c| c.param_i64("chat_id") == Some(customer),
                    STEP_LIMIT,
                )
                .await
            else {
                panic!(
                    "[{name}] no invoice photo for customer {customer}; last texts: {:?}\nlog problems:\n{}\nbot output:\n{}",
                    telegram
                        .calls()
                        .iter()
                        .rev()
                        .take(5)
                        .map(|c| (c.method.clone(), c.param_str("text")))
                        .collect::<Vec<_>>(),
                    store.log_problems(),
                    bot.output()
                );
            };
            let create = pakasir
                .calls_to(Endpoint::Create)
                .into_iter()
                .rev()
                .find(|c| c.at >= start)
                .unwrap_or_else(|| panic!("[{name}] no gateway create for customer {customer}"));

            // Let the press finish (answered, update marked done) before the next one.
            telegram
                .wait_for(
                    "answerCallbackQuery",
                    |c| c.param_str("callback_query_id").as_deref() == Some(callback_id.as_str()),
                    STEP_LIMIT,
                )
                .await
                .unwrap_or_else(|| panic!("[{name}] press of {customer} not answered"));
            wait_done(&mut conn, update_id).await;

            if i >= warmup {
                samples.push(Sample {
                    stored,
                    create: create.at.duration_since(start),
                    photo: photo.at.duration_since(start),
                });
            } else {
                println!(
                    "[{name}] warm-up press {}: sendPhoto after {:.1} ms",
                    i + 1,
                    ms(photo.at.duration_since(start))
                );
            }
        }
    });
    let elapsed = run_started.elapsed();

    // Every press got exactly one accepted invoice photo and one gateway transaction.
    let photos: Vec<_> = telegram
        .calls_to("sendPhoto")
        .into_iter()
        .filter(|c| c.ok() == Some(true))
        .collect();
    assert_eq!(photos.len(), presses, "[{name}] invoice photos");
    let transactions = pakasir.transactions();
    assert_eq!(transactions.len(), presses, "[{name}] gateway transactions");

    // The QR rendering on its own, on a real invoice's payment string.
    let payload = &transactions[0].payment_number;
    let mut renders: Vec<Duration> = (0..50)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(qr_png(std::hint::black_box(payload)).expect("QR PNG"));
            t.elapsed()
        })
        .collect();
    renders.sort();
    // The median: a busy machine adds to single rounds, not to most of them.
    let qr_render = quantile(&renders, 0.5);

    let totals = column(&samples, |s| s.photo);
    println!(
        "[{name}] {} presses in {:.1} s: POST → sendPhoto p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
         QR PNG of a {}-char payload: {:.2} ms",
        samples.len(),
        secs(elapsed),
        ms(quantile(&totals, 0.5)),
        ms(quantile(&totals, 0.9)),
        ms(quantile(&totals, 0.99)),
        ms(totals.last().copied().unwrap_or_default()),
        payload.len(),
        ms(qr_render),
    );
    drop(conn);
    let status = bot.sigterm(Duration::from_secs(30));
    assert!(
        status.success(),
        "[{name}] the bot exited with {status} after SIGTERM"
    );
    telegram.stop();
    pakasir.stop();

    Measured {
        backend,
        samples,
        qr_render,
    }
}

/// Waits until the update is marked done (the last step of handling a press).
async fn wait_done(conn: &mut PooledConn, update_id: i64) {
    let deadline = Instant::now() + STEP_LIMIT;
    loop {
        let status = find_update(conn, update_id)
            .expect("find update")
            .map(|(status, _)| status);
        match status.as_deref() {
            Some("done") => return,
            Some("failed") => panic!("update {update_id} failed"),
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "update {update_id} not done: {status:?}"
        );
        // Another process marks it: there is no in-process signal to wait on.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
