//! The S3-compatible backup target: put (multipart for large archives, streamed from the
//! file), get (streamed), head, list (paginated) and delete, each with a timeout and a bounded
//! retry with backoff. Runs on the blocking pool only.
//!
//! Why rusty-s3: it is a maintained, sans-IO S3 library — it signs requests (AWS Signature
//! Version 4, presigned URLs) and parses S3's XML answers, and leaves the HTTP to us. So the
//! backups keep using the one reqwest client stack the process already has (rustls, one
//! connection pool), with our own timeouts and retries, and the dependency tree grows by a
//! signer and an XML parser. `object_store` would bring a second async HTTP stack, its own
//! retry machinery and cloud-provider code for one bucket we write a few files to a day.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

use autoorder_schema::secret::Secret;
use rusty_s3::actions::{CreateMultipartUpload, ListObjectsV2};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

/// Where and how to reach the bucket.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// `http(s)://host[:port]`, no path.
    pub endpoint: String,
    pub bucket: String,
    /// Key prefix, e.g. `autoorder/` (may be empty).
    pub prefix: String,
    pub region: String,
    pub access_key_id: Secret<String>,
    pub secret_access_key: Secret<String>,
    /// How long one call may wait for an answer (and, when downloading, for each piece of
    /// the body); uploads get this plus time for their size at [`MIN_UPLOAD_RATE`].
    pub timeout: Duration,
}

impl S3Settings {
    /// `BACKUP_S3_TIMEOUT_SECONDS`'s default.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
}

/// Archives larger than this are uploaded in parts of this size (S3 allows 10 000 parts of
/// at least 5 MiB: 16 MiB parts reach 156 GiB, far beyond a shop's backup).
pub const PART_SIZE: u64 = 16 * 1024 * 1024;
/// The slowest upload still accepted: an upload may take its size at this rate on top of
/// the timeout, so a large part on a slow line is not cut while a hung endpoint still is.
pub const MIN_UPLOAD_RATE: u64 = 256 * 1024;
/// Attempts of one call (the first and two retries) before it fails.
pub const ATTEMPTS: u32 = 3;
/// First pause between attempts; doubled each time, with jitter.
const BACKOFF: Duration = Duration::from_millis(500);
/// How long a signed request stays valid (it is sent at once; this only bounds clock skew
/// between signing and the server checking it).
const SIGNATURE_TTL: Duration = Duration::from_secs(3600);

/// Why an S3 call failed. The label (`s3://bucket/prefix`) leads every message.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// `BACKUP_S3_ENDPOINT` or the bucket name cannot form a URL.
    #[error("BACKUP_S3_ENDPOINT: {0}")]
    Endpoint(String),
    /// No answer within the timeout, after every attempt.
    #[error("{label}: {what}: timed out after {attempts} attempts ({timeout:?} each)")]
    Timeout {
        label: String,
        what: String,
        attempts: u32,
        timeout: Duration,
    },
    /// The server answered with an error status (`code` is S3's error code, if any).
    #[error("{label}: {what}: HTTP {status} {code}")]
    Status {
        label: String,
        what: String,
        status: u16,
        code: String,
    },
    /// The connection failed (after every attempt when it was transient).
    #[error("{label}: {what}: {message}")]
    Transport {
        label: String,
        what: String,
        message: String,
    },
    /// The archive file could not be read.
    #[error("{label}: {what}: {source}")]
    Io {
        label: String,
        what: String,
        source: std::io::Error,
    },
    /// The server's answer is not what S3 sends.
    #[error("{label}: {what}: unreadable answer: {message}")]
    Answer {
        label: String,
        what: String,
        message: String,
    },
}

/// One listed object.
#[derive(Debug, Clone)]
pub struct Object {
    /// The name relative to the prefix.
    pub key: String,
    pub size: u64,
}

/// A client for one bucket and prefix.
pub struct S3Client {
    settings: S3Settings,
    bucket: Bucket,
    credentials: Credentials,
    http: reqwest::blocking::Client,
    part_size: u64,
    page_size: usize,
}

