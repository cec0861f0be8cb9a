//! Telegram's flood limits, enforced strictly and deterministically.
//!
//! Telegram allows a bot about 30 messages per second overall and about one
//! message per second per chat (with short bursts), answering `429 Too Many
//! Requests: retry after N` past that — and a bot that keeps sending while it
//! was told to wait is penalised with ever longer waits. [`Limits::check`] is
//! called (under the state lock) before every method whose
//! [`MethodSpec::rate_limited`] is set, i.e. the `send*` methods, with the chat
//! the call is addressed to.
//!
//! The per-chat rule is a token bucket: [`RateLimits::per_chat_burst`] sends
//! at once, then one per [`RateLimits::per_chat_interval`]. The penalty: after
//! a 429 the scope (the whole bot for the global limit, the chat for the
//! per-chat one) is blocked for `retry_after`; a send arriving while it is
//! blocked is refused with twice the previous wait (up to 64×), and the block
//! is extended. A bot that waits as told is never penalised.
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
/// chat after a burst of 3, `retry_after` 1, the flooding penalty, no slack.
///
/// [`TelegramDouble::enforce_limits`]: crate::TelegramDouble::enforce_limits
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// A send is refused when this many sends were already accepted within
    /// the last second (a sliding window over all chats).
    pub global_per_second: u32,
    /// One send per chat per this long, after the burst.
    pub per_chat_interval: Duration,
    /// Sends one chat may receive back to back before `per_chat_interval`
    /// applies (1: strictly one per interval).
    pub per_chat_burst: u32,
    /// Whether sending into a block (after a 429, before `retry_after`
    /// passed) is penalised with growing waits, as Telegram does.
    pub penalty: bool,
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
            per_chat_burst: 3,
            penalty: true,
            retry_after: 1,
            slack: Duration::ZERO,
        }
    }
}

/// A scope blocked after a 429.
#[derive(Debug, Clone, Copy)]
struct Block {
    until: Instant,
    /// The wait answered last (seconds).
    retry_after: u32,
}

/// The limiter's state: what is enforced, the windows, and the send log.
#[derive(Debug, Default)]
pub(crate) struct Limits {
    enforced: Option<RateLimits>,
    /// Instants of the sends accepted within the last [`WINDOW`], oldest
    /// first; only kept while enforcing.
    recent: VecDeque<Instant>,
    /// Per chat: the theoretical arrival time of its next send (the token
    /// bucket, as GCRA); only kept while enforcing.
    chat_tat: HashMap<i64, Instant>,
    /// The global block after a 429 and the strikes of sending into it.
    global_block: Option<Block>,
    /// Per-chat blocks after a 429 and their strikes.
    chat_blocks: HashMap<i64, Block>,
    /// 429s answered to sends made while blocked (the penalty).
    penalised: u64,
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
        self.chat_tat.clear();
        self.global_block = None;
        self.chat_blocks.clear();
    }

    /// Called before a rate-limited method is served for `chat_id` at `now`
    /// (`now` must not be earlier than in previous calls). On `Ok` the send is
    /// accepted and counted; `Err(retry_after_seconds)` makes the double
    /// answer 429 instead, and the send does not count.
    pub(crate) fn check(&mut self, chat_id: i64, now: Instant) -> Result<(), u32> {
        if let Some(limits) = self.enforced.clone() {
            // Sending into a block: the penalty.
            if limits.penalty {
                if let Some(block) = self.global_block.as_mut().filter(|b| now < b.until) {
                    let wait = penalise(block, now, limits.retry_after);
                    self.refused += 1;
                    self.penalised += 1;
                    return Err(wait);
                }
                if let Some(block) = self.chat_blocks.get_mut(&chat_id).filter(|b| now < b.until) {
                    let wait = penalise(block, now, limits.retry_after);
                    self.refused += 1;
                    self.penalised += 1;
                    return Err(wait);
                }
            }
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
            let burst = interval * limits.per_chat_burst.saturating_sub(1);
            let chat_ready = self
                .chat_tat
                .get(&chat_id)
                .map(|tat| tat.checked_sub(burst).unwrap_or(*tat));
            let chat_too_soon = chat_ready.is_some_and(|ready| now < ready);
            if in_window >= limits.global_per_second as usize || chat_too_soon {
                self.refused += 1;
                if limits.penalty {
                    let block = Block {
                        until: now + Duration::from_secs(u64::from(limits.retry_after)),
                        retry_after: limits.retry_after,
                    };
                    if in_window >= limits.global_per_second as usize {
                        self.global_block = Some(block);
                    } else {
                        self.chat_blocks.insert(chat_id, block);
                    }
                }
                return Err(limits.retry_after);
            }
            self.recent.push_back(now);
            let tat = self.chat_tat.get(&chat_id).copied().unwrap_or(now).max(now);
            self.chat_tat.insert(chat_id, tat + interval);
            self.global_block = None;
            self.chat_blocks.remove(&chat_id);
        }
        self.accepted.push((chat_id, now));
        Ok(())
    }

    /// Forgets the log and the 429 count (the windows are kept).
    pub(crate) fn clear_log(&mut self) {
        self.accepted.clear();
        self.refused = 0;
        self.penalised = 0;
    }

    pub(crate) fn refused(&self) -> u64 {
        self.refused
    }

    pub(crate) fn penalised(&self) -> u64 {
        self.penalised
    }

    pub(crate) fn accepted(&self) -> &[(i64, Instant)] {
        &self.accepted
    }
}

