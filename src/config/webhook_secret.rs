//! The Telegram webhook secret, generated once. (Stub: being implemented.)
use super::{Config, Secret};

/// Returns the configured secret, or the one generated earlier, or generates and stores one.
pub fn ensure_webhook_secret(_config: &Config) -> std::io::Result<Secret<String>> {
    todo!()
}
