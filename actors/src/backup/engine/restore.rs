//! Restore (safety snapshot first; PostgreSQL streamed into `pg_restore` in one verified pass, [`stream_into_pg`]), the restore drill into a scratch database, and the checks around them (is the target the configured database, is it in use).

use super::*;
use crate::backup::metadata::judge;

/// Downloads, checks and decrypts backup `id`; returns its metadata and the extracted dump.
pub(super) fn fetch_dump(
    settings: &BackupSettings,
    keys: &Keys,
    id: &str,
    work: &Path,
    files_out: Option<&FilesOut>,
    progress: &dyn Progress,
) -> Result<(Metadata, PathBuf), String> {
    let (target, meta) = locate(settings, id)?;
    progress.stage(&format!("checking {id} on {}", target.describe()));
    target
        .verify(&meta)
        .map_err(|e| format!("backup {id} on {}: {e}", target.describe()))?;
    progress.stage("decrypting");
    let dump = work.join("dump");
    open_archive(
        keys,
        &meta,
        target.open_archive(id)?,
        Some(&dump),
        files_out,
    )?;
    check_dump(&meta, &dump)?;
    Ok((meta, dump))
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

/// Options of [`restore`].
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Restore over a PostgreSQL database even while it is in use (live leases of a running
    /// bot, other connections).
    pub force: bool,
    /// Also put the archive's configuration and logs back, under this directory.
    pub files: Option<FilesOut>,
}

/// A database target with spelling differences removed (URL scheme alias, host case, the
/// default port, password, parameters; an SQLite path made absolute), so two spellings of the
/// configured database are recognised as it and the safety snapshot is never skipped.
pub fn normalized(target: &DbTarget) -> String {
    match target {
        DbTarget::Sqlite(path) => {
            let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            let real = match (absolute.parent(), absolute.file_name()) {
                (Some(dir), Some(name)) => std::fs::canonicalize(dir)
                    .map(|d| d.join(name))
                    .unwrap_or(absolute.clone()),
                _ => absolute,
            };
            format!("sqlite:{}", real.display())
        }
        DbTarget::Postgres(raw) => match url::Url::parse(raw) {
            Ok(u) => {
                let host_param = u
                    .query_pairs()
                    .find(|(k, _)| k == "host")
                    .map(|(_, v)| v.into_owned());
                let host = u
                    .host_str()
                    .filter(|h| !h.is_empty())
                    .map(str::to_ascii_lowercase)
                    .or(host_param)
                    .unwrap_or_else(|| "localhost".into());
                let host = if host == "127.0.0.1" || host == "::1" || host == "[::1]" {
                    "localhost".to_string()
                } else {
                    host
                };
                let user = u.username().to_string();
                let db = u.path().trim_start_matches('/').to_string();
                let db = if db.is_empty() { user.clone() } else { db };
                format!("postgres://{user}@{host}:{}/{db}", u.port().unwrap_or(5432))
            }
            Err(_) => raw.clone(),
        },
    }
}

/// Whether two targets name the same database ([`normalized`]).
pub fn same_database(a: &DbTarget, b: &DbTarget) -> bool {
    normalized(a) == normalized(b)
}

/// Who else uses a PostgreSQL database right now: leases a running bot holds and other
/// client connections. Empty when nobody does.
pub fn live_users(url: &str) -> Result<Vec<String>, String> {
    use diesel::sql_types::{BigInt, Text};
    #[derive(diesel::QueryableByName)]
    struct Lease {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        holder: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = open_pg(url)?;
    let mut out = Vec::new();
    // A store restored for the first time has no leases table yet.
    let leases: Vec<Lease> =
        diesel::sql_query("SELECT name, holder FROM leases WHERE expires_at > $1")
            .bind::<BigInt, _>(autoorder_schema::now_ms())
            .load(&mut conn)
            .unwrap_or_default();
    for l in leases {
        out.push(format!("lease {} held by {}", l.name, l.holder));
    }
    let others: Vec<Count> = diesel::sql_query(
        "SELECT count(*)::bigint AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() \
         AND backend_type = 'client backend'",
    )
    .load(&mut conn)
    .map_err(|e| format!("reading pg_stat_activity: {e}"))?;
    let n = others.first().map_or(0, |c| c.n);
    if n > 0 {
        out.push(format!("{n} other connection(s)"));
    }
    Ok(out)
}

/// Bytes of the dump held back from `pg_restore` until the whole archive is verified: the
/// end of the dump is what lets `pg_restore` finish and commit, so holding it back means a
/// bad archive is found before anything is committed.
const HOLD_BACK: usize = 1 << 20;

/// Passes reads through while hashing them for [`metadata::judge`], sharing the hasher so it
/// can be read after the decryptor that owns this reader is done.
struct Hashed<R> {
    inner: R,
    hasher: std::sync::Arc<std::sync::Mutex<StreamHasher>>,
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut h) = self.hasher.lock() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Writes into `pg_restore`'s standard input, always keeping the last [`HOLD_BACK`] bytes.
struct HoldBack<W: Write> {
    inner: W,
    held: Vec<u8>,
}

impl<W: Write> Write for HoldBack<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.held.extend_from_slice(buf);
        if self.held.len() > 2 * HOLD_BACK {
            let release = self.held.len() - HOLD_BACK;
            self.inner.write_all(&self.held[..release])?;
            self.held.drain(..release);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Restores backup `id` into the PostgreSQL database at `url` in one pass: the archive is
/// read once from its target, hashed as it is read, decrypted (age authenticates every
/// chunk), decompressed, and the dump streamed into `pg_restore --single-transaction` — no
/// temporary file, no separate checksum pass. The dump's last [`HOLD_BACK`] bytes reach
/// `pg_restore` only after the archive's BLAKE3, size and every file's checksum matched; on
/// any mismatch `pg_restore` is stopped before it can commit, so nothing changes.
pub(super) fn stream_into_pg(
    settings: &BackupSettings,
    keys: &Keys,
    id: &str,
    url: &str,
    clean: bool,
    files_out: Option<&FilesOut>,
    progress: &dyn Progress,
) -> Result<Metadata, String> {
    use std::process::Stdio;
    let (target, meta) = locate(settings, id)?;
    if meta.backend != "postgres" {
        return Err(format!(
            "backup {id} is a {} backup and cannot be restored into PostgreSQL",
            meta.backend
        ));
    }
    if let Some(out) = files_out {
        out.check(&meta)?;
    }
    tool_major("pg_restore")?;
    progress.stage(&format!("restoring {id} from {}", target.describe()));
    let (mut cmd, clean_url) = pg_command("pg_restore", url);
    if clean {
        cmd.args(["--clean", "--if-exists"]);
    }
    let mut child = cmd
        .args([
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
        ])
        .arg(format!("--dbname={clean_url}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running pg_restore: {e}"))?;
    let stderr = child.stderr.take().map(|mut e| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = e.read_to_end(&mut text);
            text
        })
    });
    let stdin = child.stdin.take().expect("piped");
    let hasher = std::sync::Arc::new(std::sync::Mutex::new(StreamHasher::default()));
    let fed = feed(
        keys,
        &meta,
        Hashed {
            inner: target.open_archive(id)?,
            hasher: hasher.clone(),
        },
        stdin,
        files_out,
        progress,
    )
    .and_then(|tail| {
        let seen = std::mem::take(&mut *hasher.lock().map_err(|e| e.to_string())?);
        judge(&meta, seen).map_err(|e| format!("backup {id} on {}: {e}", target.describe()))?;
        Ok(tail)
    });
    let result = match fed {
        Ok(mut hold) => {
            // Verified: release the end of the dump and let pg_restore commit.
            let released = hold
                .inner
                .write_all(&hold.held)
                .and_then(|()| hold.inner.flush());
            drop(hold);
            let status = child.wait().map_err(|e| format!("pg_restore: {e}"))?;
            let err = stderr.and_then(|h| h.join().ok()).unwrap_or_default();
            match (released, status.success()) {
                (Ok(()), true) => Ok(meta),
                _ => Err(format!(
                    "pg_restore failed (nothing was changed): {}",
                    first_line(&err)
                )),
            }
        }
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            // Only on failure: a checksum pass names what is wrong with the archive
            // (truncated, which segment) better than the decryptor can.
            let e = match target.verify(&meta) {
                Err(bad) => format!("backup {id} on {}: {bad}", target.describe()),
                Ok(()) => e,
            };
            Err(format!("{e}; nothing was changed"))
        }
    };
    progress.done();
    result
}

