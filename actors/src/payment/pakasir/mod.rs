//! The Pakasir gateway client (SPEC §4): create, detail, cancel and simulate, plus the
//! webhook body, timestamps and the fee estimate.
//!
//! Two rules shape it:
//!
//! * **The api key is a secret that travels in a URL** (`transactiondetail` takes it in the
//!   query string). So no URL ever reaches an error or a log line: reqwest errors are stripped
//!   with `without_url`, and every text taken from the gateway is scrubbed of the key too.
//! * **`create` is never re-sent blindly.** When a create fails unclearly (timeout, dropped
//!   connection, 5xx, unreadable answer) the gateway may well have created the transaction;
//!   sending it again would fail ("order exists") or, worse, be taken twice. So the client asks
//!   `detail` for the same `order_id` first and only re-sends when the gateway says it does not
//!   know the order.
//!
//! Other calls are retried on transient errors, at most [`PakasirConfig::max_attempts`] times
//! with a short pause between attempts.

mod wire;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use autoorder_schema::secret::Secret;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::log_targets::PAYMENT;

pub use wire::{WebhookPayload, estimate_qris_fee, parse_time, parse_webhook};

/// The answer readers, reachable only for the fuzz targets and property tests
/// (`autoorder::fuzzing`, docs/FUZZING.md).
#[doc(hidden)]
pub mod fuzzing {
    pub use super::wire::{parse_created, parse_detail};
}

/// Pakasir's production API (`PAKASIR_BASE_URL` default); tests point at a double instead.
pub const DEFAULT_BASE_URL: &str = "https://app.pakasir.com";

/// Per-request timeout unless configured otherwise: long enough for a slow gateway, short
/// enough that a customer waiting for a QR code gets an answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// Attempts per call unless configured otherwise: rides out a blip without hammering a
/// gateway that is down.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// Where and as whom the client talks to Pakasir.
#[derive(Clone, Debug)]
pub struct PakasirConfig {
    /// API base URL without a trailing slash (a trailing slash is tolerated and dropped), e.g.
    /// [`DEFAULT_BASE_URL`]; configurable so tests can use a local double.
    pub base_url: String,
    /// The project slug (`PAKASIR_PROJECT_SLUG`); every call names it.
    pub project: String,
    /// The project's api key (`PAKASIR_API_KEY`); kept in a [`Secret`] so it never prints.
    pub api_key: Secret<String>,
    /// Timeout of one HTTP request, connection to last byte (default [`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
    /// How many times one call is sent at most, at least 1 (default
    /// [`DEFAULT_MAX_ATTEMPTS`]).
    pub max_attempts: u32,
}

