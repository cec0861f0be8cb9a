//! Connections and pools: one [`DbConnection`] type serves bundled SQLite and PostgreSQL.
//!
//! Queries that both backends understand are written once against `DbConnection`; the few
//! that differ (`SKIP LOCKED`, advisory locks) branch with [`on_backend!`], which expands the
//! same diesel DSL once per backend, the way vaultwarden's `db_run!` does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ConnectionManager, CustomizeConnection};

use crate::error::StoreError;

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL: production, several replicas.
    Pg(diesel::PgConnection),
    /// Bundled SQLite: a single instance with no server.
    Sqlite(diesel::SqliteConnection),
}

/// Runs the same diesel code on whichever backend `conn` is, binding the concrete connection
/// to `$c`. Use it only where the SQL really differs or a backend-specific API is needed.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// Which backend a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// The connection pool the whole process shares.
pub type Pool = r2d2::Pool<ConnectionManager<DbConnection>>;
/// A connection checked out of the [`Pool`].
pub type PooledConn = r2d2::PooledConnection<ConnectionManager<DbConnection>>;

/// How to reach the database. The PostgreSQL URL may carry a password, so `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub enum DbTarget {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for DbTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbTarget::Sqlite(p) => write!(f, "Sqlite({})", p.display()),
            DbTarget::Postgres(_) => f.write_str("Postgres([redacted url])"),
        }
    }
}

impl DbTarget {
    /// The backend this target selects.
    pub fn backend(&self) -> Backend {
        match self {
            DbTarget::Sqlite(_) => Backend::Sqlite,
            DbTarget::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Options for [`open_pool`].
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Maximum connections (SQLite serialises writers anyway; a few readers help).
    pub max_size: u32,
    /// How long a checkout may wait before the caller gets [`StoreError::Unavailable`].
    pub connection_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 8,
            connection_timeout: Duration::from_secs(5),
        }
    }
}

/// Per-connection SQLite settings: every pooled connection needs them, not just the first.
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        if let DbConnection::Sqlite(c) = conn {
            c.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
            )
            .map_err(r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Opens a pool. SQLite files are created (with their directory) and switched to WAL so
/// readers never block the writer; PostgreSQL is reached with the URL as given.
pub fn open_pool(target: &DbTarget, options: &PoolOptions) -> Result<Pool, StoreError> {
    let url = match target {
        DbTarget::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Io {
                    context: format!("creating database directory {}", dir.display()),
                    source: e,
                })?;
            }
            // WAL is a property of the file: set it once, before the pool opens connections.
            let mut c = diesel::SqliteConnection::establish(&sqlite_url(path))
                .map_err(|e| StoreError::Connect(e.to_string()))?;
            // The busy timeout first: another process closing its last connection checkpoints the
            // WAL under an exclusive lock, and this one must wait for it, not fail.
            c.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")?;
            sqlite_url(path)
        }
        DbTarget::Postgres(url) => url.clone(),
    };
    let manager = ConnectionManager::<DbConnection>::new(url);
    r2d2::Pool::builder()
        .max_size(options.max_size)
        // Connections are opened as work needs them (r2d2 would otherwise open max_size at
        // once: several replicas could use up PostgreSQL's connection slots while idle).
        .min_idle(Some(options.max_size.min(2)))
        // Every checkout is tested (`SELECT 1`): after PostgreSQL restarts or terminates our
        // backends, a dead connection is not "broken" to diesel (no transaction was open), so
        // only this test keeps it from being handed out again and again (the runtime test
        // `readiness_flips_when_postgresql_goes_away_and_comes_back` fails without it).
        .connection_timeout(options.connection_timeout)
        .connection_customizer(Box::new(SqlitePragmas))
        .build(manager)
        .map_err(|e| StoreError::Connect(redact_url_error(&e.to_string())))
}

fn sqlite_url(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// libpq echoes parts of the connection string in some errors; keep passwords out.
fn redact_url_error(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for word in message.split_inclusive(char::is_whitespace) {
        if word.contains("://") && word.contains('@') {
            out.push_str("[redacted url] ");
        } else {
            out.push_str(word);
        }
    }
    out
}

/// Checks a connection out, mapping pool exhaustion or an unreachable server to
/// [`StoreError::Unavailable`] so callers can answer 503 and let Telegram re-deliver.
pub fn checkout(pool: &Pool) -> Result<PooledConn, StoreError> {
    pool.get()
        .map_err(|e| StoreError::Unavailable(redact_url_error(&e.to_string())))
}

/// The backend of a live connection.
pub fn backend_of(conn: &DbConnection) -> Backend {
    match conn {
        DbConnection::Pg(_) => Backend::Postgres,
        DbConnection::Sqlite(_) => Backend::Sqlite,
    }
}

/// Serialises this process's SQLite write transactions (see [`write_tx`]).
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `f` in a write transaction. On SQLite the transaction starts with `BEGIN IMMEDIATE`,
/// taking the write lock up front: a deferred transaction that reads and then writes can fail
/// with SQLITE_BUSY without waiting, which would turn contention into errors.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let nested = match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c)
            .transaction_depth()
            .ok()
            .flatten()
            .is_some(),
        DbConnection::Pg(_) => false,
    };
    match conn {
        DbConnection::Pg(_) => conn.transaction(f),
        // Already inside a transaction: the outer one holds the write lock; nest as a savepoint.
        DbConnection::Sqlite(_) if nested => conn.transaction(f),
        DbConnection::Sqlite(c) => {
            // One writer at a time in this process, queued here rather than in SQLite's busy
            // handler, which sleeps 1–100 ms between tries and wastes most of the write lock's
            // time when many handlers commit at once. (A store's SQLite file belongs to one
            // process; other processes — a CLI command — still wait on the busy timeout.)
            let _writer = SQLITE_WRITER.lock().unwrap_or_else(|e| e.into_inner());
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            match f(conn) {
                Ok(value) => {
                    <DbConnection as Connection>::TransactionManager::commit_transaction(conn)?;
                    Ok(value)
                }
                Err(e) => {
                    // The original error matters more than a failed rollback.
                    let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(
                        conn,
                    );
                    Err(e)
                }
            }
        }
    }
}

/// Milliseconds since the Unix epoch: the time type of every table.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A cheap round trip, for readiness and health probes.
pub fn ping(conn: &mut DbConnection) -> Result<(), StoreError> {
    conn.batch_execute("SELECT 1")?;
    Ok(())
}

/// The backend of a concrete diesel connection type, so code inside [`on_backend!`] can pick
/// backend-specific assets (migrations, SQL text).
pub fn backend_of_concrete<C: BackendKind>(_conn: &C) -> Backend {
    C::BACKEND
}

/// Implemented by the two concrete connection types.
pub trait BackendKind {
    /// The backend this connection type talks to.
    const BACKEND: Backend;
}

impl BackendKind for diesel::PgConnection {
    const BACKEND: Backend = Backend::Postgres;
}

impl BackendKind for diesel::SqliteConnection {
    const BACKEND: Backend = Backend::Sqlite;
}
