//! The Telegram webhook secret, generated once and kept in the data directory.
//!
//! Telegram sends `X-Telegram-Bot-Api-Secret-Token` with every webhook call; the bot must
//! know the same value across restarts (the webhook stays registered with it), so an
//! operator who does not set `TELEGRAM_WEBHOOK_SECRET` gets one generated on first start and
//! reused afterwards.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use rand::Rng;

use super::{Config, Secret};

/// File name of the stored secret inside `DATA_DIR`.
const FILE_NAME: &str = "telegram-webhook-secret";

/// The 64 characters Telegram accepts in a secret token.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// Length of a generated secret (48 × 6 = 288 random bits).
const GENERATED_LENGTH: usize = 48;

/// Returns `TELEGRAM_WEBHOOK_SECRET` when set; else the secret stored in
/// `<DATA_DIR>/telegram-webhook-secret`; else generates one, stores it (mode 0600 on unix)
/// and returns it. Later calls, and later processes, return the same value.
///
/// A stored file whose content is not 1–256 of `A-Z a-z 0-9 _ -` is an error rather than
/// silently replaced: replacing it would break a webhook registered with the old value.
pub fn ensure_webhook_secret(config: &Config) -> io::Result<Secret<String>> {
    if let Some(secret) = &config.telegram.webhook_secret {
        return Ok(secret.clone());
    }
    let path = config.data_dir.join(FILE_NAME);
    if let Some(secret) = read_stored(&path)? {
        return Ok(secret);
    }
    fs::create_dir_all(&config.data_dir)?;
    let generated = generate();
    publish(&path, generated.expose())?;
    // Another process may have published first; the file is the truth either way.
    read_stored(&path)?.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} vanished right after it was written", path.display()),
        )
    })
}

/// The stored secret, `None` if there is no file yet.
fn read_stored(path: &Path) -> io::Result<Option<Secret<String>>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(io::Error::new(
                err.kind(),
                format!("cannot read {}: {err}", path.display()),
            ));
        }
    };
    let secret = text.trim();
    let valid = (1..=256).contains(&secret.len())
        && secret
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        // Never echo the content: it is (meant to be) a secret.
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} holds {} characters that are not a webhook secret (1–256 of A-Z a-z 0-9 _ -); \
                 fix or delete it, or set TELEGRAM_WEBHOOK_SECRET",
                path.display(),
                secret.chars().count()
            ),
        ));
    }
    Ok(Some(Secret::new(secret.to_string())))
}

/// 48 uniformly random characters of [`ALPHABET`].
fn generate() -> Secret<String> {
    let mut rng = rand::rng();
    let secret = (0..GENERATED_LENGTH)
        .map(|_| char::from(ALPHABET[usize::from(rng.random::<u8>() & 63)]))
        .collect();
    Secret::new(secret)
}

/// Writes `secret` to a private temporary file, then moves it into place, so a crash never
/// leaves a half-written secret. The final step is a hard link, which fails instead of
/// overwriting when another process got there first; filesystems without hard links fall
/// back to a rename.
fn publish(path: &Path, secret: &str) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let suffix: u64 = rand::rng().random();
    let temp = dir.join(format!(".{FILE_NAME}.{suffix:016x}.tmp"));
    let result = write_private(&temp, secret).and_then(|()| match fs::hard_link(&temp, path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(_) => fs::rename(&temp, path),
    });
    // Gone already after a rename; otherwise the link holds the content.
    let _ = fs::remove_file(&temp);
    result
}

/// Creates `path` readable and writable by the owner only, and syncs `secret` into it.
fn write_private(path: &Path, secret: &str) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(secret.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}
