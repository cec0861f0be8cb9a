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

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix::Addr;
use autoorder_actors::health::HealthSettings;
use autoorder_actors::metrics::Metrics;
use autoorder_actors::payment::messages::{
    CancelPayment, CheckPayment, GatewayCallback, StartQris,
};
use autoorder_actors::payment::pakasir::{PakasirClient, PakasirConfig};
use autoorder_actors::payment::{self, PaymentActor};
use autoorder_actors::queue::{self, QueueActor};
use autoorder_actors::services::{
    ActorSettings, IntakeMode, PakasirSettings, RuntimeState, Services, ShopSettings,
    TelegramSettings,
};
use autoorder_actors::supervisor::{
    ChildSpec, Registry, Restart, ShutdownTree, SupervisorConfig, start_supervisor,
};
use autoorder_doubles::pakasir::{Endpoint, Failure, TxState};
use autoorder_doubles::{PakasirDouble, TelegramDouble};
use autoorder_schema::crypto::DataKeys;
use autoorder_schema::db::Backend;
use autoorder_schema::queries::catalog::stock_aad;
use autoorder_schema::queries::shop::balance::adjust_balance;
use autoorder_schema::queries::shop::carts::{set_cart_quantity, set_cart_voucher};
use autoorder_schema::queries::shop::checkout::{PayMethod, PaymentFor, place_order};
use autoorder_schema::queries::shop::deposits::create_deposit;
use autoorder_schema::queries::shop::manual::complete_payment_manually;
use autoorder_schema::queries::shop::vouchers::{NewVoucher, create_voucher};
use autoorder_schema::queries::users::{TelegramProfile, touch_user};
use autoorder_schema::secret::Secret;
use autoorder_schema::testing::TestDatabase;
use autoorder_schema::{DbConnection, Pool, PoolOptions, StoreError, checkout, open_pool};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The seller the simulation acts as.
pub const ADMIN: i64 = 7001;
const TOKEN: &str = "123456789:AAsim-token-SECRET_value_0123456789abcdef";

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
struct Runtime {
    registry: Registry,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Runtime {
    fn start(name: &str, services: Services) -> Runtime {
        let registry = services.registry.clone();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(format!("sim-{name}"))
            .spawn(move || {
                actix::System::new().block_on(async move {
                    let s = services.clone();
                    let queue = ChildSpec::new(queue::NAME, Restart::Permanent, move || {
                        QueueActor::new(s.clone())
                    });
                    let s = services.clone();
                    let payment = ChildSpec::new(payment::NAME, Restart::Permanent, move || {
                        PaymentActor::new(s.clone())
                    });
                    let handle = start_supervisor(
                        vec![queue, payment],
                        SupervisorConfig::default(),
                        services.registry.clone(),
                        Arc::new(|e| panic!("escalation in the simulation: {e:?}")),
                    );
                    let _ = ready_tx.send(());
                    let _ = stop_rx.await;
                    services.state.begin_shutdown();
                    let _ = handle
                        .addr
                        .send(ShutdownTree {
                            deadline: Duration::from_secs(10),
                        })
                        .await;
                });
            })
            .expect("spawn a runtime thread");
        ready_rx.recv().expect("runtime started");
        Runtime {
            registry,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    fn payment(&self) -> Addr<PaymentActor> {
        // The live instance, whatever restarts happened.
        loop {
            if let Some(addr) = self.registry.get::<PaymentActor>(payment::NAME) {
                return addr;
            }
            std::thread::yield_now();
        }
    }

    fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            thread.join().expect("runtime thread");
        }
    }
}

fn services(
    pool: Pool,
    telegram: &TelegramDouble,
    pakasir: &PakasirDouble,
    keys: Arc<DataKeys>,
    name: &str,
) -> Services {
    let settings = ActorSettings {
        store_name: "Toko Simulasi".into(),
        timezone: chrono_tz::Asia::Jakarta,
        admin_ids: Vec::new(),
        owner_ids: vec![9001],
        telegram: TelegramSettings {
            api_url: telegram.base_url(),
            bot_token: Secret::new(TOKEN.to_string()),
            owner_bot_token: None,
            mode: IntakeMode::Polling,
            webhook_url: None,
            webhook_secret: Secret::new("sim-webhook-secret".to_string()),
        },
        db_probe_interval: Duration::from_secs(3600),
        data_dir: std::env::temp_dir(),
        log_dir: std::env::temp_dir(),
        send_rate: 1_000,
        snk_retention_days: 30,
        pakasir: Some(PakasirSettings {
            base_url: pakasir.base_url(),
            project: pakasir.project(),
            api_key: Secret::new(pakasir.api_key()),
            failure_alert_threshold: 1_000_000,
            reconcile_interval: Duration::from_secs(1),
            recheck_window: Duration::from_secs(24 * 3600),
        }),
        shop: ShopSettings {
            low_stock_threshold: 0,
            ..ShopSettings::default()
        },
        health: HealthSettings::default(),
        backup: None,
    };
    Services {
        pool,
        settings: Arc::new(settings),
        registry: Registry::default(),
        metrics: Arc::new(Metrics::default()),
        state: Arc::new(RuntimeState::default()),
        instance_id: format!("sim-{name}").into(),
        maintenance: Arc::new(|| {}),
        queue_wake: Arc::new(tokio::sync::Notify::new()),
        data_keys: keys,
    }
}

/// What one journey does; decided up front from the seed.
#[derive(Debug, Clone)]
enum Journey {
    Qris {
        customer: i64,
        product: usize,
        quantity: i32,
        voucher: Option<usize>,
        runtime: usize,
        plan: PayPlan,
    },
    Deposit {
        customer: i64,
        amount: i64,
        runtime: usize,
        plan: PayPlan,
    },
    Balance {
        customer: i64,
        product: usize,
        quantity: i32,
    },
    Adjust {
        customer: i64,
        amount: i64,
    },
}

/// What the customer (and the gateway, and a seller) do with an invoice.
#[derive(Debug, Clone)]
struct PayPlan {
    /// Pays after this long; `None`: never (the invoice expires, or is cancelled).
    pay_after: Option<Duration>,
    /// The gateway's callback reaches us (and how many replays follow, to random runtimes);
    /// `None`: lost, the poller finds it.
    callback: Option<usize>,
    /// *Cek Status* presses: (after, runtime).
    checks: Vec<(Duration, usize)>,
    /// A *Batalkan* press: (after, runtime).
    cancel: Option<(Duration, usize)>,
    /// A forged "completed" callback: (after, runtime).
    forged: Option<(Duration, usize)>,
    /// A seller marks it paid by hand after this long.
    manual: Option<Duration>,
}

fn plan(rng: &mut StdRng, validity: Duration) -> PayPlan {
    let window = validity.as_millis() as u64;
    let at = |rng: &mut StdRng| Duration::from_millis(rng.random_range(0..window + 500));
    let pay_after = rng.random_bool(0.6).then(|| at(rng));
    let callback = rng.random_bool(0.75).then(|| rng.random_range(0..4usize));
    let checks = (0..rng.random_range(0..3usize))
        .map(|_| (at(rng), rng.random_range(0..2usize)))
        .collect();
    let cancel = rng
        .random_bool(0.2)
        .then(|| (at(rng), rng.random_range(0..2usize)));
    let forged = rng
        .random_bool(0.08)
        .then(|| (at(rng), rng.random_range(0..2usize)));
    let manual = rng.random_bool(0.03).then(|| at(rng));
    PayPlan {
        pay_after,
        callback,
        checks,
        cancel,
        forged,
        manual,
    }
}

fn schedule(config: &Config, rng: &mut StdRng) -> Vec<Journey> {
    let customer = |rng: &mut StdRng| 100_000 + rng.random_range(0..config.customers);
    (0..config.payments)
        .map(|_| {
            let roll: f64 = rng.random();
            if roll < 0.55 {
                Journey::Qris {
                    customer: customer(rng),
                    product: rng.random_range(0..config.products),
                    quantity: rng.random_range(1..=2),
                    voucher: rng.random_bool(0.15).then(|| rng.random_range(0..3)),
                    runtime: rng.random_range(0..2),
                    plan: plan(rng, config.validity),
                }
            } else if roll < 0.8 {
                Journey::Deposit {
                    customer: customer(rng),
                    amount: 10_000 * rng.random_range(1..=5),
                    runtime: rng.random_range(0..2),
                    plan: plan(rng, config.validity),
                }
            } else if roll < 0.97 {
                Journey::Balance {
                    customer: customer(rng),
                    product: rng.random_range(0..config.products),
                    quantity: 1,
                }
            } else {
                Journey::Adjust {
                    customer: customer(rng),
                    amount: 5_000 * rng.random_range(1..=4),
                }
            }
        })
        .collect()
}

/// Shared counters.
#[derive(Default)]
struct Counters {
    qris_invoices: AtomicUsize,
    orders_placed: AtomicUsize,
    callbacks: AtomicUsize,
    forged: AtomicUsize,
    checks: AtomicUsize,
    cancels: AtomicUsize,
    manual: AtomicUsize,
    failures: AtomicUsize,
    /// Driver steps that found the database unavailable (pool exhausted, connection closed)
    /// and gave up; the invariants are checked all the same.
    unavailable: AtomicUsize,
}

struct World {
    pools: [Pool; 2],
    runtimes: [Runtime; 2],
    pakasir: PakasirDouble,
    products: Vec<i64>,
    counters: Counters,
}

/// Runs a driver step on the blocking pool. A database that is unavailable for a moment (a
/// busy shared machine) ends the step quietly and is counted; any other error is a failure.
async fn db<T: Send + 'static>(
    world: &World,
    pool: usize,
    f: impl FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
) -> Option<T> {
    let pool = world.pools[pool].clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut conn = checkout(&pool)?;
        f(&mut conn)
    })
    .await
    .expect("blocking task");
    match result {
        Ok(value) => Some(value),
        Err(e) if e.is_unavailable() => {
            world.counters.unavailable.fetch_add(1, Ordering::Relaxed);
            None
        }
        Err(e) => panic!("a driver step failed: {e}"),
    }
}

