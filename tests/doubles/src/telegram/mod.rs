//! A Telegram Bot API test double: an HTTP server that answers like
//! `api.telegram.org` and records every call made to it.
//!
//! Point a client at [`TelegramDouble::base_url`] (for teloxide-core:
//! `Bot::new(token).set_api_url(url)`) and it talks to the double exactly as it
//! talks to Telegram: `POST /bot<TOKEN>/<method>` with a JSON,
//! `x-www-form-urlencoded`, query-string or `multipart/form-data` request, and
//! `{"ok":true,"result":..}` / `{"ok":false,"error_code":..,"description":..}`
//! answers.
//!
//! # How parameters are recorded
//!
//! [`Call::params`] is always a JSON object holding what was on the wire:
//! JSON bodies are kept as sent (numbers stay numbers, `reply_markup` stays an
//! object); query-string, form and multipart fields are kept as **strings**
//! (so a multipart `reply_markup` is the JSON text, and `chat_id` is `"42"`).
//! Use [`Call::param_i64`], [`Call::param_str`] and [`Call::param_json`] to
//! read a parameter the same way whichever encoding the client chose.
//! Uploaded files become `{"file_name":..,"size":..,"content_type":..}`; a
//! field whose value is `attach://<part>` (how teloxide uploads) is replaced by
//! the descriptor of that part, and the part's own key is not recorded.
//!
//! # Faithfulness
//!
//! Besides the happy path the double reproduces the Bot API errors a shop bot
//! meets in production: `parse_mode=HTML` is parsed like Telegram does (plain
//! text and entities in the result; unsupported or unbalanced tags answer
//! `Bad Request: can't parse entities: ..`), text and caption length limits,
//! inline keyboards without an action or with `callback_data` over 64 bytes,
//! editing a message with identical content (`message is not modified`),
//! deleted messages, `getUpdates` while a webhook is set and a second
//! concurrent `getUpdates` (`409 Conflict`), chats whose user blocked the bot
//! or is deactivated (`403`) or that do not exist (`400 chat not found`), and,
//! once switched on with [`TelegramDouble::enforce_limits`], the flood limits
//! (`429 Too Many Requests: retry after N`). `Markdown`/`MarkdownV2` texts are
//! passed through unparsed.

mod files;
mod html;
mod limits;
mod methods;
mod updates;
mod wire;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use serde_json::Value;
use tokio::sync::watch;

pub use files::{document_update, photo_update};
pub use updates::{callback_update, message_update};

pub use limits::RateLimits;

use limits::Limits;

/// A running Telegram Bot API double.
///
/// Cheap to clone: every clone is a handle to the same server. The server stops
/// on [`TelegramDouble::stop`] or when the last handle is dropped.
#[derive(Clone)]
pub struct TelegramDouble {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    base_url: String,
    server: Mutex<Option<(ServerHandle, JoinHandle<()>)>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        stop_server(&self.server);
    }
}

/// One request the double received, recorded when it arrived.
#[derive(Clone, Debug)]
pub struct Call {
    /// The bot token from the `/bot<TOKEN>/` path segment.
    pub token: String,
    /// The method name, spelled canonically (`sendMessage`) when the double
    /// knows the method, otherwise as sent.
    pub method: String,
    /// The request parameters as a JSON object; see the module docs for how
    /// each encoding is recorded.
    pub params: Value,
    /// When the request arrived.
    pub at: Instant,
    /// The JSON body the double answered with; `None` while the call is still
    /// being served (a long-polling `getUpdates`) or when the connection was
    /// dropped by [`Failure::Drop`].
    pub response: Option<Value>,
}

impl Call {
    /// A parameter as a string: strings as they are, numbers and booleans
    /// rendered as text, anything else as its JSON text.
    pub fn param_str(&self, name: &str) -> Option<String> {
        wire::param_str(&self.params, name)
    }

    /// A parameter as an integer, whether it was sent as a JSON number or as
    /// text (form and multipart fields).
    pub fn param_i64(&self, name: &str) -> Option<i64> {
        wire::param_i64(&self.params, name)
    }

    /// A parameter as JSON: a string field holding JSON text (a multipart
    /// `reply_markup`) is parsed, anything else is returned as it is.
    pub fn param_json(&self, name: &str) -> Option<Value> {
        wire::param_json(&self.params, name)
    }

