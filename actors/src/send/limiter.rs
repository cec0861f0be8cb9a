//! The rate limiter every rate-limited Bot API call of one bot token passes: a global budget
//! (`TELEGRAM_SEND_RATE`, default 25/s, under Telegram's ~30/s), Telegram's per-chat rule
//! (about one message per second with short bursts), a global pause after a 429 for exactly the
//! `retry_after` Telegram asked for, and two lanes — replies take every slot they want, bulk
//! sends (broadcasts) fill what replies leave.
//!
//! Both budgets are GCRA ("virtual scheduling"): a slot is free when the theoretical arrival
//! time minus the tolerance has passed. The global tolerance is one interval, so a timer that
//! wakes late catches up on the next slot instead of losing it (the old no-burst limiter lost
//! ~3 % of the budget that way), while no one-second window ever holds more than the budget + 2.
//! Written by hand rather than with `governor` because the lanes need to look at the state
//! without taking a slot (a bulk sender must yield while a reply is waiting for the same slot).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Spacing of messages to one chat. Telegram allows about one per second; the margin absorbs
/// network jitter so the chat's budget at Telegram never runs dry.
pub const PER_CHAT_INTERVAL: Duration = Duration::from_millis(1050);
/// Messages one chat may receive back to back (a reply of two or three messages goes out at
/// once) before the per-chat spacing applies.
pub const PER_CHAT_BURST: u32 = 3;

/// Which lane a send takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    /// Answers to customers: handler replies, deliveries, their notices. First.
    Reply,
    /// Broadcasts: whatever replies leave.
    Bulk,
}

impl Lane {
    /// The label used in metrics.
    pub fn label(self) -> &'static str {
        match self {
            Lane::Reply => "reply",
            Lane::Bulk => "bulk",
        }
    }
}

struct State {
    interval: Duration,
    /// Theoretical arrival time of the next global slot.
    tat: Instant,
    /// Per chat: theoretical arrival time of its next slot.
    chats: HashMap<i64, Instant>,
    paused_until: Option<Instant>,
    /// Reply-lane callers whose chat is ready and who wait only for a global slot.
    replies_waiting: usize,
    /// Seconds spent paused after 429s, for metrics.
    paused_total: Duration,
}

impl State {
    fn chat_ready_at(&self, chat: i64) -> Option<Instant> {
        let burst = PER_CHAT_INTERVAL * (PER_CHAT_BURST.saturating_sub(1));
        self.chats
            .get(&chat)
            .map(|tat| tat.checked_sub(burst).unwrap_or(*tat))
    }

    fn global_ready_at(&self) -> Instant {
        self.tat.checked_sub(self.interval).unwrap_or(self.tat)
    }
}

/// See the module docs.
pub struct SendLimiter {
    state: Mutex<State>,
    changed: Notify,
}

/// Counts a reply-lane caller as waiting for a global slot while it exists.
struct ReplyWaiting<'a> {
    limiter: &'a SendLimiter,
    counted: bool,
}

impl ReplyWaiting<'_> {
    fn set(&mut self, state: &mut State, waiting: bool) {
        if waiting != self.counted {
            if waiting {
                state.replies_waiting += 1;
            } else {
                state.replies_waiting = state.replies_waiting.saturating_sub(1);
            }
            self.counted = waiting;
        }
    }
}

impl Drop for ReplyWaiting<'_> {
    fn drop(&mut self) {
        if self.counted {
            let mut state = self.limiter.lock();
            state.replies_waiting = state.replies_waiting.saturating_sub(1);
            drop(state);
            self.limiter.changed.notify_waiters();
        }
    }
}

