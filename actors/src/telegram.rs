//! The Bot API client. teloxide-core speaks the protocol; `TELEGRAM_API_URL` is its base, so a
//! self-hosted Bot API server or a test double works unchanged.

use std::time::Duration;

use teloxide_core::Bot;

/// Builds a client for `token` against `api_url` (no trailing slash). The HTTP timeout
/// leaves room for long polling.
pub fn bot(api_url: &str, token: &str) -> Result<Bot, String> {
    let url =
        reqwest::Url::parse(api_url).map_err(|e| format!("TELEGRAM_API_URL is not a URL: {e}"))?;
    let client = teloxide_core::net::default_reqwest_settings()
        .timeout(Duration::from_secs(40))
        .build()
        .map_err(|e| format!("building the HTTP client: {e}"))?;
    Ok(Bot::with_client(token, client).set_api_url(url))
}

/// Replaces `secret` wherever it appears in `text`. Bot API URLs carry the token in their path,
/// so any error text that might include a URL goes through this before it is logged.
pub fn redact(text: &str, secret: &str) -> String {
    if secret.len() < 6 {
        return text.to_string();
    }
    text.replace(secret, "[redacted]")
}
