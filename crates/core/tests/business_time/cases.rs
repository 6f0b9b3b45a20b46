//! Hand-computed cases. Lagos (UTC+1, no daylight saving) for most; London
//! for daylight saving: in 2026 it springs forward on Sunday 29 March
//! (01:00 GMT → 02:00 BST at 01:00 UTC) and falls back on Sunday 25 October
//! (02:00 BST → 01:00 GMT at 01:00 UTC). 23 November 2026 is a Monday.

use chrono::{Duration, Weekday};
use chrono_tz::Tz;
use rapport_core::calendar::business::{BusinessCalendar, SegmentReason};

use super::{EVERY_DAY, WEEKDAYS, calendar, date, local, utc};

const LAGOS: Tz = Tz::Africa__Lagos;
const LONDON: Tz = Tz::Europe__London;

fn h(hours: i64) -> Duration {
    Duration::hours(hours)
}

/// Mon–Fri 08:00–17:00 and Saturday 09:00–13:00: 49 hours a week.
fn lagos_branch() -> BusinessCalendar {
    calendar(
        LAGOS,
        &[(WEEKDAYS, "08:00", "17:00"), (&[Weekday::Sat], "09:00", "13:00")],
        &[
            ("2026-10-01", "Independence Day"),
            ("2026-12-25", "Christmas Day"),
            ("2026-12-26", "Boxing Day"),
            ("2027-01-01", "New Year's Day"),
        ],
    )
}

fn add(cal: &BusinessCalendar, tz: Tz, start: &str, duration: Duration) -> chrono::DateTime<chrono::Utc> {
    let start = local(tz, start);
    let due = cal.add(start, duration).expect("a due time");
    assert_eq!(cal.between(start, due), duration, "add then between from {start}");
    due
}

#[test]
fn within_one_window() {
    let cal = lagos_branch();
    assert_eq!(cal.weekly_total(), h(49));
    assert_eq!(add(&cal, LAGOS, "2026-11-23 09:00", h(2)), local(LAGOS, "2026-11-23 11:00"));
    assert_eq!(cal.between(local(LAGOS, "2026-11-23 09:15"), local(LAGOS, "2026-11-23 16:45")), Duration::minutes(450));
}

#[test]
fn across_a_night() {
    let cal = lagos_branch();
    assert_eq!(add(&cal, LAGOS, "2026-11-23 16:00", h(2)), local(LAGOS, "2026-11-24 09:00"));
    assert_eq!(cal.between(local(LAGOS, "2026-11-23 12:00"), local(LAGOS, "2026-11-24 12:00")), h(9));
}

#[test]
fn starting_outside_hours_counts_from_the_next_opening() {
    let cal = lagos_branch();
    assert_eq!(add(&cal, LAGOS, "2026-11-23 06:00", h(1)), local(LAGOS, "2026-11-23 09:00"));
    assert_eq!(add(&cal, LAGOS, "2026-11-23 20:00", h(1)), local(LAGOS, "2026-11-24 09:00"));
    assert_eq!(cal.between(local(LAGOS, "2026-11-23 06:00"), local(LAGOS, "2026-11-23 09:00")), h(1));
    // A duration that ends exactly at closing time ends at closing time, not
    // at the next opening: the earliest instant is the answer.
    assert_eq!(add(&cal, LAGOS, "2026-11-23 06:00", h(9)), local(LAGOS, "2026-11-23 17:00"));
}

#[test]
fn zero_duration_returns_the_start_and_reversed_ranges_measure_zero() {
    let cal = lagos_branch();
    let sunday = local(LAGOS, "2026-11-29 12:00");
    assert_eq!(cal.add(sunday, Duration::zero()), Some(sunday));
    assert_eq!(cal.add(sunday, -h(3)), Some(sunday));
    assert_eq!(cal.between(local(LAGOS, "2026-11-24 12:00"), local(LAGOS, "2026-11-23 12:00")), Duration::zero());
}

#[test]
fn across_a_weekend() {
    let cal = lagos_branch();
    // Friday 1 h, Saturday 4 h, Monday 1 h.
    assert_eq!(add(&cal, LAGOS, "2026-11-27 16:00", h(6)), local(LAGOS, "2026-11-30 09:00"));
    assert_eq!(add(&cal, LAGOS, "2026-11-29 12:00", Duration::minutes(30)), local(LAGOS, "2026-11-30 08:30"));
    assert_eq!(cal.between(local(LAGOS, "2026-11-27 00:00"), local(LAGOS, "2026-11-30 00:00")), h(13));
}

