//! What customers, the gateway and a seller do: the seeded schedule of journeys, each played
//! through the same code the bot and the HTTP endpoint use, and the bursts of gateway trouble.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use autoorder_actors::payment::messages::{
    CancelPayment, CheckPayment, GatewayCallback, StartQris,
};
use autoorder_doubles::PakasirDouble;
use autoorder_doubles::pakasir::{Endpoint, Failure};
use autoorder_schema::crypto::DataKeys;
use autoorder_schema::queries::catalog::stock_aad;
use autoorder_schema::queries::shop::balance::adjust_balance;
use autoorder_schema::queries::shop::carts::{set_cart_quantity, set_cart_voucher};
use autoorder_schema::queries::shop::checkout::{PayMethod, PaymentFor, place_order};
use autoorder_schema::queries::shop::deposits::create_deposit;
use autoorder_schema::queries::shop::manual::complete_payment_manually;
use autoorder_schema::{DbConnection, Pool, StoreError, checkout};
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::runtime::Runtime;
use super::{ADMIN, Config};

/// What one journey does; decided up front from the seed.
#[derive(Debug, Clone)]
pub(super) enum Journey {
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
pub(super) struct PayPlan {
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

pub(super) fn schedule(config: &Config, rng: &mut StdRng) -> Vec<Journey> {
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
pub(super) struct Counters {
    pub(super) qris_invoices: AtomicUsize,
    pub(super) orders_placed: AtomicUsize,
    pub(super) callbacks: AtomicUsize,
    pub(super) forged: AtomicUsize,
    pub(super) checks: AtomicUsize,
    pub(super) cancels: AtomicUsize,
    pub(super) manual: AtomicUsize,
    pub(super) failures: AtomicUsize,
    /// Driver steps that found the database unavailable (pool exhausted, connection closed)
    /// and gave up; the invariants are checked all the same.
    pub(super) unavailable: AtomicUsize,
}

pub(super) struct World {
    pub(super) pools: [Pool; 2],
    pub(super) runtimes: [Runtime; 2],
    pub(super) pakasir: PakasirDouble,
    pub(super) products: Vec<i64>,
    pub(super) counters: Counters,
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

pub(super) async fn sleep(d: Duration) {
    tokio::time::sleep(d).await;
}

pub(super) async fn run_journey(world: Arc<World>, journey: Journey) {
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
pub(super) async fn chaos(world: Arc<World>, seed: u64, stop: Arc<AtomicU64>) {
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

pub(super) fn product(conn: &mut DbConnection, keys: &DataKeys, index: usize, stock: usize) -> i64 {
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
