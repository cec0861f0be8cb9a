//! Stock: add items one per line (typed, or a `.txt`/`.csv` upload), list unsold items with a
//! masked preview, delete chosen unsold items.
//!
//! Contents are stored only encrypted ([`DataKeys::encrypt`] with
//! [`crate::queries::catalog::stock_aad`]), like the catalog import does, and found
//! again by their keyed hash, so duplicates are detected without decrypting anything.
//!
//! **Duplicates** are refused against the whole store — any product, sold or not — as well as
//! within the upload: the same credential under two products would be sold twice. The report
//! names each refused line by its number (and, for a stored duplicate, the product holding it and
//! whether it was sold), never by its content. Lines that are fine are added; the seller sees a
//! summary of added / duplicate / empty / too long lines.
//!
//! **Concurrency**: the unique index only covers `(product_id, content_hash)`, so two sellers
//! adding the same line to two products at once would both pass the check. Additions therefore
//! serialise: SQLite's `BEGIN IMMEDIATE` does it already, PostgreSQL takes a transaction-scoped
//! advisory lock first. Deleting only ever removes rows still `available` (`DELETE … WHERE state =
//! 'available'`), so an item a buyer reserved meanwhile is never deleted from under the order.

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde_json::json;

use super::audit::{AdminAction, record_admin_write, subject};
use super::ids::{ProductId, SellerId, StockItemId};
use super::paging::{Page, PageRequest};
use super::rules::MAX_STOCK_ITEM;
use super::tx::{AdminRefusal, TxError, admin_tx};
use crate::crypto::DataKeys;
use crate::db::{DbConnection, now_ms};
use crate::error::StoreError;
use crate::queries::catalog::stock_aad;
use crate::tables::{products as p, stock_items as s};

/// Key of the PostgreSQL advisory lock that serialises stock additions ("autostck").
const PG_STOCK_LOCK: i64 = 0x6175_746f_7374_636b;
/// Hashes per `IN (…)` list, far below every backend's parameter limit.
const CHUNK: usize = 500;

/// Where a stock item is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockState {
    /// For sale.
    Available,
    /// Held by an unpaid order.
    Reserved,
    /// Delivered with a paid order.
    Sold,
}

impl StockState {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            StockState::Available => "available",
            StockState::Reserved => "reserved",
            StockState::Sold => "sold",
        }
    }

    /// The state stored as `s`.
    pub fn parse(s: &str) -> Result<StockState, StoreError> {
        match s {
            "available" => Ok(StockState::Available),
            "reserved" => Ok(StockState::Reserved),
            "sold" => Ok(StockState::Sold),
            other => Err(StoreError::Corrupt(format!("stock state {other:?}"))),
        }
    }
}

/// A product's items by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StockCounts {
    pub available: i64,
    pub reserved: i64,
    pub sold: i64,
}

/// A product's items by state.
pub fn stock_counts(
    conn: &mut DbConnection,
    product: ProductId,
) -> Result<StockCounts, StoreError> {
    let rows: Vec<(String, i64)> = s::table
        .filter(s::product_id.eq(product.0))
        .group_by(s::state)
        .select((s::state, count_star()))
        .load(conn)?;
    let mut counts = StockCounts::default();
    for (state, n) in rows {
        match StockState::parse(&state)? {
            StockState::Available => counts.available = n,
            StockState::Reserved => counts.reserved = n,
            StockState::Sold => counts.sold = n,
        }
    }
    Ok(counts)
}

/// One item of an upload, with its line number (1-based, as an editor shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    pub line: usize,
    pub content: String,
}

/// An upload split into items, and the line numbers that are not items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SplitUpload {
    pub items: Vec<StockLine>,
    /// Blank lines (skipped).
    pub empty: Vec<usize>,
    /// Lines longer than [`MAX_STOCK_ITEM`] characters (refused: they would not fit a message).
    pub too_long: Vec<usize>,
}