/// Whether a failed attempt is worth repeating.
enum Attempt<T> {
    Done(T),
    Retry(S3Error),
    Fail(S3Error),
}

impl S3Client {
    /// A client for the bucket of `settings` (path-style URLs, which every S3-compatible
    /// server understands).
    pub fn new(settings: S3Settings) -> Result<S3Client, S3Error> {
        let endpoint: url::Url = settings
            .endpoint
            .trim_end_matches('/')
            .parse()
            .map_err(|e| S3Error::Endpoint(format!("{e}")))?;
        let bucket = Bucket::new(
            endpoint,
            UrlStyle::Path,
            settings.bucket.clone(),
            settings.region.clone(),
        )
        .map_err(|e| S3Error::Endpoint(e.to_string()))?;
        let credentials = Credentials::new(
            settings.access_key_id.expose().clone(),
            settings.secret_access_key.expose().clone(),
        );
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .timeout(settings.timeout)
            .build()
            .map_err(|e| S3Error::Endpoint(format!("HTTP client: {e}")))?;
        Ok(S3Client {
            settings,
            bucket,
            credentials,
            http,
            part_size: PART_SIZE,
            page_size: 1000,
        })
    }

    /// Smaller parts and listing pages than production uses, so tests exercise multipart
    /// uploads and pagination with small files (S3 wants parts of at least 5 MiB).
    pub fn with_limits(mut self, part_size: u64, page_size: usize) -> Self {
        self.part_size = part_size;
        self.page_size = page_size;
        self
    }

    /// A human label: `s3://bucket/prefix`.
    pub fn label(&self) -> String {
        format!("s3://{}/{}", self.settings.bucket, self.settings.prefix)
    }

