//! Broadcast at the default send budget: the real release binary sends one broadcast to
//! `AUTOORDER_BENCH_RECIPIENTS` (default 10 000) users through the Telegram double enforcing
//! Telegram's flood limits (30/s overall, 1 s per chat, 5 ms slack), with the default
//! `TELEGRAM_SEND_RATE` of 25/s.
//!
//! Reported per backend: the achieved send rate as a fraction of the 25/s budget (target
//! ≥ 0.97), 429s (target 0), the most sends in any 1 s window, the gaps between sends, total
//! time, and the bot process's peak RSS (`VmHWM`).
//!
//! ```sh
//! cargo build --release                    # the binary under test
//! cargo bench --bench broadcast            # SQLite then PostgreSQL, 10 000 recipients each
//! AUTOORDER_BENCH_RECIPIENTS=1000 AUTOORDER_BENCH_BACKENDS=sqlite cargo bench --bench broadcast
//! ```
//!
//! The binary is `AUTOORDER_BIN` when set, else `autoorder` next to this benchmark in the
//! target directory, else `target/release/autoorder` under the workspace. Under `cargo test
//! --benches` nothing runs: a broadcast at 25/s takes minutes by design.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use autoorder_doubles::{RateLimits, TelegramDouble};
use autoorder_schema::db::Backend;
use autoorder_schema::queries::broadcasts::{Progress, broadcast_progress};
use autoorder_schema::queries::users::{TelegramProfile, touch_user};
use autoorder_schema::{Pool, StoreError, checkout, write_tx};

use common::process::{self, Store};
use common::{Mode, backend_name, quantile, secs};

/// The default `TELEGRAM_SEND_RATE` (the benchmark does not set the variable).
const BUDGET_PER_SECOND: f64 = 25.0;
const TARGET_FRACTION: f64 = 0.97;
/// Recipient ids start here, away from the configured seller and owner ids.
const FIRST_USER: i64 = 1_000_001;

