//! The randomized money simulation (issue 10): a store on PostgreSQL served by **two
//! runtimes** — two actix systems, each with its own connection pool, its own PaymentActor
//! (reconciliation poller, competing for the lease) and its own QueueActor (expiry jobs and
//! deliveries, competing for the queue lease) — against the Pakasir and Telegram doubles.
//!
//! A seeded schedule of customer journeys runs concurrently: QRIS orders (with and without a
//! voucher) and deposits, balance orders, payments with delivered, replayed (to both runtimes
//! at once), lost and forged callbacks, concurrent *Cek Status* and *Batalkan* presses, a
//! seller's manual payments and balance adjustments, unpaid invoices that expire, and bursts
//! of gateway failures (503s, dropped connections, hangs, lost create answers). Everything a
//! journey does goes through the same code the bot and the HTTP endpoint use: the checkout and
//! deposit transactions, and PaymentActor's messages.
//!
//! Afterwards, once every payment has settled and the queue is idle: `reconcile` (storage and
//! `--gateway`) reports no discrepancy, every payment the gateway completed is completed here,
//! every paid order was delivered exactly once and no other, no stock item was delivered twice,
//! no voucher carries more orders than its uses.
//!
//! The seed decides every choice and delay of the schedule; replay a failure with
//! `MONEY_SIM_SEED=<seed>` (it is printed on every failure). The threads' interleaving is the
//! machine's, so a replay repeats the schedule, not necessarily every race.
#![allow(dead_code)]

mod journeys;
mod runtime;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use autoorder_actors::payment::pakasir::{PakasirClient, PakasirConfig};
use autoorder_doubles::pakasir::TxState;
use autoorder_doubles::{PakasirDouble, TelegramDouble};
use autoorder_schema::crypto::DataKeys;
use autoorder_schema::db::Backend;
use autoorder_schema::queries::shop::vouchers::{NewVoucher, create_voucher};
use autoorder_schema::queries::users::{TelegramProfile, touch_user};
use autoorder_schema::secret::Secret;
use autoorder_schema::testing::TestDatabase;
use autoorder_schema::{Pool, PoolOptions, checkout, open_pool};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use journeys::{Counters, World, chaos, product, run_journey, schedule, sleep};
use runtime::{Runtime, services};

/// The seller the simulation acts as.
pub const ADMIN: i64 = 7001;

/// How big a run is.
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    /// Journeys that reach the gateway or the balance (orders and deposits).
    pub payments: usize,
    /// Journeys running at once.
    pub concurrency: usize,
    pub customers: i64,
    pub products: usize,
    /// Items per product: scarce enough that some orders find the shelf empty and some late
    /// payments find their items sold.
    pub stock_per_product: usize,
    /// How long an invoice stays payable at the gateway.
    pub validity: Duration,
    /// How long the system may take to settle afterwards.
    pub settle: Duration,
}

impl Config {
    /// The variant in the normal test suite.
    pub fn quick(seed: u64) -> Config {
        Config {
            seed,
            payments: 240,
            concurrency: 24,
            customers: 60,
            products: 6,
            stock_per_product: 30,
            validity: Duration::from_secs(4),
            settle: Duration::from_secs(120),
        }
    }

    /// The long benchmark-style variant.
    pub fn long(seed: u64, payments: usize) -> Config {
        Config {
            seed,
            payments,
            concurrency: 64,
            customers: (payments as i64 / 4).max(50),
            products: 20,
            stock_per_product: (payments * 7 / 10 / 20).max(10),
            validity: Duration::from_secs(6),
            settle: Duration::from_secs(600),
        }
    }
}

/// The seed: `MONEY_SIM_SEED` when set (replaying a failure), else a fresh random one.
pub fn seed_from_env() -> u64 {
    match std::env::var("MONEY_SIM_SEED") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("MONEY_SIM_SEED={v:?}: expected a whole number")),
        _ => rand::rng().random(),
    }
}

