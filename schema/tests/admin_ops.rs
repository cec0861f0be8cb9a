//! Admin part 2 storage on SQLite and PostgreSQL: the order list and detail, the customer
//! list, search, card and block / unblock (audited, sellers protected), and the broadcast
//! engine's audiences, content kinds and progress figures.

mod support;

use autoorder_schema::both_backends;
use autoorder_schema::db::checkout;
use autoorder_schema::queries::admin::listing::PageRequest;
use autoorder_schema::queries::admin::orders::{
    OrderFilter, OrderStatus, list_orders, order_detail,
};
use autoorder_schema::queries::admin::users::{
    BlockRefused, SearchProblem, UserFilter, UserQuery, block_user, list_users, search_users,
    unblock_user, user_card,
};
use autoorder_schema::queries::audit::recent_audit;
use autoorder_schema::queries::broadcasts::{
    Audience, AudienceProblem, BodyKind, BroadcastBody, NewBroadcast, PhotoSource, RATE_WINDOW_MS,
    RecipientStatus, broadcast_progress_at, claim_progress_edit, count_audience, load_broadcast,
    progress_message, recent_broadcasts, record_recipient, set_progress_message, start_broadcast,
};
use autoorder_schema::queries::jobs::jobs_of_kind;
use autoorder_schema::queries::snk::save_snk_answer;
use autoorder_schema::queries::users::{is_blocked, mark_unreachable};
use autoorder_schema::testing::TestDatabase;
use autoorder_schema::{DbConnection, now_ms};
use support::{DAY, buy_with_balance, expire_qris, order_qris, pay_qris, product, sql, user};

fn ids<T>(items: &[T], id: impl Fn(&T) -> i64) -> Vec<i64> {
    items.iter().map(id).collect()
}

both_backends! {
    fn the_order_list_filters_by_status_time_and_customer_and_pages(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1, "Ani", Some("ani_shop"));
        user(&mut conn, 2, "Budi", None);
        let a = product(&mut conn, "NF", 10_000, 20);
        let paid = buy_with_balance(&mut conn, 1, &[(a, 1)]).order_id;
        let pending = order_qris(&mut conn, 2, &[(a, 2)]);
        let expired = order_qris(&mut conn, 1, &[(a, 1)]);
        expire_qris(&mut conn, &expired);
        let old = buy_with_balance(&mut conn, 2, &[(a, 3)]).order_id;
        sql(&mut conn, &format!("UPDATE orders SET created_at = created_at - 10 * 86400000 WHERE id = {old}"));

        let all = list_orders(&mut conn, OrderFilter::default(), PageRequest::new(0, 10)).unwrap();
        assert_eq!(all.total, 4);
        assert_eq!(ids(&all.items, |o| o.id), vec![old, expired.order_id, pending.order_id, paid], "newest first");
        let row = all.items.iter().find(|o| o.id == paid).unwrap();
        assert_eq!((row.customer.as_str(), row.status, row.total, row.payment_method.as_str()), ("Ani (@ani_shop)", OrderStatus::Paid, 10_000, "balance"));

        let page = list_orders(&mut conn, OrderFilter::default(), PageRequest::new(1, 3)).unwrap();
        assert_eq!((page.total, ids(&page.items, |o| o.id)), (4, vec![paid]));

        let only = |conn: &mut DbConnection, f: OrderFilter| ids(&list_orders(conn, f, PageRequest::new(0, 10)).unwrap().items, |o| o.id);
        assert_eq!(only(&mut conn, OrderFilter { status: Some(OrderStatus::Pending), ..Default::default() }), vec![pending.order_id]);
        assert_eq!(only(&mut conn, OrderFilter { status: Some(OrderStatus::Expired), ..Default::default() }), vec![expired.order_id]);
        assert_eq!(only(&mut conn, OrderFilter { status: Some(OrderStatus::Cancelled), ..Default::default() }), Vec::<i64>::new());
        let week = Some(now_ms() - 7 * DAY);
        assert_eq!(only(&mut conn, OrderFilter { created_since: week, ..Default::default() }).len(), 3, "the 10-day-old order is outside 7 days");
        assert_eq!(only(&mut conn, OrderFilter { user_id: Some(2), ..Default::default() }), vec![old, pending.order_id]);
        assert_eq!(only(&mut conn, OrderFilter { user_id: Some(2), status: Some(OrderStatus::Paid), created_since: week }), Vec::<i64>::new());
    }
}

