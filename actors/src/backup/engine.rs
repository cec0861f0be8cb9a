//! The backup engine: create, list, verify, restore, drill, prune. Everything here blocks
//! (processes, files, network): call it from the blocking pool or a CLI thread, never from an
//! actor thread.

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

fn io_err(what: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> String {
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
                    .map(Target::S3)
                    .map_err(|e| e.to_string()),
            );
        }
    }
    out
}

fn new_id() -> String {
    use rand::Rng;
    format!(
        "{}-{:04x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ"),
        rand::rng().random::<u16>()
    )
}

// ---------------------------------------------------------------- database side

/// Splits the password out of a PostgreSQL URL, so it goes through `PGPASSWORD` and never
/// shows in a process list.
pub fn split_pg_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some(x) => x,
        None => return (url.to_string(), None),
    };
    match auth.split_once(':') {
        Some((user, pw)) => (
            format!("{scheme}://{user}@{host}"),
            Some(percent_decode(pw)),
        ),
        None => (url.to_string(), None),
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `url` with another database name.
pub fn pg_url_with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{db}?{q}"),
        None => format!("{root}/{db}"),
    }
}

fn pg_command(tool: &str, url: &str) -> (Command, String) {
    let (clean, pw) = split_pg_password(url);
    let mut cmd = Command::new(tool);
    if let Some(pw) = pw {
        cmd.env("PGPASSWORD", pw);
    }
    (cmd, clean)
}

/// Major version of a PostgreSQL client tool; a clear error when it is missing.
fn tool_major(tool: &str) -> Result<(u32, String), String> {
    let out = Command::new(tool).arg("--version").output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!("{tool} not found on PATH: install the PostgreSQL client tools (postgresql-client) matching the server")
        } else {
            format!("running {tool}: {e}")
        }
    })?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let version = text
        .rsplit_once(") ")
        .map(|(_, v)| v)
        .or_else(|| text.split_whitespace().last())
        .unwrap_or("");
    let major = version
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|m| m.parse::<u32>().ok())
        .ok_or_else(|| format!("cannot read the version of {tool} from {text:?}"))?;
    Ok((
        major,
        version.split_whitespace().next().unwrap_or("").to_string(),
    ))
}

fn first_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no output")
        .to_string()
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn valid_table(name: &str) -> bool {
    !name.is_empty()
        && name.len() < 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Row counts of every user table that exists.
fn count_existing(conn: &mut DbConnection) -> Result<BTreeMap<String, i64>, String> {
    let names: Vec<String> = match conn {
        DbConnection::Pg(c) => diesel::sql_query(
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
        .load::<Name>(c),
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .load::<Name>(c),
    }
    .map_err(|e| format!("listing tables: {e}"))?
    .into_iter()
    .map(|n| n.name)
    .filter(|n| valid_table(n))
    .collect();
    count_tables(conn, names.iter().map(String::as_str))
}

/// Row counts of the named tables (names are checked, they may come from metadata).
fn count_tables<'a>(
    conn: &mut DbConnection,
    tables: impl Iterator<Item = &'a str>,
) -> Result<BTreeMap<String, i64>, String> {
    let mut out = BTreeMap::new();
    for t in tables {
        if !valid_table(t) {
            return Err(format!("invalid table name {t:?}"));
        }
        let q = format!("SELECT COUNT(*) AS n FROM \"{t}\"");
        let n =
            autoorder_schema::on_backend!(conn, c => diesel::sql_query(&q).get_result::<Count>(c))
                .map_err(|e| format!("counting {t}: {e}"))?
                .n;
        out.insert(t.to_string(), n);
    }
    Ok(out)
}

fn open_sqlite(path: &Path) -> Result<DbConnection, String> {
    let mut c = diesel::SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| format!("opening SQLite {}: {e}", path.display()))?;
    c.batch_execute("PRAGMA busy_timeout = 10000;")
        .map_err(|e| e.to_string())?;
    Ok(DbConnection::Sqlite(c))
}

fn open_pg(url: &str) -> Result<diesel::PgConnection, String> {
    diesel::PgConnection::establish(url).map_err(|e| {
        // diesel's message may echo the URL; keep only the server's reason.
        let text = e.to_string();
        format!(
            "connecting to PostgreSQL: {}",
            text.lines().next().unwrap_or("")
        )
    })
}

struct Dumped {
    path: PathBuf,
    inner_path: String,
    counts: BTreeMap<String, i64>,
    versions: BTreeMap<String, String>,
}

