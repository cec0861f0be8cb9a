//! Blocking work off the actor threads. Diesel and file I/O block; an actor thread that blocks
//! stalls every actor sharing it, so all of it goes through tokio's blocking pool.

use autoorder_schema::{DbConnection, Pool, StoreError, checkout};

/// Runs `f` with a pooled connection on the blocking pool.
pub async fn with_conn<T, F>(pool: &Pool, f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = checkout(&pool)?;
        f(&mut conn)
    })
    .await
    .map_err(|e| StoreError::Unavailable(format!("blocking task failed: {e}")))?
}
