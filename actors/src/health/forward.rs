//! Error forwarding (`ENABLE_OWNER_ALERTS`, `OWNER_ALERT_THRESHOLD`): the logger offers every
//! qualifying event to a small bounded buffer; HealthActor drains it every few seconds and
//! [`Limiter`] turns the events into at most one owner message per drain: the same message
//! within 60 s is counted, not re-sent, and at most [`MAX_PER_HOUR`] messages go out per hour
//! (what is held back is counted and mentioned in the next message).
//!
//! Events from the queue and health targets are never forwarded: the queue's sends and this
//! forwarder's own failures must not feed back into themselves.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::log_targets::{HEALTH, QUEUE};

/// How often HealthActor drains the buffer.
pub const DRAIN_EVERY: Duration = Duration::from_secs(5);
/// A message repeated within this window is counted, not re-sent.
pub const DEDUP_WINDOW_MS: i64 = 60_000;
/// Owner messages per hour at most.
pub const MAX_PER_HOUR: usize = 20;
/// Events per message at most.
pub const MAX_LINES: usize = 10;
/// Events buffered between drains at most (beyond: counted as dropped).
pub const BUFFER: usize = 256;

/// One forwarded log event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub level: log::Level,
    pub target: String,
    pub message: String,
}

struct Buffer {
    events: Mutex<VecDeque<Event>>,
    dropped: AtomicU64,
    /// `log::LevelFilter as usize`; 0 (Off) until [`enable`].
    threshold: AtomicUsize,
}

fn buffer() -> &'static Buffer {
    static BUFFER_CELL: OnceLock<Buffer> = OnceLock::new();
    BUFFER_CELL.get_or_init(|| Buffer {
        events: Mutex::new(VecDeque::new()),
        dropped: AtomicU64::new(0),
        threshold: AtomicUsize::new(0),
    })
}

/// Turns forwarding on for events at or above `threshold` (boot, with `ENABLE_OWNER_ALERTS`).
pub fn enable(threshold: log::LevelFilter) {
    buffer()
        .threshold
        .store(threshold as usize, Ordering::SeqCst);
}

/// True when an event of `level` from `target` would be forwarded (cheap: the logger asks
/// before it formats anything).
pub fn wants(level: log::Level, target: &str) -> bool {
    let threshold = buffer().threshold.load(Ordering::Relaxed);
    threshold != 0 && (level as usize) <= threshold && !ignored_target(target)
}

fn ignored_target(target: &str) -> bool {
    let root = target.split("::").next().unwrap_or(target);
    root == QUEUE || root == HEALTH || root.starts_with("autoorder_actors::queue")
}

/// Offers an event (called by the logger; never blocks on anything but a short lock).
pub fn offer(level: log::Level, target: &str, message: String) {
    if !wants(level, target) {
        return;
    }
    let b = buffer();
    let Ok(mut events) = b.events.lock() else {
        return;
    };
    if events.len() >= BUFFER {
        b.dropped.fetch_add(1, Ordering::Relaxed);
        return;
    }
    events.push_back(Event {
        level,
        target: target.to_string(),
        message,
    });
}

/// Takes everything buffered (plus a note of what overflowed).
pub fn drain() -> Vec<Event> {
    let b = buffer();
    let mut out: Vec<Event> = b
        .events
        .lock()
        .map(|mut e| e.drain(..).collect())
        .unwrap_or_default();
    let dropped = b.dropped.swap(0, Ordering::Relaxed);
    if dropped > 0 {
        out.push(Event {
            level: log::Level::Warn,
            target: HEALTH.to_string(),
            message: format!("{dropped} more log event(s) were dropped (buffer full)"),
        });
    }
    out
}

#[derive(Debug, Clone)]
struct Seen {
    first_at: i64,
    /// Repeats since it was last sent.
    repeats: u64,
}

/// De-duplication and rate limit (pure; "now" is a parameter).
#[derive(Debug, Default)]
pub struct Limiter {
    seen: BTreeMap<String, Seen>,
    sent_at: VecDeque<i64>,
    /// Events held back by the rate limit since the last message.
    held: u64,
}

