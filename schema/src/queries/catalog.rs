//! Catalog import and export: categories, products and their stock as one TOML file, so a
//! store can be stocked before the admin menu exists and moved from one store to another.
//!
//! # The file
//!
//! ```toml
//! [[categories]]
//! name = "Streaming"
//!
//! [[products]]
//! code = "NF1M"                  # unique, 2–32 of A-Z 0-9 _ - (lower case is upper-cased)
//! name = "Netflix Premium 1 Bulan"
//! price = 30000                  # whole Rupiah, 1 ..= 1_000_000_000
//! category = "Streaming"         # optional; declared above or already in the store
//! description = "Akun sharing."  # optional (empty)
//! snk = "Kirim screenshot."      # optional: terms the customer answers after buying
//! archived = false               # optional: true hides the product (export writes it)
//! stock = ["email1@x.id:pass1"]  # optional: one item per entry, added to the stock
//! ```
//!
//! `conf/catalog.example.toml` is a complete example. Text is trimmed; an empty `snk` means
//! none. Unknown keys and tables are errors (typo protection), each with a suggestion.
//!
//! The TOML is read by a small reader of its own ([`parse_catalog`]) rather than a TOML
//! library, so that every problem can name the line it is on — a product's key, and each
//! stock entry's own line. It understands the TOML a catalog needs: `[[tables]]`, bare and
//! quoted keys, all four string forms (with escapes and `"""` multi-line text), integers
//! (`30_000`), booleans, lists over several lines, comments. Inline tables, floats and dates are
//! recognised and refused with a message saying what to write instead.
//!
//! # Import: all or nothing
//!
//! [`import_catalog`] first checks everything — the file's own problems ([`validate`]),
//! categories that exist neither in the file nor in the store, and stock items the store already
//! holds (found by their keyed hash, so nothing is decrypted) — reports all of them together,
//! and only when there is no problem at all writes, in the same transaction:
//!
//! * categories that do not exist yet are created (after the existing ones, in file order);
//! * products are upserted by `code`: a new code is created, an existing product gets the file's
//!   name, price, description, category and snk and is un-archived (or archived with
//!   `archived = true`). Products are never deleted;
//! * stock entries are added as `available` items; a duplicate (within one product in the file,
//!   or of an item already stored for that product, sold or not) is a problem, never skipped;
//! * an `audit_log` entry `catalog.import` records the counts (never stock contents).
//!
//! For a file with problems of its own, [`read_catalog`] returns what could be read and
//! [`store_problems`] adds what only the store reveals, so a seller sees every problem in one
//! run. [`check_catalog`] is a dry run: every check, then a rollback. Problem messages never
//! quote stock contents (they name the product and the line).
//!
//! # Stock encryption
//!
//! Stock contents (credentials, voucher codes, licence keys) are stored only encrypted, with
//! [`DataKeys::encrypt`]. The associated data binds the ciphertext to the row's *natural*
//! identity, [`stock_aad`] = `stock_items:{product_id}:{content_hash}`, because the row id is not
//! known before the insert: a ciphertext copied onto another product, or over another item, no
//! longer decrypts. Whoever delivers stock decrypts with the same [`stock_aad`].
//! `content_hash` is [`DataKeys::content_hash`] of the content, which the
//! `UNIQUE (product_id, content_hash)` index uses to reject duplicates without decrypting.
//! Because the hash is part of the associated data, a key rotation that recomputes a stored
//! hash must re-encrypt the item in the same step: decrypt with the old hash's [`stock_aad`],
//! encrypt with the new one.
//!
//! # Export
//!
//! [`export_catalog`] reads categories, active *and* archived products (archived ones flagged
//! `archived = true`; a product that is merely inactive is exported as archived too) and, only
//! when asked, the unsold (`available`) stock items decrypted. Reserved and sold items are never
//! exported. [`to_toml`] writes the file [`parse_catalog`] reads, so export → import into an
//! empty store reproduces the catalog (category order included). [`to_csv`] writes a spreadsheet
//! view with the columns [`CSV_COLUMNS`]: one row per product with an empty `stock` column, or,
//! when the catalog holds stock, one row per stock item repeating the product's columns (a
//! product without stock still gets one row). CSV has no `archived` column, and is not read
//! back: TOML is the format that round-trips.

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::crypto::DataKeys;
use crate::db::{Backend, DbConnection, backend_of, now_ms, write_tx};
use crate::error::StoreError;
use crate::queries::audit::{ActorKind, AuditEntry, append_audit};
use crate::tables::{categories as c, products as p, stock_items as s};

/// Longest category name, in characters (it is a button label).
pub const MAX_CATEGORY_NAME: usize = 64;
/// Longest product name, in characters.
pub const MAX_PRODUCT_NAME: usize = 128;
/// Longest description or SNK text, in characters (shown inside one Telegram message).
pub const MAX_LONG_TEXT: usize = 3000;
/// Longest stock item, in characters (delivered inside one Telegram message).
pub const MAX_STOCK_ITEM: usize = 4000;
/// Highest price, in Rupiah: far above any digital good, far below overflowing order totals.
pub const MAX_PRICE: i64 = 1_000_000_000;
/// The columns [`to_csv`] writes, in order.
pub const CSV_COLUMNS: [&str; 7] = [
    "code",
    "name",
    "price",
    "category",
    "description",
    "snk",
    "stock",
];

const CATEGORY_KEYS: &[&str] = &["name"];
const PRODUCT_KEYS: &[&str] = &[
    "code",
    "name",
    "price",
    "category",
    "description",
    "snk",
    "archived",
    "stock",
];
/// Rows per `IN (…)` list, well below every backend's parameter limit.
const CHUNK: usize = 500;

/// Associated data binding a stock item's ciphertext to its row: the product and the keyed
/// hash of the content (the row's natural identity, known before the insert). Encrypt and
/// decrypt stock contents with exactly these bytes.
pub fn stock_aad(product_id: i64, content_hash: &str) -> Vec<u8> {
    format!("stock_items:{product_id}:{content_hash}").into_bytes()
}

/// A catalog: what a file holds, or what [`export_catalog`] read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogFile {
    /// Where it came from: the file name problems are reported against.
    pub source: String,
    pub categories: Vec<CategoryEntry>,
    pub products: Vec<ProductEntry>,
}

impl CatalogFile {
    /// Stock items over all products.
    pub fn stock_count(&self) -> usize {
        self.products.iter().map(|p| p.stock.len()).sum()
    }
}

/// One `[[categories]]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryEntry {
    pub name: String,
    /// Line of its `[[categories]]` header; 0 when not read from a file.
    pub line: usize,
}

