//! The seller admin menu (SPEC §3), part 1: the wizard framework, Produk & Kategori, Stok, SNK,
//! Voucher and Respon Bot. Part 2 (Order, User, Broadcast, Laporan) adds its areas beside these.
//!
//! Layout:
//! - framework — [`callback`] (typed admin callback data, `@`-prefixed, one nested enum per
//!   area), [`wizard`] (typed, durable wizard states with the step logic of every flow),
//!   [`input`] (parsers with messages that say what is expected), [`placeholders`] (template
//!   placeholders: check, preview), [`texts`] (every admin text, Indonesian), [`keyboards`]
//!   (paged pickers, *Batal* / *Kembali* / confirmation rows), [`screen`] (a text with its
//!   keyboard), [`confirm`] (the one-screen confirmations of every area);
//! - one module of screens per area — [`menu`], [`products`] (with categories), [`stock`],
//!   [`snk`], [`vouchers`], [`respon`]: what each step shows, as functions of the data, so the
//!   handlers only load, decide and show;
//! - part 2's areas — [`orders`] (*Order*), [`users`] (*User* and balance adjustments),
//!   [`broadcast`] (*Broadcast*), [`reports`] (*Laporan*), with [`ui`], their screen model and
//!   action encoding (to be folded into the framework above).
//!
//! Storage is `autoorder_schema::queries::admin` (every write audited in its transaction,
//! optimistic versions, wizards in the database).

pub mod broadcast;
pub mod callback;
pub mod confirm;
pub mod handlers;
pub mod input;
pub mod keyboards;
pub mod menu;
pub mod orders;
pub mod placeholders;
pub mod products;
pub mod reports;
pub mod respon;
pub mod screen;
pub mod snk;
pub mod stock;
pub mod texts;
pub mod ui;
pub mod users;
pub mod vouchers;
pub mod wizard;

pub use callback::{ADMIN_PREFIX, AdminCallback, UnknownAdminCallback, is_admin_data};
pub use screen::Screen;
pub use wizard::{Awaits, Back, Flow, Wizard, WizardToken};
