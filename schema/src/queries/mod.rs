//! Queries and the transactions that keep the invariants, one module per concern.

pub mod admin;
pub mod audit;
pub mod broadcasts;
pub mod catalog;
pub mod conversations;
pub mod jobs;
pub mod keys;
pub mod leases;
pub mod legacy;
pub mod listen;
pub mod orders;
pub mod outbox;
pub mod reconcile;
pub mod settings;
pub mod shop;
pub mod snk;
pub mod updates;
pub mod users;
