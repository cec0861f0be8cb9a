//! The update pipeline's storage: per-chat claims (ordered within a chat, exclusive across
//! workers and replicas, renewed, taken over when they lapse), the "handled" mark that refuses a
//! second application, attempts counted only against the update a crash can blame, and the
//! outbox (claimed in order with leases, finished only by its holder). Both backends; the
//! races on PostgreSQL with two pools.

use std::collections::HashSet;

use autoorder_schema::both_backends;
use autoorder_schema::db::{Backend, checkout, write_tx};
use autoorder_schema::queries::outbox::{
    NewOutbox, OutboxLane, claim_outbox, finish_outbox, outbox_depth, outbox_of_chat,
    release_outbox, renew_outbox,
};
use autoorder_schema::queries::updates::{
    UpdateSource, claim_chats, defer_chat, fail_update, find_update, finish_update, release_chat,
    release_worker_claims, renew_chat_claims, store_update,
};
use autoorder_schema::testing::TestDatabase;

fn store(conn: &mut autoorder_schema::DbConnection, update_id: i64, chat: i64) {
    let payload = format!(r#"{{"update_id":{update_id}}}"#);
    assert!(store_update(conn, update_id, Some(chat), &payload, UpdateSource::Webhook).unwrap());
}

both_backends! {
    fn a_chat_is_claimed_whole_in_order_and_by_one_worker(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        store(&mut conn, 12, 7);
        assert!(!store_update(&mut conn, 12, Some(7), "{}", UpdateSource::Webhook).unwrap(), "re-delivery ignored");
        store(&mut conn, 10, 7);
        store(&mut conn, 11, 8);

        let first = claim_chats(&mut conn, "w1/a", 1, 60_000, 20).unwrap();
        assert_eq!(first.len(), 1);
        let chat7 = first.iter().find(|c| c.chat_id == 7).or(first.first()).unwrap().clone();
        // The other worker gets only the other chat, never a piece of the first.
        let second = claim_chats(&mut conn, "w2/b", 10, 60_000, 20).unwrap();
        assert_eq!(second.len(), 1);
        assert_ne!(second[0].chat_id, chat7.chat_id);
        assert!(claim_chats(&mut conn, "w3/c", 10, 60_000, 20).unwrap().is_empty(), "both chats held");

        let (ours, worker) = if chat7.chat_id == 7 { (chat7, "w1/a") } else { (second[0].clone(), "w2/b") };
        assert_eq!(ours.updates.iter().map(|u| u.update_id).collect::<Vec<_>>(), vec![10, 12], "in update_id order");
        assert_eq!(ours.updates[0].attempts, 1, "the first update carries the attempt");
        assert_eq!(ours.updates[1].attempts, 0, "the ones behind it are not blamed");

        // Only the holder can finish, and only once.
        assert!(!write_tx(&mut conn, |c| finish_update(c, "w9/x", 7, 10, 60_000, false)).unwrap());
        assert!(write_tx(&mut conn, |c| finish_update(c, worker, 7, 10, 60_000, false)).unwrap());
        assert!(!write_tx(&mut conn, |c| finish_update(c, worker, 7, 10, 60_000, false)).unwrap(), "never applied twice");
        assert_eq!(find_update(&mut conn, 10).unwrap().unwrap().0, "done");
        assert!(write_tx(&mut conn, |c| finish_update(c, worker, 7, 12, 60_000, true)).unwrap());
        // Released with the last update: a new update of the chat is claimable at once.
        store(&mut conn, 13, 7);
        let again = claim_chats(&mut conn, "w3/c", 10, 60_000, 20).unwrap();
        assert_eq!(again.iter().map(|c| c.chat_id).collect::<Vec<_>>(), vec![7]);
        assert_eq!(again[0].updates.iter().map(|u| u.update_id).collect::<Vec<_>>(), vec![13]);
    }
}

both_backends! {
    fn a_lapsed_claim_is_taken_over_and_the_old_holder_cannot_commit(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        store(&mut conn, 1, 5);
        // A worker claims with a lock already over (it "crashed" or stalled).
        assert_eq!(claim_chats(&mut conn, "slow/1", 1, -1, 20).unwrap().len(), 1);
        let taken = claim_chats(&mut conn, "fast/2", 1, 60_000, 20).unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].updates[0].attempts, 2, "each claim of the head counts");
        assert!(!write_tx(&mut conn, |c| finish_update(c, "slow/1", 5, 1, 60_000, false)).unwrap(), "the stalled worker's commit is refused");
        assert!(write_tx(&mut conn, |c| finish_update(c, "fast/2", 5, 1, 60_000, true)).unwrap());
    }
}