/// One `[[products]]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductEntry {
    /// Upper case, 2–32 of `A-Z 0-9 _ -`.
    pub code: String,
    pub name: String,
    /// Whole Rupiah.
    pub price: i64,
    pub category: Option<String>,
    pub description: String,
    pub snk: Option<String>,
    pub archived: bool,
    pub stock: Vec<StockEntry>,
    /// Line of its `[[products]]` header; 0 when not read from a file.
    pub line: usize,
}

/// One stock item. `Debug` never shows the content: it is a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct StockEntry {
    pub content: String,
    /// Line the entry is on; 0 when not read from a file.
    pub line: usize,
}

impl fmt::Debug for StockEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StockEntry")
            .field(
                "content",
                &format_args!("[redacted, {} bytes]", self.content.len()),
            )
            .field("line", &self.line)
            .finish()
    }
}

/// A problem with a catalog, shown as `FILE:LINE: message`. Messages never contain stock
/// contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogProblem {
    pub file: String,
    /// 1-based; 0 when the problem concerns no particular line.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for CatalogProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// What an import did (or, from [`check_catalog`], would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub categories_created: usize,
    pub products_created: usize,
    /// Existing products whose fields or archived state changed.
    pub products_updated: usize,
    /// Existing products the file left as they were (apart from stock).
    pub products_unchanged: usize,
    pub stock_added: usize,
}

/// Collects problems against one file.
struct Problems {
    file: String,
    list: Vec<CatalogProblem>,
}

impl Problems {
    fn new(file: &str) -> Problems {
        Problems {
            file: file.to_string(),
            list: Vec::new(),
        }
    }

