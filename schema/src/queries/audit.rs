//! The append-only audit log of admin actions and configuration changes. The database
//! refuses UPDATE and DELETE on this table (triggers in the initial migration).

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms};
use crate::error::StoreError;
use crate::tables::audit_log as a;

/// Who did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorKind {
    Admin,
    Owner,
    Customer,
    System,
    Cli,
}

impl ActorKind {
    /// As stored in `audit_log.actor_kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Admin => "admin",
            ActorKind::Owner => "owner",
            ActorKind::Customer => "customer",
            ActorKind::System => "system",
            ActorKind::Cli => "cli",
        }
    }
}

/// One audit entry. `details` is JSON and must not contain secrets.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub actor_kind: ActorKind,
    pub actor_id: Option<i64>,
    pub action: &'a str,
    pub subject: Option<&'a str>,
    pub details: serde_json::Value,
}

/// Appends an entry; call it inside the transaction of the change it records.
pub fn append_audit(conn: &mut DbConnection, entry: &AuditEntry<'_>) -> Result<i64, StoreError> {
    let id = diesel::insert_into(a::table)
        .values((
            a::actor_kind.eq(entry.actor_kind.as_str()),
            a::actor_id.eq(entry.actor_id),
            a::action.eq(entry.action),
            a::subject.eq(entry.subject),
            a::details.eq(entry.details.to_string()),
            a::created_at.eq(now_ms()),
        ))
        .returning(a::id)
        .get_result(conn)?;
    Ok(id)
}

/// The latest entries, newest first.
pub fn recent_audit(
    conn: &mut DbConnection,
    limit: i64,
) -> Result<Vec<(i64, String, String)>, StoreError> {
    Ok(a::table
        .order(a::id.desc())
        .limit(limit)
        .select((a::id, a::action, a::details))
        .load(conn)?)
}
