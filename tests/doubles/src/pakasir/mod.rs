//! A Pakasir payment-gateway test double: an HTTP server that answers like
//! `app.pakasir.com`, keeps the transactions it created, fires webhooks and records every
//! call made to it.
//!
//! Pakasir has no sandbox reachable from the tests, so this double implements the API of
//! SPEC §4 (point the client's base URL at [`PakasirDouble::base_url`]):
//!
//! | endpoint | request | answer |
//! |---|---|---|
//! | create | `POST /api/transactioncreate/{method}`, JSON `{"project","order_id","amount","api_key"}` | `{"payment":{"project","order_id","amount","fee","total_payment","payment_method","payment_number","expired_at"}}` |
//! | detail | `GET /api/transactiondetail?project=&amount=&order_id=&api_key=` | `{"transaction":{"amount","order_id","project","status","payment_method","completed_at"}}` |
//! | cancel | `POST /api/transactioncancel`, same body as create | `{"success":true,..}` |
//! | simulate | `POST /api/paymentsimulation`, same body as create | `{"success":true,..}`, then the webhook fires |
//!
//! Errors are answered `{"error":"<message>"}`: a wrong `api_key` with 401, a wrong
//! `project` with 403, a missing or non-positive `amount`, an empty `order_id`, an unknown
//! method or an `order_id` that already exists with 400, an unknown transaction (or a wrong
//! amount for it) with 404.
//!
//! # Behaviour worth knowing
//!
//! * The QRIS fee is `ceil(0.7 % × amount) + 310`; every other method costs a flat
//!   [`VA_FEE`]. `total_payment = amount + fee`. QRIS `payment_number`s are real-looking EMV
//!   payloads (`00020101021226…`, CRC at the end).
//! * `expired_at` is creation time + [`PakasirDouble::set_validity`] (default 15 min),
//!   written with nanoseconds (`2025-09-19T01:18:49.678622564Z`). A pending transaction
//!   whose `expired_at` has passed reads as `expired`.
//! * Statuses are `pending`, `completed`, `expired` and `canceled` (American spelling, which
//!   the gateway also uses).
//! * Webhooks (`{"amount","order_id","project","status":"completed","payment_method",
//!   "completed_at"}`) are POSTed to [`PakasirDouble::set_webhook_url`] from the double's own
//!   thread, one at a time in the order they were queued, and recorded with the answer
//!   ([`PakasirDouble::webhooks`], [`PakasirDouble::wait_for_webhook`]).
//! * Failures are injected per endpoint with [`PakasirDouble::fail`]; see [`Failure`].

mod codes;
mod wire;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

pub use codes::{METHODS, VA_FEE, format_time, qris_crc_ok, qris_fee};

/// The project slug [`PakasirDouble::start`] accepts.
pub const DEFAULT_PROJECT: &str = "autoorder-test";
/// The api key [`PakasirDouble::start`] accepts.
pub const DEFAULT_API_KEY: &str = "pakasir-test-api-key";
/// How long a new transaction stays payable unless [`PakasirDouble::set_validity`] says
/// otherwise (what the real gateway shows).
pub const DEFAULT_VALIDITY: Duration = Duration::from_secs(15 * 60);
/// How long [`Failure::Timeout`] holds a request unless [`PakasirDouble::set_hold`] says
/// otherwise: longer than the client's default 15 s timeout.
pub const DEFAULT_HOLD: Duration = Duration::from_secs(30);
/// How long the double waits for the webhook receiver to answer.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// A running Pakasir double.
///
/// Cheap to clone: every clone is a handle to the same server. The server stops on
/// [`PakasirDouble::stop`] or when the last handle is dropped.
#[derive(Clone)]
pub struct PakasirDouble {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    base_url: String,
    server: Mutex<Option<(ServerHandle, JoinHandle<()>)>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        stop_server(&self.shared, &self.server);
    }
}

/// The four endpoints of the Pakasir API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /api/transactioncreate/{method}`.
    Create,
    /// `GET /api/transactiondetail`.
    Detail,
    /// `POST /api/transactioncancel`.
    Cancel,
    /// `POST /api/paymentsimulation`.
    Simulate,
}

