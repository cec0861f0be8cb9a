//! Restart intensity: at most N restarts within a sliding window, as in OTP. Beyond it the
//! failure is not local any more and the supervisor escalates.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// `max_restarts` within `period`.
#[derive(Debug, Clone, Copy)]
pub struct Intensity {
    pub max_restarts: u32,
    pub period: Duration,
}

impl Default for Intensity {
    fn default() -> Self {
        Intensity {
            max_restarts: 5,
            period: Duration::from_secs(60),
        }
    }
}

/// Remembers recent restarts to decide whether one more is allowed.
#[derive(Debug, Default)]
pub struct RestartLog {
    restarts: VecDeque<Instant>,
}

impl RestartLog {
    /// Records a restart at `now` if the intensity allows it; returns false when it does not
    /// (the caller escalates).
    pub fn allow(&mut self, intensity: &Intensity, now: Instant) -> bool {
        while let Some(first) = self.restarts.front() {
            if now.duration_since(*first) > intensity.period {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        if self.restarts.len() as u32 >= intensity.max_restarts {
            return false;
        }
        self.restarts.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_n_restarts_per_window_then_refuses_until_the_window_slides() {
        let i = Intensity {
            max_restarts: 3,
            period: Duration::from_secs(10),
        };
        let mut log = RestartLog::default();
        let t0 = Instant::now();
        assert!(log.allow(&i, t0));
        assert!(log.allow(&i, t0 + Duration::from_secs(1)));
        assert!(log.allow(&i, t0 + Duration::from_secs(2)));
        assert!(!log.allow(&i, t0 + Duration::from_secs(3)));
        // The first restart leaves the window after 10 s.
        assert!(log.allow(&i, t0 + Duration::from_secs(11)));
    }
}
