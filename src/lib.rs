//! autoorder — the process shell: configuration, logging, HTTP server and boot wiring.

pub mod config;
pub mod logging;
