//! The fuzz entry points (`autoorder::fuzzing`, the same the cargo-fuzz targets in `fuzz/`
//! call), run briefly inside the normal suite: each starts from the seed inputs in
//! `fuzz/seeds/<target>/` and random mutations of them (inserted, removed and replaced bytes,
//! spliced seeds), plus raw random bytes. A failure prints arbtest's seed; replay it with
//! `ARBTEST_SEED=0x… cargo test --test fuzz_props`. The long runs are docs/FUZZING.md.

use std::path::Path;

use arbtest::arbitrary::{self, Unstructured};

/// Time each entry point gets per test run; `AUTOORDER_FUZZ_BUDGET_MS` gives a longer run of
/// the same harness (docs/FUZZING.md).
const BUDGET_MS: u64 = 700;

fn budget_ms() -> u64 {
    std::env::var("AUTOORDER_FUZZ_BUDGET_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(BUDGET_MS)
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| std::fs::read(e.path()).unwrap())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

/// A seed changed by a few random edits, or random bytes.
fn input(u: &mut Unstructured<'_>, seeds: &[Vec<u8>]) -> arbitrary::Result<Vec<u8>> {
    if u.ratio(1, 8)? {
        return u.arbitrary();
    }
    let mut data = u.choose(seeds)?.clone();
    let edits = u.int_in_range(0..=8)?;
    for _ in 0..edits {
        let at = if data.is_empty() {
            0
        } else {
            u.choose_index(data.len() + 1)?
        };
        match u.int_in_range(0..=4)? {
            0 => data.insert(at, u.arbitrary()?),
            1 if at < data.len() => {
                data.remove(at);
            }
            2 if at < data.len() => data[at] = u.arbitrary()?,
            3 => {
                // Bytes that matter to the formats: quotes, separators, brackets, digits.
                let b = *u.choose(b"\"':,{}[]=\\\n0123456789-.#\x01")?;
                data.insert(at, b);
            }
            _ => {
                let other = u.choose(seeds)?;
                let from = u.choose_index(other.len().max(1))?.min(other.len());
                let len = u.int_in_range(0..=32usize)?.min(other.len() - from);
                data.splice(at..at, other[from..from + len].iter().copied());
            }
        }
    }
    Ok(data)
}

fn run(target: &str, entry: fn(&[u8])) {
    let seeds = seeds(target);
    // Every seed as it is first: the properties hold for well-formed input.
    for s in &seeds {
        entry(s);
    }
    arbtest::arbtest(|u| {
        let data = input(u, &seeds)?;
        entry(&data);
        Ok(())
    })
    .budget_ms(budget_ms())
    .run();
}

#[test]
fn telegram_update() {
    run("telegram_update", autoorder::fuzzing::telegram_update);
}

#[test]
fn callback_data() {
    run("callback_data", autoorder::fuzzing::callback_data);
}

#[test]
fn pakasir_bodies() {
    run("pakasir_bodies", autoorder::fuzzing::pakasir_bodies);
}

#[test]
fn catalog() {
    run("catalog", autoorder::fuzzing::catalog);
}

#[test]
fn configuration() {
    run("configuration", autoorder::fuzzing::configuration);
}

#[test]
fn backup_metadata() {
    run("backup_metadata", autoorder::fuzzing::backup_metadata);
}
