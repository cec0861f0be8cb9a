//! Blocking work off the actor threads. Diesel and file I/O block; an actor thread that blocks
//! stalls every actor sharing it, so all of it goes through tokio's blocking pool — through
//! [`run_blocking`], which re-raises a panic of the blocking closure in the caller (as
//! vaultwarden's `run_blocking` does): a panic is a crash for the supervisor to handle, never
//! "database unavailable".

use autoorder_schema::{DbConnection, Pool, StoreError, checkout};

/// Runs `f` on the blocking pool. A panic inside `f` resumes in the caller; a blocking task
/// that was cancelled (the runtime is shutting down) is reported as unavailable.
pub async fn run_blocking<T, F>(f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(StoreError::Unavailable(format!(
            "blocking task cancelled: {e}"
        ))),
    }
}

/// Runs `f` with a pooled connection on the blocking pool.
pub async fn with_conn<T, F>(pool: &Pool, f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
{
    let pool = pool.clone();
    run_blocking(move || {
        let mut conn = checkout(&pool)?;
        f(&mut conn)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_in_the_closure_is_a_panic_in_the_caller() {
        let caught = tokio::spawn(async {
            let _: Result<(), StoreError> = run_blocking(|| panic!("boom in the closure")).await;
        })
        .await
        .expect_err("the task must panic");
        assert!(caught.is_panic());
        let message = caught.into_panic();
        let text = message.downcast_ref::<&str>().copied().unwrap_or_default();
        assert_eq!(text, "boom in the closure");
    }

    #[tokio::test]
    async fn errors_stay_errors() {
        let r: Result<(), StoreError> =
            run_blocking(|| Err(StoreError::Unavailable("down".into()))).await;
        assert!(matches!(r, Err(StoreError::Unavailable(_))));
    }
}
