//! Restore (safety snapshot first) and the restore drill into a scratch database.

use super::*;

/// Downloads, checks and decrypts backup `id`; returns its metadata and the extracted dump.
pub(super) fn fetch_dump(
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

pub(super) fn pg_restore_into(url: &str, dump: &Path, clean: bool) -> Result<(), String> {
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
