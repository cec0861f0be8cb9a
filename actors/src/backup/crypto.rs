//! age encryption: a passphrase (scrypt) or public-key recipients (X25519), so the stock `age`
//! tool opens every archive.

use std::io::{Read, Write};
use std::path::Path;
use std::str::FromStr;

use age::secrecy::{ExposeSecret, SecretString};
use autoorder_schema::secret::Secret;

/// How new archives are encrypted.
#[derive(Debug, Clone)]
pub enum KeyMode {
    /// `BACKUP_ENCRYPTION_PASSWORD`: the bot can read its own backups.
    Passphrase(Secret<String>),
    /// `BACKUP_RECIPIENTS`: the bot holds only public keys and cannot read its backups.
    Recipients(Vec<String>),
}

impl KeyMode {
    pub fn name(&self) -> &'static str {
        match self {
            KeyMode::Passphrase(_) => "passphrase",
            KeyMode::Recipients(_) => "recipients",
        }
    }
}

/// What can open archives: the passphrase and/or identities (private keys).
#[derive(Default)]
pub struct Keys {
    pub passphrase: Option<Secret<String>>,
    pub identities: Vec<Box<dyn age::Identity + Send + Sync>>,
}

impl Keys {
    /// Adds the identities of an age identity file (`AGE-SECRET-KEY-1…` lines).
    pub fn add_identity_file(&mut self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("identity file {}: {e}", path.display()))?;
        let found = parse_identities(&text)
            .map_err(|e| format!("identity file {}: {e}", path.display()))?;
        if found.is_empty() {
            return Err(format!(
                "identity file {} holds no identity",
                path.display()
            ));
        }
        self.identities.extend(found);
        Ok(())
    }
}

/// A new X25519 identity: (secret key line, public key).
pub fn keygen() -> (SecretString, String) {
    let identity = age::x25519::Identity::generate();
    let public = identity.to_public().to_string();
    (identity.to_string(), public)
}

/// Wraps `out` in an age encryptor for `mode`.
pub fn encrypt<W: Write>(mode: &KeyMode, out: W) -> Result<age::stream::StreamWriter<W>, String> {
    let encryptor = match mode {
        KeyMode::Passphrase(p) => {
            age::Encryptor::with_user_passphrase(SecretString::from(p.expose().clone()))
        }
        KeyMode::Recipients(keys) => {
            let parsed = keys
                .iter()
                .map(|k| {
                    age::x25519::Recipient::from_str(k)
                        .map_err(|e| format!("BACKUP_RECIPIENTS: {k}: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            age::Encryptor::with_recipients(parsed.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|e| format!("BACKUP_RECIPIENTS: {e}"))?
        }
    };
    encryptor
        .wrap_output(out)
        .map_err(|e| format!("starting encryption: {e}"))
}

/// Opens an age stream with `keys`; the errors say which key was wrong.
pub fn decrypt<R: Read>(
    keys: &Keys,
    input: R,
    id: &str,
) -> Result<age::stream::StreamReader<R>, String> {
    let decryptor = age::Decryptor::new(input).map_err(|e| match e {
        age::DecryptError::Io(e) => format!("backup {id}: reading the archive: {e}"),
        other => format!("backup {id}: corrupt archive: the age header is invalid ({other})"),
    })?;
    if decryptor.is_scrypt() {
        let Some(passphrase) = &keys.passphrase else {
            return Err(format!(
                "backup {id} is encrypted with a passphrase: set BACKUP_ENCRYPTION_PASSWORD"
            ));
        };
        let identity = age::scrypt::Identity::new(SecretString::from(passphrase.expose().clone()));
        decryptor
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .map_err(|e| match e {
                age::DecryptError::DecryptionFailed
                | age::DecryptError::KeyDecryptionFailed
                | age::DecryptError::NoMatchingKeys => format!(
                    "wrong passphrase: BACKUP_ENCRYPTION_PASSWORD does not open backup {id}"
                ),
                other => format!("backup {id}: {other}"),
            })
    } else {
        if keys.identities.is_empty() {
            return Err(format!(
                "backup {id} is encrypted to public keys (BACKUP_RECIPIENTS): pass --identity FILE \
                 with a matching private key"
            ));
        }
        decryptor
            .decrypt(
                keys.identities
                    .iter()
                    .map(|i| i.as_ref() as &dyn age::Identity),
            )
            .map_err(|e| match e {
                age::DecryptError::NoMatchingKeys => {
                    format!("wrong identity: none of the given keys is a recipient of backup {id}")
                }
                age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => {
                    format!("wrong identity or corrupt header in backup {id}")
                }
                other => format!("backup {id}: {other}"),
            })
    }
}

/// Parses `AGE-SECRET-KEY-1…` lines into identities.
pub fn parse_identities(text: &str) -> Result<Vec<Box<dyn age::Identity + Send + Sync>>, String> {
    let mut out: Vec<Box<dyn age::Identity + Send + Sync>> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let id = age::x25519::Identity::from_str(line)
            .map_err(|_| "not an age X25519 identity (AGE-SECRET-KEY-1…)".to_string())?;
        out.push(Box::new(id));
    }
    Ok(out)
}

/// Exposes the secret key line (for keygen output only).
pub fn expose(s: &SecretString) -> &str {
    s.expose_secret()
}
