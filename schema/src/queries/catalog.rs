//! Catalog import and export as storage: the typed catalog ([`CatalogFile`]: categories,
//! products and their stock), the rules every entry obeys ([`rules`], [`validate`]), and the
//! all-or-nothing import and the export transactions.
//!
//! Reading and writing files (TOML with a problem per line, CSV) belongs to the CLI beside it
//! (`src/catalog_cli/` in the `autoorder` crate); anything that builds a [`CatalogFile`] — that
//! reader, the admin menu, an import from another store — goes through the same checks here.
//!
//! # Import: all or nothing
//!
//! [`import_catalog`] first checks everything — the catalog's own problems ([`validate`]),
//! categories that exist neither in the catalog nor in the store, and stock items the store
//! already holds (found by their keyed hash, so nothing is decrypted) — reports all of them
//! together, and only when there is no problem at all writes, in the same transaction:
//!
//! * categories that do not exist yet are created (after the existing ones, in catalog order);
//! * products are upserted by `code`: a new code is created, an existing product gets the
//!   catalog's name, price, description, category and snk and is un-archived (or archived with
//!   `archived = true`). Products are never deleted;
//! * stock entries are added as `available` items; a duplicate (within one product in the
//!   catalog, or of an item already stored for that product, sold or not) is a problem, never
//!   skipped;
//! * an `audit_log` entry `catalog.import` records the counts (never stock contents).
//!
//! For a catalog with problems of its own, [`store_problems`] adds what only the store reveals,
//! so a seller sees every problem in one run. [`check_catalog`] is a dry run: every check, then
//! a rollback. Problem messages never quote stock contents (they name the product and the
//! line).
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
//! The hash is keyed by the key that encrypted the item, so the duplicate check looks for the
//! hash under *every* key of the ring ([`DataKeys::content_hashes`]): an item stored before a
//! key change is still a duplicate. Because the hash is part of the associated data, key
//! rotation ([`super::keys`]) recomputes a stored hash and re-encrypts the item in one step:
//! decrypt with the old hash's [`stock_aad`], encrypt with the new one.
//!
//! # Export
//!
//! [`export_catalog`] reads categories, active *and* archived products (archived ones flagged
//! `archived = true`; a product that is merely inactive is exported as archived too) and, only
//! when asked, the unsold (`available`) stock items decrypted. Reserved and sold items are never
//! exported. The CLI writes the result as TOML that imports back into an empty store as the same
//! catalog (category order included), or as CSV for spreadsheets.

use std::collections::{HashMap, HashSet};
use std::fmt;

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
/// Rows per `IN (…)` list, well below every backend's parameter limit.
const CHUNK: usize = 500;

/// Associated data binding a stock item's ciphertext to its row: the product and the keyed
/// hash of the content (the row's natural identity, known before the insert). Encrypt and
/// decrypt stock contents with exactly these bytes.
pub fn stock_aad(product_id: i64, content_hash: &str) -> Vec<u8> {
    format!("stock_items:{product_id}:{content_hash}").into_bytes()
}

/// A catalog: what a file holds, what [`export_catalog`] read, or what a caller built.
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

/// Collects problems against one catalog source, so readers and checks report them alike.
pub struct Problems {
    file: String,
    list: Vec<CatalogProblem>,
}

impl Problems {
    /// An empty list for problems in `file`.
    pub fn new(file: &str) -> Problems {
        Problems {
            file: file.to_string(),
            list: Vec::new(),
        }
    }

    /// A problem on `line` (0 when it concerns no particular line).
    pub fn push(&mut self, line: usize, message: impl Into<String>) {
        self.list.push(CatalogProblem {
            file: self.file.clone(),
            line,
            message: message.into(),
        });
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// In file order (stable, so problems on one line keep the order they were found in).
    pub fn into_sorted(mut self) -> Vec<CatalogProblem> {
        self.list.sort_by_key(|p| p.line);
        self.list
    }
}
// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// The rules every catalog entry obeys, whoever builds it (a file, the admin menu, an import
/// from another store): each returns the problem in words, or `None` when the value is fine.
pub mod rules {
    use super::{MAX_CATEGORY_NAME, MAX_LONG_TEXT, MAX_PRICE, MAX_PRODUCT_NAME, MAX_STOCK_ITEM};

    /// A product code: 2–32 of `A-Z 0-9 _ -` (callers upper-case what a seller typed).
    pub fn check_code(code: &str) -> Option<String> {
        let ok = (2..=32).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        (!ok).then(|| {
            format!(
                "product code {code:?} is invalid: 2–32 characters of A-Z 0-9 _ - (e.g. \"NF1M\")"
            )
        })
    }