#[test]
fn across_a_holiday() {
    let cal = lagos_branch();
    // Wednesday 30 September 1 h, Thursday 1 October is Independence Day.
    assert_eq!(add(&cal, LAGOS, "2026-09-30 16:00", h(2)), local(LAGOS, "2026-10-02 09:00"));
    assert_eq!(cal.between(local(LAGOS, "2026-09-30 00:00"), local(LAGOS, "2026-10-02 00:00")), h(9));
    assert_eq!(cal.holiday(date("2026-10-01")), Some("Independence Day"));
}

#[test]
fn several_windows_a_day() {
    let cal = calendar(LAGOS, &[(WEEKDAYS, "08:00", "12:00"), (WEEKDAYS, "13:00", "17:00")], &[]);
    assert_eq!(cal.weekly_total(), h(40));
    assert_eq!(add(&cal, LAGOS, "2026-11-23 11:00", h(2)), local(LAGOS, "2026-11-23 14:00"));
    assert_eq!(add(&cal, LAGOS, "2026-11-23 11:00", h(1)), local(LAGOS, "2026-11-23 12:00"));
    assert_eq!(add(&cal, LAGOS, "2026-11-23 12:30", h(1)), local(LAGOS, "2026-11-23 14:00"));
    assert_eq!(cal.between(local(LAGOS, "2026-11-23 11:30"), local(LAGOS, "2026-11-23 13:30")), h(1));
}

#[test]
fn across_a_year_end() {
    let cal = lagos_branch();
    // Thursday 31 December 1 h; Friday 1 January a holiday; Saturday 2 January 2 h.
    assert_eq!(add(&cal, LAGOS, "2026-12-31 16:00", h(3)), local(LAGOS, "2027-01-02 11:00"));
    // Thu 24: 9; Fri 25, Sat 26: holidays; Mon 28 – Thu 31: 36; Fri 1: holiday; Sat 2: 4.
    assert_eq!(cal.between(local(LAGOS, "2026-12-24 00:00"), local(LAGOS, "2027-01-04 00:00")), h(49));
}

#[test]
fn long_durations_skip_whole_weeks() {
    let cal = calendar(LAGOS, &[(WEEKDAYS, "09:00", "17:00")], &[]);
    // 400 h = ten 40-hour weeks: Monday 5 January 09:00 → Friday 13 March 17:00.
    assert_eq!(add(&cal, LAGOS, "2026-01-05 09:00", h(400)), local(LAGOS, "2026-03-13 17:00"));
    // 520 weeks: to Friday 21 December 2035 17:00; 3,654 days = 522 weeks.
    assert_eq!(add(&cal, LAGOS, "2026-01-05 09:00", h(520 * 40)), local(LAGOS, "2035-12-21 17:00"));
    assert_eq!(cal.between(local(LAGOS, "2026-01-05 00:00"), local(LAGOS, "2036-01-07 00:00")), h(522 * 40));
    // Beyond ~1,000 years: never.
    assert_eq!(cal.add(local(LAGOS, "2026-01-05 09:00"), Duration::days(365 * 5_000)), None);
}

#[test]
fn a_calendar_without_windows_never_reaches_a_deadline() {
    let cal = calendar(LAGOS, &[], &[("2026-10-01", "Independence Day")]);
    let start = local(LAGOS, "2026-11-23 09:00");
    assert_eq!(cal.add(start, Duration::minutes(1)), None);
    assert_eq!(cal.add_excluding(start, Duration::minutes(1), &[]), None);
    assert_eq!(cal.add(start, Duration::zero()), Some(start));
    assert_eq!(cal.between(start, start + Duration::days(400)), Duration::zero());
    let segments = cal.segments(start, start + Duration::days(3));
    assert_eq!(segments.len(), 1);
    assert_eq!(segments[0].reason, SegmentReason::OutsideHours);
    assert!(!segments[0].counted);
}