impl Endpoint {
    /// The endpoint's path (create without its `/{method}`).
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Create => "/api/transactioncreate",
            Endpoint::Detail => "/api/transactiondetail",
            Endpoint::Cancel => "/api/transactioncancel",
            Endpoint::Simulate => "/api/paymentsimulation",
        }
    }
}

/// One request the double received, recorded when it arrived.
#[derive(Clone, Debug)]
pub struct Call {
    /// Which endpoint it was for; `None` for a path the API does not have.
    pub endpoint: Option<Endpoint>,
    /// The HTTP method (`GET`, `POST`).
    pub http_method: String,
    /// The request path, e.g. `/api/transactioncreate/qris`.
    pub path: String,
    /// The query-string and body parameters as a JSON object: JSON bodies as sent (numbers
    /// stay numbers), query and form fields as strings. Includes the `api_key` sent.
    pub params: Value,
    /// When the request arrived.
    pub at: Instant,
    /// When the double was done with it (answered or dropped); `None` while being served.
    pub finished_at: Option<Instant>,
    /// The HTTP status answered; `None` while being served or when the connection was dropped.
    pub status: Option<u16>,
    /// The body answered: JSON, or a JSON string for [`Failure::Raw`]; `None` while being
    /// served or when dropped.
    pub response: Option<Value>,
    /// Whether the double closed the connection without answering ([`Failure::Drop`],
    /// [`Failure::Timeout`], [`Failure::LostResponse`]).
    pub dropped: bool,
}

impl Call {
    /// A parameter as a string: strings as they are, numbers rendered as text.
    pub fn param_str(&self, name: &str) -> Option<String> {
        wire::param_str(&self.params, name)
    }

    /// A parameter as an integer, whether sent as a JSON number or as digits.
    pub fn param_i64(&self, name: &str) -> Option<i64> {
        wire::param_i64(&self.params, name)
    }

    /// The payment method of a create call (the path segment after `transactioncreate/`).
    pub fn payment_method(&self) -> Option<&str> {
        self.path
            .strip_prefix("/api/transactioncreate/")
            .filter(|m| !m.is_empty())
    }

    /// Whether the double is done with the call (answered or dropped).
    pub fn finished(&self) -> bool {
        self.status.is_some() || self.dropped
    }

    /// Whether the double answered with a 2xx.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// How [`PakasirDouble::fail`] makes a call fail. Failing calls are recorded like any other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Answer this HTTP status with `{"error":<reason phrase>}`, doing nothing.
    Status(u16),
    /// Answer this HTTP status with `{"error":<message>}`, doing nothing.
    Error(u16, String),
    /// Answer this HTTP status with this body as `text/html`, doing nothing — an unreadable
    /// answer (a proxy's error page, a truncated body).
    Raw(u16, String),
    /// Close the connection without answering, doing nothing.
    Drop,
    /// Hold the request for [`PakasirDouble::set_hold`] (default [`DEFAULT_HOLD`], meant to
    /// be longer than the client's timeout) or until the double stops, then close the
    /// connection without doing anything.
    Timeout,
    /// Do what the request asks (a create records the transaction), then close the
    /// connection without answering: the gateway acted but the answer was lost.
    LostResponse,
}

/// Where a transaction stands in the double.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TxState {
    /// Created, waiting for payment.
    Pending,
    /// Paid ([`PakasirDouble::complete`] or the simulate endpoint).
    Completed,
    /// Its validity passed, or [`PakasirDouble::expire`].
    Expired,
    /// Cancelled through the cancel endpoint.
    Cancelled,
}

impl TxState {
    /// The status as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            TxState::Pending => "pending",
            TxState::Completed => "completed",
            TxState::Expired => "expired",
            TxState::Cancelled => "canceled",
        }
    }
}

/// A transaction the double created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// The caller's order id, the transaction's only key.
    pub order_id: String,
    /// The base amount in whole Rupiah.
    pub amount: i64,
    /// The fee charged on top.
    pub fee: i64,
    /// `amount + fee`.
    pub total_payment: i64,
    /// The method it was created with (`qris`, `bni_va`, …).
    pub payment_method: String,
    /// The QRIS payload or VA number answered.
    pub payment_number: String,
    /// Where it stands (expiry applied when read).
    pub status: TxState,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops being payable.
    pub expired_at: DateTime<Utc>,
    /// When it was paid.
    pub completed_at: Option<DateTime<Utc>>,
}

