//! Reading a catalog file: TOML (through [`super::toml_text`]) into the typed
//! [`CatalogFile`] the store imports, with every problem named by its line.
//!
//! The field rules themselves ([`rules`]) and the checks between entries ([`cross_check`])
//! live in the schema crate, because the import transaction enforces them whoever builds the
//! catalog; this reader applies them at the line of each key, adds what only a file can get
//! wrong (syntax, unknown keys and tables, wrong types) and suggests what was meant.
//!
//! [`rules`]: autoorder_schema::queries::catalog::rules

use std::collections::HashMap;

use autoorder_schema::queries::catalog::rules::{
    check_category_name, check_code, check_long_text, check_price, check_product_name, check_stock,
};
use autoorder_schema::queries::catalog::{
    CatalogFile, CatalogProblem, CategoryEntry, Problems, ProductEntry, StockEntry, cross_check,
};

use super::toml_text;

/// Keys a `[[categories]]` table may have.
pub(super) const CATEGORY_KEYS: &[&str] = &["name"];
/// Keys a `[[products]]` table may have.
pub(super) const PRODUCT_KEYS: &[&str] = &[
    "code",
    "name",
    "price",
    "category",
    "description",
    "snk",
    "archived",
    "stock",
];

/// Reads a catalog file, reporting every problem at once (each as `FILE:LINE: message`).
///
/// A syntax error stops reading (what follows it cannot be trusted), so it is reported alone;
/// everything else — unknown keys, wrong types, invalid codes, prices or texts, blank stock
/// entries, duplicate categories, codes or stock entries — is collected. Whether categories
/// exist and whether stock is already stored is checked by [`import_catalog`] (or, for a file
/// with problems, [`store_problems`] on what [`read_catalog`] could read).
///
/// [`import_catalog`]: autoorder_schema::queries::catalog::import_catalog
/// [`store_problems`]: autoorder_schema::queries::catalog::store_problems
pub fn parse_catalog(text: &str, file_name: &str) -> Result<CatalogFile, Vec<CatalogProblem>> {
    let (catalog, problems) = read_catalog(text, file_name);
    if problems.is_empty() {
        Ok(catalog)
    } else {
        Err(problems)
    }
}

/// [`parse_catalog`] that also returns what it could read when there are problems, so a caller
/// can report the file's problems together with [`store_problems`]: every category and every
/// product with a readable code (a missing or broken name or price read as empty or 0; blank
/// stock entries left out). Empty after a syntax error. Import it only when there are no
/// problems.
///
/// [`store_problems`]: autoorder_schema::queries::catalog::store_problems
pub fn read_catalog(text: &str, file_name: &str) -> (CatalogFile, Vec<CatalogProblem>) {
    let mut problems = Problems::new(file_name);
    let mut catalog = CatalogFile {
        source: file_name.to_string(),
        ..CatalogFile::default()
    };
    let tables = match toml_text::parse(text) {
        Ok(tables) => tables,
        Err(e) => {
            problems.push(e.line, e.message);
            return (catalog, problems.into_sorted());
        }
    };
    for table in &tables {
        match &table.header {
            toml_text::Header::Root => {
                for entry in &table.entries {
                    problems.push(
                        entry.line,
                        format!(
                            "unknown key `{}` at the top of the file; keys belong in a \
                             [[categories]] or [[products]] table",
                            entry.key
                        ),
                    );
                }
            }
            toml_text::Header::ArrayTable(name) if name == "categories" => {
                if let Some(category) = read_category(table, &mut problems) {
                    catalog.categories.push(category);
                }
            }
            toml_text::Header::ArrayTable(name) if name == "products" => {
                if let Some(product) = read_product(table, &mut problems) {
                    catalog.products.push(product);
                }
            }
            toml_text::Header::Table(name) if name == "categories" || name == "products" => {
                problems.push(
                    table.line,
                    format!("write [[{name}]] with double brackets: each entry is its own table"),
                );
            }
            toml_text::Header::ArrayTable(name) | toml_text::Header::Table(name) => {
                let hint = suggestion(name, &["categories", "products"])
                    .map(|s| format!(" (did you mean [[{s}]]?)"))
                    .unwrap_or_default();
                problems.push(
                    table.line,
                    format!(
                        "unknown table `{name}`; a catalog has [[categories]] and [[products]] tables{hint}"
                    ),
                );
            }
        }
    }
    if problems.is_empty() && catalog.categories.is_empty() && catalog.products.is_empty() {
        problems.push(
            0,
            "the file has no [[categories]] or [[products]] table; nothing to import",
        );
    }
    cross_check(&catalog, &mut problems);
    (catalog, problems.into_sorted())
}

