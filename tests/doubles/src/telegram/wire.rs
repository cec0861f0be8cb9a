//! The HTTP side: request paths and bodies in, Bot API JSON answers out.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{Map, Value, json};

use super::methods::{self, ApiError};
use super::{Call, Failure, Shared};

/// Serves every request: `/bot<TOKEN>/<method>`, anything else is a 404.
pub(crate) async fn handle(
    req: HttpRequest,
    body: Bytes,
    shared: web::Data<Shared>,
) -> HttpResponse {
    let Some((token, method_sent)) = split_path(req.path()) else {
        return reply(&ApiError::new(404, "Not Found"));
    };
    let params = match parse_params(&req, &body) {
        Ok(params) => params,
        Err(description) => return reply(&ApiError::new(400, description)),
    };
    let spec = methods::find(&method_sent);
    let method = spec.map_or(method_sent, |s| s.name.to_owned());

    let (epoch, index) = {
        let mut state = shared.lock();
        state.calls.push(Call {
            token: token.clone(),
            method: method.clone(),
            params: params.clone(),
            at: Instant::now(),
            response: None,
        });
        (state.calls_epoch, state.calls.len() - 1)
    };
    shared.notify_calls();

    // A Bot API far away: the request travels, is served, the answer travels back.
    let latency = if method.eq_ignore_ascii_case("getUpdates") {
        std::time::Duration::ZERO
    } else {
        shared.lock().latency
    };
    if !latency.is_zero() {
        actix_web::rt::time::sleep(latency / 2).await;
    }
    let outcome = serve(&shared, &token, spec, &method, &params).await;
    if !latency.is_zero() {
        actix_web::rt::time::sleep(latency - latency / 2).await;
    }
    let (status, body) = match outcome {
        Some(Ok(result)) => (200, json!({"ok": true, "result": result})),
        Some(Err(error)) => (error.code, error.body()),
        None => return dropped_connection(),
    };
    {
        let mut state = shared.lock();
        // clear_calls may have emptied the list meanwhile: the call is gone.
        if state.calls_epoch == epoch
            && let Some(call) = state.calls.get_mut(index)
        {
            call.response = Some(body.clone());
        }
    }
    shared.notify_calls();
    json_response(status, &body)
}

/// Runs the checks Telegram runs before a method, then the method.
/// `None` means the connection is to be dropped.
async fn serve(
    shared: &Shared,
    token: &str,
    spec: Option<&'static methods::MethodSpec>,
    method: &str,
    params: &Value,
) -> Option<Result<Value, ApiError>> {
    let valid = shared.lock().valid_token.clone();
    if valid.is_some_and(|valid| valid != token) {
        return Some(Err(ApiError::new(401, "Unauthorized")));
    }
    let Some(spec) = spec else {
        return Some(Err(ApiError::new(404, "Not Found: method not found")));
    };
    if let Some(failure) = shared.take_failure(method) {
        return match failure {
            Failure::Drop => None,
            Failure::Status(code) => Some(Err(ApiError::new(code, reason_phrase(code)))),
            Failure::RetryAfter(seconds) => Some(Err(ApiError::retry_after(seconds))),
            Failure::Error(code, description) => Some(Err(ApiError::new(code, description))),
        };
    }
    Some(methods::run(shared, token, spec, params).await)
}

fn reason_phrase(code: u16) -> String {
    StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
        .to_owned()
}

fn reply(error: &ApiError) -> HttpResponse {
    json_response(error.code, &error.body())
}

fn json_response(status: u16, body: &Value) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .content_type("application/json")
        .body(body.to_string())
}

/// A response whose body fails before anything is written: actix-http then
/// closes the connection without flushing even the status line, so the client
/// sees the connection closed with no answer.
fn dropped_connection() -> HttpResponse {
    let body = futures_util::stream::once(async {
        Err::<Bytes, _>(std::io::Error::other("Failure::Drop"))
    });
    HttpResponse::Ok().streaming(body)
}

