//! Who a broadcast goes to. Every audience is a subset of the *reachable* customers — not
//! blocked by a seller and not marked unreachable by Telegram — so a customer who blocked the
//! bot is skipped by every later broadcast until they write again.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::DbConnection;
use crate::error::StoreError;
use crate::queries::shop::status;
use crate::tables::{order_items as oi, orders as o, users as u};

/// Longest "active in the last N days" window a seller may pick (a year).
pub const MAX_ACTIVE_DAYS: u32 = 365;

/// Who a broadcast is sent to. Stored as JSON on the broadcast (`audience` column) so the
/// progress screen can say who it went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    /// Every reachable customer.
    All,
    /// Reachable customers with a paid (or delivered) order containing this product.
    BuyersOf { product_id: i64 },
    /// Reachable customers seen (any message or button) in the last `days` days.
    ActiveWithin { days: u32 },
}

/// Why an audience cannot be used. Nothing was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AudienceProblem {
    #[error("product {0} does not exist")]
    UnknownProduct(i64),
    #[error("days must be 1 to {MAX_ACTIVE_DAYS}, not {0}")]
    BadDays(u32),
}

impl Audience {
    /// The stored JSON.
    pub fn to_json(&self) -> String {
        // Serialising a plain enum of integers cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"kind":"all"}"#.into())
    }

    /// Reads the stored JSON.
    pub fn from_json(text: &str) -> Result<Audience, StoreError> {
        serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("audience {text}: {e}")))
    }

    /// Checks the audience names things that exist and a sane window.
    pub fn check(
        &self,
        conn: &mut DbConnection,
    ) -> Result<Result<(), AudienceProblem>, StoreError> {
        use crate::tables::products as p;
        Ok(match *self {
            Audience::All => Ok(()),
            Audience::ActiveWithin { days } if days == 0 || days > MAX_ACTIVE_DAYS => {
                Err(AudienceProblem::BadDays(days))
            }
            Audience::ActiveWithin { .. } => Ok(()),
            Audience::BuyersOf { product_id } => {
                let exists: i64 = p::table.find(product_id).count().get_result(conn)?;
                if exists == 0 {
                    Err(AudienceProblem::UnknownProduct(product_id))
                } else {
                    Ok(())
                }
            }
        })
    }
}

/// "Buyers of" the product with this code (codes are stored upper case), if it exists: how
/// the CLI names a product.
pub fn buyers_of_code(conn: &mut DbConnection, code: &str) -> Result<Option<Audience>, StoreError> {
    use crate::tables::products as p;
    let id: Option<i64> = p::table
        .filter(p::code.eq(code.trim().to_uppercase()))
        .select(p::id)
        .first(conn)
        .optional()?;
    Ok(id.map(|product_id| Audience::BuyersOf { product_id }))
}

/// The ids of the audience at `now` (epoch ms), ascending.
pub fn audience_members(
    conn: &mut DbConnection,
    audience: Audience,
    now: i64,
) -> Result<Vec<i64>, StoreError> {
    let mut q = u::table
        .filter(u::unreachable_at.is_null())
        .filter(u::is_blocked.eq(false))
        .select(u::id)
        .order(u::id.asc())
        .into_boxed();
    match audience {
        Audience::All => {}
        Audience::ActiveWithin { days } => {
            q = q.filter(u::last_seen_at.ge(now - i64::from(days) * 86_400_000));
        }
        Audience::BuyersOf { product_id } => {
            let buyers = o::table
                .inner_join(oi::table)
                .filter(oi::product_id.eq(product_id))
                .filter(o::status.eq_any([status::PAID, status::DELIVERED]))
                .select(o::user_id);
            q = q.filter(u::id.eq_any(buyers));
        }
    }
    Ok(q.load(conn)?)
}

/// How many customers the audience reaches now (the figure the seller confirms).
pub fn count_audience(
    conn: &mut DbConnection,
    audience: Audience,
    now: i64,
) -> Result<usize, StoreError> {
    // The member list is what a broadcast is created from; counting the same list keeps the
    // confirmed figure and the recipients equal by construction.
    Ok(audience_members(conn, audience, now)?.len())
}