both_backends! {
    fn order_detail_has_lines_payments_delivery_and_snk_answers(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1, "Ani", None);
        let a = product(&mut conn, "NF", 10_000, 5);
        let b = product(&mut conn, "SP", 25_000, 5);
        let placed = order_qris(&mut conn, 1, &[(a, 2), (b, 1)]);
        let before = order_detail(&mut conn, placed.order_id).unwrap().unwrap();
        assert_eq!(before.row.status, OrderStatus::Pending);
        assert_eq!(before.lines.iter().map(|l| l.assigned).sum::<i64>(), 0, "reserved items are not assigned yet");
        assert_eq!(before.payments.len(), 1);
        assert_eq!(before.payments[0].status, "creating");

        pay_qris(&mut conn, &placed);
        save_snk_answer(&mut conn, &placed.invoice_no, b, 1, b"sealed").unwrap();
        let detail = order_detail(&mut conn, placed.order_id).unwrap().unwrap();
        assert_eq!(detail.row.status, OrderStatus::Paid);
        assert_eq!((detail.subtotal, detail.discount, detail.row.total), (45_000, 0, 45_000));
        let lines: Vec<(i64, i32, i64, i64)> = detail.lines.iter().map(|l| (l.product_id, l.quantity, l.unit_price, l.assigned)).collect();
        assert_eq!(lines, vec![(a, 2, 10_000, 2), (b, 1, 25_000, 1)]);
        let payment = &detail.payments[0];
        assert_eq!((payment.status.as_str(), payment.amount, payment.attempt), ("completed", 45_000, 1));
        assert!(payment.completed_at.is_some());
        assert!(detail.delivered_at.is_none());
        assert_eq!(detail.snk_answers.len(), 1);
        assert_eq!((detail.snk_answers[0].product_id, detail.snk_answers[0].product_name.as_str()), (b, "Produk SP"));
        assert_eq!(detail.snk_answers[0].answer_enc, b"sealed");
        assert!(order_detail(&mut conn, 999_999).unwrap().is_none());
    }
}

both_backends! {
    fn customers_are_found_by_id_username_and_name(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 111, "Siti Rahma", Some("SitiR"));
        user(&mut conn, 222, "Rahmat", Some("rahmat_99"));
        user(&mut conn, 333, "Budi", None);
        user(&mut conn, 444, "50% Diskon", None);
        let find = |conn: &mut DbConnection, text: &str| {
            let q = UserQuery::parse(text).unwrap();
            let mut found = ids(&search_users(conn, &q, PageRequest::new(0, 10)).unwrap().items, |u| u.id);
            found.sort();
            found
        };
        assert_eq!(find(&mut conn, "222"), vec![222]);
        assert_eq!(find(&mut conn, "@sitir"), vec![111], "usernames are case-insensitive");
        assert_eq!(find(&mut conn, "@rah"), vec![222], "username prefix");
        assert_eq!(find(&mut conn, "rahm"), vec![111, 222], "first name or username containing it");
        assert_eq!(find(&mut conn, "RAHMA"), vec![111, 222]);
        assert_eq!(find(&mut conn, "50%"), vec![444]);
        assert_eq!(find(&mut conn, "%"), vec![444], "LIKE wildcards are matched literally");
        assert_eq!(find(&mut conn, "_"), vec![222]);
        assert_eq!(find(&mut conn, "zzz"), Vec::<i64>::new());
        assert_eq!(UserQuery::parse("  "), Err(SearchProblem::Empty));
        assert_eq!(UserQuery::parse("@"), Err(SearchProblem::Empty));
        assert_eq!(UserQuery::parse(&"x".repeat(65)), Err(SearchProblem::TooLong));

        let all = list_users(&mut conn, UserFilter::All, PageRequest::new(0, 2)).unwrap();
        assert_eq!(all.total, 4);
        assert_eq!(all.items.len(), 2);
    }
}

both_backends! {
    fn the_profile_card_counts_orders_and_spending(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1, "Ani", Some("ani"));
        let a = product(&mut conn, "NF", 10_000, 10);
        let first = order_qris(&mut conn, 1, &[(a, 2)]);
        pay_qris(&mut conn, &first);
        buy_with_balance(&mut conn, 1, &[(a, 1)]);
        order_qris(&mut conn, 1, &[(a, 1)]);
        mark_unreachable(&mut conn, 1).unwrap();
        let card = user_card(&mut conn, 1).unwrap().unwrap();
        assert_eq!((card.orders, card.paid_orders, card.total_spent), (3, 2, 30_000));
        assert_eq!(card.row.name, "Ani (@ani)");
        assert!(card.row.unreachable);
        assert!(card.unreachable_at.is_some());
        assert!(!card.row.is_blocked);
        assert!(user_card(&mut conn, 2).unwrap().is_none());
    }
}

