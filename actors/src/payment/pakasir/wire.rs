//! What travels on the wire to and from Pakasir: tolerant readers for its answers, the webhook
//! body, its timestamps and the fee estimate.
//!
//! Pakasir's answers are read field by field from a `serde_json::Value` rather than through
//! strict structs, because the gateway adds fields over time and sends numbers as strings now
//! and then; neither may break a payment (SPEC §5: unknown fields from Pakasir must not break
//! anything).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::{Created, Detail, PakasirError, PaymentMethod, TxStatus};

/// The body Pakasir POSTs to our webhook when a payment completes.
///
/// It carries no signature, so it is only a trigger: the receiver checks `project`, looks the
/// order up and confirms with [`PakasirClient::detail`](super::PakasirClient::detail) using the
/// amount *it* stored before completing anything (SPEC §4). Parsed tolerantly: unknown fields
/// are ignored and `amount` may be a number or a numeric string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookPayload {
    /// The base amount in whole Rupiah, as the gateway reports it (compare it with the stored
    /// amount; never trust it on its own).
    #[serde(deserialize_with = "whole_rupiah")]
    pub amount: i64,
    /// Our order id for the payment attempt — the only key Pakasir has.
    #[serde(deserialize_with = "text")]
    pub order_id: String,
    /// The project slug; a webhook for another project is not ours.
    #[serde(deserialize_with = "text")]
    pub project: String,
    /// The status the gateway claims, normally `completed`.
    #[serde(deserialize_with = "text")]
    pub status: String,
    /// How the customer paid (`qris`, a VA method), when sent.
    #[serde(default, deserialize_with = "optional_text")]
    pub payment_method: Option<String>,
    /// When the payment completed, as sent (see [`WebhookPayload::completed_at_time`]).
    #[serde(default, deserialize_with = "optional_text")]
    pub completed_at: Option<String>,
}

impl WebhookPayload {
    /// The claimed status as a [`TxStatus`], so callers need not compare spellings.
    pub fn tx_status(&self) -> TxStatus {
        TxStatus::from_wire(&self.status)
    }

    /// `completed_at` parsed with [`parse_time`]; `None` when missing or unreadable.
    pub fn completed_at_time(&self) -> Option<DateTime<Utc>> {
        self.completed_at.as_deref().and_then(parse_time)
    }
}

/// Parses a webhook body. Unknown fields are ignored and numbers may be strings; a body that
/// is not a JSON object with `amount`, a non-empty `order_id`, `project` and `status` is
/// [`PakasirError::Malformed`] (answer it with a 4xx; the reconciliation poller still finds a
/// real payment).
pub fn parse_webhook(body: &[u8]) -> Result<WebhookPayload, PakasirError> {
    let payload: WebhookPayload = serde_json::from_slice(body)
        .map_err(|e| PakasirError::Malformed(format!("webhook body: {e}")))?;
    if payload.order_id.trim().is_empty() {
        return Err(PakasirError::Malformed(
            "webhook body: empty order_id".into(),
        ));
    }
    Ok(payload)
}

/// The QRIS fee Pakasir is expected to charge on `amount`: `ceil(0.7 % × amount) + 310`
/// (99 000 → 1 003; 30 000 → 520).
///
/// Only an estimate to show *before* the transaction exists; once created, show the gateway's
/// own `fee` / `total_payment` ([`Created`]), since the gateway's tariff may change. Amounts
/// below zero are treated as zero.
pub fn estimate_qris_fee(amount: i64) -> i64 {
    let amount = i128::from(amount.max(0));
    let percent = (amount * 7 + 999) / 1000;
    i64::try_from(percent + 310).unwrap_or(i64::MAX)
}

