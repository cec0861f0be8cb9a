//! *User* in the admin menu: the paged customer list, search by id / @username / name, the
//! profile card (balance, orders, total spent, joined, last seen, blocked / unreachable) and
//! block / unblock with a reason — refused for sellers and owners, audited in the same
//! transaction.
//!
//! A customer's order history is [`super::orders::list_orders`] with `user_id` set. Balance
//! adjustments go through the shop's ledger transaction, never through here.

use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::queries::admin::listing::{Page, PageRequest, customer_name};
use crate::queries::admin::orders::OrderStatus;
use crate::queries::audit::{ActorKind, AuditEntry, append_audit};
use crate::tables::{orders as o, users as u};

/// Longest block / unblock reason, in characters (it is shown on the profile card).
pub const MAX_REASON: usize = 200;
/// Longest search text, in characters.
pub const MAX_SEARCH: usize = 64;

diesel::define_sql_function! {
    /// SQL `lower()`: case-insensitive search on both backends (SQLite folds ASCII only,
    /// which covers the usernames and most names a search is typed for).
    #[sql_name = "lower"]
    fn lower_text(x: Nullable<Text>) -> Nullable<Text>;
}

/// Which customers the list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UserFilter {
    /// Everyone, newest first.
    #[default]
    All,
    /// Only customers a seller blocked.
    Blocked,
}

/// A line of the customer list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    /// Display name, else first name (@username).
    pub name: String,
    pub username: Option<String>,
    pub balance: i64,
    pub is_blocked: bool,
    /// Telegram said the bot cannot reach them (blocked the bot, deactivated).
    pub unreachable: bool,
    pub created_at: i64,
    pub last_seen_at: i64,
}

type RowTuple = (
    i64,
    Option<String>,
    String,
    Option<String>,
    i64,
    bool,
    Option<i64>,
    i64,
    i64,
);

const ROW: (
    u::id,
    u::display_name,
    u::first_name,
    u::username,
    u::balance,
    u::is_blocked,
    u::unreachable_at,
    u::created_at,
    u::last_seen_at,
) = (
    u::id,
    u::display_name,
    u::first_name,
    u::username,
    u::balance,
    u::is_blocked,
    u::unreachable_at,
    u::created_at,
    u::last_seen_at,
);

fn to_row(t: RowTuple) -> UserRow {
    let (id, display, first, username, balance, is_blocked, unreachable, created, seen) = t;
    UserRow {
        id,
        name: customer_name(display.as_deref(), &first, username.as_deref()),
        username,
        balance,
        is_blocked,
        unreachable: unreachable.is_some(),
        created_at: created,
        last_seen_at: seen,
    }
}

/// One page of customers, newest first, and how many match.
pub fn list_users(
    conn: &mut DbConnection,
    filter: UserFilter,
    page: PageRequest,
) -> Result<Page<UserRow>, StoreError> {
    let filtered = || {
        let q = u::table.into_boxed();
        match filter {
            UserFilter::All => q,
            UserFilter::Blocked => q.filter(u::is_blocked.eq(true)),
        }
    };
    let total = filtered().count().get_result(conn)?;
    let rows: Vec<RowTuple> = filtered()
        .order((u::created_at.desc(), u::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(ROW)
        .load(conn)?;
    Ok(Page {
        items: rows.into_iter().map(to_row).collect(),
        total,
    })
}

/// What a seller typed to find a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserQuery {
    /// A Telegram id: digits only.
    Id(i64),
    /// `@name`: usernames starting with it (case-insensitive).
    Username(String),
    /// Anything else: display name, first name or username containing it (case-insensitive).
    Name(String),
}

/// Why a search text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SearchProblem {
    #[error("the search text is empty")]
    Empty,
    #[error("the search text is longer than {MAX_SEARCH} characters")]
    TooLong,
}