/// `/bot<TOKEN>/<method>` → (token, method), percent-decoded.
fn split_path(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix("/bot")?;
    let (token, method) = rest.rsplit_once('/')?;
    if token.is_empty() || method.is_empty() || token.contains('/') {
        return None;
    }
    Some((percent_decode(token), percent_decode(method)))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && i + 3 <= bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query string, then the body (JSON, urlencoded or multipart) on top.
fn parse_params(req: &HttpRequest, body: &[u8]) -> Result<Value, String> {
    let mut params = Map::new();
    for (k, v) in parse_urlencoded(req.query_string())? {
        params.insert(k, Value::String(v));
    }
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let blank = body.iter().all(u8::is_ascii_whitespace);
    match mime.as_str() {
        _ if blank => {}
        "application/json" => {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(map)) => params.extend(map),
                // Telegram ignores a JSON body that is not an object.
                Ok(_) => {}
                Err(_) => return Err("Bad Request: can't parse JSON object".into()),
            }
        }
        "multipart/form-data" => {
            let boundary = boundary(&content_type)
                .ok_or("Bad Request: can't parse multipart/form-data: no boundary")?;
            params.extend(multipart_params(body, &boundary)?);
        }
        _ => {
            let text = std::str::from_utf8(body).map_err(|_| "Bad Request: invalid UTF-8")?;
            for (k, v) in parse_urlencoded(text)? {
                params.insert(k, Value::String(v));
            }
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
        .map_err(|e| format!("Bad Request: can't parse parameters: {e}"))
}

fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn parse_multipart(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    const BAD: &str = "Bad Request: can't parse multipart/form-data";
    let delimiter = format!("--{boundary}").into_bytes();
    let next_delimiter = format!("\r\n--{boundary}").into_bytes();
    let mut pos = find(body, &delimiter, 0).ok_or(BAD)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        pos = find(body, b"\r\n", pos).ok_or(BAD)? + 2;
        let headers_end = find(body, b"\r\n\r\n", pos).ok_or(BAD)?;
        let headers = String::from_utf8_lossy(&body[pos..headers_end]).into_owned();
        let data_start = headers_end + 4;
        let data_end = find(body, &next_delimiter, data_start).ok_or(BAD)?;
        let mut part = Part {
            name: String::new(),
            file_name: None,
            content_type: None,
            data: body[data_start..data_end].to_vec(),
        };
        for line in headers.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("content-disposition") {
                for (k, v) in disposition_params(value) {
                    match k.as_str() {
                        "name" => part.name = v,
                        "filename" => part.file_name = Some(v),
                        _ => {}
                    }
                }
            } else if name.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_owned());
            }
        }
        parts.push(part);
        pos = data_end + next_delimiter.len();
    }
}

/// `form-data; name="a"; filename="b.jpg"` → [(name, a), (filename, b.jpg)].
fn disposition_params(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    // Skip the disposition type.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ';') {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ';' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() {
            return out;
        }
        let mut val = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => val.extend(chars.next()),
                        c => val.push(c),
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ';' {
                        break;
                    }
                    val.push(c);
                    chars.next();
                }
            }
        }
        out.push((key.trim().to_ascii_lowercase(), val.trim().to_owned()));
    }
}

/// An uploaded file's bytes as lowercase hex, so tests can read what the bot sent (a chart's
/// PNG signature, an export's CSV).
fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Multipart parts as recorded params; `attach://` references resolved.
fn multipart_params(body: &[u8], boundary: &str) -> Result<Map<String, Value>, String> {
    let parts = parse_multipart(body, boundary)?;
    let mut params = Map::new();
    for part in &parts {
        let value = match &part.file_name {
            Some(file_name) => json!({
                "file_name": file_name,
                "size": part.data.len(),
                "content_type": part.content_type,
                "data_hex": hex(&part.data),
            }),
            None => Value::String(String::from_utf8_lossy(&part.data).into_owned()),
        };
        params.insert(part.name.clone(), value);
    }
    let mut attached = Vec::new();
    for value in params.values_mut() {
        if let Some(target) = value.as_str().and_then(|s| s.strip_prefix("attach://"))
            && let Some(part) = parts.iter().find(|p| p.name == target)
            && part.file_name.is_some()
        {
            attached.push(part.name.clone());
            *value = json!({
                "file_name": part.file_name,
                "size": part.data.len(),
                "content_type": part.content_type,
                "data_hex": hex(&part.data),
            });
        }
    }
    for name in attached {
        params.remove(&name);
    }
    Ok(params)
}

pub(crate) fn param_str(params: &Value, name: &str) -> Option<String> {
    match params.get(name)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

pub(crate) fn param_i64(params: &Value, name: &str) -> Option<i64> {
    match params.get(name)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

pub(crate) fn param_bool(params: &Value, name: &str) -> Option<bool> {
    match params.get(name)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim() {
            "true" | "True" | "1" => Some(true),
            "false" | "False" | "0" | "" => Some(false),
            _ => None,
        },
        Value::Number(n) => Some(n.as_i64() != Some(0)),
        _ => None,
    }
}

pub(crate) fn param_json(params: &Value, name: &str) -> Option<Value> {
    match params.get(name)? {
        Value::Null => None,
        Value::String(s) => {
            Some(serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone())))
        }
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_is_split_and_decoded() {
        assert_eq!(
            split_path("/bot123:AB%3Ac/sendMessage"),
            Some(("123:AB:c".into(), "sendMessage".into()))
        );
        assert_eq!(split_path("/file/bot1:a/x"), None);
        assert_eq!(split_path("/bot1:a/"), None);
    }

    #[test]
    fn multipart_resolves_attach_references() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n--XX\r\nContent-Disposition: form-data; name=\"photo\"\r\n\r\nattach://abc\r\n--XX\r\nContent-Disposition: form-data; name=\"abc\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\x01\x02\r\n\x03\r\n--XX--\r\n";
        let params = Value::Object(multipart_params(body, "XX").unwrap());
        assert_eq!(params["chat_id"], "42");
        assert_eq!(
            params["photo"],
            json!({"file_name": "p.jpg", "size": 5, "content_type": "image/jpeg", "data_hex": "01020d0a03"})
        );
        assert!(params.get("abc").is_none());
    }
}
