//! autoorder — the process shell: configuration, logging, HTTP server and boot wiring.
//!
//! The library half exists so integration tests and benchmarks can drive the same code the
//! binary runs.

pub mod backup_cli;
pub mod boot;
pub mod broadcast_cli;
pub mod catalog_cli;
pub mod cli;
pub mod config;
#[doc(hidden)]
pub mod fuzzing;
pub mod healthcheck;
pub mod http;
pub mod keys_cli;
pub mod legacy_import;
pub mod logging;
pub mod maintenance_log;
pub mod owner_alert;
pub mod preflight;
pub mod reconcile_cli;
