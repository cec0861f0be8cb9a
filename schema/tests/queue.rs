//! The job queue's storage guarantees, on SQLite and PostgreSQL.

use autoorder_schema::both_backends;
use autoorder_schema::db::{Backend, checkout};
use autoorder_schema::job_kinds::{JobPayload, OutboundMessage};
use autoorder_schema::queries::broadcasts::{
    BroadcastState, RecipientStatus, TransitionError, broadcast_progress, change_broadcast_state,
    create_broadcast, recipient_key, record_recipient,
};
use autoorder_schema::queries::jobs::{
    KindFilter, NewJob, RetryOutcome, claim_due_jobs, complete_job, enqueue, find_job_by_key,
    jobs_of_kind, rescue_expired_leases, retry_job,
};
use autoorder_schema::queries::snk::{load_snk_answer, purge_snk_answers, save_snk_answer};
use autoorder_schema::queries::users::{TelegramProfile, mark_unreachable, touch_user};
use autoorder_schema::testing::TestDatabase;
use autoorder_schema::{StoreError, write_tx};
use diesel::connection::SimpleConnection;

fn message(chat_id: i64) -> JobPayload {
    JobPayload::SendMessage(OutboundMessage {
        chat_id,
        text: format!("hai {chat_id}"),
        photo: None,
        buttons: Vec::new(),
        via_owner_bot: false,
        html: false,
    })
}

fn add_users(conn: &mut autoorder_schema::DbConnection, ids: impl IntoIterator<Item = i64>) {
    for id in ids {
        touch_user(
            conn,
            &TelegramProfile {
                id,
                username: None,
                first_name: "U",
                language: None,
            },
        )
        .unwrap();
    }
}

both_backends! {
    fn enqueueing_the_same_key_twice_yields_one_job(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        assert!(enqueue(&mut conn, &NewJob::keyed(message(1), "k1")).unwrap().is_some());
        assert!(enqueue(&mut conn, &NewJob::keyed(message(1), "k1")).unwrap().is_none());
        assert_eq!(jobs_of_kind(&mut conn, "send_message").unwrap().len(), 1);
    }
}

both_backends! {
    fn an_enqueue_rolled_back_with_its_transaction_leaves_no_job(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let result: Result<(), StoreError> = write_tx(&mut conn, |c| {
            enqueue(c, &NewJob::keyed(message(1), "rolled-back"))?;
            Err(StoreError::Corrupt("the state change failed".into()))
        });
        assert!(result.is_err());
        assert!(find_job_by_key(&mut conn, "rolled-back").unwrap().is_none());
    }
}

both_backends! {
    fn a_dead_workers_jobs_are_rescued_and_completed_by_another(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        for i in 0..10 {
            enqueue(&mut conn, &NewJob::keyed(message(i), format!("job-{i}"))).unwrap();
        }
        // Worker A claims everything with a lease that is already over, then "dies".
        let a = claim_due_jobs(&mut conn, "A", 100, -1, KindFilter::All).unwrap();
        assert_eq!(a.len(), 10);
        assert!(claim_due_jobs(&mut conn, "B", 100, 30_000, KindFilter::All).unwrap().is_empty(), "running jobs are not claimable");
        assert_eq!(rescue_expired_leases(&mut conn).unwrap(), 10);
        let b = claim_due_jobs(&mut conn, "B", 100, 30_000, KindFilter::All).unwrap();
        assert_eq!(b.len(), 10);
        for job in &b {
            assert_eq!(job.attempts, 2, "the dead worker's attempt stays counted");
            assert!(complete_job(&mut conn, job.id, "B").unwrap());
        }
        // A's late completion changes nothing.
        assert!(!complete_job(&mut conn, a[0].id, "A").unwrap());
        assert!(jobs_of_kind(&mut conn, "send_message").unwrap().iter().all(|j| j.state == "done"));
    }
}

both_backends! {
    fn retries_end_dead_and_a_deferral_gives_the_attempt_back(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let job = NewJob { payload: message(1), unique_key: Some("r".into()), run_at: None, max_attempts: 2 };
        enqueue(&mut conn, &job).unwrap();
        let claimed = claim_due_jobs(&mut conn, "w", 1, 30_000, KindFilter::All).unwrap();
        // A 429: rescheduled without using the attempt.
        assert_eq!(retry_job(&mut conn, claimed[0].id, "w", "429", 0, false).unwrap(), RetryOutcome::Retrying);
        assert_eq!(find_job_by_key(&mut conn, "r").unwrap().unwrap().attempts, 0);
        let claimed = claim_due_jobs(&mut conn, "w", 1, 30_000, KindFilter::All).unwrap();
        assert_eq!(retry_job(&mut conn, claimed[0].id, "w", "502", 0, true).unwrap(), RetryOutcome::Retrying);
        let claimed = claim_due_jobs(&mut conn, "w", 1, 30_000, KindFilter::All).unwrap();
        assert_eq!(claimed[0].attempts, 2);
        assert_eq!(retry_job(&mut conn, claimed[0].id, "w", "502 again", 0, true).unwrap(), RetryOutcome::Dead);
        let row = find_job_by_key(&mut conn, "r").unwrap().unwrap();
        assert_eq!((row.state.as_str(), row.last_error.as_deref()), ("dead", Some("502 again")));
        assert!(claim_due_jobs(&mut conn, "w", 1, 30_000, KindFilter::All).unwrap().is_empty());
    }
}

