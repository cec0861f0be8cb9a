//! Conversation states: where a user is in a multi-step dialog, stored so a restart or another
//! replica continues it, and expiring (30 minutes) so a forgotten dialog does not trap the user.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms};
use crate::error::StoreError;
use crate::tables::conversation_states as c;

/// How long a conversation state lives.
pub const STATE_TTL_MS: i64 = 30 * 60 * 1000;

/// Sets a user's state (JSON of a typed state owned by the bot).
pub fn set_conversation(
    conn: &mut DbConnection,
    user_id: i64,
    state: &str,
) -> Result<(), StoreError> {
    let now = now_ms();
    crate::on_backend!(conn, k => diesel::insert_into(c::table)
        .values((c::user_id.eq(user_id), c::state.eq(state), c::expires_at.eq(now + STATE_TTL_MS), c::updated_at.eq(now)))
        .on_conflict(c::user_id)
        .do_update()
        .set((c::state.eq(state), c::expires_at.eq(now + STATE_TTL_MS), c::updated_at.eq(now)))
        .execute(k)?);
    Ok(())
}

/// A user's state unless it expired.
pub fn get_conversation(
    conn: &mut DbConnection,
    user_id: i64,
) -> Result<Option<String>, StoreError> {
    Ok(c::table
        .find(user_id)
        .filter(c::expires_at.gt(now_ms()))
        .select(c::state)
        .first(conn)
        .optional()?)
}

/// Ends a user's dialog.
pub fn clear_conversation(conn: &mut DbConnection, user_id: i64) -> Result<(), StoreError> {
    diesel::delete(c::table.find(user_id)).execute(conn)?;
    Ok(())
}
