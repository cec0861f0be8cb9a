//! Small hand-written recognisers for the forms settings take (tokens, URLs, keys, times).
//!
//! Written by hand rather than pulling in `url`, `hex` and `base64`: each form here is narrow
//! and the loader needs only "is it this form, and what does it hold".

use chrono::NaiveTime;

/// `A-Z a-z 0-9 _ -`: the alphabet of Telegram tokens and of the secrets we generate.
pub(super) fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Whether `value` is `min..=max` characters of `A-Z a-z 0-9 _ -`.
pub(super) fn is_token_text(value: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&value.len()) && value.chars().all(is_token_char)
}

/// A bot token as BotFather issues it: `<digits>:<at least 30 of A-Z a-z 0-9 _ ->`.
pub(super) fn is_bot_token(value: &str) -> bool {
    match value.split_once(':') {
        Some((id, secret)) => {
            !id.is_empty()
                && id.chars().all(|c| c.is_ascii_digit())
                && is_token_text(secret, 30, usize::MAX)
        }
        None => false,
    }
}

/// The pieces of an absolute URL the loader cares about.
pub(super) struct Url<'a> {
    /// Lower-cased scheme.
    pub scheme: String,
    /// Host without port or brackets, lower-cased.
    pub host: String,
    /// Everything from the first `/`, `?` or `#` after the authority.
    pub rest: &'a str,
}

/// Splits `scheme://[user@]host[:port]rest`, rejecting blanks, control characters,
/// empty hosts and bad ports.
pub(super) fn parse_url(value: &str) -> Option<Url<'_>> {
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (scheme, after) = value.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after_host) = bracketed.split_once(']')?;
        if host.is_empty() || !host.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return None;
        }
        (host, after_host.strip_prefix(':'))
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return None;
    }
    if let Some(port) = port {
        if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        port.parse::<u16>().ok()?;
    }
    Some(Url {
        scheme: scheme.to_ascii_lowercase(),
        host: host.to_ascii_lowercase(),
        rest,
    })
}

/// An `http://` or `https://` URL.
pub(super) fn is_http_url(value: &str) -> bool {
    parse_url(value).is_some_and(|url| url.scheme == "http" || url.scheme == "https")
}

/// Whether `host` is this machine, where plain http cannot be intercepted.
pub(super) fn is_loopback_host(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

/// The path of a URL; `None` when it is empty or `/`.
pub(crate) fn url_path(url: &str) -> Option<String> {
    let parsed = parse_url(url)?;
    let end = parsed.rest.find(['?', '#']).unwrap_or(parsed.rest.len());
    let path = &parsed.rest[..end];
    if path.is_empty() || path == "/" {
        None
    } else {
        Some(path.to_string())
    }
}

/// `value` with the password of a `scheme://user:password@host` URL (or a bare
/// `user:password@host`) replaced by `***` and any query dropped, for messages.
pub(super) fn redact_url(value: &str) -> String {
    let (scheme, after) = match value.split_once("://") {
        Some((scheme, after)) => (format!("{scheme}://"), after),
        None => (String::new(), value),
    };
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    let rest = match rest.split_once('?') {
        Some((path, _)) => format!("{path}?…"),
        None => rest.to_string(),
    };
    format!("{scheme}{authority}{rest}")
}

/// Exactly 64 hex digits → 32 bytes.
pub(super) fn hex_32(value: &str) -> Option<[u8; 32]> {
    let bytes = value.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        *slot = u8::try_from(high * 16 + low).ok()?;
    }
    Some(out)
}

/// Standard (`+/`) base64 of exactly 32 bytes: 44 characters ending in one `=`, or the
/// same 43 characters unpadded. Non-canonical trailing bits are rejected.
pub(super) fn base64_32(value: &str) -> Option<[u8; 32]> {
    let body = value.strip_suffix('=').unwrap_or(value);
    if body.len() != 43 {
        return None;
    }
    let mut out = [0u8; 32];
    let mut filled = 0;
    let mut bits: u32 = 0;
    let mut bit_count = 0;
    for byte in body.bytes() {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(sextet);
        bit_count += 6;
        if bit_count >= 8 {
            bit_count -= 8;
            *out.get_mut(filled)? = u8::try_from(bits >> bit_count).ok()?;
            filled += 1;
            bits &= (1 << bit_count) - 1;
        }
    }
    (filled == 32 && bits == 0).then_some(out)
}

