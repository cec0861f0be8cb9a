//! The field-encryption key ring (`DATA_ENCRYPTION_KEY`).
//!
//! With SQLite the database and the data directory travel together, so when no key is
//! configured one is generated once and kept beside the database (back both up together).
//! With PostgreSQL several replicas must share the key and the data directory is usually
//! ephemeral, so the key must be configured.

use std::io::Write;

use anyhow::{Context, bail};
use autoorder_schema::crypto::DataKeys;

use super::{Config, DatabaseUrl, Secret};

const KEY_FILE: &str = "data-encryption-key";
const GENERATED_ID: &str = "local";

/// The key ring for this process.
pub fn ensure_data_keys(config: &Config) -> anyhow::Result<DataKeys> {
    if !config.data_keys.is_empty() {
        let keys = config
            .data_keys
            .iter()
            .map(|k| (k.id.clone(), k.key.clone()))
            .collect();
        return DataKeys::new(keys).context("DATA_ENCRYPTION_KEY");
    }
    if let DatabaseUrl::Postgres(_) = config.database {
        bail!(
            "DATA_ENCRYPTION_KEY: required with PostgreSQL (every replica needs the same key); \
             expected 64 hex characters, e.g. from `openssl rand -hex 32`"
        );
    }
    let path = config.data_dir.join(KEY_FILE);
    let key = match std::fs::read_to_string(&path) {
        Ok(text) => {
            parse_hex(text.trim()).with_context(|| format!("{} is damaged", path.display()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = DataKeys::generate_key();
            std::fs::create_dir_all(&config.data_dir)
                .with_context(|| format!("creating {}", config.data_dir.display()))?;
            let tmp = path.with_extension("tmp");
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(&tmp)
                .with_context(|| format!("writing {}", tmp.display()))?;
            file.write_all(hex(&key).as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            log::warn!(
                target: "app",
                "DATA_ENCRYPTION_KEY is not set: generated one in {} — back it up together with the database",
                path.display()
            );
            key
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    DataKeys::new(vec![(GENERATED_ID.to_string(), Secret::new(key))]).context("generated data key")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_hex(text: &str) -> anyhow::Result<[u8; 32]> {
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("expected 64 hex characters");
    }
    let mut key = [0u8; 32];
    for (i, chunk) in text.as_bytes().chunks(2).enumerate() {
        let pair = std::str::from_utf8(chunk)?;
        key[i] = u8::from_str_radix(pair, 16)?;
    }
    Ok(key)
}