    /// The full key of `name` under the prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.settings.prefix)
    }

    fn transport(&self, what: &str, e: &reqwest::Error) -> Attempt<reqwest::blocking::Response> {
        if e.is_timeout() {
            Attempt::Retry(S3Error::Timeout {
                label: self.label(),
                what: what.to_string(),
                attempts: ATTEMPTS,
                timeout: self.settings.timeout,
            })
        } else {
            // Connection refused or reset, DNS: all worth another try.
            Attempt::Retry(S3Error::Transport {
                label: self.label(),
                what: what.to_string(),
                message: error_chain(e),
            })
        }
    }

    /// Sends one request built by `build` (called again for every attempt, with a fresh
    /// signature and body), retrying timeouts, connection failures, 5xx and 429 with backoff.
    fn call(
        &self,
        what: &str,
        mut build: impl FnMut() -> Result<reqwest::blocking::RequestBuilder, S3Error>,
    ) -> Result<reqwest::blocking::Response, S3Error> {
        retry(|| {
            let request = match build() {
                Ok(r) => r,
                Err(e) => return Attempt::Fail(e),
            };
            match request.send() {
                Err(e) => self.transport(what, &e),
                Ok(resp) if resp.status().is_success() => Attempt::Done(resp),
                Ok(resp) => {
                    let status = resp.status();
                    let body = resp.text().unwrap_or_default();
                    let code = xml_value(&body, "Code").unwrap_or_default();
                    let error = S3Error::Status {
                        label: self.label(),
                        what: what.to_string(),
                        status: status.as_u16(),
                        code,
                    };
                    if status.is_server_error() || status.as_u16() == 429 {
                        Attempt::Retry(error)
                    } else {
                        Attempt::Fail(error)
                    }
                }
            }
        })
    }

    fn signed(&self, method: reqwest::Method, url: url::Url) -> reqwest::blocking::RequestBuilder {
        self.http.request(method, url.as_str())
    }

    /// Creates the bucket (tests and first use).
    pub fn create_bucket(&self) -> Result<(), S3Error> {
        self.call("creating the bucket", || {
            let url = self
                .bucket
                .create_bucket(&self.credentials)
                .sign(SIGNATURE_TTL);
            // An empty body still needs its Content-Length (S3 answers 411 without it).
            Ok(self.signed(reqwest::Method::PUT, url).body(Vec::new()))
        })
        .map(drop)
    }

    /// Uploads small `bytes` (metadata) as `name`.
    pub fn put_bytes(&self, name: &str, bytes: &[u8]) -> Result<(), S3Error> {
        let key = self.key(name);
        self.call(&format!("uploading {name}"), || {
            let url = self
                .bucket
                .put_object(Some(&self.credentials), &key)
                .sign(SIGNATURE_TTL);
            Ok(self
                .signed(reqwest::Method::PUT, url)
                .timeout(self.upload_timeout(bytes.len() as u64))
                .body(bytes.to_vec()))
        })
        .map(drop)
    }

    /// Uploads the file at `path` as `name`, streamed from disk: one request when it is at
    /// most [`PART_SIZE`], else a multipart upload (aborted when a part fails for good).
    pub fn put_file(&self, name: &str, path: &Path) -> Result<(), S3Error> {
        let what = format!("uploading {name}");
        let io = |source| S3Error::Io {
            label: self.label(),
            what: what.clone(),
            source,
        };
        let len = std::fs::metadata(path).map_err(io)?.len();
        let key = self.key(name);
        if len <= self.part_size {
            return self
                .call(&what, || {
                    let body = file_range(path, 0, len).map_err(io)?;
                    let url = self
                        .bucket
                        .put_object(Some(&self.credentials), &key)
                        .sign(SIGNATURE_TTL);
                    Ok(self
                        .signed(reqwest::Method::PUT, url)
                        .timeout(self.upload_timeout(len))
                        .header("content-length", len)
                        .body(body))
                })
                .map(drop);
        }
        let started = self.call(&format!("{what}: starting a multipart upload"), || {
            let url = self
                .bucket
                .create_multipart_upload(Some(&self.credentials), &key)
                .sign(SIGNATURE_TTL);
            Ok(self.signed(reqwest::Method::POST, url).body(Vec::new()))
        })?;
        let text = self.text(&what, started)?;
        let upload_id = CreateMultipartUpload::parse_response(&text)
            .map_err(|e| self.answer(&what, e))?
            .upload_id()
            .to_string();
        let result = self.upload_parts(&what, &key, &upload_id, path, len);
        if result.is_err() {
            // Best effort: a dangling upload costs storage until the bucket's lifecycle rule.
            let _ = self.call(&format!("{what}: aborting"), || {
                let url = self
                    .bucket
                    .abort_multipart_upload(Some(&self.credentials), &key, &upload_id)
                    .sign(SIGNATURE_TTL);
                Ok(self.signed(reqwest::Method::DELETE, url))
            });
        }
        result
    }

    fn upload_parts(
        &self,
        what: &str,
        key: &str,
        upload_id: &str,
        path: &Path,
        len: u64,
    ) -> Result<(), S3Error> {
        let mut etags = Vec::new();
        let mut offset = 0;
        let mut number: u16 = 1;
        while offset < len {
            let size = self.part_size.min(len - offset);
            let part_what = format!("{what}: part {number}");
            let resp = self.call(&part_what, || {
                let body = file_range(path, offset, size).map_err(|source| S3Error::Io {
                    label: self.label(),
                    what: part_what.clone(),
                    source,
                })?;
                let url = self
                    .bucket
                    .upload_part(Some(&self.credentials), key, number, upload_id)
                    .sign(SIGNATURE_TTL);
                Ok(self
                    .signed(reqwest::Method::PUT, url)
                    .timeout(self.upload_timeout(size))
                    .header("content-length", size)
                    .body(body))
            })?;
            let etag = resp
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| S3Error::Answer {
                    label: self.label(),
                    what: part_what.clone(),
                    message: "no ETag".into(),
                })?
                .to_string();
            etags.push(etag);
            offset += size;
            number = number.checked_add(1).ok_or_else(|| S3Error::Answer {
                label: self.label(),
                what: what.to_string(),
                message: "more than 65 535 parts".into(),
            })?;
        }
        self.call(&format!("{what}: completing"), || {
            let action = self.bucket.complete_multipart_upload(
                Some(&self.credentials),
                key,
                upload_id,
                etags.iter().map(String::as_str),
            );
            let url = action.sign(SIGNATURE_TTL);
            Ok(self.signed(reqwest::Method::POST, url).body(action.body()))
        })
        .map(drop)
    }

    /// Streams object `name` (each read waits at most the timeout).
    pub fn get(&self, name: &str) -> Result<reqwest::blocking::Response, S3Error> {
        let key = self.key(name);
        self.call(&format!("downloading {name}"), || {
            let url = self
                .bucket
                .get_object(Some(&self.credentials), &key)
                .sign(SIGNATURE_TTL);
            Ok(self.signed(reqwest::Method::GET, url))
        })
    }

    /// Object `name` whole, or `None` when it does not exist (small objects: metadata).
    pub fn get_small(&self, name: &str) -> Result<Option<Vec<u8>>, S3Error> {
        match self.get(name) {
            Ok(resp) => {
                let what = format!("downloading {name}");
                let bytes = resp.bytes().map_err(|e| S3Error::Transport {
                    label: self.label(),
                    what,
                    message: error_chain(&e),
                })?;
                Ok(Some(bytes.to_vec()))
            }
            Err(S3Error::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes object `name` (absent is fine).
    pub fn delete(&self, name: &str) -> Result<(), S3Error> {
        let key = self.key(name);
        match self.call(&format!("deleting {name}"), || {
            let url = self
                .bucket
                .delete_object(Some(&self.credentials), &key)
                .sign(SIGNATURE_TTL);
            Ok(self.signed(reqwest::Method::DELETE, url))
        }) {
            Err(S3Error::Status { status: 404, .. }) => Ok(()),
            other => other.map(drop),
        }
    }

    /// Objects under the prefix (names relative to it), every page.
    pub fn list(&self) -> Result<Vec<Object>, S3Error> {
        let what = "listing objects";
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let resp = self.call(what, || {
                let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
                action.with_prefix(self.settings.prefix.as_str());
                action.with_max_keys(self.page_size);
                if let Some(t) = &token {
                    action.with_continuation_token(t.as_str());
                }
                Ok(self.signed(reqwest::Method::GET, action.sign(SIGNATURE_TTL)))
            })?;
            let text = self.text(what, resp)?;
            let page = ListObjectsV2::parse_response(&text).map_err(|e| self.answer(what, e))?;
            for item in page.contents {
                let rel = item
                    .key
                    .strip_prefix(&self.settings.prefix)
                    .unwrap_or(&item.key)
                    .to_string();
                out.push(Object {
                    key: rel,
                    size: item.size.unwrap_or(0),
                });
            }
            match page.next_continuation_token {
                Some(next) if token.as_deref() != Some(next.as_str()) => token = Some(next),
                _ => break,
            }
        }
        Ok(out)
    }

    fn upload_timeout(&self, bytes: u64) -> Duration {
        self.settings.timeout + Duration::from_secs(bytes / MIN_UPLOAD_RATE)
    }

    fn text(&self, what: &str, resp: reqwest::blocking::Response) -> Result<String, S3Error> {
        resp.text().map_err(|e| S3Error::Transport {
            label: self.label(),
            what: what.to_string(),
            message: error_chain(&e),
        })
    }

    fn answer(&self, what: &str, e: impl std::fmt::Display) -> S3Error {
        S3Error::Answer {
            label: self.label(),
            what: what.to_string(),
            message: e.to_string(),
        }
    }
}

/// Runs `attempt` up to [`ATTEMPTS`] times, pausing with jittered exponential backoff between.
fn retry<T>(mut attempt: impl FnMut() -> Attempt<T>) -> Result<T, S3Error> {
    let mut pause = BACKOFF;
    for n in 1..=ATTEMPTS {
        match attempt() {
            Attempt::Done(v) => return Ok(v),
            Attempt::Fail(e) => return Err(e),
            Attempt::Retry(e) if n == ATTEMPTS => return Err(e),
            Attempt::Retry(_) => {
                let jitter = rand::random_range(0.5..1.5);
                std::thread::sleep(pause.mul_f64(jitter));
                pause *= 2;
            }
        }
    }
    unreachable!("the last attempt returns")
}

/// `len` bytes of the file at `path` from `offset`, as a streamed request body.
fn file_range(path: &Path, offset: u64, len: u64) -> std::io::Result<reqwest::blocking::Body> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let reader = std::io::BufReader::with_capacity(1 << 20, file).take(len);
    Ok(reqwest::blocking::Body::sized(reader, len))
}

