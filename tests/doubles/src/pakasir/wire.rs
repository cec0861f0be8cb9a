//! The HTTP side: Pakasir paths and bodies in, Pakasir JSON answers out.

use std::time::Instant;

use actix_web::http::{Method, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::codes::{self, METHODS};
use super::{Call, Endpoint, Failure, Shared, State, Transaction, TxState};

/// An error answer: `{"error": message}` with an HTTP status.
struct ApiError {
    status: u16,
    message: String,
}

impl ApiError {
    fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

/// What the double does with a request once served.
enum Outcome {
    Json(u16, Value),
    Raw(u16, String),
    Drop,
}

impl From<Result<Value, ApiError>> for Outcome {
    fn from(result: Result<Value, ApiError>) -> Outcome {
        match result {
            Ok(value) => Outcome::Json(200, value),
            Err(e) => Outcome::Json(e.status, json!({ "error": e.message })),
        }
    }
}

/// Serves every request: records it, applies an injected failure, then the endpoint.
pub(crate) async fn handle(
    req: HttpRequest,
    body: Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let path = req.path().to_owned();
    let route = route(req.method(), &path);
    let parsed = parse_params(&req, &body);
    let (epoch, index) = {
        let mut state = shared.lock();
        state.calls.push(Call {
            endpoint: route.as_ref().ok().map(|(endpoint, _)| *endpoint),
            http_method: req.method().to_string(),
            path: path.clone(),
            params: parsed.clone().unwrap_or_else(|_| Value::Object(Map::new())),
            at: Instant::now(),
            finished_at: None,
            status: None,
            response: None,
            dropped: false,
        });
        (state.calls_epoch, state.calls.len() - 1)
    };
    shared.notify_calls();

    let latency = shared.lock().latency;
    if !latency.is_zero() {
        actix_web::rt::time::sleep(latency).await;
    }
    let outcome = match route {
        Err(error) => Err(error).into(),
        Ok((endpoint, method)) => match shared.take_failure(endpoint) {
            Some(Failure::Status(code)) => Err(ApiError::new(code, reason_phrase(code))).into(),
            Some(Failure::Error(code, message)) => Err(ApiError::new(code, message)).into(),
            Some(Failure::Raw(code, text)) => Outcome::Raw(code, text),
            Some(Failure::Drop) => Outcome::Drop,
            Some(Failure::Timeout) => {
                shared.hold().await;
                Outcome::Drop
            }
            Some(Failure::LostResponse) => {
                let _ = serve(&shared, endpoint, method.as_deref(), parsed);
                Outcome::Drop
            }
            None => serve(&shared, endpoint, method.as_deref(), parsed).into(),
        },
    };

    let (status, recorded) = match &outcome {
        Outcome::Json(status, value) => (Some(*status), Some(value.clone())),
        Outcome::Raw(status, text) => (Some(*status), Some(Value::String(text.clone()))),
        Outcome::Drop => (None, None),
    };
    {
        let mut state = shared.lock();
        // clear_calls may have emptied the list meanwhile: the call is gone.
        if state.calls_epoch == epoch
            && let Some(call) = state.calls.get_mut(index)
        {
            call.status = status;
            call.response = recorded;
            call.dropped = status.is_none();
            call.finished_at = Some(Instant::now());
        }
    }
    shared.notify_calls();

    match outcome {
        Outcome::Json(status, value) => response(status, "application/json", value.to_string()),
        Outcome::Raw(status, text) => response(status, "text/html; charset=utf-8", text),
        Outcome::Drop => dropped_connection(),
    }
}

/// Which endpoint a request is for, and create's payment method.
fn route(method: &Method, path: &str) -> Result<(Endpoint, Option<String>), ApiError> {
    let path = path.trim_end_matches('/');
    let (endpoint, payment_method, expected) =
        if let Some(rest) = path.strip_prefix("/api/transactioncreate/") {
            (Endpoint::Create, Some(rest.to_owned()), Method::POST)
        } else {
            match path {
                "/api/transactiondetail" => (Endpoint::Detail, None, Method::GET),
                "/api/transactioncancel" => (Endpoint::Cancel, None, Method::POST),
                "/api/paymentsimulation" => (Endpoint::Simulate, None, Method::POST),
                _ => return Err(ApiError::new(404, "not found")),
            }
        };
    if *method != expected {
        return Err(ApiError::new(405, "method not allowed"));
    }
    Ok((endpoint, payment_method))
}

fn serve(
    shared: &Shared,
    endpoint: Endpoint,
    method: Option<&str>,
    params: Result<Value, String>,
) -> Result<Value, ApiError> {
    let params = params.map_err(|m| ApiError::new(400, m))?;
    let mut state = shared.lock();
    let args = check_request(&state, &params)?;
    match endpoint {
        Endpoint::Create => create(&mut state, method.unwrap_or(""), args),
        Endpoint::Detail => detail(&mut state, &args),
        Endpoint::Cancel => cancel(&mut state, &args),
        Endpoint::Simulate => simulate(shared, &mut state, &args),
    }
}

struct Args {
    order_id: String,
    amount: i64,
}

/// Authentication, then the order id and amount every endpoint takes.
fn check_request(state: &State, params: &Value) -> Result<Args, ApiError> {
    if param_str(params, "api_key").as_deref() != Some(state.api_key.as_str()) {
        return Err(ApiError::new(401, "invalid api key"));
    }
    if param_str(params, "project").as_deref() != Some(state.project.as_str()) {
        return Err(ApiError::new(403, "project not found"));
    }
    let order_id = param_str(params, "order_id")
        .filter(|o| !o.trim().is_empty())
        .ok_or_else(|| ApiError::new(400, "order_id is required"))?;
    let amount = param_i64(params, "amount")
        .filter(|a| *a > 0)
        .ok_or_else(|| ApiError::new(400, "amount must be a positive whole number"))?;
    Ok(Args { order_id, amount })
}

fn create(state: &mut State, method: &str, args: Args) -> Result<Value, ApiError> {
    if !METHODS.contains(&method) {
        return Err(ApiError::new(
            400,
            format!("unsupported payment method: {method}"),
        ));
    }
    if state.transactions.contains_key(&args.order_id) {
        return Err(ApiError::new(400, "order_id already exists"));
    }
    let fee = codes::fee(method, args.amount);
    let total_payment = args.amount + fee;
    let payment_number = if method == "qris" {
        codes::qris_payload(&args.order_id, total_payment)
    } else {
        let serial = state.next_serial;
        state.next_serial += 1;
        codes::va_number(method, serial)
    };
    let now = Utc::now();
    let validity = chrono::Duration::from_std(state.validity).unwrap_or(chrono::Duration::MAX);
    let expired_at = now.checked_add_signed(validity).unwrap_or(now);
    let tx = Transaction {
        order_id: args.order_id.clone(),
        amount: args.amount,
        fee,
        total_payment,
        payment_method: method.to_owned(),
        payment_number,
        status: TxState::Pending,
        created_at: now,
        expired_at,
        completed_at: None,
    };
    let answer = json!({
        "payment": {
            "project": state.project,
            "order_id": tx.order_id,
            "amount": tx.amount,
            "fee": tx.fee,
            "total_payment": tx.total_payment,
            "payment_method": tx.payment_method,
            "payment_number": tx.payment_number,
            "expired_at": codes::format_time(tx.expired_at),
        }
    });
    state.transactions.insert(args.order_id, tx);
    Ok(answer)
}

/// The transaction for `order_id` with exactly `amount`, expiry applied.
fn find<'a>(state: &'a mut State, args: &Args) -> Result<&'a mut Transaction, ApiError> {
    let tx = state
        .transactions
        .get_mut(&args.order_id)
        .filter(|tx| tx.amount == args.amount)
        .ok_or_else(|| ApiError::new(404, "transaction not found"))?;
    tx.refresh(Utc::now());
    Ok(tx)
}

