//! Key rotation on both backends: duplicate-stock detection across a key change (issue 10,
//! finding 10), `keys status` counts, resumable and idempotent re-encryption of every
//! encrypted column, and a ring without the old key that still opens everything.

use autoorder_schema::both_backends;
use autoorder_schema::crypto::DataKeys;
use autoorder_schema::db::{DbConnection, checkout};
use autoorder_schema::queries::catalog::{
    CatalogFile, ProductEntry, StockEntry, export_catalog, import_catalog,
};
use autoorder_schema::queries::keys::{Column, check_ring, rotate_batch, status};
use autoorder_schema::queries::snk::{load_snk_answer, save_snk_answer, snk_aad};
use autoorder_schema::queries::users::{TelegramProfile, set_whatsapp, touch_user, whatsapp_aad};
use autoorder_schema::secret::Secret;
use autoorder_schema::testing::TestDatabase;

fn key(id: &str, byte: u8) -> (String, Secret<[u8; 32]>) {
    (id.to_string(), Secret::new([byte; 32]))
}

fn old_ring() -> DataKeys {
    DataKeys::new(vec![key("k1", 1)]).unwrap()
}

/// After putting a new key first: k2 encrypts, k1 still decrypts.
fn rotated_ring() -> DataKeys {
    DataKeys::new(vec![key("k2", 2), key("k1", 1)]).unwrap()
}

/// The old key removed from the configuration.
fn new_ring() -> DataKeys {
    DataKeys::new(vec![key("k2", 2)]).unwrap()
}

/// One product with `stock` (the file reader lives beside the CLI; storage tests build the
/// typed catalog directly).
fn catalog(stock: &[&str]) -> CatalogFile {
    CatalogFile {
        source: "stock.toml".to_string(),
        categories: Vec::new(),
        products: vec![ProductEntry {
            code: "NETFLIX".to_string(),
            name: "Netflix 1 bulan".to_string(),
            price: 30_000,
            category: None,
            description: String::new(),
            snk: None,
            archived: false,
            stock: stock
                .iter()
                .enumerate()
                .map(|(i, content)| StockEntry {
                    content: content.to_string(),
                    line: 6 + i,
                })
                .collect(),
            line: 1,
        }],
    }
}