#[test]
fn daylight_saving_moves_the_windows_not_their_length() {
    let cal = calendar(LONDON, &[(EVERY_DAY, "09:00", "17:00")], &[]);
    // Saturday 12:00 GMT to Sunday 12:00 BST: 23 hours of wall time, 5 + 3 business hours.
    let (from, to) = (local(LONDON, "2026-03-28 12:00"), local(LONDON, "2026-03-29 12:00"));
    assert_eq!(to - from, h(23));
    assert_eq!(cal.between(from, to), h(8));
    assert_eq!(add(&cal, LONDON, "2026-03-28 16:00", h(2)), utc("2026-03-29 09:00"));
    // Saturday 12:00 BST to Sunday 12:00 GMT: 25 hours of wall time.
    let (from, to) = (local(LONDON, "2026-10-24 12:00"), local(LONDON, "2026-10-25 12:00"));
    assert_eq!(to - from, h(25));
    assert_eq!(cal.between(from, to), h(8));
    assert_eq!(add(&cal, LONDON, "2026-10-24 16:00", h(2)), utc("2026-10-25 10:00"));
}

#[test]
fn whole_weeks_across_daylight_saving() {
    let cal = calendar(LONDON, &[(WEEKDAYS, "09:00", "17:00")], &[]);
    // Two weeks in winter time, then a third across the change.
    assert_eq!(add(&cal, LONDON, "2026-03-16 09:00", h(80)), utc("2026-03-27 17:00"));
    assert_eq!(add(&cal, LONDON, "2026-03-16 09:00", h(120)), utc("2026-04-03 16:00"));
    assert_eq!(cal.between(local(LONDON, "2026-01-05 00:00"), local(LONDON, "2027-01-04 00:00")), h(52 * 40));
}

#[test]
fn windows_touching_the_change_follow_the_wall_clock() {
    let sunday = |start, end| calendar(LONDON, &[(&[Weekday::Sun], start, end)], &[]);
    let spring = (local(LONDON, "2026-03-28 12:00"), local(LONDON, "2026-03-30 12:00"));
    let autumn = (local(LONDON, "2026-10-24 12:00"), local(LONDON, "2026-10-26 12:00"));
    // A whole-day window lasts as long as the day.
    assert_eq!(sunday("00:00", "24:00").between(spring.0, spring.1), h(23));
    assert_eq!(sunday("00:00", "24:00").between(autumn.0, autumn.1), h(25));
    // 01:00–02:00 does not exist in spring; it happens twice in autumn and the
    // window runs from the first 01:00 until the clock first reads 02:00.
    assert_eq!(sunday("01:00", "02:00").between(spring.0, spring.1), Duration::zero());
    assert_eq!(sunday("01:00", "02:00").between(autumn.0, autumn.1), h(2));
    assert_eq!(sunday("01:30", "02:00").between(autumn.0, autumn.1), Duration::minutes(90));
    // Opening inside the gap opens when the gap ends (02:00 BST = 01:00 UTC).
    let cal = sunday("01:30", "03:00");
    assert_eq!(cal.between(spring.0, spring.1), h(1));
    assert_eq!(cal.add(spring.0, Duration::minutes(1)), Some(utc("2026-03-29 01:01")));
    // An ordinary Sunday has the full window.
    assert_eq!(
        sunday("01:00", "02:00").between(local(LONDON, "2026-03-21 12:00"), local(LONDON, "2026-03-23 12:00")),
        h(1)
    );
}

#[test]
fn pauses_stop_the_clock() {
    let cal = lagos_branch();
    let start = local(LAGOS, "2026-11-23 09:00");
    let pauses = [(local(LAGOS, "2026-11-23 10:00"), local(LAGOS, "2026-11-24 12:00"))];
    // Monday 09–10 runs, then Tuesday from 12:00.
    let due = cal.add_excluding(start, h(4), &pauses).expect("due");
    assert_eq!(due, local(LAGOS, "2026-11-24 15:00"));
    assert_eq!(cal.between_excluding(start, due, &pauses), h(4));
    assert_eq!(cal.between(start, due), h(4 + 7 + 4));
    let segments = cal.segments_excluding(start, due, &pauses);
    let shown: Vec<_> = segments.iter().map(|s| (s.start, s.end, s.counted, s.reason.code())).collect();
    assert_eq!(
        shown,
        vec![
            (start, pauses[0].0, true, "working"),
            (pauses[0].0, pauses[0].1, false, "paused"),
            (pauses[0].1, due, true, "working"),
        ]
    );
    // Starting inside a pause counts from its end; overlapping, unsorted and
    // inverted pauses are fine.
    let pauses = [
        (local(LAGOS, "2026-11-23 10:00"), local(LAGOS, "2026-11-23 11:00")),
        (local(LAGOS, "2026-11-23 08:00"), local(LAGOS, "2026-11-23 10:30")),
        (local(LAGOS, "2026-11-23 15:00"), local(LAGOS, "2026-11-23 14:00")),
    ];
    assert_eq!(cal.add_excluding(start, h(1), &pauses), Some(local(LAGOS, "2026-11-23 12:00")));
    assert_eq!(cal.between_excluding(start, local(LAGOS, "2026-11-23 17:00"), &pauses), h(6));
}