fn detail(state: &mut State, args: &Args) -> Result<Value, ApiError> {
    let project = state.project.clone();
    let tx = find(state, args)?;
    Ok(json!({
        "transaction": {
            "amount": tx.amount,
            "order_id": tx.order_id,
            "project": project,
            "status": tx.status.as_str(),
            "payment_method": tx.payment_method,
            "completed_at": tx.completed_at.map(codes::format_time),
        }
    }))
}

fn cancel(state: &mut State, args: &Args) -> Result<Value, ApiError> {
    let tx = find(state, args)?;
    match tx.status {
        TxState::Pending | TxState::Cancelled => {
            tx.status = TxState::Cancelled;
            Ok(json!({"success": true, "message": "transaction canceled"}))
        }
        TxState::Completed => Err(ApiError::new(400, "transaction already completed")),
        TxState::Expired => Err(ApiError::new(400, "transaction already expired")),
    }
}

fn simulate(shared: &Shared, state: &mut State, args: &Args) -> Result<Value, ApiError> {
    if !state.sandbox {
        return Err(ApiError::new(
            403,
            "payment simulation is only available in sandbox mode",
        ));
    }
    let status = find(state, args)?.status;
    if status != TxState::Pending {
        return Err(ApiError::new(
            400,
            format!("transaction is {}", status.as_str()),
        ));
    }
    shared.complete(state, &args.order_id);
    Ok(json!({"success": true, "message": "payment simulated"}))
}

fn reason_phrase(code: u16) -> String {
    StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
        .to_owned()
}

fn response(status: u16, content_type: &str, body: String) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .content_type(content_type.to_owned())
        .body(body)
}

/// A response whose body fails before anything is written: actix-http then closes the
/// connection without flushing even the status line, so the client sees the connection
/// closed with no answer.
fn dropped_connection() -> HttpResponse {
    let body = futures_util::stream::once(async {
        Err::<Bytes, _>(std::io::Error::other(
            "connection dropped by the Pakasir double",
        ))
    });
    HttpResponse::Ok().streaming(body)
}

/// Query string, then the body (JSON or urlencoded) on top.
fn parse_params(req: &HttpRequest, body: &[u8]) -> Result<Value, String> {
    let mut params = Map::new();
    for (k, v) in parse_urlencoded(req.query_string())? {
        params.insert(k, Value::String(v));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(params));
    }
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "application/x-www-form-urlencoded" {
        let text = std::str::from_utf8(body).map_err(|_| "invalid UTF-8 body")?;
        for (k, v) in parse_urlencoded(text)? {
            params.insert(k, Value::String(v));
        }
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => params.extend(map),
            _ => return Err("invalid JSON body".into()),
        }
    }
    Ok(Value::Object(params))
}

fn parse_urlencoded(s: &str) -> Result<Vec<(String, String)>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    web::Query::<Vec<(String, String)>>::from_query(s)
        .map(web::Query::into_inner)
        .map_err(|e| format!("invalid parameters: {e}"))
}

/// A parameter as text: strings as they are, numbers rendered.
pub(crate) fn param_str(params: &Value, name: &str) -> Option<String> {
    match params.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A parameter as a whole number: a JSON integer or a string of digits.
pub(crate) fn param_i64(params: &Value, name: &str) -> Option<i64> {
    match params.get(name)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
