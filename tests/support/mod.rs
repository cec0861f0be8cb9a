//! Shared harness for end-to-end tests: runs the real `autoorder` binary against the Telegram
//! double, on either backend, and reads what it writes.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use autoorder_doubles::TelegramDouble;
use autoorder_schema::db::{Backend, DbTarget};
use autoorder_schema::testing::TestDatabase;

/// A token of the right form; tests check it never reaches a log.
pub const TOKEN: &str = "123456789:AAtest-token-SECRET_value_0123456789abcdef";
/// The webhook secret tests configure.
pub const WEBHOOK_SECRET: &str = "test_webhook_secret-42";
/// The data-encryption key tests configure (id `t1`).
pub const DATA_KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
/// The seller the tests configure.
pub const ADMIN_ID: i64 = 7001;

/// One store: a data dir, a log dir, a database, and the environment for the binary.
pub struct Store {
    pub dir: tempfile::TempDir,
    pub db: TestDatabase,
    pub env: Vec<(String, String)>,
}

impl Store {
    /// A store on `backend` whose Bot API is `telegram`, in webhook mode with a fixed secret.
    pub fn new(backend: Backend, telegram: &TelegramDouble) -> Store {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = TestDatabase::empty(backend);
        let env = vec![
            ("TELEGRAM_BOT_TOKEN".into(), TOKEN.into()),
            ("TELEGRAM_API_URL".into(), telegram.base_url()),
            ("TELEGRAM_MODE".into(), "polling".into()),
            ("TELEGRAM_WEBHOOK_SECRET".into(), WEBHOOK_SECRET.into()),
            ("TELEGRAM_OWNER_IDS".into(), "9001".into()),
            ("BOT_STORE_NAME".into(), "Toko Uji".into()),
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
            ("DATA_ENCRYPTION_KEY".into(), format!("t1:{DATA_KEY_HEX}")),
            ("TELEGRAM_ADMIN_IDS".into(), ADMIN_ID.to_string()),
            // The test machine's own load and disk must never raise an owner alert in a test
            // about something else; health tests set the thresholds they test.
            ("HEALTH_CPU_THRESHOLD".into(), "100".into()),
            ("HEALTH_MEMORY_THRESHOLD".into(), "100".into()),
            ("HEALTH_DISK_THRESHOLD".into(), "100".into()),
        ];
        Store { dir, db, env }
    }

    /// Replaces or adds a variable.
    pub fn set(&mut self, name: &str, value: &str) {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_string(), value.to_string()));
    }

    pub fn log_dir(&self) -> PathBuf {
        self.dir.path().join("logs")
    }

    /// A command for the binary with exactly this store's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_autoorder"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(self.dir.path())
            .args(args);
        cmd
    }

    /// Starts `autoorder run` and waits for its "listening on" line.
    pub fn start(&self) -> Bot {
        start_process(self.dir.path(), &self.env)
    }

    /// Counts rows of a table, straight from the database.
    pub fn count(&self, table: &str) -> i64 {
        let pool = self.db.pool();
        let mut conn = autoorder_schema::checkout(&pool).expect("db");
        autoorder_schema::migrations::row_counts(&mut conn)
            .expect("row counts")
            .into_iter()
            .find(|(t, _)| t == table)
            .map(|(_, n)| n)
            .expect("table exists")
    }

    pub fn target(&self) -> &DbTarget {
        &self.db.target
    }

    /// A pool on this store's database.
    pub fn pool(&self) -> autoorder_schema::Pool {
        self.db.pool()
    }

    /// Runs a CLI command to completion.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.command(args).output().expect("running autoorder")
    }

    /// A second process of the same store (PostgreSQL replicas): same database, its own
    /// data and log directories.
    pub fn replica(&self, name: &str) -> Replica {
        let dir = self.dir.path().join(name);
        let mut env = self.env.clone();
        for (k, v) in env.iter_mut() {
            if k == "DATA_DIR" {
                *v = dir.join("data").display().to_string();
            } else if k == "LOG_DIR" {
                *v = dir.join("logs").display().to_string();
            }
        }
        Replica { dir, env }
    }
}