    /// Whether the double answered `ok: true`; `None` if it has not answered.
    pub fn ok(&self) -> Option<bool> {
        self.response
            .as_ref()
            .map(|r| r.get("ok").and_then(Value::as_bool) == Some(true))
    }

    /// The `result` of a successful answer.
    pub fn result(&self) -> Option<&Value> {
        self.response.as_ref().and_then(|r| r.get("result"))
    }
}

/// How [`TelegramDouble::fail`] makes a call fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Answer with this HTTP status and `{"ok":false,"error_code":status,
    /// "description":<reason phrase>}`. Note that teloxide sleeps 10 s before
    /// reading a 5xx answer.
    Status(u16),
    /// Answer 429 `Too Many Requests: retry after N` with
    /// `"parameters":{"retry_after":N}`.
    RetryAfter(u32),
    /// Answer `{"ok":false,"error_code":code,"description":description}` with
    /// that HTTP status, e.g. `(403, "Forbidden: bot was blocked by the user")`.
    Error(u16, String),
    /// Close the connection without answering.
    Drop,
}

/// What `setWebhook` registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookInfo {
    /// The HTTPS URL updates are to be posted to.
    pub url: String,
    /// The `secret_token` Telegram would send in `X-Telegram-Bot-Api-Secret-Token`.
    pub secret_token: Option<String>,
    /// The update types asked for, if the call named any.
    pub allowed_updates: Option<Vec<String>>,
    /// Whether pending updates were asked to be dropped.
    pub drop_pending_updates: bool,
    /// `max_connections`, if given.
    pub max_connections: Option<u32>,
}

struct FailureRule {
    method: String,
    failure: Failure,
    remaining: Option<u32>,
}

/// State shared between the handles and the server's handlers.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Bumped whenever a call is recorded or answered.
    calls_changed: watch::Sender<u64>,
    /// Bumped whenever the update queue or the polling generation changes.
    updates_changed: watch::Sender<u64>,
}

/// A message the double knows about, keyed by (chat id, message id).
pub(crate) struct StoredMessage {
    pub message: Value,
    pub from_bot: bool,
}

pub(crate) struct State {
    pub calls: Vec<Call>,
    /// Increased by `clear_calls`, so an answer is not filed under a wrong call.
    pub calls_epoch: u64,
    pub valid_token: Option<String>,
    failures: Vec<FailureRule>,
    /// Unconfirmed updates, ordered by `update_id`.
    pub updates: VecDeque<Value>,
    pub next_update_id: i64,
    /// Increased by every `getUpdates`; a long poll whose generation is no
    /// longer current was terminated by a newer one.
    pub poll_generation: u64,
    pub webhook: Option<WebhookInfo>,
    pub messages: HashMap<(i64, i64), StoredMessage>,
    pub deleted: HashSet<(i64, i64)>,
    /// Chat objects seen in pushed updates, used in sent messages' `chat`.
    pub chats: HashMap<i64, Value>,
    pub blocked: HashSet<i64>,
    pub deactivated: HashSet<i64>,
    pub missing_chats: HashSet<i64>,
    pub next_message_id: i64,
    pub next_file: u64,
    /// Photo arrays by the file id of any of their sizes, for re-sending.
    pub photos: HashMap<String, Value>,
    pub documents: HashMap<String, Value>,
    pub commands: Value,
    pub limits: Limits,
    /// How long every call (but `getUpdates`) takes to be answered: a Bot API far away.
    pub latency: Duration,
    /// Files users sent, served by `getFile` and `/file/bot<TOKEN>/<path>`.
    pub files: files::Files,
}

