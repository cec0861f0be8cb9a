//! Where archives live: the local directory, a mounted offsite directory, S3. Each is written
//! and verified on its own.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::metadata::{Metadata, check_stream};
use super::s3::S3Client;

/// One backup as a target holds it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: String,
    /// `None` when the archive has no metadata (incomplete).
    pub meta: Option<Result<Metadata, String>>,
    pub archive_size: Option<u64>,
}

impl Listed {
    /// A short verification state: `ok` when the metadata is readable and the archive has its
    /// size (the full check is `verify`).
    pub fn state(&self) -> String {
        match (&self.meta, self.archive_size) {
            (None, _) => "incomplete (no metadata)".into(),
            (Some(Err(e)), _) => format!("bad metadata: {e}"),
            (Some(Ok(_)), None) => "archive missing".into(),
            (Some(Ok(m)), Some(size)) if size != m.archive_size => {
                format!("size mismatch ({size} bytes, expected {})", m.archive_size)
            }
            (Some(Ok(_)), Some(_)) => "ok".into(),
        }
    }

    pub fn is_complete(&self) -> bool {
        self.state() == "ok"
    }
}

/// A backup target.
pub enum Target {
    Dir {
        name: &'static str,
        path: PathBuf,
    },
    /// Boxed: the client (HTTP pool, signer) is much larger than a directory.
    S3(Box<S3Client>),
}

pub(crate) fn fsync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Removes a path when dropped unless disarmed.
pub(crate) struct RemoveOnDrop(pub Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(&p);
        }
    }
}

impl Target {
    pub fn name(&self) -> &str {
        match self {
            Target::Dir { name, .. } => name,
            Target::S3(_) => "s3",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Target::Dir { name, path } => format!("{name} {}", path.display()),
            Target::S3(c) => c.label(),
        }
    }

    fn require_dir(path: &Path) -> Result<(), String> {
        if !path.is_dir() {
            return Err(format!(
                "backup directory {} does not exist (is it mounted?)",
                path.display()
            ));
        }
        Ok(())
    }

