//! The long randomized money simulation (issue 10): `AUTOORDER_BENCH_PAYMENTS` (default
//! 10 000; `-- --quick`: 1 000) journeys — QRIS orders, deposits, balance orders, seller
//! adjustments — on PostgreSQL with two runtimes, with replayed, lost and forged callbacks,
//! *Cek Status* / *Batalkan* presses, expiries, manual payments and bursts of gateway
//! failures, then every invariant checked (see `tests/sim/mod.rs`). It prints the figures for
//! docs/BENCHMARKS.md: payments, seed, discrepancies (must be 0), time.
//!
//! ```sh
//! cargo bench --bench money_sim                          # 10 000 journeys, fresh seed
//! MONEY_SIM_SEED=42 cargo bench --bench money_sim        # replay a seed
//! AUTOORDER_BENCH_PAYMENTS=2000 cargo bench --bench money_sim
//! ```
//!
//! PostgreSQL comes from `AUTOORDER_TEST_PG_URL` like the tests. Under `cargo test --benches`
//! only a small smoke run happens.

mod common;
#[path = "../sim/mod.rs"]
mod sim;

use common::Mode;

fn main() {
    let (payments, title) = match common::mode() {
        Mode::Bench if common::quick_flag() => (1_000, "money simulation (quick)"),
        Mode::Bench => (
            common::env_usize("AUTOORDER_BENCH_PAYMENTS", 10_000),
            "money simulation",
        ),
        Mode::Test => (60, "money simulation (smoke)"),
    };
    common::print_header(title);
    let config = sim::Config::long(sim::seed_from_env(), payments);
    println!(
        "config:  {} journeys, {} at once, {} customers, {} products × {} items, invoices valid {} s",
        config.payments,
        config.concurrency,
        config.customers,
        config.products,
        config.stock_per_product,
        config.validity.as_secs()
    );
    let outcome = sim::run(&config);
    print!("{outcome}");
    println!(
        "rate:    {:.1} journeys/s while driving",
        outcome.journeys as f64 / outcome.elapsed.as_secs_f64()
    );
    assert_eq!(outcome.discrepancies, 0);
}
