//! Key rotation of the values encrypted with `DATA_ENCRYPTION_KEY`: which key each value uses
//! ([`status`]), whether the ring opens every one of them ([`check_ring`]), and re-encrypting
//! them under the first key of the ring in resumable batches ([`rotate_batch`]).
//!
//! Layout: [`Column`] names every encrypted column with the associated data its values are
//! bound to; [`scan`] reads one batch of any column in id order (keyset paging, so a long
//! rotation never holds a transaction or re-reads a row); the three operations build on it.
//!
//! Rotation writes each value with a compare-and-swap (`… WHERE id = ? AND enc = <old>`), so a
//! value the bot changed meanwhile (a new WhatsApp number) is left alone, and running it again
//! skips what is done: it is idempotent and can be stopped at any point. Stock items are
//! re-hashed in the same step — the content hash is keyed by the key that encrypted the item
//! and is part of its associated data ([`super::catalog::stock_aad`]).

use std::collections::BTreeMap;

use diesel::prelude::*;

use crate::crypto::{CryptoError, DataKeys};
use crate::db::{DbConnection, write_tx};
use crate::error::StoreError;
use crate::queries::catalog::stock_aad;
use crate::queries::snk::snk_aad;
use crate::queries::users::whatsapp_aad;
use crate::tables::{snk_answers, stock_items, users};

/// Every column holding a value encrypted with `DATA_ENCRYPTION_KEY`. A new encrypted column
/// is added here, so rotation, `keys status` and preflight cover it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    /// `stock_items.content_enc`: what customers buy.
    StockContent,
    /// `snk_answers.answer_enc`: customers' answers to a product's terms.
    SnkAnswer,
    /// `users.whatsapp_enc`: customers' phone numbers.
    Whatsapp,
}

impl Column {
    /// Every encrypted column.
    pub const ALL: [Column; 3] = [Column::StockContent, Column::SnkAnswer, Column::Whatsapp];

    /// `table.column`, as operators see it.
    pub fn name(self) -> &'static str {
        match self {
            Column::StockContent => "stock_items.content_enc",
            Column::SnkAnswer => "snk_answers.answer_enc",
            Column::Whatsapp => "users.whatsapp_enc",
        }
    }
}

impl std::fmt::Display for Column {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One encrypted value as stored, with what its associated data is made of.
#[derive(Clone)]
pub struct Sealed {
    /// The row's id (user id for phone numbers).
    pub id: i64,
    pub blob: Vec<u8>,
    /// The associated data the value is bound to.
    pub aad: Vec<u8>,
    /// Stock items: the product (the hash is re-keyed with the value).
    pub product_id: Option<i64>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("id", &self.id)
            .field("key", &DataKeys::key_id_of(&self.blob).ok())
            .finish_non_exhaustive()
    }
}

/// Up to `limit` values of `column` with an id above `after`, in id order.
pub fn scan(
    conn: &mut DbConnection,
    column: Column,
    after: i64,
    limit: i64,
) -> Result<Vec<Sealed>, StoreError> {
    Ok(match column {
        Column::StockContent => stock_items::table
            .filter(stock_items::id.gt(after))
            .order(stock_items::id)
            .limit(limit)
            .select((
                stock_items::id,
                stock_items::product_id,
                stock_items::content_enc,
                stock_items::content_hash,
            ))
            .load::<(i64, i64, Vec<u8>, String)>(conn)?
            .into_iter()
            .map(|(id, product_id, blob, hash)| Sealed {
                id,
                blob,
                aad: stock_aad(product_id, &hash),
                product_id: Some(product_id),
            })
            .collect(),
        Column::SnkAnswer => snk_answers::table
            .filter(snk_answers::id.gt(after))
            .order(snk_answers::id)
            .limit(limit)
            .select((
                snk_answers::id,
                snk_answers::order_ref,
                snk_answers::product_id,
                snk_answers::answer_enc,
            ))
            .load::<(i64, String, i64, Vec<u8>)>(conn)?
            .into_iter()
            .map(|(id, order_ref, product_id, blob)| Sealed {
                id,
                blob,
                aad: snk_aad(&order_ref, product_id),
                product_id: None,
            })
            .collect(),
        Column::Whatsapp => users::table
            .filter(users::id.gt(after))
            .filter(users::whatsapp_enc.is_not_null())
            .order(users::id)
            .limit(limit)
            .select((users::id, users::whatsapp_enc.assume_not_null()))
            .load::<(i64, Vec<u8>)>(conn)?
            .into_iter()
            .map(|(id, blob)| Sealed {
                id,
                blob,
                aad: whatsapp_aad(id),
                product_id: None,
            })
            .collect(),
    })
}