fn dump(db: &DbTarget, work: &Path) -> Result<Dumped, String> {
    let mut versions = BTreeMap::new();
    versions.insert("autoorder".into(), env!("CARGO_PKG_VERSION").to_string());
    match db {
        DbTarget::Sqlite(path) => {
            if !path.exists() {
                return Err(format!("SQLite database {} does not exist", path.display()));
            }
            let out = work.join("autoorder.sqlite3");
            let mut conn = open_sqlite(path)?;
            let q = format!(
                "VACUUM INTO '{}'",
                out.to_string_lossy().replace('\'', "''")
            );
            autoorder_schema::on_backend!(&mut conn, c => c.batch_execute(&q))
                .map_err(|e| format!("snapshotting SQLite: {e}"))?;
            drop(conn);
            let mut snap = open_sqlite(&out)?;
            let counts = count_existing(&mut snap)?;
            #[derive(QueryableByName)]
            struct V {
                #[diesel(sql_type = diesel::sql_types::Text)]
                v: String,
            }
            if let DbConnection::Sqlite(c) = &mut snap
                && let Ok(v) = diesel::sql_query("SELECT sqlite_version() AS v").get_result::<V>(c)
            {
                versions.insert("sqlite".into(), v.v);
            }
            Ok(Dumped {
                path: out,
                inner_path: "db/autoorder.sqlite3".into(),
                counts,
                versions,
            })
        }
        DbTarget::Postgres(url) => {
            let (client_major, client_version) = tool_major("pg_dump")?;
            let mut c = open_pg(url)?;
            #[derive(QueryableByName)]
            struct S {
                #[diesel(sql_type = diesel::sql_types::Text)]
                s: String,
            }
            let server_num: i64 = diesel::sql_query("SHOW server_version_num")
                .get_result::<ServerNum>(&mut c)
                .map_err(|e| format!("reading the server version: {e}"))?
                .server_version_num
                .parse()
                .unwrap_or(0);
            let server_major = (server_num / 10000) as u32;
            if client_major < server_major {
                return Err(format!(
                    "pg_dump {client_version} is older than the PostgreSQL {server_major} server; install pg_dump {server_major} or newer"
                ));
            }
            versions.insert("pg_dump".into(), client_version);
            versions.insert("postgres_server".into(), server_num.to_string());
            c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .map_err(|e| format!("starting the snapshot: {e}"))?;
            let snapshot = diesel::sql_query("SELECT pg_export_snapshot() AS s")
                .get_result::<S>(&mut c)
                .map_err(|e| format!("exporting the snapshot: {e}"))?
                .s;
            let mut conn = DbConnection::Pg(c);
            let counts = count_existing(&mut conn)?;
            let out = work.join("autoorder.pgdump");
            let (mut cmd, clean) = pg_command("pg_dump", url);
            let result = cmd
                .args(["--format=custom", "--compress=0", "--no-owner"])
                .arg(format!("--snapshot={snapshot}"))
                .arg(format!("--file={}", out.display()))
                .arg(format!("--dbname={clean}"))
                .output()
                .map_err(|e| format!("running pg_dump: {e}"))?;
            if let DbConnection::Pg(c) = &mut conn {
                let _ = c.batch_execute("COMMIT");
            }
            if !result.status.success() {
                return Err(format!("pg_dump failed: {}", first_line(&result.stderr)));
            }
            Ok(Dumped {
                path: out,
                inner_path: "db/autoorder.pgdump".into(),
                counts,
                versions,
            })
        }
    }
}

#[derive(QueryableByName)]
struct ServerNum {
    #[diesel(sql_type = diesel::sql_types::Text)]
    server_version_num: String,
}

// ---------------------------------------------------------------- archive writing

/// A file writer that runs out of space after a limit (test hook for a full disk).
struct ArchiveFile {
    file: std::fs::File,
    remaining: Option<u64>,
}

impl Write for ArchiveFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(r) = &mut self.remaining {
            if *r < buf.len() as u64 {
                return Err(std::io::Error::from_raw_os_error(28));
            }
            *r -= buf.len() as u64;
        }
        self.file.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

struct Counting<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Reads exactly `len` bytes: a file that shrank meanwhile (a log being rotated) is padded.
fn exact(r: impl Read, len: u64) -> impl Read {
    r.take(len).chain(std::io::repeat(0).take(len)).take(len)
}

struct Source {
    path: String,
    len: u64,
    reader: Box<dyn Read>,
}

fn walk(dir: &Path, prefix: &str, skip: &[PathBuf], out: &mut Vec<(String, PathBuf)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut items: Vec<_> = rd.flatten().collect();
    items.sort_by_key(|e| e.file_name());
    for item in items {
        let p = item.path();
        if skip.iter().any(|s| p.starts_with(s)) {
            continue;
        }
        let name = item.file_name().to_string_lossy().into_owned();
        let Ok(ft) = item.file_type() else { continue };
        if ft.is_dir() {
            walk(&p, &format!("{prefix}{name}/"), skip, out);
        } else if ft.is_file() {
            out.push((format!("{prefix}{name}"), p));
        }
    }
}

