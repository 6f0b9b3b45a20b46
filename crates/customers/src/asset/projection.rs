//! When an asset's next service falls due: a pure function of the service
//! rule and the asset's history, so every branch can be unit-tested.
//!
//! The rule says "every `interval_usage` km (or hours) or every
//! `interval_months`, whichever comes first". Counting starts at the last
//! scheduled service, else at purchase (an asset is taken to start at 0
//! unless a reading on or before its purchase date says otherwise). The date
//! the usage interval is reached is projected from the daily usage rate the
//! readings show; the due date is the earlier of that and the months date.

use chrono::{Days, Months, NaiveDate, NaiveDateTime, TimeDelta};

/// Readings further back than this before the latest one do not count
/// toward the usage rate, so it follows the asset's recent use.
const RATE_WINDOW_DAYS: i64 = 365;
/// A usage date further out than this is no useful projection.
const HORIZON_DAYS: f64 = 36_500.0;

/// The parts of a service rule the projection needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// Every this many km or hours.
    pub usage: Option<i64>,
    /// Every this many months.
    pub months: Option<u32>,
    /// "Due soon" this many days before the due date.
    pub due_soon_days: u32,
    /// "Due soon" this much usage before the due usage; `None`: 10 % of `usage`.
    pub due_soon_usage: Option<i64>,
}

impl Interval {
    /// The usage margin that counts as "due soon".
    pub fn effective_due_soon_usage(&self) -> Option<i64> {
        self.due_soon_usage.or(self.usage.map(|u| u / 10))
    }
}

/// One usage reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// When it was read.
    pub at: NaiveDateTime,
    /// km or hours.
    pub usage: i64,
}

/// What is known about an asset's use and service.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Purchase date.
    pub purchase_date: Option<NaiveDate>,
    /// The last scheduled service.
    pub last_service_on: Option<NaiveDate>,
    /// Usage at the last scheduled service.
    pub last_service_usage: Option<i64>,
    /// Usage readings, in any order.
    pub readings: Vec<Point>,
}

/// The next service: when and at what usage it is due, and from when it is due soon.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Projection {
    /// Due on this date (the earlier of the months and the projected usage date).
    pub due_on: Option<NaiveDate>,
    /// Due at this usage.
    pub due_usage: Option<i64>,
    /// Due soon from this date.
    pub soon_on: Option<NaiveDate>,
    /// Due soon from this usage.
    pub soon_usage: Option<i64>,
}

/// Where an asset stands against its projection on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not due yet.
    Ok,
    /// Within the rule's due-soon margin of days or usage.
    DueSoon,
    /// Past the due date or at/over the due usage.
    Overdue,
    /// No rule applies, or too little is known to project.
    Unknown,
}

/// Projects the next service of an asset with `history` under `interval`.
pub fn project(interval: &Interval, history: &History) -> Projection {
    let mut readings = history.readings.clone();
    readings.sort_by_key(|p| p.at);
    let (base_on, base_usage) = match history.last_service_on {
        Some(on) => (Some(on), history.last_service_usage),
        None => (history.purchase_date, Some(usage_at_purchase(history.purchase_date, &readings))),
    };
    if history.last_service_on.is_none()
        && let Some(purchased) = history.purchase_date
        && readings.first().is_none_or(|p| p.at.date() > purchased)
    {
        // Taken to start at 0 at midday (Lagos) of its purchase date: one
        // more point for the rate.
        readings.insert(0, Point { at: purchased.and_hms_opt(11, 0, 0).unwrap_or_default(), usage: 0 });
    }
    let due_usage = interval.usage.zip(base_usage).and_then(|(every, base)| base.checked_add(every));
    let by_months = interval.months.zip(base_on).and_then(|(every, base)| base.checked_add_months(Months::new(every)));
    let by_usage = due_usage.and_then(|target| date_reaching(&readings, target));
    let due_on = match (by_months, by_usage) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Projection {
        due_on,
        due_usage,
        soon_on: due_on.and_then(|d| d.checked_sub_days(Days::new(u64::from(interval.due_soon_days)))),
        soon_usage: due_usage.zip(interval.effective_due_soon_usage()).map(|(due, margin)| due - margin),
    }
}

