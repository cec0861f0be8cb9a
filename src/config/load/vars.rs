//! The names of every configuration variable, and which of them hold secrets.
//!
//! One list drives three things: which environment variables are read (unrelated ones are
//! ignored), which TOML keys are accepted (anything else is a typo worth reporting), and
//! which values must never appear in a message.

/// Every variable the loader understands, grouped as in SPEC §5–§6.
pub(super) const KNOWN: &[&str] = &[
    // Telegram
    "TELEGRAM_BOT_TOKEN",
    "OWNER_BOT_TOKEN",
    "TELEGRAM_ADMIN_IDS",
    "TELEGRAM_OWNER_IDS",
    "TELEGRAM_MODE",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_API_URL",
    "TELEGRAM_SEND_RATE",
    // Pakasir
    "PAKASIR_PROJECT_SLUG",
    "PAKASIR_API_KEY",
    "PAKASIR_WEBHOOK_SECRET",
    "PAKASIR_BASE_URL",
    "PAYMENT_FAILURE_ALERT_THRESHOLD",
    "PAYMENT_RECONCILE_SECONDS",
    "PAYMENT_RECHECK_HOURS",
    // Store, storage, process
    "DATABASE_URL",
    "DATA_DIR",
    "LOG_DIR",
    "LOG_RETENTION_DAYS",
    "HTTP_ADDR",
    "BOT_STORE_NAME",
    "BOT_TIMEZONE",
    "DATA_ENCRYPTION_KEY",
    "SNK_RETENTION_DAYS",
    "LOW_STOCK_THRESHOLD",
    "DEPOSIT_MINIMUM",
    "SPAM_MAX_ACTIONS",
    "SPAM_WINDOW_SECONDS",
    "UPDATE_CONCURRENCY",
    "REPLY_TTL_SECONDS",
    "CREDENTIAL_ROTATION_DAYS",
    // Backups
    "ENABLE_AUTO_BACKUP",
    "BACKUP_TIME",
    "BACKUP_LOCAL_DIR",
    "BACKUP_OFFSITE_DIR",
    "BACKUP_AUTOMATIC_OFFSITE",
    "BACKUP_ENCRYPTION_PASSWORD",
    "BACKUP_RECIPIENTS",
    "BACKUP_KEEP_LAST",
    "BACKUP_KEEP_DAILY",
    "BACKUP_KEEP_WEEKLY",
    "BACKUP_KEEP_MONTHLY",
    "BACKUP_KEEP_MIN",
    "BACKUP_S3_ENDPOINT",
    "BACKUP_S3_BUCKET",
    "BACKUP_S3_PREFIX",
    "BACKUP_S3_REGION",
    "BACKUP_S3_ACCESS_KEY_ID",
    "BACKUP_S3_SECRET_ACCESS_KEY",
    "BACKUP_S3_TIMEOUT_SECONDS",
    "BACKUP_DRILL_DAYS",
    // Health and alerts
    "ENABLE_AUTO_HEALTHCHECK",
    "HEALTHCHECK_INTERVAL_MINUTES",
    "HEALTHCHECK_INTERVAL_SECONDS",
    "HEALTH_CPU_THRESHOLD",
    "HEALTH_MEMORY_THRESHOLD",
    "HEALTH_DISK_THRESHOLD",
    "LOG_USAGE_THRESHOLD_MB",
    "ALERT_REMINDER_MINUTES",
    "ENABLE_OWNER_ALERTS",
    "OWNER_ALERT_THRESHOLD",
    "OWNER_SUMMARY_TIME",
];

/// Variables whose value is a secret: messages describe them by length only.
const SECRETS: &[&str] = &[
    "TELEGRAM_BOT_TOKEN",
    "OWNER_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "PAKASIR_API_KEY",
    "PAKASIR_WEBHOOK_SECRET",
    "DATA_ENCRYPTION_KEY",
    "BACKUP_ENCRYPTION_PASSWORD",
    "BACKUP_S3_SECRET_ACCESS_KEY",
    "BACKUP_S3_ACCESS_KEY_ID",
];

/// Whether `name` is one of [`KNOWN`].
pub(super) fn is_known(name: &str) -> bool {
    KNOWN.contains(&name)
}

/// Whether the whole value of `name` is secret.
pub(super) fn is_secret(name: &str) -> bool {
    SECRETS.contains(&name)
}

/// The known variable closest to a mistyped `name`, if one is close enough to be a
/// plausible typo. `leaf` is the last TOML key alone (upper-cased), so a setting put in
/// the wrong section (`[telegram] owner_bot_token`) still finds `OWNER_BOT_TOKEN`.
pub(super) fn closest(name: &str, leaf: &str) -> Option<&'static str> {
    let limit = (name.len() / 3).max(2);
    KNOWN
        .iter()
        .map(|known| {
            let distance = edit_distance(name, known).min(edit_distance(leaf, known));
            (distance, *known)
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance over bytes (variable names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_is_known_and_names_are_unique() {
        for secret in SECRETS {
            assert!(is_known(secret), "{secret}");
        }
        let mut names = KNOWN.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KNOWN.len());
    }

    #[test]
    fn typos_find_their_variable() {
        assert_eq!(
            closest("TELEGRAM_BOT_TOKN", "BOT_TOKN"),
            Some("TELEGRAM_BOT_TOKEN")
        );
        assert_eq!(
            closest("TELEGRAM_OWNER_BOT_TOKEN", "OWNER_BOT_TOKEN"),
            Some("OWNER_BOT_TOKEN")
        );
        assert_eq!(closest("COMPLETELY_UNRELATED", "UNRELATED"), None);
    }
}
