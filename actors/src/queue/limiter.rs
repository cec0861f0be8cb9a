//! The one rate limiter every outbound Telegram send passes: a global budget
//! (`TELEGRAM_SEND_RATE`, default 25/s, leaving headroom under Telegram's ~30/s for interactive
//! replies), at most one message per second per chat, and a global pause after a 429 for
//! exactly the `retry_after` Telegram asked for.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

/// Spacing between two messages to one chat. Telegram allows about one per second; the margin
/// absorbs network jitter so two sends never arrive closer than a second.
pub const PER_CHAT_INTERVAL: Duration = Duration::from_millis(1050);

/// See the module docs.
pub struct SendLimiter {
    global: DefaultDirectRateLimiter,
    per_chat: DefaultKeyedRateLimiter<i64>,
    paused_until: Mutex<Option<Instant>>,
    clock: DefaultClock,
}

impl SendLimiter {
    /// A limiter with `per_second` sends overall. Bursts are not allowed: sends are spaced
    /// evenly, so no one-second window ever holds more than the budget (+1).
    pub fn new(per_second: u32) -> SendLimiter {
        let per_second = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let global =
            RateLimiter::direct(Quota::per_second(per_second).allow_burst(NonZeroU32::MIN));
        let per_chat = RateLimiter::keyed(
            Quota::with_period(PER_CHAT_INTERVAL)
                .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)),
        );
        SendLimiter {
            global,
            per_chat,
            paused_until: Mutex::new(None),
            clock: DefaultClock::default(),
        }
    }

    /// Waits until a message to `chat_id` may go out, then takes the slot. The per-chat slot is
    /// taken first so a busy chat does not burn global capacity while it waits.
    pub async fn acquire(&self, chat_id: i64) {
        loop {
            let wait = self.paused_for();
            if wait.is_zero() {
                break;
            }
            tokio::time::sleep(wait).await;
        }
        loop {
            match self.per_chat.check_key(&chat_id) {
                Ok(()) => break,
                Err(not_until) => {
                    tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await
                }
            }
        }
        loop {
            match self.global.check() {
                Ok(()) => break,
                Err(not_until) => {
                    tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await
                }
            }
        }
    }

    /// Stops every send for `retry_after` (Telegram's 429 applies to the whole bot).
    pub fn pause_for(&self, retry_after: Duration) {
        let until = Instant::now() + retry_after;
        if let Ok(mut p) = self.paused_until.lock() {
            *p = Some(p.map_or(until, |cur| cur.max(until)));
        }
    }

    fn paused_for(&self) -> Duration {
        let Ok(p) = self.paused_until.lock() else {
            return Duration::ZERO;
        };
        p.map(|until| until.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::ZERO)
    }

    /// Forgets per-chat state of chats idle for long (keeps memory flat across big broadcasts).
    pub fn forget_idle_chats(&self) {
        self.per_chat.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real time: the limiter's clock is the monotonic clock. Only lower bounds are asserted
    // (what the limiter guarantees); upper bounds are loose so a busy machine cannot fail them.
    #[tokio::test]
    async fn spaces_sends_globally_and_per_chat() {
        let limiter = SendLimiter::new(10);
        let start = Instant::now();
        // Ten different chats: one every 100 ms.
        for chat in 0..10 {
            limiter.acquire(chat).await;
        }
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(850) && elapsed < Duration::from_secs(5),
            "{elapsed:?}"
        );
        // The same chat twice: a second apart.
        let t = Instant::now();
        limiter.acquire(42).await;
        limiter.acquire(42).await;
        assert!(
            t.elapsed() >= PER_CHAT_INTERVAL - Duration::from_millis(5),
            "{:?}",
            t.elapsed()
        );
    }

    #[tokio::test]
    async fn a_pause_holds_every_send_for_exactly_retry_after() {
        let limiter = SendLimiter::new(25);
        limiter.pause_for(Duration::from_millis(300));
        let t = Instant::now();
        limiter.acquire(1).await;
        assert!(
            t.elapsed() >= Duration::from_millis(300) && t.elapsed() < Duration::from_secs(5),
            "{:?}",
            t.elapsed()
        );
    }
}