impl Shared {
    fn new() -> Shared {
        Shared {
            state: Mutex::new(State {
                calls: Vec::new(),
                calls_epoch: 0,
                valid_token: None,
                failures: Vec::new(),
                updates: VecDeque::new(),
                next_update_id: 1,
                poll_generation: 0,
                webhook: None,
                messages: HashMap::new(),
                deleted: HashSet::new(),
                chats: HashMap::new(),
                blocked: HashSet::new(),
                deactivated: HashSet::new(),
                missing_chats: HashSet::new(),
                next_message_id: 1,
                next_file: 1,
                photos: HashMap::new(),
                documents: HashMap::new(),
                commands: Value::Array(Vec::new()),
                limits: Limits::default(),
                latency: Duration::ZERO,
                files: files::Files::default(),
            }),
            calls_changed: watch::channel(0).0,
            updates_changed: watch::channel(0).0,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking handler must not wedge every later test assertion.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn notify_calls(&self) {
        self.calls_changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    pub(crate) fn notify_updates(&self) {
        self.updates_changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Takes one use of the first failure rule matching `method`.
    pub(crate) fn take_failure(&self, method: &str) -> Option<Failure> {
        let mut state = self.lock();
        let index = state
            .failures
            .iter()
            .position(|r| r.method == "*" || r.method.eq_ignore_ascii_case(method))?;
        let rule = &mut state.failures[index];
        let failure = rule.failure.clone();
        if let Some(remaining) = rule.remaining.as_mut() {
            *remaining -= 1;
            if *remaining == 0 {
                state.failures.remove(index);
            }
        }
        Some(failure)
    }
}

impl TelegramDouble {
    /// Starts the server on `127.0.0.1:0` in its own thread with its own actix
    /// `System` and returns once it is listening. Works from inside a tokio
    /// runtime as well as from plain synchronous code.
    pub fn start() -> TelegramDouble {
        let shared = Arc::new(Shared::new());
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let server_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("telegram-double".into())
            .spawn(move || {
                let system = actix_web::rt::System::new();
                system.block_on(async move {
                    let data = web::Data::from(server_shared);
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(data.clone())
                            .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                            .route("/file/{tail:.*}", web::get().to(files::serve))
                            .default_service(web::to(wire::handle))
                    })
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(0)
                    .bind(("127.0.0.1", 0));
                    let server = match server {
                        Ok(server) => server,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let addr = server.addrs()[0];
                    let running = server.run();
                    let _ = ready_tx.send(Ok((addr, running.handle())));
                    let _ = running.await;
                });
            })
            .expect("spawn the Telegram double's server thread");
        let (addr, handle) = ready_rx
            .recv()
            .expect("the Telegram double's server thread died while starting")
            .expect("bind the Telegram double to 127.0.0.1:0");
        TelegramDouble {
            inner: Arc::new(Inner {
                shared,
                base_url: format!("http://{addr}"),
                server: Mutex::new(Some((handle, thread))),
            }),
        }
    }

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    /// The API base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    /// Every call received so far, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared().lock().calls.clone()
    }

    /// The calls to `method` (compared case-insensitively), in arrival order.
    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.shared()
            .lock()
            .calls
            .iter()
            .filter(|c| c.method.eq_ignore_ascii_case(method))
            .cloned()
            .collect()
    }

    /// Forgets the recorded calls, and with them [`accepted_sends`] and
    /// [`rate_limited_count`]. The rest of the state is kept, including the
    /// flood limits' windows (a send right after still counts the earlier ones).
    ///
    /// [`accepted_sends`]: Self::accepted_sends
    /// [`rate_limited_count`]: Self::rate_limited_count
    pub fn clear_calls(&self) {
        let mut state = self.shared().lock();
        state.calls.clear();
        state.calls_epoch += 1;
        state.limits.clear_log();
    }

    /// Waits until a call to `method` (case-insensitive) satisfying `pred` has
    /// been recorded — calls recorded before this was called count too — and
    /// returns the first such call, or `None` once `timeout` has passed.
    ///
    /// Event-driven: it wakes whenever a call is recorded or answered. Each
    /// call is checked when first seen and re-checked on every wake until it
    /// has been answered, so a predicate on [`Call::response`] sees the answer;
    /// an answered call that did not match is not looked at again, so `pred`
    /// should depend on the call only. Each wake costs only the new and the
    /// unanswered calls, however many were recorded. Needs a tokio runtime
    /// with timers.
    pub async fn wait_for(
        &self,
        method: &str,
        pred: impl Fn(&Call) -> bool,
        timeout: Duration,
    ) -> Option<Call> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changed = self.shared().calls_changed.subscribe();
        let mut epoch = None;
        // Calls before `next` have been seen; `unanswered` (ascending) are the
        // seen ones that had no answer yet.
        let mut next = 0;
        let mut unanswered: Vec<usize> = Vec::new();
        loop {
            changed.borrow_and_update();
            let candidates: Vec<(usize, Call)> = {
                let state = self.shared().lock();
                if epoch != Some(state.calls_epoch) {
                    // First pass, or clear_calls emptied the list.
                    epoch = Some(state.calls_epoch);
                    next = 0;
                    unanswered.clear();
                }
                let fresh = next..state.calls.len();
                next = state.calls.len();
                unanswered
                    .drain(..)
                    .chain(fresh)
                    .filter_map(|i| Some((i, state.calls.get(i)?)))
                    .filter(|(_, c)| c.method.eq_ignore_ascii_case(method))
                    .map(|(i, c)| (i, c.clone()))
                    .collect()
            };
            // The predicate runs without the lock so it may use the double.
            for (index, call) in candidates {
                if pred(&call) {
                    return Some(call);
                }
                if call.response.is_none() {
                    unanswered.push(index);
                }
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) | Err(_) => return None,
            }
        }
    }

    /// Queues an update for `getUpdates` and returns its `update_id`.
    ///
    /// An `update_id` is assigned (one more than the highest so far) when the
    /// JSON has none. The sender's chat is remembered so messages sent to it
    /// carry its names, a `message` is remembered as the user's (so editing it
    /// fails like on Telegram), and a `callback_query.message` that the double
    /// sent is replaced by the message as the double knows it.
    pub fn push_update(&self, update: Value) -> i64 {
        let id = updates::push(&mut self.shared().lock(), update);
        self.shared().notify_updates();
        id
    }

    /// The updates queued and not yet confirmed by a `getUpdates` offset.
    pub fn pending_updates(&self) -> Vec<Value> {
        self.shared().lock().updates.iter().cloned().collect()
    }

    /// Makes the next `times` calls (`None`: every call until
    /// [`clear_failures`](Self::clear_failures)) to `method` fail as given.
    /// `method` is case-insensitive; `"*"` matches every method. Rules are
    /// tried in the order they were added. Failing calls are still recorded.
    pub fn fail(&self, method: &str, failure: Failure, times: Option<u32>) {
        if times == Some(0) {
            return;
        }
        self.shared().lock().failures.push(FailureRule {
            method: method.to_owned(),
            failure,
            remaining: times,
        });
    }

    /// Removes every failure rule added by [`fail`](Self::fail).
    pub fn clear_failures(&self) {
        self.shared().lock().failures.clear();
    }

    /// When `Some(token)`, calls with any other token are answered
    /// `401 Unauthorized`; `None` (the default) accepts every token.
    pub fn set_valid_token(&self, token: Option<String>) {
        self.shared().lock().valid_token = token;
    }

    /// Marks a chat as having blocked the bot (`true`) or not: sending to or
    /// editing in it answers `403 Forbidden: bot was blocked by the user`.
    pub fn set_blocked(&self, chat_id: i64, blocked: bool) {
        let mut state = self.shared().lock();
        if blocked {
            state.blocked.insert(chat_id);
        } else {
            state.blocked.remove(&chat_id);
        }
    }

    /// Marks every chat in `chat_ids` as having blocked the bot, like
    /// [`set_blocked`](Self::set_blocked)`(id, true)` for each.
    pub fn add_users_blocked(&self, chat_ids: impl IntoIterator<Item = i64>) {
        self.shared().lock().blocked.extend(chat_ids);
    }

    /// Marks a chat's user as deactivated (deleted account): sending to or
    /// editing in it answers `403 Forbidden: user is deactivated`.
    pub fn set_deactivated(&self, chat_id: i64) {
        self.shared().lock().deactivated.insert(chat_id);
    }

    /// Makes a chat unknown to Telegram: sending to or editing in it answers
    /// `400 Bad Request: chat not found`.
    pub fn set_missing_chat(&self, chat_id: i64) {
        self.shared().lock().missing_chats.insert(chat_id);
    }

    /// Turns enforcement of Telegram's flood limits on (`Some`) or off
    /// (`None`, the default).
    ///
    /// While on, each send (`sendMessage`, `sendPhoto`, `sendDocument`) with a
    /// usable `chat_id` is checked when it is served, before anything else
    /// about it: it is refused with `429 Too Many Requests: retry after N`
    /// (`"parameters":{"retry_after":N}`, N = [`RateLimits::retry_after`])
    /// when [`RateLimits::global_per_second`] sends were already accepted
    /// within the last second, or when the chat used up its burst
    /// ([`RateLimits::per_chat_burst`] sends, refilled one per
    /// [`RateLimits::per_chat_interval`]; both shortened by
    /// [`RateLimits::slack`]). With [`RateLimits::penalty`], a send made while
    /// its scope is blocked after a 429 is refused with a doubled wait. A
    /// refused send is recorded with its 429 like any call and does not count
    /// against the limits; an accepted one counts even if the method then
    /// fails (e.g. `403` for a blocked chat), as Telegram counts requests, not
    /// deliveries. Failures injected with [`fail`](Self::fail) are answered
    /// before the limits are consulted.
    ///
    /// Each call starts the windows afresh: sends made before it do not count.
    pub fn enforce_limits(&self, limits: Option<RateLimits>) {
        self.shared().lock().limits.enforce(limits);
    }

    /// How many 429s the double answered because of the flood limits (not
    /// counting [`Failure::RetryAfter`] injected with [`fail`](Self::fail)).
    pub fn rate_limited_count(&self) -> u64 {
        self.shared().lock().limits.refused()
    }

    /// Of [`rate_limited_count`](Self::rate_limited_count), the 429s answered
    /// to sends made while blocked after an earlier 429 (the flooding penalty).
    pub fn penalised_count(&self) -> u64 {
        self.shared().lock().limits.penalised()
    }

    /// Makes every call but `getUpdates` take `latency` to be answered (half
    /// before the double looks at it, half after), like a Bot API far away.
    /// Calls are still served concurrently. `Duration::ZERO` (the default)
    /// answers at full speed.
    pub fn set_latency(&self, latency: Duration) {
        self.shared().lock().latency = latency;
    }

    /// The sends let through by the flood limits, in order, as (chat id, when
    /// the limiter accepted it) — also recorded while enforcement is off, when
    /// every send with a usable `chat_id` is accepted. Sends are accepted
    /// whatever the method answers next (see [`enforce_limits`]).
    ///
    /// [`enforce_limits`]: Self::enforce_limits
    pub fn accepted_sends(&self) -> Vec<(i64, Instant)> {
        self.shared().lock().limits.accepted().to_vec()
    }

    /// The largest number of [`accepted_sends`](Self::accepted_sends) (over all
    /// chats) that fall within less than `window` of one another — any sliding
    /// window of length `window`, open at its end. With limits enforced and no
    /// slack, `max_sends_in_window(1 s)` never exceeds `global_per_second`.
    pub fn max_sends_in_window(&self, window: Duration) -> usize {
        limits::max_in_window(self.shared().lock().limits.accepted(), window)
    }

    /// The smallest gap between two consecutive
    /// [`accepted_sends`](Self::accepted_sends) to the same chat; `None` if no
    /// chat got two.
    pub fn min_gap_per_chat(&self) -> Option<Duration> {
        limits::min_gap(self.shared().lock().limits.accepted())
    }

    /// What the last `setWebhook` registered, or `None` if no webhook is set
    /// (never set, removed by `deleteWebhook`, or set to an empty URL).
    pub fn webhook(&self) -> Option<WebhookInfo> {
        self.shared().lock().webhook.clone()
    }

    /// The message the double holds for `(chat_id, message_id)`, with edits
    /// applied; `None` if unknown or deleted.
    pub fn message(&self, chat_id: i64, message_id: i64) -> Option<Value> {
        self.shared()
            .lock()
            .messages
            .get(&(chat_id, message_id))
            .map(|m| m.message.clone())
    }

    /// Stops the server (idempotent). Pending requests are cut off. Also done
    /// when the last handle is dropped.
    pub fn stop(&self) {
        stop_server(&self.inner.server);
    }
}

fn stop_server(server: &Mutex<Option<(ServerHandle, JoinHandle<()>)>>) {
    let taken = server.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some((handle, thread)) = taken {
        // The stop command is sent eagerly; the returned future only waits.
        drop(handle.stop(false));
        let _ = thread.join();
    }
}

impl std::fmt::Debug for TelegramDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramDouble")
            .field("base_url", &self.inner.base_url)
            .finish_non_exhaustive()
    }
}
