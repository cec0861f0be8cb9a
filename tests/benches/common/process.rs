//! Running the real `autoorder` binary from a benchmark: finding the (release) binary, a store
//! (temp data and log directories, a fresh database, the environment), starting `autoorder run`
//! and reading the address it listens on, and posting updates to its webhook route.
//!
//! Adapted from `tests/support/mod.rs`, which benches cannot share: the integration tests find
//! the binary through `CARGO_BIN_EXE_autoorder`, and a benchmark must measure the release build.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use autoorder_doubles::TelegramDouble;
use autoorder_schema::db::Backend;
use autoorder_schema::testing::TestDatabase;

use super::Mode;

pub const TOKEN: &str = "123456789:AAbench-token-SECRET_value_0123456789abcdef";
/// The `X-Telegram-Bot-Api-Secret-Token` the benchmarks configure.
pub const WEBHOOK_SECRET: &str = "bench_webhook_secret-42";
/// The webhook route (`TELEGRAM_WEBHOOK_URL` is unset, so the default path).
pub const WEBHOOK_PATH: &str = "/telegram";
const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// The binary under test: `AUTOORDER_BIN` when set, else `autoorder` next to the benchmark in
/// the target directory (`cargo bench` builds it into `target/release/`), else
/// `target/release/autoorder` under the workspace.
///
/// Under `cargo bench` a missing binary ends the process with a message saying how to build it.
/// Under `cargo test` it returns `None` (the caller skips its smoke run).
pub fn locate_binary(bench: &str, mode: Mode) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("AUTOORDER_BIN").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "AUTOORDER_BIN={} does not exist",
            path.display()
        );
        return Some(path);
    }
    // The benchmark runs from <target>/<profile>/deps/; the binary is <target>/<profile>/autoorder.
    let next_to_us = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("autoorder")));
    let in_workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/autoorder");
    let candidates: Vec<PathBuf> = match mode {
        Mode::Bench => next_to_us
            .into_iter()
            .chain([in_workspace.clone()])
            .collect(),
        // Under cargo test only the binary of the same build (debug) is the code under test.
        Mode::Test => next_to_us.into_iter().collect(),
    };
    if let Some(found) = candidates.into_iter().find(|c| c.is_file()) {
        return Some(found);
    }
    if mode == Mode::Test {
        return None;
    }
    eprintln!(
        "the {bench} benchmark runs the release binary, and there is none at {}.\n\
         Run `cargo build --release` first (or point AUTOORDER_BIN at a binary).",
        in_workspace.display()
    );
    std::process::exit(2);
}

/// Prints which binary runs and warns when a source file is newer than it.
pub fn print_binary(binary: &Path) {
    println!("binary:  {} ({})", binary.display(), binary_age(binary));
    if let Some(newer) = newer_source(binary) {
        println!(
            "WARNING: {} is newer than the binary; run `cargo build --release` to measure the current code",
            newer.display()
        );
    }
}

fn binary_age(binary: &Path) -> String {
    std::fs::metadata(binary)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .map(|d| format!("built {} min ago", d.as_secs() / 60))
        .unwrap_or_else(|| "build time unknown".into())
}

/// A source file modified after the binary was built, if any (a stale binary measures old code).
fn newer_source(binary: &Path) -> Option<PathBuf> {
    let built = std::fs::metadata(binary).and_then(|m| m.modified()).ok()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stack: Vec<PathBuf> = ["src", "actors/src", "schema/src", "migrations"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|m| m > built)
            {
                return Some(path);
            }
        }
    }
    None
}

/// One store: a data dir, a log dir, a fresh database, and the environment for the binary
/// (polling mode against the Telegram double, with a fixed webhook secret so updates can be
/// posted straight to the webhook route as well).
pub struct Store {
    binary: PathBuf,
    pub dir: tempfile::TempDir,
    pub db: TestDatabase,
    env: Vec<(String, String)>,
}