    /// A category name: not empty, at most [`MAX_CATEGORY_NAME`] characters (a button label).
    pub fn check_category_name(name: &str) -> Option<String> {
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

    /// A product name: not empty, at most [`MAX_PRODUCT_NAME`] characters.
    pub fn check_product_name(name: &str) -> Option<String> {
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

    /// A price in whole Rupiah: more than 0, at most [`MAX_PRICE`].
    pub fn check_price(price: i64) -> Option<String> {
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

    /// A description or SNK text (`field` names it): at most [`MAX_LONG_TEXT`] characters.
    pub fn check_long_text(field: &str, text: &str) -> Option<String> {
        let n = text.chars().count();
        (n > MAX_LONG_TEXT)
            .then(|| format!("`{field}` is {n} characters long; at most {MAX_LONG_TEXT}"))
    }

    /// A stock item: not blank, not too long. Never quotes the content: it is a secret.
    pub fn check_stock(content: &str) -> Option<String> {
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
}

/// Problems between entries: a category declared twice, a product code used twice, the same
/// stock item twice for one product.
pub fn cross_check(catalog: &CatalogFile, problems: &mut Problems) {
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

/// Every problem a catalog has on its own (without looking at a database): each entry against
/// [`rules`], and [`cross_check`]. Problems point at entry lines. [`import_catalog`] runs it
/// first, so a catalog built anywhere meets the same rules as a file.
pub fn validate(catalog: &CatalogFile) -> Vec<CatalogProblem> {
    let mut problems = Problems::new(&catalog.source);
    for category in &catalog.categories {
        if let Some(message) = rules::check_category_name(&category.name) {
            problems.push(category.line, message);
        }
    }
    for product in &catalog.products {
        let line = product.line;
        let checks = [
            rules::check_code(&product.code),
            rules::check_product_name(&product.name),
            rules::check_price(product.price),
            product
                .category
                .as_deref()
                .and_then(rules::check_category_name),
            rules::check_long_text("description", &product.description),
            product
                .snk
                .as_deref()
                .and_then(|t| rules::check_long_text("snk", t)),
        ];
        for message in checks.into_iter().flatten() {
            problems.push(line, format!("product {}: {message}", product.code));
        }
        for item in &product.stock {
            if let Some(message) = rules::check_stock(&item.content) {
                problems.push(item.line, format!("product {}: {message}", product.code));
            }
        }
    }
    cross_check(catalog, &mut problems);
    problems.into_sorted()
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
/// (what a reader could read of a file with problems): products naming a category that exists neither in the file nor in
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

/// The keyed hashes of one stock entry under every key of the ring, the current key's first:
/// the first is stored with a new item, all of them find an item already stored under any key
/// (one hashed before a key change and not yet rotated).
struct StockHashes(Vec<String>);

impl StockHashes {
    fn current(&self) -> &str {
        &self.0[0]
    }
}

/// The keyed hashes of every stock entry, per product. Pure work: done before taking the write
/// lock.
fn hash_stock(keys: &DataKeys, catalog: &CatalogFile) -> Vec<Vec<StockHashes>> {
    catalog
        .products
        .iter()
        .map(|product| {
            product
                .stock
                .iter()
                .map(|item| StockHashes(keys.content_hashes(item.content.as_bytes())))
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
    hashes: &[Vec<StockHashes>],
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
        if known.contains(name.as_str()) || rules::check_category_name(name).is_some() {
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
        // Every key's hash of every entry: an item stored under an older key is found too.
        let every: Vec<&str> = product_hashes
            .iter()
            .flat_map(|h| h.0.iter().map(String::as_str))
            .collect();
        let mut found: HashMap<String, (i64, String)> = HashMap::new();
        for chunk in every.chunks(CHUNK) {
            let rows: Vec<(String, i64, String)> = s::table
                .filter(s::product_id.eq(known.id))
                .filter(s::content_hash.eq_any(chunk))
                .select((s::content_hash, s::id, s::state))
                .load(conn)?;
            found.extend(rows.into_iter().map(|(h, id, state)| (h, (id, state))));
        }
        // A repeat within the file is reported as such; report the stored one once.
        let mut seen: HashSet<&str> = HashSet::new();
        for (item, hashes) in product.stock.iter().zip(product_hashes) {
            if !seen.insert(hashes.current()) {
                continue;
            }
            if let Some((id, state)) = hashes.0.iter().find_map(|h| found.get(h)) {
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
    hashes: &[Vec<StockHashes>],
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
        for (item, hashes) in product.stock.iter().zip(product_hashes) {
            let hash = hashes.current();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stock_debug_output_hides_the_content() {
        let item = StockEntry {
            content: "secret-voucher".into(),
            line: 3,
        };
        assert!(!format!("{item:?}").contains("secret"));
    }
}
