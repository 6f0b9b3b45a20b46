//! Business time on a calendar: adding a business duration to an instant and
//! measuring the business time between two instants, optionally with pauses.
//! SLA clocks and the metrics both use this one implementation; the rules are
//! written down in `docs/business-time.md`.
//!
//! Working windows are local wall-clock times on a weekday, so on the days a
//! time zone changes its offset they are turned into instants with one rule:
//! a local time stands for the **first instant at which the clock reads that
//! time or later**. A time skipped by a spring-forward gap becomes the end of
//! the gap; a time repeated by a fall-back fold becomes its first occurrence.
//! Every window is then a half-open UTC interval, and business time is real
//! elapsed time inside those intervals.

mod measure;
mod segments;

use std::collections::BTreeMap;

use chrono::{
    DateTime, Datelike, Days, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use chrono_tz::{GapInfo, Tz};
use diesel::prelude::*;

pub use segments::{Segment, SegmentReason};

use super::api::Holiday;
use super::rows::WindowRow;
use super::store;
use crate::db::Conn;
use crate::db::schema::{calendar_windows, calendars};
use crate::error::{Error, Result};

/// Minutes in a day; a window may end at 1440, midnight at the end of the day.
const DAY_MINUTES: u32 = 1440;

/// An interval during which the clock stands still (a ticket waiting on the
/// customer): start inclusive, end exclusive. A pause still running is passed
/// with `now` as its end.
pub type Pause = (DateTime<Utc>, DateTime<Utc>);

/// One working window on a weekday, in minutes after local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyWindow {
    /// The weekday.
    pub weekday: Weekday,
    /// Opening, minutes after midnight (0..1440).
    pub start_minute: u32,
    /// Closing, minutes after midnight, after `start_minute`; 1440 is midnight
    /// at the end of the day.
    pub end_minute: u32,
}

/// A calendar ready for business-time arithmetic: a time zone, working
/// windows per weekday and holiday dates (own and inherited). Cheap to clone;
/// load it once per request or batch rather than once per ticket.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    time_zone: Tz,
    /// Windows per weekday (index 0 is Monday) as sorted, disjoint
    /// `(start, end)` minutes.
    week: [Vec<(u32, u32)>; 7],
    /// Business time in seven consecutive days with no holiday and no offset
    /// change: what a whole week adds, so long spans skip a week at a time.
    weekly_total: Duration,
    holidays: BTreeMap<NaiveDate, String>,
}

/// A local date and the instant it begins.
#[derive(Debug, Clone, Copy)]
struct Day {
    date: NaiveDate,
    start: DateTime<Utc>,
}

impl BusinessCalendar {
    /// A calendar from its parts. Overlapping or touching windows on the same
    /// weekday are merged (they would otherwise count twice); a window that
    /// is empty, inverted or ends after 24:00 is an [`Error::Internal`], since
    /// stored windows were validated when written.
    pub fn new(
        time_zone: Tz,
        windows: impl IntoIterator<Item = WeeklyWindow>,
        holidays: impl IntoIterator<Item = Holiday>,
    ) -> Result<Self> {
        let mut week: [Vec<(u32, u32)>; 7] = Default::default();
        for w in windows {
            if w.start_minute >= w.end_minute || w.end_minute > DAY_MINUTES {
                return Err(Error::Internal(format!(
                    "working window {}-{} on {} is not within one day",
                    w.start_minute, w.end_minute, w.weekday
                )));
            }
            week[w.weekday.num_days_from_monday() as usize].push((w.start_minute, w.end_minute));
        }
        let mut weekly_minutes = 0;
        for day in &mut week {
            *day = merge(std::mem::take(day));
            weekly_minutes += day.iter().map(|(s, e)| e - s).sum::<u32>();
        }
        Ok(Self {
            time_zone,
            week,
            weekly_total: Duration::minutes(i64::from(weekly_minutes)),
            holidays: holidays.into_iter().map(|h| (h.date, h.name)).collect(),
        })
    }

    /// Round the clock in UTC, without holidays: what a record with no
    /// calendar is measured on (business time equals wall-clock time).
    pub fn round_the_clock() -> Self {
        Self {
            time_zone: Tz::UTC,
            week: std::array::from_fn(|_| vec![(0, DAY_MINUTES)]),
            weekly_total: Duration::minutes(i64::from(7 * DAY_MINUTES)),
            holidays: Default::default(),
        }
    }

