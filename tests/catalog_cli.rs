//! `autoorder catalog import|export`: as a seller runs it (the example catalog goes in, a bad
//! file is refused with FILE:LINE and changes nothing, an export moves the catalog to another
//! store), and the file reader and writers with the store's import and export underneath, each
//! storage test on SQLite and on PostgreSQL (upserts, all-or-nothing refusal with FILE:LINE
//! problems, encryption at rest, round trips, CSV).

mod support;

use autoorder::catalog_cli::{CSV_COLUMNS, parse_catalog, read_catalog, to_csv, to_toml};
use autoorder_doubles::TelegramDouble;
use autoorder_schema::both_backends;
use autoorder_schema::crypto::DataKeys;
use autoorder_schema::db::{Backend, DbConnection, checkout};
use autoorder_schema::migrations::row_counts;
use autoorder_schema::queries::audit::recent_audit;
use autoorder_schema::queries::catalog::{
    CatalogFile, CatalogProblem, ImportSummary, check_catalog, export_catalog, import_catalog,
    stock_aad, store_problems,
};
use autoorder_schema::secret::Secret;
use autoorder_schema::tables::{categories as c, products as p, stock_items as s};
use autoorder_schema::testing::{TestDatabase, execute};
use diesel::prelude::*;
use support::Store;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/conf/catalog.example.toml");

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn catalog_counts(store: &Store) -> [i64; 3] {
    [
        store.count("categories"),
        store.count("products"),
        store.count("stock_items"),
    ]
}

