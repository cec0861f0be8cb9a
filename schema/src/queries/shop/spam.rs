//! Anti-spam: a per-user token bucket stored in the database, so the limit holds across
//! restarts. `SPAM_MAX_ACTIONS` per `SPAM_WINDOW_SECONDS` is the sustained rate; the bucket
//! holds twice that, so a customer tapping quickly through catalog → product → quantity → cart →
//! pay → QRIS is never cut off, while a flood is.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::tables::spam_buckets as b;

/// What to do with an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpamVerdict {
    /// Within the limit.
    Allow,
    /// Over the limit: drop it; `warn` = tell the user with a message (at most once per
    /// window; a dropped button press is always answered visibly); `tell_sellers` = tell the
    /// sellers (at most once per `seller_cooldown_ms`).
    Spam { warn: bool, tell_sellers: bool },
}

/// The sustained rate and the burst of the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpamLimit {
    /// Actions allowed per `window_ms`, sustained (`SPAM_MAX_ACTIONS`).
    pub max_actions: i32,
    /// `SPAM_WINDOW_SECONDS` in milliseconds.
    pub window_ms: i64,
    /// Sellers hear about one user at most this often.
    pub seller_cooldown_ms: i64,
}

impl SpamLimit {
    /// How many actions a full bucket allows at once: twice the sustained count.
    pub fn burst(&self) -> i64 {
        i64::from(self.max_actions.max(1)) * 2
    }

    fn capacity_milli(&self) -> i64 {
        self.burst() * 1000
    }

    /// Milli-tokens refilled over `elapsed_ms`.
    fn refill_milli(&self, elapsed_ms: i64) -> i64 {
        let per_window = i64::from(self.max_actions.max(1)) * 1000;
        (elapsed_ms.max(0) as i128 * per_window as i128 / self.window_ms.max(1) as i128)
            .min(i64::MAX as i128) as i64
    }
}

/// A user's bucket as stored.
struct Bucket {
    tokens_milli: i64,
    refilled_at: i64,
    warned_at: Option<i64>,
    sellers_told_at: Option<i64>,
}

fn load(conn: &mut DbConnection, user_id: i64) -> Result<Option<Bucket>, StoreError> {
    Ok(b::table
        .find(user_id)
        .select((
            b::tokens_milli,
            b::refilled_at,
            b::warned_at,
            b::sellers_told_at,
        ))
        .first::<(i64, i64, Option<i64>, Option<i64>)>(conn)
        .optional()?
        .map(
            |(tokens_milli, refilled_at, warned_at, sellers_told_at)| Bucket {
                tokens_milli,
                refilled_at,
                warned_at,
                sellers_told_at,
            },
        ))
}

/// Tokens in the bucket at `now` (full for a user never seen).
fn tokens_at(limit: &SpamLimit, bucket: Option<&Bucket>, now: i64) -> i64 {
    match bucket {
        None => limit.capacity_milli(),
        Some(b) => {
            (b.tokens_milli + limit.refill_milli(now - b.refilled_at)).min(limit.capacity_milli())
        }
    }
}

/// Whether the next action of `user_id` would be allowed, without counting it. Handlers that
/// must call out (the payment gateway) before their transaction ask this first, so a dropped
/// press never reaches the gateway.
pub fn would_allow(
    conn: &mut DbConnection,
    user_id: i64,
    limit: &SpamLimit,
) -> Result<bool, StoreError> {
    let bucket = load(conn, user_id)?;
    Ok(tokens_at(limit, bucket.as_ref(), now_ms()) >= 1000)
}

/// Counts one action of `user_id` (the user row must exist).
pub fn record_action(
    conn: &mut DbConnection,
    user_id: i64,
    limit: &SpamLimit,
) -> Result<SpamVerdict, StoreError> {
    record_action_at(conn, user_id, limit, now_ms())
}

/// [`record_action`] at a given time (epoch ms), for tests that let time pass.
pub fn record_action_at(
    conn: &mut DbConnection,
    user_id: i64,
    limit: &SpamLimit,
    now: i64,
) -> Result<SpamVerdict, StoreError> {
    write_tx(conn, |conn| {
        let bucket = load(conn, user_id)?;
        let tokens = tokens_at(limit, bucket.as_ref(), now);
        let allowed = tokens >= 1000;
        let left = if allowed { tokens - 1000 } else { tokens };
        let (warn, tell_sellers) = match (&bucket, allowed) {
            (_, true) => (false, false),
            (None, false) => (true, true),
            (Some(b), false) => (
                b.warned_at.is_none_or(|t| now - t >= limit.window_ms),
                b.sellers_told_at
                    .is_none_or(|t| now - t >= limit.seller_cooldown_ms),
            ),
        };
        let warned_at = if warn {
            Some(now)
        } else {
            bucket.as_ref().and_then(|b| b.warned_at)
        };
        let told_at = if tell_sellers {
            Some(now)
        } else {
            bucket.as_ref().and_then(|b| b.sellers_told_at)
        };
        let row = (
            b::tokens_milli.eq(left),
            b::refilled_at.eq(now),
            b::warned_at.eq(warned_at),
            b::sellers_told_at.eq(told_at),
        );
        if bucket.is_some() {
            diesel::update(b::table.find(user_id))
                .set(row)
                .execute(conn)?;
        } else {
            diesel::insert_into(b::table)
                .values((b::user_id.eq(user_id), row))
                .execute(conn)?;
        }
        Ok(if allowed {
            SpamVerdict::Allow
        } else {
            SpamVerdict::Spam { warn, tell_sellers }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refill_is_the_sustained_rate_and_capacity_the_burst() {
        let limit = SpamLimit {
            max_actions: 5,
            window_ms: 5_000,
            seller_cooldown_ms: 120_000,
        };
        assert_eq!(limit.burst(), 10);
        assert_eq!(limit.refill_milli(1_000), 1_000, "one action per second");
        assert_eq!(limit.refill_milli(-5), 0);
        assert_eq!(tokens_at(&limit, None, 0), 10_000);
        let drained = Bucket {
            tokens_milli: 0,
            refilled_at: 0,
            warned_at: None,
            sellers_told_at: None,
        };
        assert_eq!(tokens_at(&limit, Some(&drained), 500), 500);
        assert_eq!(
            tokens_at(&limit, Some(&drained), 1_000_000),
            10_000,
            "never above the burst"
        );
    }
}