impl PakasirConfig {
    /// A configuration with the default timeout and attempts, so callers only supply what
    /// differs per deployment.
    pub fn new(
        base_url: impl Into<String>,
        project: impl Into<String>,
        api_key: Secret<String>,
    ) -> PakasirConfig {
        PakasirConfig {
            base_url: base_url.into(),
            project: project.into(),
            api_key,
            timeout: DEFAULT_TIMEOUT,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

/// A payment method: the `{method}` path segment of `transactioncreate`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PaymentMethod {
    /// QRIS, the method the shop uses for orders and top-ups.
    Qris,
    /// Another method by its Pakasir name, e.g. a virtual account (`bni_va`, `bri_va`).
    /// Only `[a-z0-9_]` names are sent; others are refused before any request.
    Other(String),
}

impl PaymentMethod {
    /// The name Pakasir uses: `qris` or the `Other` name.
    pub fn as_str(&self) -> &str {
        match self {
            PaymentMethod::Qris => "qris",
            PaymentMethod::Other(name) => name,
        }
    }

    /// Reads a configured method name (case-insensitive; `qris` becomes [`PaymentMethod::Qris`]).
    pub fn from_name(name: &str) -> PaymentMethod {
        let name = name.trim().to_ascii_lowercase();
        if name == "qris" {
            PaymentMethod::Qris
        } else {
            PaymentMethod::Other(name)
        }
    }

    fn is_sendable(&self) -> bool {
        let name = self.as_str();
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A transaction the gateway has created, as `create` reports it.
///
/// When a create's answer was lost and the transaction was found through `detail` instead,
/// the fields only `create` returns (`fee`, `total_payment`, `payment_number`, `expired_at`)
/// are `None`: show the estimate meanwhile and never invent an expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Created {
    /// The order id the transaction was created under.
    pub order_id: String,
    /// The project the gateway says it created the transaction in, when it says so; compare
    /// it with ours before showing anything.
    pub project: Option<String>,
    /// The base amount in whole Rupiah, as the gateway answered it; compare it with ours
    /// before showing anything.
    pub amount: i64,
    /// The gateway's fee, which the customer pays on top of `amount`.
    pub fee: Option<i64>,
    /// What the customer pays: `amount + fee`, as the gateway computed it.
    pub total_payment: Option<i64>,
    /// The method the gateway created the payment with.
    pub payment_method: String,
    /// The QRIS payload to render as a QR code, or the VA number.
    pub payment_number: Option<String>,
    /// When the gateway stops accepting the payment.
    pub expired_at: Option<DateTime<Utc>>,
}

/// A transaction as `detail` reports it; the only source of truth for completing an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detail {
    /// The order id asked for.
    pub order_id: String,
    /// The base amount the gateway holds, in whole Rupiah.
    pub amount: i64,
    /// The project the transaction belongs to.
    pub project: String,
    /// Where the payment stands.
    pub status: TxStatus,
    /// How the customer paid, once known.
    pub payment_method: Option<String>,
    /// When the payment completed, once it has.
    pub completed_at: Option<DateTime<Utc>>,
}

/// A transaction's status at the gateway.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TxStatus {
    /// Created and waiting for the customer's payment.
    Pending,
    /// Paid: the order may be completed (after checking the amount).
    Completed,
    /// The payment window closed unpaid.
    Expired,
    /// Cancelled by us (`transactioncancel`); the gateway spells it `cancelled` or `canceled`.
    Cancelled,
    /// A status this version does not know, kept verbatim so it can be logged and left open.
    Unknown(String),
}

impl TxStatus {
    /// Reads a status as the gateway spells it (case-insensitive).
    pub fn from_wire(s: &str) -> TxStatus {
        match s.trim().to_ascii_lowercase().as_str() {
            "pending" => TxStatus::Pending,
            "completed" => TxStatus::Completed,
            "expired" => TxStatus::Expired,
            "cancelled" | "canceled" => TxStatus::Cancelled,
            _ => TxStatus::Unknown(s.to_owned()),
        }
    }

    /// A name for logs and messages.
    pub fn as_str(&self) -> &str {
        match self {
            TxStatus::Pending => "pending",
            TxStatus::Completed => "completed",
            TxStatus::Expired => "expired",
            TxStatus::Cancelled => "cancelled",
            TxStatus::Unknown(s) => s,
        }
    }
}

impl fmt::Display for TxStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a Pakasir call failed. No variant ever holds a URL or the api key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PakasirError {
    /// No complete answer within the timeout; the request may or may not have been acted on.
    #[error("Pakasir did not answer in time")]
    Timeout,
    /// The connection failed or broke (refused, reset, closed before the answer); the request
    /// may or may not have been acted on. Never includes a URL.
    #[error("cannot reach Pakasir: {0}")]
    Network(String),
    /// An HTTP status that says nothing clear about the request: 5xx, 408, 429 (transient) or
    /// an unexpected non-2xx. The excerpt is short and scrubbed of the api key.
    #[error("Pakasir answered HTTP {status}: {body_excerpt}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The start of the answer body (or the gateway's error message).
        body_excerpt: String,
    },
    /// The gateway clearly refused the request (a 4xx such as an existing order id or a bad
    /// argument, or an error message in a 2xx); sending it again will not help.
    #[error("Pakasir rejected the request: {0}")]
    Rejected(String),
    /// The gateway refused our credentials (HTTP 401 or 403: a wrong `PAKASIR_API_KEY` or
    /// `PAKASIR_PROJECT_SLUG`). A configuration failure that alerts the owners at once —
    /// never taken for "no such transaction", whatever the message says.
    #[error(
        "Pakasir refused the credentials (check PAKASIR_API_KEY and PAKASIR_PROJECT_SLUG): {0}"
    )]
    Unauthorized(String),
    /// The answer could not be read (not JSON, a missing object or field); what happened is
    /// unknown, so it counts as transient.
    #[error("Pakasir's answer could not be read: {0}")]
    Malformed(String),
    /// The gateway does not know this order id with this amount: HTTP 404, and only that.
    #[error("Pakasir does not know this transaction")]
    NotFound,
    /// The configuration or an argument cannot work (bad base URL, empty key, unusable method
    /// name); nothing was sent.
    #[error("invalid Pakasir configuration: {0}")]
    InvalidConfig(String),
}