impl SendLimiter {
    /// A limiter with `per_second` sends overall.
    pub fn new(per_second: u32) -> SendLimiter {
        let now = Instant::now();
        SendLimiter {
            state: Mutex::new(State {
                interval: Duration::from_secs(1) / per_second.max(1),
                tat: now,
                chats: HashMap::new(),
                paused_until: None,
                replies_waiting: 0,
                paused_total: Duration::ZERO,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until a message to `chat_id` may go out in `lane`, then takes the slot.
    pub async fn acquire(&self, lane: Lane, chat_id: i64) {
        let mut waiting = ReplyWaiting {
            limiter: self,
            counted: false,
        };
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let wait = {
                let mut s = self.lock();
                let now = Instant::now();
                if let Some(until) = s.paused_until.filter(|u| *u > now) {
                    waiting.set(&mut s, false);
                    Some(until - now)
                } else if let Some(ready) = s.chat_ready_at(chat_id).filter(|r| *r > now) {
                    waiting.set(&mut s, false);
                    Some(ready - now)
                } else {
                    if lane == Lane::Reply {
                        waiting.set(&mut s, true);
                    }
                    let global = s.global_ready_at();
                    if lane == Lane::Bulk && s.replies_waiting > 0 {
                        // Replies first: look again when one of them took its slot.
                        Some(s.interval)
                    } else if global > now {
                        Some(global - now)
                    } else {
                        let interval = s.interval;
                        s.tat = s.tat.max(now) + interval;
                        let chat_tat = s.chats.get(&chat_id).copied().unwrap_or(now).max(now)
                            + PER_CHAT_INTERVAL;
                        s.chats.insert(chat_id, chat_tat);
                        waiting.set(&mut s, false);
                        None
                    }
                }
            };
            match wait {
                None => {
                    self.changed.notify_waiters();
                    return;
                }
                Some(wait) => {
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = &mut notified => {}
                    }
                }
            }
        }
    }

    /// Stops every send for `retry_after` (Telegram's 429 applies to the whole bot).
    pub fn pause_for(&self, retry_after: Duration) {
        let mut s = self.lock();
        let now = Instant::now();
        let until = now + retry_after;
        let current = s.paused_until.filter(|u| *u > now);
        let added = match current {
            Some(cur) if cur >= until => Duration::ZERO,
            Some(cur) => until - cur,
            None => retry_after,
        };
        s.paused_total += added;
        s.paused_until = Some(current.map_or(until, |cur| cur.max(until)));
    }

    /// How long sending has been paused by 429s since the start (for metrics).
    pub fn paused_total(&self) -> Duration {
        self.lock().paused_total
    }

    /// Forgets per-chat state of chats idle for long (keeps memory flat across big broadcasts).
    pub fn forget_idle_chats(&self) {
        let mut s = self.lock();
        let now = Instant::now();
        s.chats.retain(|_, tat| *tat > now);
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
        // Twelve different chats at 10/s: the first two ride the tolerance, then one every
        // 100 ms.
        for chat in 0..12 {
            limiter.acquire(Lane::Reply, chat).await;
        }
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(950) && elapsed < Duration::from_secs(5),
            "{elapsed:?}"
        );
        // The same chat: a burst of PER_CHAT_BURST, then a second apart.
        let limiter = SendLimiter::new(1000);
        let t = Instant::now();
        for _ in 0..PER_CHAT_BURST {
            limiter.acquire(Lane::Reply, 42).await;
        }
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "{:?}",
            t.elapsed()
        );
        limiter.acquire(Lane::Reply, 42).await;
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
        limiter.acquire(Lane::Bulk, 1).await;
        assert!(
            t.elapsed() >= Duration::from_millis(300) && t.elapsed() < Duration::from_secs(5),
            "{:?}",
            t.elapsed()
        );
        assert!(limiter.paused_total() >= Duration::from_millis(300));
    }

    #[tokio::test]
    async fn replies_go_before_bulk() {
        use std::sync::Arc;
        let limiter = Arc::new(SendLimiter::new(20));
        let order = Arc::new(Mutex::new(Vec::new()));
        // Drain the tolerance so everything below queues for global slots.
        limiter.acquire(Lane::Reply, 1000).await;
        limiter.acquire(Lane::Reply, 1001).await;
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (l, o) = (limiter.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                l.acquire(Lane::Bulk, 100 + i).await;
                o.lock().unwrap().push("bulk");
            }));
        }
        tokio::task::yield_now().await;
        for i in 0..5 {
            let (l, o) = (limiter.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                l.acquire(Lane::Reply, 200 + i).await;
                o.lock().unwrap().push("reply");
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        // At most the one bulk send already holding the next slot can precede the replies.
        let first_reply = order.iter().position(|k| *k == "reply").unwrap();
        let last_reply = order.iter().rposition(|k| *k == "reply").unwrap();
        assert!(first_reply <= 1, "{order:?}");
        assert_eq!(
            last_reply - first_reply,
            4,
            "replies back to back: {order:?}"
        );
    }
}