async fn sleep(d: Duration) {
    tokio::time::sleep(d).await;
}

async fn run_journey(world: Arc<World>, journey: Journey) {
    match journey {
        Journey::Qris {
            customer,
            product,
            quantity,
            voucher,
            runtime,
            plan,
        } => {
            let pid = world.products[product];
            let placed = db(&world, runtime, move |c| {
                set_cart_quantity(c, customer, pid, quantity)?;
                set_cart_voucher(c, customer, voucher.map(|v| format!("SIM{v}")).as_deref())?;
                place_order(c, customer, PayMethod::Qris, 0)
            })
            .await;
            let Some(Ok(placed)) = placed else { return };
            world.counters.orders_placed.fetch_add(1, Ordering::Relaxed);
            let Some(payment_id) = placed.payment_id else {
                return;
            };
            invoice_life(
                &world,
                payment_id,
                customer,
                runtime,
                plan,
                Some(placed.order_id),
            )
            .await;
        }
        Journey::Deposit {
            customer,
            amount,
            runtime,
            plan,
        } => {
            let Some((_, payment)) = db(&world, runtime, move |c| {
                create_deposit(c, customer, amount)
            })
            .await
            else {
                return;
            };
            invoice_life(&world, payment.id, customer, runtime, plan, None).await;
        }
        Journey::Balance {
            customer,
            product,
            quantity,
        } => {
            let pid = world.products[product];
            let placed = db(&world, (customer % 2) as usize, move |c| {
                set_cart_quantity(c, customer, pid, quantity)?;
                set_cart_voucher(c, customer, None)?;
                place_order(c, customer, PayMethod::Balance, 0)
            })
            .await;
            if let Some(Ok(_)) = placed {
                world.counters.orders_placed.fetch_add(1, Ordering::Relaxed);
            }
        }
        Journey::Adjust { customer, amount } => {
            let adjusted = db(&world, 0, move |c| {
                adjust_balance(c, customer, amount, ADMIN, "simulasi: transfer manual")
            })
            .await;
            if let Some(refused) = adjusted {
                refused.expect("a credit is never refused");
            }
        }
    }
}