both_backends! {
    fn block_and_unblock_need_a_reason_protect_sellers_and_are_audited(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 10, "Spammer", None);
        user(&mut conn, 99, "Seller", None);
        let seller = 99;
        let protected = [seller, 98];

        assert_eq!(block_user(&mut conn, 10, "  ", seller, &protected).unwrap(), Err(BlockRefused::BadReason));
        assert_eq!(block_user(&mut conn, 10, &"x".repeat(201), seller, &protected).unwrap(), Err(BlockRefused::BadReason));
        assert_eq!(block_user(&mut conn, 99, "iseng", seller, &protected).unwrap(), Err(BlockRefused::Protected));
        assert_eq!(block_user(&mut conn, 77, "siapa", seller, &protected).unwrap(), Err(BlockRefused::NotFound(77)));
        assert!(!is_blocked(&mut conn, 10).unwrap());
        assert!(recent_audit(&mut conn, 10).unwrap().is_empty(), "refusals change nothing");

        assert_eq!(block_user(&mut conn, 10, " spam promo ", seller, &protected).unwrap(), Ok(()));
        assert!(is_blocked(&mut conn, 10).unwrap());
        let card = user_card(&mut conn, 10).unwrap().unwrap();
        assert_eq!((card.blocked_reason.as_deref(), card.blocked_by), (Some("spam promo"), Some(seller)));
        assert!(card.blocked_at.is_some());
        assert_eq!(block_user(&mut conn, 10, "lagi", seller, &protected).unwrap(), Err(BlockRefused::AlreadyBlocked));
        let blocked = list_users(&mut conn, UserFilter::Blocked, PageRequest::new(0, 10)).unwrap();
        assert_eq!(ids(&blocked.items, |u| u.id), vec![10]);

        assert_eq!(unblock_user(&mut conn, 10, "", seller).unwrap(), Err(BlockRefused::BadReason));
        assert_eq!(unblock_user(&mut conn, 10, "sudah minta maaf", seller).unwrap(), Ok(()));
        assert!(!is_blocked(&mut conn, 10).unwrap());
        assert_eq!(unblock_user(&mut conn, 10, "lagi", seller).unwrap(), Err(BlockRefused::NotBlocked));
        assert!(user_card(&mut conn, 10).unwrap().unwrap().blocked_reason.is_none());

        let audit = recent_audit(&mut conn, 10).unwrap();
        let actions: Vec<&str> = audit.iter().map(|(_, a, _)| a.as_str()).collect();
        assert_eq!(actions, vec!["user.unblock", "user.block"]);
        let block: serde_json::Value = serde_json::from_str(&audit[1].2).unwrap();
        assert_eq!(block["before"]["blocked"], false);
        assert_eq!(block["after"]["reason"], "spam promo");
        let unblock: serde_json::Value = serde_json::from_str(&audit[0].2).unwrap();
        assert_eq!(unblock["before"]["reason"], "spam promo");
        assert_eq!(unblock["after"]["blocked"], false);
    }
}