impl Transaction {
    /// `expired_at` exactly as the create answer wrote it (nanoseconds).
    pub fn expired_at_text(&self) -> String {
        format_time(self.expired_at)
    }

    /// Turns a pending transaction whose validity passed into an expired one.
    fn refresh(&mut self, now: DateTime<Utc>) {
        if self.status == TxState::Pending && now >= self.expired_at {
            self.status = TxState::Expired;
        }
    }
}

/// One webhook the double POSTed, recorded once the receiver answered or failed.
#[derive(Clone, Debug)]
pub struct WebhookDelivery {
    /// The order id in the body.
    pub order_id: String,
    /// Where it was POSTed.
    pub url: String,
    /// The JSON body sent.
    pub body: Value,
    /// Whether it came from [`PakasirDouble::fire_forged_webhook`] (the double's state says
    /// otherwise).
    pub forged: bool,
    /// The receiver's HTTP status; `None` when no answer came.
    pub status: Option<u16>,
    /// Why no answer came (connection refused, timeout).
    pub error: Option<String>,
    /// When the answer (or the failure) came.
    pub at: Instant,
}

impl WebhookDelivery {
    /// Whether the receiver answered 2xx, i.e. accepted the webhook.
    pub fn accepted(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

struct FailureRule {
    endpoint: Endpoint,
    failure: Failure,
    remaining: Option<u32>,
}

/// A webhook waiting to be POSTed by the double's thread.
pub(crate) struct WebhookJob {
    order_id: String,
    url: String,
    body: Value,
    forged: bool,
}

/// State shared between the handles and the server's handlers.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Bumped whenever a call is recorded or finished.
    calls_changed: watch::Sender<u64>,
    /// Bumped whenever a webhook delivery is recorded.
    webhooks_changed: watch::Sender<u64>,
    /// Set when the double stops, so held requests let go.
    stopping: watch::Sender<bool>,
    jobs: mpsc::UnboundedSender<WebhookJob>,
}

pub(crate) struct State {
    pub project: String,
    pub api_key: String,
    pub calls: Vec<Call>,
    /// Increased by `clear_calls`, so an answer is not filed under a wrong call.
    pub calls_epoch: u64,
    failures: Vec<FailureRule>,
    pub transactions: HashMap<String, Transaction>,
    pub validity: Duration,
    pub hold: Duration,
    /// How long every answer takes (a slow gateway); zero by default.
    pub latency: Duration,
    pub sandbox: bool,
    pub webhook_url: Option<String>,
    pub webhooks: Vec<WebhookDelivery>,
    /// The last real webhook body per order, for replays.
    last_webhook: HashMap<String, Value>,
    /// Feeds VA numbers.
    pub next_serial: u64,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking handler must not wedge every later test assertion.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn notify_calls(&self) {
        self.calls_changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn notify_webhooks(&self) {
        self.webhooks_changed
            .send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Takes one use of the first failure rule for `endpoint`.
    pub(crate) fn take_failure(&self, endpoint: Endpoint) -> Option<Failure> {
        let mut state = self.lock();
        let index = state.failures.iter().position(|r| r.endpoint == endpoint)?;
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

    /// Marks a pending transaction paid and queues its webhook; false if it is not pending.
    pub(crate) fn complete(&self, state: &mut State, order_id: &str) -> bool {
        let now = Utc::now();
        let Some(tx) = state.transactions.get_mut(order_id) else {
            return false;
        };
        tx.refresh(now);
        if tx.status != TxState::Pending {
            return false;
        }
        tx.status = TxState::Completed;
        tx.completed_at = Some(now);
        let body = json!({
            "amount": tx.amount,
            "order_id": tx.order_id,
            "project": state.project,
            "status": "completed",
            "payment_method": tx.payment_method,
            "completed_at": format_time(now),
        });
        state.last_webhook.insert(order_id.to_owned(), body.clone());
        self.queue_webhook(state, order_id, body, false);
        true
    }

    /// Queues a webhook for the delivery thread; false when no webhook URL is set.
    fn queue_webhook(&self, state: &State, order_id: &str, body: Value, forged: bool) -> bool {
        let Some(url) = state.webhook_url.clone() else {
            return false;
        };
        self.jobs
            .send(WebhookJob {
                order_id: order_id.to_owned(),
                url,
                body,
                forged,
            })
            .is_ok()
    }

    /// Waits out [`Failure::Timeout`]'s hold, cut short when the double stops.
    pub(crate) async fn hold(&self) {
        let hold = self.lock().hold;
        let mut stopping = self.stopping.subscribe();
        tokio::select! {
            _ = tokio::time::sleep(hold) => {}
            _ = stopping.wait_for(|s| *s) => {}
        }
    }
}

impl PakasirDouble {
    /// Starts a double for project [`DEFAULT_PROJECT`] with api key [`DEFAULT_API_KEY`].
    /// See [`start_with`](Self::start_with).
    pub fn start() -> PakasirDouble {
        PakasirDouble::start_with(DEFAULT_PROJECT, DEFAULT_API_KEY)
    }

    /// Starts the server on `127.0.0.1:0` in its own thread with its own actix `System`,
    /// accepting only `project` and `api_key`, and returns once it is listening. Works from
    /// inside a tokio runtime as well as from plain synchronous code.
    pub fn start_with(project: &str, api_key: &str) -> PakasirDouble {
        let (jobs_tx, jobs_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                project: project.to_owned(),
                api_key: api_key.to_owned(),
                calls: Vec::new(),
                calls_epoch: 0,
                failures: Vec::new(),
                transactions: HashMap::new(),
                validity: DEFAULT_VALIDITY,
                hold: DEFAULT_HOLD,
                latency: Duration::ZERO,
                sandbox: true,
                webhook_url: None,
                webhooks: Vec::new(),
                last_webhook: HashMap::new(),
                next_serial: 1,
            }),
            calls_changed: watch::channel(0).0,
            webhooks_changed: watch::channel(0).0,
            stopping: watch::channel(false).0,
            jobs: jobs_tx,
        });
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let server_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("pakasir-double".into())
            .spawn(move || {
                let system = actix_web::rt::System::new();
                system.block_on(async move {
                    actix_web::rt::spawn(deliver_webhooks(server_shared.clone(), jobs_rx));
                    let data = web::Data::from(server_shared);
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(data.clone())
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
            .expect("spawn the Pakasir double's server thread");
        let (addr, handle) = ready_rx
            .recv()
            .expect("the Pakasir double's server thread died while starting")
            .expect("bind the Pakasir double to 127.0.0.1:0");
        PakasirDouble {
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

    /// The project slug the double accepts.
    pub fn project(&self) -> String {
        self.shared().lock().project.clone()
    }

    /// The api key the double accepts.
    pub fn api_key(&self) -> String {
        self.shared().lock().api_key.clone()
    }

    /// Every call received so far, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared().lock().calls.clone()
    }

    /// The calls to `endpoint`, in arrival order.
    pub fn calls_to(&self, endpoint: Endpoint) -> Vec<Call> {
        self.shared()
            .lock()
            .calls
            .iter()
            .filter(|c| c.endpoint == Some(endpoint))
            .cloned()
            .collect()
    }

    /// Forgets the recorded calls; transactions and webhooks are kept.
    pub fn clear_calls(&self) {
        let mut state = self.shared().lock();
        state.calls.clear();
        state.calls_epoch += 1;
    }

    /// Waits until a call to `endpoint` satisfying `pred` has been recorded — calls recorded
    /// before this was called count too — and returns the first such call, or `None` once
    /// `timeout` has passed.
    ///
    /// Event-driven: it wakes whenever a call is recorded or finished. A call is re-checked
    /// on every wake until it is finished, so a predicate on [`Call::status`] sees the
    /// answer. Needs a tokio runtime with timers.
    pub async fn wait_for(
        &self,
        endpoint: Endpoint,
        pred: impl Fn(&Call) -> bool,
        timeout: Duration,
    ) -> Option<Call> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changed = self.shared().calls_changed.subscribe();
        let mut epoch = None;
        let mut next = 0;
        let mut unfinished: Vec<usize> = Vec::new();
        loop {
            changed.borrow_and_update();
            let candidates: Vec<(usize, Call)> = {
                let state = self.shared().lock();
                if epoch != Some(state.calls_epoch) {
                    epoch = Some(state.calls_epoch);
                    next = 0;
                    unfinished.clear();
                }
                let fresh = next..state.calls.len();
                next = state.calls.len();
                unfinished
                    .drain(..)
                    .chain(fresh)
                    .filter_map(|i| Some((i, state.calls.get(i)?)))
                    .filter(|(_, c)| c.endpoint == Some(endpoint))
                    .map(|(i, c)| (i, c.clone()))
                    .collect()
            };
            // The predicate runs without the lock so it may use the double.
            for (index, call) in candidates {
                if pred(&call) {
                    return Some(call);
                }
                if !call.finished() {
                    unfinished.push(index);
                }
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) | Err(_) => return None,
            }
        }
    }

    /// Makes the next `times` calls (`None`: every call until
    /// [`clear_failures`](Self::clear_failures)) to `endpoint` fail as given. Rules are tried
    /// in the order they were added. Injected failures come before any validation.
    pub fn fail(&self, endpoint: Endpoint, failure: Failure, times: Option<u32>) {
        if times == Some(0) {
            return;
        }
        self.shared().lock().failures.push(FailureRule {
            endpoint,
            failure,
            remaining: times,
        });
    }

    /// Removes every failure rule added by [`fail`](Self::fail).
    pub fn clear_failures(&self) {
        self.shared().lock().failures.clear();
    }

    /// How long [`Failure::Timeout`] holds a request (default [`DEFAULT_HOLD`]); make it
    /// longer than the client's timeout.
    pub fn set_hold(&self, hold: Duration) {
        self.shared().lock().hold = hold;
    }

    /// Makes every request take `latency` before it is served (a slow gateway that still
    /// answers); `Duration::ZERO` (the default) answers at once.
    pub fn set_latency(&self, latency: Duration) {
        self.shared().lock().latency = latency;
    }

    /// How long transactions created from now on stay payable (default
    /// [`DEFAULT_VALIDITY`]); `Duration::ZERO` makes them expire at once.
    pub fn set_validity(&self, validity: Duration) {
        self.shared().lock().validity = validity;
    }

    /// Whether the project is a sandbox (default `true`); production projects answer the
    /// simulate endpoint with 403.
    pub fn set_sandbox(&self, sandbox: bool) {
        self.shared().lock().sandbox = sandbox;
    }

    /// Where webhooks are POSTed (the project's webhook URL in Pakasir's dashboard).
    pub fn set_webhook_url(&self, url: impl Into<String>) {
        self.shared().lock().webhook_url = Some(url.into());
    }

    /// Stops sending webhooks (no URL configured).
    pub fn clear_webhook_url(&self) {
        self.shared().lock().webhook_url = None;
    }

    /// A transaction the double holds, expiry applied; `None` if it never created it.
    pub fn transaction(&self, order_id: &str) -> Option<Transaction> {
        let mut state = self.shared().lock();
        let tx = state.transactions.get_mut(order_id)?;
        tx.refresh(Utc::now());
        Some(tx.clone())
    }

    /// Every transaction the double holds, expiry applied, in no particular order.
    pub fn transactions(&self) -> Vec<Transaction> {
        let now = Utc::now();
        let mut state = self.shared().lock();
        state
            .transactions
            .values_mut()
            .map(|tx| {
                tx.refresh(now);
                tx.clone()
            })
            .collect()
    }

    /// The customer pays: a pending transaction becomes completed and the webhook is queued
    /// (if a URL is set). Returns false, changing nothing, if it is unknown or not pending.
    pub fn complete(&self, order_id: &str) -> bool {
        let shared = self.shared();
        let mut state = shared.lock();
        shared.complete(&mut state, order_id)
    }

    /// The payment window closes: a pending transaction becomes expired (no webhook, like
    /// the gateway). Returns false if it is unknown or not pending.
    pub fn expire(&self, order_id: &str) -> bool {
        let mut state = self.shared().lock();
        let Some(tx) = state.transactions.get_mut(order_id) else {
            return false;
        };
        tx.refresh(Utc::now());
        if tx.status != TxState::Pending {
            return false;
        }
        tx.status = TxState::Expired;
        true
    }

    /// Replays the webhook of `order_id`: the last one sent for it, or one built from its
    /// current state if none was. Returns whether a webhook was queued (false: unknown order
    /// or no URL).
    pub fn fire_webhook(&self, order_id: &str) -> bool {
        let shared = self.shared();
        let mut state = shared.lock();
        let body = match state.last_webhook.get(order_id) {
            Some(body) => body.clone(),
            None => {
                let now = Utc::now();
                let project = state.project.clone();
                let Some(tx) = state.transactions.get_mut(order_id) else {
                    return false;
                };
                tx.refresh(now);
                json!({
                    "amount": tx.amount,
                    "order_id": tx.order_id,
                    "project": project,
                    "status": tx.status.as_str(),
                    "payment_method": tx.payment_method,
                    "completed_at": tx.completed_at.map(format_time),
                })
            }
        };
        shared.queue_webhook(&state, order_id, body, false)
    }

    /// Sends a webhook claiming `order_id` was paid `amount` Rupiah by QRIS, for this
    /// project, without changing the double's state (detail still says what it said) — what
    /// an attacker can do, since webhooks carry no signature. Returns whether it was queued.
    pub fn fire_forged_webhook(&self, order_id: &str, amount: i64) -> bool {
        let shared = self.shared();
        let state = shared.lock();
        let body = json!({
            "amount": amount,
            "order_id": order_id,
            "project": state.project,
            "status": "completed",
            "payment_method": "qris",
            "completed_at": format_time(Utc::now()),
        });
        shared.queue_webhook(&state, order_id, body, true)
    }

    /// The webhooks delivered (or attempted) so far, in order.
    pub fn webhooks(&self) -> Vec<WebhookDelivery> {
        self.shared().lock().webhooks.clone()
    }

    /// Waits until a delivered webhook satisfying `pred` has been recorded (earlier ones
    /// count) and returns it, or `None` once `timeout` has passed. Event-driven; needs a
    /// tokio runtime with timers.
    pub async fn wait_for_webhook(
        &self,
        pred: impl Fn(&WebhookDelivery) -> bool,
        timeout: Duration,
    ) -> Option<WebhookDelivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changed = self.shared().webhooks_changed.subscribe();
        let mut next = 0;
        loop {
            changed.borrow_and_update();
            let fresh: Vec<WebhookDelivery> = {
                let state = self.shared().lock();
                let fresh = state.webhooks[next.min(state.webhooks.len())..].to_vec();
                next = state.webhooks.len();
                fresh
            };
            if let Some(found) = fresh.into_iter().find(|d| pred(d)) {
                return Some(found);
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) | Err(_) => return None,
            }
        }
    }

    /// Stops the server (idempotent): held requests let go, pending requests and queued
    /// webhooks are cut off. Also done when the last handle is dropped.
    pub fn stop(&self) {
        stop_server(&self.inner.shared, &self.inner.server);
    }
}

/// POSTs queued webhooks one at a time, recording each outcome.
async fn deliver_webhooks(shared: Arc<Shared>, mut jobs: mpsc::UnboundedReceiver<WebhookJob>) {
    while let Some(job) = jobs.recv().await {
        // A client per delivery: no pooled connection outlives a receiver that restarted.
        let result = match reqwest::Client::builder().timeout(WEBHOOK_TIMEOUT).build() {
            Ok(client) => client.post(&job.url).json(&job.body).send().await,
            Err(e) => Err(e),
        };
        let (status, error) = match result {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        shared.lock().webhooks.push(WebhookDelivery {
            order_id: job.order_id,
            url: job.url,
            body: job.body,
            forged: job.forged,
            status,
            error,
            at: Instant::now(),
        });
        shared.notify_webhooks();
    }
}

fn stop_server(shared: &Shared, server: &Mutex<Option<(ServerHandle, JoinHandle<()>)>>) {
    shared.stopping.send_replace(true);
    let taken = server.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some((handle, thread)) = taken {
        // The stop command is sent eagerly; the returned future only waits.
        drop(handle.stop(false));
        let _ = thread.join();
    }
}

impl std::fmt::Debug for PakasirDouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PakasirDouble")
            .field("base_url", &self.inner.base_url)
            .finish_non_exhaustive()
    }
}