/// Small files of the data directory worth keeping (generated keys and secrets), not the
/// database or the backups.
fn data_files(settings: &BackupSettings) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let db_name = match &settings.db {
        DbTarget::Sqlite(p) => p.file_name().map(|n| n.to_string_lossy().into_owned()),
        DbTarget::Postgres(_) => None,
    };
    let Ok(rd) = std::fs::read_dir(&settings.data_dir) else {
        return out;
    };
    for item in rd.flatten() {
        let name = item.file_name().to_string_lossy().into_owned();
        let p = item.path();
        let small = item
            .metadata()
            .map(|m| m.is_file() && m.len() < 4 << 20)
            .unwrap_or(false);
        let is_db = db_name.as_deref().is_some_and(|d| name.starts_with(d))
            || name.ends_with(".lock")
            || name.ends_with(".db")
            || name.contains(".db-")
            || name.contains("before-restore");
        if small && !is_db && !p.starts_with(&settings.local_dir) {
            out.push((format!("data/{name}"), p));
        }
    }
    out.sort();
    out
}

fn write_archive(
    settings: &BackupSettings,
    key: &KeyMode,
    dumped: &Dumped,
    out: ArchiveFile,
    progress: &dyn Progress,
) -> std::io::Result<(Vec<FileEntry>, u64, StreamHasher)> {
    let hashing = HashingWriter {
        inner: std::io::BufWriter::with_capacity(1 << 20, out),
        hasher: StreamHasher::default(),
    };
    let age = crypto::encrypt(key, hashing).map_err(std::io::Error::other)?;
    let mut zw = zstd::Encoder::new(age, settings.zstd_level)?;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get().min(8) as u32)
        .unwrap_or(1);
    if threads > 1 {
        let _ = zw.multithread(threads);
    }
    let mut tar = tar::Builder::new(Counting { inner: zw, n: 0 });
    let mtime = chrono::Utc::now().timestamp().max(0) as u64;
    let mut files = Vec::new();

    let mut sources: Vec<Source> = Vec::new();
    let dump_len = std::fs::metadata(&dumped.path)?.len();
    sources.push(Source {
        path: dumped.inner_path.clone(),
        len: dump_len,
        reader: Box::new(std::fs::File::open(&dumped.path)?),
    });
    for extra in &settings.extra_files {
        sources.push(Source {
            path: extra.path.clone(),
            len: extra.contents.len() as u64,
            reader: Box::new(std::io::Cursor::new(extra.contents.clone())),
        });
    }
    let mut disk: Vec<(String, PathBuf)> = data_files(settings);
    walk(
        &settings.log_dir,
        "logs/",
        std::slice::from_ref(&settings.local_dir),
        &mut disk,
    );
    for (inner, path) in disk {
        // A file may vanish between listing and opening (log clean-up): skip it.
        let Ok(f) = std::fs::File::open(&path) else {
            continue;
        };
        let Ok(len) = f.metadata().map(|m| m.len()) else {
            continue;
        };
        sources.push(Source {
            path: inner,
            len,
            reader: Box::new(f),
        });
    }
    let total: u64 = sources.iter().map(|s| s.len).sum();
    let mut done = 0u64;
    progress.stage("archiving");
    for s in sources {
        let mut header = tar::Header::new_gnu();
        header.set_size(s.len);
        header.set_mode(0o600);
        header.set_mtime(mtime);
        header.set_entry_type(tar::EntryType::Regular);
        let mut hr = HashingReader::new(ProgressReader {
            inner: exact(s.reader, s.len),
            progress,
            done: &mut done,
            total,
        });
        tar.append_data(&mut header, &s.path, &mut hr)?;
        files.push(FileEntry {
            path: s.path,
            size: hr.len,
            blake3: hr.hasher.finalize().to_hex().to_string(),
        });
    }
    let counting = tar.into_inner()?;
    let payload = counting.n;
    let age = counting.inner.finish()?;
    let mut hashing = age.finish()?;
    hashing.flush()?;
    let HashingWriter { inner, hasher } = hashing;
    let file = inner.into_inner().map_err(|e| e.into_error())?;
    file.file.sync_all()?;
    progress.done();
    Ok((files, payload, hasher))
}

struct ProgressReader<'a, R> {
    inner: R,
    progress: &'a dyn Progress,
    done: &'a mut u64,
    total: u64,
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        *self.done += n as u64;
        self.progress.bytes(*self.done, Some(self.total));
        Ok(n)
    }
}

/// Removes a directory tree when dropped.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn work_dir(settings: &BackupSettings, what: &str) -> Result<WorkDir, String> {
    std::fs::create_dir_all(&settings.local_dir).map_err(io_err(format!(
        "backup directory {}",
        settings.local_dir.display()
    )))?;
    let dir = settings
        .local_dir
        .join(format!(".work-{what}-{}", new_id()));
    std::fs::create_dir_all(&dir).map_err(io_err(format!("creating {}", dir.display())))?;
    Ok(WorkDir(dir))
}