/// Where the asset stands on `today` with `last_usage` as its latest usage.
pub fn status(projection: &Projection, last_usage: Option<i64>, today: NaiveDate) -> Status {
    if projection.due_on.is_none() && projection.due_usage.is_none() {
        return Status::Unknown;
    }
    let reached = |limit: Option<i64>| last_usage.zip(limit).is_some_and(|(usage, limit)| usage >= limit);
    if projection.due_on.is_some_and(|d| today > d) || reached(projection.due_usage) {
        Status::Overdue
    } else if projection.soon_on.is_some_and(|d| today >= d) || reached(projection.soon_usage) {
        Status::DueSoon
    } else {
        Status::Ok
    }
}

/// Usage at purchase: a reading on or before the purchase day says it (a
/// used asset); otherwise 0.
fn usage_at_purchase(purchased: Option<NaiveDate>, sorted: &[Point]) -> i64 {
    purchased.and_then(|day| sorted.iter().take_while(|p| p.at.date() <= day).map(|p| p.usage).max()).unwrap_or(0)
}

/// The day usage reaches `target`, extrapolated from the latest reading at
/// the recent daily rate; `None` when the readings show no use.
fn date_reaching(sorted: &[Point], target: i64) -> Option<NaiveDate> {
    let latest = sorted.last()?;
    if latest.usage >= target {
        return Some(latest.at.date());
    }
    let per_day = daily_rate(sorted)?;
    #[expect(clippy::cast_precision_loss, reason = "usage counts far below 2^52")]
    let days = ((target - latest.usage) as f64 / per_day).ceil();
    if !(0.0..=HORIZON_DAYS).contains(&days) {
        return None;
    }
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "checked to be in 0..=36,500")]
    latest.at.date().checked_add_days(Days::new(days as u64))
}

