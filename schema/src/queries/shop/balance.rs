//! The balance ledger: every change is a ledger row with a typed reason and a reference to what
//! justifies it, written in the same transaction as the balance update; the CHECK constraints
//! keep both non-negative and the unique (reason, reference) index makes a second credit for
//! the same payment impossible.
//!
//! Layout: [`apply_balance_change`] (the one primitive; callers are the checkout, completion
//! and refund transactions), then the two entry points for people: [`adjust_balance`] (a
//! seller, audited) and [`record_opening_balance`] (the legacy import), then reads.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::queries::audit::{ActorKind, AuditEntry, append_audit};
use crate::queries::shop::status::LedgerReason;
use crate::tables::{balance_ledger as l, users as u};

/// Why a debit was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsufficientBalance {
    pub balance: i64,
    pub needed: i64,
}

/// Adds `delta` (negative = debit) to a user's balance with a ledger row. A debit larger than
/// the balance changes nothing and returns `Err(InsufficientBalance)`. Call inside the
/// transaction of the change that causes it; `reference` must name what justifies the change
/// (see [`LedgerReason`]), and the same (reason, reference) can never be written twice — the
/// database refuses it, so a caller that raced past its own guard fails instead of paying twice.
pub fn apply_balance_change(
    conn: &mut DbConnection,
    user_id: i64,
    delta: i64,
    reason: LedgerReason,
    reference: &str,
    actor_id: Option<i64>,
) -> Result<Result<i64, InsufficientBalance>, StoreError> {
    // Its own (nested) transaction, so a refused ledger row never leaves a changed balance.
    write_tx(conn, |conn| {
        if delta == 0 {
            let balance: i64 = u::table.find(user_id).select(u::balance).first(conn)?;
            return Ok(Ok(balance));
        }
        let updated = diesel::update(u::table.find(user_id).filter(u::balance.ge(-delta.min(0))))
            .set(u::balance.eq(u::balance + delta))
            .execute(conn)?;
        let balance: i64 = u::table.find(user_id).select(u::balance).first(conn)?;
        if updated == 0 {
            return Ok(Err(InsufficientBalance {
                balance,
                needed: -delta,
            }));
        }
        diesel::insert_into(l::table)
            .values((
                l::user_id.eq(user_id),
                l::delta.eq(delta),
                l::balance_after.eq(balance),
                l::reason.eq(reason.as_str()),
                l::reference.eq(reference),
                l::actor_id.eq(actor_id),
                l::created_at.eq(now_ms()),
            ))
            .execute(conn)?;
        Ok(Ok(balance))
    })
}

/// The audit action of a seller's balance change; `reconcile` looks it up.
pub const ADJUST_ACTION: &str = "balance.adjust";
/// Longest reason a seller can give.
pub const MAX_REASON_CHARS: usize = 500;

/// Why a seller's balance change was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdjustProblem {
    /// The reason is mandatory.
    #[error("a reason is required")]
    NoReason,
    /// Longer than [`MAX_REASON_CHARS`].
    #[error("the reason is longer than {MAX_REASON_CHARS} characters")]
    ReasonTooLong,
    /// A change of zero is not a change.
    #[error("the amount must not be zero")]
    ZeroAmount,
    /// No such customer.
    #[error("unknown user")]
    UnknownUser,
    /// The balance would go below zero.
    #[error("the balance would go below zero")]
    Insufficient(InsufficientBalance),
}

/// A seller's balance change, done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adjusted {
    /// The balance after the change.
    pub balance: i64,
    /// The audit row that justifies the ledger row (its reference is `audit:<id>`).
    pub audit_id: i64,
}

