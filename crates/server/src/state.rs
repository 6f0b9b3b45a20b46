//! The one piece of shared application state.

use std::sync::Arc;

use actix_web::web;
use diesel::Connection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use rapport_core::db::{Conn, Db};

use rapport_auth::tokens::TokenKeys;

use crate::config::HttpConfig;
use crate::error::ApiError;
use crate::principals::PrincipalCache;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// HTTP settings handlers and extractors need.
    pub config: Arc<HttpConfig>,
    /// Signs and verifies access tokens.
    pub keys: Arc<TokenKeys>,
    /// Recently loaded principals.
    pub principals: Arc<PrincipalCache>,
}

impl AppState {
    /// State over `db` with the given settings and keys.
    pub fn new(db: Db, config: HttpConfig, keys: TokenKeys) -> Self {
        Self { db, config: Arc::new(config), keys: Arc::new(keys), principals: Arc::new(PrincipalCache::default()) }
    }

    /// Runs `f` with a read connection on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Conn) -> rapport_core::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.db.clone();
        Ok(web::block(move || {
            let mut conn = db.read()?;
            f(&mut conn)
        })
        .await??)
    }

    /// Runs `f` inside one transaction on the write connection, on the
    /// blocking pool: the change, its audit entry and its change event commit
    /// together or not at all.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Conn) -> rapport_core::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.db.clone();
        Ok(web::block(move || {
            let mut conn = db.write()?;
            write_transaction(&mut conn, f)
        })
        .await??)
    }

    /// Runs `f` on the write connection, on the blocking pool, without
    /// opening a transaction: for work that opens its own (bulk ingestion
    /// commits its items together and, should that fail, one by one).
    pub async fn with_writer<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Conn) -> rapport_core::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.db.clone();
        Ok(web::block(move || {
            let mut conn = db.write()?;
            f(&mut conn)
        })
        .await??)
    }
}

/// `f` in a transaction that, on SQLite, takes the write lock at `BEGIN
/// IMMEDIATE` rather than at its first write.
///
/// Why: a deferred transaction that reads first and then writes, while
/// another connection holds the write lock, gets `SQLITE_BUSY` at once
/// ("database is locked"): SQLite does not wait on a busy lock for a
/// transaction that already holds a read snapshot. When the checkpointer
/// held that lock on a connection of its own, that was 15-40 % of requests
/// answering 500 under a steady create load (docs/benchmarks.md, leads); it
/// now borrows the write connection instead, but another process's writer
/// (`rapport sweep`, `rapport seed`) still takes the lock. `BEGIN IMMEDIATE`
/// waits, with `busy_timeout`, before any snapshot is taken. PostgreSQL is
/// unchanged.
pub fn write_transaction<T, F>(conn: &mut Conn, f: F) -> rapport_core::Result<T>
where
    F: FnOnce(&mut Conn) -> rapport_core::Result<T>,
{
    let Conn::Sqlite(sqlite) = conn else {
        return conn.transaction(f);
    };
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    // Nested transactions inside `f` go through the multi-connection's
    // manager, which delegates to this same SQLite one: they become savepoints.
    match f(conn) {
        Ok(value) => {
            <Conn as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match <Conn as Connection>::TransactionManager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Runs CPU-heavy work (password hashing) on the blocking pool, without
/// holding a database connection.
pub async fn off_thread<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> rapport_core::Result<T> + Send + 'static,
    T: Send + 'static,
{
    Ok(web::block(f).await??)
}