/// Another process of a store, sharing its database.
pub struct Replica {
    pub dir: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Replica {
    pub fn start(&self) -> Bot {
        std::fs::create_dir_all(&self.dir).expect("replica dir");
        start_process(&self.dir, &self.env)
    }
}

/// Waits for a condition on state another process changes (there is no in-process signal to
/// wait on); checks every 50 ms until `timeout`.
pub fn eventually(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Creates customers directly in the database.
pub fn add_users(pool: &autoorder_schema::Pool, ids: impl IntoIterator<Item = i64>) {
    use autoorder_schema::queries::users::{TelegramProfile, touch_user};
    let mut conn = autoorder_schema::checkout(pool).expect("db");
    autoorder_schema::write_tx(&mut conn, |c| {
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
        Ok::<_, autoorder_schema::StoreError>(())
    })
    .expect("users");
}

fn start_process(dir: &Path, env: &[(String, String)]) -> Bot {
    let mut child = Command::new(env!("CARGO_BIN_EXE_autoorder"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(dir)
        .arg("run")
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
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Everything the process printed so far.
    pub fn output(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.output.push(line);
        }
        self.output.join("\n")
    }

    /// kill -9: no chance to clean up.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill -9");
            child.wait().expect("reaped");
        }
    }

    /// SIGTERM, then waits (bounded) for the exit status.
    pub fn sigterm(&mut self, within: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("autoorder did not exit within {within:?} after SIGTERM");
            }
            // Waiting for a child process has no async signal in std; this bounded wait is
            // the process-exit poll, not a stand-in for an in-process event.
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

/// Every byte under a directory as text (for "no secret in logs").
pub fn read_all(dir: &Path) -> String {
    let mut out = String::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.push_str(&read_all(&path));
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    out
}

/// A tokio runtime for a synchronous test body.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Posts an update to the webhook with the given secret header.
pub async fn post_update(
    client: &reqwest::Client,
    bot: &Bot,
    path: &str,
    secret: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::StatusCode {
    let mut req = client
        .post(bot.url(path))
        .header("content-type", "application/json")
        .body(body);
    if let Some(secret) = secret {
        req = req.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    req.send().await.expect("webhook request").status()
}

// ---------------------------------------------------------------------------------------------
// Driving the shop like a customer (tests/shop.rs)
// ---------------------------------------------------------------------------------------------

/// The methods that put a message (or its new state) in a chat.
const MESSAGE_METHODS: [&str; 5] = [
    "sendMessage",
    "sendPhoto",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
];

/// The chat and message a successful send or edit is about.
pub fn message_of(call: &autoorder_doubles::Call) -> Option<(i64, i64)> {
    if call.ok() != Some(true)
        || !MESSAGE_METHODS
            .iter()
            .any(|m| m.eq_ignore_ascii_case(&call.method))
    {
        return None;
    }
    let chat = call.param_i64("chat_id")?;
    let id = match call.param_i64("message_id") {
        Some(id) => id,
        None => call.result()?.get("message_id")?.as_i64()?,
    };
    Some((chat, id))
}

/// The inline buttons of a message as the double holds it: (text, callback_data or url).
pub fn inline_buttons(message: &serde_json::Value) -> Vec<(String, String)> {
    message
        .pointer("/reply_markup/inline_keyboard")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_array)
        .flatten()
        .filter_map(|b| {
            let text = b.get("text")?.as_str()?.to_string();
            let action = b
                .get("callback_data")
                .or_else(|| b.get("url"))?
                .as_str()?
                .to_string();
            Some((text, action))
        })
        .collect()
}

/// The bot's messages in `chat` as they stand now (edits applied, deleted ones left out),
/// newest activity first: (message id, message).
pub fn bot_messages(telegram: &TelegramDouble, chat: i64) -> Vec<(i64, serde_json::Value)> {
    let mut seen = std::collections::HashSet::new();
    telegram
        .calls()
        .iter()
        .rev()
        .filter_map(message_of)
        .filter(|(c, id)| *c == chat && seen.insert(*id))
        .filter_map(|(_, id)| Some((id, telegram.message(chat, id)?)))
        .collect()
}

/// Finds the newest message in `chat` with a button labelled `label` (exactly, else the first
/// containing it): (message id, callback data).
pub fn find_button(telegram: &TelegramDouble, chat: i64, label: &str) -> Option<(i64, String)> {
    bot_messages(telegram, chat)
        .into_iter()
        .find_map(|(id, message)| {
            let buttons = inline_buttons(&message);
            buttons
                .iter()
                .find(|(text, _)| text == label)
                .or_else(|| buttons.iter().find(|(text, _)| text.contains(label)))
                .map(|(_, data)| (id, data.clone()))
        })
}

/// Taps the button labelled `label` on the newest message in `chat` that has one, as user
/// `chat` (a private chat): queues the callback query Telegram would send. Returns the
/// callback data. Panics when no message has such a button.
pub fn press(telegram: &TelegramDouble, chat: i64, label: &str) -> String {
    let Some((message_id, data)) = find_button(telegram, chat, label) else {
        panic!(
            "no message in chat {chat} has a button {label:?}; messages: {:#?}",
            bot_messages(telegram, chat)
                .iter()
                .map(|(id, m)| (id, inline_buttons(m)))
                .collect::<Vec<_>>()
        );
    };
    press_data(telegram, chat, message_id, &data);
    data
}

/// Queues a press with arbitrary callback data under `message_id` (stale or forged presses).
pub fn press_data(telegram: &TelegramDouble, chat: i64, message_id: i64, data: &str) -> i64 {
    telegram.push_update(autoorder_doubles::callback_update(
        None, chat, chat, message_id, data,
    ))
}

/// The customer `chat` types `text` in their private chat with the bot.
pub fn say(telegram: &TelegramDouble, chat: i64, text: &str) -> i64 {
    telegram.push_update(autoorder_doubles::message_update(None, chat, chat, text))
}

/// The text (or caption) of a send or edit call.
pub fn text_of(call: &autoorder_doubles::Call) -> String {
    call.param_str("text")
        .or_else(|| call.param_str("caption"))
        .unwrap_or_default()
}

/// Asserts that within `within` every stored update is handled and every reply sent (the
/// outbox empty) — the end-to-end suites' "the bot has settled" signal.
pub fn settle(store: &Store, within: Duration) {
    let pool = store.pool();
    assert!(
        eventually(within, || {
            let mut c = autoorder_schema::checkout(&pool).unwrap();
            let (pending, _, _) =
                autoorder_schema::queries::updates::update_counts(&mut c).unwrap();
            let queued: i64 = autoorder_schema::queries::outbox::outbox_depth(&mut c)
                .unwrap()
                .iter()
                .map(|(_, n)| n)
                .sum();
            pending == 0 && queued == 0
        }),
        "every update handled and every reply sent"
    );
}

/// Waits up to `timeout` for a successful send or edit to `chat` at or after `since` whose text
/// or caption contains every needle: a new message, one edited in place, or a photo. The
/// end-to-end suites' `expect` helpers wrap it with their own failure reports.
pub async fn wait_for_text(
    telegram: &TelegramDouble,
    chat: i64,
    since: std::time::Instant,
    needles: &[&str],
    timeout: Duration,
) -> Option<autoorder_doubles::Call> {
    let pred = |c: &autoorder_doubles::Call| {
        c.at >= since
            && message_of(c).is_some_and(|(ch, _)| ch == chat)
            && needles.iter().all(|n| text_of(c).contains(n))
    };
    tokio::select! {
        Some(c) = telegram.wait_for("sendMessage", pred, timeout) => Some(c),
        Some(c) = telegram.wait_for("editMessageText", pred, timeout) => Some(c),
        Some(c) = telegram.wait_for("sendPhoto", pred, timeout) => Some(c),
        else => None,
    }
}

/// The newest text or caption the bot sent to `chat` or edited into a message there.
pub fn last_text_to(telegram: &TelegramDouble, chat: i64) -> Option<String> {
    telegram
        .calls()
        .iter()
        .rev()
        .filter(|c| message_of(c).is_some_and(|(ch, _)| ch == chat))
        .map(text_of)
        .find(|t| !t.is_empty())
}