/// The entries of a table by key, reporting unknown and repeated keys.
fn known_fields<'t>(
    table: &'t toml_text::Table,
    allowed: &[&str],
    what: &str,
    problems: &mut Problems,
) -> HashMap<&'t str, &'t toml_text::Entry> {
    let mut fields: HashMap<&str, &toml_text::Entry> = HashMap::new();
    for entry in &table.entries {
        if !allowed.contains(&entry.key.as_str()) {
            let hint = match suggestion(&entry.key, allowed) {
                Some(s) => format!(" (did you mean `{s}`?)"),
                None => format!(" (expected {})", allowed.join(", ")),
            };
            problems.push(
                entry.line,
                format!("unknown key `{}` in {what}{hint}", entry.key),
            );
        } else if let Some(first) = fields.get(entry.key.as_str()) {
            problems.push(
                entry.line,
                format!(
                    "`{}` is set twice in this {what} (first on line {})",
                    entry.key, first.line
                ),
            );
        } else {
            fields.insert(&entry.key, entry);
        }
    }
    fields
}

/// A text field, trimmed; reports a wrong type.
fn text_of(entry: &toml_text::Entry, problems: &mut Problems) -> Option<String> {
    match &entry.value {
        toml_text::Value::Str(text) => Some(text.trim().to_string()),
        other => {
            problems.push(
                entry.line,
                format!(
                    "`{}` must be text in quotes, not {}",
                    entry.key,
                    other.kind()
                ),
            );
            None
        }
    }
}

fn read_category(table: &toml_text::Table, problems: &mut Problems) -> Option<CategoryEntry> {
    let fields = known_fields(table, CATEGORY_KEYS, "[[categories]]", problems);
    let Some(entry) = fields.get("name") else {
        problems.push(table.line, "[[categories]] is missing `name`");
        return None;
    };
    let name = text_of(entry, problems)?;
    if let Some(message) = check_category_name(&name) {
        problems.push(entry.line, message);
    }
    Some(CategoryEntry {
        name,
        line: table.line,
    })
}

