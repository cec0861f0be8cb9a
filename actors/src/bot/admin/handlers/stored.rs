//! The seller's wizard as stored (`queries::admin::wizards`): the typed state as JSON, and
//! for stock uploads the lines themselves, sealed with the data key, as the payload.

use autoorder_schema::queries::admin::SellerId;
use autoorder_schema::queries::admin::wizards::{
    clear_wizard, load_wizard, open_wizard_payload, purge_expired_wizards, save_wizard,
    seal_wizard_payload,
};
use autoorder_schema::{DbConnection, StoreError, now_ms};

use crate::bot::admin::wizard::Wizard;
use crate::bot::context::Tx;

/// A live wizard with its sealed payload (the stock lines waiting for *Simpan*), if any.
pub(super) type Loaded = Option<(Wizard, Option<Vec<u8>>)>;

/// The seller of this update.
pub(super) fn seller(tx: &Tx<'_>) -> SellerId {
    SellerId(tx.user_id())
}

/// The seller's live wizard and its sealed payload (none when absent, lapsed, or written by a
/// build that cannot read it).
pub(super) fn load_conn(conn: &mut DbConnection, seller: SellerId) -> Result<Loaded, StoreError> {
    Ok(load_wizard(conn, seller, now_ms())?
        .and_then(|s| Wizard::from_json(&s.state).map(|w| (w, s.payload))))
}

/// [`load_conn`] inside the update's transaction.
pub(super) fn load(tx: &mut Tx<'_>) -> Result<Loaded, StoreError> {
    let seller = seller(tx);
    load_conn(tx.conn(), seller)
}

/// Saves the wizard (its 30 minutes start again), with the plain payload sealed.
pub(super) fn save(
    tx: &mut Tx<'_>,
    wizard: &Wizard,
    payload: Option<&[u8]>,
) -> Result<(), StoreError> {
    let seller = seller(tx);
    // Lapsed wizards (any seller's) go here, their sealed stock lines with them: the table
    // holds one row per seller, so this is a small delete on every wizard start.
    purge_expired_wizards(tx.conn(), now_ms())?;
    let sealed = payload.map(|p| seal_wizard_payload(&tx.services.data_keys, seller, p));
    save_wizard(
        tx.conn(),
        seller,
        &wizard.to_json(),
        sealed.as_deref(),
        now_ms(),
    )
}

/// Saves the wizard keeping the payload it already has (sealed as stored).
pub(super) fn save_keeping(
    tx: &mut Tx<'_>,
    wizard: &Wizard,
    sealed: Option<&[u8]>,
) -> Result<(), StoreError> {
    let seller = seller(tx);
    save_wizard(tx.conn(), seller, &wizard.to_json(), sealed, now_ms())
}

/// Opens a sealed payload (the stock lines); `None` when it cannot be read.
pub(super) fn open(tx: &Tx<'_>, sealed: Option<&[u8]>) -> Option<String> {
    let sealed = sealed?;
    let plain = open_wizard_payload(&tx.services.data_keys, seller(tx), sealed).ok()?;
    String::from_utf8(plain).ok()
}

/// Ends the seller's wizard, leaving nothing behind.
pub(super) fn clear(tx: &mut Tx<'_>) -> Result<bool, StoreError> {
    let seller = seller(tx);
    clear_wizard(tx.conn(), seller)
}
