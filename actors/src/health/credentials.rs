//! Credential age (`CREDENTIAL_ROTATION_DAYS`): each watched credential's fingerprint is stored
//! with the time it was first seen; a changed fingerprint restarts the clock. Owners are
//! reminded (at most weekly) about every credential older than the limit, in one message.
//! Only a short fingerprint keyed by the data key is stored ([`DataKeys::fingerprint`]), never
//! the secret nor a plain hash of it (a passphrase's plain hash could be attacked offline by
//! whoever reads the database).
//!
//! Also here: while stored values still use a `DATA_ENCRYPTION_KEY` key that is not the
//! first of the ring (a rotation begun and not finished), owners are told daily how many and
//! what to run ([`keys_due`]). Both messages point at the README's "Rotating keys" procedure.

use autoorder_schema::StoreError;
use autoorder_schema::crypto::DataKeys;
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
/// The unfinished key rotation is reminded at most this often.
pub const KEYS_REMIND_EVERY_MS: i64 = DAY_MS;
/// When owners were last told about values on an old key.
const KEYS_REMINDED_AT: &str = "keys.rotation_reminded_at";
/// Where the procedure is described.
pub const ROTATION_HELP: &str =
    "Cara mengganti: README → \"Rotating keys\" (autoorder keys rotate).";

/// A short, keyed, non-reversible fingerprint of a secret.
pub fn fingerprint(keys: &DataKeys, secret: &str) -> String {
    keys.fingerprint(secret.as_bytes())
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
    text.push('\n');
    text.push_str(ROTATION_HELP);
    text
}

/// The reminder about values still on an old data key, when one is due: the ring has more
/// than one key, values not under the first exist, and owners were not told in the last day
/// (the count scans every encrypted value, so it only runs when a reminder could go out).
/// Marks the reminder sent.
pub fn keys_due(
    conn: &mut DbConnection,
    keys: &autoorder_schema::crypto::DataKeys,
    now: i64,
) -> Result<Option<String>, StoreError> {
    if keys.ids().count() < 2 {
        return Ok(None);
    }
    let reminded = get_setting(conn, KEYS_REMINDED_AT)?
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    if now - reminded < KEYS_REMIND_EVERY_MS {
        return Ok(None);
    }
    let counts = autoorder_schema::queries::keys::status(conn, 2_000)?;
    let left = counts.not_under(keys.current_id());
    if left == 0 {
        return Ok(None);
    }
    set_setting(conn, KEYS_REMINDED_AT, &now.to_string())?;
    let old: Vec<String> = counts
        .by_key()
        .into_keys()
        .flatten()
        .filter(|k| k != keys.current_id())
        .collect();
    Ok(Some(format!(
        "🔑 {left} data terenkripsi masih memakai kunci lama ({}). Jalankan `autoorder keys rotate`, \
         lalu hapus kunci lama dari DATA_ENCRYPTION_KEY.\n{ROTATION_HELP}",
        old.join(", ")
    )))
}

/// Leader duty: the unfinished-rotation reminder.
async fn check_keys(services: &Services, now: i64) {
    let keys = services.data_keys.clone();
    let result = with_conn(&services.pool, move |c| {
        let Some(text) = keys_due(c, &keys, now)? else {
            return Ok(false);
        };
        write_tx(c, |c| {
            enqueue_owner_notice(c, &format!("keys-rotation:{now}"), &text)?;
            Ok::<_, StoreError>(true)
        })
    })
    .await;
    match result {
        Ok(true) => {
            log::info!(target: HEALTH, "owners reminded of values on an old data key");
            services.wake_queue();
        }
        Ok(false) => {}
        Err(e) => log::warn!(target: HEALTH, "data key check failed: {e}"),
    }
}

/// Leader duty: records ages and reminds the owners.
pub async fn check(services: &Services, health: &HealthSettings, now: i64) {
    check_keys(services, now).await;
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
        let keys = DataKeys::new(vec![(
            "k".into(),
            autoorder_schema::secret::Secret::new([3; 32]),
        )])
        .unwrap();
        let creds = vec![("TELEGRAM_BOT_TOKEN".to_string(), fingerprint(&keys, "a"))];
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
        let rotated = vec![("TELEGRAM_BOT_TOKEN".to_string(), fingerprint(&keys, "b"))];
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
        assert_ne!(fingerprint(&keys, "a"), fingerprint(&keys, "b"));
        // Keyed: the same secret under another data key gives another fingerprint, and no
        // plain hash of it is what is stored.
        let other = DataKeys::new(vec![(
            "k".into(),
            autoorder_schema::secret::Secret::new([4; 32]),
        )])
        .unwrap();
        assert_ne!(fingerprint(&keys, "a"), fingerprint(&other, "a"));
        assert_ne!(
            fingerprint(&keys, "a"),
            blake3::hash(b"a").to_hex()[..16].to_string()
        );
        assert!(reminder_text(&d, 90).contains("Rotating keys"));
    }

    #[test]
    fn values_on_an_old_data_key_are_reminded_daily_until_rotated() {
        use autoorder_schema::queries::keys::{Column, rotate_batch};
        use autoorder_schema::queries::users::{
            TelegramProfile, set_whatsapp, touch_user, whatsapp_aad,
        };
        use autoorder_schema::secret::Secret;
        let (_db, pool) = TestDatabase::migrated(Backend::Sqlite);
        let mut conn = autoorder_schema::checkout(&pool).unwrap();
        let old = DataKeys::new(vec![("k1".into(), Secret::new([1; 32]))]).unwrap();
        let ring = DataKeys::new(vec![
            ("k2".into(), Secret::new([2; 32])),
            ("k1".into(), Secret::new([1; 32])),
        ])
        .unwrap();
        let profile = TelegramProfile {
            id: 5,
            username: None,
            first_name: "A",
            language: None,
        };
        touch_user(&mut conn, &profile).unwrap();
        set_whatsapp(
            &mut conn,
            5,
            Some(&old.encrypt_str("62812", &whatsapp_aad(5))),
        )
        .unwrap();
        let t0 = 1_700_000_000_000;
        assert_eq!(
            keys_due(&mut conn, &old, t0).unwrap(),
            None,
            "one key: nothing to rotate"
        );
        let text = keys_due(&mut conn, &ring, t0).unwrap().expect("due");
        assert!(
            text.contains("1 data") && text.contains("(k1)") && text.contains("keys rotate"),
            "{text}"
        );
        assert_eq!(
            keys_due(&mut conn, &ring, t0 + 3_600_000).unwrap(),
            None,
            "daily"
        );
        assert!(keys_due(&mut conn, &ring, t0 + DAY_MS).unwrap().is_some());
        rotate_batch(&mut conn, &ring, Column::Whatsapp, i64::MIN, 10).unwrap();
        assert_eq!(
            keys_due(&mut conn, &ring, t0 + 3 * DAY_MS).unwrap(),
            None,
            "rotated"
        );
    }
}
