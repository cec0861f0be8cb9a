//! Queries and the transactions that keep the invariants, one module per concern.

pub mod admin;
pub mod audit;
pub mod broadcasts;
pub mod catalog;
pub mod conversations;
pub mod jobs;
pub mod leases;
pub mod orders;
pub mod settings;
pub mod shop;
pub mod snk;
pub mod updates;
pub mod users;
