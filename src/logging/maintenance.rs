//! Daily log housekeeping: compress past days, expire old ones.
//!
//! A shop bot runs for years on a small VPS; uncompressed logs would fill the
//! disk long before anyone looks at them, yet recent history must stay
//! available for disputes ("I paid but got nothing"). So yesterday and older
//! are zstd-compressed and anything beyond `LOG_RETENTION_DAYS` is deleted.
//!
//! Compression never loses a line: it writes a temporary file, fsyncs it,
//! renames it over the final name, fsyncs the directory, verifies the
//! archive decompresses to exactly the original bytes, and only then removes
//! the original. A crash at any step leaves a state the next run resolves.

use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};

/// What one [`run_maintenance`] pass did, for the maintenance log line and
/// metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MaintenanceReport {
    /// Day files compressed from `.log` to `.log.zst`.
    pub compressed: usize,
    /// `.log` / `.log.zst` files deleted for being older than retention.
    pub deleted: usize,
    /// Net bytes of disk released by compression and deletion.
    pub bytes_freed: u64,
}

/// zstd level: 3 is zstd's default and compresses text logs ~10x quickly.
const ZSTD_LEVEL: i32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Log,
    Zst,
    /// Our own leftover from a compression interrupted by a crash.
    Tmp,
}

struct DayFile {
    path: PathBuf,
    date: NaiveDate,
    kind: Kind,
    len: u64,
}

/// Parses `YYYY-MM-DD.log`, `YYYY-MM-DD.log.zst` and our temp files;
/// anything else is not ours and is left alone.
fn classify(name: &str) -> Option<(NaiveDate, Kind)> {
    let (date_part, rest) = name.split_at_checked(10)?;
    let kind = match rest {
        ".log" => Kind::Log,
        ".log.zst" => Kind::Zst,
        ".log.zst.tmp" => Kind::Tmp,
        _ => return None,
    };
    let date = NaiveDate::parse_from_str(date_part, "%Y-%m-%d").ok()?;
    // Reject lenient parses such as `2024-1-05` so only names we wrote match.
    (date.format("%Y-%m-%d").to_string() == date_part).then_some((date, kind))
}