/// Splits a typed message or an uploaded file into one item per line: `\n` or `\r\n` endings,
/// a UTF-8 byte-order mark dropped, spaces around an item trimmed. A `.csv` is read the same way
/// (the whole line is the item), so a one-column spreadsheet export works as it is.
pub fn split_upload(text: &str) -> SplitUpload {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut split = SplitUpload::default();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.trim();
        if content.is_empty() {
            split.empty.push(line);
        } else if content.chars().count() > MAX_STOCK_ITEM {
            split.too_long.push(line);
        } else {
            split.items.push(StockLine {
                line,
                content: content.to_owned(),
            });
        }
    }
    split
}

/// A line that repeats an earlier line of the same upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatedLine {
    pub line: usize,
    pub first_line: usize,
}

/// A line whose item the store already holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDuplicate {
    pub line: usize,
    /// The product holding it (maybe another one).
    pub product_id: ProductId,
    pub product_name: String,
    /// Whether it is still for sale, reserved or sold.
    pub state: StockState,
}

/// What an upload did (or, checked, would do), line by line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockReport {
    /// Lines added (checked: lines that would be added).
    pub added: Vec<usize>,
    /// Lines repeating an earlier line of the upload.
    pub repeated: Vec<RepeatedLine>,
    /// Lines already in the store.
    pub in_store: Vec<StoredDuplicate>,
    /// Blank lines.
    pub empty: Vec<usize>,
    /// Lines over [`MAX_STOCK_ITEM`] characters.
    pub too_long: Vec<usize>,
    /// Available items of the product afterwards (checked: now).
    pub available_after: i64,
}

impl StockReport {
    /// Lines refused as duplicates (within the upload or in the store).
    pub fn duplicates(&self) -> usize {
        self.repeated.len() + self.in_store.len()
    }
}

/// What the store holds of some hashes: hash → (product id, product name, state).
fn stored_hashes(
    conn: &mut DbConnection,
    hashes: &[&str],
) -> Result<HashMap<String, (i64, String, String)>, StoreError> {
    let mut found = HashMap::new();
    for chunk in hashes.chunks(CHUNK) {
        let rows: Vec<(String, i64, String, String)> = s::table
            .inner_join(p::table)
            .filter(s::content_hash.eq_any(chunk))
            .order(s::id.asc())
            .select((s::content_hash, s::product_id, p::name, s::state))
            .load(conn)?;
        for (hash, product, name, state) in rows {
            found.entry(hash).or_insert((product, name, state));
        }
    }
    Ok(found)
}

fn available(conn: &mut DbConnection, product: ProductId) -> Result<i64, StoreError> {
    Ok(s::table
        .filter(s::product_id.eq(product.0))
        .filter(s::state.eq(StockState::Available.as_str()))
        .select(count_star())
        .first(conn)?)
}

/// Checks that the product exists and is not archived.
fn stockable(conn: &mut DbConnection, product: ProductId) -> Result<(), TxError> {
    let row: Option<(Option<i64>, bool)> = p::table
        .filter(p::id.eq(product.0))
        .select((p::archived_at, p::is_active))
        .first(conn)
        .optional()?;
    match row {
        None => Err(AdminRefusal::NotFound.into()),
        Some((archived_at, is_active)) if archived_at.is_some() || !is_active => {
            Err(AdminRefusal::Archived.into())
        }
        Some(_) => Ok(()),
    }
}

