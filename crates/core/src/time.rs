//! Instants as the database stores them.
//!
//! Columns hold UTC as `TIMESTAMP` without zone. PostgreSQL keeps
//! microseconds and SQLite whatever it is given, so every instant is truncated
//! to microseconds before it is written: both backends then return the same value.

use chrono::{DateTime, NaiveDateTime, Utc};

/// The current instant, truncated to microseconds, as stored.
pub fn now() -> NaiveDateTime {
    truncate(Utc::now()).naive_utc()
}

/// `instant` truncated to microseconds.
pub fn truncate(instant: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(instant.timestamp_micros()).unwrap_or(instant)
}

/// A stored instant as UTC.
pub fn utc(stored: NaiveDateTime) -> DateTime<Utc> {
    stored.and_utc()
}

/// An instant in the form stored, truncated to microseconds.
pub fn stored(instant: DateTime<Utc>) -> NaiveDateTime {
    truncate(instant).naive_utc()
}
