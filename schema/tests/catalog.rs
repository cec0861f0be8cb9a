//! The catalog as storage, with catalogs built in code (reading files is the CLI's, tested in
//! `tests/catalog_cli.rs`): the rules hold for any caller, the import is all or nothing and
//! stores stock encrypted and bound to its row, a dry run writes nothing, each on SQLite and on
//! PostgreSQL.

use autoorder_schema::both_backends;
use autoorder_schema::crypto::DataKeys;
use autoorder_schema::db::{DbConnection, checkout};
use autoorder_schema::migrations::row_counts;
use autoorder_schema::queries::catalog::{
    CatalogFile, CategoryEntry, ImportSummary, ProductEntry, StockEntry, check_catalog,
    export_catalog, import_catalog, stock_aad, store_problems, validate,
};
use autoorder_schema::secret::Secret;
use autoorder_schema::tables::{products as p, stock_items as s};
use autoorder_schema::testing::TestDatabase;
use diesel::prelude::*;

fn keys() -> DataKeys {
    DataKeys::new(vec![("t1".to_string(), Secret::new([7u8; 32]))]).unwrap()
}

fn product(code: &str, price: i64, stock: &[&str]) -> ProductEntry {
    ProductEntry {
        code: code.to_string(),
        name: format!("Produk {code}"),
        price,
        category: Some("Streaming".to_string()),
        description: String::new(),
        snk: None,
        archived: false,
        stock: stock
            .iter()
            .enumerate()
            .map(|(i, content)| StockEntry {
                content: content.to_string(),
                line: 100 + i,
            })
            .collect(),
        line: 10,
    }
}

fn catalog(products: Vec<ProductEntry>) -> CatalogFile {
    CatalogFile {
        source: "built".to_string(),
        categories: vec![CategoryEntry {
            name: "Streaming".to_string(),
            line: 1,
        }],
        products,
    }
}

fn counts(conn: &mut DbConnection) -> Vec<(String, i64)> {
    row_counts(conn).unwrap()
}

#[test]
fn a_catalog_built_in_code_meets_the_same_rules_as_a_file() {
    let mut bad = catalog(vec![
        product("x", 0, &["a", "   ", "a"]),
        product("OK1", 2_000_000_000, &[]),
        product("OK1", 1000, &[]),
    ]);
    bad.products[1].name = "n".repeat(200);
    let report: Vec<String> = validate(&bad).iter().map(ToString::to_string).collect();
    let joined = report.join("\n");
    for expected in [
        "built:10: product X: product code \"x\" is invalid",
        "built:10: product X: price must be more than 0 Rupiah",
        "built:101: product x: stock entry is blank",
        "built:102: duplicate stock item for x: the same as on line 100",
        "built:10: product OK1: product name is 200 characters long",
        "built:10: product OK1: price 2000000000 is above the limit",
        "built:10: product code OK1 is used twice",
    ] {
        let expected = expected.replace("product X:", "product x:");
        assert!(
            joined.contains(&expected),
            "missing {expected:?} in:\n{joined}"
        );
    }
    assert!(validate(&catalog(vec![product("OK1", 1000, &["a"])])).is_empty());
}

both_backends! {
    fn an_import_of_a_built_catalog_is_all_or_nothing_and_encrypts_stock(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let keys = keys();

        // A rule broken anywhere: nothing is written, the store is untouched.
        let before = counts(&mut conn);
        let problems = import_catalog(&mut conn, &keys, &catalog(vec![
            product("GOOD", 1000, &["g-1"]),
            product("BAD", 0, &[]),
        ]))
        .unwrap()
        .unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(counts(&mut conn), before, "nothing was written");

        // A dry run checks against the store and writes nothing either.
        let good = catalog(vec![product("NF1M", 30_000, &["nf-1", "nf-2"])]);
        let summary = check_catalog(&mut conn, &keys, &good).unwrap().unwrap();
        assert_eq!((summary.products_created, summary.stock_added), (1, 2));
        assert_eq!(counts(&mut conn), before, "a dry run writes nothing");

        let summary = import_catalog(&mut conn, &keys, &good).unwrap().unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                categories_created: 1,
                products_created: 1,
                products_updated: 0,
                products_unchanged: 0,
                stock_added: 2,
            }
        );
        let rows: Vec<(i64, Vec<u8>, String)> = s::table
            .order(s::id.asc())
            .select((s::product_id, s::content_enc, s::content_hash))
            .load(&mut conn)
            .unwrap();
        let mut contents = Vec::new();
        for (product_id, sealed, hash) in &rows {
            assert!(!sealed.windows(4).any(|w| w == b"nf-1" || w == b"nf-2"), "plaintext stock");
            // Bound to its row: another product's or another item's identity does not decrypt.
            assert!(keys.decrypt(sealed, &stock_aad(product_id + 1, hash)).is_err());
            assert!(keys.decrypt(sealed, &stock_aad(*product_id, &"0".repeat(64))).is_err());
            contents.push(keys.decrypt_str(sealed, &stock_aad(*product_id, hash)).unwrap());
        }
        assert_eq!(contents, ["nf-1", "nf-2"]);
        assert_eq!(stock_aad(42, "ab"), b"stock_items:42:ab".to_vec());

        // The same stock again is a problem only the store reveals, named by its line.
        let again = catalog(vec![product("NF1M", 30_000, &["nf-3", "nf-2"])]);
        let problems = store_problems(&mut conn, &keys, &again).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, 101);
        assert!(!problems[0].to_string().contains("nf-2"), "stock content quoted");
        let count: i64 = p::table.count().get_result(&mut conn).unwrap();
        assert_eq!(count, 1);

        // Export reads it back without stock unless asked.
        assert_eq!(export_catalog(&mut conn, &keys, false).unwrap().stock_count(), 0);
        assert_eq!(export_catalog(&mut conn, &keys, true).unwrap().stock_count(), 2);
    }
}
