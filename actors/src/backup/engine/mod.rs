//! The backup engine: create, list, verify, restore, drill, prune. Everything here blocks
//! (processes, files, network): call it from the blocking pool or a CLI thread, never from an
//! actor thread.
//!
//! Layout: this module holds the settings, options and progress reporting every step shares;
//! `database` dumps (pg_dump / VACUUM INTO), `archive` writes and checks archives, `listing`
//! lists, verifies and opens them, `restore` restores and drills, `prune` applies retention,
//! `state` records outcomes for health checks and owner notices.

use std::collections::BTreeMap;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use autoorder_schema::DbConnection;
use autoorder_schema::DbTarget;

use super::crypto::{self, KeyMode, Keys};
use super::metadata::{
    FORMAT, FileEntry, HashingReader, HashingWriter, Metadata, SEGMENT_SIZE, StreamHasher,
    check_stream,
};
use super::retention::{Candidate, RetentionPolicy, select_kept};
use super::s3::{S3Client, S3Settings};
use super::targets::{Listed, RemoveOnDrop, Target, fsync_dir, write_atomically};

/// A file the process shell wants inside the archive (the configuration).
#[derive(Clone)]
pub struct ExtraFile {
    /// Path inside the archive, e.g. `config/environment.env`.
    pub path: String,
    pub contents: Vec<u8>,
}

impl std::fmt::Debug for ExtraFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExtraFile({}, {} bytes)", self.path, self.contents.len())
    }
}

/// Everything the engine needs, mapped from `BackupConfig` by the process shell.
#[derive(Debug, Clone)]
pub struct BackupSettings {
    pub db: DbTarget,
    pub store_name: String,
    pub timezone: chrono_tz::Tz,
    pub local_dir: PathBuf,
    pub offsite_dir: Option<PathBuf>,
    pub s3: Option<S3Settings>,
    /// How new archives are encrypted; `None` when no key is configured (backups refused).
    pub key: Option<KeyMode>,
    /// `BACKUP_ENCRYPTION_PASSWORD`, to open passphrase archives.
    pub passphrase: Option<autoorder_schema::secret::Secret<String>>,
    pub data_dir: PathBuf,
    pub log_dir: PathBuf,
    pub extra_files: Vec<ExtraFile>,
    pub retention: RetentionPolicy,
    /// `ENABLE_AUTO_BACKUP`.
    pub auto: bool,
    /// `BACKUP_TIME` (local).
    pub time: chrono::NaiveTime,
    /// `BACKUP_AUTOMATIC_OFFSITE`.
    pub automatic_offsite: bool,
    /// zstd level (3 unless benchmarking).
    pub zstd_level: i32,
    /// `BACKUP_DRILL_DAYS`: a restore drill is due when the last is older (0: never).
    pub drill_days: u32,
}

/// Reports progress: a stage name, bytes done and the total when known.
pub trait Progress: Sync {
    fn stage(&self, _stage: &str) {}
    fn bytes(&self, _done: u64, _total: Option<u64>) {}
    fn done(&self) {}
}

/// Progress that goes nowhere.
pub struct NoProgress;
impl Progress for NoProgress {}

/// Options of [`create`].
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    pub reason: String,
    /// Also write to the offsite targets (directory, S3).
    pub offsite: bool,
    /// Test hook: the archive file refuses writes after this many bytes (ENOSPC).
    #[doc(hidden)]
    pub fail_after_bytes: Option<u64>,
}

/// How one target fared.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TargetOutcome {
    pub target: String,
    pub ok: bool,
    pub detail: String,
}

/// The result of [`create`].
#[derive(Debug, Clone)]
pub struct CreateReport {
    pub meta: Metadata,
    pub archive: PathBuf,
    pub targets: Vec<TargetOutcome>,
    pub elapsed: Duration,
}

impl CreateReport {
    pub fn all_ok(&self) -> bool {
        self.targets.iter().all(|t| t.ok)
    }
}

pub(super) fn io_err(what: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> String {
    move |e| format!("{what}: {e}")
}

/// The local target plus, when asked, the offsite ones.
pub fn targets(settings: &BackupSettings, offsite: bool) -> Vec<Result<Target, String>> {
    let mut out = vec![Ok(Target::Dir {
        name: "local",
        path: settings.local_dir.clone(),
    })];
    if offsite {
        if let Some(dir) = &settings.offsite_dir {
            out.push(Ok(Target::Dir {
                name: "offsite",
                path: dir.clone(),
            }));
        }
        if let Some(s3) = &settings.s3 {
            out.push(
                S3Client::new(s3.clone())
                    .map(|c| Target::S3(Box::new(c)))
                    .map_err(|e| e.to_string()),
            );
        }
    }
    out
}

pub(super) fn new_id() -> String {
    use rand::Rng;
    format!(
        "{}-{:04x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ"),
        rand::rng().random::<u16>()
    )
}

mod archive;
mod database;
mod listing;
mod prune;
mod restore;
mod state;

pub use archive::*;
pub use database::*;
pub use listing::*;
pub use prune::*;
pub use restore::*;
pub use state::*;