/// A send into `block` at `now`: the wait doubles (up to 64× the base) and the
/// block is extended to it. Returns the wait in whole seconds.
fn penalise(block: &mut Block, now: Instant, base: u32) -> u32 {
    let wait = block
        .retry_after
        .saturating_mul(2)
        .clamp(base.max(1), base.max(1) * 64);
    block.retry_after = wait;
    block.until = now + Duration::from_secs(u64::from(wait));
    wait
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
            per_chat_burst: 1,
            penalty: false,
            retry_after: 3,
            slack,
        }));
        limits
    }

    #[test]
    fn a_chat_may_burst_then_gets_one_per_interval() {
        let mut limits = Limits::default();
        limits.enforce(Some(RateLimits {
            penalty: false,
            ..RateLimits::default()
        }));
        let t0 = Instant::now();
        for k in 0..3 {
            assert_eq!(limits.check(1, t0 + ms(k)), Ok(()), "burst send {k}");
        }
        assert_eq!(limits.check(1, t0 + ms(3)), Err(1), "the fourth at once");
        // The bucket refills one send per second.
        assert_eq!(limits.check(1, t0 + ms(999)), Err(1));
        assert_eq!(limits.check(1, t0 + ms(1000)), Ok(()));
        assert_eq!(limits.check(1, t0 + ms(1500)), Err(1));
        // A quiet chat has its whole burst again, and never more.
        for k in 0..3 {
            assert_eq!(limits.check(1, t0 + ms(60_000 + k)), Ok(()));
        }
        assert_eq!(limits.check(1, t0 + ms(60_003)), Err(1));
    }

    #[test]
    fn flooding_into_a_block_is_penalised_and_waiting_is_not() {
        let mut limits = Limits::default();
        limits.enforce(Some(RateLimits {
            global_per_second: 2,
            ..RateLimits::default()
        }));
        let t0 = Instant::now();
        assert_eq!(limits.check(1, t0), Ok(()));
        assert_eq!(limits.check(2, t0), Ok(()));
        assert_eq!(limits.check(3, t0 + ms(1)), Err(1), "over the global limit");
        // The bot keeps sending: the wait doubles each time, the block grows.
        assert_eq!(limits.check(4, t0 + ms(2)), Err(2));
        assert_eq!(limits.check(5, t0 + ms(3)), Err(4));
        assert_eq!(
            limits.check(6, t0 + ms(1_500)),
            Err(8),
            "still inside the 4 s block"
        );
        assert_eq!(limits.penalised(), 3);
        // Waiting the last answer out ends it.
        assert_eq!(limits.check(7, t0 + ms(1_500 + 8_000)), Ok(()));
        // A well-behaved bot: a 429, then it waits retry_after, never penalised.
        assert_eq!(limits.check(8, t0 + ms(9_501)), Ok(()));
        assert_eq!(limits.check(9, t0 + ms(9_502)), Err(1));
        assert_eq!(limits.check(9, t0 + ms(10_502)), Ok(()));
        assert_eq!(limits.penalised(), 3);
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
        limits.enforce(Some(RateLimits {
            per_chat_burst: 1,
            ..RateLimits::default()
        }));
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
