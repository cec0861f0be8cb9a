//! The backup engine below the CLI: retention as exact table-driven cases, and a write
//! failure in the middle of an archive that must leave nothing valid-looking behind.

use std::path::Path;

use autoorder_actors::backup::engine::{self, BackupSettings, CreateOptions, NoProgress};
use autoorder_actors::backup::retention::{Candidate, RetentionPolicy, select_kept};
use autoorder_actors::backup::{KeyMode, RetentionPolicy as Policy};
use autoorder_schema::db::{Backend, DbTarget};
use autoorder_schema::testing::TestDatabase;
use chrono::{TimeZone, Utc};

fn at(day: &str) -> chrono::DateTime<Utc> {
    let (date, time) = day.split_once(' ').unwrap_or((day, "02:00"));
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    let t = chrono::NaiveTime::parse_from_str(time, "%H:%M").unwrap();
    Utc.from_utc_datetime(&d.and_time(t))
}

fn policy(last: u32, daily: u32, weekly: u32, monthly: u32, min: u32) -> RetentionPolicy {
    RetentionPolicy {
        keep_last: last,
        keep_daily: daily,
        keep_weekly: weekly,
        keep_monthly: monthly,
        keep_min: min,
    }
}

#[test]
fn retention_keeps_exactly_the_expected_ids() {
    // (backups as "id@date[ time][!unverified]", policy, ids kept)
    type Case = (
        &'static [&'static str],
        RetentionPolicy,
        &'static [&'static str],
    );
    let cases: &[Case] = &[
        // keep-last only
        (
            &[
                "a@2025-01-01",
                "b@2025-01-02",
                "c@2025-01-03",
                "d@2025-01-04",
            ],
            policy(2, 0, 0, 0, 0),
            &["c", "d"],
        ),
        // daily: newest of each day; two on one day keeps the later
        (
            &[
                "a@2025-01-01 01:00",
                "b@2025-01-01 23:00",
                "c@2025-01-02",
                "d@2025-01-03",
            ],
            policy(0, 2, 0, 0, 0),
            &["c", "d"],
        ),
        (
            &["a@2025-01-01 01:00", "b@2025-01-01 23:00", "c@2025-01-02"],
            policy(0, 5, 0, 0, 0),
            &["b", "c"],
        ),
        // weekly (ISO weeks: 2025-01-05 is a Sunday, 2025-01-06 a Monday)
        (
            &[
                "a@2025-01-05",
                "b@2025-01-06",
                "c@2025-01-12",
                "d@2025-01-13",
                "e@2025-01-20",
            ],
            policy(0, 0, 2, 0, 0),
            &["d", "e"],
        ),
        // monthly
        (
            &[
                "a@2024-11-30",
                "b@2024-12-01",
                "c@2024-12-31",
                "d@2025-01-15",
                "e@2025-01-16",
            ],
            policy(0, 0, 0, 3, 0),
            &["a", "c", "e"],
        ),
        // combined: last 1 + daily 2 + monthly 2
        (
            &[
                "a@2024-12-10",
                "b@2024-12-20",
                "c@2025-01-01",
                "d@2025-01-02",
                "e@2025-01-03",
            ],
            policy(1, 2, 0, 2, 0),
            &["b", "d", "e"],
        ),
        // the minimum tops up the newest
        (
            &[
                "a@2025-01-01",
                "b@2025-01-02",
                "c@2025-01-03",
                "d@2025-01-04",
            ],
            policy(1, 0, 0, 0, 3),
            &["b", "c", "d"],
        ),
        // the newest verified backup is kept even when the rules would drop it
        (
            &[
                "a@2025-01-01",
                "b@2025-01-02",
                "c@2025-01-03!",
                "d@2025-01-04!",
            ],
            policy(1, 0, 0, 0, 0),
            &["b", "d"],
        ),
        // fewer backups than the rules ask for: all kept
        (&["a@2025-01-01"], policy(7, 7, 4, 6, 3), &["a"]),
        (&[], policy(7, 7, 4, 6, 3), &[]),
    ];
    for (i, (backups, policy, expected)) in cases.iter().enumerate() {
        let candidates: Vec<Candidate> = backups
            .iter()
            .map(|spec| {
                let (id, rest) = spec.split_once('@').unwrap();
                let (date, verified) = match rest.strip_suffix('!') {
                    Some(d) => (d, false),
                    None => (rest, true),
                };
                Candidate {
                    id: id.to_string(),
                    created_at: at(date),
                    verified,
                }
            })
            .collect();
        let kept = select_kept(&candidates, policy, chrono_tz::UTC).unwrap();
        let kept: Vec<&str> = kept.iter().map(String::as_str).collect();
        assert_eq!(&kept, expected, "case {i}: {backups:?} with {policy:?}");
    }
    assert!(
        select_kept(&[], &policy(0, 0, 0, 0, 5), chrono_tz::UTC)
            .unwrap_err()
            .contains("empty retention policy")
    );
}

#[test]
fn retention_days_follow_the_store_time_zone() {
    // 2025-01-01 20:00 UTC is already 2025-01-02 in Jakarta (UTC+7).
    let c = |id: &str, t: &str| Candidate {
        id: id.into(),
        created_at: at(t),
        verified: true,
    };
    let candidates = [c("a", "2025-01-01 16:00"), c("b", "2025-01-01 20:00")];
    let p = policy(0, 2, 0, 0, 0);
    let utc = select_kept(&candidates, &p, chrono_tz::UTC).unwrap();
    assert_eq!(utc.len(), 1);
    let jakarta = select_kept(&candidates, &p, chrono_tz::Asia::Jakarta).unwrap();
    assert_eq!(jakarta.len(), 2);
}

