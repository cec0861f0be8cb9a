//! `autoorder catalog import|export` as a seller runs it: the example catalog goes in, a bad
//! file is refused with FILE:LINE and changes nothing, an export moves the catalog to another
//! store.

mod support;

use autoorder_doubles::TelegramDouble;
use autoorder_schema::db::Backend;
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
