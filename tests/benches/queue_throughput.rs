//! Queue throughput: how many jobs per second the durable queue can claim and complete with a
//! no-op handler, on PostgreSQL and on SQLite — the ceiling of the queue itself, with Telegram
//! and the rate limiter out of the picture.
//!
//! For every configuration a fresh, migrated database gets `AUTOORDER_BENCH_JOBS` (default
//! 100 000; `-- --quick`: 10 000) `send_message` jobs, enqueued with the real `enqueue` in
//! transactions of 1 000 (timed separately). Then W worker threads, each with its own pooled
//! connection, loop `claim_due_jobs(batch = 100)` and complete every claimed job until a claim
//! comes back empty. Two ways of completing are measured:
//!
//! * `per-job`: one `complete_job` per job, each its own commit — what `QueueActor` does;
//! * `per-batch tx`: the same `complete_job` calls for one claimed batch inside one write
//!   transaction — what a batch completion (`complete_jobs(ids)`) would buy, measured without
//!   changing the schema crate.
//!
//! Afterwards every job must be `done` and every id must have been completed exactly once.
//!
//! ```sh
//! cargo bench --bench queue_throughput                  # 100 000 jobs
//! cargo bench --bench queue_throughput -- --quick       # 10 000 jobs
//! AUTOORDER_BENCH_JOBS=20000 AUTOORDER_BENCH_BACKENDS=sqlite cargo bench --bench queue_throughput
//! ```
//!
//! PostgreSQL comes from `AUTOORDER_TEST_PG_URL` like the tests (`tests/run.sh --no-run` sets
//! it up). Under `cargo test --benches` only a small smoke run happens.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use autoorder_schema::db::Backend;
use autoorder_schema::job_kinds::{JobPayload, OutboundMessage};
use autoorder_schema::queries::jobs::{
    KindFilter, NewJob, claim_due_jobs, complete_job, enqueue, job_counts,
};
use autoorder_schema::testing::TestDatabase;
use autoorder_schema::{PoolOptions, StoreError, checkout, open_pool, write_tx};

use common::{Mode, backend_name, secs};

const CLAIM_BATCH: i64 = 100;
const ENQUEUE_TX: usize = 1_000;
/// Far longer than any run: no lease may expire (a rescue would make jobs run twice).
const LEASE_MS: i64 = 600_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Completion {
    PerJob,
    PerBatchTx,
}