impl UserQuery {
    /// Reads a search text: digits are an id, `@x` a username, anything else a name.
    pub fn parse(text: &str) -> Result<UserQuery, SearchProblem> {
        let text = text.trim();
        if text.is_empty() || text == "@" {
            return Err(SearchProblem::Empty);
        }
        if text.chars().count() > MAX_SEARCH {
            return Err(SearchProblem::TooLong);
        }
        if let Some(name) = text.strip_prefix('@') {
            return Ok(UserQuery::Username(name.to_lowercase()));
        }
        if text.bytes().all(|b| b.is_ascii_digit())
            && let Ok(id) = text.parse::<i64>()
        {
            return Ok(UserQuery::Id(id));
        }
        Ok(UserQuery::Name(text.to_lowercase()))
    }
}

/// `LIKE` pattern text with `%`, `_` and the escape character itself escaped (`\`).
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Customers matching a search, newest first.
pub fn search_users(
    conn: &mut DbConnection,
    query: &UserQuery,
    page: PageRequest,
) -> Result<Page<UserRow>, StoreError> {
    let filtered = || {
        let q = u::table.into_boxed();
        match query {
            UserQuery::Id(id) => q.filter(u::id.eq(*id)),
            UserQuery::Username(name) => q.filter(
                lower_text(u::username)
                    .like(format!("{}%", like_escaped(name)))
                    .escape('\\'),
            ),
            UserQuery::Name(name) => {
                let pattern = format!("%{}%", like_escaped(name));
                q.filter(
                    lower_text(u::first_name.nullable())
                        .like(pattern.clone())
                        .escape('\\')
                        .or(lower_text(u::display_name)
                            .like(pattern.clone())
                            .escape('\\'))
                        .or(lower_text(u::username).like(pattern).escape('\\')),
                )
            }
        }
    };
    let total = filtered().count().get_result(conn)?;
    let rows: Vec<RowTuple> = filtered()
        .order((u::created_at.desc(), u::id.desc()))
        .limit(page.limit())
        .offset(page.offset())
        .select(ROW)
        .load(conn)?;
    Ok(Page {
        items: rows.into_iter().map(to_row).collect(),
        total,
    })
}

/// The profile card of a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCard {
    pub row: UserRow,
    pub first_name: String,
    pub display_name: Option<String>,
    /// All orders, whatever their status.
    pub orders: i64,
    /// Paid (or delivered) orders.
    pub paid_orders: i64,
    /// Sum of the totals of paid orders: the same definition as revenue.
    pub total_spent: i64,
    pub blocked_reason: Option<String>,
    pub blocked_at: Option<i64>,
    pub blocked_by: Option<i64>,
    pub unreachable_at: Option<i64>,
}

/// A customer's profile card.
pub fn user_card(conn: &mut DbConnection, user_id: i64) -> Result<Option<UserCard>, StoreError> {
    type Extra = (Option<String>, Option<i64>, Option<i64>);
    let found: Option<(RowTuple, Extra)> = u::table
        .find(user_id)
        .select((ROW, (u::blocked_reason, u::blocked_at, u::blocked_by)))
        .first(conn)
        .optional()?;
    let Some((tuple, (blocked_reason, blocked_at, blocked_by))) = found else {
        return Ok(None);
    };
    let first_name = tuple.2.clone();
    let display_name = tuple.1.clone();
    let unreachable_at = tuple.6;
    let orders: i64 = o::table
        .filter(o::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    let paid = OrderStatus::PAID.map(OrderStatus::as_str);
    let paid_totals: Vec<i64> = o::table
        .filter(o::user_id.eq(user_id))
        .filter(o::status.eq_any(paid))
        .select(o::total)
        .load(conn)?;
    Ok(Some(UserCard {
        row: to_row(tuple),
        first_name,
        display_name,
        orders,
        paid_orders: paid_totals.len() as i64,
        total_spent: paid_totals.iter().sum(),
        blocked_reason,
        blocked_at,
        blocked_by,
        unreachable_at,
    }))
}

/// Why a block or unblock was refused. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BlockRefused {
    #[error("user {0} is not registered")]
    NotFound(i64),
    #[error("sellers and owners can never be blocked")]
    Protected,
    #[error("the user is already blocked")]
    AlreadyBlocked,
    #[error("the user is not blocked")]
    NotBlocked,
    #[error("a reason of 1 to {MAX_REASON} characters is required")]
    BadReason,
}

