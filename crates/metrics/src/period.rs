//! A report's period: local days in the company time zone, as the UTC
//! instants the database stores, and the buckets of a time series.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone};
use chrono_tz::Tz;
use rapport_core::time;

use crate::GroupBy;

/// Local days `from..=to` in `tz`: the instants `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// The zone days are measured in.
    pub tz: Tz,
    /// First local day.
    pub from: NaiveDate,
    /// Last local day, included.
    pub to: NaiveDate,
    /// Local midnight starting `from`, as stored UTC.
    pub start: NaiveDateTime,
    /// Local midnight after `to`, as stored UTC.
    pub end: NaiveDateTime,
}

impl Period {
    /// The period of local days `from..=to` (`from <= to`).
    pub fn new(tz: Tz, from: NaiveDate, to: NaiveDate) -> Period {
        let after = to.checked_add_days(Days::new(1)).unwrap_or(to);
        Period { tz, from, to, start: time::local_midnight(tz, from), end: time::local_midnight(tz, after) }
    }

    /// The keys of the buckets the period spans, in order: each bucket's
    /// first local day (a week's Monday, a month's 1st). The first and last
    /// may start before or end after the period; only the period's part of
    /// them is counted.
    pub fn buckets(&self, group_by: GroupBy) -> Vec<NaiveDate> {
        let mut keys: Vec<NaiveDate> = Vec::new();
        let mut day = self.from;
        while day <= self.to {
            let key = bucket_of(day, group_by);
            if keys.last() != Some(&key) {
                keys.push(key);
            }
            match day.checked_add_days(Days::new(1)) {
                Some(next) => day = next,
                None => break,
            }
        }
        keys
    }

    /// The zone's UTC offset over the period, in seconds, as pieces: the
    /// first applies from `start`, each later one from its instant on.
    /// One piece unless the zone changes offset (daylight saving) inside
    /// the period.
    pub fn offsets(&self) -> Vec<(NaiveDateTime, i32)> {
        let offset_at = |at: NaiveDateTime| self.tz.offset_from_utc_datetime(&at).fix().local_minus_utc();
        let mut pieces = vec![(self.start, offset_at(self.start))];
        let mut day_start = self.start;
        let mut day = self.from;
        while day_start < self.end {
            let next_day = day.checked_add_days(Days::new(1)).unwrap_or(day);
            let next_start = time::local_midnight(self.tz, next_day).min(self.end);
            let current = pieces.last().map_or(0, |p| p.1);
            if next_start <= day_start {
                break;
            }
            if offset_at(next_start) != current || offset_at(next_start - TimeDelta::seconds(1)) != current {
                // A change inside this day: find its first second.
                let (mut lo, mut hi) = (day_start, next_start);
                while hi - lo > TimeDelta::seconds(1) {
                    let mid = lo + TimeDelta::seconds((hi - lo).num_seconds() / 2);
                    if offset_at(mid) == current { lo = mid } else { hi = mid }
                }
                pieces.push((hi, offset_at(hi)));
            }
            day_start = next_start;
            day = next_day;
        }
        pieces
    }
}

/// The key of the bucket holding local day `day`.
pub fn bucket_of(day: NaiveDate, group_by: GroupBy) -> NaiveDate {
    match group_by {
        GroupBy::Day => day,
        GroupBy::Week => {
            day.checked_sub_days(Days::new(u64::from(day.weekday().num_days_from_monday()))).unwrap_or(day)
        }
        GroupBy::Month => day.with_day(1).unwrap_or(day),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn lagos_days_start_at_2300_utc_the_day_before() {
        let p = Period::new(chrono_tz::Africa::Lagos, d("2026-01-01"), d("2026-01-31"));
        assert_eq!(p.start.to_string(), "2025-12-31 23:00:00");
        assert_eq!(p.end.to_string(), "2026-01-31 23:00:00");
        assert_eq!(p.offsets(), vec![(p.start, 3600)]);
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let p = Period::new(chrono_tz::Africa::Lagos, d("2026-01-01"), d("2026-02-10"));
        let weeks = p.buckets(GroupBy::Week);
        assert_eq!(weeks.first(), Some(&d("2025-12-29")));
        assert_eq!(weeks.last(), Some(&d("2026-02-09")));
        assert_eq!(weeks.len(), 7);
        assert_eq!(p.buckets(GroupBy::Month), vec![d("2026-01-01"), d("2026-02-01")]);
        assert_eq!(p.buckets(GroupBy::Day).len(), 41);
    }

    #[test]
    fn a_daylight_saving_change_splits_the_offsets_at_its_instant() {
        // London springs forward at 01:00 UTC on 29 March 2026.
        let p = Period::new(chrono_tz::Europe::London, d("2026-03-01"), d("2026-04-30"));
        let pieces = p.offsets();
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0].1, 0);
        assert_eq!(pieces[1], ("2026-03-29T01:00:00".parse().expect("instant"), 3600));
        // And falls back at 01:00 UTC on 25 October.
        let p = Period::new(chrono_tz::Europe::London, d("2026-10-01"), d("2026-10-31"));
        assert_eq!(p.offsets()[1], ("2026-10-25T01:00:00".parse().expect("instant"), 0));
    }
}
