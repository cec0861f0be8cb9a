//! Helpers shared by the benchmarks (`harness = false` bench targets under `tests/benches/`):
//! how they were invoked, sizes from the environment, and a description of the machine so the
//! printed summary can be pasted into `docs/BENCHMARKS.md` as it is.
#![allow(dead_code)]

pub mod process;

use std::time::Duration;

use autoorder_schema::db::Backend;

/// How the benchmark binary was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `cargo bench`: cargo passes `--bench`; the full measurement runs.
    Bench,
    /// `cargo test --benches` / `--all-targets` run bench targets without `--bench`: only a
    /// quick smoke run (or none), so the test suite never waits minutes for a measurement.
    Test,
}

/// The mode, from the arguments cargo passed.
pub fn mode() -> Mode {
    if std::env::args().skip(1).any(|a| a == "--bench") {
        Mode::Bench
    } else {
        Mode::Test
    }
}

/// Whether `--quick` was passed (`cargo bench --bench NAME -- --quick`).
pub fn quick_flag() -> bool {
    std::env::args().skip(1).any(|a| a == "--quick")
}

/// A positive integer from the environment, or `default`; a malformed value is an error, not
/// silently the default.
pub fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => match v.trim().replace('_', "").parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => panic!("{name}={v:?}: expected a positive whole number"),
        },
        _ => default,
    }
}

/// The backends to run: `AUTOORDER_BENCH_BACKENDS` (`sqlite`, `postgres` or both,
/// comma-separated), else `default`.
pub fn backends(default: &[Backend]) -> Vec<Backend> {
    match std::env::var("AUTOORDER_BENCH_BACKENDS") {
        Ok(v) if !v.trim().is_empty() => v
            .split(',')
            .map(|s| match s.trim().to_ascii_lowercase().as_str() {
                "sqlite" => Backend::Sqlite,
                "postgres" | "postgresql" | "pg" => Backend::Postgres,
                other => panic!("AUTOORDER_BENCH_BACKENDS: unknown backend {other:?}"),
            })
            .collect(),
        _ => default.to_vec(),
    }
}

/// Short backend name for tables.
pub fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

/// One line describing the machine: CPU model, cores, memory, kernel.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    format!(
        "{model}, {cores} cores, {:.1} GiB RAM, Linux {kernel}",
        mem_kib as f64 / 1024.0 / 1024.0
    )
}

/// The commit the benchmark ran on (`git rev-parse --short HEAD`), with `+dirty` when the
/// working tree has changes.
pub fn commit() -> String {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let Some(head) = run(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown".into();
    };
    let dirty =
        run(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    if dirty { format!("{head}+dirty") } else { head }
}

/// The UTC date and time now, `YYYY-MM-DD HH:MM UTC`.
pub fn now_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Prints the header every benchmark starts with.
pub fn print_header(title: &str) {
    println!("== {title}");
    println!("date:    {}", now_utc());
    println!("machine: {}", machine());
    println!("commit:  {}", commit());
    println!("load:    {} (1/5/15 min load average at start)", loadavg());
    println!(
        "build:   {}",
        if cfg!(debug_assertions) {
            "debug (numbers are not representative)"
        } else {
            "release"
        }
    );
}

/// The load averages from `/proc/loadavg` (other work on a shared machine skews the numbers).
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".into())
}

/// Seconds with millisecond precision.
pub fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// The `q`-quantile (0..=1) of a sorted slice.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}
