//! A small S3 client (path-style requests, AWS Signature Version 4) over reqwest, enough for
//! backups: put, get, head, list and delete objects. Runs on the blocking pool only.

use std::io::Read;
use std::time::Duration;

use autoorder_schema::secret::Secret;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

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
}

/// One listed object.
#[derive(Debug, Clone)]
pub struct Object {
    pub key: String,
    pub size: u64,
}

pub struct S3Client {
    settings: S3Settings,
    http: reqwest::blocking::Client,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// RFC 3986 encoding as SigV4 wants it.
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn xml_values<'a>(body: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        let Some(j) = rest.find(&close) else { break };
        out.push(&rest[..j]);
        rest = &rest[j + close.len()..];
    }
    out
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

impl S3Client {
    pub fn new(settings: S3Settings) -> Result<S3Client, String> {
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(None)
            .build()
            .map_err(|e| format!("S3 client: {e}"))?;
        Ok(S3Client { settings, http })
    }

    /// A human label: `s3://bucket/prefix`.
    pub fn label(&self) -> String {
        format!("s3://{}/{}", self.settings.bucket, self.settings.prefix)
    }

    /// The full key of `name` under the prefix.
    pub fn key(&self, name: &str) -> String {
        format!("{}{name}", self.settings.prefix)
    }

    fn request(
        &self,
        method: reqwest::Method,
        key: Option<&str>,
        query: &[(&str, String)],
    ) -> Result<reqwest::blocking::RequestBuilder, String> {
        let endpoint = self.settings.endpoint.trim_end_matches('/');
        let url = reqwest::Url::parse(endpoint).map_err(|e| format!("BACKUP_S3_ENDPOINT: {e}"))?;
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        let mut path = format!("/{}", uri_encode(&self.settings.bucket, false));
        if let Some(key) = key {
            path.push('/');
            path.push_str(&uri_encode(key, true));
        }
        let mut q: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
            .collect();
        q.sort();
        let query_string = q
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let now = chrono::Utc::now();
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let date = now.format("%Y%m%d").to_string();
        let payload = "UNSIGNED-PAYLOAD";
        let canonical = format!(
            "{method}\n{path}\n{query_string}\nhost:{host}\nx-amz-content-sha256:{payload}\nx-amz-date:{amz_date}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload}"
        );
        let scope = format!("{date}/{}/s3/aws4_request", self.settings.region);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let mut k = hmac(
            format!("AWS4{}", self.settings.secret_access_key.expose()).as_bytes(),
            &date,
        );
        k = hmac(&k, &self.settings.region);
        k = hmac(&k, "s3");
        k = hmac(&k, "aws4_request");
        let signature = hex(&hmac(&k, &to_sign));
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
            self.settings.access_key_id.expose()
        );
        let full = if query_string.is_empty() {
            format!("{endpoint}{path}")
        } else {
            format!("{endpoint}{path}?{query_string}")
        };
        Ok(self
            .http
            .request(method, full)
            .header("x-amz-date", amz_date)
            .header("x-amz-content-sha256", payload)
            .header("authorization", auth))
    }

    fn send(
        &self,
        what: &str,
        rb: reqwest::blocking::RequestBuilder,
    ) -> Result<reqwest::blocking::Response, String> {
        let resp = rb
            .send()
            .map_err(|e| format!("{}: {what}: {e}", self.label()))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = resp.text().unwrap_or_default();
            let code = xml_values(&body, "Code")
                .first()
                .copied()
                .unwrap_or("")
                .to_string();
            return Err(format!("{}: {what}: HTTP {status} {code}", self.label()));
        }
        Ok(resp)
    }

    /// Creates the bucket (tests and first use).
    pub fn create_bucket(&self) -> Result<(), String> {
        let rb = self.request(reqwest::Method::PUT, None, &[])?;
        self.send("creating the bucket", rb).map(drop)
    }

    /// Uploads `len` bytes from `body` as `name`.
    pub fn put(
        &self,
        name: &str,
        body: impl Read + Send + 'static,
        len: u64,
    ) -> Result<(), String> {
        let rb = self
            .request(reqwest::Method::PUT, Some(&self.key(name)), &[])?
            .header("content-length", len)
            .body(reqwest::blocking::Body::sized(body, len));
        self.send(&format!("uploading {name}"), rb).map(drop)
    }

    /// Streams object `name`.
    pub fn get(&self, name: &str) -> Result<reqwest::blocking::Response, String> {
        let rb = self.request(reqwest::Method::GET, Some(&self.key(name)), &[])?;
        self.send(&format!("downloading {name}"), rb)
    }

    /// Deletes object `name`.
    pub fn delete(&self, name: &str) -> Result<(), String> {
        let rb = self.request(reqwest::Method::DELETE, Some(&self.key(name)), &[])?;
        self.send(&format!("deleting {name}"), rb).map(drop)
    }

    /// Objects under the prefix (names relative to it).
    pub fn list(&self) -> Result<Vec<Object>, String> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut q = vec![
                ("list-type", "2".to_string()),
                ("prefix", self.settings.prefix.clone()),
            ];
            if let Some(t) = &token {
                q.push(("continuation-token", t.clone()));
            }
            let rb = self.request(reqwest::Method::GET, None, &q)?;
            let body = self
                .send("listing objects", rb)?
                .text()
                .map_err(|e| format!("{}: listing objects: {e}", self.label()))?;
            for item in xml_values(&body, "Contents") {
                let key = xml_values(item, "Key").first().map(|k| xml_unescape(k));
                let size = xml_values(item, "Size")
                    .first()
                    .and_then(|s| s.parse::<u64>().ok());
                if let (Some(key), Some(size)) = (key, size) {
                    let rel = key
                        .strip_prefix(&self.settings.prefix)
                        .unwrap_or(&key)
                        .to_string();
                    out.push(Object { key: rel, size });
                }
            }
            let truncated = xml_values(&body, "IsTruncated").first() == Some(&"true");
            token = xml_values(&body, "NextContinuationToken")
                .first()
                .map(|t| xml_unescape(t));
            if !truncated || token.is_none() {
                break;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_follows_sigv4() {
        assert_eq!(uri_encode("a b/c~d", true), "a%20b/c~d");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
    }
}
