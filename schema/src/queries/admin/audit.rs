//! The audit row of every admin write: which seller, which action, on what, and the values before
//! and after. Written by the same transaction as the change (see the module docs of
//! [`super`]); the table itself refuses updates and deletes.
//!
//! `details` is `{"before": …, "after": …}`. Stock contents are never in it (ids and counts
//! only).

use diesel::prelude::*;
use serde_json::{Value, json};

use super::ids::SellerId;
use crate::db::DbConnection;
use crate::error::StoreError;
use crate::queries::audit::{ActorKind, AuditEntry, append_audit};
use crate::tables::audit_log as a;

/// What a seller did. Part 2 of the admin menu appends its own variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminAction {
    ProductCreate,
    ProductEdit,
    ProductArchive,
    ProductRestore,
    ProductDelete,
    CategoryCreate,
    CategoryRename,
    CategoryMove,
    CategoryDelete,
    StockAdd,
    StockDelete,
    SnkSet,
    SnkClear,
    VoucherCreate,
    VoucherDeactivate,
    VoucherReactivate,
    TemplateSave,
    TemplateReset,
    BuyerMode,
}

impl AdminAction {
    /// Every action, for tests and reports.
    pub const ALL: [AdminAction; 19] = [
        AdminAction::ProductCreate,
        AdminAction::ProductEdit,
        AdminAction::ProductArchive,
        AdminAction::ProductRestore,
        AdminAction::ProductDelete,
        AdminAction::CategoryCreate,
        AdminAction::CategoryRename,
        AdminAction::CategoryMove,
        AdminAction::CategoryDelete,
        AdminAction::StockAdd,
        AdminAction::StockDelete,
        AdminAction::SnkSet,
        AdminAction::SnkClear,
        AdminAction::VoucherCreate,
        AdminAction::VoucherDeactivate,
        AdminAction::VoucherReactivate,
        AdminAction::TemplateSave,
        AdminAction::TemplateReset,
        AdminAction::BuyerMode,
    ];

    /// The stored `action` (`admin.<area>.<verb>`).
    pub fn as_str(self) -> &'static str {
        use AdminAction as A;
        match self {
            A::ProductCreate => "admin.product.create",
            A::ProductEdit => "admin.product.edit",
            A::ProductArchive => "admin.product.archive",
            A::ProductRestore => "admin.product.restore",
            A::ProductDelete => "admin.product.delete",
            A::CategoryCreate => "admin.category.create",
            A::CategoryRename => "admin.category.rename",
            A::CategoryMove => "admin.category.move",
            A::CategoryDelete => "admin.category.delete",
            A::StockAdd => "admin.stock.add",
            A::StockDelete => "admin.stock.delete",
            A::SnkSet => "admin.snk.set",
            A::SnkClear => "admin.snk.clear",
            A::VoucherCreate => "admin.voucher.create",
            A::VoucherDeactivate => "admin.voucher.deactivate",
            A::VoucherReactivate => "admin.voucher.reactivate",
            A::TemplateSave => "admin.template.save",
            A::TemplateReset => "admin.template.reset",
            A::BuyerMode => "admin.buyer_mode",
        }
    }

    /// The action stored as `s`, if it is one of these.
    pub fn parse(s: &str) -> Option<AdminAction> {
        AdminAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Appends the audit row of an admin write; call it inside the write's transaction.
pub fn record_admin_write(
    conn: &mut DbConnection,
    seller: SellerId,
    action: AdminAction,
    subject: &str,
    before: Value,
    after: Value,
) -> Result<i64, StoreError> {
    append_audit(
        conn,
        &AuditEntry {
            actor_kind: ActorKind::Admin,
            actor_id: Some(seller.0),
            action: action.as_str(),
            subject: Some(subject),
            details: json!({ "before": before, "after": after }),
        },
    )
}

/// One audit row of an admin write, read back.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    /// The seller.
    pub seller: Option<i64>,
    /// What was done (`None`: an action this build does not know).
    pub action: Option<AdminAction>,
    /// On what (`product:12`, `template:welcome`, …).
    pub subject: Option<String>,
    /// The value before (JSON null when there was none).
    pub before: Value,
    /// The value after (JSON null when there is none).
    pub after: Value,
    /// When, epoch milliseconds.
    pub at: i64,
}

/// actor id, action, subject, details, created at.
type AuditTuple = (Option<i64>, String, Option<String>, String, i64);

/// The admin audit rows, oldest first; only those on `subject` when given.
pub fn admin_audit_of(
    conn: &mut DbConnection,
    subject: Option<&str>,
) -> Result<Vec<AuditRow>, StoreError> {
    let mut query = a::table
        .filter(a::actor_kind.eq(ActorKind::Admin.as_str()))
        .order(a::id.asc())
        .select((
            a::actor_id,
            a::action,
            a::subject,
            a::details,
            a::created_at,
        ))
        .into_boxed();
    if let Some(subject) = subject {
        query = query.filter(a::subject.eq(subject.to_owned()));
    }
    let rows: Vec<AuditTuple> = query.load(conn)?;
    rows.into_iter()
        .map(|(seller, action, subject, details, at)| {
            let details: Value = serde_json::from_str(&details)
                .map_err(|e| StoreError::Corrupt(format!("audit details: {e}")))?;
            Ok(AuditRow {
                seller,
                action: AdminAction::parse(&action),
                subject,
                before: details.get("before").cloned().unwrap_or(Value::Null),
                after: details.get("after").cloned().unwrap_or(Value::Null),
                at,
            })
        })
        .collect()
}

/// Audit subjects, one format for every area.
pub(crate) mod subject {
    use super::super::ids::{CategoryId, ProductId, SellerId, VoucherId};

    pub fn product(id: ProductId) -> String {
        format!("product:{id}")
    }
    pub fn snk(id: ProductId) -> String {
        format!("snk:product:{id}")
    }
    pub fn stock(id: ProductId) -> String {
        format!("stock:product:{id}")
    }
    pub fn category(id: CategoryId) -> String {
        format!("category:{id}")
    }
    pub fn voucher(id: VoucherId) -> String {
        format!("voucher:{id}")
    }
    pub fn template(key: &str) -> String {
        format!("template:{key}")
    }
    pub fn seller(id: SellerId) -> String {
        format!("seller:{id}")
    }
}