/// Calls `each` for every value of `column`, `batch` rows per query.
fn for_each(
    conn: &mut DbConnection,
    column: Column,
    batch: i64,
    mut each: impl FnMut(&Sealed),
) -> Result<(), StoreError> {
    let mut after = i64::MIN;
    loop {
        let rows = scan(conn, column, after, batch)?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.id;
        rows.iter().for_each(&mut each);
    }
}

/// The key id a stored value names, or `None` when the bytes are not an encrypted value.
fn key_id(blob: &[u8]) -> Option<String> {
    DataKeys::key_id_of(blob).ok().map(str::to_owned)
}

/// How many values each key holds, per column (`None`: bytes that are not an encrypted value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyStatus {
    pub counts: BTreeMap<(Column, Option<String>), u64>,
}

impl KeyStatus {
    /// Values per key id over every column.
    pub fn by_key(&self) -> BTreeMap<Option<String>, u64> {
        let mut out = BTreeMap::new();
        for ((_, key), n) in &self.counts {
            *out.entry(key.clone()).or_default() += n;
        }
        out
    }

    /// Values not written with `current` (still to rotate, or unreadable).
    pub fn not_under(&self, current: &str) -> u64 {
        self.counts
            .iter()
            .filter(|((_, key), _)| key.as_deref() != Some(current))
            .map(|(_, n)| n)
            .sum()
    }
}

/// Counts the values of every column by the key that wrote them (reads the key id in each
/// value's header; decrypts nothing).
pub fn status(conn: &mut DbConnection, batch: i64) -> Result<KeyStatus, StoreError> {
    let mut out = KeyStatus::default();
    for column in Column::ALL {
        for_each(conn, column, batch, |v| {
            *out.counts.entry((column, key_id(&v.blob))).or_default() += 1;
        })?;
    }
    Ok(out)
}

/// A value the ring cannot open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub column: Column,
    pub id: i64,
    /// Why (names a key id at most, never content).
    pub reason: String,
}

/// Decrypts every value with the ring and lists those that fail (preflight: "every stored
/// value decryptable"; after removing a key: nothing was left behind).
pub fn check_ring(
    conn: &mut DbConnection,
    keys: &DataKeys,
    batch: i64,
) -> Result<(u64, Vec<Unreadable>), StoreError> {
    let mut checked = 0;
    let mut bad = Vec::new();
    for column in Column::ALL {
        for_each(conn, column, batch, |v| {
            checked += 1;
            if let Err(e) = keys.decrypt(&v.blob, &v.aad) {
                bad.push(Unreadable {
                    column,
                    id: v.id,
                    reason: e.to_string(),
                });
            }
        })?;
    }
    Ok((checked, bad))
}

/// What one [`rotate_batch`] did.
#[derive(Debug, Clone, Default)]
pub struct RotateStep {
    /// Rows looked at (the progress of the scan).
    pub scanned: u64,
    /// Values re-encrypted under the first key.
    pub rotated: u64,
    /// Values that changed meanwhile and were left for the next run.
    pub changed_meanwhile: u64,
    /// Values the ring cannot open, or stock items whose re-keyed hash names another item of
    /// the same product (a duplicate stored before duplicate checks covered every key).
    pub problems: Vec<Unreadable>,
    /// The last id scanned: where the next batch starts; `None` when the column is done.
    pub next_after: Option<i64>,
}

