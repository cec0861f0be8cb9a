//! Storage errors. Callers distinguish "the database is unavailable" (answer 503, retry later)
//! from everything else.

use thiserror::Error;

/// An error from the storage layer.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database could not be reached or the pool is exhausted: try again later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Opening the database failed.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migration(String),
    /// Local file work (SQLite directory, lock file) failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A stored value could not be decoded.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// True when retrying later may succeed (unreachable server, exhausted pool, lock timeout).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) | StoreError::Connect(_) => true,
            StoreError::Query(diesel::result::Error::DatabaseError(kind, _)) => {
                matches!(kind, diesel::result::DatabaseErrorKind::ClosedConnection)
            }
            _ => false,
        }
    }
}