fn main() {
    if common::mode() == Mode::Test {
        println!(
            "broadcast benchmark: skipped under cargo test (it sends at 25/s for minutes); \
             run `cargo build --release && cargo bench --bench broadcast`"
        );
        return;
    }
    let recipients = common::env_usize("AUTOORDER_BENCH_RECIPIENTS", 10_000);
    let backends = common::backends(&[Backend::Sqlite, Backend::Postgres]);
    let Some(binary) = process::locate_binary("broadcast", Mode::Bench) else {
        return;
    };

    common::print_header("broadcast at the default budget (TELEGRAM_SEND_RATE unset = 25/s)");
    process::print_binary(&binary);
    println!(
        "double:  limits 30/s global, 1 s per chat, slack 5 ms; {recipients} recipients per backend"
    );
    println!();

    let mut results = Vec::new();
    for backend in backends {
        results.push(run(&binary, backend, recipients));
    }

    println!("load at end: {}", common::loadavg());
    println!();
    println!(
        "summary ({recipients} recipients, budget {BUDGET_PER_SECOND}/s, target ≥ {TARGET_FRACTION} of it)"
    );
    println!(
        "| backend | sent | achieved /s | of budget | 429s | max in 1 s | mean gap ms | gap p50 / p99 / max ms | gaps > 50 ms | lost in gaps ≤ 50 ms s | lost in gaps > 50 ms s | create s | first send s | total s | bot peak RSS MiB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in &results {
        println!(
            "| {} | {} | {:.2} | {:.3} | {} | {} | {:.2} | {:.1} / {:.1} / {:.1} | {} | {:.1} | {:.1} | {:.2} | {:.2} | {:.1} | {:.1} |",
            backend_name(r.backend),
            r.sent,
            r.rate,
            r.rate / BUDGET_PER_SECOND,
            r.rate_limited,
            r.max_in_second,
            ms(r.gap_mean),
            ms(r.gap_p50),
            ms(r.gap_p99),
            ms(r.gap_max),
            r.long_gaps,
            secs(r.excess_short),
            secs(r.excess_long),
            secs(r.create),
            secs(r.first_send),
            secs(r.total),
            r.peak_rss_kib as f64 / 1024.0,
        );
    }
    for r in &results {
        let fraction = r.rate / BUDGET_PER_SECOND;
        if fraction < TARGET_FRACTION {
            println!(
                "{}: {:.3} of the budget is below the {TARGET_FRACTION} target by {:.1} percentage points",
                backend_name(r.backend),
                fraction,
                (TARGET_FRACTION - fraction) * 100.0
            );
        }
        if r.rate_limited > 0 {
            println!(
                "{}: {} sends were refused with 429 (target 0)",
                backend_name(r.backend),
                r.rate_limited
            );
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Measured {
    backend: Backend,
    sent: usize,
    /// Accepted sends per second between the first and the last: sends / (last − first).
    rate: f64,
    rate_limited: u64,
    max_in_second: usize,
    gap_mean: Duration,
    gap_p50: Duration,
    gap_p99: Duration,
    gap_max: Duration,
    /// Gaps between consecutive sends longer than 50 ms (the budget spaces them 40 ms apart).
    long_gaps: usize,
    /// Time lost to gaps longer than the 40 ms spacing, Σ max(0, gap − 40 ms), over gaps up to
    /// 50 ms (the limiter's own overshoot: timer granularity, wake-up latency)…
    excess_short: Duration,
    /// …and over gaps longer than 50 ms (stalls: claiming the next batch, database waits).
    excess_long: Duration,
    /// `autoorder broadcast send` (creates the broadcast and its jobs in one transaction).
    create: Duration,
    /// From the CLI returning to the first accepted send.
    first_send: Duration,
    /// From starting the CLI to no recipient pending.
    total: Duration,
    peak_rss_kib: u64,
}

fn run(binary: &Path, backend: Backend, recipients: usize) -> Measured {
    let name = backend_name(backend);
    let telegram = TelegramDouble::start();
    telegram.enforce_limits(Some(RateLimits {
        slack: Duration::from_millis(5),
        ..RateLimits::default()
    }));
    let store = Store::new(binary, backend, &telegram);
    let mut bot = store.start();
    let pid = bot.pid();
    let boot_rss = proc_status_kib(pid, "VmRSS:").unwrap_or(0);
    println!(
        "[{name}] bot running (pid {pid}, RSS after boot {:.1} MiB)",
        boot_rss as f64 / 1024.0
    );

    let pool = store.db.pool();
    let t = Instant::now();
    add_users(&pool, FIRST_USER..FIRST_USER + recipients as i64);
    println!(
        "[{name}] {recipients} users added in {:.2} s",
        secs(t.elapsed())
    );

    let started = Instant::now();
    let out = store
        .command(&[
            "broadcast",
            "send",
            "--text",
            "Promo hari ini: diskon 20% untuk semua produk!",
        ])
        .output()
        .expect("running autoorder broadcast send");
    assert!(
        out.status.success(),
        "autoorder broadcast send failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let create = started.elapsed();
    let created_at = Instant::now();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let id: i64 = stdout
        .split_whitespace()
        .nth(1)
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no broadcast id in {stdout:?}"));
    println!(
        "[{name}] broadcast {id} created in {:.2} s: {}",
        secs(create),
        stdout.trim()
    );

    // A broadcast at 25/s takes recipients / 25 s; allow three times that plus boot slack.
    let deadline = Instant::now()
        + Duration::from_secs_f64(recipients as f64 / BUDGET_PER_SECOND * 3.0 + 120.0);
    let mut conn = checkout(&pool).expect("connection");
    let mut last_report = Instant::now();
    let progress = loop {
        let p = progress(&mut conn, id);
        if p.pending == 0 {
            break p;
        }
        if Instant::now() > deadline {
            panic!(
                "[{name}] broadcast did not finish in time: {p:?}\nbot output:\n{}",
                bot.output()
            );
        }
        if last_report.elapsed() >= Duration::from_secs(30) {
            println!(
                "[{name}]   {:>4.0} s: sent {} of {}, RSS {:.1} MiB",
                secs(started.elapsed()),
                p.sent,
                p.total,
                proc_status_kib(pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0
            );
            last_report = Instant::now();
        }
        // Polling another process's progress: there is no in-process signal to wait on.
        std::thread::sleep(Duration::from_millis(100));
    };
    let total = started.elapsed();
    drop(conn);

    // Peak RSS before the process stops (VmHWM is gone once it exits).
    let peak_rss_kib = proc_status_kib(pid, "VmHWM:").expect("VmHWM of the bot process");
    let end_rss = proc_status_kib(pid, "VmRSS:").unwrap_or(0);
    let status = bot.sigterm(Duration::from_secs(30));
    assert!(
        status.success(),
        "[{name}] the bot exited with {status} after SIGTERM"
    );

    assert_eq!(progress.total, recipients as i64, "recipients");
    assert_eq!(
        progress.sent, recipients as i64,
        "[{name}] every recipient sent: {progress:?}"
    );
    let recipient_range = FIRST_USER..FIRST_USER + recipients as i64;
    let sends: Vec<(i64, Instant)> = telegram
        .accepted_sends()
        .into_iter()
        .filter(|(chat, _)| recipient_range.contains(chat))
        .collect();
    let mut per_chat: HashMap<i64, usize> = HashMap::with_capacity(recipients);
    for (chat, _) in &sends {
        *per_chat.entry(*chat).or_default() += 1;
    }
    let twice = per_chat.values().filter(|n| **n > 1).count();
    assert_eq!(
        per_chat.len(),
        recipients,
        "[{name}] every recipient reached"
    );
    assert_eq!(twice, 0, "[{name}] recipients who got the broadcast twice");

    let first = sends.first().expect("sends").1;
    let last = sends.last().expect("sends").1;
    let span = last.duration_since(first);
    let rate = sends.len() as f64 / secs(span);
    let spacing = Duration::from_secs_f64(1.0 / BUDGET_PER_SECOND);
    let mut gaps: Vec<Duration> = sends
        .windows(2)
        .map(|w| w[1].1.duration_since(w[0].1))
        .collect();
    let stall = Duration::from_millis(50);
    let excess_short = gaps
        .iter()
        .filter(|g| **g <= stall)
        .map(|g| g.saturating_sub(spacing))
        .sum();
    let excess_long = gaps
        .iter()
        .filter(|g| **g > stall)
        .map(|g| g.saturating_sub(spacing))
        .sum();
    let long_gaps = gaps.iter().filter(|g| **g > stall).count();
    let gap_mean = span / (gaps.len().max(1) as u32);
    gaps.sort();
    let result = Measured {
        backend,
        sent: sends.len(),
        rate,
        rate_limited: telegram.rate_limited_count(),
        max_in_second: telegram.max_sends_in_window(Duration::from_secs(1)),
        gap_p50: quantile(&gaps, 0.5),
        gap_p99: quantile(&gaps, 0.99),
        gap_max: gaps.last().copied().unwrap_or_default(),
        gap_mean,
        long_gaps,
        excess_short,
        excess_long,
        create,
        first_send: first.saturating_duration_since(created_at),
        total,
        peak_rss_kib,
    };
    println!(
        "[{name}] done: {} sends in {:.1} s between first and last = {:.2}/s ({:.3} of {BUDGET_PER_SECOND}/s); \
         429s {}; max in 1 s {}; total {:.1} s; RSS boot {:.1} / end {:.1} / peak {:.1} MiB",
        result.sent,
        secs(span),
        rate,
        rate / BUDGET_PER_SECOND,
        result.rate_limited,
        result.max_in_second,
        secs(total),
        boot_rss as f64 / 1024.0,
        end_rss as f64 / 1024.0,
        peak_rss_kib as f64 / 1024.0,
    );
    telegram.stop();
    result
}

fn progress(conn: &mut autoorder_schema::PooledConn, id: i64) -> Progress {
    broadcast_progress(conn, id)
        .expect("broadcast progress")
        .expect("the broadcast exists")
}

/// Creates customers directly in the database, in one transaction.
fn add_users(pool: &Pool, ids: impl IntoIterator<Item = i64>) {
    let mut conn = checkout(pool).expect("db");
    write_tx(&mut conn, |c| {
        for id in ids {
            touch_user(
                c,
                &TelegramProfile {
                    id,
                    username: None,
                    first_name: "Pelanggan",
                    language: None,
                },
            )?;
        }
        Ok::<_, StoreError>(())
    })
    .expect("users");
}

/// A field of `/proc/<pid>/status` in KiB (`VmHWM:`, `VmRSS:`).
fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}