/// A seller (or owner) adds to or takes from a customer's balance, with a mandatory reason:
/// one audit row (who, how much, why) and one ledger row with reason
/// [`LedgerReason::AdminAdjust`], the seller as actor and reference `audit:<audit id>`, in one
/// transaction. Never below zero. Nested inside a caller's transaction it becomes a savepoint.
pub fn adjust_balance(
    conn: &mut DbConnection,
    user_id: i64,
    delta: i64,
    actor_admin_id: i64,
    reason: &str,
) -> Result<Result<Adjusted, AdjustProblem>, StoreError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Ok(Err(AdjustProblem::NoReason));
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Ok(Err(AdjustProblem::ReasonTooLong));
    }
    if delta == 0 {
        return Ok(Err(AdjustProblem::ZeroAmount));
    }
    let result = write_tx(conn, |conn| -> Result<Adjusted, AdjustAbort> {
        let exists: i64 = u::table.find(user_id).count().get_result(conn)?;
        if exists == 0 {
            return Err(AdjustAbort::Problem(AdjustProblem::UnknownUser));
        }
        let subject = user_id.to_string();
        let audit_id = append_audit(
            conn,
            &AuditEntry {
                actor_kind: ActorKind::Admin,
                actor_id: Some(actor_admin_id),
                action: ADJUST_ACTION,
                subject: Some(&subject),
                details: serde_json::json!({ "user_id": user_id, "delta": delta, "reason": reason }),
            },
        )?;
        let reference = format!("audit:{audit_id}");
        match apply_balance_change(
            conn,
            user_id,
            delta,
            LedgerReason::AdminAdjust,
            &reference,
            Some(actor_admin_id),
        )? {
            Ok(balance) => Ok(Adjusted { balance, audit_id }),
            Err(short) => Err(AdjustAbort::Problem(AdjustProblem::Insufficient(short))),
        }
    });
    match result {
        Ok(done) => Ok(Ok(done)),
        Err(AdjustAbort::Problem(p)) => Ok(Err(p)),
        Err(AdjustAbort::Store(e)) => Err(e),
    }
}

/// Rolls an adjustment back: a refusal to report, or a storage error.
enum AdjustAbort {
    Problem(AdjustProblem),
    Store(StoreError),
}

impl From<diesel::result::Error> for AdjustAbort {
    fn from(e: diesel::result::Error) -> Self {
        AdjustAbort::Store(e.into())
    }
}

impl From<StoreError> for AdjustAbort {
    fn from(e: StoreError) -> Self {
        AdjustAbort::Store(e)
    }
}

/// The ledger reference of an imported opening balance.
pub fn opening_balance_reference(legacy_user_id: i64) -> String {
    format!("legacy-user:{legacy_user_id}")
}

/// Credits an opening balance brought over from the old bot: one ledger row with reason
/// [`LedgerReason::Import`] and reference `legacy-user:<legacy id>`. A second import of the
/// same legacy user is refused by the ledger's unique index (the caller's transaction fails),
/// so an import can never credit twice. Call inside the import's transaction.
pub fn record_opening_balance(
    conn: &mut DbConnection,
    user_id: i64,
    amount: i64,
    legacy_user_id: i64,
) -> Result<i64, StoreError> {
    if amount < 0 {
        return Err(StoreError::Corrupt(format!(
            "opening balance of user {user_id} is negative ({amount})"
        )));
    }
    apply_balance_change(
        conn,
        user_id,
        amount,
        LedgerReason::Import,
        &opening_balance_reference(legacy_user_id),
        None,
    )?
    .map_err(|_| StoreError::Corrupt(format!("crediting user {user_id} was refused")))
}

/// A user's balance.
pub fn balance_of(conn: &mut DbConnection, user_id: i64) -> Result<i64, StoreError> {
    Ok(u::table
        .find(user_id)
        .select(u::balance)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
}

/// The sum of a user's ledger (equals the balance; tests and audits check it).
pub fn ledger_sum(conn: &mut DbConnection, user_id: i64) -> Result<i64, StoreError> {
    let deltas: Vec<i64> = l::table
        .filter(l::user_id.eq(user_id))
        .select(l::delta)
        .load(conn)?;
    Ok(deltas.iter().sum())
}

/// One ledger row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = l)]
pub struct LedgerRow {
    pub id: i64,
    pub user_id: i64,
    pub delta: i64,
    pub balance_after: i64,
    #[diesel(deserialize_as = String)]
    pub reason: LedgerReasonText,
    pub reference: Option<String>,
    pub actor_id: Option<i64>,
    pub created_at: i64,
}

/// A stored ledger reason: typed when this version knows it, kept verbatim otherwise (old rows
/// or a newer version's), so `reconcile` can name it instead of failing to read the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerReasonText {
    Known(LedgerReason),
    Unknown(String),
}

impl From<String> for LedgerReasonText {
    fn from(text: String) -> Self {
        match LedgerReason::parse(&text) {
            Ok(r) => LedgerReasonText::Known(r),
            Err(_) => LedgerReasonText::Unknown(text),
        }
    }
}

/// A user's ledger, oldest first.
pub fn ledger_of(conn: &mut DbConnection, user_id: i64) -> Result<Vec<LedgerRow>, StoreError> {
    Ok(l::table
        .filter(l::user_id.eq(user_id))
        .order(l::id.asc())
        .select(LedgerRow::as_select())
        .load(conn)?)
}
