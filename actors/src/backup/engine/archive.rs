//! Writing an archive: tar of the dump, configuration and logs, zstd, age encryption, BLAKE3 of every part, written under a temporary name and checked before it is published.

use super::*;

/// A file writer that runs out of space after a limit (test hook for a full disk).
pub(super) struct ArchiveFile {
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

pub(super) struct Counting<W> {
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
pub(super) fn exact(r: impl Read, len: u64) -> impl Read {
    r.take(len).chain(std::io::repeat(0).take(len)).take(len)
}

pub(super) struct Source {
    path: String,
    len: u64,
    reader: Box<dyn Read>,
}

pub(super) fn walk(dir: &Path, prefix: &str, skip: &[PathBuf], out: &mut Vec<(String, PathBuf)>) {
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
pub(super) fn data_files(settings: &BackupSettings) -> Vec<(String, PathBuf)> {
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

pub(super) fn write_archive(
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

pub(super) struct ProgressReader<'a, R> {
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
pub(super) struct WorkDir(pub(super) PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(super) fn work_dir(settings: &BackupSettings, what: &str) -> Result<WorkDir, String> {
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