both_backends! {
    fn kind_filters_and_due_times_are_respected(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        enqueue(&mut conn, &NewJob::keyed(message(1), "send")).unwrap();
        enqueue(&mut conn, &NewJob::keyed(JobPayload::PurgeSnkAnswers { retention_days: 30 }, "purge")).unwrap();
        let later = NewJob { payload: message(2), unique_key: Some("later".into()), run_at: Some(i64::MAX / 8), max_attempts: 3 };
        enqueue(&mut conn, &later).unwrap();
        let non_telegram = claim_due_jobs(&mut conn, "w", 10, 30_000, KindFilter::Except(&JobPayload::TELEGRAM_KINDS)).unwrap();
        assert_eq!(non_telegram.iter().map(|j| j.kind.as_str()).collect::<Vec<_>>(), ["purge_snk_answers"]);
        let rest = claim_due_jobs(&mut conn, "w", 10, 30_000, KindFilter::Only(&["send_message"])).unwrap();
        assert_eq!(rest.len(), 1, "the job due later is not claimed");
    }
}

#[test]
fn postgresql_workers_claim_disjoint_sets_concurrently() {
    let (_db, pool) = TestDatabase::migrated(Backend::Postgres);
    {
        let mut conn = checkout(&pool).unwrap();
        for i in 0..400 {
            enqueue(&mut conn, &NewJob::keyed(message(i), format!("c-{i}"))).unwrap();
        }
    }
    let claimed: Vec<Vec<i64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let pool = &pool;
                s.spawn(move || {
                    let mut conn = checkout(pool).unwrap();
                    let mut mine = Vec::new();
                    loop {
                        let batch =
                            claim_due_jobs(&mut conn, &format!("w{w}"), 7, 30_000, KindFilter::All)
                                .unwrap();
                        if batch.is_empty() {
                            return mine;
                        }
                        for job in batch {
                            assert!(complete_job(&mut conn, job.id, &format!("w{w}")).unwrap());
                            mine.push(job.id);
                        }
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<i64> = claimed.concat();
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(
        (total, all.len()),
        (400, 400),
        "every job claimed exactly once"
    );
    assert!(
        claimed.iter().filter(|c| !c.is_empty()).count() >= 2,
        "work was shared"
    );
}

both_backends! {
    fn a_broadcast_has_one_job_per_reachable_user_and_can_be_steered(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        add_users(&mut conn, 1..=5);
        mark_unreachable(&mut conn, 5).unwrap();
        conn.batch_execute("UPDATE users SET is_blocked = TRUE WHERE id = 4").unwrap();
        let (id, n) = create_broadcast(&mut conn, "Promo", None, "test").unwrap();
        assert_eq!(n, 3, "blocked and unreachable users are skipped");
        assert!(find_job_by_key(&mut conn, &recipient_key(id, 1)).unwrap().is_some());
        assert!(find_job_by_key(&mut conn, &recipient_key(id, 5)).unwrap().is_none());

        assert_eq!(change_broadcast_state(&mut conn, id, BroadcastState::Paused).unwrap(), Ok(()));
        assert!(claim_due_jobs(&mut conn, "w", 10, 30_000, KindFilter::All).unwrap().is_empty(), "paused jobs are parked");
        assert!(matches!(
            change_broadcast_state(&mut conn, id, BroadcastState::Paused).unwrap(),
            Err(TransitionError::NotAllowed { .. })
        ));
        assert_eq!(change_broadcast_state(&mut conn, id, BroadcastState::Running).unwrap(), Ok(()));
        let claimed = claim_due_jobs(&mut conn, "w", 1, 30_000, KindFilter::All).unwrap();
        assert_eq!(claimed.len(), 1);
        record_recipient(&mut conn, id, 1, RecipientStatus::Sent).unwrap();
        complete_job(&mut conn, claimed[0].id, "w").unwrap();

        assert_eq!(change_broadcast_state(&mut conn, id, BroadcastState::Cancelled).unwrap(), Ok(()));
        let p = broadcast_progress(&mut conn, id).unwrap().unwrap();
        assert_eq!((p.state.as_str(), p.total, p.sent, p.cancelled, p.pending), ("cancelled", 3, 1, 2, 0));
        assert!(claim_due_jobs(&mut conn, "w", 10, 30_000, KindFilter::All).unwrap().is_empty());
        assert_eq!(change_broadcast_state(&mut conn, 999, BroadcastState::Paused).unwrap(), Err(TransitionError::NotFound(999)));
    }
}

both_backends! {
    fn snk_answers_are_replaced_and_purged_after_retention(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        add_users(&mut conn, [1]);
        save_snk_answer(&mut conn, "INV-1", 3, 1, b"first").unwrap();
        save_snk_answer(&mut conn, "INV-1", 3, 1, b"second").unwrap();
        assert_eq!(load_snk_answer(&mut conn, "INV-1", 3).unwrap().as_deref(), Some(&b"second"[..]));
        assert_eq!(purge_snk_answers(&mut conn, 30).unwrap(), 0, "fresh answers stay");
        conn.batch_execute("UPDATE snk_answers SET created_at = created_at - CAST(31 AS BIGINT) * 86400000").unwrap();
        assert_eq!(purge_snk_answers(&mut conn, 30).unwrap(), 1);
        assert!(load_snk_answer(&mut conn, "INV-1", 3).unwrap().is_none());
    }
}
