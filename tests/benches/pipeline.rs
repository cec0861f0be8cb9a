//! The update pipeline: (a) how many updates per second the bot handles when Telegram's limits
//! are out of the way, (b) how close a burst of customers gets to the physical bound of the
//! send budget against a limit-enforcing Telegram double at several network latencies, and
//! (c) how quickly customers are answered while a big broadcast runs.
//!
//! (a) `throughput`: N updates (`AUTOORDER_BENCH_UPDATES`, default 20 000) from 2 000
//! customers are stored in the database before the bot starts (so intake is not measured; the
//! intake bench does that); then the bot (one process, or two replicas on PostgreSQL) starts
//! and the time until every update is handled (its transaction committed) is measured. Two
//! kinds: `halo` (not a menu entry: one reply) and `/start` (the welcome with the store's
//! numbers and the menu: two replies). The double does not enforce limits; replies wait in the
//! outbox (they are sent at `TELEGRAM_SEND_RATE`, which is not what is measured here).
//!
//! (b) `burst`: 300 and 1 000 customers press /start at once (pushed to getUpdates); the double
//! enforces Telegram's limits and answers every call after 0, 40 or 150 ms. Reported: time from
//! the push to the last welcome and to the last message, against the bound (messages ÷
//! `TELEGRAM_SEND_RATE`), and the 429 count.
//!
//! (c) `broadcast`: a broadcast to 10 000 customers (`AUTOORDER_BENCH_RECIPIENTS`) runs while a
//! new customer presses /start every 500 ms; reported: the welcome's latency (push → Telegram)
//! p50 / p99 / max, and the broadcast's rate meanwhile.
//!
//! ```sh
//! cargo build --release
//! cargo bench --bench pipeline                                   # everything
//! AUTOORDER_BENCH_PARTS=burst AUTOORDER_BENCH_BACKENDS=sqlite cargo bench --bench pipeline
//! ```
//!
//! Under `cargo test --benches` only a small smoke run of (a) and (b) on SQLite happens.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use autoorder_doubles::{RateLimits, TelegramDouble, message_update};
use autoorder_schema::checkout;
use autoorder_schema::db::Backend;
use autoorder_schema::queries::updates::{UpdateSource, store_update, update_counts};

use common::process::Store;
use common::{Mode, backend_name, quantile, secs};

const BUDGET: f64 = 25.0;

fn parts() -> Vec<String> {
    match std::env::var("AUTOORDER_BENCH_PARTS") {
        Ok(v) if !v.trim().is_empty() => v.split(',').map(|s| s.trim().to_string()).collect(),
        _ => vec!["throughput".into(), "burst".into(), "broadcast".into()],
    }
}

fn main() {
    let mode = common::mode();
    let Some(binary) = common::process::locate_binary("pipeline", mode) else {
        println!(
            "pipeline benchmark: smoke run skipped, no autoorder binary next to the benchmark"
        );
        return;
    };
    common::print_header(
        "update pipeline: handled/s, bursts against the budget, replies during a broadcast",
    );
    common::process::print_binary(&binary);
    let backends = match mode {
        Mode::Test => vec![Backend::Sqlite],
        Mode::Bench => common::backends(&[Backend::Sqlite, Backend::Postgres]),
    };
    let parts = parts();
    if parts.iter().any(|p| p == "throughput") {
        let updates = match mode {
            Mode::Test => 300,
            Mode::Bench => common::env_usize("AUTOORDER_BENCH_UPDATES", 20_000),
        };
        throughput(&binary, &backends, updates);
    }
    if parts.iter().any(|p| p == "burst") {
        let (sizes, latencies) = match mode {
            Mode::Test => (vec![30], vec![0]),
            Mode::Bench => (vec![300, 1_000], vec![0, 40, 150]),
        };
        burst(&binary, &backends, &sizes, &latencies);
    }
    if mode == Mode::Bench && parts.iter().any(|p| p == "broadcast") {
        let recipients = common::env_usize("AUTOORDER_BENCH_RECIPIENTS", 10_000);
        broadcast(&binary, &backends, recipients);
    }
    println!("load at end: {}", common::loadavg());
}

// ---------------------------------------------------------------------------------------------
// (a) throughput
// ---------------------------------------------------------------------------------------------