impl Completion {
    fn name(self) -> &'static str {
        match self {
            Completion::PerJob => "per-job",
            Completion::PerBatchTx => "per-batch tx",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Config {
    backend: Backend,
    workers: usize,
    completion: Completion,
}

struct Enqueued {
    elapsed: Duration,
}

#[derive(Default)]
struct WorkerStats {
    completed: Vec<i64>,
    claims: usize,
    claim_time: Duration,
    complete_time: Duration,
}

struct Outcome {
    config: Config,
    jobs: usize,
    enqueue: Enqueued,
    elapsed: Duration,
    claims: usize,
    claim_time: Duration,
    complete_time: Duration,
}

fn main() {
    let mode = common::mode();
    let jobs = match mode {
        Mode::Test => 500,
        Mode::Bench if common::quick_flag() => common::env_usize("AUTOORDER_BENCH_JOBS", 10_000),
        Mode::Bench => common::env_usize("AUTOORDER_BENCH_JOBS", 100_000),
    };
    let backends = common::backends(&[Backend::Postgres, Backend::Sqlite]);
    let completions = [Completion::PerJob, Completion::PerBatchTx];
    let mut configs = Vec::new();
    for backend in &backends {
        let workers: &[usize] = match (mode, backend) {
            (Mode::Test, _) => &[2],
            (Mode::Bench, Backend::Postgres) => &[1, 2, 4],
            // SQLite serialises writers: more than two only queue on the write lock.
            (Mode::Bench, Backend::Sqlite) => &[1, 2],
        };
        for completion in completions {
            for &w in workers {
                configs.push(Config {
                    backend: *backend,
                    workers: w,
                    completion,
                });
            }
        }
    }

    common::print_header("queue throughput: claim_due_jobs(100) + complete with a no-op handler");
    println!(
        "jobs:    {jobs} send_message jobs per configuration, enqueued in transactions of {ENQUEUE_TX}{}",
        if mode == Mode::Test {
            " (smoke run under cargo test; use cargo bench for numbers)"
        } else {
            ""
        }
    );
    println!();

    let mut outcomes = Vec::new();
    for config in configs {
        let outcome = run(config, jobs);
        println!(
            "{:<10} {:>2} worker(s) {:<12}  enqueue {:>8.0} jobs/s   claim+complete {:>8.0} jobs/s  ({:.2} s)",
            backend_name(config.backend),
            config.workers,
            config.completion.name(),
            jobs as f64 / secs(outcome.enqueue.elapsed),
            jobs as f64 / secs(outcome.elapsed),
            secs(outcome.elapsed),
        );
        outcomes.push(outcome);
    }

    println!("load at end: {}", common::loadavg());
    println!();
    println!("summary ({jobs} jobs each; every job verified done exactly once)");
    println!(
        "| backend | workers | completion | enqueue jobs/s | claim+complete jobs/s | wall s | mean claim ms (per 100) | mean complete ms (per job) |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|");
    for o in &outcomes {
        let completed = o.jobs as f64;
        println!(
            "| {} | {} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.3} |",
            backend_name(o.config.backend),
            o.config.workers,
            o.config.completion.name(),
            completed / secs(o.enqueue.elapsed),
            completed / secs(o.elapsed),
            secs(o.elapsed),
            secs(o.claim_time) * 1000.0 / o.claims.max(1) as f64,
            secs(o.complete_time) * 1000.0 / completed,
        );
    }
}

fn message(i: usize) -> JobPayload {
    JobPayload::SendMessage(OutboundMessage {
        chat_id: 1_000_000 + i as i64,
        text: format!("Promo hari ini: diskon 20% untuk semua produk digital! (#{i})"),
        photo: None,
        buttons: Vec::new(),
        via_owner_bot: false,
        html: false,
    })
}

fn run(config: Config, jobs: usize) -> Outcome {
    let (db, migrating) = TestDatabase::migrated(config.backend);
    drop(migrating);
    let pool = open_pool(
        &db.target,
        &PoolOptions {
            max_size: (config.workers + 2) as u32,
            connection_timeout: Duration::from_secs(30),
        },
    )
    .expect("opening the pool");

    // Enqueue, in transactions of ENQUEUE_TX, with unique keys like real jobs.
    let enqueue_started = Instant::now();
    {
        let mut conn = checkout(&pool).expect("connection");
        for start in (0..jobs).step_by(ENQUEUE_TX) {
            let end = (start + ENQUEUE_TX).min(jobs);
            write_tx(&mut conn, |c| {
                for i in start..end {
                    let job = NewJob::keyed(message(i), format!("bench:{i}"));
                    enqueue(c, &job)?.expect("a new job");
                }
                Ok::<_, StoreError>(())
            })
            .expect("enqueue transaction");
        }
    }
    let enqueue = Enqueued {
        elapsed: enqueue_started.elapsed(),
    };

    // Claim and complete with W threads, started together.
    let barrier = Arc::new(Barrier::new(config.workers + 1));
    let handles: Vec<_> = (0..config.workers)
        .map(|w| {
            let pool = pool.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let worker = format!("bench-worker-{w}");
                let mut conn = checkout(&pool).expect("connection");
                let mut stats = WorkerStats::default();
                barrier.wait();
                loop {
                    let t = Instant::now();
                    let batch =
                        claim_due_jobs(&mut conn, &worker, CLAIM_BATCH, LEASE_MS, KindFilter::All)
                            .expect("claim_due_jobs");
                    stats.claim_time += t.elapsed();
                    if batch.is_empty() {
                        // No failures and no expiring leases: every other job is claimed or done.
                        break;
                    }
                    stats.claims += 1;
                    // The no-op handler: read the payload, as QueueActor does first.
                    for job in &batch {
                        std::hint::black_box(job.payload().expect("payload parses"));
                    }
                    let t = Instant::now();
                    match config.completion {
                        Completion::PerJob => {
                            for job in &batch {
                                assert!(
                                    complete_job(&mut conn, job.id, &worker).expect("complete_job"),
                                    "job {} lost its lease",
                                    job.id
                                );
                            }
                        }
                        Completion::PerBatchTx => {
                            write_tx(&mut conn, |c| {
                                for job in &batch {
                                    assert!(
                                        complete_job(c, job.id, &worker)?,
                                        "job {} lost its lease",
                                        job.id
                                    );
                                }
                                Ok::<_, StoreError>(())
                            })
                            .expect("completing a batch");
                        }
                    }
                    stats.complete_time += t.elapsed();
                    stats.completed.extend(batch.iter().map(|j| j.id));
                }
                stats
            })
        })
        .collect();
    barrier.wait();
    let started = Instant::now();
    let stats: Vec<WorkerStats> = handles
        .into_iter()
        .map(|h| h.join().expect("worker thread"))
        .collect();
    let elapsed = started.elapsed();

    // Verify: each job completed exactly once, and the table agrees.
    let mut seen = HashSet::with_capacity(jobs);
    for id in stats.iter().flat_map(|s| &s.completed) {
        assert!(seen.insert(*id), "job {id} was completed twice");
    }
    assert_eq!(seen.len(), jobs, "completed jobs");
    let mut conn = checkout(&pool).expect("connection");
    let counts = job_counts(&mut conn).expect("job counts");
    assert_eq!(
        counts,
        vec![("send_message".to_string(), "done".to_string(), jobs as i64)],
        "every job ends done"
    );
    drop(conn);
    drop(pool);
    drop(db);

    Outcome {
        config,
        jobs,
        enqueue,
        elapsed,
        claims: stats.iter().map(|s| s.claims).sum(),
        claim_time: stats.iter().map(|s| s.claim_time).sum(),
        complete_time: stats.iter().map(|s| s.complete_time).sum(),
    }
}
