//! Process-global secret redaction.
//!
//! Bot tokens, gateway API keys and database passwords end up in error
//! messages more often than anyone intends (a `reqwest` error quotes the
//! request URL, which for Telegram contains the bot token). Rather than rely
//! on every call site being careful, secrets are registered once at boot and
//! the [`LineEncoder`](super::LineEncoder) scrubs them from every message
//! before it reaches a console or a file.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::{PoisonError, RwLock};

/// What a secret is replaced with in log output.
pub const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are ignored: redacting `"abc"` would mangle
/// ordinary words in every message while protecting nothing of value.
pub const MIN_SECRET_LEN: usize = 6;

/// Registered secrets, longest first so a secret that contains another is
/// replaced whole rather than leaving its remainder visible.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers secret strings (bot tokens, API keys, passwords) that must never
/// reach a log: every occurrence in a message is replaced by `[redacted]` by
/// [`LineEncoder`](super::LineEncoder).
///
/// Strings shorter than 6 characters are ignored (see [`MIN_SECRET_LEN`]).
/// The percent-encoded form of each secret is registered too, because HTTP
/// client errors quote URLs in encoded form (a Telegram token's `:` becomes
/// `%3A`). Process-global and callable at any time, including after the
/// logger is installed — e.g. when an admin rotates a key at runtime.
pub fn register_secrets<I: IntoIterator<Item = String>>(secrets: I) {
    let mut fresh = Vec::new();
    for secret in secrets {
        if secret.chars().count() < MIN_SECRET_LEN {
            continue;
        }
        let encoded = percent_encode(&secret);
        if encoded != secret {
            fresh.push(encoded);
        }
        fresh.push(secret);
    }
    if fresh.is_empty() {
        return;
    }
    let mut all = SECRETS.write().unwrap_or_else(PoisonError::into_inner);
    all.extend(fresh);
    all.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    all.dedup();
}

/// Returns `message` with every registered secret replaced by [`REDACTED`].
///
/// Borrows when nothing matched, so the common case costs one scan per
/// secret and no allocation.
pub fn redact(message: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(PoisonError::into_inner);
    let mut out = Cow::Borrowed(message);
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
        }
    }
    out
}

/// RFC 3986 percent-encoding of everything but unreserved characters,
/// matching how URL libraries render a secret embedded in a path or query.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            // Writing into a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_occurrence_and_ignores_short_strings() {
        register_secrets(["unit-secret-aaa111".to_owned(), "tiny".to_owned()]);
        assert_eq!(
            redact("a unit-secret-aaa111 b unit-secret-aaa111 tiny"),
            "a [redacted] b [redacted] tiny"
        );
    }

    #[test]
    fn longer_secret_containing_shorter_is_redacted_whole() {
        register_secrets(["unit-overlap-bb".to_owned()]);
        register_secrets(["unit-overlap-bb-extended".to_owned()]);
        assert_eq!(redact("x unit-overlap-bb-extended y"), "x [redacted] y");
    }

    #[test]
    fn percent_encoded_form_is_redacted() {
        register_secrets(["987654:unit-token-ccc".to_owned()]);
        assert_eq!(
            redact("GET https://api.telegram.org/bot987654%3Aunit-token-ccc/getMe"),
            "GET https://api.telegram.org/bot[redacted]/getMe"
        );
    }

    #[test]
    fn untouched_message_is_borrowed() {
        assert!(matches!(
            redact("nothing secret here at all"),
            Cow::Borrowed(_)
        ));
    }
}