#[test]
fn the_example_catalog_imports_once_and_moves_to_another_store() {
    let telegram = TelegramDouble::start();
    let store = Store::new(Backend::Sqlite, &telegram);
    let out = store.cli(&["catalog", "import", EXAMPLE]);
    assert!(
        out.status.success(),
        "import failed:\n{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains(
            "3 categories created, 4 products created, 0 updated, 0 unchanged, 15 stock items added"
        ),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(catalog_counts(&store), [3, 4, 15]);

    // The same file again: every stock line is already there, so nothing is imported.
    let again = store.cli(&["catalog", "import", EXAMPLE]);
    assert_eq!(again.status.code(), Some(1));
    let stderr = text(&again.stderr);
    assert!(
        stderr.contains(&format!(
            "{EXAMPLE}:44: duplicate stock item for NF1M: already in the store"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("15 problem(s)") && stderr.contains("nothing was imported"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("NfDemo"),
        "stock content printed:\n{stderr}"
    );
    assert_eq!(catalog_counts(&store), [3, 4, 15]);

    // An export without stock carries no stock content.
    let bare = store.cli(&["catalog", "export"]);
    assert!(bare.status.success(), "{}", text(&bare.stderr));
    let bare = text(&bare.stdout);
    assert!(bare.contains("code = \"NF1M\""), "{bare}");
    assert!(
        !bare.contains("MLBB") && !bare.contains("stock ="),
        "{bare}"
    );

    let csv = store.cli(&["catalog", "export", "--format", "csv"]);
    assert!(csv.status.success(), "{}", text(&csv.stderr));
    let csv = text(&csv.stdout);
    assert!(
        csv.starts_with("code,name,price,category,description,snk,stock\r\n"),
        "{csv}"
    );
    assert_eq!(
        csv.lines().count(),
        1 + 4 + 1,
        "one description spans two lines: {csv}"
    );

    // With stock, into a file only its owner can read, recorded in the audit log.
    let exported = store.dir.path().join("export.toml");
    let out = store.cli(&[
        "catalog",
        "export",
        "--include-stock",
        "--output",
        exported.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("4 products (0 archived), 15 stock items"),
        "{}",
        text(&out.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&exported).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "an export with stock is owner-only");
    }
    assert!(
        std::fs::read_to_string(&exported)
            .unwrap()
            .contains("MLBB-86D-7Q4K-2NXP")
    );
    assert_eq!(
        store.count("audit_log"),
        2,
        "the import and the export with stock"
    );

    let other = Store::new(Backend::Sqlite, &telegram);
    let out = other.cli(&["catalog", "import", exported.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(catalog_counts(&other), [3, 4, 15]);
    let round = other.cli(&["catalog", "export", "--include-stock"]);
    assert_eq!(
        text(&round.stdout),
        std::fs::read_to_string(&exported).unwrap(),
        "the other store exports the same catalog"
    );
}

#[test]
fn a_bad_file_is_refused_with_file_and_line_and_nothing_is_written() {
    let telegram = TelegramDouble::start();
    let store = Store::new(Backend::Sqlite, &telegram);
    std::fs::write(
        store.dir.path().join("toko.toml"),
        r#"[[categories]]
name = "Streaming"

[[products]]
code = "NF1M"
name = "Netflix"
price = 30.000
category = "Streaming"
stock = ["a@x.id:rahasia", "a@x.id:rahasia"]

[[products]]
code = "SPOT1M"
name = "Spotify"
harga = 18000
category = "Musik"
"#,
    )
    .unwrap();
    let out = store.cli(&["catalog", "import", "toko.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines,
        [
            "toko.toml:7: `price` must be a whole number of Rupiah, not a number with a decimal point (thousands are not separated: write 30000 or 30_000, not 30.000)",
            "toko.toml:9: duplicate stock item for NF1M: the same as an earlier entry on this line (each item is sold once)",
            "toko.toml:11: [[products]] is missing `price`",
            "toko.toml:11: product SPOT1M: category \"Musik\" is declared neither in a [[categories]] table nor in the store",
            "toko.toml:14: unknown key `harga` in [[products]] (did you mean `price`?)",
            "5 problem(s) in toko.toml; nothing was imported",
        ],
        "{stderr}"
    );
    assert!(!stderr.contains("rahasia"), "stock content printed");
    assert_eq!(catalog_counts(&store), [0, 0, 0]);

    // Fixed except for the category: still refused, also in a dry run.
    let fixed = std::fs::read_to_string(store.dir.path().join("toko.toml"))
        .unwrap()
        .replace("30.000", "30000")
        .replace(
            "\"a@x.id:rahasia\", \"a@x.id:rahasia\"",
            "\"a@x.id:rahasia\"",
        )
        .replace("harga", "price");
    std::fs::write(store.dir.path().join("toko.toml"), fixed).unwrap();
    let out = store.cli(&["catalog", "import", "--dry-run", "toko.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(
            "toko.toml:11: product SPOT1M: category \"Musik\" is declared neither in a [[categories]] table nor in the store"
        ),
        "{}",
        text(&out.stderr)
    );

    let good = std::fs::read_to_string(store.dir.path().join("toko.toml"))
        .unwrap()
        .replace("\"Musik\"", "\"Streaming\"");
    std::fs::write(store.dir.path().join("toko.toml"), good).unwrap();
    let out = store.cli(&["catalog", "import", "--dry-run", "toko.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("nothing was written"));
    assert_eq!(
        catalog_counts(&store),
        [0, 0, 0],
        "a dry run writes nothing"
    );
    let out = store.cli(&["catalog", "import", "toko.toml"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(catalog_counts(&store), [1, 2, 1]);

    // A file that is not there is an error too.
    let out = store.cli(&["catalog", "import", "missing.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("reading missing.toml"),
        "{}",
        text(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// The reader and writers, and the store's import and export underneath
// ---------------------------------------------------------------------------------------------

const EXAMPLE_TEXT: &str = include_str!("../conf/catalog.example.toml");
/// Every stock line of the example (they are all distinct).
const EXAMPLE_STOCK: usize = 15;

fn keys() -> DataKeys {
    DataKeys::new(vec![("t1".to_string(), Secret::new([7u8; 32]))]).unwrap()
}

/// Parses and imports; panics on a database error.
fn import(
    conn: &mut DbConnection,
    text: &str,
    file: &str,
) -> Result<ImportSummary, Vec<CatalogProblem>> {
    let catalog = parse_catalog(text, file)?;
    import_catalog(conn, &keys(), &catalog).expect("database")
}

fn import_example(conn: &mut DbConnection) -> ImportSummary {
    import(conn, EXAMPLE_TEXT, "catalog.example.toml").unwrap_or_else(|problems| {
        panic!("the example has problems: {problems:#?}");
    })
}

fn shown(problems: &[CatalogProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The line (1-based) of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in the text"))
        + 1
}

fn counts(conn: &mut DbConnection) -> Vec<(String, i64)> {
    row_counts(conn).unwrap()
}

/// (code, name, price, category, description, snk, is_active, archived) of every product.
type ProductRow = (
    String,
    String,
    i64,
    Option<String>,
    String,
    Option<String>,
    bool,
    bool,
);

fn products(conn: &mut DbConnection) -> Vec<ProductRow> {
    type Raw = (
        String,
        String,
        i64,
        Option<String>,
        String,
        Option<String>,
        bool,
        Option<i64>,
    );
    let rows: Vec<Raw> = p::table
        .left_join(c::table)
        .order(p::code.asc())
        .select((
            p::code,
            p::name,
            p::price,
            c::name.nullable(),
            p::description,
            p::snk,
            p::is_active,
            p::archived_at,
        ))
        .load(conn)
        .unwrap();
    rows.into_iter()
        .map(|(code, name, price, cat, desc, snk, active, archived_at)| {
            (
                code,
                name,
                price,
                cat,
                desc,
                snk,
                active,
                archived_at.is_some(),
            )
        })
        .collect()
}

/// Decrypted available stock of a product, in id order.
fn available(conn: &mut DbConnection, code: &str) -> Vec<String> {
    let rows: Vec<(i64, Vec<u8>, String)> = s::table
        .inner_join(p::table)
        .filter(p::code.eq(code))
        .filter(s::state.eq("available"))
        .order(s::id.asc())
        .select((s::product_id, s::content_enc, s::content_hash))
        .load(conn)
        .unwrap();
    rows.into_iter()
        .map(|(product_id, sealed, hash)| {
            keys()
                .decrypt_str(&sealed, &stock_aad(product_id, &hash))
                .unwrap()
        })
        .collect()
}

both_backends! {
    fn the_example_file_imports(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        let summary = import_example(&mut conn);
        assert_eq!(
            summary,
            ImportSummary {
                categories_created: 3,
                products_created: 4,
                products_updated: 0,
                products_unchanged: 0,
                stock_added: EXAMPLE_STOCK,
            }
        );
        let rows = products(&mut conn);
        assert_eq!(rows.len(), 4);
        let nf = rows.iter().find(|r| r.0 == "NF1M").unwrap();
        assert_eq!(nf.1, "Netflix Premium 1 Bulan");
        assert_eq!(nf.2, 30_000);
        assert_eq!(nf.3.as_deref(), Some("Streaming"));
        assert!(nf.4.starts_with("Akun sharing 1 profil"), "{}", nf.4);
        assert!(nf.4.contains('\n'), "multi-line description kept");
        assert!(nf.5.is_some(), "NF1M has SNK");
        assert!(nf.6 && !nf.7, "active, not archived");
        let with_snk = rows.iter().filter(|r| r.5.is_some()).count();
        assert_eq!(with_snk, 2);
        assert_eq!(available(&mut conn, "ML86").len(), 5);

        // Categories keep the file's order.
        let names: Vec<String> = c::table
            .order(c::sort_order.asc())
            .select(c::name)
            .load(&mut conn)
            .unwrap();
        assert_eq!(names, ["Streaming", "Desain", "Voucher Game"]);

        // The audit entry has the counts and no stock content.
        let (_, action, details) = recent_audit(&mut conn, 1).unwrap().remove(0);
        assert_eq!(action, "catalog.import");
        let details: serde_json::Value = serde_json::from_str(&details).unwrap();
        assert_eq!(details["stock_added"], EXAMPLE_STOCK);
        assert_eq!(details["products_created"], 4);
        let catalog = parse_catalog(EXAMPLE_TEXT, "x").unwrap();
        for product in &catalog.products {
            for item in &product.stock {
                assert!(!details.to_string().contains(&item.content));
            }
        }

        // Importing the same file again is refused: every stock line is already stored.
        let problems = import(&mut conn, EXAMPLE_TEXT, "catalog.example.toml").unwrap_err();
        assert_eq!(problems.len(), EXAMPLE_STOCK, "{}", shown(&problems));
    }
}

both_backends! {
    fn an_import_upserts_products_by_code(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        import_example(&mut conn);

        let update = r#"
[[categories]]
name = "Promo"

[[products]]
code = "nf1m"
name = "Netflix Premium 1 Bulan (UHD)"
price = 32_500
category = "Promo"
description = "Harga baru."
stock = ["nf.toko03@mailtoko.id:Baru-1"]

[[products]]
code = "SPOT1M"
name = "Spotify Premium 1 Bulan"
price = 18000
category = "Streaming"
description = "Akun private, bisa ganti email dan password. Tanpa iklan, bisa download lagu. Garansi 30 hari."
archived = true

[[products]]
code = "ML86"
name = "Mobile Legends 86 Diamond"
price = 22000
category = "Voucher Game"
description = "Kode voucher 86 Diamond, redeem di situs resmi Moonton dengan User ID dan Zone ID."
"#;
        let summary = import(&mut conn, update, "update.toml").unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                categories_created: 1,
                products_created: 0,
                products_updated: 2,
                products_unchanged: 1,
                stock_added: 1,
            }
        );
        let rows = products(&mut conn);
        assert_eq!(rows.len(), 4, "products are never deleted");
        let nf = rows.iter().find(|r| r.0 == "NF1M").unwrap();
        assert_eq!(nf.1, "Netflix Premium 1 Bulan (UHD)");
        assert_eq!(nf.2, 32_500);
        assert_eq!(nf.3.as_deref(), Some("Promo"));
        assert_eq!(nf.4, "Harga baru.");
        assert_eq!(nf.5, None, "the file has no snk: cleared");
        assert_eq!(available(&mut conn, "NF1M").len(), 5, "stock is added, not replaced");
        let spot = rows.iter().find(|r| r.0 == "SPOT1M").unwrap();
        assert!(!spot.6 && spot.7, "archived");

        // Importing without `archived` un-archives.
        let unarchive = update.replace("archived = true\n", "").replace(
            "stock = [\"nf.toko03@mailtoko.id:Baru-1\"]\n",
            "",
        );
        let summary = import(&mut conn, &unarchive, "update.toml").unwrap();
        assert_eq!((summary.products_updated, summary.products_unchanged), (1, 2));
        let spot = products(&mut conn).into_iter().find(|r| r.0 == "SPOT1M").unwrap();
        assert!(spot.6 && !spot.7, "active again");
    }
}

both_backends! {
    fn duplicate_stock_is_reported_by_line_and_nothing_changes(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        import_example(&mut conn);
        let before = counts(&mut conn);

        let text = r#"[[categories]]
name = "Baru"

[[products]]
code = "NEW1"
name = "Produk Baru"
price = 5000
category = "Baru"
stock = ["baru-1"]

[[products]]
code = "ML86"
name = "Mobile Legends 86 Diamond"
price = 23000
category = "Voucher Game"
stock = [
    "MLBB-86D-NEW0-0001",
    "MLBB-86D-ZP3M-V9LE",
    "MLBB-86D-NEW0-0002",
    "MLBB-86D-NEW0-0001",
]
"#;
        let stored_line = line_of(text, "ZP3M");
        let repeat_line = text.lines().collect::<Vec<_>>().iter().rposition(|l| l.contains("NEW0-0001")).unwrap() + 1;

        // The file on its own: the repeat within it.
        let own = parse_catalog(text, "dup.toml").unwrap_err();
        assert_eq!(own.len(), 1, "{}", shown(&own));
        assert!(own[0].to_string().starts_with(&format!("dup.toml:{repeat_line}: ")), "{}", own[0]);

        // Together with the store: both, in line order, in one report.
        let (catalog, _) = read_catalog(text, "dup.toml");
        let problems = import_catalog(&mut conn, &keys(), &catalog).unwrap().unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [stored_line, repeat_line], "{}", shown(&problems));
        assert!(problems[0].message.contains("already in the store"), "{}", problems[0]);
        assert!(problems[1].message.contains("the same as on line"), "{}", problems[1]);
        let report = shown(&problems);
        assert!(!report.contains("MLBB"), "a problem quotes stock content:\n{report}");
        assert_eq!(
            store_problems(&mut conn, &keys(), &catalog).unwrap().len(),
            1,
            "store_problems reports only what the store reveals"
        );

        // Without the repeat it still fails on the stored item alone.
        let without_repeat = text.replacen("    \"MLBB-86D-NEW0-0001\",\n]", "]", 1);
        let problems = import(&mut conn, &without_repeat, "dup.toml").unwrap_err();
        assert_eq!(problems.len(), 1, "{}", shown(&problems));
        let stored_id: i64 = s::table
            .filter(s::content_hash.eq(keys().content_hash(b"MLBB-86D-ZP3M-V9LE")))
            .select(s::id)
            .first(&mut conn)
            .unwrap();
        assert_eq!(problems[0].to_string(), format!(
            "dup.toml:{stored_line}: duplicate stock item for ML86: already in the store as stock item #{stored_id} (available)"
        ));

        assert_eq!(counts(&mut conn), before, "nothing was written");
        let ml = products(&mut conn).into_iter().find(|r| r.0 == "ML86").unwrap();
        assert_eq!(ml.2, 22_000, "the product was not updated either");

        // A dry run of a good file writes nothing either.
        let good = parse_catalog(&without_repeat.replace("    \"MLBB-86D-ZP3M-V9LE\",\n", ""), "ok.toml").unwrap();
        let summary = check_catalog(&mut conn, &keys(), &good).unwrap().unwrap();
        assert_eq!((summary.products_created, summary.stock_added), (1, 3));
        assert_eq!(counts(&mut conn), before, "a dry run writes nothing");
    }
}

#[test]
fn unknown_keys_and_tables_are_errors_with_suggestions() {
    let text = r#"[[categories]]
name = "A"

[[products]]
code = "AB"
name = "Produk"
price = 1000
desciption = "typo"
colour = "red"

[[produk]]
code = "CD"

[products]
price = 1
"#;
    let problems = parse_catalog(text, "keys.toml").unwrap_err();
    let report = shown(&problems);
    assert!(
        report.contains(
            "keys.toml:8: unknown key `desciption` in [[products]] (did you mean `description`?)"
        ),
        "{report}"
    );
    assert!(
        report.contains("keys.toml:9: unknown key `colour`"),
        "{report}"
    );
    assert!(
        report.contains("keys.toml:11: unknown table `produk`"),
        "{report}"
    );
    assert!(report.contains("(did you mean [[products]]?)"), "{report}");
    assert!(
        report.contains("keys.toml:14: write [[products]] with double brackets"),
        "{report}"
    );
    assert_eq!(problems.len(), 4, "{report}");
}

#[test]
fn bad_prices_codes_and_blank_stock_are_all_reported_at_once() {
    let text = r#"[[products]]
code = "ok1"
name = "Nol"
price = 0

[[products]]
code = "B2"
name = "Titik"
price = 30.000

[[products]]
code = "C3"
name = "Teks"
price = "Rp30000"

[[products]]
code = "x"
name = ""
price = -5
stock = ["satu", "   ", 7]

[[products]]
name = "Tanpa kode"
"#;
    let problems = parse_catalog(text, "bad.toml").unwrap_err();
    let report = shown(&problems);
    for expected in [
        "bad.toml:4: price must be more than 0 Rupiah",
        "bad.toml:9: `price` must be a whole number of Rupiah, not a number with a decimal point",
        "bad.toml:14: `price` must be a whole number of Rupiah, not text",
        "bad.toml:17: product code \"X\" is invalid",
        "bad.toml:18: product name is empty",
        "bad.toml:19: price must be more than 0",
        "bad.toml:20: stock entry is blank",
        "bad.toml:20: stock entries must be text in quotes, not a number",
        "bad.toml:22: [[products]] is missing `code`, `price`",
    ] {
        assert!(
            report.contains(expected),
            "missing {expected:?} in:\n{report}"
        );
    }
    assert_eq!(problems.len(), 9, "{report}");
}

#[test]
fn duplicate_codes_and_categories_and_syntax_errors_name_their_lines() {
    let text = "[[categories]]\nname = \"A\"\n[[categories]]\nname = \"A\"\n\
                [[products]]\ncode = \"AB\"\nname = \"x\"\nprice = 1\n\
                [[products]]\ncode = \"ab\"\nname = \"y\"\nprice = 2\n";
    let report = shown(&parse_catalog(text, "f.toml").unwrap_err());
    assert!(
        report.contains("f.toml:3: category \"A\" is declared twice (first on line 1)"),
        "{report}"
    );
    assert!(
        report.contains("f.toml:9: product code AB is used twice (first on line 5)"),
        "{report}"
    );

    let syntax = "[[products]]\ncode = \"AB\"\nname = Netflix\n";
    let problems = parse_catalog(syntax, "s.toml").unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]
            .to_string()
            .starts_with("s.toml:3: expected a value"),
        "{}",
        problems[0]
    );

    let unclosed = "[[products]]\ncode = \"AB\"\nstock = [\n  \"a\",\n";
    let problems = parse_catalog(unclosed, "u.toml").unwrap_err();
    assert_eq!(problems[0].line, 3, "{}", problems[0]);

    assert!(
        parse_catalog("# nothing\n", "e.toml").is_err(),
        "an empty catalog is refused"
    );
}

both_backends! {
    fn stock_is_stored_encrypted_and_bound_to_its_row(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        import_example(&mut conn);
        let catalog = parse_catalog(EXAMPLE_TEXT, "x").unwrap();
        let rows: Vec<(i64, String, Vec<u8>, String)> = s::table
            .inner_join(p::table)
            .order(s::id.asc())
            .select((s::product_id, p::code, s::content_enc, s::content_hash))
            .load(&mut conn)
            .unwrap();
        assert_eq!(rows.len(), EXAMPLE_STOCK);
        let keys = keys();
        let mut stored = Vec::new();
        for (product_id, code, sealed, hash) in &rows {
            for product in &catalog.products {
                for item in &product.stock {
                    let needle = item.content.as_bytes();
                    assert!(
                        !sealed.windows(needle.len()).any(|w| w == needle),
                        "plaintext stock in the database"
                    );
                    assert!(!hash.contains(&item.content));
                }
            }
            let content = keys.decrypt_str(sealed, &stock_aad(*product_id, hash)).unwrap();
            assert_eq!(*hash, keys.content_hash(content.as_bytes()));
            // Bound to its row: another product's or another item's identity does not decrypt.
            assert!(keys.decrypt(sealed, &stock_aad(product_id + 1, hash)).is_err());
            assert!(keys.decrypt(sealed, &stock_aad(*product_id, &"0".repeat(64))).is_err());
            stored.push((code.clone(), content));
        }
        let expected: Vec<(String, String)> = catalog
            .products
            .iter()
            .flat_map(|p| p.stock.iter().map(|i| (p.code.clone(), i.content.clone())))
            .collect();
        assert_eq!(stored, expected);
        assert_eq!(stock_aad(42, "ab"), b"stock_items:42:ab".to_vec());
    }
}

both_backends! {
    fn export_then_import_reproduces_the_catalog(backend) {
        let (_db, pool) = TestDatabase::migrated(backend);
        let mut conn = checkout(&pool).unwrap();
        import_example(&mut conn);
        // An archived product with an awkward description, and one item sold.
        import(
            &mut conn,
            "[[products]]\ncode = \"OLD\"\nname = \"Lama, \\\"dulu\\\"\"\nprice = 1000\n\
             description = \"baris 1\\nbaris 2\\tdan \\\\ garis\"\nsnk = \"ya\"\narchived = true\n",
            "old.toml",
        )
        .unwrap();
        execute(
            &pool,
            "INSERT INTO users (id, created_at, updated_at, last_seen_at) VALUES (1, 0, 0, 0);\n\
                 INSERT INTO orders (invoice_no, user_id, status, payment_method, subtotal, total, created_at)\n\
                   VALUES ('INV-1', 1, 'delivered', 'qris', 22000, 22000, 0);\n\
                 UPDATE stock_items SET state = 'sold', sold_at = 1,\n\
                   order_id = (SELECT id FROM orders WHERE invoice_no = 'INV-1')\n\
                   WHERE id = (SELECT MIN(s.id) FROM stock_items s JOIN products p ON p.id = s.product_id WHERE p.code = 'ML86')",
        )
        .unwrap();
        let sold_item = "MLBB-86D-7Q4K-2NXP";

        // Without --include-stock no content leaves the database.
        let bare = export_catalog(&mut conn, &keys(), false).unwrap();
        assert_eq!(bare.stock_count(), 0);
        let bare_toml = to_toml(&bare);
        assert!(!bare_toml.contains("MLBB") && !bare_toml.contains("stock ="), "{bare_toml}");

        let full = export_catalog(&mut conn, &keys(), true).unwrap();
        assert_eq!(full.stock_count(), EXAMPLE_STOCK - 1, "the sold item is not exported");
        let text = to_toml(&full);
        assert!(!text.contains(sold_item));
        assert!(text.contains("archived = true"));

        let (_db2, pool2) = TestDatabase::migrated(backend);
        let mut conn2 = checkout(&pool2).unwrap();
        let summary = import(&mut conn2, &text, "export.toml").unwrap();
        assert_eq!(summary.products_created, 5);
        assert_eq!(summary.stock_added, EXAMPLE_STOCK - 1);
        assert_eq!(products(&mut conn2), products(&mut conn));
        for code in ["NF1M", "SPOT1M", "CANVA1B", "ML86", "OLD"] {
            assert_eq!(available(&mut conn2, code), available(&mut conn, code), "{code}");
        }
        let again = export_catalog(&mut conn2, &keys(), true).unwrap();
        assert_eq!(
            CatalogFile { source: String::new(), ..again },
            CatalogFile { source: String::new(), ..full },
            "a second export is identical"
        );
    }
}

#[test]
fn csv_quotes_commas_quotes_and_line_breaks() {
    let catalog = parse_catalog(
        r#"[[categories]]
name = "Voucher, Game"

[[products]]
code = "Q1"
name = "Kode \"spesial\", 1"
price = 10000
category = "Voucher, Game"
description = """
Baris satu
Baris dua, dengan koma"""
stock = ["a,b", "x\"y", "line1\nline2", "plain"]

[[products]]
code = "Q2"
name = "Tanpa stok"
price = 5000
snk = "ya"
"#,
        "q.toml",
    )
    .unwrap();
    let csv = to_csv(&catalog);
    assert!(
        csv.starts_with("code,name,price,category,description,snk,stock\r\n"),
        "{csv}"
    );
    assert!(csv.contains("\"Kode \"\"spesial\"\", 1\""), "{csv}");
    let rows = read_csv(&csv);
    assert_eq!(rows[0], CSV_COLUMNS);
    assert_eq!(
        rows.len(),
        1 + 4 + 1,
        "one row per stock item, one for the product without"
    );
    for row in &rows {
        assert_eq!(row.len(), CSV_COLUMNS.len());
    }
    assert_eq!(rows[1][1], "Kode \"spesial\", 1");
    assert_eq!(rows[1][3], "Voucher, Game");
    assert_eq!(rows[1][4], "Baris satu\nBaris dua, dengan koma");
    let stock: Vec<&str> = rows[1..5].iter().map(|r| r[6].as_str()).collect();
    assert_eq!(stock, ["a,b", "x\"y", "line1\nline2", "plain"]);
    assert_eq!(rows[5], ["Q2", "Tanpa stok", "5000", "", "", "ya", ""]);

    // Without stock: one row per product.
    let mut bare = catalog.clone();
    for product in &mut bare.products {
        product.stock.clear();
    }
    assert_eq!(read_csv(&to_csv(&bare)).len(), 3);
}

/// Reads CSV back with the `csv` crate (no header handling: the header is row 0).
fn read_csv(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}
