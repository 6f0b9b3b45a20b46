//! The per-source limit on inquiries per minute, counted in the database
//! (`intake_rate_windows`) so every replica on one database enforces the
//! same limit.
//!
//! A fixed window per clock minute: the first request of a minute opens the
//! window's row, each accepted request adds one with a conditional
//! `UPDATE … SET hits = hits + 1 WHERE hits < limit`, which is atomic on both
//! backends (PostgreSQL locks the row; SQLite has one writer). At a minute's
//! boundary a burst of up to twice the limit can pass, the usual price of
//! fixed windows.

use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use rapport_core::db::schema::intake_rate_windows as w;
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::{Error, Result, time};

/// Counts one request of `source_id` against `limit` per minute, or answers
/// [`Error::RateLimited`] with the seconds until the next minute.
pub fn take(conn: &mut Conn, source_id: &str, limit: i32) -> Result<()> {
    take_at(conn, source_id, limit, time::now())
}

fn take_at(conn: &mut Conn, source_id: &str, limit: i32, now: NaiveDateTime) -> Result<()> {
    let secs = now.and_utc().timestamp();
    let start_secs = secs - secs.rem_euclid(60);
    let window_start = DateTime::from_timestamp(start_secs, 0)
        .map(|d| d.naive_utc())
        .ok_or_else(|| Error::Internal(format!("no minute starts at {start_secs}")))?;
    let opened = rapport_core::per_backend!(&mut *conn, c => diesel::insert_into(w::table)
        .values((w::source_id.eq(source_id), w::window_start.eq(window_start), w::hits.eq(0)))
        .on_conflict((w::source_id, w::window_start))
        .do_nothing()
        .execute(c))?;
    if opened > 0 {
        diesel::delete(w::table.filter(w::source_id.eq(source_id)).filter(w::window_start.lt(window_start)))
            .execute(conn)?;
    }
    let counted = diesel::update(w::table.filter(w::source_id.eq(source_id)).filter(w::window_start.eq(window_start)))
        .filter(w::hits.lt(limit))
        .set(w::hits.eq(w::hits + 1))
        .cached()
        .execute(conn)?;
    if counted == 0 {
        let retry_after_secs = u64::try_from(start_secs + 60 - secs).unwrap_or(1).max(1);
        return Err(Error::RateLimited { retry_after_secs });
    }
    Ok(())
}
