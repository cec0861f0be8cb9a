//! Hook for Telegram's flood limits — **not enforced yet**.
//!
//! Telegram allows a bot about 30 messages per second overall and about one
//! message per second per chat, answering `429 Too Many Requests: retry after
//! N` past that. [`Limits::check`] is already called (under the state lock)
//! before every method whose [`MethodSpec::rate_limited`] is set, i.e. the
//! `send*` methods; enforcing the limits only needs its body written (e.g. a
//! sliding window of send instants globally and per chat) and a setter on the
//! double to switch it on.
//!
//! [`MethodSpec::rate_limited`]: super::methods::MethodSpec

use std::time::Instant;

/// The flood limits to enforce; the default enforces none.
#[derive(Clone, Debug, Default)]
pub(crate) struct Limits {}

impl Limits {
    /// Called before a rate-limited method is served for `chat_id` at `now`.
    /// `Err(retry_after_seconds)` makes the double answer 429 instead.
    pub(crate) fn check(&mut self, _chat_id: Option<i64>, _now: Instant) -> Result<(), u32> {
        Ok(())
    }
}
