//! The one piece of shared application state.

use std::sync::Arc;

use actix_web::web;
use diesel::Connection as _;
use rapport_core::db::{Conn, Db};

use crate::config::HttpConfig;
use crate::error::ApiError;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// HTTP settings handlers and extractors need.
    pub config: Arc<HttpConfig>,
}

impl AppState {
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
            (*conn).transaction(f)
        })
        .await??)
    }
}
