//! Customers: registered or refreshed on every /start.

use diesel::prelude::*;

use crate::db::{DbConnection, now_ms};
use crate::error::StoreError;
use crate::tables::users as u;

/// What Telegram tells us about a user.
#[derive(Debug, Clone)]
pub struct TelegramProfile<'a> {
    pub id: i64,
    pub username: Option<&'a str>,
    pub first_name: &'a str,
    pub language: Option<&'a str>,
}

/// Registers a new user or refreshes a known one. Any message from a user also proves they can
/// be reached again, so `unreachable_at` is cleared.
pub fn touch_user(
    conn: &mut DbConnection,
    profile: &TelegramProfile<'_>,
) -> Result<(), StoreError> {
    touch_user_returning_blocked(conn, profile).map(|_| ())
}

/// [`touch_user`], returning whether the user is blocked — one statement for what every
/// update's admission needs.
pub fn touch_user_returning_blocked(
    conn: &mut DbConnection,
    profile: &TelegramProfile<'_>,
) -> Result<bool, StoreError> {
    let now = now_ms();
    let language = profile.language.unwrap_or("id");
    Ok(crate::on_backend!(conn, c => diesel::insert_into(u::table)
        .values((
            u::id.eq(profile.id),
            u::username.eq(profile.username),
            u::first_name.eq(profile.first_name),
            u::language.eq(language),
            u::created_at.eq(now),
            u::updated_at.eq(now),
            u::last_seen_at.eq(now),
        ))
        .on_conflict(u::id)
        .do_update()
        .set((
            u::username.eq(profile.username),
            u::first_name.eq(profile.first_name),
            u::last_seen_at.eq(now),
            u::unreachable_at.eq(None::<i64>),
        ))
        .returning(u::is_blocked)
        .get_result(c)?))
}

/// Number of registered users (shown in the welcome message).
pub fn count_users(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(u::table.count().get_result(conn)?)
}

/// Whether a seller blocked this user.
pub fn is_blocked(conn: &mut DbConnection, user_id: i64) -> Result<bool, StoreError> {
    Ok(u::table
        .find(user_id)
        .select(u::is_blocked)
        .first(conn)
        .optional()?
        .unwrap_or(false))
}

/// Marks a user unreachable: Telegram said the bot was blocked, the user is deactivated or the
/// chat does not exist. Broadcasts skip them until they write again.
pub fn mark_unreachable(conn: &mut DbConnection, user_id: i64) -> Result<(), StoreError> {
    diesel::update(u::table.find(user_id).filter(u::unreachable_at.is_null()))
        .set(u::unreachable_at.eq(now_ms()))
        .execute(conn)?;
    Ok(())
}

/// Whether a user is marked unreachable.
pub fn is_unreachable(conn: &mut DbConnection, user_id: i64) -> Result<bool, StoreError> {
    Ok(u::table
        .find(user_id)
        .select(u::unreachable_at)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten()
        .is_some())
}

/// The name to show for a user: the display name they chose, else their Telegram first name
/// (with @username when they have one).
pub fn display_name(conn: &mut DbConnection, user_id: i64) -> Result<Option<String>, StoreError> {
    let row: Option<(Option<String>, String, Option<String>)> = u::table
        .find(user_id)
        .select((u::display_name, u::first_name, u::username))
        .first(conn)
        .optional()?;
    Ok(
        row.map(|(display, first, username)| match (display, username) {
            (Some(d), _) => d,
            (None, Some(un)) => format!("{first} (@{un})"),
            (None, None) => first,
        }),
    )
}

/// What the *Informasi* page shows about a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserProfile {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub balance: i64,
    pub is_verified: bool,
    /// Encrypted with `whatsapp_aad(id)`.
    pub whatsapp_enc: Option<Vec<u8>>,
}

/// A customer's profile, if registered.
pub fn user_profile(
    conn: &mut DbConnection,
    user_id: i64,
) -> Result<Option<UserProfile>, StoreError> {
    type Row = (
        i64,
        String,
        Option<String>,
        Option<String>,
        i64,
        bool,
        Option<Vec<u8>>,
    );
    let row: Option<Row> = u::table
        .find(user_id)
        .select((
            u::id,
            u::first_name,
            u::username,
            u::display_name,
            u::balance,
            u::is_verified,
            u::whatsapp_enc,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(id, first_name, username, display_name, balance, is_verified, whatsapp_enc)| {
            UserProfile {
                id,
                first_name,
                username,
                display_name,
                balance,
                is_verified,
                whatsapp_enc,
            }
        },
    ))
}

/// Sets (or clears) the name a customer chose to be shown by. The caller validates it.
pub fn set_display_name(
    conn: &mut DbConnection,
    user_id: i64,
    name: Option<&str>,
) -> Result<(), StoreError> {
    diesel::update(u::table.find(user_id))
        .set((u::display_name.eq(name), u::updated_at.eq(now_ms())))
        .execute(conn)?;
    Ok(())
}

/// The associated data a WhatsApp number is encrypted with: `users:{id}:whatsapp`, so a
/// ciphertext copied onto another user no longer decrypts.
pub fn whatsapp_aad(user_id: i64) -> Vec<u8> {
    format!("users:{user_id}:whatsapp").into_bytes()
}

/// Stores (or clears) a customer's WhatsApp number, already encrypted with
/// [`whatsapp_aad`].
pub fn set_whatsapp(
    conn: &mut DbConnection,
    user_id: i64,
    sealed: Option<&[u8]>,
) -> Result<(), StoreError> {
    diesel::update(u::table.find(user_id))
        .set((u::whatsapp_enc.eq(sealed), u::updated_at.eq(now_ms())))
        .execute(conn)?;
    Ok(())
}