fn run(
    conn: &mut DbConnection,
    keys: &DataKeys,
    seller: Option<SellerId>,
    product: ProductId,
    text: &str,
) -> Result<Result<StockReport, AdminRefusal>, StoreError> {
    let split = split_upload(text);
    // Hashing is pure work: done before the write lock is taken.
    let hashes: Vec<String> = split
        .items
        .iter()
        .map(|item| keys.content_hash(item.content.as_bytes()))
        .collect();
    admin_tx(conn, |conn| {
        stockable(conn, product)?;
        if seller.is_some()
            && let DbConnection::Pg(c) = conn
        {
            c.batch_execute(&format!("SELECT pg_advisory_xact_lock({PG_STOCK_LOCK})"))?;
        }
        let before = available(conn, product)?;
        let unique: Vec<&str> = {
            let mut seen = std::collections::HashSet::new();
            hashes
                .iter()
                .map(String::as_str)
                .filter(|h| seen.insert(*h))
                .collect()
        };
        let stored = stored_hashes(conn, &unique)?;
        let mut report = StockReport {
            empty: split.empty.clone(),
            too_long: split.too_long.clone(),
            ..StockReport::default()
        };
        let mut first_seen: HashMap<&str, usize> = HashMap::new();
        let mut to_add: Vec<(&StockLine, &str)> = Vec::new();
        for (item, hash) in split.items.iter().zip(&hashes) {
            if let Some((product_id, product_name, state)) = stored.get(hash) {
                report.in_store.push(StoredDuplicate {
                    line: item.line,
                    product_id: ProductId(*product_id),
                    product_name: product_name.clone(),
                    state: StockState::parse(state)?,
                });
            } else if let Some(first) = first_seen.get(hash.as_str()) {
                report.repeated.push(RepeatedLine {
                    line: item.line,
                    first_line: *first,
                });
            } else {
                first_seen.insert(hash, item.line);
                to_add.push((item, hash));
            }
        }
        report.added = to_add.iter().map(|(item, _)| item.line).collect();
        let Some(seller) = seller else {
            report.available_after = before;
            return Ok(report);
        };
        let now = now_ms();
        for (item, hash) in &to_add {
            let sealed = keys.encrypt(item.content.as_bytes(), &stock_aad(product.0, hash));
            diesel::insert_into(s::table)
                .values((
                    s::product_id.eq(product.0),
                    s::content_enc.eq(&sealed),
                    s::content_hash.eq(*hash),
                    s::state.eq(StockState::Available.as_str()),
                    s::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        report.available_after = before + to_add.len() as i64;
        if !to_add.is_empty() {
            record_admin_write(
                conn,
                seller,
                AdminAction::StockAdd,
                &subject::stock(product),
                json!({ "available": before }),
                json!({
                    "available": report.available_after,
                    "added": report.added.len(),
                    "duplicates": report.duplicates(),
                    "empty": report.empty.len(),
                    "too_long": report.too_long.len(),
                }),
            )?;
        }
        Ok(report)
    })
}

/// What [`add_stock`] would do with `text`, without writing: the confirmation screen. The
/// answer can change before the seller confirms; [`add_stock`] checks again.
pub fn check_stock(
    conn: &mut DbConnection,
    keys: &DataKeys,
    product: ProductId,
    text: &str,
) -> Result<Result<StockReport, AdminRefusal>, StoreError> {
    run(conn, keys, None, product, text)
}

/// Adds every line of `text` that is neither blank, too long nor a duplicate, as available
/// items of `product`, and reports every line. Refused: [`AdminRefusal::NotFound`],
/// [`AdminRefusal::Archived`].
pub fn add_stock(
    conn: &mut DbConnection,
    keys: &DataKeys,
    seller: SellerId,
    product: ProductId,
    text: &str,
) -> Result<Result<StockReport, AdminRefusal>, StoreError> {
    run(conn, keys, Some(seller), product, text)
}

/// An unsold item in the admin list: enough to recognise it, not enough to use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsoldItem {
    pub id: StockItemId,
    /// [`mask_preview`] of the content; `None` when it cannot be decrypted (a key removed from
    /// the configuration too early, or a damaged row).
    pub preview: Option<String>,
    /// When it was added, epoch milliseconds.
    pub added_at: i64,
}

/// The start of an item, then `•••`: a seller recognises an account by its first characters,
/// while a screenshot of the list hands out nothing usable (the end of an item, where passwords
/// usually are, is never shown). At most 6 characters and a third of the item are shown.
pub fn mask_preview(content: &str) -> String {
    let n = content.chars().count();
    let shown = if n <= 3 { 0 } else { (n / 3).min(6) };
    let mut preview: String = content.chars().take(shown).collect();
    preview.push_str("•••");
    preview
}

/// A page of a product's unsold (available) items, oldest first (the order they are sold in).
pub fn list_unsold(
    conn: &mut DbConnection,
    keys: &DataKeys,
    product: ProductId,
    request: PageRequest,
) -> Result<Page<UnsoldItem>, StoreError> {
    let total = available(conn, product)?;
    let (page, offset, pages) = request.resolve(total);
    let rows: Vec<(i64, Vec<u8>, String, i64)> = s::table
        .filter(s::product_id.eq(product.0))
        .filter(s::state.eq(StockState::Available.as_str()))
        .order(s::id.asc())
        .offset(offset)
        .limit(i64::from(request.per_page))
        .select((s::id, s::content_enc, s::content_hash, s::created_at))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(id, sealed, hash, added_at)| UnsoldItem {
            id: StockItemId(id),
            preview: keys
                .decrypt_str(&sealed, &stock_aad(product.0, &hash))
                .ok()
                .map(|content| mask_preview(&content)),
            added_at,
        })
        .collect();
    Ok(Page::new(items, page, pages, total))
}

/// What a deletion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockDeletion {
    /// Items deleted.
    pub deleted: usize,
    /// Chosen items not deleted: reserved or sold meanwhile, already deleted, or of another
    /// product.
    pub skipped: usize,
    /// Available items of the product afterwards.
    pub available_after: i64,
}

