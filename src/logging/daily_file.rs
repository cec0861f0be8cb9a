//! Appender writing one file per local calendar day: `dir/YYYY-MM-DD.log`.
//!
//! Operators look for "what happened on the 5th" in the shop's time zone, and
//! the maintenance job compresses and expires whole days, so the file
//! boundary is local midnight in `BOT_TIMEZONE`, computed with chrono-tz (no
//! reliance on the container's zoneinfo or `TZ`).

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context as _;
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use log::Record;
use log4rs::append::Append;
use log4rs::encode::Encode;
use log4rs::encode::writer::simple::SimpleWriter;

use super::Clock;
use super::encoder::with_record_time;

/// The file name for `date`'s log: `YYYY-MM-DD.log`. Shared with maintenance
/// so both sides agree on what a log file is called.
pub fn log_file_name(date: NaiveDate) -> String {
    format!("{}.log", date.format("%Y-%m-%d"))
}

/// log4rs appender writing `dir/YYYY-MM-DD.log` by local date in `tz`.
///
/// It opens the next day's file with the first record after local midnight,
/// creates missing directories (so a wiped `LOG_DIR` heals itself), and hands
/// every record to the kernel in a single unbuffered `write` so a crash never
/// loses lines already logged (it does not `fsync`: surviving a process crash
/// is the goal, not a power cut). Files are opened in append mode, so several
/// processes (the daemon plus a one-off CLI run) can share a directory.
pub struct DailyFileAppender {
    dir: PathBuf,
    tz: Tz,
    encoder: Box<dyn Encode>,
    clock: Clock,
    current: Mutex<Option<OpenFile>>,
}

struct OpenFile {
    date: NaiveDate,
    file: File,
}

impl DailyFileAppender {
    /// An appender using the system clock. Nothing touches the filesystem
    /// until the first record, so building a config is side-effect free.
    pub fn new(dir: impl Into<PathBuf>, tz: Tz, encoder: Box<dyn Encode>) -> Self {
        Self::with_clock(dir, tz, encoder, Arc::new(Utc::now))
    }

    /// An appender whose notion of "now" comes from `clock`, so tests can
    /// cross midnight without sleeping. The same instant is handed to a
    /// [`LineEncoder`](super::LineEncoder), so line timestamps follow it too.
    pub fn with_clock(
        dir: impl Into<PathBuf>,
        tz: Tz,
        encoder: Box<dyn Encode>,
        clock: Clock,
    ) -> Self {
        Self {
            dir: dir.into(),
            tz,
            encoder,
            clock,
            current: Mutex::new(None),
        }
    }

    /// The directory this appender writes into.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path a record logged on local `date` goes to.
    pub fn path_for(&self, date: NaiveDate) -> PathBuf {
        self.dir.join(log_file_name(date))
    }

    fn open(&self, date: NaiveDate) -> anyhow::Result<File> {
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating log directory {}", self.dir.display()))?;
        let path = self.path_for(date);
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            // Logs carry customer names and order details: not world-readable.
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o640);
        }
        options
            .open(&path)
            .with_context(|| format!("opening log file {}", path.display()))
    }
}

impl fmt::Debug for DailyFileAppender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DailyFileAppender")
            .field("dir", &self.dir)
            .field("tz", &self.tz)
            .field("encoder", &self.encoder)
            .finish_non_exhaustive()
    }
}

impl Append for DailyFileAppender {
    fn append(&self, record: &Record) -> anyhow::Result<()> {
        let now = (self.clock)();
        let date = now.with_timezone(&self.tz).date_naive();

        // Encode outside the lock: formatting is the expensive part.
        let mut line = Vec::with_capacity(256);
        with_record_time(now, || {
            self.encoder.encode(&mut SimpleWriter(&mut line), record)
        })?;

        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let file = match &mut *current {
            Some(open) if open.date == date => &mut open.file,
            slot => {
                *slot = None;
                let file = self.open(date)?;
                &mut slot.insert(OpenFile { date, file }).file
            }
        };
        if let Err(err) = file.write_all(&line).and_then(|()| file.flush()) {
            // Drop the handle so the next record reopens (e.g. after the
            // directory was replaced or the disk was remounted).
            *current = None;
            return Err(err)
                .with_context(|| format!("writing log file {}", self.path_for(date).display()));
        }
        Ok(())
    }

    fn flush(&self) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(open) = &mut *current {
            // Nothing is buffered in user space; this is for completeness.
            let _ = open.file.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logging::LineEncoder;
    use chrono::TimeZone;
    use std::sync::atomic::{AtomicI64, Ordering};

    #[test]
    fn recreates_a_deleted_directory_on_the_next_day() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("bot");
        let secs = Arc::new(AtomicI64::new(
            Utc.with_ymd_and_hms(2024, 1, 1, 12, 0, 0)
                .single()
                .expect("valid")
                .timestamp(),
        ));
        let clock_secs = Arc::clone(&secs);
        let clock: Clock = Arc::new(move || {
            chrono::DateTime::from_timestamp(clock_secs.load(Ordering::SeqCst), 0)
                .unwrap_or_default()
        });
        let tz = chrono_tz::UTC;
        let app = DailyFileAppender::with_clock(&dir, tz, Box::new(LineEncoder::new(tz)), clock);
        let rec = |app: &DailyFileAppender| {
            app.append(
                &Record::builder()
                    .args(format_args!("hi"))
                    .level(log::Level::Info)
                    .build(),
            )
        };
        rec(&app).expect("first write");
        fs::remove_dir_all(&dir).expect("remove");
        secs.fetch_add(86_400, Ordering::SeqCst);
        rec(&app).expect("second write");
        let text = fs::read_to_string(dir.join("2024-01-02.log")).expect("new day file");
        assert_eq!(text, "[2024-01-02 12:00:00] [INFO] hi\n");
    }
}
