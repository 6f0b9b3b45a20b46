//! Instants as the database stores them.
//!
//! Columns hold UTC as `TIMESTAMP` without zone. PostgreSQL keeps
//! microseconds and SQLite whatever it is given, so every instant is truncated
//! to microseconds before it is written: both backends then return the same value.

use chrono::{DateTime, Days, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

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

/// The start of the company's day containing `now`, and of the next day,
/// as stored UTC instants. Days are measured at local midnight, so a
/// follow-up at 23:59 Lagos time is "today" even though it is the next day
/// in UTC.
pub fn day_bounds(tz: Tz, now: DateTime<Utc>) -> (NaiveDateTime, NaiveDateTime) {
    let today = now.with_timezone(&tz).date_naive();
    let tomorrow = today.checked_add_days(Days::new(1)).unwrap_or(today);
    (local_midnight(tz, today), local_midnight(tz, tomorrow))
}

/// Midnight of `day` in `tz` as a stored UTC instant. Where a zone skips
/// midnight (a daylight-saving jump), the day starts at its first instant.
pub fn local_midnight(tz: Tz, day: chrono::NaiveDate) -> NaiveDateTime {
    local_instant(tz, day, chrono::NaiveTime::MIN)
}

/// `at` o'clock on `day` in `tz` as a stored UTC instant; a wall-clock time
/// a daylight-saving jump skips is taken an hour later, and one it repeats
/// at its first occurrence.
pub fn local_instant(tz: Tz, day: chrono::NaiveDate, at: chrono::NaiveTime) -> NaiveDateTime {
    let naive = day.and_time(at);
    let local = tz
        .from_local_datetime(&naive)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(naive + TimeDelta::hours(1))).earliest());
    local.map_or(naive, |l| stored(l.with_timezone(&Utc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lagos_days_start_at_2300_utc() {
        let tz: Tz = "Africa/Lagos".parse().expect("zone");
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 23, 30, 0).single().expect("instant");
        let (start, end) = day_bounds(tz, now);
        assert_eq!(start.to_string(), "2026-11-23 23:00:00");
        assert_eq!(end.to_string(), "2026-11-24 23:00:00");
    }
}
