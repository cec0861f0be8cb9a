//! Durable admin wizards and the Mode Pembeli switch.
//!
//! A seller has at most one active wizard (the table's primary key): starting another replaces
//! it. The state is the JSON of the bot's typed wizard state; it survives restarts and
//! redeploys, and lapses 30 minutes after its last step ([`WIZARD_TTL_MS`]). What must not sit in
//! the database in plain text between two steps — stock lines waiting for the seller's
//! confirmation — goes in the payload, sealed with the data key and bound to the seller
//! ([`seal_wizard_payload`]).
//!
//! Saving a wizard step is not an admin write of the shop, so it has no audit row; what the
//! wizard finally writes does.

use diesel::prelude::*;
use serde_json::json;

use super::audit::{AdminAction, record_admin_write, subject};
use super::ids::SellerId;
use crate::crypto::{CryptoError, DataKeys};
use crate::db::{DbConnection, now_ms, write_tx};
use crate::error::StoreError;
use crate::tables::{admin_wizards as w, seller_prefs as sp};

/// How long a wizard lives after its last step.
pub const WIZARD_TTL_MS: i64 = 30 * 60 * 1000;

/// A stored wizard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWizard {
    /// JSON of the bot's typed state.
    pub state: String,
    /// The sealed payload, if the step has one ([`open_wizard_payload`] reads it).
    pub payload: Option<Vec<u8>>,
    /// When the wizard was started, epoch milliseconds.
    pub created_at: i64,
    /// When it lapses unless another step comes first.
    pub expires_at: i64,
}

/// Associated data binding a wizard payload to its seller's row.
pub fn wizard_payload_aad(seller: SellerId) -> Vec<u8> {
    format!("admin_wizards:{seller}").into_bytes()
}

/// Encrypts a payload for [`save_wizard`].
///
/// # Panics
/// As [`DataKeys::encrypt`] (the system's random generator failed).
pub fn seal_wizard_payload(keys: &DataKeys, seller: SellerId, plaintext: &[u8]) -> Vec<u8> {
    keys.encrypt(plaintext, &wizard_payload_aad(seller))
}

/// Decrypts a payload written by [`seal_wizard_payload`] for the same seller.
pub fn open_wizard_payload(
    keys: &DataKeys,
    seller: SellerId,
    sealed: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    keys.decrypt(sealed, &wizard_payload_aad(seller))
}

/// Starts or advances the seller's wizard (replacing any other), valid for [`WIZARD_TTL_MS`]
/// from `now`.
pub fn save_wizard(
    conn: &mut DbConnection,
    seller: SellerId,
    state: &str,
    payload: Option<&[u8]>,
    now: i64,
) -> Result<(), StoreError> {
    let expires = now + WIZARD_TTL_MS;
    crate::on_backend!(conn, k => diesel::insert_into(w::table)
        .values((
            w::seller_id.eq(seller.0),
            w::state.eq(state),
            w::payload_enc.eq(payload),
            w::expires_at.eq(expires),
            w::created_at.eq(now),
            w::updated_at.eq(now),
        ))
        .on_conflict(w::seller_id)
        .do_update()
        .set((
            w::state.eq(state),
            w::payload_enc.eq(payload),
            w::expires_at.eq(expires),
            w::updated_at.eq(now),
        ))
        .execute(k)?);
    Ok(())
}

/// The seller's wizard, unless there is none or it lapsed before `now`.
pub fn load_wizard(
    conn: &mut DbConnection,
    seller: SellerId,
    now: i64,
) -> Result<Option<StoredWizard>, StoreError> {
    let row: Option<(String, Option<Vec<u8>>, i64, i64)> = w::table
        .filter(w::seller_id.eq(seller.0))
        .filter(w::expires_at.gt(now))
        .select((w::state, w::payload_enc, w::created_at, w::expires_at))
        .first(conn)
        .optional()?;
    Ok(
        row.map(|(state, payload, created_at, expires_at)| StoredWizard {
            state,
            payload,
            created_at,
            expires_at,
        }),
    )
}

/// Ends the seller's wizard (*Batal*, or done); returns whether there was one.
pub fn clear_wizard(conn: &mut DbConnection, seller: SellerId) -> Result<bool, StoreError> {
    Ok(diesel::delete(w::table.filter(w::seller_id.eq(seller.0))).execute(conn)? > 0)
}

/// Deletes wizards that lapsed before `now` (their payloads with them); returns how many.
pub fn purge_expired_wizards(conn: &mut DbConnection, now: i64) -> Result<usize, StoreError> {
    Ok(diesel::delete(w::table.filter(w::expires_at.le(now))).execute(conn)?)
}

/// Whether the seller sees the shop as a customer (Mode Pembeli).
pub fn buyer_mode(conn: &mut DbConnection, seller: SellerId) -> Result<bool, StoreError> {
    Ok(sp::table
        .filter(sp::seller_id.eq(seller.0))
        .select(sp::buyer_mode)
        .first(conn)
        .optional()?
        .unwrap_or(false))
}

/// Switches Mode Pembeli on or off (audited); returns whether that changed it.
pub fn set_buyer_mode(
    conn: &mut DbConnection,
    seller: SellerId,
    on: bool,
) -> Result<bool, StoreError> {
    write_tx(conn, |conn| {
        let was = buyer_mode(conn, seller)?;
        if was == on {
            return Ok(false);
        }
        let now = now_ms();
        crate::on_backend!(conn, k => diesel::insert_into(sp::table)
            .values((sp::seller_id.eq(seller.0), sp::buyer_mode.eq(on), sp::updated_at.eq(now)))
            .on_conflict(sp::seller_id)
            .do_update()
            .set((sp::buyer_mode.eq(on), sp::updated_at.eq(now)))
            .execute(k)?);
        record_admin_write(
            conn,
            seller,
            AdminAction::BuyerMode,
            &subject::seller(seller),
            json!({ "buyer_mode": was }),
            json!({ "buyer_mode": on }),
        )?;
        Ok(true)
    })
}