#[test]
fn a_pause_with_no_end_has_no_due_time() {
    // A ticket pending since Monday 10:00 Lagos (UTC+1), its clock's pause
    // still open: the deadline waits, and nothing overflows past the end of
    // time in a zone east of UTC.
    let cal = lagos_branch();
    let start = local(LAGOS, "2026-11-23 09:00");
    let open_ended = [(local(LAGOS, "2026-11-23 10:00"), chrono::DateTime::<chrono::Utc>::MAX_UTC)];
    assert_eq!(cal.add_excluding(start, h(4), &open_ended), None);
    // A deadline before the pause began stands.
    assert_eq!(cal.add_excluding(start, Duration::minutes(30), &open_ended), Some(local(LAGOS, "2026-11-23 09:30")));
}

#[test]
fn segments_explain_nights_weekends_and_holidays() {
    let cal = lagos_branch();
    let (from, to) = (local(LAGOS, "2026-09-30 16:00"), local(LAGOS, "2026-10-02 10:00"));
    let shown: Vec<_> = cal.segments(from, to).into_iter().map(|s| (s.start, s.end, s.counted, s.reason)).collect();
    let at = |t| local(LAGOS, t);
    assert_eq!(
        shown,
        vec![
            (from, at("2026-09-30 17:00"), true, SegmentReason::Working),
            (at("2026-09-30 17:00"), at("2026-10-01 00:00"), false, SegmentReason::OutsideHours),
            (at("2026-10-01 00:00"), at("2026-10-02 00:00"), false, SegmentReason::Holiday("Independence Day".into())),
            (at("2026-10-02 00:00"), at("2026-10-02 08:00"), false, SegmentReason::OutsideHours),
            (at("2026-10-02 08:00"), to, true, SegmentReason::Working),
        ]
    );
    // Saturday afternoon to Monday morning is one stretch outside hours.
    let weekend = cal.segments(local(LAGOS, "2026-11-28 13:00"), local(LAGOS, "2026-11-30 08:00"));
    assert_eq!(weekend.len(), 1);
    assert_eq!(weekend[0].reason, SegmentReason::OutsideHours);
}

#[test]
fn an_always_open_calendar_measures_wall_time() {
    // Recife kept daylight saving for six days in October 2000 (8th to 15th,
    // changing at local midnight): weeks around it are not plain weeks.
    for (tz, from, to) in [
        (Tz::America__Recife, "2000-09-25 00:00", "2000-11-06 00:00"),
        (LONDON, "2026-01-01 00:00", "2027-01-01 00:00"),
        (LAGOS, "2026-01-01 00:00", "2027-01-01 00:00"),
    ] {
        let cal = calendar(tz, &[(EVERY_DAY, "00:00", "24:00")], &[]);
        let (from, to) = (local(tz, from), local(tz, to));
        assert_eq!(cal.between(from, to), to - from, "{tz}");
        assert_eq!(cal.add(from, to - from), Some(to), "{tz}");
        for hours in [1, 150, 170, 200, 500] {
            assert_eq!(cal.add(from, h(hours)), Some(from + h(hours)), "{tz} + {hours} h");
        }
    }
}

#[test]
fn round_the_clock_is_wall_clock_time() {
    let always = BusinessCalendar::round_the_clock();
    let from = utc("2026-12-24 18:30");
    assert_eq!(always.between(from, utc("2026-12-27 06:30")), h(60), "nights, weekends and Christmas count");
    assert_eq!(always.add(from, h(60)), Some(utc("2026-12-27 06:30")));
    assert_eq!(always.weekly_total(), h(168));
}
