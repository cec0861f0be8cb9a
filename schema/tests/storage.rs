//! Storage tests, each run on SQLite and on PostgreSQL.

use autoorder_schema::both_backends;
use autoorder_schema::db::{Backend, checkout};
use autoorder_schema::migrations::{pending_migrations, row_counts, run_migrations};
use autoorder_schema::queries::audit::{ActorKind, AuditEntry, append_audit};
use autoorder_schema::queries::leases::{lease_holder, release_lease, try_acquire_lease};
use autoorder_schema::queries::settings::{get_setting, set_setting};
use autoorder_schema::tables::ALL_TABLES;
use autoorder_schema::testing::TestDatabase;
use diesel::connection::SimpleConnection;

both_backends! {
    fn migrations_apply_to_an_empty_database(backend) {
        let db = TestDatabase::empty(backend);
        let pool = db.pool();
        let applied = run_migrations(&pool, &db.target).unwrap();
        assert!(!applied.is_empty(), "an empty database gets the initial migration");
        let mut conn = checkout(&pool).unwrap();
        assert!(pending_migrations(&mut conn).unwrap().is_empty());
        let counts = row_counts(&mut conn).unwrap();
        assert_eq!(counts.len(), ALL_TABLES.len());
        assert!(counts.iter().all(|(_, n)| *n == 0));
        // Running again is a no-op.
        assert!(run_migrations(&pool, &db.target).unwrap().is_empty());
    }
}

both_backends! {
    fn two_processes_migrating_together_apply_each_migration_once(backend) {
        let db = TestDatabase::empty(backend);
        let pools = [db.pool(), db.pool()];
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let results: Vec<Vec<String>> = std::thread::scope(|s| {
            let handles: Vec<_> = pools
                .iter()
                .map(|pool| {
                    let barrier = barrier.clone();
                    let target = &db.target;
                    s.spawn(move || {
                        barrier.wait();
                        run_migrations(pool, target).expect("both migrators succeed")
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let total: usize = results.iter().map(|r| r.len()).sum();
        let mut conn = checkout(&pools[0]).unwrap();
        assert!(pending_migrations(&mut conn).unwrap().is_empty());
        assert_eq!(total, autoorder_schema::migrations::POSTGRES_COUNT, "each migration applied exactly once: {results:?}");
    }
}

both_backends! {
    fn leases_are_exclusive_until_they_expire(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        assert!(try_acquire_lease(&mut conn, "queue-leader", "a", 60_000).unwrap());
        assert!(!try_acquire_lease(&mut conn, "queue-leader", "b", 60_000).unwrap());
        assert!(try_acquire_lease(&mut conn, "queue-leader", "a", 60_000).unwrap(), "renewal");
        assert_eq!(lease_holder(&mut conn, "queue-leader").unwrap().as_deref(), Some("a"));
        // Let a's lease lapse by renewing with a negative ttl, then b takes over.
        assert!(try_acquire_lease(&mut conn, "queue-leader", "a", -1).unwrap());
        assert!(try_acquire_lease(&mut conn, "queue-leader", "b", 60_000).unwrap());
        release_lease(&mut conn, "queue-leader", "b").unwrap();
        assert_eq!(lease_holder(&mut conn, "queue-leader").unwrap(), None);
    }
}

both_backends! {
    fn settings_round_trip_and_audit_log_is_append_only(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        assert_eq!(get_setting(&mut conn, "k").unwrap(), None);
        set_setting(&mut conn, "k", "1").unwrap();
        set_setting(&mut conn, "k", "2").unwrap();
        assert_eq!(get_setting(&mut conn, "k").unwrap().as_deref(), Some("2"));

        append_audit(&mut conn, &AuditEntry {
            actor_kind: ActorKind::Admin,
            actor_id: Some(42),
            action: "product.create",
            subject: Some("P1"),
            details: serde_json::json!({"price": 30000}),
        })
        .unwrap();
        assert!(conn.batch_execute("UPDATE audit_log SET action = 'x'").is_err(), "updates refused");
        assert!(conn.batch_execute("DELETE FROM audit_log").is_err(), "deletes refused");
        let counts = row_counts(&mut conn).unwrap();
        assert_eq!(counts.iter().find(|(t, _)| t == "audit_log").unwrap().1, 1);
    }
}

both_backends! {
    fn balance_can_never_go_negative(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        conn.batch_execute("INSERT INTO users (id, first_name, created_at, updated_at, last_seen_at) VALUES (1, 'a', 0, 0, 0)").unwrap();
        assert!(conn.batch_execute("UPDATE users SET balance = -1 WHERE id = 1").is_err());
    }
}

#[test]
fn backends_have_the_same_migrations() {
    let names = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(format!(
            "{}/../migrations/{dir}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
        v.sort();
        v
    };
    assert_eq!(
        names("postgres"),
        names("sqlite"),
        "every change exists for both backends"
    );
    let _ = Backend::Sqlite;
}