/// Deletes chosen unsold items of `product`. Only rows still available are touched, in the
/// statement itself, so a reservation that won the race keeps its item. Refused:
/// [`AdminRefusal::NotFound`] (the product is gone).
pub fn delete_stock(
    conn: &mut DbConnection,
    seller: SellerId,
    product: ProductId,
    items: &[StockItemId],
) -> Result<Result<StockDeletion, AdminRefusal>, StoreError> {
    admin_tx(conn, |conn| {
        let exists: i64 = p::table
            .filter(p::id.eq(product.0))
            .select(count_star())
            .first(conn)?;
        if exists == 0 {
            return Err(AdminRefusal::NotFound.into());
        }
        let before = available(conn, product)?;
        let mut deleted: Vec<i64> = Vec::new();
        let ids: Vec<i64> = items.iter().map(|i| i.0).collect();
        for chunk in ids.chunks(CHUNK) {
            deleted.extend(
                diesel::delete(
                    s::table
                        .filter(s::product_id.eq(product.0))
                        .filter(s::id.eq_any(chunk))
                        .filter(s::state.eq(StockState::Available.as_str())),
                )
                .returning(s::id)
                .get_results::<i64>(conn)?,
            );
        }
        let after = before - deleted.len() as i64;
        if !deleted.is_empty() {
            deleted.sort_unstable();
            record_admin_write(
                conn,
                seller,
                AdminAction::StockDelete,
                &subject::stock(product),
                json!({ "available": before, "items": deleted }),
                json!({ "available": after }),
            )?;
        }
        Ok(StockDeletion {
            deleted: deleted.len(),
            skipped: items.len() - deleted.len(),
            available_after: after,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_split_into_numbered_items() {
        let long = "x".repeat(MAX_STOCK_ITEM + 1);
        let text = format!("\u{feff}a@x.id:1\r\n\n  b@x.id:2  \n{long}\n   \nc\n");
        let split = split_upload(&text);
        assert_eq!(
            split.items,
            vec![
                StockLine {
                    line: 1,
                    content: "a@x.id:1".into()
                },
                StockLine {
                    line: 3,
                    content: "b@x.id:2".into()
                },
                StockLine {
                    line: 6,
                    content: "c".into()
                },
            ]
        );
        assert_eq!(split.empty, vec![2, 5]);
        assert_eq!(split.too_long, vec![4]);
        assert_eq!(split_upload(""), SplitUpload::default());
    }

    #[test]
    fn previews_show_only_the_start() {
        assert_eq!(mask_preview("user@example.com:rahasia"), "user@e•••");
        assert_eq!(mask_preview("ABCD-1234"), "ABC•••");
        assert_eq!(mask_preview("abc"), "•••");
        assert_eq!(mask_preview(""), "•••");
        assert!(!mask_preview("akun@x.id:pass123").contains("pass"));
    }
}