/// The error and its causes on one line (reqwest hides "connection refused" in a source).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The text of the first `<tag>` in an S3 error body.
fn xml_value(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))?;
    Some(body[start..start + end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::time::Instant;

    fn settings(endpoint: String, timeout: Duration) -> S3Settings {
        S3Settings {
            endpoint,
            bucket: "b".into(),
            prefix: "p/".into(),
            region: "us-east-1".into(),
            access_key_id: Secret::new("id".into()),
            secret_access_key: Secret::new("secret".into()),
            timeout,
        }
    }

    /// A server that accepts connections and never answers.
    fn hung_endpoint() -> (TcpListener, String) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        (listener, url)
    }

    #[test]
    fn a_hung_endpoint_times_out_after_bounded_retries() {
        let (_listener, url) = hung_endpoint();
        let client = S3Client::new(settings(url, Duration::from_millis(500))).unwrap();
        let started = Instant::now();
        let e = client.list().unwrap_err();
        let took = started.elapsed();
        assert!(matches!(e, S3Error::Timeout { attempts: 3, .. }), "{e}");
        assert!(
            e.to_string()
                .starts_with("s3://b/p/: listing objects: timed out")
        );
        // Three attempts of 0.5 s plus two pauses (≤ 0.75 s + 1.5 s).
        assert!(took >= Duration::from_millis(1500), "{took:?}");
        assert!(took < Duration::from_secs(10), "{took:?}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(
            client.put_file("a", &file).unwrap_err(),
            S3Error::Timeout { .. }
        ));
    }

    #[test]
    fn a_refused_connection_is_retried_then_reported() {
        let (listener, url) = hung_endpoint();
        drop(listener);
        let client = S3Client::new(settings(url, Duration::from_secs(2))).unwrap();
        let e = client.get_small("x.json").unwrap_err();
        assert!(matches!(e, S3Error::Transport { .. }), "{e}");
        assert!(e.to_string().contains("downloading x.json"), "{e}");
    }

    #[test]
    fn bad_endpoints_are_configuration_errors() {
        for bad in ["ftp://host", "not a url"] {
            let e = S3Client::new(settings(bad.into(), Duration::from_secs(1)))
                .err()
                .unwrap();
            assert!(matches!(e, S3Error::Endpoint(_)), "{bad}: {e}");
        }
    }

    #[test]
    fn retries_are_bounded_and_only_for_transient_failures() {
        let mut calls = 0;
        let r: Result<(), S3Error> = retry(|| {
            calls += 1;
            Attempt::Fail(S3Error::Endpoint("x".into()))
        });
        assert!(r.is_err());
        assert_eq!(calls, 1, "a permanent failure is not retried");
        let mut calls = 0;
        let r = retry(|| {
            calls += 1;
            if calls < 3 {
                Attempt::Retry(S3Error::Endpoint("x".into()))
            } else {
                Attempt::Done(7)
            }
        });
        assert_eq!(r.unwrap(), 7);
    }

    #[test]
    fn error_codes_are_read_from_s3_error_bodies() {
        let body = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code></Error>";
        assert_eq!(xml_value(body, "Code").as_deref(), Some("NoSuchBucket"));
        assert_eq!(xml_value("", "Code"), None);
    }
}
