//! Anti-spam: a per-user window stored in the database, so the limit holds across restarts.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::tables::spam_windows as w;

/// What to do with an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpamVerdict {
    /// Within the limit.
    Allow,
    /// Over the limit: drop it; `warn` = tell the user (once per window); `tell_sellers` = tell
    /// the sellers (at most once per `seller_cooldown_ms`).
    Spam { warn: bool, tell_sellers: bool },
}

/// Counts one action of `user_id`. More than `max_actions` within `window_ms` is spam.
pub fn record_action(
    conn: &mut DbConnection,
    user_id: i64,
    max_actions: i32,
    window_ms: i64,
    seller_cooldown_ms: i64,
) -> Result<SpamVerdict, StoreError> {
    write_tx(conn, |conn| {
        let now = now_ms();
        let row: Option<(i64, i32, Option<i64>, Option<i64>)> = w::table
            .find(user_id)
            .select((
                w::window_start,
                w::actions,
                w::warned_at,
                w::sellers_told_at,
            ))
            .first(conn)
            .optional()?;
        let Some((start, actions, warned_at, told_at)) = row else {
            diesel::insert_into(w::table)
                .values((
                    w::user_id.eq(user_id),
                    w::window_start.eq(now),
                    w::actions.eq(1),
                ))
                .execute(conn)?;
            return Ok(SpamVerdict::Allow);
        };
        if now - start > window_ms {
            diesel::update(w::table.find(user_id))
                .set((w::window_start.eq(now), w::actions.eq(1)))
                .execute(conn)?;
            return Ok(SpamVerdict::Allow);
        }
        let actions = actions + 1;
        diesel::update(w::table.find(user_id))
            .set(w::actions.eq(actions))
            .execute(conn)?;
        if actions <= max_actions {
            return Ok(SpamVerdict::Allow);
        }
        let warn = warned_at.is_none_or(|t| t < start);
        let tell_sellers = told_at.is_none_or(|t| now - t >= seller_cooldown_ms);
        if warn {
            diesel::update(w::table.find(user_id))
                .set(w::warned_at.eq(now))
                .execute(conn)?;
        }
        if tell_sellers {
            diesel::update(w::table.find(user_id))
                .set(w::sellers_told_at.eq(now))
                .execute(conn)?;
        }
        Ok(SpamVerdict::Spam { warn, tell_sellers })
    })
}