/// `true/false/1/0/yes/no/on/off`, any case.
pub(super) fn boolean(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A 24-hour `HH:MM` (a one-digit hour is accepted too).
pub(super) fn clock_time(value: &str) -> Option<NaiveTime> {
    let (hour, minute) = value.split_once(':')?;
    let digits = |s: &str, lengths: &[usize]| {
        lengths.contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit())
    };
    if !digits(hour, &[1, 2]) || !digits(minute, &[2]) {
        return None;
    }
    NaiveTime::from_hms_opt(hour.parse().ok()?, minute.parse().ok()?, 0)
}

/// A log level name; the old bot's Python names `WARNING` and `CRITICAL` map to `WARN` and
/// `ERROR`.
pub(super) fn log_level(value: &str) -> Option<log::LevelFilter> {
    use log::LevelFilter;
    match value.to_ascii_uppercase().as_str() {
        "CRITICAL" | "FATAL" | "ERROR" => Some(LevelFilter::Error),
        "WARNING" | "WARN" => Some(LevelFilter::Warn),
        "INFO" => Some(LevelFilter::Info),
        "DEBUG" => Some(LevelFilter::Debug),
        "TRACE" => Some(LevelFilter::Trace),
        "OFF" => Some(LevelFilter::Off),
        _ => None,
    }
}

/// Comma-separated items, trimmed, blanks skipped (a trailing comma is harmless).
pub(super) fn list(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bot_tokens() {
        assert!(is_bot_token("123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcd-"));
        assert!(!is_bot_token("123456:short"));
        assert!(!is_bot_token("abc:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcd-"));
        assert!(!is_bot_token(":ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcd-"));
        assert!(!is_bot_token("123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ abcd-"));
    }

    #[test]
    fn urls() {
        assert!(is_http_url("https://api.telegram.org"));
        assert!(is_http_url("http://127.0.0.1:8081/bot"));
        assert!(is_http_url("http://[::1]:80"));
        assert!(!is_http_url("ftp://x"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("https://host:99999"));
        assert!(!is_http_url("https://ho st"));
        assert!(!is_http_url("api.telegram.org"));
        assert_eq!(url_path("https://a.b/tg/x?y=1").as_deref(), Some("/tg/x"));
        assert_eq!(url_path("https://a.b/"), None);
        assert_eq!(url_path("https://a.b"), None);
        assert_eq!(url_path("https://a.b?x=/y"), None);
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact_url("postgres://bot:hunter2@db:5432/shop?password=x"),
            "postgres://bot:***@db:5432/shop?…"
        );
        assert_eq!(redact_url("mysql://db/shop"), "mysql://db/shop");
        assert_eq!(redact_url("u:pw@host"), "u:***@host");
    }

    #[test]
    fn keys() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        let bytes = hex_32(hex).expect("hex");
        assert_eq!(bytes[1], 0x11);
        assert_eq!(bytes[31], 0xff);
        assert!(hex_32(&hex[..62]).is_none());
        assert!(hex_32(&hex.replace('0', "g")).is_none());
        // 32 bytes 0..=31 in standard base64.
        let b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let decoded = base64_32(b64).expect("base64");
        assert_eq!(decoded.to_vec(), (0u8..32).collect::<Vec<_>>());
        assert_eq!(base64_32(b64.trim_end_matches('=')), Some(decoded));
        assert!(base64_32("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=").is_none());
        assert!(base64_32("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==").is_none());
    }

    #[test]
    fn times_levels_booleans() {
        assert_eq!(clock_time("02:00"), NaiveTime::from_hms_opt(2, 0, 0));
        assert_eq!(clock_time("2:05"), NaiveTime::from_hms_opt(2, 5, 0));
        assert!(clock_time("24:00").is_none());
        assert!(clock_time("12:5").is_none());
        assert!(clock_time("12:60").is_none());
        assert_eq!(log_level("critical"), Some(log::LevelFilter::Error));
        assert_eq!(log_level("Warning"), Some(log::LevelFilter::Warn));
        assert!(log_level("loud").is_none());
        assert_eq!(boolean("ON"), Some(true));
        assert_eq!(boolean("0"), Some(false));
        assert!(boolean("maybe").is_none());
    }
}
