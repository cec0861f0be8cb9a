//! The seller admin menu's storage: everything a seller changes from Telegram.
//!
//! Layout, one module per area of the menu:
//! - [`ids`] — newtype ids, so a product id is never passed where a category id belongs;
//! - [`audit`] — the audit row every admin write appends in its own transaction;
//! - [`paging`] — pages of the pickers (items are picked from lists, never typed);
//! - [`rules`] — the limits input must meet, shared with the bot's parsers;
//! - [`products`] and [`categories`] — add, edit one field, archive / delete / restore; categories
//!   add / rename / reorder / delete-when-empty;
//! - [`stock`] — add lines (duplicates in the upload or anywhere in the store rejected, with line
//!   numbers), list unsold items masked, delete chosen ones; contents encrypted at rest;
//! - [`snk`] — set or clear a product's SNK;
//! - [`vouchers`] — create, list with uses and status, deactivate / reactivate;
//! - [`templates`] — the seller-editable texts (welcome, *Cara Order*, payment success) and reset;
//! - [`summary`] — the admin menu's summary line;
//! - [`wizards`] — the durable wizard state (30 minutes, one per seller) and Mode Pembeli;
//! - part 2: [`orders`] (the order list with filters, an order's detail), [`users`] (the
//!   customer list and search, the profile card, block / unblock), [`reports`] (*Laporan*:
//!   sales figures per period and per day, the stock report, the rows of the CSV export), with
//!   [`listing`] for their pages. Broadcasts are the one engine in
//!   [`crate::queries::broadcasts`].
//!
//! Rules every write here keeps:
//! - **Audited**: it appends an [`audit`] row (seller, action, before/after) in the same
//!   transaction, so a change without its audit row cannot exist.
//! - **Refusals change nothing**: a business refusal ([`AdminRefusal`]) rolls the transaction
//!   back (a savepoint when the caller already holds one, as the update pipeline does).
//! - **Optimistic versions** on what two sellers can edit at once (products, SNK, categories,
//!   templates): a save names the version it was based on; the guarded `UPDATE … WHERE version = ?`
//!   refuses a save based on an older version with [`AdminRefusal::ChangedMeanwhile`], also when
//!   both saves run at the same instant on PostgreSQL.

pub mod audit;
pub mod categories;
pub mod ids;
pub mod listing;
pub mod orders;
pub mod paging;
pub mod products;
pub mod reports;
pub mod rules;
pub mod snk;
pub mod stock;
pub mod summary;
pub mod templates;
pub mod users;
pub mod vouchers;
pub mod wizards;

mod tx;

pub use audit::{AdminAction, AuditRow, admin_audit_of, record_admin_write};
pub use ids::{CategoryId, ProductId, SellerId, StockItemId, VoucherId};
pub use paging::{Page, PageRequest};
pub use tx::{AdminRefusal, InvalidField, LastWriter};