fn settings(db: &TestDatabase, dir: &Path) -> BackupSettings {
    let target = match db.url() {
        u if u.starts_with("postgres") => DbTarget::Postgres(u),
        u => DbTarget::Sqlite(u.into()),
    };
    BackupSettings {
        db: target,
        store_name: "Toko Uji".into(),
        timezone: chrono_tz::UTC,
        local_dir: dir.join("backups"),
        offsite_dir: None,
        s3: None,
        key: Some(KeyMode::Passphrase("a test passphrase".to_string().into())),
        passphrase: Some("a test passphrase".to_string().into()),
        data_dir: dir.join("data"),
        log_dir: dir.join("logs"),
        extra_files: vec![],
        retention: Policy::default(),
        auto: false,
        time: chrono::NaiveTime::from_hms_opt(2, 0, 0).unwrap(),
        automatic_offsite: false,
        zstd_level: 3,
        drill_days: 30,
    }
}

autoorder_schema::both_backends! {
    fn write_failure_mid_archive_leaves_nothing_valid(backend) {
    let (db, _pool) = TestDatabase::migrated(backend);
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs/app");
    std::fs::create_dir_all(&logs).unwrap();
    // Incompressible bytes so the archive is large enough to fail in the middle.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let noise: Vec<u8> = (0..3_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(logs.join("2025-01-01.log"), &noise).unwrap();
    let settings = settings(&db, dir.path());
    let options = CreateOptions {
        reason: "test".into(),
        offsite: false,
        fail_after_bytes: Some(1_000_000),
    };
    let err = engine::create(&settings, &options, &NoProgress).unwrap_err();
    assert!(
        err.contains("No space left on device") && err.contains("partial file was removed"),
        "{err}"
    );
    let left: Vec<String> = std::fs::read_dir(&settings.local_dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    let listed = engine::list(&settings);
    assert!(listed[0].1.as_ref().unwrap().is_empty());

    // The same settings without the failure make a valid backup.
    let ok = engine::create(
        &settings,
        &CreateOptions {
            fail_after_bytes: None,
            ..options
        },
        &NoProgress,
    )
    .unwrap();
    assert!(
        ok.meta
            .files
            .iter()
            .any(|f| f.path == "logs/app/2025-01-01.log")
    );
    let verified = engine::verify(&settings, Some(&ok.meta.id), None, &NoProgress).unwrap();
    assert!(verified.iter().all(|v| v.ok), "{verified:?}");
    let _ = backend == Backend::Sqlite;
}
}

#[test]
fn database_urls_are_compared_after_normalizing() {
    use engine::same_database;
    let pg = |u: &str| DbTarget::Postgres(u.to_string());
    assert!(same_database(
        &pg("postgres://shop:secret@db.example.com/store"),
        &pg("postgresql://shop@DB.example.com:5432/store?sslmode=require"),
    ));
    assert!(same_database(
        &pg("postgres://shop@127.0.0.1/store"),
        &pg("postgres://shop@localhost:5432/store"),
    ));
    assert!(!same_database(
        &pg("postgres://shop@localhost/store"),
        &pg("postgres://shop@localhost/other")
    ));
    assert!(!same_database(
        &pg("postgres://shop@localhost:5433/store"),
        &pg("postgres://shop@localhost/store")
    ));
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let a = DbTarget::Sqlite(dir.path().join("data/autoorder.db"));
    let b = DbTarget::Sqlite(dir.path().join("data/../data/./autoorder.db"));
    assert!(same_database(&a, &b));
    assert!(!same_database(
        &a,
        &DbTarget::Sqlite(dir.path().join("other.db"))
    ));
}

#[test]
fn the_periodic_drill_runs_when_due_and_reminds_when_the_bot_cannot_decrypt() {
    use autoorder_actors::backup::maybe_drill;
    use autoorder_schema::queries::settings::get_setting;
    let (db, pool) = TestDatabase::migrated(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(&db, dir.path());
    let made = engine::create(&settings, &CreateOptions::default(), &NoProgress).unwrap();
    let mut conn = autoorder_schema::checkout(&pool).unwrap();
    let now = autoorder_schema::now_ms();
    maybe_drill(&mut conn, &settings, &made.meta.id, now);
    let at = get_setting(&mut conn, engine::keys::LAST_DRILL_AT)
        .unwrap()
        .expect("drilled");
    assert_eq!(
        get_setting(&mut conn, engine::keys::LAST_DRILL_OK)
            .unwrap()
            .as_deref(),
        Some("1")
    );
    // Not due again within the period.
    maybe_drill(&mut conn, &settings, &made.meta.id, now + 1000);
    assert_eq!(
        get_setting(&mut conn, engine::keys::LAST_DRILL_AT).unwrap(),
        Some(at)
    );

    // Public-key backups: the bot cannot drill, the owners are reminded once per period.
    settings.key = Some(KeyMode::Recipients(vec!["age1example".into()]));
    let later = now + 31 * 24 * 3600 * 1000;
    let reminders = |conn: &mut autoorder_schema::DbConnection| {
        autoorder_schema::migrations::row_counts(conn)
            .unwrap()
            .into_iter()
            .find(|(t, _)| t == "jobs")
            .unwrap()
            .1
    };
    let before = reminders(&mut conn);
    maybe_drill(&mut conn, &settings, &made.meta.id, later);
    maybe_drill(&mut conn, &settings, &made.meta.id, later + 1000);
    assert_eq!(reminders(&mut conn), before + 1, "one reminder");
}
