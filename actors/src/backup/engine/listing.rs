//! Listing and verifying backups on every target, and opening an archive (decrypt, decompress, check every file).

use super::*;

/// Where [`open_archive`] puts the configuration and log files of an archive (the database
/// dump is restored on its own): under `dir`, at their path inside the archive.
#[derive(Debug, Clone)]
pub struct FilesOut {
    pub dir: PathBuf,
    /// Replace files that exist (otherwise the restore is refused before anything is written).
    pub overwrite: bool,
}

impl FilesOut {
    /// Refuses paths that leave `dir` and, unless overwriting, files that already exist.
    pub(super) fn check(&self, meta: &Metadata) -> Result<(), String> {
        let mut existing = Vec::new();
        for f in meta.files.iter().filter(|f| f.path != meta.dump_path) {
            let dest = self.destination(&f.path)?;
            if dest.exists() && !self.overwrite {
                existing.push(dest.display().to_string());
            }
        }
        if existing.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{} file(s) already exist under {} (e.g. {}): choose an empty directory, or confirm \
             replacing them with --overwrite-files",
            existing.len(),
            self.dir.display(),
            existing[0]
        ))
    }

    fn destination(&self, path: &str) -> Result<PathBuf, String> {
        let rel = Path::new(path);
        let safe = rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !safe {
            return Err(format!("refusing the archive path {path:?}"));
        }
        Ok(self.dir.join(rel))
    }

    /// (staging file, final path) for `path`, its directory created owner-only.
    pub(super) fn staging(&self, path: &str) -> Result<(PathBuf, PathBuf), String> {
        let dest = self.destination(path)?;
        let parent = dest.parent().unwrap_or(&self.dir).to_path_buf();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&parent)
            .map_err(io_err(format!("creating {}", parent.display())))?;
        let name = dest.file_name().unwrap_or_default().to_string_lossy();
        Ok((parent.join(format!(".{name}.restoring")), dest))
    }
}

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
    files_out: Option<&FilesOut>,
) -> Result<(), String> {
    let id = &meta.id;
    if let Some(out) = files_out {
        out.check(meta)?;
    }
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
            let is_dump = path == meta.dump_path;
            // Other files go to a staging name, published only once their checksum matches.
            let staged = match files_out {
                Some(out) if !is_dump => Some(out.staging(&path)?),
                _ => None,
            };
            let copied = match (dump_out, is_dump, &staged) {
                (Some(out), true, _) => {
                    let mut f = std::fs::File::create(out)
                        .map_err(io_err(format!("creating {}", out.display())))?;
                    let r = std::io::copy(&mut hr, &mut f);
                    r.and_then(|n| f.sync_all().map(|()| n))
                }
                (_, _, Some((tmp, _))) => {
                    let mut f = std::fs::File::create(tmp)
                        .map_err(io_err(format!("creating {}", tmp.display())))?;
                    std::io::copy(&mut hr, &mut f)
                }
                _ => std::io::copy(&mut hr, &mut std::io::sink()),
            };
            copied.map_err(|e| corrupt(&format!("file {path}"), e))?;
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
pub(super) fn check_dump(meta: &Metadata, dump: &Path) -> Result<(), String> {
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
                            open_archive(
                                keys,
                                meta,
                                target.open_archive(&meta.id)?,
                                Some(&dump),
                                None,
                            )?;
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