/// Decrypts and unpacks the archive, streaming the dump into `stdin` (all but its end) and
/// checking every file; returns the writer holding the dump's end.
fn feed(
    keys: &Keys,
    meta: &Metadata,
    source: impl Read + Send + 'static,
    stdin: std::process::ChildStdin,
    files_out: Option<&FilesOut>,
    progress: &dyn Progress,
) -> Result<HoldBack<std::process::ChildStdin>, String> {
    let id = &meta.id;
    let corrupt = |part: &str, e: std::io::Error| {
        format!("backup {id}: corrupt archive: decryption or decompression failed in {part}: {e}")
    };
    let age = crypto::decrypt(keys, BufReader::with_capacity(1 << 20, source), id)?;
    let zr = zstd::Decoder::new(age).map_err(|e| format!("backup {id}: {e}"))?;
    let mut archive = tar::Archive::new(zr);
    let mut hold = HoldBack {
        inner: stdin,
        held: Vec::with_capacity(3 * HOLD_BACK),
    };
    let mut seen = Vec::new();
    let mut done_bytes = 0u64;
    {
        let entries = archive
            .entries()
            .map_err(|e| corrupt("the start of the payload", e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| corrupt("the payload", e))?;
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
            let is_dump = path == meta.dump_path;
            let staged = match files_out {
                Some(out) if !is_dump => Some(out.staging(&path)?),
                _ => None,
            };
            let copied = if is_dump {
                let mut buf = vec![0u8; 1 << 20];
                let mut total = 0u64;
                loop {
                    let n = match hr.read(&mut buf) {
                        Ok(0) => break Ok(total),
                        Ok(n) => n,
                        Err(e) => break Err(e),
                    };
                    if let Err(e) = hold.write_all(&buf[..n]) {
                        return Err(format!("pg_restore stopped reading: {e}"));
                    }
                    total += n as u64;
                    progress.bytes(done_bytes + total, Some(expected.size));
                }
            } else if let Some((tmp, _)) = &staged {
                std::fs::File::create(tmp).and_then(|mut f| std::io::copy(&mut hr, &mut f))
            } else {
                std::io::copy(&mut hr, &mut std::io::sink())
            };
            copied.map_err(|e| corrupt(&format!("file {path}"), e))?;
            done_bytes += hr.len;
            let hash = hr.hasher.finalize().to_hex().to_string();
            if hr.len != expected.size || hash != expected.blake3 {
                if let Some((tmp, _)) = &staged {
                    let _ = std::fs::remove_file(tmp);
                }
                return Err(format!(
                    "backup {id}: corrupt archive: file {path} does not match its checksum"
                ));
            }
            if let Some((tmp, dest)) = &staged {
                std::fs::rename(tmp, dest)
                    .map_err(io_err(format!("putting {} in place", dest.display())))?;
            }
            seen.push(path);
        }
    }
    // Read to the very end so the last encrypted chunk is authenticated too.
    std::io::copy(&mut archive.into_inner(), &mut std::io::sink())
        .map_err(|e| corrupt("the end of the payload (truncated?)", e))?;
    if let Some(missing) = meta.files.iter().find(|f| !seen.contains(&f.path)) {
        return Err(format!(
            "backup {id}: corrupt archive: file {} is missing",
            missing.path
        ));
    }
    Ok(hold)
}