/// What happened, for the report.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub seed: u64,
    pub journeys: usize,
    pub qris_invoices: usize,
    pub orders_placed: usize,
    pub orders_paid: usize,
    pub deposits_credited: usize,
    pub refunds: usize,
    pub expired: usize,
    pub cancelled: usize,
    pub callbacks: usize,
    pub forged_callbacks: usize,
    pub status_presses: usize,
    pub cancel_presses: usize,
    pub manual_payments: usize,
    pub gateway_failures_injected: usize,
    /// Driver steps that found the database unavailable and gave up (not the product's).
    pub unavailable_steps: usize,
    pub deliveries: usize,
    pub discrepancies: usize,
    pub gateway_asked: usize,
    pub elapsed: Duration,
    pub settle: Duration,
}

/// Prints the seed when a run panics, so it can be replayed.
struct SeedOnPanic(u64);

impl Drop for SeedOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "\nmoney simulation FAILED — replay with MONEY_SIM_SEED={} (same test or bench)\n",
                self.0
            );
        }
    }
}

/// One runtime: an actix system on its own thread with a PaymentActor and a QueueActor.
fn open_payments(pool: &Pool) -> i64 {
    use autoorder_schema::tables::payments as pay;
    let mut conn = checkout(pool).expect("db");
    pay::table
        .filter(pay::status.eq_any(["creating", "pending"]))
        .count()
        .get_result(&mut conn)
        .expect("count")
}

/// Gateway transactions completed there but not completed here.
fn unsettled(pool: &Pool, pakasir: &PakasirDouble) -> Vec<String> {
    use autoorder_schema::tables::payments as pay;
    let paid_there: Vec<String> = pakasir
        .transactions()
        .into_iter()
        .filter(|t| t.status == TxState::Completed)
        .map(|t| t.order_id)
        .collect();
    let mut conn = checkout(pool).expect("db");
    let done: HashSet<String> = pay::table
        .filter(pay::status.eq("completed"))
        .select(pay::gateway_order_id)
        .load::<String>(&mut conn)
        .expect("payments")
        .into_iter()
        .collect();
    paid_there
        .into_iter()
        .filter(|gid| !done.contains(gid))
        .collect()
}

