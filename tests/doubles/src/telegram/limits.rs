//! Telegram's flood limits, enforced strictly and deterministically.
//!
//! Telegram allows a bot about 30 messages per second overall and about one
//! message per second per chat, answering `429 Too Many Requests: retry after
//! N` past that. [`Limits::check`] is called (under the state lock) before
//! every method whose [`MethodSpec::rate_limited`] is set, i.e. the `send*`
//! methods, with the chat the call is addressed to.
//!
//! Every send the limiter lets through is logged (also while enforcement is
//! off) so tests can check the spacing of a bot's sends after the fact. The
//! log and the sliding window are plain appends and pops (O(1) amortised per
//! send); only the after-the-fact queries scan the log.
//!
//! [`MethodSpec::rate_limited`]: super::methods::MethodSpec

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The length of the global sliding window, before [`RateLimits::slack`].
const WINDOW: Duration = Duration::from_secs(1);

/// Flood limits for [`TelegramDouble::enforce_limits`].
///
/// `Default` is Telegram's: 30 sends per second overall, one per second per
/// chat, `retry_after` 1 and no slack.
///
/// [`TelegramDouble::enforce_limits`]: crate::TelegramDouble::enforce_limits
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// A send is refused when this many sends were already accepted within
    /// the last second (a sliding window over all chats).
    pub global_per_second: u32,
    /// A send is refused when the previous accepted send to the same chat was
    /// less than this long ago.
    pub per_chat_interval: Duration,
    /// The `retry_after` (seconds) of the 429 answer.
    pub retry_after: u32,
    /// Tolerance subtracted from both the 1-second global window and
    /// `per_chat_interval`, to absorb the jitter between when a client decides
    /// to send and when the request reaches the double (a few milliseconds
    /// over loopback). `Duration::ZERO` (the default) is exact; about 5 ms
    /// lets a correct client-side limiter pass reliably. Checks made
    /// afterwards with [`max_sends_in_window`] / [`min_gap_per_chat`] are not
    /// softened: pass them `1 s - slack` / compare with `interval - slack`.
    ///
    /// [`max_sends_in_window`]: crate::TelegramDouble::max_sends_in_window
    /// [`min_gap_per_chat`]: crate::TelegramDouble::min_gap_per_chat
    pub slack: Duration,
}

impl Default for RateLimits {
    fn default() -> RateLimits {
        RateLimits {
            global_per_second: 30,
            per_chat_interval: Duration::from_secs(1),
            retry_after: 1,
            slack: Duration::ZERO,
        }
    }
}

/// The limiter's state: what is enforced, the windows, and the send log.
#[derive(Debug, Default)]
pub(crate) struct Limits {
    enforced: Option<RateLimits>,
    /// Instants of the sends accepted within the last [`WINDOW`], oldest
    /// first; only kept while enforcing.
    recent: VecDeque<Instant>,
    /// The last accepted send per chat; only kept while enforcing.
    last_per_chat: HashMap<i64, Instant>,
    /// Every accepted send, in order (instants are taken under the state
    /// lock, so they never decrease).
    accepted: Vec<(i64, Instant)>,
    /// 429s answered because of the limits.
    refused: u64,
}

impl Limits {
    /// Switches enforcement on or off. The windows start afresh: sends made
    /// before do not count against the new limits. The log is kept.
    pub(crate) fn enforce(&mut self, limits: Option<RateLimits>) {
        self.enforced = limits;
        self.recent.clear();
        self.last_per_chat.clear();
    }

    /// Called before a rate-limited method is served for `chat_id` at `now`
    /// (`now` must not be earlier than in previous calls). On `Ok` the send is
    /// accepted and counted; `Err(retry_after_seconds)` makes the double
    /// answer 429 instead, and the send does not count.
    pub(crate) fn check(&mut self, chat_id: i64, now: Instant) -> Result<(), u32> {
        if let Some(limits) = &self.enforced {
            while self
                .recent
                .front()
                .is_some_and(|t| now.duration_since(*t) >= WINDOW)
            {
                self.recent.pop_front();
            }
            let window = WINDOW.saturating_sub(limits.slack);
            let interval = limits.per_chat_interval.saturating_sub(limits.slack);
            // `recent` is sorted: the sends within `window` are a suffix.
            let older = self
                .recent
                .partition_point(|t| now.duration_since(*t) >= window);
            let in_window = self.recent.len() - older;
            let chat_too_soon = self
                .last_per_chat
                .get(&chat_id)
                .is_some_and(|last| now.duration_since(*last) < interval);
            if in_window >= limits.global_per_second as usize || chat_too_soon {
                self.refused += 1;
                return Err(limits.retry_after);
            }
            self.recent.push_back(now);
            self.last_per_chat.insert(chat_id, now);
        }
        self.accepted.push((chat_id, now));
        Ok(())
    }

    /// Forgets the log and the 429 count (the windows are kept).
    pub(crate) fn clear_log(&mut self) {
        self.accepted.clear();
        self.refused = 0;
    }

    pub(crate) fn refused(&self) -> u64 {
        self.refused
    }

    pub(crate) fn accepted(&self) -> &[(i64, Instant)] {
        &self.accepted
    }
}

/// The largest number of sends in `log` (sorted by instant) whose instants
/// all lie within less than `window` of each other.
pub(crate) fn max_in_window(log: &[(i64, Instant)], window: Duration) -> usize {
    let mut best = 0;
    let mut start = 0;
    for (end, (_, at)) in log.iter().enumerate() {
        while start <= end && at.duration_since(log[start].1) >= window {
            start += 1;
        }
        best = best.max(end + 1 - start);
    }
    best
}

