//! At-rest encryption of sensitive fields (stock item contents, SNK answers, WhatsApp numbers).
//!
//! A database dump or backup must not reveal what customers bought or who they are, so these
//! fields are stored as XChaCha20-Poly1305 ciphertexts under `DATA_ENCRYPTION_KEY`:
//!
//! * **Rotation.** Every value carries the id of the key that wrote it, and a [`DataKeys`] ring
//!   holds the current key (which encrypts) plus old keys (which still decrypt). Rotating is:
//!   put the new key first, re-encrypt every value whose [`DataKeys::key_id_of`] is not
//!   [`DataKeys::current_id`] (`autoorder keys rotate`, [`crate::queries::keys`]), then drop
//!   the old key.
//! * **Row binding.** The caller passes the row identity (`b"stock_items:42"`) as associated
//!   data, so a ciphertext copied into another row — by a bug or by someone with database
//!   access — fails to decrypt instead of handing out another customer's goods.
//! * **Duplicates without decrypting.** [`DataKeys::content_hash`] is a keyed BLAKE3 hash, so a
//!   unique index can reject duplicate stock items while the hash tells nothing to anyone without
//!   the key (a plain hash of a short voucher code could be brute-forced).
//!
//! XChaCha20 has a 192-bit nonce, so nonces are simply random: no counter to keep in sync
//! between processes or restore from backups.
//!
//! Blob layout (self-describing, so the format can change later):
//!
//! ```text
//! version (1 byte, = 1) | id length (1 byte) | id (1–16 bytes of [A-Za-z0-9_-])
//!     | nonce (24 bytes) | ciphertext | Poly1305 tag (16 bytes)
//! ```
//!
//! The header (version, id length, id) is authenticated together with the caller's associated
//! data, so it cannot be altered without decryption failing.

use std::fmt;

use chacha20poly1305::aead::{Aead, Generate, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use thiserror::Error;

use crate::secret::Secret;

/// Format version written as the first byte of every blob.
const VERSION: u8 = 1;
/// Longest key id: short, because it is stored with every encrypted value.
const MAX_ID_LEN: usize = 16;
/// XChaCha20 nonce length.
const NONCE_LEN: usize = 24;
/// Poly1305 tag length.
const TAG_LEN: usize = 16;
/// BLAKE3 key-derivation context for [`DataKeys::content_hash`]. Changing it changes every hash.
const CONTENT_HASH_CONTEXT: &str = "autoorder 2026 content hash";
/// BLAKE3 key-derivation context for [`DataKeys::fingerprint`].
const FINGERPRINT_CONTEXT: &str = "autoorder 2026 credential fingerprint";

/// Why a key ring could not be built or a value could not be decrypted.
///
/// Messages name key ids (which are not secret) but never key bytes or plaintext, so these
/// errors can be logged and shown to the operator as they are.
#[derive(Debug, Error)]
pub enum CryptoError {
    /// The key ring is empty: nothing could encrypt, so it is a configuration error.
    #[error("no data encryption key configured")]
    NoKeys,
    /// A key id is not 1–16 characters of `[A-Za-z0-9_-]`. Ids are stored in every blob, so they
    /// must be short and unambiguous. An over-long "id" is shown only by its length, since it is
    /// most likely a key pasted into the wrong place.
    #[error("invalid data encryption key id {0} (expected 1-16 characters of A-Z a-z 0-9 _ -)")]
    BadKeyId(String),
    /// Two keys share an id, so a blob's id would not say which key wrote it.
    #[error("data encryption key id {0:?} is configured twice")]
    DuplicateKeyId(String),
    /// The bytes are not an encrypted value this module wrote (too short, unknown version, bad
    /// key id, or text that is not UTF-8). Points at corruption or a wrong column, not a wrong key.
    #[error("malformed encrypted value: {0}")]
    Malformed(&'static str),
    /// The value was written with a key id that is not in the ring: a key was removed from the
    /// configuration before every value had been re-encrypted.
    #[error("encrypted value was written with data encryption key {0:?}, which is not configured")]
    UnknownKey(String),
    /// Authentication failed: a wrong key under the right id, associated data of another row, or
    /// modified bytes. Deliberately not more specific — the cipher cannot tell these apart.
    #[error("encrypted value failed authentication (wrong key, wrong row, or modified)")]
    Tampered,
}

/// One key of the ring. The content-hash key is derived once, at construction.
#[derive(Clone)]
struct DataKey {
    id: String,
    key: Secret<[u8; 32]>,
    hash_key: Secret<[u8; 32]>,
}

/// A key ring for at-rest field encryption: the first key encrypts, every key decrypts.
///
/// Holding old keys next to the current one is what makes rotation possible without downtime.
/// `Debug` shows only the key ids, never key bytes, so the ring can sit inside logged config.
#[derive(Clone)]
pub struct DataKeys {
    /// Non-empty; `keys[0]` is the current key.
    keys: Vec<DataKey>,
}

impl fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKeys")
            .field("current", &self.current_id())
            .field(
                "ids",
                &self.keys.iter().map(|k| k.id.as_str()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// True when `id` may name a key: 1–16 bytes of `[A-Za-z0-9_-]` (hence also valid UTF-8).
fn valid_id(id: &[u8]) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
}

/// A blob split into its parts; `header` is the authenticated version + id length + id.
struct Parsed<'a> {
    header: &'a [u8],
    id: &'a str,
    nonce: &'a [u8],
    sealed: &'a [u8],
}

/// Splits a blob, checking only its framing (not its authenticity).
fn parse(blob: &[u8]) -> Result<Parsed<'_>, CryptoError> {
    let (&version, rest) = blob
        .split_first()
        .ok_or(CryptoError::Malformed("too short"))?;
    if version != VERSION {
        return Err(CryptoError::Malformed("unknown version"));
    }
    let (&id_len, rest) = rest
        .split_first()
        .ok_or(CryptoError::Malformed("too short"))?;
    let id_len = usize::from(id_len);
    if rest.len() < id_len + NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Malformed("too short"));
    }
    let (id, rest) = rest.split_at(id_len);
    if !valid_id(id) {
        return Err(CryptoError::Malformed("bad key id"));
    }
    let id = std::str::from_utf8(id).map_err(|_| CryptoError::Malformed("bad key id"))?;
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    Ok(Parsed {
        header: &blob[..2 + id_len],
        id,
        nonce,
        sealed,
    })
}

