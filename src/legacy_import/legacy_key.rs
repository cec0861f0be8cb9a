//! The old bot's `DATA_ENCRYPTION_KEY`, which encrypted its SNK answers with Fernet.
//!
//! Fernet (AES-128-CBC with an HMAC-SHA256 tag over a versioned, timestamped token) comes from
//! the maintained `fernet` crate with its RustCrypto backend — no OpenSSL, and its AES, CBC and
//! HMAC crates are the RustCrypto ones the tree already builds — rather than being assembled by
//! hand from those primitives.

use std::fmt;

use super::LegacyImportError;

/// A Fernet key. `Debug` never shows it.
pub struct LegacyKey(fernet::Fernet);

impl fmt::Debug for LegacyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LegacyKey([redacted])")
    }
}

impl LegacyKey {
    /// Reads a key as the old bot did: 32 bytes in base64. Python's Fernet also accepts the
    /// standard alphabet (`openssl rand -base64 32`, which the old bot's error message
    /// suggests), so `+` and `/` are taken for `-` and `_`.
    pub fn parse(text: &str) -> Result<LegacyKey, LegacyImportError> {
        let url_safe: String = text
            .trim()
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect();
        fernet::Fernet::new(&url_safe)
            .map(LegacyKey)
            .ok_or(LegacyImportError::LegacyKey)
    }

    /// The plaintext of a token, or `None` when it was not made with this key (or is not
    /// UTF-8 text). Tokens never expire here: an old answer is as valid as a new one.
    pub fn decrypt(&self, token: &str) -> Option<String> {
        let bytes = self.0.decrypt(token.trim()).ok()?;
        String::from_utf8(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Tokens made by Python's `cryptography` (the library the old bot uses), so this checks
    // compatibility with the real thing, not with ourselves.
    const KEY: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
    const TOKEN: &str = "gAAAAABrDNMwLBxHg9jut4EIBGcJK4UZwxh-27TrUbmwnn0puck2yjan86eK5w_9QWvAMW5P4DLs_2peU-wZjStXfzi32KFIJLMl8OxoSCNy0tQwN12tRGcuUlB1vlwQlTB7kSa39_tt";
    const STANDARD_KEY: &str = "+//7//v/+//7//v/+//7//v/+//7//v/+//7//v/+/8=";
    const STANDARD_TOKEN: &str = "gAAAAABrDNMwojuAveGIortz_HBBgL2c7oqMwyowns-AlpCJYPaUojAInJoplpsAZ7L0qv8Ku_gtj_Q4Xr_xOuD-tiFSKOqNadiv283fpno1qX9X8oXB_jA=";

    #[test]
    fn python_fernet_tokens_decrypt() {
        let key = LegacyKey::parse(KEY).unwrap();
        assert_eq!(
            key.decrypt(TOKEN).as_deref(),
            Some("Sudah saya kirim screenshot, ID 77123")
        );
        let standard = LegacyKey::parse(STANDARD_KEY).unwrap();
        assert_eq!(
            standard.decrypt(STANDARD_TOKEN).as_deref(),
            Some("standard-b64-key")
        );
        assert_eq!(standard.decrypt(TOKEN), None, "another key's token");
        assert_eq!(key.decrypt("gAAAAAB-not-a-token"), None);
    }

    #[test]
    fn bad_keys_are_refused_and_never_shown() {
        assert!(LegacyKey::parse("short").is_err());
        let key = LegacyKey::parse(KEY).unwrap();
        assert!(!format!("{key:?}").contains("AQID"));
    }
}