both_backends! {
    fn deferral_keeps_order_gives_back_attempts_and_renewal_keeps_a_chat(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        store(&mut conn, 1, 5);
        store(&mut conn, 2, 5);
        let c = claim_chats(&mut conn, "a/1", 1, 60_000, 20).unwrap();
        assert_eq!(c[0].updates[0].attempts, 1);
        // The environment failed: the chat cools down, the attempt is given back, nobody
        // (not even a worker that wants update 2) may take the chat meanwhile.
        defer_chat(&mut conn, "a/1", 5, 1, "database unavailable", 60_000, true).unwrap();
        assert!(claim_chats(&mut conn, "b/1", 1, 60_000, 20).unwrap().is_empty());
        defer_chat(&mut conn, "nobody/1", 5, 1, "x", 0, true).unwrap();
        assert!(claim_chats(&mut conn, "b/1", 1, 60_000, 20).unwrap().is_empty(), "only the holder's deferral counts");
        // The cool-down over, the head comes back first, its attempt not consumed.
        defer_chat(&mut conn, "", 5, 1, "x", -1, false).unwrap();
        let back = claim_chats(&mut conn, "b/1", 1, 60_000, 20).unwrap();
        assert_eq!(back[0].updates[0].update_id, 1);
        assert_eq!(back[0].updates[0].attempts, 1);
        // Renewal: a claim renewed for a minute is not taken over.
        assert_eq!(renew_chat_claims(&mut conn, "b/1", &[5], 60_000).unwrap(), 1);
        assert_eq!(renew_chat_claims(&mut conn, "z/1", &[5], 60_000).unwrap(), 0);
        assert!(claim_chats(&mut conn, "c/1", 1, 60_000, 20).unwrap().is_empty());
        // A poison update is given up; the chat moves on.
        assert!(write_tx(&mut conn, |c| fail_update(c, 1, "crashed")).unwrap());
        assert_eq!(find_update(&mut conn, 1).unwrap().unwrap().0, "failed");
        release_chat(&mut conn, "b/1", 5).unwrap();
        let next = claim_chats(&mut conn, "c/1", 1, 60_000, 20).unwrap();
        assert_eq!(next[0].updates.iter().map(|u| u.update_id).collect::<Vec<_>>(), vec![2]);
        // A restarted dispatcher of process `c` releases what its predecessors held.
        assert_eq!(release_worker_claims(&mut conn, "c").unwrap(), 1);
        assert_eq!(claim_chats(&mut conn, "d/1", 1, 60_000, 20).unwrap().len(), 1);
    }
}

