//! Credential age (`CREDENTIAL_ROTATION_DAYS`): each watched credential's fingerprint is stored
//! with the time it was first seen; a changed fingerprint restarts the clock. Owners are
//! reminded (at most weekly) about every credential older than the limit, in one message.
//! Only a short hash is stored, never the secret.

use autoorder_schema::StoreError;
use autoorder_schema::db::{DbConnection, write_tx};
use autoorder_schema::queries::settings::{get_setting, set_setting};

use super::HealthSettings;
use super::alerts::enqueue_owner_notice;
use crate::blocking::with_conn;
use crate::log_targets::HEALTH;
use crate::services::Services;

const DAY_MS: i64 = 24 * 3600 * 1000;
/// Reminders repeat at most this often.
pub const REMIND_EVERY_MS: i64 = 7 * DAY_MS;

/// A short, non-reversible fingerprint of a secret.
pub fn fingerprint(secret: &str) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"autoorder-credential-age:");
    hasher.update(secret.as_bytes());
    hasher.finalize().to_hex()[..16].to_string()
}

fn key(label: &str, field: &str) -> String {
    format!("credential.{label}.{field}")
}

/// Records first-seen times and returns the credentials due for a reminder with their ages
/// (ms); marks them reminded.
pub fn due(
    conn: &mut DbConnection,
    credentials: &[(String, String)],
    now: i64,
    rotation_days: u32,
) -> Result<Vec<(String, i64)>, StoreError> {
    write_tx(conn, |conn| {
        let mut out = Vec::new();
        for (label, fp) in credentials {
            let stored = get_setting(conn, &key(label, "fingerprint"))?;
            if stored.as_deref() != Some(fp.as_str()) {
                set_setting(conn, &key(label, "fingerprint"), fp)?;
                set_setting(conn, &key(label, "since"), &now.to_string())?;
                set_setting(conn, &key(label, "reminded_at"), "0")?;
                continue;
            }
            let num = |v: Option<String>| v.and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
            let since = num(get_setting(conn, &key(label, "since"))?);
            let reminded = num(get_setting(conn, &key(label, "reminded_at"))?);
            let age = now - since;
            if age > i64::from(rotation_days) * DAY_MS && now - reminded >= REMIND_EVERY_MS {
                set_setting(conn, &key(label, "reminded_at"), &now.to_string())?;
                out.push((label.clone(), age));
            }
        }
        Ok(out)
    })
}

/// The reminder text.
pub fn reminder_text(due: &[(String, i64)], rotation_days: u32) -> String {
    let mut text = format!("🔑 Saatnya mengganti kredensial (lebih dari {rotation_days} hari):");
    for (label, age) in due {
        text.push_str(&format!("\n• {label}: {} hari", age / DAY_MS));
    }
    text
}

/// Leader duty: records ages and reminds the owners.
pub async fn check(services: &Services, health: &HealthSettings, now: i64) {
    if health.credentials.is_empty() {
        return;
    }
    let (creds, days) = (health.credentials.clone(), health.credential_rotation_days);
    let result = with_conn(&services.pool, move |c| {
        write_tx(c, |c| {
            let due = due(c, &creds, now, days)?;
            if due.is_empty() {
                return Ok(false);
            }
            enqueue_owner_notice(
                c,
                &format!("credential-age:{now}"),
                &reminder_text(&due, days),
            )?;
            Ok::<_, StoreError>(true)
        })
    })
    .await;
    match result {
        Ok(true) => {
            log::info!(target: HEALTH, "owners reminded to rotate credentials");
            services.wake_queue();
        }
        Ok(false) => {}
        Err(e) => log::warn!(target: HEALTH, "credential age check failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use autoorder_schema::db::Backend;
    use autoorder_schema::testing::TestDatabase;

    #[test]
    fn old_credentials_are_reminded_weekly_and_a_change_restarts_the_clock() {
        let (_db, pool) = TestDatabase::migrated(Backend::Sqlite);
        let mut conn = autoorder_schema::checkout(&pool).unwrap();
        let t0 = 1_700_000_000_000;
        let creds = vec![("TELEGRAM_BOT_TOKEN".to_string(), fingerprint("a"))];
        assert!(
            due(&mut conn, &creds, t0, 90).unwrap().is_empty(),
            "first seen"
        );
        assert!(
            due(&mut conn, &creds, t0 + 90 * DAY_MS, 90)
                .unwrap()
                .is_empty()
        );
        let d = due(&mut conn, &creds, t0 + 91 * DAY_MS, 90).unwrap();
        assert_eq!(d.len(), 1);
        assert!(reminder_text(&d, 90).contains("TELEGRAM_BOT_TOKEN: 91 hari"));
        assert!(
            due(&mut conn, &creds, t0 + 92 * DAY_MS, 90)
                .unwrap()
                .is_empty(),
            "weekly"
        );
        assert_eq!(
            due(&mut conn, &creds, t0 + 98 * DAY_MS, 90).unwrap().len(),
            1
        );
        // Rotated: the clock restarts.
        let rotated = vec![("TELEGRAM_BOT_TOKEN".to_string(), fingerprint("b"))];
        assert!(
            due(&mut conn, &rotated, t0 + 120 * DAY_MS, 90)
                .unwrap()
                .is_empty()
        );
        assert!(
            due(&mut conn, &rotated, t0 + 200 * DAY_MS, 90)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            due(&mut conn, &rotated, t0 + 211 * DAY_MS, 90)
                .unwrap()
                .len(),
            1
        );
        assert_ne!(fingerprint("a"), fingerprint("b"));
        assert!(!fingerprint("secret-token").contains("secret"));
    }
}
