//! autoorder-actors: the supervised actor tree.
//!
//! [`supervisor`] is the OTP-style supervisor; [`tree`] wires the five actors under it:
//! [`bot`], [`payment`], [`queue`], [`backup`], [`health`]. Actors reach the database only
//! through [`blocking::with_conn`], which keeps diesel off their threads. [`reports`] draws the
//! *Laporan* chart and writes its CSV export.

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
pub mod services;
pub mod supervisor;
pub mod telegram;
pub mod tree;