fn checked_reason(reason: &str) -> Option<&str> {
    let reason = reason.trim();
    (!reason.is_empty() && reason.chars().count() <= MAX_REASON).then_some(reason)
}

/// Blocks a customer with a reason: they get one short refusal and nothing else until
/// unblocked. `protected` are the sellers' and owners' ids, which are refused. Audited
/// (`user.block`, before/after) in the same transaction.
pub fn block_user(
    conn: &mut DbConnection,
    user_id: i64,
    reason: &str,
    actor_id: i64,
    protected: &[i64],
) -> Result<Result<(), BlockRefused>, StoreError> {
    let Some(reason) = checked_reason(reason) else {
        return Ok(Err(BlockRefused::BadReason));
    };
    if protected.contains(&user_id) {
        return Ok(Err(BlockRefused::Protected));
    }
    write_tx(conn, |conn| {
        let Some(before) = blocked_state(conn, user_id)? else {
            return Ok(Err(BlockRefused::NotFound(user_id)));
        };
        if before.0 {
            return Ok(Err(BlockRefused::AlreadyBlocked));
        }
        let now = now_ms();
        diesel::update(u::table.find(user_id).filter(u::is_blocked.eq(false)))
            .set((
                u::is_blocked.eq(true),
                u::blocked_reason.eq(reason),
                u::blocked_at.eq(now),
                u::blocked_by.eq(actor_id),
                u::updated_at.eq(now),
            ))
            .execute(conn)?;
        audit_block(
            conn,
            "user.block",
            user_id,
            actor_id,
            before,
            (true, Some(reason)),
        )?;
        Ok(Ok(()))
    })
}

/// Unblocks a customer with a reason. Audited (`user.unblock`, before/after) in the same
/// transaction; the block's reason is kept in the audit log, cleared on the card.
pub fn unblock_user(
    conn: &mut DbConnection,
    user_id: i64,
    reason: &str,
    actor_id: i64,
) -> Result<Result<(), BlockRefused>, StoreError> {
    let Some(reason) = checked_reason(reason) else {
        return Ok(Err(BlockRefused::BadReason));
    };
    write_tx(conn, |conn| {
        let Some(before) = blocked_state(conn, user_id)? else {
            return Ok(Err(BlockRefused::NotFound(user_id)));
        };
        if !before.0 {
            return Ok(Err(BlockRefused::NotBlocked));
        }
        diesel::update(u::table.find(user_id).filter(u::is_blocked.eq(true)))
            .set((
                u::is_blocked.eq(false),
                u::blocked_reason.eq(None::<String>),
                u::blocked_at.eq(None::<i64>),
                u::blocked_by.eq(None::<i64>),
                u::updated_at.eq(now_ms()),
            ))
            .execute(conn)?;
        audit_block(
            conn,
            "user.unblock",
            user_id,
            actor_id,
            before,
            (false, Some(reason)),
        )?;
        Ok(Ok(()))
    })
}

/// (blocked, reason) of a user, if registered.
fn blocked_state(
    conn: &mut DbConnection,
    user_id: i64,
) -> Result<Option<(bool, Option<String>)>, StoreError> {
    Ok(u::table
        .find(user_id)
        .select((u::is_blocked, u::blocked_reason))
        .first(conn)
        .optional()?)
}

fn audit_block(
    conn: &mut DbConnection,
    action: &str,
    user_id: i64,
    actor_id: i64,
    before: (bool, Option<String>),
    after: (bool, Option<&str>),
) -> Result<i64, StoreError> {
    append_audit(
        conn,
        &AuditEntry {
            actor_kind: ActorKind::Admin,
            actor_id: Some(actor_id),
            action,
            subject: Some(&format!("user:{user_id}")),
            details: serde_json::json!({
                "before": { "blocked": before.0, "reason": before.1 },
                "after": { "blocked": after.0, "reason": after.1 },
            }),
        },
    )
}