/// Settings key of the notice the first start after a restore sends to the owners.
pub const RESTORE_NOTICE: &str = "restore.pending_notice";

/// Restores backup `id` into `target` (the configured database when `None`), after a safety
/// snapshot when the target is the configured database, however its URL is spelled.
pub fn restore(
    settings: &BackupSettings,
    keys: &Keys,
    id: &str,
    target: Option<DbTarget>,
    options: &RestoreOptions,
    progress: &dyn Progress,
) -> Result<RestoreReport, String> {
    let started = Instant::now();
    let target = target.unwrap_or_else(|| settings.db.clone());
    let over_configured = same_database(&target, &settings.db);
    if let DbTarget::Postgres(url) = &target
        && !options.force
    {
        let users = live_users(url)?;
        if !users.is_empty() {
            return Err(format!(
                "the database is in use ({}): stop every bot replica first (e.g. scale the \
                 deployment to 0), or pass --force",
                users.join("; ")
            ));
        }
    }
    if let DbTarget::Sqlite(path) = &target {
        ensure_not_running(path)?;
    }
    let snapshot = |progress: &dyn Progress| -> Result<Option<String>, String> {
        if !(over_configured && target_exists(&target)) {
            return Ok(None);
        }
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
        Ok(Some(report.meta.id))
    };
    let mut kept_old_file = None;
    let (meta, safety_snapshot) = match &target {
        DbTarget::Postgres(url) => {
            let (_, meta) = locate(settings, id)?;
            if meta.backend != "postgres" {
                return Err(format!(
                    "backup {id} is a {} backup and cannot be restored into this database",
                    meta.backend
                ));
            }
            let snap = snapshot(progress)?;
            let meta = stream_into_pg(
                settings,
                keys,
                id,
                url,
                true,
                options.files.as_ref(),
                progress,
            )?;
            (meta, snap)
        }
        DbTarget::Sqlite(path) => {
            let work = work_dir(settings, "restore")?;
            let (meta, dump) = fetch_dump(
                settings,
                keys,
                id,
                &work.0,
                options.files.as_ref(),
                progress,
            )?;
            if meta.backend != "sqlite" {
                return Err(format!(
                    "backup {id} is a {} backup and cannot be restored into this database",
                    meta.backend
                ));
            }
            let snap = snapshot(progress)?;
            progress.stage("restoring");
            kept_old_file = replace_sqlite(path, &dump, id)?;
            (meta, snap)
        }
    };
    progress.stage("comparing row counts with the backup");
    let counts = counts_of(&target, meta.row_counts.keys())?;
    let row_counts_match = counts == meta.row_counts;
    if over_configured {
        let created = chrono::DateTime::from_timestamp_millis(meta.created_at_ms)
            .map(|t| {
                t.with_timezone(&settings.timezone)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        let files = if options.files.is_some() {
            " beserta konfigurasi dan log"
        } else {
            ""
        };
        let text = format!(
            "♻️ Database dipulihkan dari backup {id} ({created}){files}; snapshot sebelumnya: {}. \
             Periksa toko sebelum melayani pelanggan.",
            safety_snapshot.as_deref().unwrap_or("-")
        );
        mark_restored(&target, &text)?;
    }
    Ok(RestoreReport {
        id: id.to_string(),
        safety_snapshot,
        kept_old_file,
        row_counts_match,
        elapsed: started.elapsed(),
    })
}

/// Leaves the notice the first start of the bot on the restored database sends the owners.
fn mark_restored(target: &DbTarget, text: &str) -> Result<(), String> {
    let mut conn = match target {
        DbTarget::Sqlite(p) => open_sqlite(p)?,
        DbTarget::Postgres(url) => DbConnection::Pg(open_pg(url)?),
    };
    autoorder_schema::queries::settings::set_setting(&mut conn, RESTORE_NOTICE, text)
        .map_err(|e| format!("recording the restore: {e}"))
}

pub(super) fn target_exists(t: &DbTarget) -> bool {
    match t {
        DbTarget::Sqlite(p) => p.exists(),
        DbTarget::Postgres(_) => true,
    }
}

/// Refuses while a bot holds the SQLite instance lock.
pub(super) fn ensure_not_running(path: &Path) -> Result<(), String> {
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
pub(super) fn replace_sqlite(
    path: &Path,
    dump: &Path,
    id: &str,
) -> Result<Option<PathBuf>, String> {
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

pub(super) fn counts_of<'a>(
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
    let (_, located) = locate(settings, id)?;
    let (meta, counts) = match (&settings.db, located.backend.as_str()) {
        (_, "sqlite") => {
            let (meta, dump) = fetch_dump(settings, keys, id, &work.0, None, progress)?;
            progress.stage("restoring into a scratch database");
            let scratch = work.0.join("scratch.sqlite3");
            std::fs::copy(&dump, &scratch).map_err(io_err("copying the scratch database"))?;
            let counts = counts_of(&DbTarget::Sqlite(scratch), meta.row_counts.keys())?;
            (meta, counts)
        }
        (DbTarget::Postgres(url), "postgres") => {
            use rand::Rng;
            let name = format!("autoorder_drill_{:08x}", rand::rng().random::<u32>());
            let mut admin = open_pg(url)?;
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .map_err(|e| format!("creating the scratch database (needs CREATEDB): {e}"))?;
            let scratch_url = pg_url_with_database(url, &name);
            let result = stream_into_pg(settings, keys, id, &scratch_url, false, None, progress)
                .and_then(|meta| {
                    let counts =
                        counts_of(&DbTarget::Postgres(scratch_url), meta.row_counts.keys())?;
                    Ok((meta, counts))
                });
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            result?
        }
        _ => {
            return Err(format!(
                "backup {id} is a PostgreSQL backup; a drill needs a PostgreSQL DATABASE_URL for its scratch database"
            ));
        }
    };
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