impl Store {
    pub fn new(binary: &Path, backend: Backend, telegram: &TelegramDouble) -> Store {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = TestDatabase::empty(backend);
        let env = vec![
            ("TELEGRAM_BOT_TOKEN".into(), TOKEN.into()),
            ("TELEGRAM_API_URL".into(), telegram.base_url()),
            ("TELEGRAM_MODE".into(), "polling".into()),
            ("TELEGRAM_WEBHOOK_SECRET".into(), WEBHOOK_SECRET.into()),
            ("TELEGRAM_OWNER_IDS".into(), "9001".into()),
            ("TELEGRAM_ADMIN_IDS".into(), "7001".into()),
            ("BOT_STORE_NAME".into(), "Toko Bench".into()),
            ("HTTP_ADDR".into(), "127.0.0.1:0".into()),
            (
                "DATA_DIR".into(),
                dir.path().join("data").display().to_string(),
            ),
            (
                "LOG_DIR".into(),
                dir.path().join("logs").display().to_string(),
            ),
            ("DATABASE_URL".into(), db.url()),
            // Required with PostgreSQL; a fixed test key.
            (
                "DATA_ENCRYPTION_KEY".into(),
                format!("b1:{}", "42".repeat(32)),
            ),
            // The bench machine's load must not raise owner alerts mid-measurement.
            ("HEALTH_CPU_THRESHOLD".into(), "100".into()),
            ("HEALTH_MEMORY_THRESHOLD".into(), "100".into()),
            ("HEALTH_DISK_THRESHOLD".into(), "100".into()),
        ];
        Store {
            binary: binary.to_path_buf(),
            dir,
            db,
            env,
        }
    }

    /// Replaces or adds a variable.
    pub fn set(&mut self, name: &str, value: &str) {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_string(), value.to_string()));
    }

    /// A command for the binary with exactly this store's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(self.dir.path())
            .args(args);
        cmd
    }

    /// Runs a CLI command to completion; panics with its stderr when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self.command(args).output().expect("running autoorder");
        assert!(
            out.status.success(),
            "autoorder {} failed:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The bot's warnings and errors so far (for failure messages).
    pub fn log_problems(&self) -> String {
        let mut out = String::new();
        let mut stack = vec![self.dir.path().join("logs")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if let Ok(text) = std::fs::read_to_string(&path) {
                    for line in text
                        .lines()
                        .filter(|l| l.contains("[WARN]") || l.contains("[ERROR]"))
                    {
                        out.push_str(line);
                        out.push('\n');
                    }
                }
            }
        }
        out
    }

    /// A second process of this store (PostgreSQL replicas): the same database, its own data
    /// and log directories.
    pub fn second_replica(&self) -> Replica {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut env = self.env.clone();
        for (k, v) in env.iter_mut() {
            if k == "DATA_DIR" {
                *v = dir.path().join("data").display().to_string();
            } else if k == "LOG_DIR" {
                *v = dir.path().join("logs").display().to_string();
            }
        }
        Replica {
            binary: self.binary.clone(),
            dir,
            env,
        }
    }

    /// Starts `autoorder run` and waits for its "listening on ADDR" line.
    pub fn start(&self) -> Bot {
        spawn_bot(self.command(&["run"]))
    }
}

/// Another process of a store, sharing its database.
pub struct Replica {
    binary: PathBuf,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Replica {
    /// Starts `autoorder run` for this replica.
    pub fn start(&self) -> Bot {
        let mut cmd = Command::new(&self.binary);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(self.dir.path())
            .arg("run");
        spawn_bot(cmd)
    }
}

/// Spawns a `run` command and waits for its "listening on ADDR" line.
fn spawn_bot(mut command: Command) -> Bot {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning autoorder");
    let (tx, rx) = mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx2.send(line);
        }
    });
    let mut output = Vec::new();
    let addr = loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                let found = line
                    .split(" listening on ")
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next())
                    .map(String::from);
                output.push(line);
                if let Some(addr) = found {
                    break addr;
                }
            }
            Err(_) => panic!(
                "autoorder did not start listening; output:\n{}",
                output.join("\n")
            ),
        }
    };
    Bot {
        child: Some(child),
        base: format!("http://{addr}"),
        output,
        lines: rx,
    }
}

/// A running `autoorder run` process.
pub struct Bot {
    child: Option<Child>,
    pub base: String,
    output: Vec<String>,
    lines: mpsc::Receiver<String>,
}

impl Bot {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The webhook route's URL.
    pub fn webhook_url(&self) -> String {
        self.url(WEBHOOK_PATH)
    }

    /// Everything the process printed so far.
    pub fn output(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.output.push(line);
        }
        self.output.join("\n")
    }

    /// SIGTERM, then waits (bounded) for the exit status.
    pub fn sigterm(&mut self, within: Duration) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("autoorder did not exit within {within:?} after SIGTERM");
            }
            // Waiting for a child process has no async signal in std: poll its exit.
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Posts one update (JSON bytes) to the webhook route with the secret header, as Telegram
/// does. Returns the HTTP status.
pub async fn post_update(
    client: &reqwest::Client,
    url: &str,
    body: impl Into<reqwest::Body>,
) -> Result<reqwest::StatusCode, reqwest::Error> {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header(SECRET_HEADER, WEBHOOK_SECRET)
        .body(body)
        .send()
        .await?;
    let status = response.status();
    // Read the answer to its end so the keep-alive connection goes back to the pool.
    response.bytes().await?;
    Ok(status)
}