    /// Loads a calendar, archived or not (old tickets keep measuring on it):
    /// its time zone, its windows and its effective holidays, inherited ones
    /// included.
    pub fn load(conn: &mut Conn, calendar_id: &str) -> Result<Self> {
        // First, so that an unknown id is a plain NotFound.
        let holidays = store::effective_holidays(conn, calendar_id)?;
        let zone: String =
            calendars::table.filter(calendars::id.eq(calendar_id)).select(calendars::time_zone).get_result(conn)?;
        let time_zone = zone
            .parse::<Tz>()
            .map_err(|_| Error::Internal(format!("calendar {calendar_id} has unknown time zone {zone}")))?;
        let rows: Vec<WindowRow> = calendar_windows::table
            .filter(calendar_windows::calendar_id.eq(calendar_id))
            .select(WindowRow::as_select())
            .load(conn)?;
        let windows = rows.iter().map(window_from_row).collect::<Result<Vec<_>>>()?;
        Self::new(time_zone, windows, holidays)
    }

    /// The calendar's time zone.
    pub fn time_zone(&self) -> Tz {
        self.time_zone
    }

    /// Business time in a week without holidays or offset changes.
    pub fn weekly_total(&self) -> Duration {
        self.weekly_total
    }

    /// The length of one business day: [`weekly_total`](Self::weekly_total)
    /// divided by the number of weekdays that have at least one working
    /// window (Mon–Fri 08:00–17:00 gives 9 hours; round the clock 24 hours).
    /// A nominal figure, to express business time in business days: holidays
    /// and offset changes do not shorten it. `None` for a calendar with no
    /// windows, on which no time is ever business time.
    pub fn business_day(&self) -> Option<Duration> {
        let days = self.week.iter().filter(|windows| !windows.is_empty()).count();
        let days = i32::try_from(days).ok().filter(|&d| d > 0)?;
        Some(self.weekly_total / days)
    }

    /// The holiday on `date`, if any.
    pub fn holiday(&self, date: NaiveDate) -> Option<&str> {
        self.holidays.get(&date).map(String::as_str)
    }

    /// The day containing `instant`, stepped back one day: in a fold around
    /// midnight an instant can read as the previous date although that date's
    /// successor has already begun, so walks start a day early to be safe.
    fn first_day(&self, instant: DateTime<Utc>) -> Option<Day> {
        let date = instant.with_timezone(&self.time_zone).date_naive().pred_opt()?;
        self.day(date)
    }

    fn day(&self, date: NaiveDate) -> Option<Day> {
        Some(Day { date, start: self.instant(date, 0)? })
    }

    fn next_day(&self, day: Day) -> Option<Day> {
        self.day(day.date.succ_opt()?)
    }

    /// The day a week after `day`, when the seven days from `day` hold no
    /// holiday and each lasts exactly 24 hours (no offset change): such a week
    /// holds exactly `weekly_total` of business time. Each day is checked, not
    /// just the week's two ends: in October 2000 parts of Brazil started
    /// daylight saving and dropped it again six days later.
    fn plain_week(&self, day: Day) -> Option<Day> {
        let end = day.date.checked_add_days(Days::new(7))?;
        if self.holidays.range(day.date..end).next().is_some() {
            return None;
        }
        let mut current = day;
        for _ in 0..7 {
            let next = self.next_day(current)?;
            if next.start - current.start != Duration::days(1) {
                return None;
            }
            current = next;
        }
        Some(current)
    }

    /// The working intervals of a local date as instants, in order; none on a
    /// holiday. A window wholly inside a spring-forward gap is empty and left out.
    fn working_intervals(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if self.holidays.contains_key(&date) {
            return Vec::new();
        }
        self.week[date.weekday().num_days_from_monday() as usize]
            .iter()
            .filter_map(|&(s, e)| Some((self.instant(date, s)?, self.instant(date, e)?)))
            .filter(|(s, e)| s < e)
            .collect()
    }

    /// The first instant at which the local clock reads `minute` minutes after
    /// midnight on `date`, or later. `None` only beyond chrono's range.
    fn instant(&self, date: NaiveDate, minute: u32) -> Option<DateTime<Utc>> {
        let local = date.and_time(NaiveTime::MIN).checked_add_signed(Duration::minutes(i64::from(minute)))?;
        resolve(self.time_zone, local)
    }
}

/// `local` as the first instant whose wall-clock reading is `local` or later.
fn resolve(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        // The clock reads `local` twice; the first time comes first.
        LocalResult::Ambiguous(earliest, _) => Some(earliest.with_timezone(&Utc)),
        // The clock skips `local`; it next reads a later time where the gap ends.
        LocalResult::None => GapInfo::new(&local, &tz).and_then(|gap| gap.end).map(|t| t.with_timezone(&Utc)),
    }
}