/// Makes a backup: dump, archive, compress, encrypt, check, publish locally, then copy to
/// the offsite targets when asked. Fails only when the local archive cannot be made; an
/// offsite failure is reported in [`CreateReport::targets`].
pub fn create(
    settings: &BackupSettings,
    options: &CreateOptions,
    progress: &dyn Progress,
) -> Result<CreateReport, String> {
    let started = Instant::now();
    let key = settings.key.as_ref().ok_or(
        "no backup key: set BACKUP_ENCRYPTION_PASSWORD or BACKUP_RECIPIENTS (backups are always encrypted)",
    )?;
    let work = work_dir(settings, "create")?;
    progress.stage("dumping the database");
    let dumped = dump(&settings.db, &work.0)?;
    let dump_size = std::fs::metadata(&dumped.path)
        .map(|m| m.len())
        .unwrap_or(0);

    let id = new_id();
    let archive_name = Metadata::archive_file_name(&id);
    let final_path = settings.local_dir.join(&archive_name);
    let partial = settings.local_dir.join(format!(".{archive_name}.partial"));
    let mut guard = RemoveOnDrop(Some(partial.clone()));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .map_err(io_err(format!("creating {}", partial.display())))?;
    let out = ArchiveFile {
        file,
        remaining: options.fail_after_bytes,
    };
    let (files, payload_size, hasher) = write_archive(settings, key, &dumped, out, progress)
        .map_err(|e| {
            format!(
                "writing backup archive in {}: {e}; the partial file was removed",
                settings.local_dir.display()
            )
        })?;
    let (archive_blake3, segments, archive_size) = hasher.finish();
    let now = chrono::Utc::now();
    let meta = Metadata {
        format: FORMAT,
        id: id.clone(),
        created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        created_at_ms: now.timestamp_millis(),
        store: settings.store_name.clone(),
        reason: options.reason.clone(),
        backend: match settings.db {
            DbTarget::Postgres(_) => "postgres".into(),
            DbTarget::Sqlite(_) => "sqlite".into(),
        },
        encryption: key.name().into(),
        recipients: match key {
            KeyMode::Recipients(r) => r.clone(),
            KeyMode::Passphrase(_) => Vec::new(),
        },
        tool_versions: dumped.versions.clone(),
        archive_name: archive_name.clone(),
        archive_size,
        archive_blake3,
        segment_size: SEGMENT_SIZE,
        segments,
        payload_size,
        dump_size,
        dump_path: dumped.inner_path.clone(),
        files,
        row_counts: dumped.counts.clone(),
    };
    drop(work);
    progress.stage("checking the archive");
    let f = std::fs::File::open(&partial).map_err(io_err(partial.display()))?;
    check_stream(BufReader::with_capacity(1 << 20, f), &meta)
        .map_err(|e| format!("the archive just written does not read back: {e}"))?;
    std::fs::rename(&partial, &final_path).map_err(io_err("publishing the archive"))?;
    guard.0 = None;
    let meta_path = settings.local_dir.join(Metadata::file_name(&id));
    if let Err(e) = write_atomically(&meta_path, &meta.to_json()) {
        let _ = std::fs::remove_file(&final_path);
        return Err(format!(
            "writing metadata {}: {e}; the archive was removed",
            meta_path.display()
        ));
    }
    fsync_dir(&settings.local_dir);
    let mut outcomes = vec![TargetOutcome {
        target: format!("local {}", settings.local_dir.display()),
        ok: true,
        detail: format!("{archive_size} bytes"),
    }];
    if options.offsite {
        if settings.offsite_dir.is_none() && settings.s3.is_none() {
            outcomes.push(TargetOutcome {
                target: "offsite".into(),
                ok: false,
                detail: "no offsite target configured (BACKUP_OFFSITE_DIR, BACKUP_S3_*)".into(),
            });
        }
        for target in targets(settings, true).into_iter().skip(1) {
            let outcome = match target {
                Err(e) => TargetOutcome {
                    target: "s3".into(),
                    ok: false,
                    detail: e,
                },
                Ok(t) => {
                    progress.stage(&format!("copying to {}", t.describe()));
                    match t.store(&final_path, &meta) {
                        Ok(()) => TargetOutcome {
                            target: t.describe(),
                            ok: true,
                            detail: "written and verified".into(),
                        },
                        Err(e) => TargetOutcome {
                            target: t.describe(),
                            ok: false,
                            detail: e,
                        },
                    }
                }
            };
            outcomes.push(outcome);
        }
    }
    Ok(CreateReport {
        meta,
        archive: final_path,
        targets: outcomes,
        elapsed: started.elapsed(),
    })
}

// ---------------------------------------------------------------- listing and verifying

/// Every target's backups (local always; offsite ones when configured).
pub fn list(settings: &BackupSettings) -> Vec<(String, Result<Vec<Listed>, String>)> {
    targets(settings, true)
        .into_iter()
        .map(|t| match t {
            Ok(t) => {
                if let Target::Dir {
                    name: "local",
                    path,
                } = &t
                    && !path.exists()
                {
                    return (t.describe(), Ok(Vec::new()));
                }
                (t.describe(), t.list())
            }
            Err(e) => ("s3".to_string(), Err(e)),
        })
        .collect()
}

