//! autoorder-actors: the supervised actor tree.
//!
//! [`supervisor`] is the OTP-style supervisor; [`tree`] wires the five actors under it:
//! [`bot`] (updates → one transaction each → outbox), [`payment`] (Pakasir), [`queue`] (durable
//! jobs and the outbox sender), [`backup`], [`health`]. [`send`] is the send pipeline every
//! rate-limited Bot API call passes (one budget per bot token, reply and bulk lanes);
//! [`wakeup`] carries LISTEN/NOTIFY between replicas. Actors reach the database only through
//! [`blocking::with_conn`], which keeps diesel off their threads and re-raises panics.
//! [`reports`] draws the *Laporan* chart and writes its CSV export.

pub mod backup;
pub mod blocking;
pub mod bot;
pub mod format;
pub mod health;
pub mod log_targets;
pub mod metrics;
pub mod payment;
pub mod queue;
pub mod reports;
pub mod send;
pub mod services;
pub mod supervisor;
pub mod telegram;
pub mod tree;
pub mod wakeup;
