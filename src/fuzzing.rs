//! Fuzz entry points: every parser that reads bytes from outside, each with the property it
//! must keep beyond "never panics". The cargo-fuzz targets in `fuzz/` and the short
//! property-based run in `tests/fuzz_props.rs` call exactly these, so a finding from either
//! is replayed by the other (docs/FUZZING.md).
//!
//! Layout: one function per entry point, in the order of docs/FUZZING.md — Telegram updates
//! (the webhook's shape check, then the Bot API types), customer callback data, the Pakasir
//! callback and API answers, catalog TOML and CSV, configuration, backup metadata.

use crate::catalog_cli::{parse_catalog, to_csv, to_toml};
use autoorder_actors::backup::metadata::Metadata;
use autoorder_actors::bot::callback::CallbackData;
use autoorder_actors::payment::pakasir::{PaymentMethod, fuzzing as pakasir};

use crate::config::{Config, Source};

/// A Telegram update body: what the webhook accepts (a JSON object with an integer
/// `update_id`) must be storable and readable by the intake, whose parse may fail but not
/// panic.
pub fn telegram_update(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if value
        .get("update_id")
        .and_then(serde_json::Value::as_i64)
        .is_none()
    {
        return;
    }
    let stored = String::from_utf8_lossy(data);
    let _ = serde_json::from_str::<teloxide_core::types::Update>(&stored);
}

/// Customer callback data: whatever parses encodes back within Telegram's 64 bytes, and
/// the encoding parses to the same value.
pub fn callback_data(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = CallbackData::parse(text) else {
        return;
    };
    let encoded = parsed
        .encode()
        .unwrap_or_else(|e| panic!("{text:?} parsed to {parsed:?}, which does not encode: {e}"));
    assert!(encoded.len() <= 64, "{encoded:?} is longer than 64 bytes");
    assert_eq!(
        CallbackData::parse(&encoded).as_ref(),
        Ok(&parsed),
        "{text:?} → {encoded:?}"
    );
}

/// The Pakasir webhook body and the create and detail answers: read or refused, never a
/// panic; an accepted create answer always names the order it was asked for.
pub fn pakasir_bodies(data: &[u8]) {
    let _ = autoorder_actors::payment::pakasir::parse_webhook(data);
    if let Ok(created) = pakasir::parse_created(data, &PaymentMethod::Qris, "INV-1-1", 10_000) {
        assert_eq!(created.order_id, "INV-1-1");
    }
    let _ = pakasir::parse_detail(data, "INV-1-1", 10_000, "toko");
    let _ = autoorder_actors::payment::pakasir::parse_time(&String::from_utf8_lossy(data));
}

/// A catalog file: TOML read or refused with line-numbered problems; what is read writes
/// back to TOML and CSV that read again to the same products and stock.
pub fn catalog(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(catalog) = parse_catalog(&text, "fuzz.toml") else {
        return;
    };
    let again = parse_catalog(&to_toml(&catalog), "again.toml")
        .unwrap_or_else(|p| panic!("the written TOML does not read back: {p:?}"));
    let shape = |c: &autoorder_schema::queries::catalog::CatalogFile| {
        c.products
            .iter()
            .map(|p| {
                (
                    p.code.clone(),
                    p.name.clone(),
                    p.price,
                    p.stock
                        .iter()
                        .map(|s| s.content.clone())
                        .collect::<Vec<_>>(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&catalog), shape(&again));
    // The CSV is a spreadsheet view (not read back by the importer): it must parse as CSV with
    // at least one row per product.
    let written = to_csv(&catalog);
    let rows = csv::Reader::from_reader(written.as_bytes())
        .records()
        .collect::<Result<Vec<_>, _>>()
        .expect("the written CSV parses");
    assert!(rows.len() >= catalog.products.len());
}

/// Configuration: any values for the known variables give a configuration or a list of
/// problems, never a panic, and no problem message repeats a secret's value.
pub fn configuration(data: &[u8]) {
    let known = Source::known_variables();
    let text = String::from_utf8_lossy(data);
    let mut pairs = Vec::new();
    for (i, chunk) in text.split('\u{1}').enumerate() {
        let name = known[(i * 7 + chunk.len()) % known.len()];
        pairs.push((name.to_string(), chunk.to_string()));
    }
    // A token is required; give one unless the input chose a value for it.
    if !pairs.iter().any(|(n, _)| n == "TELEGRAM_BOT_TOKEN") {
        pairs.push((
            "TELEGRAM_BOT_TOKEN".into(),
            "123456789:AAfuzz-token-SECRET_value_0123456789".into(),
        ));
    }
    let Ok(source) = Source::layered(None, pairs.clone()) else {
        return;
    };
    if let Err(errors) = Config::from_source(&source) {
        let shown: String = errors.0.iter().map(|e| format!("{e}\n")).collect();
        for (name, value) in &pairs {
            let secret = matches!(
                name.as_str(),
                "TELEGRAM_BOT_TOKEN"
                    | "OWNER_BOT_TOKEN"
                    | "PAKASIR_API_KEY"
                    | "DATA_ENCRYPTION_KEY"
                    | "BACKUP_ENCRYPTION_PASSWORD"
                    | "BACKUP_S3_SECRET_ACCESS_KEY"
            );
            let value = value.trim();
            // The same text given to a variable that is not secret is shown as its own value.
            // (Compared as shown too: an escaped `\0` before the text ends in a `0`.)
            let also_public = pairs.iter().any(|(other, v)| {
                other != name && (v.contains(value) || format!("{v:?}").contains(value))
            });
            if secret && value.len() >= 8 && !also_public && shown.contains(value) {
                // Text the messages hold anyway (their own wording, other values) is no leak:
                // the same configuration without this variable shows it too.
                let without: Vec<(String, String)> =
                    pairs.iter().filter(|(n, _)| n != name).cloned().collect();
                let baseline = Source::layered(None, without)
                    .ok()
                    .and_then(|source| Config::from_source(&source).err())
                    .map(|errors| {
                        errors
                            .0
                            .iter()
                            .map(|e| format!("{e}\n"))
                            .collect::<String>()
                    })
                    .unwrap_or_default();
                assert!(
                    baseline.contains(value),
                    "{name}'s value shown in:\n{shown}"
                );
            }
        }
    }
}

/// Backup metadata (the `.json` beside an archive): read or refused; what is read writes
/// back to the same metadata.
pub fn backup_metadata(data: &[u8]) {
    let Ok(meta) = Metadata::from_json(data) else {
        return;
    };
    let again = Metadata::from_json(&meta.to_json()).expect("written metadata reads back");
    assert_eq!(again.to_json(), meta.to_json());
}