/// Finds the metadata of `id` on the first target that has it, with that target.
pub fn locate(settings: &BackupSettings, id: &str) -> Result<(Target, Metadata), String> {
    let mut errors = Vec::new();
    for t in targets(settings, true) {
        match t.and_then(|t| Ok((t.metadata(id)?, t))) {
            Ok((Some(m), t)) => return Ok((t, m)),
            Ok((None, _)) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Err(format!(
            "no backup {id} on any target (see `autoorder backup list`)"
        ))
    } else {
        Err(format!("no backup {id} found ({})", errors.join("; ")))
    }
}

/// Decrypts `source`, checks every file inside against `meta`, and extracts the dump to
/// `dump_out` when given. Names the bad part on failure.
pub fn open_archive(
    keys: &Keys,
    meta: &Metadata,
    source: Box<dyn Read + Send>,
    dump_out: Option<&Path>,
) -> Result<(), String> {
    let id = &meta.id;
    let age = crypto::decrypt(keys, BufReader::with_capacity(1 << 20, source), id)?;
    let zr = zstd::Decoder::new(age).map_err(|e| format!("backup {id}: {e}"))?;
    let mut archive = tar::Archive::new(zr);
    let mut seen = Vec::new();
    let corrupt = |part: &str, e: std::io::Error| {
        format!("backup {id}: corrupt archive: decryption or decompression failed in {part}: {e}")
    };
    {
        let entries = archive
            .entries()
            .map_err(|e| corrupt("the start of the payload", e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| {
                corrupt(
                    &format!(
                        "the payload after {}",
                        seen.last().map(String::as_str).unwrap_or("the start")
                    ),
                    e,
                )
            })?;
            let path = entry
                .path()
                .map_err(|e| corrupt("a file name", e))?
                .to_string_lossy()
                .into_owned();
            let Some(expected) = meta.files.iter().find(|f| f.path == path) else {
                return Err(format!(
                    "backup {id}: corrupt archive: unexpected file {path} inside"
                ));
            };
            let mut hr = HashingReader::new(&mut entry);
            let copied = match (dump_out, path == meta.dump_path) {
                (Some(out), true) => {
                    let mut f = std::fs::File::create(out)
                        .map_err(io_err(format!("creating {}", out.display())))?;
                    let r = std::io::copy(&mut hr, &mut f);
                    r.and_then(|n| f.sync_all().map(|()| n))
                }
                _ => std::io::copy(&mut hr, &mut std::io::sink()),
            };
            copied.map_err(|e| corrupt(&format!("file {path}"), e))?;
            let hash = hr.hasher.finalize().to_hex().to_string();
            if hr.len != expected.size || hash != expected.blake3 {
                return Err(format!(
                    "backup {id}: corrupt archive: file {path} does not match its checksum"
                ));
            }
            seen.push(path);
        }
    }
    // Read to the very end so the last encrypted chunk is authenticated too.
    std::io::copy(&mut archive.into_inner(), &mut std::io::sink())
        .map_err(|e| corrupt("the end of the payload (truncated?)", e))?;
    for f in &meta.files {
        if !seen.contains(&f.path) {
            return Err(format!(
                "backup {id}: corrupt archive: file {} is missing",
                f.path
            ));
        }
    }
    Ok(())
}

/// Checks that an extracted dump has the right structure.
fn check_dump(meta: &Metadata, dump: &Path) -> Result<(), String> {
    match meta.backend.as_str() {
        "postgres" => {
            let out = Command::new("pg_restore")
                .arg("--list")
                .arg(dump)
                .output()
                .map_err(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        "pg_restore not found on PATH: install the PostgreSQL client tools"
                            .to_string()
                    } else {
                        format!("running pg_restore: {e}")
                    }
                })?;
            if !out.status.success() {
                return Err(format!(
                    "backup {}: the database dump is not readable: {}",
                    meta.id,
                    first_line(&out.stderr)
                ));
            }
            Ok(())
        }
        _ => {
            let mut conn = open_sqlite(dump)?;
            #[derive(QueryableByName)]
            struct R {
                #[diesel(sql_type = diesel::sql_types::Text)]
                integrity_check: String,
            }
            let r = autoorder_schema::on_backend!(&mut conn, c => diesel::sql_query("PRAGMA integrity_check").get_result::<R>(c))
                .map_err(|e| format!("backup {}: the SQLite snapshot is not readable: {e}", meta.id))?;
            if r.integrity_check != "ok" {
                return Err(format!(
                    "backup {}: the SQLite snapshot fails its integrity check: {}",
                    meta.id, r.integrity_check
                ));
            }
            Ok(())
        }
    }
}

/// The result of verifying one backup on one target.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyOutcome {
    pub id: String,
    pub target: String,
    pub ok: bool,
    pub detail: String,
}

