//! The one line format every autoorder log uses:
//! `[YYYY-MM-DD HH:MM:SS] [LEVEL] message`.
//!
//! A fixed, minimal format keeps files greppable by operators and parseable by
//! the support scripts, and the timestamp is rendered in the shop's time zone
//! because that is the clock the shop owner reports problems in.

use std::cell::Cell;
use std::fmt;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use log::Record;
use log4rs::encode::{Encode, Write};

use super::Clock;
use super::redact::redact;

/// Timestamp layout shared by the encoder and anything parsing log lines.
pub const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

thread_local! {
    /// The instant the appender currently encoding on this thread used to pick
    /// its file. Lets the line's timestamp agree with the file's date even at
    /// the midnight boundary, and makes an appender's injected clock govern
    /// the timestamp in tests.
    static RECORD_TIME: Cell<Option<DateTime<Utc>>> = const { Cell::new(None) };
}

/// Runs `f` with `now` as the timestamp any [`LineEncoder`] on this thread
/// will print, restoring the previous value afterwards (also on panic).
pub(crate) fn with_record_time<T>(now: DateTime<Utc>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<DateTime<Utc>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            RECORD_TIME.with(|cell| cell.set(self.0));
        }
    }
    let _restore = Restore(RECORD_TIME.with(|cell| cell.replace(Some(now))));
    f()
}

/// Encoder producing exactly `[YYYY-MM-DD HH:MM:SS] [LEVEL] message\n` with
/// the time in `tz` and LEVEL one of ERROR/WARN/INFO/DEBUG/TRACE.
///
/// It also redacts secrets registered with
/// [`register_secrets`](super::register_secrets), so no appender using it can
/// leak a token. Multi-line messages keep their line breaks but continuation
/// lines are indented by four spaces and carriage returns are shown as `\r`:
/// user-supplied text (a Telegram name, a product title) can then never forge
/// a line that looks like a separate log record.
#[derive(Clone)]
pub struct LineEncoder {
    tz: Tz,
    clock: Option<Clock>,
}

impl LineEncoder {
    /// An encoder stamping lines with the wall clock in `tz` (or with the
    /// time chosen by the [`DailyFileAppender`](super::DailyFileAppender)
    /// writing the record, so file date and line date always agree).
    pub fn new(tz: Tz) -> Self {
        Self { tz, clock: None }
    }

    /// An encoder whose timestamps come from `clock` instead of the system
    /// time, so tests can assert exact lines.
    pub fn with_clock(tz: Tz, clock: Clock) -> Self {
        Self {
            tz,
            clock: Some(clock),
        }
    }

    /// The time zone timestamps are rendered in.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// Formats one complete line (with trailing newline) for a message that
    /// has not been redacted yet. Exposed so non-log4rs writers (e.g. a
    /// CLI printing to stderr before logging is up) produce identical lines.
    pub fn format_line(&self, now: DateTime<Utc>, level: log::Level, message: &str) -> String {
        let redacted = redact(message);
        let body = sanitize(redacted.trim_end_matches(['\n', '\r']));
        format!(
            "[{}] [{}] {}\n",
            now.with_timezone(&self.tz).format(TIMESTAMP_FORMAT),
            level.as_str(),
            body
        )
    }

    fn now(&self) -> DateTime<Utc> {
        if let Some(now) = RECORD_TIME.with(Cell::get) {
            return now;
        }
        match &self.clock {
            Some(clock) => clock(),
            None => Utc::now(),
        }
    }
}

impl fmt::Debug for LineEncoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LineEncoder")
            .field("tz", &self.tz)
            .field("injected_clock", &self.clock.is_some())
            .finish()
    }
}

impl Encode for LineEncoder {
    fn encode(&self, w: &mut dyn Write, record: &Record) -> anyhow::Result<()> {
        let args = record.args();
        let line = match args.as_str() {
            Some(s) => self.format_line(self.now(), record.level(), s),
            None => self.format_line(self.now(), record.level(), &args.to_string()),
        };
        // One write call per record: with O_APPEND files this keeps lines from
        // concurrent writers from interleaving.
        w.write_all(line.as_bytes())?;
        Ok(())
    }
}

/// Indents continuation lines and escapes bare carriage returns.
fn sanitize(message: &str) -> std::borrow::Cow<'_, str> {
    if !message.contains(['\n', '\r']) {
        return std::borrow::Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len() + 16);
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\n    "),
            other => out.push(other),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logging::fixed_clock;
    use chrono::TimeZone;
    use log4rs::encode::writer::simple::SimpleWriter;

    fn encode(enc: &LineEncoder, level: log::Level, msg: &str) -> String {
        let mut buf = Vec::new();
        enc.encode(
            &mut SimpleWriter(&mut buf),
            &Record::builder()
                .args(format_args!("{msg}"))
                .level(level)
                .target("unit")
                .build(),
        )
        .expect("encoding into a Vec cannot fail");
        String::from_utf8(buf).expect("encoder writes UTF-8")
    }

    #[test]
    fn renders_in_shop_time_zone() {
        let at = Utc
            .with_ymd_and_hms(2024, 3, 5, 20, 1, 2)
            .single()
            .expect("valid");
        let enc = LineEncoder::with_clock(chrono_tz::Asia::Jakarta, fixed_clock(at));
        assert_eq!(
            encode(&enc, log::Level::Warn, "stock low"),
            "[2024-03-06 03:01:02] [WARN] stock low\n"
        );
    }

    #[test]
    fn record_time_overrides_encoder_clock() {
        let enc_at = Utc
            .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
            .single()
            .expect("valid");
        let rec_at = Utc
            .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
            .single()
            .expect("valid");
        let enc = LineEncoder::with_clock(chrono_tz::UTC, fixed_clock(enc_at));
        let line = with_record_time(rec_at, || encode(&enc, log::Level::Info, "x"));
        assert_eq!(line, "[2024-01-01 00:00:00] [INFO] x\n");
        // Restored afterwards.
        assert_eq!(
            encode(&enc, log::Level::Info, "x"),
            "[2000-01-01 00:00:00] [INFO] x\n"
        );
    }

    #[test]
    fn multi_line_messages_cannot_forge_records() {
        let at = Utc
            .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
            .single()
            .expect("valid");
        let enc = LineEncoder::with_clock(chrono_tz::UTC, fixed_clock(at));
        assert_eq!(
            encode(
                &enc,
                log::Level::Error,
                "a\n[2024-01-01 00:00:00] [INFO] fake\r\nb\rc\n"
            ),
            "[2024-01-01 00:00:00] [ERROR] a\n    [2024-01-01 00:00:00] [INFO] fake\n    b\\rc\n"
        );
    }
}