/// Parses a Pakasir timestamp tolerantly: RFC 3339 with any number of fraction digits (the
/// gateway sends nanoseconds, `2025-09-19T01:18:49.678622564Z`), with `Z` or an offset
/// (`+07:00`, `+0700`), with `T` or a space between date and time; a time without any zone is
/// taken as UTC. `None` for anything else — callers then treat the time as unknown rather than
/// invent one (expiries are never hard-coded).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let mut normalized = s.to_owned();
    if normalized.len() > 10 && matches!(normalized.as_bytes()[10], b' ' | b't') {
        normalized.replace_range(10..11, "T");
    }
    if normalized.ends_with('z') {
        normalized.pop();
        normalized.push('Z');
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(&normalized) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(&normalized, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(&normalized, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// Reads a create answer: `{"payment":{..}}`.
pub fn parse_created(
    body: &[u8],
    method: &PaymentMethod,
    order_id: &str,
    amount: i64,
) -> Result<Created, PakasirError> {
    let value = json(body)?;
    let Some(payment) = value.get("payment").and_then(Value::as_object) else {
        return Err(no_object(&value, "payment"));
    };
    let answered_order = opt_text(payment, "order_id")?;
    if answered_order.as_deref().is_some_and(|o| o != order_id) {
        return Err(PakasirError::Malformed(
            "the create answer names another order_id".into(),
        ));
    }
    Ok(Created {
        order_id: order_id.to_owned(),
        project: opt_text(payment, "project")?,
        amount: opt_int(payment, "amount")?.unwrap_or(amount),
        fee: opt_int(payment, "fee")?,
        total_payment: opt_int(payment, "total_payment")?,
        payment_method: opt_text(payment, "payment_method")?
            .unwrap_or_else(|| method.as_str().to_owned()),
        payment_number: opt_text(payment, "payment_number")?,
        expired_at: opt_text(payment, "expired_at")?
            .as_deref()
            .and_then(parse_time),
    })
}

/// Reads a detail answer: `{"transaction":{..}}`. A 2xx without a transaction is a refusal
/// (with the gateway's message) or unreadable — never "not found", which only HTTP 404 means.
pub fn parse_detail(
    body: &[u8],
    order_id: &str,
    amount: i64,
    project: &str,
) -> Result<Detail, PakasirError> {
    let value = json(body)?;
    let Some(tx) = value.get("transaction").and_then(Value::as_object) else {
        return Err(no_object(&value, "transaction"));
    };
    let answered_order = opt_text(tx, "order_id")?;
    if answered_order.as_deref().is_some_and(|o| o != order_id) {
        return Err(PakasirError::Malformed(
            "the detail answer names another order_id".into(),
        ));
    }
    let Some(status) = opt_text(tx, "status")? else {
        return Err(PakasirError::Malformed(
            "the detail answer has no status".into(),
        ));
    };
    Ok(Detail {
        order_id: order_id.to_owned(),
        amount: opt_int(tx, "amount")?.unwrap_or(amount),
        project: opt_text(tx, "project")?.unwrap_or_else(|| project.to_owned()),
        status: TxStatus::from_wire(&status),
        payment_method: opt_text(tx, "payment_method")?,
        completed_at: opt_text(tx, "completed_at")?
            .as_deref()
            .and_then(parse_time),
    })
}

/// The gateway's own words from an error body (`error`, `message`, `msg`, `detail`), or the
/// start of a non-JSON body. Never longer than [`EXCERPT_CHARS`].
pub(super) fn error_text(body: &[u8]) -> String {
    let message = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| error_message(&v));
    excerpt(&message.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned()))
}

/// How much of a gateway body an error keeps: enough to diagnose, not a whole HTML page.
pub(super) const EXCERPT_CHARS: usize = 200;

/// The first [`EXCERPT_CHARS`] characters of `s`, whitespace collapsed.
pub(super) fn excerpt(s: &str) -> String {
    let collapsed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = collapsed.chars().take(EXCERPT_CHARS).collect();
    if collapsed.chars().count() > EXCERPT_CHARS {
        out.push('…');
    }
    out
}

fn json(body: &[u8]) -> Result<Value, PakasirError> {
    serde_json::from_slice(body).map_err(|_| {
        PakasirError::Malformed(format!(
            "the answer is not JSON: {}",
            excerpt(&String::from_utf8_lossy(body))
        ))
    })
}

/// A 2xx without the expected object: the gateway's message means it refused (`Rejected`),
/// otherwise we cannot tell what happened (`Malformed`).
fn no_object(value: &Value, key: &str) -> PakasirError {
    match error_message(value) {
        Some(message) => PakasirError::Rejected(excerpt(&message)),
        None => PakasirError::Malformed(format!("the answer has no `{key}` object")),
    }
}

fn error_message(value: &Value) -> Option<String> {
    let obj = value.as_object()?;
    ["error", "message", "msg", "detail", "errors"]
        .iter()
        .find_map(|key| match obj.get(*key)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::Null | Value::Bool(_) | Value::String(_) => None,
            other => Some(other.to_string()),
        })
}

/// A whole number from a JSON number or a numeric string (`"99000"`, `"99000.00"`).
fn int_value(value: &Value) -> Option<i64> {
    fn from_f64(f: f64) -> Option<i64> {
        (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
    }
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().and_then(from_f64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>()
                .ok()
                .or_else(|| s.parse::<f64>().ok().and_then(from_f64))
        }
        _ => None,
    }
}

fn opt_int(obj: &Map<String, Value>, key: &str) -> Result<Option<i64>, PakasirError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(v) => int_value(v)
            .map(Some)
            .ok_or_else(|| PakasirError::Malformed(format!("`{key}` is not a whole number"))),
    }
}

fn opt_text(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, PakasirError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(PakasirError::Malformed(format!("`{key}` is not text"))),
    }
}

fn whole_rupiah<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let value = Value::deserialize(d)?;
    int_value(&value).ok_or_else(|| serde::de::Error::custom("amount is not a whole number"))
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(serde::de::Error::custom("expected text")),
    }
}

fn optional_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(serde::de::Error::custom("expected text")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_estimate_matches_the_observed_examples() {
        assert_eq!(estimate_qris_fee(99_000), 1_003);
        assert_eq!(estimate_qris_fee(30_000), 520);
        assert_eq!(estimate_qris_fee(1), 311);
        assert_eq!(estimate_qris_fee(0), 310);
        assert_eq!(estimate_qris_fee(-5), 310);
    }

    #[test]
    fn numbers_may_be_strings() {
        assert_eq!(int_value(&Value::from("99000")), Some(99_000));
        assert_eq!(int_value(&Value::from("99000.00")), Some(99_000));
        assert_eq!(int_value(&Value::from(99_000.0)), Some(99_000));
        assert_eq!(int_value(&Value::from("99000.5")), None);
        assert_eq!(int_value(&Value::from("abc")), None);
    }

    #[test]
    fn excerpts_are_bounded_on_char_boundaries() {
        let long = "é".repeat(500);
        let e = excerpt(&long);
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
    }
}
