//! The shop's invariant-keeping transactions: catalog reads, the persistent cart, vouchers,
//! checkout with stock reservation, payment completion, expiry, balance and deposits.
//!
//! Layout: `status` (typed statuses and ledger reasons), `carts`, `products`, `vouchers`,
//! `checkout` (an order with its stock and voucher use reserved), `payments` (rows, gateway
//! answers, the failure streak; re-exports completion and closing), `completion` (a confirmed
//! payment acted on once), `closing` (unpaid payments closed once, flagged for review, polled),
//! `manual` (a seller marks an order or deposit paid), `balance` (the ledger), `deposits`,
//! `spam`, `templates`.
//!
//! Invariants kept here, whatever the caller does and however many replicas race:
//! - stock is reserved when an order is created and is never oversold (IMMEDIATE transactions
//!   on SQLite, `FOR UPDATE SKIP LOCKED` plus a guarded update on PostgreSQL);
//! - a voucher use is reserved with the order and never more orders carry a discount than the
//!   voucher has uses; it becomes a use when the order is paid and is given back when the
//!   order is closed unpaid;
//! - every status change is a guarded update (`… WHERE status IN (…)`) and the work it implies
//!   happens only when a row changed, so a payment completes once and a completed payment is
//!   never closed: concurrent completions (callback, poller, *Cek Status*, another replica)
//!   credit once; the ledger's unique (reason, reference) index is the backstop;
//! - a paid payment is never lost: when its order cannot be fulfilled any more it is refunded
//!   to the balance;
//! - a balance equals the sum of its ledger and never goes negative.

pub mod balance;
pub mod carts;
pub mod checkout;
mod closing;
mod completion;
pub mod deposits;
pub mod manual;
pub mod payments;
pub mod products;
pub mod spam;
pub mod status;
pub mod vouchers;

/// Seller-editable texts (`templates`): the welcome, *Cara Order*, … The bot falls back to
/// its built-in text when a key is not set.
pub mod templates {
    use diesel::prelude::*;

    use crate::db::{DbConnection, now_ms};
    use crate::error::StoreError;
    use crate::tables::templates as t;

    /// Key of the welcome text (`/start`).
    pub const WELCOME: &str = "welcome";
    /// Key of the *Cara Order* text (or photo caption).
    pub const HOW_TO_ORDER: &str = "cara_order";
    /// Key of the message a customer gets when a payment succeeds (before the delivery).
    pub const PAYMENT_SUCCESS: &str = "payment_success";
    /// Key of the seller's manual-transfer instructions on the customer's *Deposit* screen
    /// (no built-in text: when unset, nothing is shown).
    pub const DEPOSIT_INSTRUCTIONS: &str = "deposit_instructions";

    /// A stored template: its text, and a Telegram photo file id when it is a photo with the
    /// text as caption.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Template {
        pub body: String,
        pub photo: Option<String>,
    }

    /// The template stored under `key`, if any. A template reset to the default (empty text, no
    /// photo: the row stays so its version keeps counting) reads as none.
    pub fn get_template(
        conn: &mut DbConnection,
        key: &str,
    ) -> Result<Option<Template>, StoreError> {
        let row: Option<(String, Option<String>)> = t::table
            .find(key)
            .select((t::body, t::photo))
            .first(conn)
            .optional()?;
        Ok(row
            .map(|(body, photo)| Template { body, photo })
            .filter(|t| !t.is_default()))
    }

    impl Template {
        /// True for the stored form of "use the built-in text": no text and no photo.
        pub fn is_default(&self) -> bool {
            self.body.trim().is_empty() && self.photo.as_deref().is_none_or(|p| p.trim().is_empty())
        }
    }

    /// Stores a template (replacing the one under `key`), bumping its version so an admin edit
    /// begun before this save is refused as "changed meanwhile".
    pub fn set_template(
        conn: &mut DbConnection,
        key: &str,
        template: &Template,
        updated_by: Option<i64>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        crate::on_backend!(conn, k => diesel::insert_into(t::table)
            .values((
                t::key.eq(key),
                t::body.eq(&template.body),
                t::photo.eq(&template.photo),
                t::updated_by.eq(updated_by),
                t::updated_at.eq(now),
            ))
            .on_conflict(t::key)
            .do_update()
            .set((
                t::body.eq(&template.body),
                t::photo.eq(&template.photo),
                t::updated_by.eq(updated_by),
                t::updated_at.eq(now),
                t::version.eq(t::version + 1),
            ))
            .execute(k)?);
        Ok(())
    }
}
