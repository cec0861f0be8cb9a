//! autoorder-schema: the single source of truth.
//!
//! Tables ([`tables`]), the queries and invariant-keeping transactions over them
//! ([`queries`]), connections for both backends ([`db`]) and the embedded migrations
//! ([`migrations`]). Nothing here knows about Telegram or actors.

pub mod crypto;
pub mod db;
pub mod error;
pub mod job_kinds;
pub mod migrations;
pub mod queries;
pub mod secret;
pub mod tables;
pub mod testing;

pub use db::{
    Backend, DbConnection, DbTarget, Pool, PoolOptions, PooledConn, checkout, now_ms, open_pool,
    write_tx,
};
pub use error::StoreError;