fn read_product(table: &toml_text::Table, problems: &mut Problems) -> Option<ProductEntry> {
    let fields = known_fields(table, PRODUCT_KEYS, "[[products]]", problems);
    let mut missing = Vec::new();
    for key in ["code", "name", "price"] {
        if !fields.contains_key(key) {
            missing.push(format!("`{key}`"));
        }
    }
    if !missing.is_empty() {
        problems.push(
            table.line,
            format!("[[products]] is missing {}", missing.join(", ")),
        );
    }

    let code = fields.get("code").and_then(|e| {
        let code = text_of(e, problems)?.to_ascii_uppercase();
        if let Some(message) = check_code(&code) {
            problems.push(e.line, message);
        }
        Some(code)
    });
    let name = fields.get("name").and_then(|e| {
        let name = text_of(e, problems)?;
        if let Some(message) = check_product_name(&name) {
            problems.push(e.line, message);
        }
        Some(name)
    });
    let price = fields.get("price").and_then(|e| match &e.value {
        toml_text::Value::Int(price) => {
            if let Some(message) = check_price(*price) {
                problems.push(e.line, message);
            }
            Some(*price)
        }
        other => {
            let shown = match other {
                toml_text::Value::Float => {
                    "a number with a decimal point (thousands are not separated: write 30000 or 30_000, not 30.000)".to_string()
                }
                toml_text::Value::Str(_) => {
                    "text (leave out the quotes and the \"Rp\": price = 30000)".to_string()
                }
                other => other.kind().to_string(),
            };
            problems.push(
                e.line,
                format!("`price` must be a whole number of Rupiah, not {shown}"),
            );
            None
        }
    });
    let category = fields.get("category").and_then(|e| {
        let name = text_of(e, problems)?;
        if name.is_empty() {
            problems.push(
                e.line,
                "`category` is empty; leave the key out for a product without category",
            );
        } else if let Some(message) = check_category_name(&name) {
            problems.push(e.line, message);
        }
        Some(name)
    });
    let description = fields
        .get("description")
        .and_then(|e| {
            let text = text_of(e, problems)?;
            if let Some(message) = check_long_text("description", &text) {
                problems.push(e.line, message);
            }
            Some(text)
        })
        .unwrap_or_default();
    let snk = fields
        .get("snk")
        .and_then(|e| {
            let text = text_of(e, problems)?;
            if let Some(message) = check_long_text("snk", &text) {
                problems.push(e.line, message);
            }
            Some(text)
        })
        .filter(|t| !t.is_empty());
    let archived = match fields.get("archived") {
        None => false,
        Some(e) => match e.value {
            toml_text::Value::Bool(b) => b,
            ref other => {
                problems.push(
                    e.line,
                    format!("`archived` must be true or false, not {}", other.kind()),
                );
                false
            }
        },
    };
    let mut stock = Vec::new();
    if let Some(e) = fields.get("stock") {
        match &e.value {
            toml_text::Value::Array(items) => {
                for item in items {
                    match &item.value {
                        toml_text::Value::Str(text) => {
                            let content = text.trim();
                            if let Some(message) = check_stock(content) {
                                problems.push(item.line, message);
                            } else {
                                stock.push(StockEntry {
                                    content: content.to_string(),
                                    line: item.line,
                                });
                            }
                        }
                        other => problems.push(
                            item.line,
                            format!("stock entries must be text in quotes, not {}", other.kind()),
                        ),
                    }
                }
            }
            toml_text::Value::Str(_) => problems.push(
                e.line,
                "`stock` must be a list, even for one item: stock = [\"…\"]",
            ),
            other => problems.push(
                e.line,
                format!(
                    "`stock` must be a list of texts, stock = [\"…\", \"…\"], not {}",
                    other.kind()
                ),
            ),
        }
    }
    // A product without a readable code is left out; one with a missing or broken name or
    // price is kept (the problem is reported) so its stock is still checked.
    Some(ProductEntry {
        code: code?,
        name: name.unwrap_or_default(),
        price: price.unwrap_or(0),
        category,
        description,
        snk,
        archived,
        stock,
        line: table.line,
    })
}

/// The closest of `candidates` to `word`, for "did you mean" hints: a few Indonesian names
/// sellers are likely to write, else the candidate fewest edits away (case-insensitive; up to
/// a third of its length, at least two).
fn suggestion<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    const ALIASES: &[(&str, &str)] = &[
        ("harga", "price"),
        ("deskripsi", "description"),
        ("keterangan", "description"),
        ("kategori", "category"),
        ("stok", "stock"),
        ("nama", "name"),
        ("kode", "code"),
        ("diarsipkan", "archived"),
    ];
    let word = word.to_lowercase();
    if let Some((_, meant)) = ALIASES.iter().find(|(alias, _)| *alias == word)
        && let Some(c) = candidates.iter().find(|c| *c == meant)
    {
        return Some(c);
    }
    candidates
        .iter()
        .map(|c| (edit_distance(&word, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3 + 1).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos() {
        assert_eq!(suggestion("desciption", PRODUCT_KEYS), Some("description"));
        assert_eq!(suggestion("Price", PRODUCT_KEYS), Some("price"));
        assert_eq!(suggestion("colour", PRODUCT_KEYS), None);
        assert_eq!(suggestion("harga", PRODUCT_KEYS), Some("price"));
        assert_eq!(
            suggestion("produk", &["categories", "products"]),
            Some("products")
        );
    }
}
