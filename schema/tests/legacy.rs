//! The legacy import as storage, with stores built in code (reading the old database is the
//! CLI's, tested end to end in `tests/import_legacy.rs`): checks refuse a store that cannot
//! come across and change nothing; two imports racing on PostgreSQL credit every balance once.

use std::sync::{Arc, Barrier};

use autoorder_schema::both_backends;
use autoorder_schema::crypto::DataKeys;
use autoorder_schema::db::{Backend, checkout};
use autoorder_schema::migrations::row_counts;
use autoorder_schema::queries::legacy::{
    ImportMode, LegacyCategory, LegacyId, LegacyKind, LegacyProduct, LegacyStock, LegacyStore,
    LegacyUser, import_quietly,
};
use autoorder_schema::queries::shop::balance::{balance_of, ledger_sum};
use autoorder_schema::queries::users::{TelegramProfile, touch_user};
use autoorder_schema::secret::Secret;
use autoorder_schema::tables::balance_ledger as l;
use autoorder_schema::testing::TestDatabase;
use diesel::prelude::*;

fn keys() -> DataKeys {
    DataKeys::new(vec![("t1".to_string(), Secret::new([9u8; 32]))]).unwrap()
}

fn user(id: i64, balance: i64) -> LegacyUser {
    LegacyUser {
        legacy_id: id.into(),
        telegram_id: 90_000 + id,
        username: None,
        first_name: format!("Pelanggan {id}"),
        display_name: None,
        whatsapp: None,
        balance,
        is_blocked: false,
        unreachable: false,
        is_verified: false,
        created_at: 1,
    }
}

fn store(users: usize) -> LegacyStore {
    LegacyStore {
        users: (1..=users as i64).map(|i| user(i, 1_000 * i)).collect(),
        categories: vec![LegacyCategory {
            legacy_id: 1.into(),
            name: "Streaming".into(),
            created_at: 1,
        }],
        products: vec![LegacyProduct {
            legacy_id: 1.into(),
            code: "NF1M".into(),
            name: "Netflix".into(),
            description: String::new(),
            price: 30_000,
            category: Some(1.into()),
            snk: None,
            archived: false,
            sold_count: 0,
            created_at: 1,
            updated_at: 1,
        }],
        stock: (1..=3)
            .map(|i| LegacyStock {
                legacy_id: i.into(),
                product: 1.into(),
                content: Secret::new(format!("akun-{i}")),
                created_at: 1,
                sold_at: None,
            })
            .collect(),
        ..LegacyStore::default()
    }
}

both_backends! {
    fn a_store_that_cannot_come_across_changes_nothing(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let before = row_counts(&mut conn).unwrap();
        let mut bad = store(2);
        bad.products[0].price = 0;
        bad.products[0].category = Some(LegacyId::from(7));
        bad.stock[1].content = Secret::new("   ".into());
        bad.users[1].balance = -5;
        let issues = import_quietly(&mut conn, &keys(), &bad, ImportMode::Write)
            .unwrap()
            .unwrap_err();
        let shown: Vec<String> = issues.iter().map(ToString::to_string).collect();
        for expected in [
            "products #1 category_id: refers to categories #7, which is neither in the old database nor imported before",
            "products #1 price_cents: price must be more than 0 Rupiah",
            "product_contents #2 content: stock entry is blank",
            "users #2 balance: a balance cannot be negative",
        ] {
            assert!(shown.iter().any(|s| s.starts_with(expected)), "missing {expected:?} in {shown:#?}");
        }
        assert_eq!(row_counts(&mut conn).unwrap(), before, "nothing written");

        // The same store made good imports, and a dry run of it first writes nothing.
        let good = store(2);
        let dry = import_quietly(&mut conn, &keys(), &good, ImportMode::DryRun).unwrap().unwrap();
        assert_eq!(dry.counts[&LegacyKind::Stock].imported, 3);
        assert_eq!(row_counts(&mut conn).unwrap(), before, "a dry run writes nothing");
        let done = import_quietly(&mut conn, &keys(), &good, ImportMode::Write).unwrap().unwrap();
        assert_eq!(done.balance_imported, 3_000);
        let again = import_quietly(&mut conn, &keys(), &good, ImportMode::Write).unwrap().unwrap();
        assert_eq!(again.imported(), 0);
        assert_eq!(again.counts[&LegacyKind::User].already, 2);
    }
}

/// Two imports of the same store at once, each on its own pool, for customers who already
/// wrote to the new bot (so no user insert collides): the mapping's primary key makes the
/// second wait for the first and then fail (or, started later, skip everything), so every
/// opening balance is credited exactly once. Without the `legacy_ids` key both would credit.
#[test]
fn two_imports_racing_on_postgres_credit_each_balance_once() {
    let (db, pool) = TestDatabase::migrated(Backend::Postgres);
    {
        let mut conn = checkout(&pool).unwrap();
        for i in 1..=40_i64 {
            let profile = TelegramProfile {
                id: 90_000 + i,
                username: None,
                first_name: "Sudah mampir",
                language: None,
            };
            touch_user(&mut conn, &profile).unwrap();
        }
    }
    // Customers only: no category, product or stock whose own unique keys would stop the
    // second import anyway.
    let legacy = Arc::new(LegacyStore {
        users: store(40).users,
        ..LegacyStore::default()
    });
    for round in 0..3 {
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let pool = db.pool();
                let barrier = Arc::clone(&barrier);
                let legacy = Arc::clone(&legacy);
                std::thread::spawn(move || {
                    let mut conn = checkout(&pool).unwrap();
                    barrier.wait();
                    import_quietly(&mut conn, &keys(), &legacy, ImportMode::Write)
                })
            })
            .collect();
        let outcomes: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let imported: usize = outcomes
            .iter()
            .filter_map(|o| o.as_ref().ok())
            .map(|r| r.as_ref().unwrap().imported())
            .sum();
        if round == 0 {
            assert_eq!(
                imported, 40,
                "one of the two imported everything: {outcomes:?}"
            );
        } else {
            assert_eq!(imported, 0, "later rounds add nothing");
        }
        let mut conn = checkout(&db.pool()).unwrap();
        let rows: i64 = l::table.count().get_result(&mut conn).unwrap();
        assert_eq!(
            rows, 40,
            "one opening ledger row per customer (round {round})"
        );
        for i in 1..=40_i64 {
            let id = 90_000 + i;
            assert_eq!(balance_of(&mut conn, id).unwrap(), 1_000 * i);
            assert_eq!(ledger_sum(&mut conn, id).unwrap(), 1_000 * i);
        }
    }
}
