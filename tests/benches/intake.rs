//! Webhook intake throughput: how many updates per second the durable webhook intake of the
//! real release binary accepts, and how long the bot then needs to process what it stored.
//!
//! For every backend and every client count K (1, 8, 32) a fresh store (fresh database, fresh
//! Telegram double, `autoorder run` in polling mode with a webhook secret) gets
//! `AUTOORDER_BENCH_UPDATES` (default 20 000) small `message` updates posted straight to the
//! webhook route (`POST /telegram` with `X-Telegram-Bot-Api-Secret-Token`), from K concurrent
//! tasks sharing one keep-alive HTTP client. Every update has its own `update_id` and the text
//! `halo`, from 1 000 customers in turn (the anti-spam limit is lifted so none is refused).
//!
//! Reported: accepted updates per second (answers 200, each stored durably before answering),
//! the request latency (p50, p99, max), how many were processed while posting, and the time
//! until every stored update is processed (`inbound_updates` status counts via
//! `update_counts`, polled every 100 ms once posting is over). The bot processes while updates
//! arrive, as in production, so both compete for the same 2 cores and the same database.
//! `halo` is not a menu entry, so each update also gets one `sendMessage` (the "unknown input"
//! reply) to the double.
//!
//! Only the run with the most clients waits until everything is processed; the others stop the
//! bot once posting is over. `AUTOORDER_BENCH_DRAIN=all` waits in every run. (Handling itself,
//! without intake, is measured by the pipeline bench.)
//!
//! ```sh
//! cargo build --release                  # the binary under test
//! cargo bench --bench intake             # SQLite then PostgreSQL, K = 1, 8, 32
//! AUTOORDER_BENCH_UPDATES=5000 AUTOORDER_BENCH_BACKENDS=sqlite cargo bench --bench intake
//! ```
//!
//! The binary is `AUTOORDER_BIN` when set, else `autoorder` next to this benchmark in the
//! target directory, else `target/release/autoorder`. Under `cargo test --benches` only a
//! 200-update smoke run on SQLite with 8 clients happens (with the debug binary).

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use autoorder_doubles::{TelegramDouble, message_update};
use autoorder_schema::checkout;
use autoorder_schema::db::Backend;
use autoorder_schema::queries::updates::update_counts;

use common::process::{Store, post_update};
use common::{Mode, backend_name, quantile, secs};

/// Customers the updates come from, in turn.
const CUSTOMERS: i64 = 1_000;
const FIRST_CUSTOMER: i64 = 2_000_001;
const FIRST_UPDATE_ID: i64 = 500_000_001;
/// How long processing may take after posting ends before the run is given up.
const DRAIN_LIMIT: Duration = Duration::from_secs(900);

