//! The business-time calculator: hand-computed cases for each situation the
//! docs name (`cases`), properties over a few thousand generated calendars and
//! instants (`properties`), and loading a calendar from the database (`load`).

mod cases;
mod load;
mod properties;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use rapport_core::calendar::Holiday;
use rapport_core::calendar::business::{BusinessCalendar, WeeklyWindow};

/// `HH:MM` as minutes after midnight.
fn minute(hhmm: &str) -> u32 {
    let (h, m) = hhmm.split_once(':').expect("HH:MM");
    h.parse::<u32>().expect("hours") * 60 + m.parse::<u32>().expect("minutes")
}

/// A calendar from `(weekdays, "HH:MM", "HH:MM")` windows and `("YYYY-MM-DD", name)` holidays.
fn calendar(tz: Tz, windows: &[(&[Weekday], &str, &str)], holidays: &[(&str, &str)]) -> BusinessCalendar {
    let windows = windows.iter().flat_map(|(days, start, end)| {
        days.iter().map(|&weekday| WeeklyWindow { weekday, start_minute: minute(start), end_minute: minute(end) })
    });
    let holidays =
        holidays.iter().map(|(date, name)| Holiday { date: date.parse().expect("date"), name: (*name).into() });
    BusinessCalendar::new(tz, windows, holidays).expect("calendar")
}

/// A local wall-clock time `YYYY-MM-DD HH:MM` that exists exactly once in `tz`.
fn local(tz: Tz, at: &str) -> DateTime<Utc> {
    let naive = NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M").expect("YYYY-MM-DD HH:MM");
    tz.from_local_datetime(&naive).single().expect("an unambiguous local time").with_timezone(&Utc)
}

/// A UTC time `YYYY-MM-DD HH:MM`.
fn utc(at: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M").expect("YYYY-MM-DD HH:MM").and_utc()
}

fn date(raw: &str) -> NaiveDate {
    raw.parse().expect("date")
}

const WEEKDAYS: &[Weekday] = &[Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
const EVERY_DAY: &[Weekday] =
    &[Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
