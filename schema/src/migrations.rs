//! Embedded migrations, one set per backend, applied under a lock so that two processes
//! starting together never both migrate.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::db::{DbConnection, DbTarget, Pool, checkout};
use crate::error::StoreError;

/// PostgreSQL migrations, compiled into the binary.
pub const POSTGRES: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
/// SQLite migrations, compiled into the binary.
pub const SQLITE: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// Arbitrary but fixed key of the PostgreSQL advisory lock taken while migrating.
const PG_MIGRATION_LOCK: i64 = 0x6175_746f_6f72_6472; // "autoordr"

fn migration_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Migration(e.to_string())
}

/// Versions not yet applied, oldest first. Readiness is false while this is non-empty.
pub fn pending_migrations(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    let names = crate::on_backend!(conn, c => {
        let set = match crate::db::backend_of_concrete(c) {
            crate::db::Backend::Postgres => POSTGRES,
            crate::db::Backend::Sqlite => SQLITE,
        };
        c.pending_migrations(set)
            .map_err(migration_error)?
            .iter()
            .map(|m| m.name().to_string())
            .collect::<Vec<_>>()
    });
    Ok(names)
}

/// Applies every pending migration and returns the versions applied (empty when up to date).
///
/// PostgreSQL: a session advisory lock serialises replicas. SQLite: an exclusive lock on a
/// file beside the database serialises processes. The second process waits, then finds
/// nothing pending.
pub fn run_migrations(pool: &Pool, target: &DbTarget) -> Result<Vec<String>, StoreError> {
    let mut conn = checkout(pool)?;
    match (&mut *conn, target) {
        (DbConnection::Pg(c), _) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK})"))?;
            let result = c
                .run_pending_migrations(POSTGRES)
                .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>())
                .map_err(migration_error);
            let unlock =
                c.batch_execute(&format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})"));
            let applied = result?;
            unlock?;
            Ok(applied)
        }
        (DbConnection::Sqlite(c), DbTarget::Sqlite(path)) => {
            let lock_path = path.with_extension("migrate.lock");
            let lock = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
                .map_err(|e| StoreError::Io {
                    context: format!("opening migration lock {}", lock_path.display()),
                    source: e,
                })?;
            lock.lock().map_err(|e| StoreError::Io {
                context: format!("locking {}", lock_path.display()),
                source: e,
            })?;
            let applied = c
                .run_pending_migrations(SQLITE)
                .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>())
                .map_err(migration_error);
            // Dropping the file releases the lock; unlock explicitly to be clear about it.
            let _ = lock.unlock();
            applied
        }
        (DbConnection::Sqlite(_), DbTarget::Postgres(_)) => Err(StoreError::Migration(
            "pool and target disagree on the backend".into(),
        )),
    }
}

/// Counts rows of every table in [`crate::tables::ALL_TABLES`], for backups and drills.
pub fn row_counts(conn: &mut DbConnection) -> Result<Vec<(String, i64)>, StoreError> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut out = Vec::new();
    for table in crate::tables::ALL_TABLES {
        let query = format!("SELECT COUNT(*) AS n FROM {table}");
        let n = crate::on_backend!(conn, c => diesel::sql_query(&query).get_result::<Count>(c)?.n);
        out.push((table.to_string(), n));
    }
    Ok(out)
}

/// How many migrations each backend has (the two sets always match; a test checks it).
pub const POSTGRES_COUNT: usize = 8;
