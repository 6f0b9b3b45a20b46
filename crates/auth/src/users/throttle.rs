//! Failed sign-ins counted per account and per client address, in the
//! database so every replica sees the same counts.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rapport_core::db::schema::login_throttle as t;
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::{Result, time};

/// Failures counted within this window.
const WINDOW_MINUTES: i64 = 15;
/// How long a subject stays blocked after reaching its limit.
const BLOCK_MINUTES: i64 = 15;
/// Failures before an account is blocked.
pub(crate) const ACCOUNT_LIMIT: i32 = 5;
/// Failures before a client address is blocked.
pub(crate) const ADDRESS_LIMIT: i32 = 20;

pub(crate) fn account(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

pub(crate) fn address(addr: &str) -> String {
    format!("addr:{addr}")
}

/// Seconds until the first of `subjects` is unblocked, if any is blocked.
pub(crate) fn blocked_for(conn: &mut Conn, subjects: &[String]) -> Result<Option<i64>> {
    let now = time::now();
    let until: Option<NaiveDateTime> = t::table
        .filter(t::subject.eq_any(subjects))
        .filter(t::blocked_until.gt(now))
        .select(diesel::dsl::max(t::blocked_until.assume_not_null()))
        .first::<Option<NaiveDateTime>>(conn)?;
    Ok(until.map(|u| (u - now).num_seconds().max(1)))
}

/// Counts one failure for `subject`; blocks it at `limit`. Returns the
/// failures in the current window.
pub(crate) fn record_failure(conn: &mut Conn, subject: &str, limit: i32) -> Result<i32> {
    let now = time::now();
    rapport_core::per_backend!(&mut *conn, c => diesel::insert_into(t::table)
        .values((t::subject.eq(subject), t::failures.eq(0), t::window_started_at.eq(now)))
        .on_conflict(t::subject)
        .do_nothing()
        .execute(c))?;
    // Start a new window when the old one has passed, then count atomically.
    diesel::update(t::table.filter(t::subject.eq(subject)))
        .filter(t::window_started_at.lt(now - Duration::minutes(WINDOW_MINUTES)))
        .set((t::failures.eq(0), t::window_started_at.eq(now), t::blocked_until.eq(None::<NaiveDateTime>)))
        .cached()
        .execute(conn)?;
    diesel::update(t::table.filter(t::subject.eq(subject)))
        .set(t::failures.eq(t::failures + 1))
        .cached()
        .execute(conn)?;
    let failures = t::table.filter(t::subject.eq(subject)).select(t::failures).first::<i32>(conn)?;
    if failures >= limit {
        diesel::update(t::table.filter(t::subject.eq(subject)))
            .set(t::blocked_until.eq(now + Duration::minutes(BLOCK_MINUTES)))
            .cached()
            .execute(conn)?;
    }
    Ok(failures)
}

/// Forgets the failures of `subject` (after a successful sign-in).
pub(crate) fn clear(conn: &mut Conn, subject: &str) -> Result<()> {
    diesel::delete(t::table.filter(t::subject.eq(subject))).execute(conn)?;
    Ok(())
}

/// How long to hold back the answer after `failures` failures: nothing for
/// the first two, then one second more per failure, at most five.
pub(crate) fn delay_after(failures: i32) -> std::time::Duration {
    std::time::Duration::from_secs(u64::try_from((failures - 2).clamp(0, 5)).unwrap_or(0))
}