    fn push(&mut self, line: usize, message: impl Into<String>) {
        self.list.push(CatalogProblem {
            file: self.file.clone(),
            line,
            message: message.into(),
        });
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// In file order (stable, so problems on one line keep the order they were found in).
    fn into_sorted(mut self) -> Vec<CatalogProblem> {
        self.list.sort_by_key(|p| p.line);
        self.list
    }
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// Reads a catalog file, reporting every problem at once (each as `FILE:LINE: message`).
///
/// A syntax error stops reading (what follows it cannot be trusted), so it is reported alone;
/// everything else — unknown keys, wrong types, invalid codes, prices or texts, blank stock
/// entries, duplicate categories, codes or stock entries — is collected. Whether categories
/// exist and whether stock is already stored is checked by [`import_catalog`] (or, for a file
/// with problems, [`store_problems`] on what [`read_catalog`] could read).
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

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

fn check_code(code: &str) -> Option<String> {
    let ok = (2..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    (!ok).then(|| {
        format!("product code {code:?} is invalid: 2–32 characters of A-Z 0-9 _ - (e.g. \"NF1M\")")
    })
}

fn check_category_name(name: &str) -> Option<String> {
    let n = name.chars().count();
    if n == 0 {
        Some("category name is empty".to_string())
    } else if n > MAX_CATEGORY_NAME {
        Some(format!(
            "category name is {n} characters long; at most {MAX_CATEGORY_NAME}"
        ))
    } else {
        None
    }
}

fn check_product_name(name: &str) -> Option<String> {
    let n = name.chars().count();
    if n == 0 {
        Some("product name is empty".to_string())
    } else if n > MAX_PRODUCT_NAME {
        Some(format!(
            "product name is {n} characters long; at most {MAX_PRODUCT_NAME}"
        ))
    } else {
        None
    }
}

fn check_price(price: i64) -> Option<String> {
    if price <= 0 {
        Some(format!("price must be more than 0 Rupiah (found {price})"))
    } else if price > MAX_PRICE {
        Some(format!(
            "price {price} is above the limit of {MAX_PRICE} Rupiah; check for extra zeros"
        ))
    } else {
        None
    }
}

fn check_long_text(field: &str, text: &str) -> Option<String> {
    let n = text.chars().count();
    (n > MAX_LONG_TEXT)
        .then(|| format!("`{field}` is {n} characters long; at most {MAX_LONG_TEXT}"))
}

/// Never quotes the content: it is a secret.
fn check_stock(content: &str) -> Option<String> {
    let n = content.chars().count();
    if content.trim().is_empty() {
        Some("stock entry is blank".to_string())
    } else if n > MAX_STOCK_ITEM {
        Some(format!(
            "stock entry is {n} characters long; at most {MAX_STOCK_ITEM}"
        ))
    } else {
        None
    }
}

/// Problems between entries: a category declared twice, a product code used twice, the same
/// stock item twice for one product.
fn cross_check(catalog: &CatalogFile, problems: &mut Problems) {
    let mut categories: HashMap<&str, usize> = HashMap::new();
    for category in &catalog.categories {
        if let Some(first) = categories.get(category.name.as_str()) {
            problems.push(
                category.line,
                format!(
                    "category {:?} is declared twice (first on line {first})",
                    category.name
                ),
            );
        } else {
            categories.insert(&category.name, category.line);
        }
    }
    let mut codes: HashMap<&str, usize> = HashMap::new();
    for product in &catalog.products {
        if let Some(first) = codes.get(product.code.as_str()) {
            problems.push(
                product.line,
                format!(
                    "product code {} is used twice (first on line {first})",
                    product.code
                ),
            );
        } else {
            codes.insert(&product.code, product.line);
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for item in &product.stock {
            if let Some(&first) = seen.get(item.content.as_str()) {
                let earlier = if first == item.line {
                    "an earlier entry on this line".to_string()
                } else {
                    format!("on line {first}")
                };
                problems.push(
                    item.line,
                    format!(
                        "duplicate stock item for {}: the same as {earlier} (each item is sold once)",
                        product.code
                    ),
                );
            } else {
                seen.insert(&item.content, item.line);
            }
        }
    }
}

/// Every problem a catalog has on its own (without looking at a database): the checks
/// [`parse_catalog`] makes, for a catalog built in code. Problems point at entry lines.
pub fn validate(catalog: &CatalogFile) -> Vec<CatalogProblem> {
    let mut problems = Problems::new(&catalog.source);
    for category in &catalog.categories {
        if let Some(message) = check_category_name(&category.name) {
            problems.push(category.line, message);
        }
    }
    for product in &catalog.products {
        let line = product.line;
        let checks = [
            check_code(&product.code),
            check_product_name(&product.name),
            check_price(product.price),
            product.category.as_deref().and_then(check_category_name),
            check_long_text("description", &product.description),
            product
                .snk
                .as_deref()
                .and_then(|t| check_long_text("snk", t)),
        ];
        for message in checks.into_iter().flatten() {
            problems.push(line, format!("product {}: {message}", product.code));
        }
        for item in &product.stock {
            if let Some(message) = check_stock(&item.content) {
                problems.push(item.line, format!("product {}: {message}", product.code));
            }
        }
    }
    cross_check(catalog, &mut problems);
    problems.into_sorted()
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

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/// Why the import transaction ended without committing.
enum Abort {
    Store(StoreError),
    Problems(Vec<CatalogProblem>),
    /// [`check_catalog`]: everything worked; roll back anyway.
    DryRun(ImportSummary),
}

impl From<DieselError> for Abort {
    fn from(e: DieselError) -> Self {
        Abort::Store(e.into())
    }
}

impl From<StoreError> for Abort {
    fn from(e: StoreError) -> Self {
        Abort::Store(e)
    }
}

/// A product the store already has.
struct Existing {
    id: i64,
    name: String,
    price: i64,
    description: String,
    category_id: Option<i64>,
    snk: Option<String>,
    is_active: bool,
    archived_at: Option<i64>,
}

/// Imports a catalog in one transaction: everything or nothing (see the module docs).
///
/// Returns `Ok(Err(problems))` — and changes nothing — when the catalog has problems of its own
/// ([`validate`]), names a category that exists neither in the file nor in the store, or holds a
/// stock item the store already has for that product. `Err` is a database failure.
pub fn import_catalog(
    conn: &mut DbConnection,
    keys: &DataKeys,
    catalog: &CatalogFile,
) -> Result<Result<ImportSummary, Vec<CatalogProblem>>, StoreError> {
    run_import(conn, keys, catalog, false)
}

/// What [`import_catalog`] would do, with every check it makes (database ones included), in a
/// transaction that is always rolled back.
pub fn check_catalog(
    conn: &mut DbConnection,
    keys: &DataKeys,
    catalog: &CatalogFile,
) -> Result<Result<ImportSummary, Vec<CatalogProblem>>, StoreError> {
    run_import(conn, keys, catalog, true)
}

/// The problems only the store can reveal, for a catalog that may have problems of its own
/// (from [`read_catalog`]): products naming a category that exists neither in the file nor in
/// the store, and stock items the store already has for that product (sold or not; matched by
/// keyed hash, nothing is decrypted). Reads only.
pub fn store_problems(
    conn: &mut DbConnection,
    keys: &DataKeys,
    catalog: &CatalogFile,
) -> Result<Vec<CatalogProblem>, StoreError> {
    let hashes = hash_stock(keys, catalog);
    conn.transaction(|c| {
        let mut problems = Problems::new(&catalog.source);
        check_against_store(c, catalog, &hashes, &mut problems)?;
        Ok(problems.into_sorted())
    })
}

/// The keyed hash of every stock entry, per product. Pure work: done before taking the write
/// lock.
fn hash_stock(keys: &DataKeys, catalog: &CatalogFile) -> Vec<Vec<String>> {
    catalog
        .products
        .iter()
        .map(|product| {
            product
                .stock
                .iter()
                .map(|item| keys.content_hash(item.content.as_bytes()))
                .collect()
        })
        .collect()
}

fn run_import(
    conn: &mut DbConnection,
    keys: &DataKeys,
    catalog: &CatalogFile,
    dry_run: bool,
) -> Result<Result<ImportSummary, Vec<CatalogProblem>>, StoreError> {
    let own = validate(catalog);
    let hashes = hash_stock(keys, catalog);
    match write_tx(conn, |c| apply(c, keys, catalog, &hashes, own, dry_run)) {
        Ok(summary) | Err(Abort::DryRun(summary)) => Ok(Ok(summary)),
        Err(Abort::Problems(problems)) => Ok(Err(problems)),
        Err(Abort::Store(e)) => Err(e),
    }
}

/// What the store holds of a catalog, read while checking it.
struct StoreView {
    /// `(id, name, sort_order)` of every category.
    categories: Vec<(i64, String, i32)>,
    /// The products of the catalog the store already has, by code.
    products: HashMap<String, Existing>,
}

fn check_against_store(
    conn: &mut DbConnection,
    catalog: &CatalogFile,
    hashes: &[Vec<String>],
    problems: &mut Problems,
) -> Result<StoreView, DieselError> {
    let categories: Vec<(i64, String, i32)> = c::table
        .select((c::id, c::name, c::sort_order))
        .load(conn)?;
    let known: HashSet<&str> = categories
        .iter()
        .map(|(_, name, _)| name.as_str())
        .chain(catalog.categories.iter().map(|c| c.name.as_str()))
        .collect();
    for product in &catalog.products {
        let Some(name) = &product.category else {
            continue;
        };
        // An invalid name is reported on its own already.
        if known.contains(name.as_str()) || check_category_name(name).is_some() {
            continue;
        }
        let lower = name.to_lowercase();
        let hint = known
            .iter()
            .find(|k| k.to_lowercase() == lower)
            .map(|k| format!(" (did you mean {k:?}?)"))
            .unwrap_or_default();
        problems.push(
            product.line,
            format!(
                "product {}: category {name:?} is declared neither in a [[categories]] table nor in the store{hint}",
                product.code
            ),
        );
    }

    let codes: Vec<&str> = catalog.products.iter().map(|p| p.code.as_str()).collect();
    let mut products: HashMap<String, Existing> = HashMap::new();
    for chunk in codes.chunks(CHUNK) {
        type Row = (
            i64,
            String,
            String,
            i64,
            String,
            Option<i64>,
            Option<String>,
            bool,
            Option<i64>,
        );
        let rows: Vec<Row> = p::table
            .filter(p::code.eq_any(chunk))
            .select((
                p::id,
                p::code,
                p::name,
                p::price,
                p::description,
                p::category_id,
                p::snk,
                p::is_active,
                p::archived_at,
            ))
            .load(conn)?;
        for (id, code, name, price, description, category_id, snk, is_active, archived_at) in rows {
            products.insert(
                code,
                Existing {
                    id,
                    name,
                    price,
                    description,
                    category_id,
                    snk,
                    is_active,
                    archived_at,
                },
            );
        }
    }

    for (product, product_hashes) in catalog.products.iter().zip(hashes) {
        let Some(known) = products.get(&product.code) else {
            continue;
        };
        let mut found: HashMap<String, (i64, String)> = HashMap::new();
        for chunk in product_hashes.chunks(CHUNK) {
            let rows: Vec<(String, i64, String)> = s::table
                .filter(s::product_id.eq(known.id))
                .filter(s::content_hash.eq_any(chunk))
                .select((s::content_hash, s::id, s::state))
                .load(conn)?;
            found.extend(rows.into_iter().map(|(h, id, state)| (h, (id, state))));
        }
        // A repeat within the file is reported as such; report the stored one once.
        let mut seen: HashSet<&str> = HashSet::new();
        for (item, hash) in product.stock.iter().zip(product_hashes) {
            if !seen.insert(hash) {
                continue;
            }
            if let Some((id, state)) = found.get(hash) {
                problems.push(
                    item.line,
                    format!(
                        "duplicate stock item for {}: already in the store as stock item #{id} ({state})",
                        product.code
                    ),
                );
            }
        }
    }
    Ok(StoreView {
        categories,
        products,
    })
}

fn apply(
    conn: &mut DbConnection,
    keys: &DataKeys,
    catalog: &CatalogFile,
    hashes: &[Vec<String>],
    own_problems: Vec<CatalogProblem>,
    dry_run: bool,
) -> Result<ImportSummary, Abort> {
    let now = now_ms();
    let mut problems = Problems::new(&catalog.source);
    problems.list = own_problems;
    let StoreView {
        categories: stored,
        products: existing,
    } = check_against_store(conn, catalog, hashes, &mut problems)?;
    if !problems.is_empty() {
        return Err(Abort::Problems(problems.into_sorted()));
    }
    let mut category_ids: HashMap<String, i64> =
        stored.iter().map(|(id, n, _)| (n.clone(), *id)).collect();

    // Everything checked: write.
    let mut summary = ImportSummary::default();
    let mut next_sort = stored.iter().map(|(_, _, o)| *o).max().map_or(0, |m| m + 1);
    for category in &catalog.categories {
        if category_ids.contains_key(&category.name) {
            continue;
        }
        let id: i64 = diesel::insert_into(c::table)
            .values((
                c::name.eq(&category.name),
                c::sort_order.eq(next_sort),
                c::created_at.eq(now),
            ))
            .returning(c::id)
            .get_result(conn)?;
        next_sort += 1;
        category_ids.insert(category.name.clone(), id);
        summary.categories_created += 1;
    }

    for (product, product_hashes) in catalog.products.iter().zip(hashes) {
        let category_id = product.category.as_ref().map(|name| category_ids[name]);
        let (is_active, archived_at) = match (product.archived, existing.get(&product.code)) {
            (false, _) => (true, None),
            (true, Some(known)) => (false, Some(known.archived_at.unwrap_or(now))),
            (true, None) => (false, Some(now)),
        };
        let product_id = match existing.get(&product.code) {
            Some(known) => {
                let changed = known.name != product.name
                    || known.price != product.price
                    || known.description != product.description
                    || known.category_id != category_id
                    || known.snk != product.snk
                    || known.is_active != is_active
                    || known.archived_at != archived_at;
                if changed {
                    diesel::update(p::table.filter(p::id.eq(known.id)))
                        .set((
                            p::name.eq(&product.name),
                            p::price.eq(product.price),
                            p::description.eq(&product.description),
                            p::category_id.eq(category_id),
                            p::snk.eq(&product.snk),
                            p::is_active.eq(is_active),
                            p::archived_at.eq(archived_at),
                            p::updated_at.eq(now),
                            // An admin edit begun before this import is refused, not lost.
                            p::version.eq(p::version + 1),
                            p::snk_version
                                .eq(p::snk_version + if known.snk != product.snk { 1 } else { 0 }),
                        ))
                        .execute(conn)?;
                    summary.products_updated += 1;
                } else {
                    summary.products_unchanged += 1;
                }
                known.id
            }
            None => {
                let id = diesel::insert_into(p::table)
                    .values((
                        p::code.eq(&product.code),
                        p::name.eq(&product.name),
                        p::description.eq(&product.description),
                        p::price.eq(product.price),
                        p::category_id.eq(category_id),
                        p::snk.eq(&product.snk),
                        p::is_active.eq(is_active),
                        p::archived_at.eq(archived_at),
                        p::created_at.eq(now),
                        p::updated_at.eq(now),
                    ))
                    .returning(p::id)
                    .get_result(conn)
                    .map_err(|e| match e {
                        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                            raced(&catalog.source, product.line, &product.code)
                        }
                        e => e.into(),
                    })?;
                summary.products_created += 1;
                id
            }
        };
        for (item, hash) in product.stock.iter().zip(product_hashes) {
            let sealed = keys.encrypt(item.content.as_bytes(), &stock_aad(product_id, hash));
            diesel::insert_into(s::table)
                .values((
                    s::product_id.eq(product_id),
                    s::content_enc.eq(&sealed),
                    s::content_hash.eq(hash),
                    s::state.eq("available"),
                    s::created_at.eq(now),
                ))
                .execute(conn)
                .map_err(|e| match e {
                    DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                        raced(&catalog.source, item.line, &product.code)
                    }
                    e => e.into(),
                })?;
            summary.stock_added += 1;
        }
    }

    append_audit(
        conn,
        &AuditEntry {
            actor_kind: ActorKind::Cli,
            actor_id: None,
            action: "catalog.import",
            subject: Some(&catalog.source),
            details: serde_json::json!({
                "categories_created": summary.categories_created,
                "products_created": summary.products_created,
                "products_updated": summary.products_updated,
                "products_unchanged": summary.products_unchanged,
                "stock_added": summary.stock_added,
            }),
        },
    )?;
    if dry_run {
        return Err(Abort::DryRun(summary));
    }
    Ok(summary)
}

/// Another writer added the same product or stock item between our checks and our insert
/// (only possible on PostgreSQL, where the checks do not lock): nothing was imported.
fn raced(file: &str, line: usize, code: &str) -> Abort {
    Abort::Problems(vec![CatalogProblem {
        file: file.to_string(),
        line,
        message: format!(
            "product {code} or this stock item was added by someone else during the import; \
             nothing was imported, run it again"
        ),
    }])
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

/// Reads the catalog: every category (in menu order), every product (active and archived, in
/// creation order) and, with `include_stock`, each product's unsold items decrypted (in the
/// order they would be sold). Without `include_stock` no stock content is read at all.
///
/// Runs in one read transaction (a repeatable-read snapshot on PostgreSQL), so products and
/// stock are consistent with each other.
///
/// # Errors
/// [`StoreError::Corrupt`] when a stock item does not decrypt (wrong key, or a ciphertext not
/// belonging to its row); the message names the item, never its content.
pub fn export_catalog(
    conn: &mut DbConnection,
    keys: &DataKeys,
    include_stock: bool,
) -> Result<CatalogFile, StoreError> {
    let backend = backend_of(conn);
    conn.transaction(|conn| {
        if backend == Backend::Postgres {
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        let categories: Vec<String> = c::table
            .order((c::sort_order.asc(), c::id.asc()))
            .select(c::name)
            .load(conn)?;
        type Row = (
            i64,
            String,
            String,
            i64,
            Option<String>,
            String,
            Option<String>,
            bool,
            Option<i64>,
        );
        let rows: Vec<Row> = p::table
            .left_join(c::table)
            .order(p::id.asc())
            .select((
                p::id,
                p::code,
                p::name,
                p::price,
                c::name.nullable(),
                p::description,
                p::snk,
                p::is_active,
                p::archived_at,
            ))
            .load(conn)?;
        let mut index: HashMap<i64, usize> = HashMap::new();
        let mut products = Vec::with_capacity(rows.len());
        for (id, code, name, price, category, description, snk, is_active, archived_at) in rows {
            index.insert(id, products.len());
            products.push(ProductEntry {
                code,
                name,
                price,
                category,
                description,
                snk,
                archived: !is_active || archived_at.is_some(),
                stock: Vec::new(),
                line: 0,
            });
        }
        if include_stock {
            let items: Vec<(i64, i64, Vec<u8>, String)> = s::table
                .filter(s::state.eq("available"))
                .order(s::id.asc())
                .select((s::id, s::product_id, s::content_enc, s::content_hash))
                .load(conn)?;
            for (id, product_id, sealed, hash) in items {
                let Some(&at) = index.get(&product_id) else {
                    continue;
                };
                let product = &mut products[at];
                let content = keys
                    .decrypt_str(&sealed, &stock_aad(product_id, &hash))
                    .map_err(|e| {
                        StoreError::Corrupt(format!(
                            "stock item #{id} of product {}: {e}",
                            product.code
                        ))
                    })?;
                product.stock.push(StockEntry { content, line: 0 });
            }
        }
        Ok(CatalogFile {
            source: "export".to_string(),
            categories: categories
                .into_iter()
                .map(|name| CategoryEntry { name, line: 0 })
                .collect(),
            products,
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// The catalog as a TOML file [`parse_catalog`] reads back to the same catalog. A file with
/// stock says so in its first lines: it holds secrets.
pub fn to_toml(catalog: &CatalogFile) -> String {
    let stock = catalog.stock_count();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# autoorder catalog: {} categories, {} products, {stock} stock items.",
        catalog.categories.len(),
        catalog.products.len()
    );
    let _ = writeln!(
        out,
        "# Import with `autoorder catalog import FILE`; see conf/catalog.example.toml."
    );
    if stock > 0 {
        let _ = writeln!(
            out,
            "# CONTAINS STOCK CONTENTS (accounts, codes): keep it private, delete it after use."
        );
    }
    for category in &catalog.categories {
        let _ = write!(
            out,
            "\n[[categories]]\nname = {}\n",
            toml_quote(&category.name)
        );
    }
    for product in &catalog.products {
        let _ = write!(
            out,
            "\n[[products]]\ncode = {}\nname = {}\nprice = {}\n",
            toml_quote(&product.code),
            toml_quote(&product.name),
            product.price
        );
        if let Some(category) = &product.category {
            let _ = writeln!(out, "category = {}", toml_quote(category));
        }
        let _ = writeln!(out, "description = {}", toml_quote(&product.description));
        if let Some(snk) = &product.snk {
            let _ = writeln!(out, "snk = {}", toml_quote(snk));
        }
        if product.archived {
            let _ = writeln!(out, "archived = true");
        }
        if !product.stock.is_empty() {
            out.push_str("stock = [\n");
            for item in &product.stock {
                let _ = writeln!(out, "    {},", toml_quote(&item.content));
            }
            out.push_str("]\n");
        }
    }
    out
}

/// A TOML basic string: quotes, backslashes and control characters escaped.
fn toml_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The catalog as CSV (RFC 4180: comma separated, CRLF line ends, a field with a comma, quote
/// or line break quoted and its quotes doubled), header [`CSV_COLUMNS`]. One row per product
/// with an empty `stock` column, or one row per stock item repeating the product's columns
/// (a product without stock keeps one row). Meant for spreadsheets; it is not imported.
pub fn to_csv(catalog: &CatalogFile) -> String {
    let mut out = String::new();
    csv_row(&mut out, CSV_COLUMNS.iter().copied());
    for product in &catalog.products {
        let price = product.price.to_string();
        let columns = |stock: &str| {
            [
                product.code.clone(),
                product.name.clone(),
                price.clone(),
                product.category.clone().unwrap_or_default(),
                product.description.clone(),
                product.snk.clone().unwrap_or_default(),
                stock.to_string(),
            ]
        };
        if product.stock.is_empty() {
            csv_row(&mut out, columns("").iter().map(String::as_str));
        } else {
            for item in &product.stock {
                csv_row(&mut out, columns(&item.content).iter().map(String::as_str));
            }
        }
    }
    out
}

fn csv_row<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if field.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push_str("\r\n");
}

/// Reads CSV as written by [`to_csv`] (RFC 4180; LF line ends accepted too): rows of fields,
/// quoted fields unquoted. For checking exports and tests.
///
/// # Errors
/// A message with the line number when a quote is misplaced or a quoted field is not closed.
pub fn read_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        AfterQuote,
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut state = State::FieldStart;
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match state {
            State::FieldStart | State::Unquoted | State::AfterQuote => match ch {
                '"' if state == State::FieldStart => state = State::Quoted,
                '"' if state == State::AfterQuote => {
                    field.push('"');
                    state = State::Quoted;
                }
                '"' => return Err(format!("line {line}: quote inside an unquoted field")),
                ',' => {
                    row.push(std::mem::take(&mut field));
                    state = State::FieldStart;
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                    state = State::FieldStart;
                    line += 1;
                }
                _ if state == State::AfterQuote => {
                    return Err(format!("line {line}: text after a closing quote"));
                }
                c => {
                    field.push(c);
                    state = State::Unquoted;
                }
            },
            State::Quoted => match ch {
                '"' => state = State::AfterQuote,
                c => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            },
        }
    }
    if state == State::Quoted {
        return Err(format!("line {line}: quoted field is not closed"));
    }
    if !(state == State::FieldStart && row.is_empty() && field.is_empty()) {
        row.push(field);
        rows.push(row);
    }
    Ok(rows)
}

// ---------------------------------------------------------------------------------------------
// The TOML reader
// ---------------------------------------------------------------------------------------------

/// The part of TOML a catalog uses, read with the line of every key and list item.
mod toml_text {
    /// The first syntax error; reading stops there.
    #[derive(Debug)]
    pub(super) struct SyntaxError {
        pub line: usize,
        pub message: String,
    }

    pub(super) enum Value {
        Str(String),
        Int(i64),
        /// Read but never accepted by a catalog, so the number itself is not kept.
        Float,
        Bool(bool),
        /// Likewise.
        DateTime,
        Array(Vec<Item>),
    }

    impl Value {
        /// For messages: what was found.
        pub fn kind(&self) -> &'static str {
            match self {
                Value::Str(_) => "text",
                Value::Int(_) => "a number",
                Value::Float => "a decimal number",
                Value::Bool(_) => "true/false",
                Value::DateTime => "a date",
                Value::Array(_) => "a list",
            }
        }
    }

    pub(super) struct Item {
        pub value: Value,
        pub line: usize,
    }

    pub(super) enum Header {
        /// Keys before the first header.
        Root,
        /// `[[name]]`
        ArrayTable(String),
        /// `[name]`
        Table(String),
    }

    pub(super) struct Table {
        pub header: Header,
        pub line: usize,
        pub entries: Vec<Entry>,
    }

    pub(super) struct Entry {
        pub key: String,
        pub line: usize,
        pub value: Value,
    }

    /// Reads a document into its tables, in order.
    pub(super) fn parse(text: &str) -> Result<Vec<Table>, SyntaxError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lx = Lexer {
            text,
            pos: 0,
            line: 1,
        };
        let mut tables = vec![Table {
            header: Header::Root,
            line: 1,
            entries: Vec::new(),
        }];
        loop {
            lx.skip_blanks();
            lx.skip_comment();
            if lx.peek().is_none() {
                break;
            }
            if lx.eat_newline() {
                continue;
            }
            let line = lx.line;
            if lx.peek() == Some('[') {
                let array = lx.eat("[[");
                if !array {
                    lx.bump();
                }
                lx.skip_blanks();
                let name = lx.key()?;
                lx.skip_blanks();
                let close = if array { "]]" } else { "]" };
                if !lx.eat(close) {
                    return Err(lx.error(format!("expected `{close}` to close the table header")));
                }
                tables.push(Table {
                    header: if array {
                        Header::ArrayTable(name)
                    } else {
                        Header::Table(name)
                    },
                    line,
                    entries: Vec::new(),
                });
            } else {
                let key = lx.key()?;
                lx.skip_blanks();
                if !lx.eat("=") {
                    return Err(lx.error(format!("expected `=` after the key `{key}`")));
                }
                lx.skip_blanks();
                let value = lx.value()?;
                if let Some(table) = tables.last_mut() {
                    table.entries.push(Entry { key, line, value });
                }
            }
            lx.skip_blanks();
            lx.skip_comment();
            if lx.peek().is_some() && !lx.eat_newline() {
                return Err(lx.error(
                    "unexpected text after the value (one `key = value` per line; text must be in quotes)",
                ));
            }
        }
        Ok(tables)
    }

    fn forbidden_control(ch: char) -> bool {
        (ch < ' ' && ch != '\t') || ch == '\u{7f}'
    }

    struct Lexer<'a> {
        text: &'a str,
        pos: usize,
        line: usize,
    }

    impl<'a> Lexer<'a> {
        fn rest(&self) -> &'a str {
            &self.text[self.pos..]
        }

        fn peek(&self) -> Option<char> {
            self.rest().chars().next()
        }

        fn bump(&mut self) -> Option<char> {
            let ch = self.peek()?;
            self.pos += ch.len_utf8();
            if ch == '\n' {
                self.line += 1;
            }
            Some(ch)
        }

        fn eat(&mut self, s: &str) -> bool {
            if self.rest().starts_with(s) {
                for _ in s.chars() {
                    self.bump();
                }
                true
            } else {
                false
            }
        }

        fn eat_newline(&mut self) -> bool {
            self.eat("\n") || self.eat("\r\n")
        }

        fn at_newline(&self) -> bool {
            self.rest().starts_with('\n') || self.rest().starts_with("\r\n")
        }

        fn skip_blanks(&mut self) {
            while matches!(self.peek(), Some(' ' | '\t')) {
                self.bump();
            }
        }

        fn skip_comment(&mut self) {
            if self.peek() == Some('#') {
                while self.peek().is_some() && !self.at_newline() {
                    self.bump();
                }
            }
        }

        fn error(&self, message: impl Into<String>) -> SyntaxError {
            SyntaxError {
                line: self.line,
                message: message.into(),
            }
        }

        fn error_at(line: usize, message: impl Into<String>) -> SyntaxError {
            SyntaxError {
                line,
                message: message.into(),
            }
        }

        /// A key, dotted keys joined with `.` (a catalog has none, so they end up unknown).
        fn key(&mut self) -> Result<String, SyntaxError> {
            let mut key = self.simple_key()?;
            loop {
                let save = (self.pos, self.line);
                self.skip_blanks();
                if self.eat(".") {
                    self.skip_blanks();
                    key.push('.');
                    key.push_str(&self.simple_key()?);
                } else {
                    (self.pos, self.line) = save;
                    return Ok(key);
                }
            }
        }

        fn simple_key(&mut self) -> Result<String, SyntaxError> {
            match self.peek() {
                Some('"') => self.basic_string(),
                Some('\'') => self.literal_string(),
                _ => {
                    let start = self.pos;
                    while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    {
                        self.bump();
                    }
                    if self.pos == start {
                        Err(self.error("expected a key, as in `name = \"…\"`"))
                    } else {
                        Ok(self.text[start..self.pos].to_string())
                    }
                }
            }
        }

        fn value(&mut self) -> Result<Value, SyntaxError> {
            let rest = self.rest();
            if rest.starts_with("\"\"\"") {
                self.multiline_string(true).map(Value::Str)
            } else if rest.starts_with('"') {
                self.basic_string().map(Value::Str)
            } else if rest.starts_with("'''") {
                self.multiline_string(false).map(Value::Str)
            } else if rest.starts_with('\'') {
                self.literal_string().map(Value::Str)
            } else if rest.starts_with('[') {
                self.array()
            } else if rest.starts_with('{') {
                Err(self.error(
                    "inline tables `{ … }` are not supported in a catalog; write each entry as its own [[categories]] or [[products]] table",
                ))
            } else {
                self.scalar()
            }
        }

        fn basic_string(&mut self) -> Result<String, SyntaxError> {
            let line = self.line;
            self.bump();
            let mut out = String::new();
            loop {
                match self.peek() {
                    None => return Err(Self::error_at(line, "text is not closed with `\"`")),
                    Some(_) if self.at_newline() => {
                        return Err(Self::error_at(
                            line,
                            "text is not closed with `\"` on its line (use \"\"\" … \"\"\" for text over several lines)",
                        ));
                    }
                    Some('"') => {
                        self.bump();
                        return Ok(out);
                    }
                    Some('\\') => {
                        self.bump();
                        out.push(self.escape()?);
                    }
                    Some(ch) if forbidden_control(ch) => {
                        return Err(self.error(
                            "control character in text; write it as an escape such as \\t",
                        ));
                    }
                    Some(ch) => {
                        self.bump();
                        out.push(ch);
                    }
                }
            }
        }

        fn literal_string(&mut self) -> Result<String, SyntaxError> {
            let line = self.line;
            self.bump();
            let start = self.pos;
            loop {
                match self.peek() {
                    None => return Err(Self::error_at(line, "text is not closed with `'`")),
                    Some(_) if self.at_newline() => {
                        return Err(Self::error_at(
                            line,
                            "text is not closed with `'` on its line (use ''' … ''' for text over several lines)",
                        ));
                    }
                    Some('\'') => {
                        let out = self.text[start..self.pos].to_string();
                        self.bump();
                        return Ok(out);
                    }
                    Some(ch) if forbidden_control(ch) => {
                        return Err(self.error("control character in text"));
                    }
                    Some(_) => {
                        self.bump();
                    }
                }
            }
        }

        /// `"""…"""` (with escapes) or `'''…'''` (without). A newline right after the opening
        /// delimiter is dropped; up to two quotes may precede the closing delimiter.
        fn multiline_string(&mut self, escapes: bool) -> Result<String, SyntaxError> {
            let line = self.line;
            let (delim, quote) = if escapes {
                ("\"\"\"", '"')
            } else {
                ("'''", '\'')
            };
            self.eat(delim);
            self.eat_newline();
            let mut out = String::new();
            loop {
                if self.rest().starts_with(delim) {
                    let quotes = self.rest().chars().take_while(|&c| c == quote).count();
                    if quotes > 5 {
                        return Err(self.error(format!("too many `{quote}` where the text closes")));
                    }
                    for _ in 3..quotes {
                        out.push(quote);
                    }
                    for _ in 0..quotes {
                        self.bump();
                    }
                    return Ok(out);
                }
                match self.peek() {
                    None => {
                        return Err(Self::error_at(
                            line,
                            format!("text started with {delim} is never closed"),
                        ));
                    }
                    Some('\\') if escapes => {
                        self.bump();
                        let save = (self.pos, self.line);
                        self.skip_blanks();
                        if self.eat_newline() {
                            // A line-ending backslash: the line break and the indentation of
                            // the next lines are dropped.
                            loop {
                                if self.eat_newline() {
                                    continue;
                                }
                                if matches!(self.peek(), Some(' ' | '\t')) {
                                    self.bump();
                                    continue;
                                }
                                break;
                            }
                        } else {
                            (self.pos, self.line) = save;
                            out.push(self.escape()?);
                        }
                    }
                    Some(_) if self.at_newline() => {
                        self.eat_newline();
                        out.push('\n');
                    }
                    Some(ch) if forbidden_control(ch) => {
                        return Err(self.error("control character in text"));
                    }
                    Some(ch) => {
                        self.bump();
                        out.push(ch);
                    }
                }
            }
        }

        /// After a backslash in a basic string.
        fn escape(&mut self) -> Result<char, SyntaxError> {
            let line = self.line;
            let ch = match self.bump() {
                Some('b') => '\u{8}',
                Some('t') => '\t',
                Some('n') => '\n',
                Some('f') => '\u{c}',
                Some('r') => '\r',
                Some('e') => '\u{1b}',
                Some('"') => '"',
                Some('\\') => '\\',
                Some('x') => self.hex_escape(2, line)?,
                Some('u') => self.hex_escape(4, line)?,
                Some('U') => self.hex_escape(8, line)?,
                _ => {
                    return Err(Self::error_at(
                        line,
                        "invalid escape after `\\` in \"…\" text: write a backslash as \\\\, or use 'single quotes', which take the text as it is",
                    ));
                }
            };
            Ok(ch)
        }

        fn hex_escape(&mut self, digits: usize, line: usize) -> Result<char, SyntaxError> {
            let start = self.pos;
            for _ in 0..digits {
                match self.peek() {
                    Some(c) if c.is_ascii_hexdigit() => {
                        self.bump();
                    }
                    _ => {
                        return Err(Self::error_at(
                            line,
                            format!("this escape needs {digits} hexadecimal digits"),
                        ));
                    }
                }
            }
            u32::from_str_radix(&self.text[start..self.pos], 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| Self::error_at(line, "escape is not a valid Unicode character"))
        }

        fn array(&mut self) -> Result<Value, SyntaxError> {
            let line = self.line;
            self.bump();
            let mut items = Vec::new();
            loop {
                self.skip_array_space();
                match self.peek() {
                    None => return Err(Self::error_at(line, "list is not closed with `]`")),
                    Some(']') => {
                        self.bump();
                        return Ok(Value::Array(items));
                    }
                    Some(_) => {}
                }
                let item_line = self.line;
                let value = self.value()?;
                items.push(Item {
                    value,
                    line: item_line,
                });
                self.skip_array_space();
                match self.peek() {
                    Some(',') => {
                        self.bump();
                    }
                    Some(']') => {
                        self.bump();
                        return Ok(Value::Array(items));
                    }
                    None => return Err(Self::error_at(line, "list is not closed with `]`")),
                    Some(_) => {
                        return Err(self.error(
                            "expected `,` or `]` in the list (each entry is text in quotes)",
                        ));
                    }
                }
            }
        }

        /// Blanks, comments and line breaks, which lists may contain anywhere.
        fn skip_array_space(&mut self) {
            loop {
                self.skip_blanks();
                self.skip_comment();
                if !self.eat_newline() {
                    break;
                }
            }
        }

        /// A bare value: a number, true/false, a date (recognised, not kept). The token is
        /// never echoed: an unquoted stock entry would be a secret.
        fn scalar(&mut self) -> Result<Value, SyntaxError> {
            let line = self.line;
            let start = self.pos;
            while let Some(ch) = self.peek() {
                if matches!(
                    ch,
                    ' ' | '\t' | '\r' | '\n' | ',' | '[' | ']' | '{' | '}' | '#' | '=' | '"' | '\''
                ) {
                    break;
                }
                self.bump();
            }
            classify(&self.text[start..self.pos]).map_err(|m| Self::error_at(line, m))
        }
    }

    fn classify(token: &str) -> Result<Value, String> {
        const NOT_A_VALUE: &str =
            "expected a value: text in quotes (\"…\"), a whole number, true/false or a [list]";
        match token {
            "" => return Err(NOT_A_VALUE.to_string()),
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            "inf" | "+inf" | "-inf" | "nan" | "+nan" | "-nan" => return Ok(Value::Float),
            _ => {}
        }
        let b = token.as_bytes();
        let digits_then =
            |n: usize, sep: u8| b.len() > n && b[..n].iter().all(u8::is_ascii_digit) && b[n] == sep;
        if digits_then(4, b'-') || digits_then(2, b':') {
            return Ok(Value::DateTime);
        }
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
            if let Some(digits) = token.strip_prefix(prefix) {
                return whole(digits, radix, false).map(Value::Int);
            }
        }
        let (negative, unsigned) = match b[0] {
            b'+' => (false, &token[1..]),
            b'-' => (true, &token[1..]),
            _ => (false, token),
        };
        if !unsigned.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(NOT_A_VALUE.to_string());
        }
        if unsigned.bytes().all(|c| c.is_ascii_digit() || c == b'_') {
            if unsigned.len() > 1 && unsigned.starts_with('0') {
                return Err("numbers cannot start with 0".to_string());
            }
            return whole(unsigned, 10, negative).map(Value::Int);
        }
        let plain: String = unsigned.chars().filter(|&c| c != '_').collect();
        if unsigned
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'_' | b'.' | b'e' | b'E' | b'+' | b'-'))
            && plain.parse::<f64>().is_ok()
        {
            return Ok(Value::Float);
        }
        Err(NOT_A_VALUE.to_string())
    }

    /// Digits with single underscores between them.
    fn whole(digits: &str, radix: u32, negative: bool) -> Result<i64, String> {
        if digits.is_empty()
            || digits.starts_with('_')
            || digits.ends_with('_')
            || digits.contains("__")
        {
            return Err("malformed number (underscores only between digits)".to_string());
        }
        let plain: String = digits.chars().filter(|&c| c != '_').collect();
        let magnitude =
            i128::from_str_radix(&plain, radix).map_err(|_| "malformed number".to_string())?;
        let value = if negative { -magnitude } else { magnitude };
        i64::try_from(value).map_err(|_| "number is too large".to_string())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn one(text: &str) -> Value {
            let tables = parse(&format!("v = {text}\n")).unwrap_or_else(|e| {
                panic!("{text}: line {}: {}", e.line, e.message);
            });
            tables.into_iter().next().unwrap().entries.remove(0).value
        }

        fn text(v: Value) -> String {
            match v {
                Value::Str(s) => s,
                other => panic!("not text: {}", other.kind()),
            }
        }

        #[test]
        fn strings_in_all_four_forms() {
            assert_eq!(
                text(one(r#""a \"b\" \\ \t \u00e9 \U0001F600""#)),
                "a \"b\" \\ \t é 😀"
            );
            assert_eq!(text(one(r"'C:\path\no escapes'")), r"C:\path\no escapes");
            assert_eq!(
                text(one("\"\"\"\nline 1\nline \"2\"\"\"\"")),
                "line 1\nline \"2\""
            );
            assert_eq!(text(one("\"\"\"one \\\n    two\"\"\"")), "one two");
            assert_eq!(text(one("'''\nraw \\n\r\nsecond'''")), "raw \\n\nsecond");
            assert_eq!(text(one("'''it''s'''")), "it''s");
        }

        #[test]
        fn numbers_booleans_and_what_is_refused() {
            assert!(matches!(one("30_000"), Value::Int(30000)));
            assert!(matches!(one("-5"), Value::Int(-5)));
            assert!(matches!(one("0x1F"), Value::Int(31)));
            assert!(matches!(one("true"), Value::Bool(true)));
            assert!(matches!(one("30.000"), Value::Float));
            assert!(matches!(one("1e3"), Value::Float));
            assert!(matches!(one("2026-01-01"), Value::DateTime));
            for bad in [
                "Netflix",
                "030",
                "1__0",
                "99999999999999999999",
                "{ a = 1 }",
                "\"open",
            ] {
                assert!(parse(&format!("v = {bad}\n")).is_err(), "{bad} accepted");
            }
        }

        #[test]
        fn lists_keep_each_item_line() {
            let tables = parse("[[t]]\nv = [\n  \"a\", # note\n\n  'b',\n]\n").unwrap();
            let Value::Array(items) = &tables[1].entries[0].value else {
                panic!("not a list");
            };
            let lines: Vec<usize> = items.iter().map(|i| i.line).collect();
            assert_eq!(lines, [3, 5]);
            assert_eq!(tables[1].line, 1);
            assert_eq!(tables[1].entries[0].line, 2);
        }

        #[test]
        fn line_numbers_count_lines_inside_multiline_text() {
            let tables = parse("a = \"\"\"\n1\n2\n\"\"\"\r\nb = 1\n").unwrap();
            assert_eq!(tables[0].entries[1].line, 5);
            let err = parse("a = 1\nb = \"open\nc = 2\n").err().unwrap();
            assert_eq!(err.line, 2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_quoting_round_trips_awkward_text() {
        let awkward = "a \"quoted\" \\ back\nslash\ttab \u{1} é 😀 # not a comment";
        let catalog = CatalogFile {
            source: "t".into(),
            categories: vec![CategoryEntry {
                name: "Kat \"1\"".into(),
                line: 0,
            }],
            products: vec![ProductEntry {
                code: "AB".into(),
                name: awkward.into(),
                price: 1,
                category: Some("Kat \"1\"".into()),
                description: awkward.into(),
                snk: None,
                archived: true,
                stock: vec![StockEntry {
                    content: "x\\y".into(),
                    line: 0,
                }],
                line: 0,
            }],
        };
        let back = parse_catalog(&to_toml(&catalog), "t").unwrap();
        assert_eq!(back.products[0].name, awkward);
        assert_eq!(back.products[0].description, awkward);
        assert!(back.products[0].archived);
        assert_eq!(back.products[0].stock[0].content, "x\\y");
        assert_eq!(back.categories[0].name, "Kat \"1\"");
    }

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

    #[test]
    fn stock_debug_output_hides_the_content() {
        let item = StockEntry {
            content: "secret-voucher".into(),
            line: 3,
        };
        assert!(!format!("{item:?}").contains("secret"));
    }
}