fn import(conn: &mut DbConnection, keys: &DataKeys, stock: &[&str]) -> Result<usize, String> {
    let file = catalog(stock);
    match import_catalog(conn, keys, &file).expect("database") {
        Ok(summary) => Ok(summary.stock_added),
        Err(problems) => Err(problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

/// Runs `rotate_batch` over every column until done; returns (rotated, problems).
fn rotate_all(conn: &mut DbConnection, keys: &DataKeys, batch: i64) -> (u64, usize) {
    let (mut rotated, mut problems) = (0, 0);
    for column in Column::ALL {
        let mut after = i64::MIN;
        loop {
            let step = rotate_batch(conn, keys, column, after, batch).unwrap();
            rotated += step.rotated;
            problems += step.problems.len();
            match step.next_after {
                Some(next) => after = next,
                None => break,
            }
        }
    }
    (rotated, problems)
}

both_backends! {
    fn a_duplicate_of_stock_stored_under_the_old_key_is_refused_after_a_key_change(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        assert_eq!(import(&mut conn, &old_ring(), &["USER-1:PASS-1"]), Ok(1));
        // A new key put first, nothing rotated yet: the same item is still a duplicate.
        let e = import(&mut conn, &rotated_ring(), &["USER-1:PASS-1", "USER-2:PASS-2"]).unwrap_err();
        assert!(e.contains("duplicate stock item for NETFLIX"), "{e}");
        // A new item is fine, and hashed under the new key it is found again too.
        assert_eq!(import(&mut conn, &rotated_ring(), &["USER-2:PASS-2"]), Ok(1));
        let e = import(&mut conn, &rotated_ring(), &["USER-2:PASS-2"]).unwrap_err();
        assert!(e.contains("duplicate stock item"), "{e}");
    }
}

both_backends! {
    fn rotation_moves_every_value_to_the_first_key_resumably_and_the_old_key_can_go(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let old = old_ring();
        let items: Vec<String> = (0..9).map(|i| format!("CODE-{i}")).collect();
        let items: Vec<&str> = items.iter().map(String::as_str).collect();
        assert_eq!(import(&mut conn, &old, &items), Ok(9));
        for id in [501, 502] {
            touch_user(&mut conn, &TelegramProfile { id, username: None, first_name: "A", language: None }).unwrap();
        }
        let phone = old.encrypt_str("6281234567890", &whatsapp_aad(501));
        set_whatsapp(&mut conn, 501, Some(&phone)).unwrap();
        let answer = old.encrypt_str("setuju", &snk_aad("INV-1", 1));
        save_snk_answer(&mut conn, "INV-1", 1, 501, &answer).unwrap();

        let before = status(&mut conn, 4).unwrap();
        assert_eq!(before.by_key().get(&Some("k1".to_string())), Some(&11), "{before:?}");
        assert_eq!(before.counts.get(&(Column::Whatsapp, Some("k1".into()))), Some(&1));

        let ring = rotated_ring();
        // Stop after one batch of stock: a mix, and the count of what is left.
        let step = rotate_batch(&mut conn, &ring, Column::StockContent, i64::MIN, 4).unwrap();
        assert_eq!((step.scanned, step.rotated), (4, 4));
        let mid = status(&mut conn, 4).unwrap();
        assert_eq!(mid.not_under("k2"), 7, "{mid:?}");
        // The rest, in small batches; then once more: nothing left to do.
        assert_eq!(rotate_all(&mut conn, &ring, 3), (7, 0));
        assert_eq!(rotate_all(&mut conn, &ring, 3), (0, 0), "idempotent");
        let after = status(&mut conn, 100).unwrap();
        assert_eq!(after.not_under("k2"), 0, "{after:?}");
        assert_eq!(after.by_key().get(&Some("k2".to_string())), Some(&11));

        // The old key removed: everything still opens, the stock exports, duplicates are found.
        let new = new_ring();
        let (checked, bad) = check_ring(&mut conn, &new, 5).unwrap();
        assert_eq!((checked, bad.len()), (11, 0), "{bad:?}");
        let exported = export_catalog(&mut conn, &new, true).unwrap();
        let mut contents: Vec<String> = exported.products[0].stock.iter().map(|s| s.content.clone()).collect();
        contents.sort();
        assert_eq!(contents, items);
        let e = import(&mut conn, &new, &["CODE-3"]).unwrap_err();
        assert!(e.contains("duplicate stock item"), "{e}");
        let sealed = load_snk_answer(&mut conn, "INV-1", 1).unwrap().unwrap();
        assert_eq!(new.decrypt_str(&sealed, &snk_aad("INV-1", 1)).unwrap(), "setuju");
        // With only the old key, nothing opens any more: the check names every value.
        let (_, bad) = check_ring(&mut conn, &old, 5).unwrap();
        assert_eq!(bad.len(), 11);
        assert!(bad.iter().all(|u| u.reason.contains("\"k2\"")), "{bad:?}");
    }
}

both_backends! {
    fn a_value_the_ring_cannot_open_is_reported_and_the_rest_still_rotate(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        assert_eq!(import(&mut conn, &old_ring(), &["A-1", "A-2"]), Ok(2));
        touch_user(&mut conn, &TelegramProfile { id: 7, username: None, first_name: "B", language: None }).unwrap();
        // Written under a key the ring does not hold.
        let stranger = DataKeys::new(vec![key("zz", 9)]).unwrap();
        set_whatsapp(&mut conn, 7, Some(&stranger.encrypt_str("62811", &whatsapp_aad(7)))).unwrap();
        let (rotated, problems) = rotate_all(&mut conn, &rotated_ring(), 10);
        assert_eq!((rotated, problems), (2, 1));
        let s = status(&mut conn, 10).unwrap();
        assert_eq!(s.counts.get(&(Column::Whatsapp, Some("zz".into()))), Some(&1));
        assert_eq!(s.not_under("k2"), 1);
    }
}