both_backends! {
    fn claims_go_round_robin_so_no_chat_starves(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        for chat in 1..=3 {
            store(&mut conn, chat * 100, chat);
        }
        let mut seen = Vec::new();
        for round in 0..3 {
            let c = claim_chats(&mut conn, "w/1", 1, 60_000, 20).unwrap();
            let chat = c[0].chat_id;
            seen.push(chat);
            let id = c[0].updates[0].update_id;
            assert!(write_tx(&mut conn, |c| finish_update(c, "w/1", chat, id, 60_000, true)).unwrap());
            // The chat that was just served writes again at once.
            store(&mut conn, chat * 100 + round + 1, chat);
            // Claims are ordered by their millisecond timestamp: let the clock move on so
            // this round's claim is later than the last (time itself is what is tested).
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let distinct: HashSet<i64> = seen.iter().copied().collect();
        assert_eq!(distinct.len(), 3, "each chat served before any is served twice: {seen:?}");
    }
}

#[test]
fn postgresql_replicas_claim_disjoint_chats_concurrently() {
    let (db, pool_a) = TestDatabase::migrated(Backend::Postgres);
    let pool_b = db.pool();
    {
        let mut conn = checkout(&pool_a).unwrap();
        for chat in 0..200 {
            for k in 0..3 {
                store(&mut conn, chat * 10 + k, chat);
            }
        }
    }
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let claimed: Vec<Vec<(i64, Vec<i64>)>> = std::thread::scope(|s| {
        let handles: Vec<_> =
            [&pool_a, &pool_b, &pool_a, &pool_b]
                .into_iter()
                .enumerate()
                .map(|(i, pool)| {
                    let barrier = barrier.clone();
                    s.spawn(move || {
                        let mut conn = checkout(pool).unwrap();
                        barrier.wait();
                        let mut mine = Vec::new();
                        loop {
                            let batch =
                                claim_chats(&mut conn, &format!("r{i}/x"), 7, 60_000, 20).unwrap();
                            if batch.is_empty() {
                                break;
                            }
                            mine.extend(batch.into_iter().map(|c| {
                                (c.chat_id, c.updates.iter().map(|u| u.update_id).collect())
                            }));
                        }
                        mine
                    })
                })
                .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let all: Vec<&(i64, Vec<i64>)> = claimed.iter().flatten().collect();
    let chats: HashSet<i64> = all.iter().map(|(c, _)| *c).collect();
    assert_eq!(all.len(), 200, "every chat claimed exactly once");
    assert_eq!(chats.len(), 200);
    for (chat, updates) in all {
        assert_eq!(
            updates,
            &vec![chat * 10, chat * 10 + 1, chat * 10 + 2],
            "a chat comes whole and in order"
        );
    }
    assert!(
        claimed.iter().filter(|c| !c.is_empty()).count() >= 2,
        "the work was shared"
    );
}

fn row(chat: i64, lane: OutboxLane, text: &str) -> NewOutbox {
    NewOutbox {
        chat_id: chat,
        lane,
        payload: format!(r#"{{"op":"text","text":"{text}"}}"#),
        update_id: None,
        expires_at: i64::MAX / 4,
    }
}

both_backends! {
    fn outbox_rows_are_leased_in_order_and_finished_by_their_holder(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        write_tx(&mut conn, |c| {
            autoorder_schema::queries::outbox::insert_outbox(c, &[row(1, OutboxLane::Reply, "a"), row(1, OutboxLane::Reply, "b"), row(2, OutboxLane::Answer, "c")], true)
        })
        .unwrap();
        let depth = outbox_depth(&mut conn).unwrap();
        assert!(depth.contains(&(OutboxLane::Reply, 2)) && depth.contains(&(OutboxLane::Answer, 1)), "{depth:?}");
        let claimed = claim_outbox(&mut conn, "lead", 10, 60_000).unwrap();
        assert_eq!(claimed.iter().map(|r| r.chat_id).collect::<Vec<_>>(), vec![1, 1, 2]);
        assert!(claimed[0].id < claimed[1].id, "a chat's rows in id order");
        assert_eq!(claimed[2].lane, OutboxLane::Answer);
        assert!(claim_outbox(&mut conn, "other", 10, 60_000).unwrap().is_empty(), "leased rows stay with their holder");
        assert_eq!(finish_outbox(&mut conn, "other", &[claimed[0].id]).unwrap(), 0, "only the holder finishes");
        assert_eq!(finish_outbox(&mut conn, "lead", &[claimed[0].id]).unwrap(), 1);
        assert_eq!(renew_outbox(&mut conn, "lead", 60_000).unwrap(), 2);
        // Stepping down hands the rest over at once.
        assert_eq!(release_outbox(&mut conn, "lead").unwrap(), 2);
        let taken = claim_outbox(&mut conn, "next", 10, 60_000).unwrap();
        assert_eq!(taken.len(), 2);
        assert_eq!(outbox_of_chat(&mut conn, 1).unwrap().len(), 1);
    }
}

both_backends! {
    fn a_lapsed_outbox_lease_is_taken_over(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        write_tx(&mut conn, |c| autoorder_schema::queries::outbox::insert_outbox(c, &[row(3, OutboxLane::Reply, "x")], true)).unwrap();
        assert_eq!(claim_outbox(&mut conn, "dead", 10, -1).unwrap().len(), 1);
        let taken = claim_outbox(&mut conn, "alive", 10, 60_000).unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!(finish_outbox(&mut conn, "dead", &[taken[0].id]).unwrap(), 0, "the dead leader's late delete changes nothing");
        assert_eq!(finish_outbox(&mut conn, "alive", &[taken[0].id]).unwrap(), 1);
    }
}