/// Daily housekeeping over every component directory under `log_dir`.
///
/// Compresses `YYYY-MM-DD.log` files dated before `today` (in the shop's time
/// zone — the caller decides) to `YYYY-MM-DD.log.zst`, and deletes `.log` /
/// `.log.zst` files dated before `today - retention_days`. Unrelated files,
/// and files directly in `log_dir`, are untouched. Idempotent: a second run
/// on the same day does nothing.
///
/// Deletion runs first, across all components, so a full disk still gets
/// space back even when compression cannot write its temporary file. A
/// failure on one file does not stop the others; the first error is
/// returned after the pass (with the file's path in the message). A missing
/// `log_dir` is not an error: there is simply nothing to do.
///
/// Run it a few minutes after local midnight: a `.log` still being appended
/// to is detected (it no longer matches its archive) and kept for the next
/// run rather than deleted.
pub fn run_maintenance(
    log_dir: &Path,
    today: NaiveDate,
    retention_days: u32,
) -> io::Result<MaintenanceReport> {
    let mut report = MaintenanceReport::default();
    let mut first_error: Option<io::Error> = None;
    let mut note = |err: io::Error| {
        if first_error.is_none() {
            first_error = Some(err);
        }
    };
    let cutoff = today
        .checked_sub_days(Days::new(u64::from(retention_days)))
        .unwrap_or(NaiveDate::MIN);

    let entries = match fs::read_dir(log_dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(report),
        Err(err) => return Err(at(log_dir, err)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let component = match entry.and_then(|e| Ok((e.file_type()?, e.path()))) {
            Ok((ty, path)) if ty.is_dir() => path,
            Ok(_) => continue,
            Err(err) => {
                note(at(log_dir, err));
                continue;
            }
        };
        if let Err(err) = list_day_files(&component, &mut files) {
            note(at(&component, err));
        }
    }

    // Pass 1: retention.
    for file in files.iter().filter(|f| f.date < cutoff) {
        match fs::remove_file(&file.path) {
            Ok(()) => {
                if file.kind != Kind::Tmp {
                    report.deleted += 1;
                }
                report.bytes_freed += file.len;
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => note(at(&file.path, err)),
        }
    }

    // Pass 2: compress past days that survived retention.
    for file in files
        .iter()
        .filter(|f| f.kind == Kind::Log && f.date >= cutoff && f.date < today)
    {
        match compress_day(&file.path, file.date) {
            Ok(Some(freed)) => {
                report.compressed += 1;
                report.bytes_freed += freed;
            }
            Ok(None) => {}
            Err(err) => note(at(&file.path, err)),
        }
    }

    match first_error {
        Some(err) => Err(err),
        None => Ok(report),
    }
}

fn list_day_files(dir: &Path, out: &mut Vec<DayFile>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Some((date, kind)) = entry.file_name().to_str().and_then(classify) else {
            continue;
        };
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        if !meta.is_file() {
            continue;
        }
        out.push(DayFile {
            path: entry.path(),
            date,
            kind,
            len: meta.len(),
        });
    }
    Ok(())
}

/// How an existing archive relates to the `.log` it was made from.
#[derive(Debug, PartialEq, Eq)]
enum Match {
    /// The archive holds exactly the log's bytes: the original can go.
    Equal,
    /// The archive holds a prefix: the log grew after compression started.
    Prefix,
    /// Something else: both hold lines the other lacks.
    Differ,
}

/// Compresses one day's `.log`; returns the bytes freed, or `None` when the
/// log must be kept for now (it grew while being compressed).
fn compress_day(log: &Path, date: NaiveDate) -> io::Result<Option<u64>> {
    let dir = log.parent().unwrap_or(Path::new("."));
    let stem = date.format("%Y-%m-%d");
    let zst = dir.join(format!("{stem}.log.zst"));
    let tmp = dir.join(format!("{stem}.log.zst.tmp"));
    let before = file_len(log)? + file_len(&zst)?;

    let keep_old_archive = if zst.exists() {
        match compare(&zst, log)? {
            // A previous run crashed after the rename: just finish it.
            Match::Equal => {
                fs::remove_file(log)?;
                sync_dir(dir)?;
                return Ok(Some(before.saturating_sub(file_len(&zst)?)));
            }
            // The archive is a stale partial copy: replace it with the whole log.
            Match::Prefix => false,
            // Lines exist in both that the other lacks: keep them all by
            // appending the log as a further zstd frame.
            Match::Differ => true,
        }
    } else {
        false
    };

    let consumed = write_archive(&tmp, keep_old_archive.then_some(zst.as_path()), log)?;
    fs::rename(&tmp, &zst)?;
    sync_dir(dir)?;

    let safe_to_remove = if keep_old_archive {
        file_len(log)? == consumed
    } else {
        compare(&zst, log)? == Match::Equal
    };
    if !safe_to_remove {
        return Ok(None);
    }
    fs::remove_file(log)?;
    sync_dir(dir)?;
    Ok(Some(before.saturating_sub(file_len(&zst)?)))
}

/// Writes `old_archive` (raw) followed by a zstd frame of `log` into `tmp`,
/// fsynced. Returns how many log bytes went in.
fn write_archive(tmp: &Path, old_archive: Option<&Path>, log: &Path) -> io::Result<u64> {
    let mut out = File::create(tmp)?;
    if let Some(old) = old_archive {
        io::copy(&mut File::open(old)?, &mut out)?;
    }
    let mut encoder = zstd::stream::write::Encoder::new(out, ZSTD_LEVEL)?;
    let consumed = io::copy(&mut File::open(log)?, &mut encoder)?;
    let out = encoder.finish()?;
    out.sync_all()?;
    Ok(consumed)
}

/// Streams the decompressed archive against the log without loading either.
fn compare(archive: &Path, log: &Path) -> io::Result<Match> {
    let mut decoded = zstd::stream::read::Decoder::new(File::open(archive)?)?;
    let mut plain = BufReader::new(File::open(log)?);
    let mut a = vec![0u8; 64 * 1024];
    let mut b = vec![0u8; 64 * 1024];
    loop {
        let n = decoded.read(&mut a)?;
        if n == 0 {
            return Ok(if plain.read(&mut b[..1])? == 0 {
                Match::Equal
            } else {
                Match::Prefix
            });
        }
        let got = read_up_to(&mut plain, &mut b[..n])?;
        if got < n || a[..n] != b[..n] {
            return Ok(Match::Differ);
        }
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

fn file_len(path: &Path) -> io::Result<u64> {
    match fs::metadata(path) {
        Ok(meta) => Ok(meta.len()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(err) => Err(err),
    }
}

/// Makes a rename/unlink durable: without it a power cut can resurrect the
/// old directory entry even though the data was fsynced.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn at(path: &Path, err: io::Error) -> io::Error {
    io::Error::new(err.kind(), format!("{}: {err}", path.display()))
}

/// Total bytes of regular files under `path`, recursively, without following
/// symlinks; feeds the `LOG_USAGE` health check so the owner is warned before
/// logs fill the disk. A missing `path` counts as 0, and files vanishing
/// mid-walk (maintenance running concurrently) are skipped.
pub fn dir_size(path: &Path) -> io::Result<u64> {
    let mut total = 0u64;
    let mut pending = vec![path.to_path_buf()];
    while let Some(current) = pending.pop() {
        let meta = match fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(at(&current, err)),
        };
        if meta.is_file() {
            total = total.saturating_add(meta.len());
        } else if meta.is_dir() {
            let entries = match fs::read_dir(&current) {
                Ok(entries) => entries,
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(err) => return Err(at(&current, err)),
            };
            for entry in entries {
                match entry {
                    Ok(entry) => pending.push(entry.path()),
                    Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                    Err(err) => return Err(at(&current, err)),
                }
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    fn decompress(path: &Path) -> Vec<u8> {
        zstd::stream::decode_all(File::open(path).expect("open archive")).expect("decode")
    }

    fn zst_of(bytes: &[u8]) -> Vec<u8> {
        zstd::stream::encode_all(bytes, ZSTD_LEVEL).expect("encode")
    }

    #[test]
    fn classify_accepts_only_our_names() {
        assert_eq!(
            classify("2024-01-05.log"),
            Some((date("2024-01-05"), Kind::Log))
        );
        assert_eq!(
            classify("2024-01-05.log.zst"),
            Some((date("2024-01-05"), Kind::Zst))
        );
        for other in [
            "2024-1-05.log",
            "2024-01-05.txt",
            "2024-13-05.log",
            "x2024-01-05.log",
            "2024-01-05.log.gz",
            "notes",
            "",
        ] {
            assert_eq!(classify(other), None, "{other}");
        }
    }

    #[test]
    fn crash_after_rename_is_finished_without_recompressing() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("bot");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join("2024-01-01.log"), b"line\n").expect("write");
        fs::write(dir.join("2024-01-01.log.zst"), zst_of(b"line\n")).expect("write");
        let report = run_maintenance(tmp.path(), date("2024-01-02"), 90).expect("run");
        assert_eq!(report.compressed, 1);
        assert!(!dir.join("2024-01-01.log").exists());
        assert_eq!(decompress(&dir.join("2024-01-01.log.zst")), b"line\n");
    }

    #[test]
    fn stale_partial_archive_is_replaced() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("bot");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join("2024-01-01.log"), b"a\nb\n").expect("write");
        fs::write(dir.join("2024-01-01.log.zst"), zst_of(b"a\n")).expect("write");
        fs::write(dir.join("2024-01-01.log.zst.tmp"), b"garbage").expect("write");
        run_maintenance(tmp.path(), date("2024-01-02"), 90).expect("run");
        assert_eq!(decompress(&dir.join("2024-01-01.log.zst")), b"a\nb\n");
        assert!(!dir.join("2024-01-01.log").exists());
        assert!(!dir.join("2024-01-01.log.zst.tmp").exists());
    }

    #[test]
    fn diverging_archive_and_log_are_both_kept() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("bot");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join("2024-01-01.log"), b"late line\n").expect("write");
        fs::write(dir.join("2024-01-01.log.zst"), zst_of(b"early line\n")).expect("write");
        run_maintenance(tmp.path(), date("2024-01-02"), 90).expect("run");
        assert_eq!(
            decompress(&dir.join("2024-01-01.log.zst")),
            b"early line\nlate line\n"
        );
        assert!(!dir.join("2024-01-01.log").exists());
    }

    #[test]
    fn zero_retention_keeps_only_today() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("bot");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::write(dir.join("2024-01-01.log"), b"old\n").expect("write");
        fs::write(dir.join("2024-01-02.log"), b"today\n").expect("write");
        let report = run_maintenance(tmp.path(), date("2024-01-02"), 0).expect("run");
        assert_eq!((report.compressed, report.deleted), (0, 1));
        assert!(dir.join("2024-01-02.log").exists());
    }

    #[test]
    fn missing_dir_is_nothing_to_do() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let missing = tmp.path().join("nope");
        assert_eq!(
            run_maintenance(&missing, date("2024-01-02"), 90).expect("run"),
            MaintenanceReport::default()
        );
        assert_eq!(dir_size(&missing).expect("size"), 0);
    }

    #[test]
    fn dir_size_sums_nested_files() {
        let tmp = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(tmp.path().join("a/b")).expect("mkdir");
        fs::write(tmp.path().join("a/x"), [0u8; 10]).expect("write");
        fs::write(tmp.path().join("a/b/y"), [0u8; 32]).expect("write");
        assert_eq!(dir_size(tmp.path()).expect("size"), 42);
    }
}
