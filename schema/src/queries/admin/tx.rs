//! The transaction shape of every admin write: checks, the write and its audit row in one
//! write transaction, and a business refusal that rolls all of it back.

use diesel::prelude::*;

use crate::db::{DbConnection, write_tx};
use crate::error::StoreError;
use crate::queries::audit::ActorKind;
use crate::tables::audit_log as a;

/// Which input a write refused as invalid. The bot validated it already (with a message saying
/// what is expected); this is the storage's own guard against a caller that did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidField {
    /// Product or voucher code: 2–32 of A-Z 0-9 _ -.
    Code,
    /// Product name: 1–128 characters.
    ProductName,
    /// Price: 1 ..= 1 000 000 000 Rupiah.
    Price,
    /// Description: at most 3000 characters.
    Description,
    /// SNK text: 1–3000 characters.
    Snk,
    /// Category name: 1–64 characters.
    CategoryName,
    /// Voucher value: percent 1–100, or a flat amount like a price.
    VoucherValue,
    /// Maximum uses: at least 1.
    MaxUses,
    /// Validity window: from before until, and until not already past.
    VoucherWindow,
    /// Template text too long for one message (or caption), or empty.
    TemplateBody,
}

/// Who saved last, read from the audit log, for "changed meanwhile" messages and the owners'
/// notice of overlapping edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastWriter {
    /// The seller (`None`: the CLI or the system changed it).
    pub seller: Option<i64>,
    /// When, epoch milliseconds.
    pub at: i64,
}

/// Why an admin write did not happen. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminRefusal {
    /// The row is gone (deleted meanwhile, or an id the bot never showed).
    NotFound,
    /// Another save came first: the version the edit was based on is no longer current.
    ChangedMeanwhile {
        /// The version now stored.
        current_version: i64,
        /// Who saved it, when the audit log says.
        last_writer: Option<LastWriter>,
    },
    /// The product or voucher code is already used (archived products included).
    CodeTaken,
    /// The category picked for a product is gone (deleted meanwhile).
    CategoryGone,
    /// A category of that name exists (compared without case).
    NameTaken,
    /// The category still holds products (archived ones included).
    CategoryNotEmpty {
        /// How many.
        products: i64,
    },
    /// The product has orders: it can be archived, never deleted.
    HasOrders {
        /// How many orders name it.
        orders: i64,
    },
    /// The product is archived: restore it first.
    Archived,
    /// The product is not archived (restore of an active product).
    NotArchived,
    /// An input the storage refuses (see [`InvalidField`]).
    Invalid(InvalidField),
}

/// Inside an admin transaction: a refusal (rolls back) or a storage error.
#[derive(Debug)]
pub(crate) enum TxError {
    Refused(AdminRefusal),
    Store(StoreError),
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        TxError::Store(e.into())
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        TxError::Store(e)
    }
}

impl From<AdminRefusal> for TxError {
    fn from(r: AdminRefusal) -> Self {
        TxError::Refused(r)
    }
}

/// Runs `f` in a write transaction (a savepoint inside the caller's), rolling back on a refusal.
pub(crate) fn admin_tx<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, TxError>,
) -> Result<Result<T, AdminRefusal>, StoreError> {
    match write_tx(conn, f) {
        Ok(value) => Ok(Ok(value)),
        Err(TxError::Refused(refusal)) => Ok(Err(refusal)),
        Err(TxError::Store(e)) => Err(e),
    }
}

/// The last audited write on `subject`.
pub(crate) fn last_writer(
    conn: &mut DbConnection,
    subject: &str,
) -> Result<Option<LastWriter>, StoreError> {
    let row: Option<(String, Option<i64>, i64)> = a::table
        .filter(a::subject.eq(subject))
        .order(a::id.desc())
        .select((a::actor_kind, a::actor_id, a::created_at))
        .first(conn)
        .optional()?;
    Ok(row.map(|(kind, actor, at)| LastWriter {
        seller: (kind == ActorKind::Admin.as_str())
            .then_some(actor)
            .flatten(),
        at,
    }))
}

/// The refusal for a save based on `expected` when `current` is stored.
pub(crate) fn changed_meanwhile(
    conn: &mut DbConnection,
    subject: &str,
    current: i64,
) -> Result<TxError, StoreError> {
    Ok(TxError::Refused(AdminRefusal::ChangedMeanwhile {
        current_version: current,
        last_writer: last_writer(conn, subject)?,
    }))
}

/// Characters, not bytes: limits are about what a seller sees.
pub(crate) fn chars(s: &str) -> usize {
    s.chars().count()
}