impl Limiter {
    /// Takes one drain's events; returns the message to send now, if any.
    pub fn admit(&mut self, events: Vec<Event>, now: i64) -> Option<String> {
        let mut lines = Vec::new();
        // Windows that ended: mention the repeats they absorbed.
        let expired: Vec<String> = self
            .seen
            .iter()
            .filter(|(_, s)| now - s.first_at >= DEDUP_WINDOW_MS)
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired {
            if let Some(s) = self.seen.remove(&key)
                && s.repeats > 0
            {
                lines.push(format!("🔁 {}× lagi dalam 60 s: {key}", s.repeats));
            }
        }
        for event in events {
            let key = format!("[{}] {}: {}", event.level, event.target, event.message);
            match self.seen.get_mut(&key) {
                Some(seen) => seen.repeats += 1,
                None => {
                    self.seen.insert(
                        key.clone(),
                        Seen {
                            first_at: now,
                            repeats: 0,
                        },
                    );
                    lines.push(key);
                }
            }
        }
        if lines.is_empty() {
            return None;
        }
        while self.sent_at.front().is_some_and(|t| now - t >= 3_600_000) {
            self.sent_at.pop_front();
        }
        if self.sent_at.len() >= MAX_PER_HOUR {
            self.held += lines.len() as u64;
            return None;
        }
        self.sent_at.push_back(now);
        let mut text = String::from("⚠️ Log error:");
        let extra = lines.len().saturating_sub(MAX_LINES);
        for line in lines.into_iter().take(MAX_LINES) {
            let line: String = line.chars().take(500).collect();
            text.push_str(&format!("\n• {line}"));
        }
        if extra > 0 {
            text.push_str(&format!("\n(+{extra} lainnya, lihat log)"));
        }
        if self.held > 0 {
            text.push_str(&format!(
                "\n({} pesan ditahan oleh batas kiriman, lihat log)",
                self.held
            ));
            self.held = 0;
        }
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(msg: &str) -> Event {
        Event {
            level: log::Level::Error,
            target: "payment".into(),
            message: msg.into(),
        }
    }

    #[test]
    fn the_same_message_within_60_s_is_counted_not_resent() {
        let mut l = Limiter::default();
        let first = l
            .admit(vec![ev("gateway down"), ev("gateway down")], 0)
            .unwrap();
        assert_eq!(first.matches("gateway down").count(), 1, "{first}");
        assert!(l.admit(vec![ev("gateway down")], 10_000).is_none());
        assert!(l.admit(vec![ev("gateway down")], 59_000).is_none());
        // The window ends: the repeats are reported once, and a new occurrence is news again.
        let later = l.admit(vec![ev("gateway down")], 61_000).unwrap();
        assert!(later.contains("3× lagi"), "{later}");
        assert!(later.contains("• [ERROR] payment: gateway down"), "{later}");
        assert!(l.admit(vec![], 62_000).is_none());
    }

    #[test]
    fn several_events_in_one_drain_make_one_message() {
        let mut l = Limiter::default();
        let events = (0..15).map(|i| ev(&format!("failure {i}"))).collect();
        let text = l.admit(events, 0).unwrap();
        assert_eq!(text.matches("• ").count(), MAX_LINES);
        assert!(text.contains("+5 lainnya"));
    }

    #[test]
    fn at_most_max_per_hour_messages_and_the_rest_is_counted() {
        let mut l = Limiter::default();
        let mut sent = 0;
        for i in 0..(MAX_PER_HOUR as i64 + 5) {
            if l.admit(vec![ev(&format!("distinct {i}"))], i * 1000)
                .is_some()
            {
                sent += 1;
            }
        }
        assert_eq!(sent, MAX_PER_HOUR);
        let after_an_hour = l.admit(vec![ev("new")], 3_601_000).unwrap();
        assert!(after_an_hour.contains("5 pesan ditahan"), "{after_an_hour}");
    }

    #[test]
    fn queue_and_health_targets_are_never_forwarded() {
        enable(log::LevelFilter::Error);
        assert!(wants(log::Level::Error, "payment"));
        assert!(!wants(log::Level::Warn, "payment"));
        assert!(!wants(log::Level::Error, QUEUE));
        assert!(!wants(log::Level::Error, HEALTH));
    }
}