fn wait_until(timeout: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "the system did not settle: {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Runs one simulation and checks every invariant; panics (printing the seed) on a violation.
pub fn run(config: &Config) -> Outcome {
    let _seed_guard = SeedOnPanic(config.seed);
    let started = Instant::now();
    let (db, _) = TestDatabase::migrated(Backend::Postgres);
    // Room for every journey running at once, and patience on a busy shared machine.
    let options = PoolOptions {
        max_size: (config.concurrency as u32 / 2 + 8).min(40),
        connection_timeout: Duration::from_secs(30),
    };
    let pool_a = open_pool(&db.target, &options).expect("pool a");
    let pool_b = open_pool(&db.target, &options).expect("pool b");
    let telegram = TelegramDouble::start();
    let pakasir = PakasirDouble::start();
    pakasir.set_validity(config.validity);
    pakasir.set_hold(Duration::from_millis(800));
    let keys =
        Arc::new(DataKeys::new(vec![("sim".into(), Secret::new([9u8; 32]))]).expect("data keys"));
    // The store: products with scarce stock, three vouchers, the customers.
    let products = {
        let mut conn = checkout(&pool_a).expect("db");
        let products: Vec<i64> = (0..config.products)
            .map(|i| product(&mut conn, &keys, i, config.stock_per_product))
            .collect();
        for (i, max) in [Some(3), Some(15), None].into_iter().enumerate() {
            create_voucher(
                &mut conn,
                &NewVoucher {
                    code: &format!("SIM{i}"),
                    percent: i != 1,
                    value: if i == 1 { 2_000 } else { 10 },
                    max_uses: max,
                    valid_from: None,
                    valid_until: None,
                },
            )
            .expect("voucher");
        }
        for c in 0..config.customers {
            touch_user(
                &mut conn,
                &TelegramProfile {
                    id: 100_000 + c,
                    username: None,
                    first_name: "Pelanggan",
                    language: None,
                },
            )
            .expect("customer");
        }
        products
    };
    let runtimes = [
        Runtime::start(
            "a",
            services(pool_a.clone(), &telegram, &pakasir, keys.clone(), "a"),
        ),
        Runtime::start(
            "b",
            services(pool_b.clone(), &telegram, &pakasir, keys.clone(), "b"),
        ),
    ];
    let world = Arc::new(World {
        pools: [pool_a.clone(), pool_b.clone()],
        runtimes,
        pakasir: pakasir.clone(),
        products,
        counters: Counters::default(),
    });
    let mut rng = StdRng::seed_from_u64(config.seed);
    let journeys = schedule(config, &mut rng);
    let starts: Vec<Duration> = journeys
        .iter()
        .map(|_| Duration::from_millis(rng.random_range(0..200)))
        .collect();

    let driver = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("driver runtime");
    let stop_chaos = Arc::new(AtomicU64::new(0));
    driver.block_on(async {
        let chaos = tokio::spawn(chaos(world.clone(), config.seed, stop_chaos.clone()));
        let limit = Arc::new(tokio::sync::Semaphore::new(config.concurrency));
        let mut running = Vec::with_capacity(journeys.len());
        for (journey, start) in journeys.into_iter().zip(starts) {
            let permit = limit.clone().acquire_owned().await.expect("semaphore");
            let world = world.clone();
            running.push(tokio::spawn(async move {
                sleep(start).await;
                run_journey(world, journey).await;
                drop(permit);
            }));
        }
        for task in running {
            task.await.expect("a journey panicked");
        }
        stop_chaos.store(1, Ordering::Relaxed);
        chaos.await.expect("chaos task");
    });
    let driven = started.elapsed();
    pakasir.clear_failures();

    // Settle: every invoice paid or closed, every payment the gateway took completed here,
    // the queue done with deliveries and notices.
    let settling = Instant::now();
    wait_until(config.settle, "open payments", || {
        open_payments(&pool_a) == 0
    });
    wait_until(
        config.settle,
        "paid at the gateway, not completed here",
        || unsettled(&pool_a, &pakasir).is_empty(),
    );
    wait_until(config.settle, "busy queue", || {
        autoorder_schema::queries::jobs::busy_jobs(&mut checkout(&pool_a).expect("db"))
            .expect("jobs")
            == 0
    });
    let settle = settling.elapsed();
    let World {
        runtimes, counters, ..
    } = Arc::into_inner(world).expect("journeys done");
    for runtime in runtimes {
        runtime.stop();
    }

    // The invariants.
    let mut conn = checkout(&pool_a).expect("db");
    let report = autoorder_schema::queries::reconcile::reconcile(&mut conn).expect("reconcile");
    assert!(
        report.is_clean(),
        "reconcile found {} discrepancies:\n{}",
        report.discrepancies.len(),
        report
            .discrepancies
            .iter()
            .map(|d| format!("  {d}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        report.under_review.is_empty(),
        "the double never answers inconsistently: {:?}",
        report.under_review
    );
    let client = PakasirClient::new(PakasirConfig::new(
        pakasir.base_url(),
        pakasir.project(),
        Secret::new(pakasir.api_key()),
    ))
    .expect("client");
    let gateway = driver
        .block_on(autoorder_actors::payment::reconcile::check_gateway(
            &pool_a,
            &client,
            Duration::from_secs(24 * 3600),
        ))
        .expect("the gateway answers");
    assert!(
        gateway.discrepancies.is_empty(),
        "the gateway disagrees: {:#?}",
        gateway.discrepancies
    );
    let still_unsettled = unsettled(&pool_a, &pakasir);
    assert!(
        still_unsettled.is_empty(),
        "money lost: {still_unsettled:?}"
    );

    // Every paid order delivered exactly once, no other; no item twice.
    use autoorder_schema::tables::{deposits as d, orders as o};
    let orders: Vec<(String, String)> = o::table
        .select((o::invoice_no, o::status))
        .load(&mut *conn)
        .expect("orders");
    let mut deliveries: HashMap<String, usize> = HashMap::new();
    let mut items: HashMap<String, usize> = HashMap::new();
    for call in telegram.calls_to("sendMessage") {
        let text = call.param_str("text").unwrap_or_default();
        let Some(rest) = text.strip_prefix("✅ Pembayaran diterima!\nPesanan: ") else {
            continue;
        };
        if call.ok() != Some(true) {
            continue;
        }
        let invoice = rest.lines().next().unwrap_or_default().to_string();
        *deliveries.entry(invoice).or_default() += 1;
        for word in text
            .split_whitespace()
            .filter(|w| w.starts_with("SIMITEM-"))
        {
            *items.entry(word.to_string()).or_default() += 1;
        }
    }
    let mut paid = 0;
    for (invoice, status) in &orders {
        let expected = usize::from(status == "paid" || status == "delivered");
        paid += expected;
        assert_eq!(
            deliveries.get(invoice).copied().unwrap_or(0),
            expected,
            "order {invoice} ({status}) delivered the wrong number of times"
        );
        if expected == 1 {
            assert_eq!(
                status, "delivered",
                "order {invoice} paid but not marked delivered"
            );
        }
    }
    let twice: Vec<_> = items.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "items delivered twice: {twice:?}");
    let deposits_credited: i64 = d::table
        .filter(d::status.eq("completed"))
        .count()
        .get_result(&mut *conn)
        .expect("deposits");
    let refunds: i64 = {
        use autoorder_schema::tables::balance_ledger as l;
        l::table
            .filter(l::reason.eq("late_refund"))
            .count()
            .get_result(&mut *conn)
            .expect("refunds")
    };
    let by_status = |s: &str| orders.iter().filter(|(_, st)| st == s).count();
    Outcome {
        seed: config.seed,
        journeys: config.payments,
        qris_invoices: counters.qris_invoices.load(Ordering::Relaxed),
        orders_placed: counters.orders_placed.load(Ordering::Relaxed),
        orders_paid: paid,
        deposits_credited: deposits_credited as usize,
        refunds: refunds as usize,
        expired: by_status("expired"),
        cancelled: by_status("cancelled"),
        callbacks: counters.callbacks.load(Ordering::Relaxed),
        forged_callbacks: counters.forged.load(Ordering::Relaxed),
        status_presses: counters.checks.load(Ordering::Relaxed),
        cancel_presses: counters.cancels.load(Ordering::Relaxed),
        manual_payments: counters.manual.load(Ordering::Relaxed),
        gateway_failures_injected: counters.failures.load(Ordering::Relaxed),
        unavailable_steps: counters.unavailable.load(Ordering::Relaxed),
        deliveries: deliveries.values().sum(),
        discrepancies: report.discrepancies.len() + gateway.discrepancies.len(),
        gateway_asked: gateway.asked,
        elapsed: driven,
        settle,
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "seed:                {}", self.seed)?;
        writeln!(f, "journeys:            {}", self.journeys)?;
        writeln!(f, "QRIS invoices:       {}", self.qris_invoices)?;
        writeln!(f, "orders placed:       {}", self.orders_placed)?;
        writeln!(
            f,
            "orders paid:         {} (delivered {} times in all)",
            self.orders_paid, self.deliveries
        )?;
        writeln!(
            f,
            "orders expired / cancelled: {} / {}",
            self.expired, self.cancelled
        )?;
        writeln!(f, "deposits credited:   {}", self.deposits_credited)?;
        writeln!(f, "refunds to balance:  {}", self.refunds)?;
        writeln!(f, "manual payments:     {}", self.manual_payments)?;
        writeln!(
            f,
            "callbacks (real + replays) / forged: {} / {}",
            self.callbacks, self.forged_callbacks
        )?;
        writeln!(
            f,
            "Cek Status / Batalkan presses: {} / {}",
            self.status_presses, self.cancel_presses
        )?;
        writeln!(
            f,
            "gateway failures injected: {}",
            self.gateway_failures_injected
        )?;
        writeln!(
            f,
            "gateway cross-check: {} payments asked",
            self.gateway_asked
        )?;
        writeln!(
            f,
            "driver steps without a database connection: {}",
            self.unavailable_steps
        )?;
        writeln!(f, "discrepancies:       {}", self.discrepancies)?;
        writeln!(
            f,
            "time: {:.1} s driving, {:.1} s settling",
            self.elapsed.as_secs_f64(),
            self.settle.as_secs_f64()
        )
    }
}
