//! Queries and the transactions that keep the invariants, one module per concern.

pub mod audit;
pub mod leases;
pub mod settings;
pub mod updates;
pub mod users;