both_backends! {
    fn broadcast_audiences_pick_reachable_members_and_match_their_count(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        for id in 1..=6 {
            user(&mut conn, id, "U", None);
        }
        let a = product(&mut conn, "NF", 10_000, 10);
        let b = product(&mut conn, "SP", 10_000, 10);
        buy_with_balance(&mut conn, 1, &[(a, 1)]);
        let paid = order_qris(&mut conn, 2, &[(a, 1)]);
        pay_qris(&mut conn, &paid);
        order_qris(&mut conn, 3, &[(a, 1)]); // pending: not a buyer
        buy_with_balance(&mut conn, 4, &[(b, 1)]);
        buy_with_balance(&mut conn, 5, &[(a, 1)]);
        mark_unreachable(&mut conn, 5).unwrap(); // bought, but unreachable
        sql(&mut conn, "UPDATE users SET is_blocked = TRUE WHERE id = 6");
        sql(&mut conn, "UPDATE users SET last_seen_at = last_seen_at - 10 * 86400000 WHERE id IN (1, 4)");

        let now = now_ms();
        let create = |conn: &mut DbConnection, audience: Audience| {
            let body = BroadcastBody::Text { text: "Promo".into() };
            start_broadcast(conn, &NewBroadcast { body: &body, audience, created_by: "admin:99" }).unwrap()
        };
        for (audience, expected) in [
            (Audience::All, 4),
            (Audience::BuyersOf { product_id: a }, 2),
            (Audience::BuyersOf { product_id: b }, 1),
            (Audience::ActiveWithin { days: 7 }, 2),
            (Audience::ActiveWithin { days: 30 }, 4),
        ] {
            let counted = count_audience(&mut conn, audience, now).unwrap();
            assert_eq!(counted, expected, "{audience:?}");
            let (_, recipients) = create(&mut conn, audience).unwrap();
            assert_eq!(recipients, counted, "the confirmed count is who gets it: {audience:?}");
        }
        let jobs_before = jobs_of_kind(&mut conn, "broadcast_send").unwrap().len();
        assert_eq!(jobs_before, 4 + 2 + 1 + 2 + 4);
        assert_eq!(create(&mut conn, Audience::BuyersOf { product_id: 999 }), Err(AudienceProblem::UnknownProduct(999)));
        assert_eq!(create(&mut conn, Audience::ActiveWithin { days: 0 }), Err(AudienceProblem::BadDays(0)));
        assert_eq!(create(&mut conn, Audience::ActiveWithin { days: 366 }), Err(AudienceProblem::BadDays(366)));
        assert_eq!(jobs_of_kind(&mut conn, "broadcast_send").unwrap().len(), jobs_before, "refused audiences create nothing");
        assert_eq!(recent_broadcasts(&mut conn, 100, 0).unwrap().len(), 5);
        let json = Audience::BuyersOf { product_id: 3 }.to_json();
        assert_eq!(json, r#"{"kind":"buyers_of","product_id":3}"#);
        assert_eq!(Audience::from_json(&json).unwrap(), Audience::BuyersOf { product_id: 3 });
    }
}

both_backends! {
    fn broadcast_content_kinds_are_stored_for_the_send_job(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        user(&mut conn, 1, "U", None);
        let bodies = [
            BroadcastBody::Copy { from_chat_id: 99, message_id: 1234 },
            BroadcastBody::Photo { caption: "Diskon!".into(), photo: PhotoSource::FileId("AgAC-file".into()) },
            BroadcastBody::Text { text: "Halo".into() },
        ];
        let mut created = Vec::new();
        for body in &bodies {
            let (id, n) = start_broadcast(&mut conn, &NewBroadcast { body, audience: Audience::All, created_by: "admin:99" }).unwrap().unwrap();
            assert_eq!(n, 1);
            created.push(id);
        }
        let copy = load_broadcast(&mut conn, created[0]).unwrap().unwrap();
        assert_eq!(copy.copy_of(), Some((99, 1234)));
        let photo = load_broadcast(&mut conn, created[1]).unwrap().unwrap();
        assert_eq!((photo.text.as_str(), photo.photo_file_id.as_deref(), photo.photo.is_none(), photo.copy_of()), ("Diskon!", Some("AgAC-file"), true, None));
        let kinds: Vec<BodyKind> = recent_broadcasts(&mut conn, 10, 0).unwrap().iter().map(|b| b.kind).collect();
        assert_eq!(kinds, vec![BodyKind::Text, BodyKind::Photo, BodyKind::Copy], "newest first");
    }
}

both_backends! {
    fn progress_counts_the_recent_rate_and_throttles_message_edits(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        for id in 1..=5 {
            user(&mut conn, id, "U", None);
        }
        let body = BroadcastBody::Text { text: "Promo".into() };
        let (id, _) = start_broadcast(&mut conn, &NewBroadcast { body: &body, audience: Audience::All, created_by: "cli" }).unwrap().unwrap();
        record_recipient(&mut conn, id, 1, RecipientStatus::Sent).unwrap();
        record_recipient(&mut conn, id, 2, RecipientStatus::Sent).unwrap();
        record_recipient(&mut conn, id, 3, RecipientStatus::Blocked).unwrap();
        // One finished long ago: it counts, but not towards the current rate.
        record_recipient(&mut conn, id, 4, RecipientStatus::Failed).unwrap();
        sql(&mut conn, &format!("UPDATE broadcast_recipients SET updated_at = updated_at - {} WHERE user_id = 4", RATE_WINDOW_MS * 2));
        let now = now_ms();
        let p = broadcast_progress_at(&mut conn, id, now).unwrap().unwrap();
        assert_eq!((p.total, p.sent, p.blocked, p.failed, p.pending), (5, 2, 1, 1, 1));
        assert_eq!(p.recent_finished, 3);
        assert_eq!(p.state, "running");

        assert!(!claim_progress_edit(&mut conn, id, now, 3_000).unwrap(), "no progress message yet");
        assert!(set_progress_message(&mut conn, id, 99, 555).unwrap());
        assert_eq!(progress_message(&mut conn, id).unwrap(), Some((99, 555)));
        assert!(claim_progress_edit(&mut conn, id, now, 3_000).unwrap());
        assert!(!claim_progress_edit(&mut conn, id, now + 2_999, 3_000).unwrap(), "at most one edit per interval");
        assert!(claim_progress_edit(&mut conn, id, now + 3_000, 3_000).unwrap());

        record_recipient(&mut conn, id, 5, RecipientStatus::Sent).unwrap();
        let p = broadcast_progress_at(&mut conn, id, now_ms()).unwrap().unwrap();
        assert_eq!((p.pending, p.state.as_str()), (0, "done"));
    }
}