/// The AEAD associated data: the blob header followed by the caller's row identity. The header
/// is length-prefixed, so the concatenation is unambiguous.
fn full_aad(header: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut full = Vec::with_capacity(header.len() + aad.len());
    full.extend_from_slice(header);
    full.extend_from_slice(aad);
    full
}

impl DataKeys {
    /// Builds a ring from `(id, 32-byte key)` pairs in order; the first is the current key.
    ///
    /// Validating here, at boot, turns a bad `DATA_ENCRYPTION_KEY` into a startup error instead
    /// of a failure on the first sale.
    ///
    /// # Errors
    /// [`CryptoError::NoKeys`] if `keys` is empty, [`CryptoError::BadKeyId`] if an id is not 1–16
    /// characters of `[A-Za-z0-9_-]`, [`CryptoError::DuplicateKeyId`] if an id repeats.
    pub fn new(keys: Vec<(String, Secret<[u8; 32]>)>) -> Result<DataKeys, CryptoError> {
        if keys.is_empty() {
            return Err(CryptoError::NoKeys);
        }
        let mut ring: Vec<DataKey> = Vec::with_capacity(keys.len());
        for (id, key) in keys {
            if !valid_id(id.as_bytes()) {
                let shown = if id.chars().count() <= MAX_ID_LEN {
                    format!("{id:?}")
                } else {
                    format!("({} characters long)", id.chars().count())
                };
                return Err(CryptoError::BadKeyId(shown));
            }
            if ring.iter().any(|k| k.id == id) {
                return Err(CryptoError::DuplicateKeyId(id));
            }
            let hash_key = Secret::new(blake3::derive_key(CONTENT_HASH_CONTEXT, key.expose()));
            ring.push(DataKey { id, key, hash_key });
        }
        Ok(DataKeys { keys: ring })
    }

