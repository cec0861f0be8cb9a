//! The randomized money simulation's quick variant (the long one is
//! `cargo bench --bench money_sim`, figures in docs/BENCHMARKS.md): a few hundred orders and
//! deposits on PostgreSQL with two runtimes, a seeded schedule of payments, replayed, lost
//! and forged callbacks, *Cek Status* and *Batalkan* presses, expiries, manual payments and
//! gateway failures; afterwards reconcile is clean, every paid order was delivered exactly
//! once, no stock item went out twice and no voucher is over-used. See `tests/sim/mod.rs`.
//!
//! A failure prints its seed; replay it with `MONEY_SIM_SEED=<seed> tests/run.sh --test money_sim`.

mod sim;

#[test]
fn a_randomized_day_of_payments_on_two_runtimes_keeps_every_rupiah() {
    let config = sim::Config::quick(sim::seed_from_env());
    let outcome = sim::run(&config);
    println!("{outcome}");
    assert_eq!(outcome.discrepancies, 0);
    // The schedule must actually have exercised the paths it claims to.
    assert!(
        outcome.orders_paid > 0 && outcome.deposits_credited > 0,
        "{outcome}"
    );
    assert!(outcome.expired + outcome.cancelled > 0, "{outcome}");
    assert!(
        outcome.callbacks > 0 && outcome.status_presses > 0,
        "{outcome}"
    );
}
