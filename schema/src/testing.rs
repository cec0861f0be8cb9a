//! Throw-away databases for tests on both backends.
//!
//! PostgreSQL tests never skip: they use `AUTOORDER_TEST_PG_URL` (an admin URL; default
//! `postgres://postgres@127.0.0.1:5432/postgres`, which the README's test command makes work)
//! and fail with a clear message when the server cannot be reached.

use diesel::Connection;
use diesel::connection::SimpleConnection;

use crate::db::{Backend, DbTarget, Pool, PoolOptions, open_pool};
use crate::migrations::run_migrations;

/// The admin URL tests create their databases through.
pub fn admin_url() -> String {
    std::env::var("AUTOORDER_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A database that exists for the life of this value and is dropped afterwards.
pub struct TestDatabase {
    /// How to reach it.
    pub target: DbTarget,
    pg_name: Option<String>,
    _dir: Option<tempfile_dir::TempDir>,
}

mod tempfile_dir {
    //! A minimal temp dir so this crate needs no extra dependency for tests.
    use std::path::{Path, PathBuf};

    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new() -> std::io::Result<TempDir> {
            let path =
                std::env::temp_dir().join(format!("autoorder-test-{}", super::unique_suffix()));
            std::fs::create_dir_all(&path)?;
            Ok(TempDir(path))
        }
        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub(crate) fn unique_suffix() -> String {
    use rand::Rng;
    let n: u64 = rand::rng().random();
    format!("{}_{:016x}", std::process::id(), n)
}

impl TestDatabase {
    /// A fresh, empty database of the given backend (no migrations applied).
    pub fn empty(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile_dir::TempDir::new().expect("creating a temp dir for SQLite");
                let target = DbTarget::Sqlite(dir.path().join("autoorder.db"));
                TestDatabase {
                    target,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin = admin_url();
                let name = format!("autoorder_test_{}", unique_suffix());
                let mut conn = diesel::PgConnection::establish(&admin).unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL tests need a server: cannot connect with AUTOORDER_TEST_PG_URL ({e}). \
                         Run the README's test command (tests/run.sh), which starts or installs one."
                    )
                });
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("CREATE DATABASE");
                let url = with_database(&admin, &name);
                TestDatabase {
                    target: DbTarget::Postgres(url),
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }

    /// A fresh database with every migration applied, and a pool on it.
    pub fn migrated(backend: Backend) -> (TestDatabase, Pool) {
        let db = TestDatabase::empty(backend);
        let pool = db.pool();
        run_migrations(&pool, &db.target).expect("migrations apply to an empty database");
        (db, pool)
    }

    /// A new pool on this database.
    pub fn pool(&self) -> Pool {
        open_pool(&self.target, &PoolOptions::default()).expect("opening the test database")
    }

    /// The URL for `DATABASE_URL` (a path for SQLite).
    pub fn url(&self) -> String {
        match &self.target {
            DbTarget::Sqlite(p) => p.to_string_lossy().into_owned(),
            DbTarget::Postgres(u) => u.clone(),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name
            && let Ok(mut conn) = diesel::PgConnection::establish(&admin_url())
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Replaces the database name (the path) of a PostgreSQL URL, keeping any query string.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_end..].find('/') {
        Some(i) => &base[..authority_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Runs a test body once per backend; the name says which backend failed.
#[macro_export]
macro_rules! both_backends {
    ($(#[$meta:meta])* fn $name:ident($backend:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn run($backend: $crate::db::Backend) $body
            $(#[$meta])*
            #[test]
            fn sqlite() { run($crate::db::Backend::Sqlite) }
            $(#[$meta])*
            #[test]
            fn postgres() { run($crate::db::Backend::Postgres) }
        }
    };
}

/// Runs SQL as the PostgreSQL admin (tests that make a database go away and come back).
pub fn admin_execute(sql: &str) -> Result<(), diesel::result::Error> {
    let mut conn = diesel::PgConnection::establish(&admin_url())
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
    conn.batch_execute(sql)
}

/// Runs raw SQL on a pool (tests that set up rows the product has no command for yet).
pub fn execute(pool: &Pool, sql: &str) -> Result<(), crate::StoreError> {
    let mut conn = crate::db::checkout(pool)?;
    conn.batch_execute(sql)?;
    Ok(())
}
