//! The one piece of shared application state.

use std::sync::Arc;

use actix_web::web;
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

    /// Runs `f` inside one write transaction ([`Db::transact`]), on the
    /// blocking pool: the change, its audit entry and its change event commit
    /// together or not at all.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Conn) -> rapport_core::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.db.clone();
        Ok(web::block(move || db.transact(f)).await??)
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

/// Runs CPU-heavy work (password hashing) on the blocking pool, without
/// holding a database connection.
pub async fn off_thread<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> rapport_core::Result<T> + Send + 'static,
    T: Send + 'static,
{
    Ok(web::block(f).await??)
}