/// Verifies backup `id` (all backups when `None`) on every target that has it. `keys` given
/// means deep: decrypt, check every file and the dump's structure.
pub fn verify(
    settings: &BackupSettings,
    id: Option<&str>,
    deep: Option<&Keys>,
    progress: &dyn Progress,
) -> Result<Vec<VerifyOutcome>, String> {
    let mut out = Vec::new();
    for (label, listed) in list(settings) {
        let listed = match listed {
            Ok(l) => l,
            Err(e) => {
                out.push(VerifyOutcome {
                    id: id.unwrap_or("*").to_string(),
                    target: label,
                    ok: false,
                    detail: e,
                });
                continue;
            }
        };
        let target = targets(settings, true)
            .into_iter()
            .flatten()
            .find(|t| t.describe() == label);
        let Some(target) = target else { continue };
        for l in listed.iter().filter(|l| id.is_none_or(|id| l.id == id)) {
            progress.stage(&format!("verifying {} on {label}", l.id));
            let result =
                match &l.meta {
                    None => Err("incomplete: the archive has no metadata".to_string()),
                    Some(Err(e)) => Err(e.clone()),
                    Some(Ok(meta)) => target.verify(meta).and_then(|()| match deep {
                        None => Ok("checksums ok".to_string()),
                        Some(keys) => {
                            let work = work_dir(settings, "verify")?;
                            let dump = work.0.join("dump");
                            open_archive(keys, meta, target.open_archive(&meta.id)?, Some(&dump))?;
                            check_dump(meta, &dump)?;
                            Ok("checksums ok, decrypted, every file and the dump check out"
                                .to_string())
                        }
                    }),
                };
            out.push(VerifyOutcome {
                id: l.id.clone(),
                target: label.clone(),
                ok: result.is_ok(),
                detail: result.unwrap_or_else(|e| e),
            });
        }
    }
    if let Some(id) = id
        && out.iter().all(|o| o.id != id)
    {
        return Err(format!(
            "no backup {id} on any target (see `autoorder backup list`)"
        ));
    }
    Ok(out)
}

// ---------------------------------------------------------------- restore and drill

/// Downloads, checks and decrypts backup `id`; returns its metadata and the extracted dump.
fn fetch_dump(
    settings: &BackupSettings,
    keys: &Keys,
    id: &str,
    work: &Path,
    progress: &dyn Progress,
) -> Result<(Metadata, PathBuf), String> {
    let (target, meta) = locate(settings, id)?;
    progress.stage(&format!("checking {id} on {}", target.describe()));
    target
        .verify(&meta)
        .map_err(|e| format!("backup {id} on {}: {e}", target.describe()))?;
    progress.stage("decrypting");
    let dump = work.join("dump");
    open_archive(keys, &meta, target.open_archive(id)?, Some(&dump))?;
    check_dump(&meta, &dump)?;
    Ok((meta, dump))
}

fn pg_restore_into(url: &str, dump: &Path, clean: bool) -> Result<(), String> {
    tool_major("pg_restore")?;
    let (mut cmd, clean_url) = pg_command("pg_restore", url);
    if clean {
        cmd.args(["--clean", "--if-exists"]);
    }
    let out = cmd
        .args([
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
        ])
        .arg(format!("--dbname={clean_url}"))
        .arg(dump)
        .output()
        .map_err(|e| format!("running pg_restore: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "pg_restore failed (nothing was changed): {}",
            first_line(&out.stderr)
        ));
    }
    Ok(())
}

/// Where a restore goes.
pub fn parse_target_url(url: &str) -> DbTarget {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        DbTarget::Postgres(url.to_string())
    } else {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        DbTarget::Sqlite(PathBuf::from(path))
    }
}

/// The result of a restore.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub id: String,
    /// The safety snapshot taken first (when restoring over the configured database).
    pub safety_snapshot: Option<String>,
    /// The previous SQLite file, kept.
    pub kept_old_file: Option<PathBuf>,
    pub row_counts_match: bool,
    pub elapsed: Duration,
}

/// Restores backup `id` into `target` (the configured database when `None`), after a safety
/// snapshot of the configured database.
pub fn restore(
    settings: &BackupSettings,
    keys: &Keys,
    id: &str,
    target: Option<DbTarget>,
    progress: &dyn Progress,
) -> Result<RestoreReport, String> {
    let started = Instant::now();
    let work = work_dir(settings, "restore")?;
    let (meta, dump) = fetch_dump(settings, keys, id, &work.0, progress)?;
    let over_configured = target.is_none();
    let target = target.unwrap_or_else(|| settings.db.clone());
    match (&target, meta.backend.as_str()) {
        (DbTarget::Postgres(_), "postgres") | (DbTarget::Sqlite(_), "sqlite") => {}
        _ => {
            return Err(format!(
                "backup {id} is a {} backup and cannot be restored into this database",
                meta.backend
            ));
        }
    }
    if let DbTarget::Sqlite(path) = &target {
        ensure_not_running(path)?;
    }
    let safety_snapshot = if over_configured && target_exists(&target) {
        progress.stage("safety snapshot of the current database");
        let report = create(
            settings,
            &CreateOptions {
                reason: format!("safety snapshot before restoring {id}"),
                ..CreateOptions::default()
            },
            progress,
        )
        .map_err(|e| format!("safety snapshot failed, nothing was restored: {e}"))?;
        Some(report.meta.id)
    } else {
        None
    };
    progress.stage("restoring");
    let mut kept_old_file = None;
    match &target {
        DbTarget::Postgres(url) => pg_restore_into(url, &dump, true)?,
        DbTarget::Sqlite(path) => {
            kept_old_file = replace_sqlite(path, &dump, id)?;
        }
    }
    let counts = counts_of(&target, meta.row_counts.keys())?;
    Ok(RestoreReport {
        id: id.to_string(),
        safety_snapshot,
        kept_old_file,
        row_counts_match: counts == meta.row_counts,
        elapsed: started.elapsed(),
    })
}