/// Re-encrypts, under the ring's first key, the values of `column` with an id above `after`
/// that another key wrote (up to `limit` rows scanned), in one write transaction.
///
/// Decryption and encryption happen before the transaction; each write only lands when the
/// stored bytes are still the ones read.
pub fn rotate_batch(
    conn: &mut DbConnection,
    keys: &DataKeys,
    column: Column,
    after: i64,
    limit: i64,
) -> Result<RotateStep, StoreError> {
    let rows = scan(conn, column, after, limit)?;
    let mut step = RotateStep {
        scanned: rows.len() as u64,
        next_after: rows.last().map(|r| r.id),
        ..RotateStep::default()
    };
    struct Change {
        id: i64,
        old: Vec<u8>,
        new: Vec<u8>,
        /// Stock items: (product, new content hash).
        rehash: Option<(i64, String)>,
    }
    let mut changes = Vec::new();
    for row in rows {
        if key_id(&row.blob).as_deref() == Some(keys.current_id()) {
            continue;
        }
        let problem = |e: CryptoError| Unreadable {
            column,
            id: row.id,
            reason: e.to_string(),
        };
        let plain = match keys.decrypt(&row.blob, &row.aad) {
            Ok(p) => p,
            Err(e) => {
                step.problems.push(problem(e));
                continue;
            }
        };
        let (new, rehash) = match row.product_id {
            Some(product_id) => {
                let hash = keys.content_hash(&plain);
                let sealed = keys.encrypt(&plain, &stock_aad(product_id, &hash));
                (sealed, Some((product_id, hash)))
            }
            None => (keys.encrypt(&plain, &row.aad), None),
        };
        changes.push(Change {
            id: row.id,
            old: row.blob,
            new,
            rehash,
        });
    }
    if changes.is_empty() {
        return Ok(step);
    }
    write_tx(conn, |c| {
        for change in &changes {
            let written = match (column, &change.rehash) {
                (Column::StockContent, Some((product_id, hash))) => {
                    let twin: Option<i64> = stock_items::table
                        .filter(stock_items::product_id.eq(product_id))
                        .filter(stock_items::content_hash.eq(hash))
                        .filter(stock_items::id.ne(change.id))
                        .select(stock_items::id)
                        .first(c)
                        .optional()?;
                    if let Some(twin) = twin {
                        step.problems.push(Unreadable {
                            column,
                            id: change.id,
                            reason: format!(
                                "same content as stock item #{twin} of the same product; \
                                 remove one of them, then rotate again"
                            ),
                        });
                        continue;
                    }
                    diesel::update(
                        stock_items::table
                            .filter(stock_items::id.eq(change.id))
                            .filter(stock_items::content_enc.eq(&change.old)),
                    )
                    .set((
                        stock_items::content_enc.eq(&change.new),
                        stock_items::content_hash.eq(hash),
                    ))
                    .execute(c)?
                }
                (Column::SnkAnswer, _) => diesel::update(
                    snk_answers::table
                        .filter(snk_answers::id.eq(change.id))
                        .filter(snk_answers::answer_enc.eq(&change.old)),
                )
                .set(snk_answers::answer_enc.eq(&change.new))
                .execute(c)?,
                (Column::Whatsapp, _) => diesel::update(
                    users::table
                        .filter(users::id.eq(change.id))
                        .filter(users::whatsapp_enc.eq(&change.old)),
                )
                .set(users::whatsapp_enc.eq(&change.new))
                .execute(c)?,
                (Column::StockContent, None) => 0,
            };
            if written == 1 {
                step.rotated += 1;
            } else {
                step.changed_meanwhile += 1;
            }
        }
        Ok::<_, StoreError>(())
    })?;
    Ok(step)
}