/// The smallest gap between two consecutive sends to the same chat in `log`.
pub(crate) fn min_gap(log: &[(i64, Instant)]) -> Option<Duration> {
    let mut last: HashMap<i64, Instant> = HashMap::new();
    let mut best: Option<Duration> = None;
    for (chat, at) in log {
        if let Some(previous) = last.insert(*chat, *at) {
            let gap = at.duration_since(previous);
            best = Some(best.map_or(gap, |b| b.min(gap)));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn limits(global: u32, per_chat: Duration, slack: Duration) -> Limits {
        let mut limits = Limits::default();
        limits.enforce(Some(RateLimits {
            global_per_second: global,
            per_chat_interval: per_chat,
            retry_after: 3,
            slack,
        }));
        limits
    }

    #[test]
    fn off_accepts_everything_and_logs_it() {
        let mut limits = Limits::default();
        let t0 = Instant::now();
        for _ in 0..100 {
            assert_eq!(limits.check(1, t0), Ok(()));
        }
        assert_eq!(limits.accepted().len(), 100);
        assert_eq!(limits.refused(), 0);
    }

    #[test]
    fn per_chat_interval_is_exact_without_slack() {
        let mut limits = limits(100, ms(1000), Duration::ZERO);
        let t0 = Instant::now();
        assert_eq!(limits.check(1, t0), Ok(()));
        assert_eq!(limits.check(1, t0 + ms(999)), Err(3));
        assert_eq!(
            limits.check(2, t0 + ms(999)),
            Ok(()),
            "other chats are free"
        );
        assert_eq!(limits.check(1, t0 + ms(1000)), Ok(()));
        // Measured from the last *accepted* send, not the refused one.
        assert_eq!(limits.check(1, t0 + ms(1999)), Err(3));
        assert_eq!(limits.check(1, t0 + ms(2000)), Ok(()));
        assert_eq!(limits.refused(), 2);
        assert_eq!(limits.accepted().len(), 4);
        assert_eq!(min_gap(limits.accepted()), Some(ms(1000)));
    }

    #[test]
    fn global_window_slides() {
        let mut limits = limits(3, Duration::ZERO, Duration::ZERO);
        let t0 = Instant::now();
        for (k, at) in [0, 100, 200].into_iter().enumerate() {
            assert_eq!(limits.check(k as i64, t0 + ms(at)), Ok(()));
        }
        assert_eq!(limits.check(9, t0 + ms(999)), Err(3));
        // The send at 0 ms leaves the window at 1000 ms, the next at 1100 ms.
        assert_eq!(limits.check(9, t0 + ms(1000)), Ok(()));
        assert_eq!(limits.check(10, t0 + ms(1050)), Err(3));
        assert_eq!(limits.check(10, t0 + ms(1100)), Ok(()));
        assert_eq!(limits.refused(), 2);
        assert_eq!(max_in_window(limits.accepted(), ms(1000)), 3);
        assert_eq!(max_in_window(limits.accepted(), ms(1001)), 4);
        assert_eq!(max_in_window(limits.accepted(), ms(100)), 1);
        assert_eq!(max_in_window(limits.accepted(), ms(101)), 2);
    }

    #[test]
    fn slack_shortens_both_limits() {
        let mut limits = limits(2, ms(1000), ms(5));
        let t0 = Instant::now();
        assert_eq!(limits.check(1, t0), Ok(()));
        assert_eq!(limits.check(1, t0 + ms(994)), Err(3), "per chat: 995 ms");
        assert_eq!(limits.check(2, t0 + ms(994)), Ok(()));
        assert_eq!(limits.check(3, t0 + ms(994)), Err(3), "global: 2 in 995 ms");
        assert_eq!(limits.check(1, t0 + ms(995)), Ok(()));
        assert_eq!(limits.check(3, t0 + ms(1988)), Err(3));
        assert_eq!(limits.check(3, t0 + ms(1989)), Ok(()));
    }

    #[test]
    fn enforcing_starts_fresh_and_clear_log_keeps_windows() {
        let mut limits = Limits::default();
        let t0 = Instant::now();
        limits.check(1, t0).unwrap();
        limits.enforce(Some(RateLimits::default()));
        assert_eq!(limits.check(1, t0 + ms(1)), Ok(()));
        limits.clear_log();
        assert_eq!(limits.check(1, t0 + ms(2)), Err(1));
        assert_eq!(limits.refused(), 1);
        assert!(limits.accepted().is_empty());
    }

    #[test]
    fn queries_on_empty_and_single_chat_logs() {
        assert_eq!(max_in_window(&[], ms(1000)), 0);
        let t = Instant::now();
        assert_eq!(max_in_window(&[(1, t), (2, t)], Duration::ZERO), 0);
        assert_eq!(max_in_window(&[(1, t), (2, t)], Duration::from_nanos(1)), 2);
        assert_eq!(min_gap(&[]), None);
        let t0 = Instant::now();
        assert_eq!(min_gap(&[(1, t0), (2, t0 + ms(1))]), None);
        assert_eq!(
            min_gap(&[(1, t0), (2, t0 + ms(1)), (1, t0 + ms(7)), (1, t0 + ms(10))]),
            Some(ms(3))
        );
    }
}