fn throughput(binary: &Path, backends: &[Backend], updates: usize) {
    println!(
        "(a) updates handled per second, Telegram's limits out of the way ({updates} updates stored before start)"
    );
    println!("| backend | replicas | update | handled | seconds | **handled /s** |");
    println!("|---|---:|---|---:|---:|---:|");
    for &backend in backends {
        let replica_counts: &[usize] = if backend == Backend::Postgres {
            &[1, 2]
        } else {
            &[1]
        };
        for &replicas in replica_counts {
            for text in ["halo", "/start"] {
                let (handled, took) = run_throughput(binary, backend, replicas, updates, text);
                println!(
                    "| {} | {replicas} | `{text}` | {handled} | {:.2} | **{:.0}** |",
                    backend_name(backend),
                    secs(took),
                    handled as f64 / secs(took)
                );
            }
        }
    }
    println!();
}

fn run_throughput(
    binary: &Path,
    backend: Backend,
    replicas: usize,
    updates: usize,
    text: &str,
) -> (i64, Duration) {
    let telegram = TelegramDouble::start();
    let mut store = Store::new(binary, backend, &telegram);
    store.set("SPAM_MAX_ACTIONS", "100000");
    store.set("TELEGRAM_SEND_RATE", "30");
    if replicas > 1 {
        store.set("TELEGRAM_MODE", "webhook");
        store.set("TELEGRAM_WEBHOOK_URL", "https://shop.example.com/telegram");
    }
    store.cli(&["migrate"]);
    let pool = store.db.pool();
    {
        let mut conn = checkout(&pool).expect("db");
        for i in 0..updates {
            let customer = 3_000_001 + (i as i64 % 2_000);
            let id = 700_000_001 + i as i64;
            let update = message_update(Some(id), customer, customer, text).to_string();
            store_update(
                &mut conn,
                id,
                Some(customer),
                &update,
                UpdateSource::Webhook,
            )
            .expect("stored");
        }
    }
    let started = Instant::now();
    let mut bots = vec![store.start()];
    let second = (replicas > 1).then(|| store.second_replica());
    if let Some(replica) = &second {
        bots.push(replica.start());
    }
    let limit = Duration::from_secs(900);
    let done = loop {
        let (pending, done, failed) =
            update_counts(&mut checkout(&pool).expect("db")).expect("counts");
        if pending == 0 {
            assert_eq!(failed, 0, "no update may fail");
            break done;
        }
        assert!(
            started.elapsed() < limit,
            "not handled within {limit:?}: {pending} pending\n{}",
            store.log_problems()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    for bot in &mut bots {
        bot.sigterm(Duration::from_secs(60));
    }
    (done, took)
}

// ---------------------------------------------------------------------------------------------
// (b) bursts against the budget
// ---------------------------------------------------------------------------------------------

fn is_welcome(call: &autoorder_doubles::Call) -> bool {
    call.method == "sendMessage"
        && call.ok() == Some(true)
        && call
            .param_str("text")
            .is_some_and(|t| t.contains("Selamat datang di"))
}

fn burst(binary: &Path, backends: &[Backend], sizes: &[usize], latencies: &[u64]) {
    println!(
        "(b) N customers press /start at once against Telegram's limits (budget {BUDGET}/s; 2 messages each)"
    );
    println!(
        "| backend | customers | latency ms | bound s | last welcome s | **÷ bound** | last message s | ÷ bound | 429s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &backend in backends {
        for &n in sizes {
            for &latency in latencies {
                let telegram = TelegramDouble::start();
                telegram.enforce_limits(Some(RateLimits {
                    slack: Duration::from_millis(5),
                    ..RateLimits::default()
                }));
                telegram.set_latency(Duration::from_millis(latency));
                let mut store = Store::new(binary, backend, &telegram);
                store.set("SPAM_MAX_ACTIONS", "100000");
                let mut bot = store.start();
                // Let the bot settle into its long poll first.
                std::thread::sleep(Duration::from_millis(500));
                let started = Instant::now();
                for i in 0..n {
                    let chat = 4_000_001 + i as i64;
                    telegram.push_update(message_update(None, chat, chat, "/start"));
                }
                let messages = 2 * n;
                let deadline =
                    started + Duration::from_secs(60 + (messages as f64 / BUDGET * 3.0) as u64);
                let (last_welcome, last_message) = loop {
                    let calls = telegram.calls();
                    let welcomes: HashMap<i64, Instant> = calls
                        .iter()
                        .filter(|c| is_welcome(c))
                        .filter_map(|c| Some((c.param_i64("chat_id")?, c.at)))
                        .collect();
                    let sent: Vec<Instant> = calls
                        .iter()
                        .filter(|c| {
                            c.method == "sendMessage" && c.ok() == Some(true) && c.at >= started
                        })
                        .map(|c| c.at)
                        .collect();
                    if welcomes.len() == n && sent.len() >= messages {
                        break (
                            welcomes.values().max().copied().unwrap(),
                            sent.iter().max().copied().unwrap(),
                        );
                    }
                    assert!(
                        Instant::now() < deadline,
                        "burst not answered: {} welcomes, {} sent\n{}",
                        welcomes.len(),
                        sent.len(),
                        store.log_problems()
                    );
                    std::thread::sleep(Duration::from_millis(50));
                };
                let bound = messages as f64 / BUDGET;
                let welcome = secs(last_welcome.duration_since(started));
                let last = secs(last_message.duration_since(started));
                println!(
                    "| {} | {n} | {latency} | {bound:.1} | {welcome:.2} | **{:.2}** | {last:.2} | {:.2} | {} |",
                    backend_name(backend),
                    welcome / bound,
                    last / bound,
                    telegram.rate_limited_count()
                );
                bot.sigterm(Duration::from_secs(60));
            }
        }
    }
    println!();
}

// ---------------------------------------------------------------------------------------------
// (c) replies while a broadcast runs
// ---------------------------------------------------------------------------------------------

fn broadcast(binary: &Path, backends: &[Backend], recipients: usize) {
    println!("(c) /start reply latency while a broadcast to {recipients} runs (limits enforced)");
    println!(
        "| backend | samples | p50 ms | p99 ms | max ms | broadcast sends/s meanwhile | 429s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for &backend in backends {
        let telegram = TelegramDouble::start();
        telegram.enforce_limits(Some(RateLimits {
            slack: Duration::from_millis(5),
            ..RateLimits::default()
        }));
        let mut store = Store::new(binary, backend, &telegram);
        store.set("SPAM_MAX_ACTIONS", "100000");
        store.cli(&["migrate"]);
        {
            use autoorder_schema::queries::users::{TelegramProfile, touch_user};
            let mut conn = checkout(&store.db.pool()).expect("db");
            autoorder_schema::write_tx(&mut conn, |c| {
                for i in 0..recipients {
                    touch_user(
                        c,
                        &TelegramProfile {
                            id: 5_000_001 + i as i64,
                            username: None,
                            first_name: "Pelanggan",
                            language: None,
                        },
                    )?;
                }
                Ok::<_, autoorder_schema::StoreError>(())
            })
            .expect("recipients");
        }
        let mut bot = store.start();
        store.cli(&["broadcast", "send", "--text", "Promo besar"]);
        let promo = |t: &TelegramDouble| {
            t.calls_to("sendMessage")
                .iter()
                .filter(|c| {
                    c.ok() == Some(true)
                        && c.param_str("text")
                            .is_some_and(|s| s.contains("Promo besar"))
                })
                .map(|c| c.at)
                .collect::<Vec<_>>()
        };
        // Wait until the broadcast is in full flow.
        while promo(&telegram).len() < 50 {
            std::thread::sleep(Duration::from_millis(100));
        }
        let samples = 40;
        let mut pushed = Vec::new();
        for i in 0..samples {
            let chat = 6_000_001 + i as i64;
            pushed.push((chat, Instant::now()));
            telegram.push_update(message_update(None, chat, chat, "/start"));
            std::thread::sleep(Duration::from_millis(500));
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let latencies = loop {
            let welcomes: HashMap<i64, Instant> = telegram
                .calls()
                .iter()
                .filter(|c| is_welcome(c))
                .filter_map(|c| Some((c.param_i64("chat_id")?, c.at)))
                .collect();
            if pushed.iter().all(|(c, _)| welcomes.contains_key(c)) {
                break pushed
                    .iter()
                    .map(|(c, at)| welcomes[c].duration_since(*at))
                    .collect::<Vec<_>>();
            }
            assert!(Instant::now() < deadline, "not every sample answered");
            std::thread::sleep(Duration::from_millis(50));
        };
        let sent = promo(&telegram);
        let window_start = pushed[0].1;
        let window_end = pushed.last().unwrap().1;
        let during = sent
            .iter()
            .filter(|t| **t >= window_start && **t <= window_end)
            .count();
        let mut sorted = latencies.clone();
        sorted.sort();
        println!(
            "| {} | {samples} | {:.0} | {:.0} | {:.0} | {:.1} | {} |",
            backend_name(backend),
            quantile(&sorted, 0.5).as_secs_f64() * 1000.0,
            quantile(&sorted, 0.99).as_secs_f64() * 1000.0,
            sorted.last().unwrap().as_secs_f64() * 1000.0,
            during as f64 / secs(window_end.duration_since(window_start)),
            telegram.rate_limited_count()
        );
        bot.sigterm(Duration::from_secs(60));
    }
    println!();
}