impl PakasirError {
    /// Whether trying again later may succeed: timeouts, network errors, 5xx/408/429 and
    /// unreadable answers. Clear refusals, `NotFound` and configuration errors are final.
    pub fn is_transient(&self) -> bool {
        match self {
            PakasirError::Timeout | PakasirError::Network(_) | PakasirError::Malformed(_) => true,
            PakasirError::Status { status, .. } => {
                matches!(status, 408 | 429) || (500..=599).contains(status)
            }
            PakasirError::Rejected(_)
            | PakasirError::Unauthorized(_)
            | PakasirError::NotFound
            | PakasirError::InvalidConfig(_) => false,
        }
    }

    /// Whether our configuration is at fault (credentials refused, or unusable settings):
    /// the owners must act, so this alerts at once instead of after a streak.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            PakasirError::Unauthorized(_) | PakasirError::InvalidConfig(_)
        )
    }
}

/// A Pakasir API client. Cheap to clone (clones share the connection pool); `Debug` shows no
/// api key.
#[derive(Clone)]
pub struct PakasirClient {
    http: reqwest::Client,
    config: Arc<PakasirConfig>,
}

impl fmt::Debug for PakasirClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PakasirClient")
            .field("base_url", &self.config.base_url)
            .field("project", &self.config.project)
            .field("api_key", &self.config.api_key)
            .field("timeout", &self.config.timeout)
            .field("max_attempts", &self.config.max_attempts)
            .finish()
    }
}

/// The body of create, cancel and simulate.
#[derive(Serialize)]
struct TxBody<'a> {
    project: &'a str,
    order_id: &'a str,
    amount: i64,
    api_key: &'a str,
}