fn target_exists(t: &DbTarget) -> bool {
    match t {
        DbTarget::Sqlite(p) => p.exists(),
        DbTarget::Postgres(_) => true,
    }
}

/// Refuses while a bot holds the SQLite instance lock.
fn ensure_not_running(path: &Path) -> Result<(), String> {
    let lock = path.with_extension("instance.lock");
    if !lock.exists() {
        return Ok(());
    }
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&lock)
        .map_err(io_err(lock.display()))?;
    match f.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "the bot is running on {}: stop it before restoring",
            path.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("locking {}: {e}", lock.display())),
    }
}

/// Puts the restored SQLite file in place, keeping the old one beside it.
fn replace_sqlite(path: &Path, dump: &Path, id: &str) -> Result<Option<PathBuf>, String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err(dir.display()))?;
    let name = path
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let staged = dir.join(format!(".{name}.restoring"));
    let mut guard = RemoveOnDrop(Some(staged.clone()));
    std::fs::copy(dump, &staged).map_err(io_err(format!("copying to {}", staged.display())))?;
    std::fs::File::open(&staged)
        .and_then(|f| f.sync_all())
        .map_err(io_err(staged.display()))?;
    let mut kept = None;
    if path.exists() {
        // Fold the WAL into the old file so the kept copy is whole on its own.
        if let Ok(mut c) = open_sqlite(path) {
            let _ = autoorder_schema::on_backend!(&mut c, c => c.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);"));
        }
        let old = dir.join(format!("{name}.before-restore-{id}"));
        std::fs::rename(path, &old).map_err(io_err(format!("moving {} aside", path.display())))?;
        for suffix in ["-wal", "-shm"] {
            let side = dir.join(format!("{name}{suffix}"));
            if side.exists() {
                let _ = std::fs::rename(
                    &side,
                    dir.join(format!("{name}.before-restore-{id}{suffix}")),
                );
            }
        }
        kept = Some(old);
    }
    std::fs::rename(&staged, path)
        .map_err(io_err(format!("putting {} in place", path.display())))?;
    guard.0 = None;
    fsync_dir(dir);
    Ok(kept)
}

fn counts_of<'a>(
    target: &DbTarget,
    tables: impl Iterator<Item = &'a String>,
) -> Result<BTreeMap<String, i64>, String> {
    let mut conn = match target {
        DbTarget::Sqlite(p) => open_sqlite(p)?,
        DbTarget::Postgres(url) => DbConnection::Pg(open_pg(url)?),
    };
    count_tables(&mut conn, tables.map(String::as_str))
}

/// The result of a drill.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DrillReport {
    pub id: String,
    pub ok: bool,
    /// `table: expected N, restored M` for each difference.
    pub mismatches: Vec<String>,
    pub elapsed_ms: u128,
}