async fn invoice_life(
    world: &Arc<World>,
    payment_id: i64,
    customer: i64,
    runtime: usize,
    plan: PayPlan,
    order_id: Option<i64>,
) {
    let started = world.runtimes[runtime]
        .payment()
        .send(StartQris { payment_id })
        .await
        .expect("payment actor answers");
    let Ok(invoice) = started else { return };
    world.counters.qris_invoices.fetch_add(1, Ordering::Relaxed);
    let gid = invoice.gateway_order_id.clone();
    let amount = invoice.amount;
    let project = world.pakasir.project();
    let mut tasks: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>> =
        Vec::new();
    if let Some(after) = plan.pay_after {
        let (world, gid, project) = (world.clone(), gid.clone(), project.clone());
        let callback = plan.callback;
        tasks.push(Box::pin(async move {
            sleep(after).await;
            if !world.pakasir.complete(&gid) {
                return; // expired or cancelled meanwhile
            }
            let Some(replays) = callback else { return };
            let sends = (0..=replays).map(|i| {
                let addr = world.runtimes[(runtime + i) % 2].payment();
                world.counters.callbacks.fetch_add(1, Ordering::Relaxed);
                addr.send(GatewayCallback {
                    order_id: gid.clone(),
                    amount,
                    project: project.clone(),
                })
            });
            for sent in futures_util::future::join_all(sends).await {
                sent.expect("payment actor answers");
            }
        }));
    }
    for (after, rt) in plan.checks {
        let world = world.clone();
        tasks.push(Box::pin(async move {
            sleep(after).await;
            world.counters.checks.fetch_add(1, Ordering::Relaxed);
            let _ = world.runtimes[rt]
                .payment()
                .send(CheckPayment {
                    payment_id,
                    user_id: customer,
                })
                .await
                .expect("payment actor answers");
        }));
    }
    if let Some((after, rt)) = plan.cancel {
        let world = world.clone();
        tasks.push(Box::pin(async move {
            sleep(after).await;
            world.counters.cancels.fetch_add(1, Ordering::Relaxed);
            let _ = world.runtimes[rt]
                .payment()
                .send(CancelPayment {
                    payment_id,
                    user_id: customer,
                })
                .await
                .expect("payment actor answers");
        }));
    }
    if let Some((after, rt)) = plan.forged {
        let (world, gid, project) = (world.clone(), gid.clone(), project.clone());
        tasks.push(Box::pin(async move {
            sleep(after).await;
            world.counters.forged.fetch_add(1, Ordering::Relaxed);
            world.runtimes[rt]
                .payment()
                .send(GatewayCallback {
                    order_id: gid,
                    amount,
                    project,
                })
                .await
                .expect("payment actor answers");
        }));
    }
    if let Some(after) = plan.manual {
        let world = world.clone();
        tasks.push(Box::pin(async move {
            sleep(after).await;
            let target = match order_id {
                Some(id) => PaymentFor::Order(id),
                None => {
                    let id = db(&world, 0, move |c| {
                        Ok(
                            autoorder_schema::queries::shop::payments::load_payment(c, payment_id)?
                                .and_then(|p| p.deposit_id),
                        )
                    })
                    .await;
                    let Some(Some(id)) = id else { return };
                    PaymentFor::Deposit(id)
                }
            };
            let done = db(&world, 1, move |c| {
                complete_payment_manually(c, target, ADMIN, "transfer bank (simulasi)", 0)
            })
            .await;
            if let Some(Ok(_)) = done {
                world.counters.manual.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    futures_util::future::join_all(tasks).await;
}

/// Bursts of gateway trouble until `stop` is set.
async fn chaos(world: Arc<World>, seed: u64, stop: Arc<AtomicU64>) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x00c4_a05c_4a05);
    while stop.load(Ordering::Relaxed) == 0 {
        sleep(Duration::from_millis(rng.random_range(300..1_500))).await;
        let endpoint = match rng.random_range(0..4) {
            0 => Endpoint::Create,
            1 | 2 => Endpoint::Detail,
            _ => Endpoint::Cancel,
        };
        let failure = match rng.random_range(0..5) {
            0 | 1 => Failure::Status(503),
            2 => Failure::Drop,
            3 => Failure::Timeout,
            _ if endpoint == Endpoint::Create => Failure::LostResponse,
            _ => Failure::Status(502),
        };
        let times = rng.random_range(1..=4);
        world
            .counters
            .failures
            .fetch_add(times as usize, Ordering::Relaxed);
        world.pakasir.fail(endpoint, failure, Some(times));
    }
}

fn product(conn: &mut DbConnection, keys: &DataKeys, index: usize, stock: usize) -> i64 {
    use autoorder_schema::tables::{products as p, stock_items as s};
    let now = autoorder_schema::now_ms();
    let id: i64 = diesel::insert_into(p::table)
        .values((
            p::code.eq(format!("SIM{index}")),
            p::name.eq(format!("Produk Simulasi {index}")),
            p::price.eq(5_000 * (index as i64 % 4 + 1)),
            p::created_at.eq(now),
            p::updated_at.eq(now),
        ))
        .returning(p::id)
        .get_result(conn)
        .expect("product");
    for i in 0..stock {
        let content = format!("SIMITEM-{id}-{i}:sandi");
        let hash = keys.content_hash(content.as_bytes());
        let enc = keys.encrypt(content.as_bytes(), &stock_aad(id, &hash));
        diesel::insert_into(s::table)
            .values((
                s::product_id.eq(id),
                s::content_enc.eq(enc),
                s::content_hash.eq(hash),
                s::created_at.eq(now),
            ))
            .execute(conn)
            .expect("stock");
    }
    id
}

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
