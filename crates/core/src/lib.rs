//! Rapport's shared foundation: the storage layer over SQLite and
//! PostgreSQL, the error type, ids and time, pagination, validation helpers,
//! business calendars, the audit log and change-event outbox, and stored
//! idempotency keys.
//!
//! It knows nothing of HTTP: the server crate maps [`Error`] to responses.

pub mod audit;
pub mod calendar;
pub mod change_feed;
pub mod db;
mod error;
pub mod feed_consumer;
pub mod idempotency;
pub mod ids;
pub mod jobs;
pub mod money;
pub mod notification;
pub mod page;
pub mod phone;
pub mod principal;
pub mod removal;
pub mod serde_util;
mod text_enum;
pub mod time;
pub mod upsert;
pub mod validate;

pub use error::{Error, FieldError, Problems, Result};
