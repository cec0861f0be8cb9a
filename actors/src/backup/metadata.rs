//! The metadata file written beside each archive. It holds no secret: anyone can check an
//! archive against it without a key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Format version of the metadata file.
pub const FORMAT: u32 = 1;
/// Size of the archive segments hashed on their own, so a corrupt byte can be located.
pub const SEGMENT_SIZE: u64 = 16 * 1024 * 1024;

/// One file inside the archive.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub blake3: String,
}

/// Everything known about one backup.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Metadata {
    pub format: u32,
    pub id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub created_at_ms: i64,
    pub store: String,
    pub reason: String,
    /// `postgres` or `sqlite`.
    pub backend: String,
    /// `passphrase` or `recipients`.
    pub encryption: String,
    /// Public keys the archive is encrypted to (public-key mode).
    #[serde(default)]
    pub recipients: Vec<String>,
    pub tool_versions: BTreeMap<String, String>,
    pub archive_name: String,
    pub archive_size: u64,
    pub archive_blake3: String,
    pub segment_size: u64,
    /// BLAKE3 of each [`SEGMENT_SIZE`] slice of the archive, in order.
    pub segments: Vec<String>,
    /// Bytes of the tar before compression and encryption.
    pub payload_size: u64,
    /// Bytes of the database dump inside.
    pub dump_size: u64,
    /// The dump's path inside the archive.
    pub dump_path: String,
    pub files: Vec<FileEntry>,
    pub row_counts: BTreeMap<String, i64>,
}

impl Metadata {
    /// File name of the metadata for backup `id`.
    pub fn file_name(id: &str) -> String {
        format!("autoorder-{id}.json")
    }

    /// File name of the archive for backup `id`.
    pub fn archive_file_name(id: &str) -> String {
        format!("autoorder-{id}.tar.zst.age")
    }

    /// The id in a metadata file name, if it is one.
    pub fn id_of_file_name(name: &str) -> Option<&str> {
        name.strip_prefix("autoorder-")?.strip_suffix(".json")
    }

    /// The id in an archive file name, if it is one.
    pub fn id_of_archive_name(name: &str) -> Option<&str> {
        name.strip_prefix("autoorder-")?
            .strip_suffix(".tar.zst.age")
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("metadata serialises");
        v.push(b'\n');
        v
    }

    pub fn from_json(bytes: &[u8]) -> Result<Metadata, String> {
        let m: Metadata =
            serde_json::from_slice(bytes).map_err(|e| format!("unreadable metadata: {e}"))?;
        if m.format != FORMAT {
            return Err(format!("unknown metadata format {}", m.format));
        }
        Ok(m)
    }
}

/// BLAKE3 of the whole stream and of each segment, plus its length.
pub struct StreamHasher {
    whole: blake3::Hasher,
    segment: blake3::Hasher,
    in_segment: u64,
    pub segments: Vec<String>,
    pub len: u64,
}

impl Default for StreamHasher {
    fn default() -> Self {
        StreamHasher {
            whole: blake3::Hasher::new(),
            segment: blake3::Hasher::new(),
            in_segment: 0,
            segments: Vec::new(),
            len: 0,
        }
    }
}

impl StreamHasher {
    pub fn update(&mut self, mut buf: &[u8]) {
        self.whole.update(buf);
        self.len += buf.len() as u64;
        while !buf.is_empty() {
            let room = (SEGMENT_SIZE - self.in_segment) as usize;
            let n = room.min(buf.len());
            self.segment.update(&buf[..n]);
            self.in_segment += n as u64;
            buf = &buf[n..];
            if self.in_segment == SEGMENT_SIZE {
                self.segments
                    .push(self.segment.finalize().to_hex().to_string());
                self.segment = blake3::Hasher::new();
                self.in_segment = 0;
            }
        }
    }

    /// (whole hash, segment hashes, length).
    pub fn finish(mut self) -> (String, Vec<String>, u64) {
        if self.in_segment > 0 || self.segments.is_empty() {
            self.segments
                .push(self.segment.finalize().to_hex().to_string());
        }
        (
            self.whole.finalize().to_hex().to_string(),
            self.segments,
            self.len,
        )
    }
}

/// Passes writes through while hashing them.
pub struct HashingWriter<W> {
    pub inner: W,
    pub hasher: StreamHasher,
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Passes reads through while hashing them (BLAKE3) and counting.
pub struct HashingReader<R> {
    pub inner: R,
    pub hasher: blake3::Hasher,
    pub len: u64,
}

impl<R> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: blake3::Hasher::new(),
            len: 0,
        }
    }
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

/// Hashes a whole stream, checking it against `meta`; names the first bad segment.
pub fn check_stream(mut r: impl std::io::Read, meta: &Metadata) -> Result<(), String> {
    let mut h = StreamHasher::default();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r
            .read(&mut buf)
            .map_err(|e| format!("reading the archive: {e}"))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    judge(meta, h)
}

/// Compares what a [`StreamHasher`] saw of a whole archive with the metadata: size, BLAKE3,
/// and which 16 MiB segment differs.
pub fn judge(meta: &Metadata, hasher: StreamHasher) -> Result<(), String> {
    let (whole, segments, len) = hasher.finish();
    if len != meta.archive_size {
        return Err(format!(
            "archive is {len} bytes, metadata says {} ({})",
            meta.archive_size,
            if len < meta.archive_size {
                "truncated"
            } else {
                "extra bytes appended"
            }
        ));
    }
    if whole != meta.archive_blake3 {
        let bad = segments
            .iter()
            .zip(&meta.segments)
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        let start = bad as u64 * meta.segment_size;
        let end = (start + meta.segment_size).min(len).saturating_sub(1);
        let part = if bad == 0 {
            ", which holds the age header"
        } else {
            ""
        };
        return Err(format!(
            "archive checksum mismatch: segment {bad} (bytes {start}–{end}{part}) differs from the metadata"
        ));
    }
    Ok(())
}