/// Sorted, disjoint windows; touching ones joined.
fn merge(mut windows: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    windows.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(windows.len());
    for (s, e) in windows {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

fn window_from_row(row: &WindowRow) -> Result<WeeklyWindow> {
    let bad = || Error::Internal(format!("stored working window {row:?} is out of range"));
    // Stored weekdays are ISO numbers, Monday 1 … Sunday 7.
    let weekday = u8::try_from(row.weekday - 1).ok().and_then(|n| Weekday::try_from(n).ok()).ok_or_else(bad)?;
    let start_minute = u32::try_from(row.start_minute).map_err(|_| bad())?;
    let end_minute = u32::try_from(row.end_minute).map_err(|_| bad())?;
    Ok(WeeklyWindow { weekday, start_minute, end_minute })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_overlapping_and_touching_windows() {
        assert_eq!(merge(vec![(780, 1020), (480, 720), (700, 750)]), vec![(480, 750), (780, 1020)]);
        assert_eq!(merge(vec![(480, 720), (720, 1020)]), vec![(480, 1020)]);
    }

    fn window(weekday: Weekday, start_hour: u32, end_hour: u32) -> WeeklyWindow {
        WeeklyWindow { weekday, start_minute: start_hour * 60, end_minute: end_hour * 60 }
    }

    const WEEKDAYS: [Weekday; 5] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];

    #[test]
    fn a_business_day_is_the_weekly_total_over_the_working_days() {
        let eight_to_five = WEEKDAYS.map(|d| window(d, 8, 17));
        let cal = BusinessCalendar::new(Tz::Africa__Lagos, eight_to_five, []).expect("calendar");
        assert_eq!(cal.business_day(), Some(Duration::hours(9)));
        assert_eq!(cal.business_day().map(|d| d.num_seconds()), Some(32_400));

        // A short Saturday is a working day too: (45 h + 4 h) / 6 = 8 h 10 min.
        let with_saturday = eight_to_five.into_iter().chain([window(Weekday::Sat, 9, 13)]);
        let cal = BusinessCalendar::new(Tz::Africa__Lagos, with_saturday, []).expect("calendar");
        assert_eq!(cal.business_day(), Some(Duration::minutes(8 * 60 + 10)));

        // Two windows on one day count as one day; holidays do not shorten it.
        let split = [window(Weekday::Mon, 8, 12), window(Weekday::Mon, 13, 17), window(Weekday::Tue, 8, 16)];
        let holiday = Holiday { date: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"), name: "Off".to_owned() };
        let cal = BusinessCalendar::new(Tz::Africa__Lagos, split, [holiday]).expect("calendar");
        assert_eq!(cal.business_day(), Some(Duration::hours(8)));
    }

    #[test]
    fn a_business_day_round_the_clock_is_24_hours_and_none_without_windows() {
        assert_eq!(BusinessCalendar::round_the_clock().business_day(), Some(Duration::hours(24)));
        assert_eq!(BusinessCalendar::round_the_clock().business_day().map(|d| d.num_seconds()), Some(86_400));
        let holidays_only = BusinessCalendar::new(Tz::Africa__Lagos, [], []).expect("calendar");
        assert_eq!(holidays_only.business_day(), None);
    }

    #[test]
    fn rejects_windows_outside_one_day() {
        for (s, e) in [(600, 600), (700, 600), (0, 1441)] {
            let w = WeeklyWindow { weekday: Weekday::Mon, start_minute: s, end_minute: e };
            assert!(BusinessCalendar::new(Tz::Africa__Lagos, [w], []).is_err(), "{s}-{e}");
        }
    }

    #[test]
    fn resolves_gaps_to_their_end_and_folds_to_their_first_occurrence() {
        let tz = Tz::Europe__London;
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time");
        let utc = |s: &str| at(s).and_utc();
        // 29 March 2026: 01:00 GMT jumps to 02:00 BST at 01:00 UTC.
        assert_eq!(resolve(tz, at("2026-03-29 01:30")), Some(utc("2026-03-29 01:00")));
        assert_eq!(resolve(tz, at("2026-03-29 02:00")), Some(utc("2026-03-29 01:00")));
        // 25 October 2026: 02:00 BST falls back to 01:00 GMT at 01:00 UTC.
        assert_eq!(resolve(tz, at("2026-10-25 01:30")), Some(utc("2026-10-25 00:30")));
        assert_eq!(resolve(tz, at("2026-10-25 02:00")), Some(utc("2026-10-25 02:00")));
    }
}