    /// Every backup the target holds, newest first.
    pub fn list(&self) -> Result<Vec<Listed>, String> {
        let mut by_id: std::collections::BTreeMap<String, Listed> = Default::default();
        fn slot<'a>(
            m: &'a mut std::collections::BTreeMap<String, Listed>,
            id: &str,
        ) -> &'a mut Listed {
            m.entry(id.to_string()).or_insert_with(|| Listed {
                id: id.to_string(),
                meta: None,
                archive_size: None,
            })
        }
        match self {
            Target::Dir { path, .. } => {
                Self::require_dir(path)?;
                let rd = std::fs::read_dir(path)
                    .map_err(|e| format!("reading {}: {e}", path.display()))?;
                for item in rd.flatten() {
                    let name = item.file_name().to_string_lossy().into_owned();
                    if let Some(id) = Metadata::id_of_file_name(&name) {
                        let meta = std::fs::read(item.path())
                            .map_err(|e| e.to_string())
                            .and_then(|b| Metadata::from_json(&b));
                        let l = slot(&mut by_id, id);
                        l.meta = Some(meta);
                    } else if let Some(id) = Metadata::id_of_archive_name(&name) {
                        let size = item.metadata().map(|m| m.len()).ok();
                        let l = slot(&mut by_id, id);
                        l.archive_size = size;
                    }
                }
            }
            Target::S3(c) => {
                for obj in c.list().map_err(|e| e.to_string())? {
                    if let Some(id) = Metadata::id_of_file_name(&obj.key) {
                        let meta = match c.get_small(&obj.key) {
                            Ok(Some(bytes)) => Metadata::from_json(&bytes),
                            Ok(None) => Err("deleted while listing".to_string()),
                            Err(e) => Err(e.to_string()),
                        };
                        let l = slot(&mut by_id, id);
                        l.meta = Some(meta);
                    } else if let Some(id) = Metadata::id_of_archive_name(&obj.key) {
                        let l = slot(&mut by_id, id);
                        l.archive_size = Some(obj.size);
                    }
                }
            }
        }
        let mut out: Vec<Listed> = by_id.into_values().collect();
        out.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(out)
    }

    /// The metadata of `id`, if the target has it.
    pub fn metadata(&self, id: &str) -> Result<Option<Metadata>, String> {
        let name = Metadata::file_name(id);
        match self {
            Target::Dir { path, .. } => {
                Self::require_dir(path)?;
                match std::fs::read(path.join(&name)) {
                    Ok(b) => Metadata::from_json(&b).map(Some),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(format!("reading {}: {e}", path.join(&name).display())),
                }
            }
            Target::S3(c) => match c.get_small(&name).map_err(|e| e.to_string())? {
                Some(bytes) => Metadata::from_json(&bytes).map(Some),
                None => Ok(None),
            },
        }
    }

    /// Streams the archive of `id`.
    pub fn open_archive(&self, id: &str) -> Result<Box<dyn Read + Send>, String> {
        let name = Metadata::archive_file_name(id);
        match self {
            Target::Dir { path, .. } => {
                let p = path.join(&name);
                let f = std::fs::File::open(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, f)))
            }
            Target::S3(c) => Ok(Box::new(c.get(&name).map_err(|e| e.to_string())?)),
        }
    }

    /// Checks the archive of `meta` against its checksums (no key needed).
    pub fn verify(&self, meta: &Metadata) -> Result<(), String> {
        check_stream(self.open_archive(&meta.id)?, meta)
    }

    /// Copies a finished local archive here, verifies the copy, then publishes it: the
    /// metadata appears last, so an interrupted copy never looks valid.
    pub fn store(&self, archive: &Path, meta: &Metadata) -> Result<(), String> {
        let archive_name = Metadata::archive_file_name(&meta.id);
        let meta_name = Metadata::file_name(&meta.id);
        match self {
            Target::Dir { path, .. } => {
                Self::require_dir(path)?;
                let partial = path.join(format!(".{archive_name}.partial"));
                let mut guard = RemoveOnDrop(Some(partial.clone()));
                let copy = || -> std::io::Result<()> {
                    let mut src = std::fs::File::open(archive)?;
                    let mut dst = std::fs::OpenOptions::new()
                        .write(true)
                        .create(true)
                        .truncate(true)
                        .open(&partial)?;
                    std::io::copy(&mut src, &mut dst)?;
                    dst.sync_all()
                };
                copy().map_err(|e| format!("copying to {}: {e}", path.display()))?;
                let f = std::fs::File::open(&partial).map_err(|e| e.to_string())?;
                check_stream(std::io::BufReader::with_capacity(1 << 20, f), meta)
                    .map_err(|e| format!("the copy in {} is bad: {e}", path.display()))?;
                std::fs::rename(&partial, path.join(&archive_name))
                    .map_err(|e| format!("publishing in {}: {e}", path.display()))?;
                guard.0 = None;
                write_atomically(&path.join(&meta_name), &meta.to_json())
                    .map_err(|e| format!("writing metadata in {}: {e}", path.display()))?;
                fsync_dir(path);
                Ok(())
            }
            Target::S3(c) => {
                let result = c
                    .put_file(&archive_name, archive)
                    .map_err(|e| e.to_string())
                    .and_then(|()| {
                        let copy = c.get(&archive_name).map_err(|e| e.to_string())?;
                        check_stream(copy, meta)
                            .map_err(|e| format!("the uploaded copy is bad: {e}"))
                    })
                    .and_then(|()| {
                        c.put_bytes(&meta_name, &meta.to_json())
                            .map_err(|e| e.to_string())
                    });
                if result.is_err() {
                    let _ = c.delete(&archive_name);
                }
                result
            }
        }
    }

    /// Deletes backup `id` (metadata first, so a half-deleted backup never looks valid).
    pub fn delete(&self, id: &str) -> Result<(), String> {
        let names = [Metadata::file_name(id), Metadata::archive_file_name(id)];
        for name in names {
            match self {
                Target::Dir { path, .. } => match std::fs::remove_file(path.join(&name)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(format!("deleting {}: {e}", path.join(&name).display())),
                },
                Target::S3(c) => c.delete(&name).map_err(|e| e.to_string())?,
            }
        }
        Ok(())
    }
}

/// Writes `bytes` to `path` through a temporary name and a rename.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_file_name(format!(
        ".{}.partial",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    let mut guard = RemoveOnDrop(Some(tmp.clone()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    guard.0 = None;
    Ok(())
}
