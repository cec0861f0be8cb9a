//! The seller admin menu.
//!
//! Part 2's sections, each a module of pure screens, typed actions and input parsers:
//! [`orders`] (*Order*), [`users`] (*User* and balance adjustments), [`broadcast`]
//! (*Broadcast*), [`reports`] (*Laporan*); [`ui`] is their shared screen model and callback
//! encoding. The wizard framework, the top-level admin callback data and part 1's sections
//! join here when both parts are merged.

pub mod broadcast;
pub mod orders;
pub mod reports;
pub mod ui;
pub mod users;