/// Usage per day from the earliest reading within the window before the
/// latest one; when those all fall on the latest reading's day, from the
/// nearest reading before the window instead.
fn daily_rate(sorted: &[Point]) -> Option<f64> {
    let latest = sorted.last()?;
    let window_start = latest.at - TimeDelta::days(RATE_WINDOW_DAYS);
    let start = sorted.iter().position(|p| p.at >= window_start)?;
    let earliest_recent = sorted.get(start)?;
    let first =
        if latest.at - earliest_recent.at >= TimeDelta::days(1) { earliest_recent } else { sorted[..start].last()? };
    let span = latest.at - first.at;
    let used = latest.usage - first.usage;
    if span < TimeDelta::days(1) || used <= 0 {
        return None;
    }
    #[expect(clippy::cast_precision_loss, reason = "seconds and usage far below 2^52")]
    Some(used as f64 / (span.num_seconds() as f64 / 86_400.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn at(s: &str, usage: i64) -> Point {
        Point { at: day(s).and_hms_opt(9, 0, 0).expect("time"), usage }
    }

    fn every(usage: Option<i64>, months: Option<u32>) -> Interval {
        Interval { usage, months, due_soon_days: 30, due_soon_usage: None }
    }

    #[test]
    fn months_only_counts_from_the_last_service() {
        let history = History {
            purchase_date: Some(day("2025-01-10")),
            last_service_on: Some(day("2025-07-31")),
            last_service_usage: Some(9_000),
            readings: vec![],
        };
        let p = project(&every(None, Some(6)), &history);
        // Month ends clamp: 31 July + 6 months is 31 January.
        assert_eq!(p.due_on, Some(day("2026-01-31")));
        assert_eq!(p.due_usage, None);
        assert_eq!(p.soon_on, Some(day("2026-01-01")));
        assert_eq!(p.soon_usage, None);
    }

    #[test]
    fn months_count_from_purchase_without_a_service() {
        let history = History { purchase_date: Some(day("2025-03-15")), ..History::default() };
        let p = project(&every(None, Some(12)), &history);
        assert_eq!(p.due_on, Some(day("2026-03-15")));
    }

    #[test]
    fn nothing_to_count_from_gives_no_date() {
        let p = project(&every(None, Some(12)), &History::default());
        assert_eq!(p, Projection::default());
        assert_eq!(status(&p, Some(100), day("2026-01-01")), Status::Unknown);
    }

    #[test]
    fn usage_interval_counts_from_the_service_usage_and_projects_a_date() {
        let history = History {
            purchase_date: Some(day("2024-01-01")),
            last_service_on: Some(day("2025-01-01")),
            last_service_usage: Some(20_000),
            // 3,000 km in 30 days: 100 km a day.
            readings: vec![at("2025-01-01", 20_000), at("2025-01-31", 23_000)],
        };
        let p = project(&every(Some(10_000), None), &history);
        assert_eq!(p.due_usage, Some(30_000));
        // 7,000 km to go at 100 km a day.
        assert_eq!(p.due_on, Some(day("2025-04-11")));
        assert_eq!(p.soon_usage, Some(29_000));
        assert_eq!(p.soon_on, Some(day("2025-03-12")));
    }

    #[test]
    fn whichever_comes_first_wins() {
        let history = History {
            last_service_on: Some(day("2025-01-01")),
            last_service_usage: Some(0),
            readings: vec![at("2025-01-01", 0), at("2025-01-11", 100)],
            ..History::default()
        };
        // 10 km a day: 10,000 km would take ~1,000 days; 6 months is sooner.
        let slow = project(&every(Some(10_000), Some(6)), &history);
        assert_eq!(slow.due_on, Some(day("2025-07-01")));
        // 1,000 km at 10 km a day is reached before 6 months.
        let fast = project(&every(Some(1_000), Some(6)), &history);
        assert_eq!(fast.due_on, Some(day("2025-04-11")));
    }

    #[test]
    fn a_new_asset_starts_at_zero_on_its_purchase_date() {
        let history = History {
            purchase_date: Some(day("2025-01-01")),
            // 5,000 km in 50 days since purchase.
            readings: vec![at("2025-02-20", 5_000)],
            ..History::default()
        };
        let p = project(&every(Some(10_000), None), &history);
        assert_eq!(p.due_usage, Some(10_000));
        assert!(p.due_on.is_some_and(|d| d > day("2025-04-05") && d < day("2025-04-15")), "{p:?}");
    }

    #[test]
    fn a_used_asset_starts_at_its_reading_at_purchase() {
        let history = History {
            purchase_date: Some(day("2025-01-01")),
            readings: vec![at("2025-01-01", 50_000), at("2025-01-21", 52_000)],
            ..History::default()
        };
        let p = project(&every(Some(10_000), None), &history);
        assert_eq!(p.due_usage, Some(60_000));
        // 100 km a day, 8,000 to go.
        assert_eq!(p.due_on, Some(day("2025-04-11")));
    }

    #[test]
    fn no_usage_rate_means_no_usage_date() {
        let one_reading = History {
            last_service_on: Some(day("2025-01-01")),
            last_service_usage: Some(1_000),
            readings: vec![at("2025-01-05", 1_200)],
            ..History::default()
        };
        let p = project(&every(Some(5_000), None), &one_reading);
        assert_eq!((p.due_usage, p.due_on), (Some(6_000), None));
        let idle = History { readings: vec![at("2025-01-01", 1_200), at("2025-03-01", 1_200)], ..one_reading };
        assert_eq!(project(&every(Some(5_000), None), &idle).due_on, None);
    }

    #[test]
    fn unknown_service_usage_gives_no_usage_target() {
        let history = History {
            last_service_on: Some(day("2025-01-01")),
            last_service_usage: None,
            readings: vec![at("2025-01-01", 100), at("2025-02-01", 900)],
            ..History::default()
        };
        let p = project(&every(Some(5_000), Some(12)), &history);
        assert_eq!(p.due_usage, None);
        assert_eq!(p.due_on, Some(day("2026-01-01")));
    }

    #[test]
    fn usage_already_reached_is_due_on_the_latest_reading() {
        let history = History {
            last_service_on: Some(day("2025-01-01")),
            last_service_usage: Some(0),
            readings: vec![at("2025-01-01", 0), at("2025-06-01", 12_000)],
            ..History::default()
        };
        let p = project(&every(Some(10_000), None), &history);
        assert_eq!(p.due_on, Some(day("2025-06-01")));
    }

    #[test]
    fn the_rate_follows_the_last_year_of_readings() {
        let history = History {
            last_service_on: Some(day("2025-01-01")),
            last_service_usage: Some(10_000),
            // Barely used in 2023, 100 km a day since.
            readings: vec![at("2023-01-01", 0), at("2024-01-01", 100), at("2025-01-01", 36_700)],
            ..History::default()
        };
        let p = project(&every(Some(10_000), None), &history);
        // 10,000 - (36,700 - 10,000) ... the target is 20,000, already passed.
        assert_eq!(p.due_usage, Some(20_000));
        assert_eq!(p.due_on, Some(day("2025-01-01")));
        let later = History { last_service_usage: Some(36_700), ..history };
        // 10,000 more at ~100 km a day: about 100 days.
        let p = project(&every(Some(10_000), None), &later);
        assert!(p.due_on.is_some_and(|d| d >= day("2025-04-10") && d <= day("2025-04-12")), "{p:?}");
    }

    #[test]
    fn readings_on_one_day_fall_back_to_the_reading_before_the_window() {
        let history = History {
            last_service_on: Some(day("2025-06-01")),
            last_service_usage: Some(3_700),
            // 3,700 in the 370 days from 27 May 2024: 10 a day.
            readings: vec![at("2024-05-27", 0), at("2025-06-01", 3_700), at("2025-06-01", 3_700)],
            ..History::default()
        };
        let p = project(&every(Some(1_000), None), &history);
        assert_eq!(p.due_on, Some(day("2025-09-09")));
        let alone = History { readings: vec![at("2025-06-01", 3_600), at("2025-06-01", 3_700)], ..history };
        assert_eq!(project(&every(Some(1_000), None), &alone).due_on, None);
    }

    #[test]
    fn due_soon_margins_default_to_ten_percent_and_can_be_set() {
        let history =
            History { last_service_on: Some(day("2025-01-01")), last_service_usage: Some(0), ..History::default() };
        let default = project(&every(Some(5_000), None), &history);
        assert_eq!(default.soon_usage, Some(4_500));
        let set = Interval { due_soon_usage: Some(1_000), due_soon_days: 7, ..every(Some(5_000), Some(1)) };
        let p = project(&set, &history);
        assert_eq!(p.soon_usage, Some(4_000));
        assert_eq!(p.soon_on, Some(day("2025-01-25")));
    }

    #[test]
    fn status_by_date() {
        let p = Projection {
            due_on: Some(day("2025-06-30")),
            due_usage: None,
            soon_on: Some(day("2025-05-31")),
            soon_usage: None,
        };
        assert_eq!(status(&p, None, day("2025-05-30")), Status::Ok);
        assert_eq!(status(&p, None, day("2025-05-31")), Status::DueSoon);
        // Due on the day itself is still "due soon"; the day after is overdue.
        assert_eq!(status(&p, None, day("2025-06-30")), Status::DueSoon);
        assert_eq!(status(&p, None, day("2025-07-01")), Status::Overdue);
    }

    #[test]
    fn status_by_usage() {
        let p = Projection { due_on: None, due_usage: Some(10_000), soon_on: None, soon_usage: Some(9_000) };
        assert_eq!(status(&p, None, day("2025-01-01")), Status::Ok);
        assert_eq!(status(&p, Some(8_999), day("2025-01-01")), Status::Ok);
        assert_eq!(status(&p, Some(9_000), day("2025-01-01")), Status::DueSoon);
        assert_eq!(status(&p, Some(10_000), day("2025-01-01")), Status::Overdue);
    }

    #[test]
    fn overdue_by_usage_even_when_the_date_is_far() {
        let p = Projection {
            due_on: Some(day("2026-01-01")),
            due_usage: Some(10_000),
            soon_on: Some(day("2025-12-01")),
            soon_usage: Some(9_000),
        };
        assert_eq!(status(&p, Some(10_500), day("2025-02-01")), Status::Overdue);
        assert_eq!(status(&p, Some(100), day("2026-01-02")), Status::Overdue);
    }
}