/// Restores backup `id` into a scratch database and compares row counts with the metadata.
pub fn drill(
    settings: &BackupSettings,
    keys: &Keys,
    id: &str,
    progress: &dyn Progress,
) -> Result<DrillReport, String> {
    let started = Instant::now();
    let work = work_dir(settings, "drill")?;
    let (meta, dump) = fetch_dump(settings, keys, id, &work.0, progress)?;
    progress.stage("restoring into a scratch database");
    let counts = match (&settings.db, meta.backend.as_str()) {
        (_, "sqlite") => {
            let scratch = work.0.join("scratch.sqlite3");
            std::fs::copy(&dump, &scratch).map_err(io_err("copying the scratch database"))?;
            counts_of(&DbTarget::Sqlite(scratch), meta.row_counts.keys())
        }
        (DbTarget::Postgres(url), "postgres") => {
            use rand::Rng;
            let name = format!("autoorder_drill_{:08x}", rand::rng().random::<u32>());
            let mut admin = open_pg(url)?;
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .map_err(|e| format!("creating the scratch database (needs CREATEDB): {e}"))?;
            let scratch_url = pg_url_with_database(url, &name);
            let result = pg_restore_into(&scratch_url, &dump, false)
                .and_then(|()| counts_of(&DbTarget::Postgres(scratch_url), meta.row_counts.keys()));
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            result
        }
        _ => Err(format!(
            "backup {id} is a PostgreSQL backup; a drill needs a PostgreSQL DATABASE_URL for its scratch database"
        )),
    }?;
    let mut mismatches = Vec::new();
    for (table, expected) in &meta.row_counts {
        let got = counts.get(table).copied().unwrap_or(-1);
        if got != *expected {
            mismatches.push(format!("{table}: expected {expected}, restored {got}"));
        }
    }
    Ok(DrillReport {
        id: id.to_string(),
        ok: mismatches.is_empty(),
        mismatches,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

// ---------------------------------------------------------------- prune

/// What a prune did (or would do) on one target.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PruneOutcome {
    pub target: String,
    pub kept: Vec<String>,
    pub deleted: Vec<String>,
    pub error: Option<String>,
}

/// Applies the retention policy on every target, each on its own.
pub fn prune(settings: &BackupSettings, dry_run: bool) -> Result<Vec<PruneOutcome>, String> {
    if settings.retention.is_empty() {
        return Err(select_kept(&[], &settings.retention, settings.timezone).unwrap_err());
    }
    let mut out = Vec::new();
    for t in targets(settings, true) {
        let t = match t {
            Ok(t) => t,
            Err(e) => {
                out.push(PruneOutcome {
                    target: "s3".into(),
                    kept: vec![],
                    deleted: vec![],
                    error: Some(e),
                });
                continue;
            }
        };
        let mut outcome = PruneOutcome {
            target: t.describe(),
            kept: vec![],
            deleted: vec![],
            error: None,
        };
        let listed = if matches!(&t, Target::Dir { name: "local", path } if !path.exists()) {
            Ok(Vec::new())
        } else {
            t.list()
        };
        match listed {
            Err(e) => outcome.error = Some(e),
            Ok(listed) => {
                let candidates: Vec<Candidate> = listed
                    .iter()
                    .filter_map(|l| match &l.meta {
                        Some(Ok(m)) => Some(Candidate {
                            id: l.id.clone(),
                            created_at: chrono::DateTime::from_timestamp_millis(m.created_at_ms)
                                .unwrap_or_default(),
                            verified: l.is_complete(),
                        }),
                        _ => None,
                    })
                    .collect();
                let keep = select_kept(&candidates, &settings.retention, settings.timezone)?;
                for c in &candidates {
                    if keep.contains(&c.id) {
                        outcome.kept.push(c.id.clone());
                    } else if dry_run {
                        outcome.deleted.push(c.id.clone());
                    } else {
                        match t.delete(&c.id) {
                            Ok(()) => outcome.deleted.push(c.id.clone()),
                            Err(e) => {
                                outcome.error = Some(e);
                                break;
                            }
                        }
                    }
                }
            }
        }
        out.push(outcome);
    }
    Ok(out)
}

// ---------------------------------------------------------------- state for health

/// Settings keys other components read.
pub mod keys {
    pub const LAST_SUCCESS_AT: &str = "backup.last_success_at";
    pub const LAST_SIZE_BYTES: &str = "backup.last_size_bytes";
    pub const LAST_ID: &str = "backup.last_id";
    pub const LAST_DRILL_AT: &str = "backup.last_drill_at";
    pub const LAST_DRILL_OK: &str = "backup.last_drill_ok";
    pub const LAST_ERROR: &str = "backup.last_error";
    pub const LAST_AUTO_DAY: &str = "backup.last_auto_day";
}

/// Records a successful backup.
pub fn record_success(
    conn: &mut DbConnection,
    meta: &Metadata,
) -> Result<(), autoorder_schema::StoreError> {
    use autoorder_schema::queries::settings::set_setting;
    set_setting(conn, keys::LAST_SUCCESS_AT, &meta.created_at_ms.to_string())?;
    set_setting(conn, keys::LAST_SIZE_BYTES, &meta.archive_size.to_string())?;
    set_setting(conn, keys::LAST_ID, &meta.id)?;
    set_setting(conn, keys::LAST_ERROR, "")
}

/// Records a failed backup.
pub fn record_failure(
    conn: &mut DbConnection,
    error: &str,
) -> Result<(), autoorder_schema::StoreError> {
    autoorder_schema::queries::settings::set_setting(conn, keys::LAST_ERROR, error)
}

/// Records a drill.
pub fn record_drill(conn: &mut DbConnection, ok: bool) -> Result<(), autoorder_schema::StoreError> {
    use autoorder_schema::queries::settings::set_setting;
    set_setting(
        conn,
        keys::LAST_DRILL_AT,
        &autoorder_schema::now_ms().to_string(),
    )?;
    set_setting(conn, keys::LAST_DRILL_OK, if ok { "1" } else { "0" })
}

/// Queues a notice to the owners through the running bot.
pub fn alert_owner(
    conn: &mut DbConnection,
    notice_id: &str,
    text: &str,
) -> Result<(), autoorder_schema::StoreError> {
    use autoorder_schema::job_kinds::JobPayload;
    use autoorder_schema::queries::jobs::{NewJob, enqueue};
    enqueue(
        conn,
        &NewJob::keyed(
            JobPayload::OwnerNotice {
                notice_id: notice_id.to_string(),
                text: text.to_string(),
            },
            format!("owner_notice:{notice_id}"),
        ),
    )
    .map(drop)
}