    /// The id of the key that encrypts. Values whose [`DataKeys::key_id_of`] differs still need
    /// re-encrypting before the old key can be retired.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    fn current(&self) -> &DataKey {
        &self.keys[0]
    }

    fn find(&self, id: &str) -> Option<&DataKey> {
        self.keys.iter().find(|k| k.id == id)
    }

    /// Encrypts `plaintext` with the current key under a fresh random nonce and returns the
    /// self-describing blob (version | id length | id | 24-byte nonce | ciphertext + tag).
    ///
    /// `aad` binds the value to its row, e.g. `b"stock_items:42"` or
    /// `b"snk_answers:order=7:product=3"`; the same bytes must be passed to
    /// [`DataKeys::decrypt`]. Use a row identity that never changes (a primary key, not a
    /// position).
    ///
    /// # Panics
    /// If the operating system's random number generator fails — encrypting with a predictable
    /// nonce would be worse than stopping.
    pub fn encrypt(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let key = self.current();
        let id = key.id.as_bytes();
        let mut blob = Vec::with_capacity(2 + id.len() + NONCE_LEN + plaintext.len() + TAG_LEN);
        blob.push(VERSION);
        blob.push(u8::try_from(id.len()).expect("key ids are at most 16 bytes"));
        blob.extend_from_slice(id);
        let nonce = XNonce::generate();
        let cipher = XChaCha20Poly1305::new(key.key.expose().into());
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &full_aad(&blob, aad),
                },
            )
            .expect("XChaCha20-Poly1305 accepts any field-sized plaintext");
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        blob
    }

    /// Decrypts a blob written by [`DataKeys::encrypt`] with any key in the ring, checking that
    /// it belongs to the row named by `aad`.
    ///
    /// # Errors
    /// [`CryptoError::Malformed`] if the bytes are not a blob, [`CryptoError::UnknownKey`] if the
    /// key that wrote it is not in the ring, [`CryptoError::Tampered`] if authentication fails.
    pub fn decrypt(&self, blob: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let parsed = parse(blob)?;
        let key = self
            .find(parsed.id)
            .ok_or_else(|| CryptoError::UnknownKey(parsed.id.to_owned()))?;
        let cipher = XChaCha20Poly1305::new(key.key.expose().into());
        let nonce = XNonce::try_from(parsed.nonce).map_err(|_| CryptoError::Malformed("nonce"))?;
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: parsed.sealed,
                    aad: &full_aad(parsed.header, aad),
                },
            )
            .map_err(|_| CryptoError::Tampered)
    }

    /// [`DataKeys::encrypt`] for text fields (stock contents, answers, phone numbers).
    ///
    /// # Panics
    /// As [`DataKeys::encrypt`].
    pub fn encrypt_str(&self, text: &str, aad: &[u8]) -> Vec<u8> {
        self.encrypt(text.as_bytes(), aad)
    }

    /// [`DataKeys::decrypt`] for values written with [`DataKeys::encrypt_str`].
    ///
    /// # Errors
    /// As [`DataKeys::decrypt`], plus [`CryptoError::Malformed`] if the authenticated plaintext
    /// is not UTF-8 (the value was not written as text).
    pub fn decrypt_str(&self, blob: &[u8], aad: &[u8]) -> Result<String, CryptoError> {
        String::from_utf8(self.decrypt(blob, aad)?)
            .map_err(|_| CryptoError::Malformed("plaintext is not UTF-8"))
    }

    /// Keyed BLAKE3 hash of `content` under the current key, as 64 lowercase hex characters:
    /// what a new stock item stores, for finding duplicates without decrypting.
    ///
    /// The hash key is `blake3::derive_key("autoorder 2026 content hash", key)`, so equal
    /// contents give equal hashes, and without the key the hash reveals nothing (not even to a
    /// dictionary of likely voucher codes). A stored hash is keyed by the key that encrypted
    /// its item, so after a key change items hashed under older keys are only found through
    /// [`DataKeys::content_hashes`] — duplicate checks use that; `autoorder keys rotate`
    /// re-hashes items together with re-encrypting them.
    pub fn content_hash(&self, content: &[u8]) -> String {
        blake3::keyed_hash(self.current().hash_key.expose(), content)
            .to_hex()
            .to_string()
    }

    /// [`DataKeys::content_hash`] of `content` under every key of the ring, the current key's
    /// first: what a duplicate check compares stored hashes with, so an item stored before a
    /// key change (and not yet rotated) is still found.
    pub fn content_hashes(&self, content: &[u8]) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| {
                blake3::keyed_hash(k.hash_key.expose(), content)
                    .to_hex()
                    .to_string()
            })
            .collect()
    }

    /// A short keyed fingerprint of another secret (a token, a passphrase), to notice that it
    /// changed without storing anything that could be attacked offline: an unkeyed hash of a
    /// passphrase in the database can be brute-forced by whoever reads the database, this
    /// one only by whoever also holds the current data key. It changes when the data key does.
    pub fn fingerprint(&self, secret: &[u8]) -> String {
        let key = blake3::derive_key(FINGERPRINT_CONTEXT, self.current().key.expose());
        blake3::keyed_hash(&key, secret).to_hex()[..16].to_string()
    }

    /// The ids of the ring, the current (encrypting) key first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.id.as_str())
    }

    /// The id of the key a blob was written with, read without decrypting — to find values still
    /// on an old key during rotation. Not authenticated: trust it only for choosing what to
    /// re-encrypt.
    ///
    /// # Errors
    /// [`CryptoError::Malformed`] if the bytes are not a blob.
    pub fn key_id_of(blob: &[u8]) -> Result<&str, CryptoError> {
        parse(blob).map(|p| p.id)
    }

    /// Decrypts with whatever key in the ring wrote `blob` and re-encrypts with the current key
    /// (fresh nonce, same `aad`): the per-value step of key rotation.
    ///
    /// # Errors
    /// As [`DataKeys::decrypt`].
    ///
    /// # Panics
    /// As [`DataKeys::encrypt`].
    pub fn reencrypt(&self, blob: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let plaintext = self.decrypt(blob, aad)?;
        Ok(self.encrypt(&plaintext, aad))
    }

    /// A fresh random 32-byte key from the operating system's generator, for tests and for
    /// `autoorder` to print a suggested `DATA_ENCRYPTION_KEY`.
    ///
    /// # Panics
    /// If the operating system's random number generator fails.
    pub fn generate_key() -> [u8; 32] {
        <[u8; 32]>::generate()
    }
}