fn main() {
    let mode = common::mode();
    let (updates, client_counts, backends) = match mode {
        Mode::Test => (200, vec![8], vec![Backend::Sqlite]),
        Mode::Bench => (
            common::env_usize("AUTOORDER_BENCH_UPDATES", 20_000),
            vec![1, 8, 32],
            common::backends(&[Backend::Sqlite, Backend::Postgres]),
        ),
    };
    let Some(binary) = common::process::locate_binary("intake", mode) else {
        println!("intake benchmark: smoke run skipped, no autoorder binary next to the benchmark");
        return;
    };

    common::print_header("webhook intake: updates/s accepted (stored before 200) and processed");
    common::process::print_binary(&binary);
    println!(
        "updates: {updates} `halo` messages per configuration from {CUSTOMERS} customers, posted to the webhook route{}",
        if mode == Mode::Test {
            " (smoke run under cargo test; use cargo bench for numbers)"
        } else {
            ""
        }
    );
    println!();

    // By default only the run with the most clients waits until everything is processed.
    let drain_all = mode == Mode::Test
        || std::env::var("AUTOORDER_BENCH_DRAIN").is_ok_and(|v| v.trim() == "all");
    let most = client_counts.iter().copied().max().unwrap_or(1);
    let mut results = Vec::new();
    for &backend in &backends {
        for &clients in &client_counts {
            let drain = drain_all || clients == most;
            results.push(run(&binary, backend, clients, updates, drain));
        }
    }

    println!("load at end: {}", common::loadavg());
    println!();
    println!(
        "summary ({updates} updates each; every accepted update verified stored and processed)"
    );
    println!(
        "| backend | clients | accepted | **accepted /s** | request p50 / p99 / max ms | posting s | processed while posting (/s) | all processed s after first POST | **processing /s after posting** | failed |"
    );
    println!("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|");
    for r in &results {
        let (all, after) = match r.all_processed {
            Some(all) => (
                format!("{:.2}", secs(all)),
                format!(
                    "**{:.0}**",
                    (r.accepted as i64 - r.done_at_post_end) as f64
                        / secs(all.saturating_sub(r.posting))
                ),
            ),
            None => ("not waited".to_string(), "–".to_string()),
        };
        println!(
            "| {} | {} | {} | **{:.0}** | {:.2} / {:.2} / {:.1} | {:.2} | {} ({:.0}) | {} | {} | {} |",
            backend_name(r.backend),
            r.clients,
            r.accepted,
            r.accepted as f64 / secs(r.posting),
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
            secs(r.posting),
            r.done_at_post_end,
            r.done_at_post_end as f64 / secs(r.posting),
            all,
            after,
            r.failed,
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Measured {
    backend: Backend,
    clients: usize,
    accepted: usize,
    /// From the first POST to the last answer.
    posting: Duration,
    p50: Duration,
    p99: Duration,
    max: Duration,
    /// Updates already processed (`done` or `failed`) when the last answer came.
    done_at_post_end: i64,
    /// From the first POST until every stored update was processed (`None`: not waited for).
    all_processed: Option<Duration>,
    /// Updates that failed for good (of those processed).
    failed: i64,
}

/// What one client task saw.
#[derive(Default)]
struct ClientLog {
    latencies: Vec<Duration>,
    /// Answers other than 200, and transport errors, as text.
    refused: Vec<String>,
}

fn run(binary: &Path, backend: Backend, clients: usize, updates: usize, drain: bool) -> Measured {
    let name = backend_name(backend);
    let telegram = TelegramDouble::start();
    let mut store = Store::new(binary, backend, &telegram);
    // 20 messages per customer arrive within seconds; the production limit (5 in 5 s) would
    // answer most of them with the spam warning instead of handling them.
    store.set("SPAM_MAX_ACTIONS", "100000");
    let mut bot = store.start();
    let pool = store.db.pool();
    let url = bot.webhook_url();

    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..updates)
            .map(|i| {
                let customer = FIRST_CUSTOMER + (i as i64 % CUSTOMERS);
                let update =
                    message_update(Some(FIRST_UPDATE_ID + i as i64), customer, customer, "halo");
                serde_json::to_vec(&update).expect("update JSON")
            })
            .collect(),
    );
    let body_bytes = bodies.iter().map(Vec::len).sum::<usize>() / updates.max(1);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let logs: Vec<ClientLog> = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .tcp_nodelay(true)
            .build()
            .expect("HTTP client");
        let next = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..clients)
            .map(|_| {
                let (client, next, bodies, url) =
                    (client.clone(), next.clone(), bodies.clone(), url.clone());
                tokio::spawn(async move {
                    let mut log = ClientLog::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(body) = bodies.get(i) else {
                            break;
                        };
                        let t = Instant::now();
                        let answer = post_update(&client, &url, body.clone()).await;
                        log.latencies.push(t.elapsed());
                        match answer {
                            Ok(status) if status == reqwest::StatusCode::OK => {}
                            Ok(status) => log.refused.push(format!("HTTP {status}")),
                            Err(e) => log.refused.push(format!("error: {e}")),
                        }
                    }
                    log
                })
            })
            .collect();
        let mut logs = Vec::new();
        for task in tasks {
            logs.push(task.await.expect("client task"));
        }
        logs
    });
    let posting = started.elapsed();
    let mut conn = checkout(&pool).expect("db");
    let (pending, done, failed) = update_counts(&mut conn).expect("update counts");
    let done_at_post_end = done + failed;

    let mut latencies: Vec<Duration> = logs.iter().flat_map(|l| l.latencies.clone()).collect();
    latencies.sort();
    let refused: Vec<&String> = logs.iter().flat_map(|l| &l.refused).collect();
    let accepted = updates - refused.len();
    if !refused.is_empty() {
        println!(
            "[{name}] {} of {updates} posts were not accepted; first: {}",
            refused.len(),
            refused[0]
        );
    }
    println!(
        "[{name}] K={clients:>2}: {accepted} of {updates} accepted in {:.2} s = {:.0}/s (body ≈ {body_bytes} B); \
         latency p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms; processed so far {done_at_post_end}, pending {pending}",
        secs(posting),
        accepted as f64 / secs(posting),
        ms(quantile(&latencies, 0.5)),
        ms(quantile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    );

    if !drain {
        drop(conn);
        println!(
            "[{name}] K={clients:>2}: processing not waited for (only the run with the most clients waits); stopping the bot"
        );
        let status = bot.sigterm(Duration::from_secs(60));
        assert!(
            status.success(),
            "[{name}] the bot exited with {status} after SIGTERM"
        );
        telegram.stop();
        return Measured {
            backend,
            clients,
            accepted,
            posting,
            p50: quantile(&latencies, 0.5),
            p99: quantile(&latencies, 0.99),
            max: latencies.last().copied().unwrap_or_default(),
            done_at_post_end,
            all_processed: None,
            failed,
        };
    }

    // Processing: poll the status counts until every stored update is done or failed.
    let mut last_report = Instant::now();
    let (all_processed, failed) = loop {
        let (pending, done, failed) = update_counts(&mut conn).expect("update counts");
        let stored = pending + done + failed;
        if pending == 0 && stored >= accepted as i64 {
            assert_eq!(
                stored, accepted as i64,
                "[{name}] stored updates against accepted posts"
            );
            break (started.elapsed(), failed);
        }
        if started.elapsed() > posting + DRAIN_LIMIT {
            panic!(
                "[{name}] updates not processed in time: pending {pending}, done {done}, failed {failed}\n\
                 bot output:\n{}\nlog problems:\n{}",
                bot.output(),
                store.log_problems()
            );
        }
        if last_report.elapsed() >= Duration::from_secs(15) {
            println!(
                "[{name}]   {:>4.0} s: processed {} of {stored}",
                secs(started.elapsed()),
                done + failed
            );
            last_report = Instant::now();
        }
        // Another process changes these rows: there is no in-process signal to wait on.
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(conn);
    let replies = telegram
        .calls_to("sendMessage")
        .iter()
        .filter(|c| {
            c.param_i64("chat_id")
                .is_some_and(|chat| (FIRST_CUSTOMER..FIRST_CUSTOMER + CUSTOMERS).contains(&chat))
        })
        .count();
    println!(
        "[{name}] K={clients:>2}: all {accepted} processed {:.2} s after the first POST; the {} left when posting ended took {:.2} s more = {:.0}/s; \
         failed {failed}; replies sent {replies}",
        secs(all_processed),
        accepted as i64 - done_at_post_end,
        secs(all_processed.saturating_sub(posting)),
        (accepted as i64 - done_at_post_end) as f64 / secs(all_processed.saturating_sub(posting)),
    );
    if failed > 0 {
        println!(
            "[{name}] log problems:\n{}",
            store
                .log_problems()
                .lines()
                .take(10)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let status = bot.sigterm(Duration::from_secs(30));
    assert!(
        status.success(),
        "[{name}] the bot exited with {status} after SIGTERM"
    );
    telegram.stop();

    Measured {
        backend,
        clients,
        accepted,
        posting,
        p50: quantile(&latencies, 0.5),
        p99: quantile(&latencies, 0.99),
        max: latencies.last().copied().unwrap_or_default(),
        done_at_post_end,
        all_processed: Some(all_processed),
        failed,
    }
}