impl PakasirClient {
    /// Checks the configuration and builds the HTTP client, so a bad `PAKASIR_BASE_URL` or an
    /// empty key fails at boot rather than at the first payment.
    pub fn new(config: PakasirConfig) -> Result<PakasirClient, PakasirError> {
        let mut config = config;
        let trimmed = config.base_url.trim().trim_end_matches('/').to_owned();
        let url = reqwest::Url::parse(&trimmed)
            .map_err(|e| PakasirError::InvalidConfig(format!("base_url is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(PakasirError::InvalidConfig(
                "base_url must be http(s)".into(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(PakasirError::InvalidConfig(
                "base_url must not have a query or fragment".into(),
            ));
        }
        config.base_url = trimmed;
        if config.project.trim().is_empty() {
            return Err(PakasirError::InvalidConfig("project slug is empty".into()));
        }
        if config.api_key.expose().trim().is_empty() {
            return Err(PakasirError::InvalidConfig("api key is empty".into()));
        }
        if config.timeout.is_zero() {
            return Err(PakasirError::InvalidConfig("timeout is zero".into()));
        }
        if config.max_attempts == 0 {
            return Err(PakasirError::InvalidConfig("max_attempts is zero".into()));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(|e| PakasirError::InvalidConfig(e.without_url().to_string()))?;
        Ok(PakasirClient {
            http,
            config: Arc::new(config),
        })
    }

    /// The configuration in use (base URL normalised), e.g. to check a webhook's `project`.
    pub fn config(&self) -> &PakasirConfig {
        &self.config
    }

    /// An upper bound of how long one [`create`](Self::create) can take with its retries and
    /// the detail calls between them. A payment still `creating` after this (plus a margin)
    /// is not being created any more; before it, closing it would race the create.
    pub fn longest_create(&self) -> Duration {
        let (timeout, max) = (self.config.timeout, self.config.max_attempts);
        // Per attempt: the create, then a detail with its own retries and pauses, then a pause.
        let pauses: Duration = (1..=max).map(|a| self.backoff(a)).sum();
        let per_attempt = timeout + timeout * max + pauses + self.backoff(max);
        per_attempt * max
    }

    /// Pakasir's hosted payment page for one of our transactions (see [`payment_page_url`]).
    pub fn payment_page_url(&self, order_id: &str, amount: i64) -> Result<String, PakasirError> {
        payment_page_url(
            &self.config.base_url,
            &self.config.project,
            amount,
            order_id,
        )
    }

    /// Creates a transaction: `POST /api/transactioncreate/{method}`.
    ///
    /// Never re-sent blindly: after an unclear failure (timeout, connection error, 5xx,
    /// unreadable answer) the client asks [`detail`](Self::detail) for the same order id. If
    /// the gateway knows it as pending or completed, that counts as created and a [`Created`]
    /// built from the detail is returned (`fee`, `total_payment`, `payment_number` and
    /// `expired_at` then `None`); if it knows it in another state, the order id is used up
    /// ([`PakasirError::Rejected`]); only when it answers not-found is the create sent again,
    /// up to `max_attempts` sends. When detail itself cannot answer, the create's error is
    /// returned (transient: the caller must ask detail before trying again). A clear refusal
    /// (4xx) is returned at once.
    pub async fn create(
        &self,
        method: PaymentMethod,
        order_id: &str,
        amount: i64,
    ) -> Result<Created, PakasirError> {
        if !method.is_sendable() {
            return Err(PakasirError::InvalidConfig(format!(
                "payment method {:?} is not a Pakasir method name",
                method.as_str()
            )));
        }
        check_args(order_id, amount)?;
        let max = self.config.max_attempts;
        let mut attempt = 1;
        loop {
            let error = match self.create_once(&method, order_id, amount).await {
                Ok(created) => return Ok(created),
                Err(e) if !e.is_transient() => {
                    // A refusal after an unclear attempt may be "order exists" because that
                    // attempt did land after all.
                    if attempt > 1
                        && let Ok(detail) = self.detail(order_id, amount).await
                        && let Ok(created) = created_from_detail(detail, &method)
                    {
                        return Ok(created);
                    }
                    return Err(e);
                }
                Err(e) => e,
            };
            log::warn!(
                target: PAYMENT,
                "pakasir create {order_id}: attempt {attempt}/{max} failed unclearly ({error}); asking detail before any retry"
            );
            match self.detail(order_id, amount).await {
                Ok(detail) => {
                    log::info!(
                        target: PAYMENT,
                        "pakasir create {order_id}: the gateway has it ({}); not creating again",
                        detail.status
                    );
                    return created_from_detail(detail, &method);
                }
                Err(PakasirError::NotFound) => {}
                Err(detail_error) => {
                    log::warn!(
                        target: PAYMENT,
                        "pakasir create {order_id}: detail cannot tell whether it exists ({detail_error}); not retrying create"
                    );
                    return Err(error);
                }
            }
            if attempt >= max {
                return Err(error);
            }
            tokio::time::sleep(self.backoff(attempt)).await;
            attempt += 1;
        }
    }

    /// Reads a transaction: `GET /api/transactiondetail?project=&amount=&order_id=&api_key=`.
    /// The amount must be the one it was created with (the gateway answers not-found
    /// otherwise), which is what makes detail a safe confirmation of an unsigned webhook.
    /// Transient errors are retried up to `max_attempts` times; not-found maps to
    /// [`PakasirError::NotFound`].
    pub async fn detail(&self, order_id: &str, amount: i64) -> Result<Detail, PakasirError> {
        check_args(order_id, amount)?;
        self.with_retries("detail", order_id, || self.detail_once(order_id, amount))
            .await
    }

    /// Cancels a pending transaction: `POST /api/transactioncancel`. Any 2xx means the request
    /// was accepted; confirm with [`detail`](Self::detail). Retried on transient errors (a
    /// repeated cancel is harmless).
    pub async fn cancel(&self, order_id: &str, amount: i64) -> Result<(), PakasirError> {
        check_args(order_id, amount)?;
        self.with_retries("cancel", order_id, || {
            self.post_accepted("/api/transactioncancel", order_id, amount)
        })
        .await
    }

    /// Asks a sandbox project to pay a transaction: `POST /api/paymentsimulation`; the gateway
    /// then fires the webhook, which exercises the whole completion path without real money.
    /// Retried on transient errors (a repeated webhook is handled idempotently).
    pub async fn simulate(&self, order_id: &str, amount: i64) -> Result<(), PakasirError> {
        check_args(order_id, amount)?;
        self.with_retries("simulate", order_id, || {
            self.post_accepted("/api/paymentsimulation", order_id, amount)
        })
        .await
        .map_err(|e| match e {
            // A production project refuses simulation with 403: a refusal of the action, not
            // of our credentials.
            PakasirError::Unauthorized(m) if m.starts_with("HTTP 403") => PakasirError::Rejected(m),
            other => other,
        })
    }

    async fn create_once(
        &self,
        method: &PaymentMethod,
        order_id: &str,
        amount: i64,
    ) -> Result<Created, PakasirError> {
        let url = format!(
            "{}/api/transactioncreate/{}",
            self.config.base_url,
            method.as_str()
        );
        let (status, body) = self
            .send(self.http.post(url).json(&self.body(order_id, amount)))
            .await?;
        if !(200..300).contains(&status) {
            return Err(self.failure(status, &body));
        }
        wire::parse_created(&body, method, order_id, amount).map_err(|e| self.scrub(e))
    }

    async fn detail_once(&self, order_id: &str, amount: i64) -> Result<Detail, PakasirError> {
        let url = format!("{}/api/transactiondetail", self.config.base_url);
        let amount_text = amount.to_string();
        let query = [
            ("project", self.config.project.as_str()),
            ("amount", amount_text.as_str()),
            ("order_id", order_id),
            ("api_key", self.config.api_key.expose().as_str()),
        ];
        let (status, body) = self.send(self.http.get(url).query(&query)).await?;
        // Classified by status alone: "not found" in a 4xx's text may well be "project not
        // found" (a wrong key), which must never read as "no such transaction".
        if status == 404 {
            return Err(PakasirError::NotFound);
        }
        if !(200..300).contains(&status) {
            return Err(self.failure(status, &body));
        }
        wire::parse_detail(&body, order_id, amount, &self.config.project).map_err(|e| self.scrub(e))
    }

    /// Cancel and simulate: any 2xx is accepted, whatever the body.
    async fn post_accepted(
        &self,
        path: &str,
        order_id: &str,
        amount: i64,
    ) -> Result<(), PakasirError> {
        let url = format!("{}{path}", self.config.base_url);
        let (status, body) = self
            .send(self.http.post(url).json(&self.body(order_id, amount)))
            .await?;
        if (200..300).contains(&status) {
            Ok(())
        } else if status == 404 {
            Err(PakasirError::NotFound)
        } else {
            Err(self.failure(status, &body))
        }
    }

    fn body<'a>(&'a self, order_id: &'a str, amount: i64) -> TxBody<'a> {
        TxBody {
            project: &self.config.project,
            order_id,
            amount,
            api_key: self.config.api_key.expose(),
        }
    }

    /// Sends a request and reads the whole answer; transport errors lose their URL here.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), PakasirError> {
        let response = request.send().await.map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| self.transport(e))?;
        Ok((status, body.to_vec()))
    }

    fn transport(&self, error: reqwest::Error) -> PakasirError {
        if error.is_timeout() {
            return PakasirError::Timeout;
        }
        let error = error.without_url();
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        PakasirError::Network(self.redact(&message))
    }

    /// A non-2xx answer: our credentials refused (401, 403), a clear refusal (other 4xx) or an
    /// unclear status (5xx, 408, 429, other).
    fn failure(&self, status: u16, body: &[u8]) -> PakasirError {
        let text = self.redact(&wire::error_text(body));
        if matches!(status, 401 | 403) {
            PakasirError::Unauthorized(format!("HTTP {status}: {text}"))
        } else if (400..500).contains(&status) && !matches!(status, 408 | 429) {
            PakasirError::Rejected(format!("HTTP {status}: {text}"))
        } else {
            PakasirError::Status {
                status,
                body_excerpt: text,
            }
        }
    }

    /// Removes the api key from text that came from the gateway, in case it echoes a request.
    fn redact(&self, text: &str) -> String {
        let key = self.config.api_key.expose();
        if key.is_empty() {
            text.to_owned()
        } else {
            text.replace(key.as_str(), "[redacted]")
        }
    }

    fn scrub(&self, error: PakasirError) -> PakasirError {
        match error {
            PakasirError::Rejected(m) => PakasirError::Rejected(self.redact(&m)),
            PakasirError::Unauthorized(m) => PakasirError::Unauthorized(self.redact(&m)),
            PakasirError::Malformed(m) => PakasirError::Malformed(self.redact(&m)),
            other => other,
        }
    }

    /// The pause before attempt `attempt + 1`: a tenth of the timeout (at most a second) per
    /// attempt made, so a production retry waits 1 s, 2 s and a test with a short timeout stays
    /// fast.
    fn backoff(&self, attempt: u32) -> Duration {
        (self.config.timeout / 10).min(Duration::from_secs(1)) * attempt
    }

    async fn with_retries<T, F, Fut>(
        &self,
        what: &str,
        order_id: &str,
        mut call: F,
    ) -> Result<T, PakasirError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, PakasirError>>,
    {
        let max = self.config.max_attempts;
        let mut attempt = 1;
        loop {
            match call().await {
                Err(e) if e.is_transient() && attempt < max => {
                    log::warn!(
                        target: PAYMENT,
                        "pakasir {what} {order_id}: attempt {attempt}/{max} failed ({e}); retrying"
                    );
                    tokio::time::sleep(self.backoff(attempt)).await;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }
}

/// Pakasir's hosted payment page: `{base}/pay/{project}/{amount}?order_id={order_id}&qris_only=1`
/// — the page a customer opens on the phone they read the QR on, for the transaction we
/// created with the same order id and (base) amount. `qris_only=1` keeps the page to the
/// method the transaction was created with. Path segments and the query are percent-encoded.
pub fn payment_page_url(
    base_url: &str,
    project: &str,
    amount: i64,
    order_id: &str,
) -> Result<String, PakasirError> {
    check_args(order_id, amount)?;
    let base = base_url.trim().trim_end_matches('/');
    let mut url = reqwest::Url::parse(base)
        .map_err(|e| PakasirError::InvalidConfig(format!("base_url is not a URL: {e}")))?;
    url.path_segments_mut()
        .map_err(|()| PakasirError::InvalidConfig("base_url cannot have a path".into()))?
        .pop_if_empty()
        .extend(["pay", project, &amount.to_string()]);
    url.query_pairs_mut()
        .append_pair("order_id", order_id)
        .append_pair("qris_only", "1");
    Ok(url.into())
}

/// Refuses what the gateway would refuse anyway, without a round trip.
fn check_args(order_id: &str, amount: i64) -> Result<(), PakasirError> {
    if order_id.trim().is_empty() {
        return Err(PakasirError::InvalidConfig("order_id is empty".into()));
    }
    if amount <= 0 {
        return Err(PakasirError::InvalidConfig(format!(
            "amount must be positive, got {amount}"
        )));
    }
    Ok(())
}

/// A create whose answer was lost, recovered from detail: pending or completed counts as
/// created; any other state means the order id is used up.
fn created_from_detail(detail: Detail, method: &PaymentMethod) -> Result<Created, PakasirError> {
    match detail.status {
        TxStatus::Pending | TxStatus::Completed => Ok(Created {
            order_id: detail.order_id,
            project: Some(detail.project),
            amount: detail.amount,
            fee: None,
            total_payment: None,
            payment_method: detail
                .payment_method
                .unwrap_or_else(|| method.as_str().to_owned()),
            payment_number: None,
            expired_at: None,
        }),
        other => Err(PakasirError::Rejected(format!(
            "order_id {} already exists at the gateway as {other}",
            detail.order_id
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hosted_payment_page_has_pakasirs_documented_shape() {
        assert_eq!(
            payment_page_url(
                DEFAULT_BASE_URL,
                "toko-uji",
                99_000,
                "INV-20261121-ABCDEF-1"
            )
            .unwrap(),
            "https://app.pakasir.com/pay/toko-uji/99000?order_id=INV-20261121-ABCDEF-1&qris_only=1"
        );
        // A trailing slash or a path prefix on the base, and characters that need escaping.
        assert_eq!(
            payment_page_url("http://127.0.0.1:8080/gw/", "toko uji", 5, "A&B").unwrap(),
            "http://127.0.0.1:8080/gw/pay/toko%20uji/5?order_id=A%26B&qris_only=1"
        );
        assert!(matches!(
            payment_page_url(DEFAULT_BASE_URL, "p", 0, "INV-1"),
            Err(PakasirError::InvalidConfig(_))
        ));
        assert!(matches!(
            payment_page_url("not a url", "p", 10, "INV-1"),
            Err(PakasirError::InvalidConfig(_))
        ));
    }

    #[test]
    fn the_longest_create_covers_every_attempt_and_the_details_between() {
        let mut config = PakasirConfig::new(
            DEFAULT_BASE_URL,
            "p",
            autoorder_schema::secret::Secret::new("k".to_string()),
        );
        let client = PakasirClient::new(config.clone()).unwrap();
        // 3 attempts of (15 s create + 3 × 15 s detail) plus the pauses.
        let longest = client.longest_create();
        assert!(longest >= Duration::from_secs(180), "{longest:?}");
        assert!(longest <= Duration::from_secs(240), "{longest:?}");
        config.max_attempts = 1;
        config.timeout = Duration::from_secs(2);
        let quick = PakasirClient::new(config).unwrap().longest_create();
        assert!(
            quick >= Duration::from_secs(4) && quick < Duration::from_secs(5),
            "{quick:?}"
        );
    }
}
