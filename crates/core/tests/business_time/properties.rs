//! Properties over generated calendars (random windows, several a day, some
//! touching midnight or a daylight-saving change; random holidays) in five
//! zones, two with daylight saving in opposite hemispheres, one with a
//! half-hour offset. A small deterministic generator keeps failures
//! reproducible without a new dependency: each failure prints its case number.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use rapport_core::calendar::Holiday;
use rapport_core::calendar::business::{BusinessCalendar, Pause, WeeklyWindow};

const ZONES: [Tz; 5] =
    [Tz::Africa__Lagos, Tz::Europe__London, Tz::Australia__Sydney, Tz::America__New_York, Tz::Asia__Kolkata];

/// SplitMix64: tiny, fast and good enough to spread test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + i64::try_from(self.below(u64::try_from(hi - lo).expect("hi > lo"))).expect("fits")
    }
}

/// A generated calendar, kept as plain data for the reference computation.
struct Spec {
    tz: Tz,
    windows: Vec<(Weekday, u32, u32)>,
    holidays: BTreeSet<NaiveDate>,
}

impl Spec {
    fn generate(rng: &mut Rng) -> Self {
        let tz = ZONES[usize::try_from(rng.below(5)).expect("index")];
        let mut windows = Vec::new();
        for n in 0..7u8 {
            if rng.chance(4) {
                continue;
            }
            let weekday = Weekday::try_from(n).expect("weekday");
            // 2k distinct quarter-hour marks in 00:00..=24:00, paired in order.
            let k = 1 + rng.below(3);
            let mut marks = BTreeSet::new();
            while marks.len() < usize::try_from(2 * k).expect("small") {
                marks.insert(u32::try_from(rng.below(97)).expect("small") * 15);
            }
            let marks: Vec<u32> = marks.into_iter().collect();
            windows.extend(marks.chunks(2).map(|pair| (weekday, pair[0], pair[1])));
        }
        if windows.is_empty() {
            windows.push((Weekday::Mon, 9 * 60, 17 * 60));
        }
        let first = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
        let holidays = (0..rng.below(30)).map(|_| first + Duration::days(rng.range(0, 4 * 366))).collect();
        Self { tz, windows, holidays }
    }

    fn calendar(&self) -> BusinessCalendar {
        let windows = self.windows.iter().map(|&(weekday, start_minute, end_minute)| WeeklyWindow {
            weekday,
            start_minute,
            end_minute,
        });
        let holidays = self.holidays.iter().map(|&date| Holiday { date, name: "holiday".into() });
        BusinessCalendar::new(self.tz, windows, holidays).expect("calendar")
    }

    /// Business time walked one local day at a time, with its own way of
    /// finding when a wall-clock time first comes: minute by minute through a gap.
    fn reference_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        let mut total = Duration::zero();
        let first = from.with_timezone(&self.tz).date_naive() - Duration::days(2);
        let last = to.with_timezone(&self.tz).date_naive() + Duration::days(1);
        for date in first.iter_days().take_while(|d| *d <= last) {
            if self.holidays.contains(&date) {
                continue;
            }
            for &(_, s, e) in self.windows.iter().filter(|w| w.0 == date.weekday()) {
                let (s, e) = (self.first_reading(date, s).max(from), self.first_reading(date, e).min(to));
                if s < e {
                    total += e - s;
                }
            }
        }
        total
    }

    fn first_reading(&self, date: NaiveDate, minute: u32) -> DateTime<Utc> {
        let mut local = date.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(i64::from(minute));
        loop {
            match self.tz.from_local_datetime(&local) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.with_timezone(&Utc),
                LocalResult::None => local += Duration::minutes(1),
            }
        }
    }
}

/// An instant in 2025–2028; often on a quarter hour so that it meets window
/// edges, sometimes with nanoseconds.
fn instant(rng: &mut Rng) -> DateTime<Utc> {
    let mut secs = rng.range(1_735_689_600, 1_861_920_000);
    if rng.chance(3) {
        secs -= secs % 900;
    }
    let nanos = if rng.chance(5) { u32::try_from(rng.below(1_000_000_000)).expect("nanos") } else { 0 };
    DateTime::from_timestamp(secs, nanos).expect("in range")
}

/// Up to 600 hours, sometimes up to 5,000; often whole quarter hours.
fn duration(rng: &mut Rng) -> Duration {
    let max = if rng.chance(5) { 5_000 * 3_600 } else { 600 * 3_600 };
    let secs = rng.range(0, max);
    Duration::seconds(if rng.chance(2) { secs - secs % 900 } else { secs })
}

fn pauses(rng: &mut Rng, around: DateTime<Utc>) -> Vec<Pause> {
    (0..rng.below(5))
        .map(|_| {
            let start = around + Duration::seconds(rng.range(-5 * 86_400, 60 * 86_400));
            (start, start + Duration::seconds(rng.range(-3_600, 10 * 86_400)))
        })
        .collect()
}

fn counted(segments: &[rapport_core::calendar::business::Segment]) -> Duration {
    segments.iter().filter(|s| s.counted).fold(Duration::zero(), |sum, s| sum + s.duration())
}

#[test]
fn add_then_between_gives_the_duration_back() {
    let mut rng = Rng(1);
    for case in 0..3_000 {
        let spec = Spec::generate(&mut rng);
        let cal = spec.calendar();
        let (start, d) = (instant(&mut rng), duration(&mut rng));
        let due = cal.add(start, d).expect("a calendar with windows always gets there");
        assert_eq!(cal.between(start, due), d, "case {case}: {start} + {d}");
        // The earliest such instant: a nanosecond earlier is not enough.
        if d > Duration::zero() {
            assert!(cal.between(start, due - Duration::nanoseconds(1)) < d, "case {case}: not the earliest");
        }
        // Monotonic in the duration and in the start.
        let more = d + duration(&mut rng);
        assert!(cal.add(start, more).expect("due") >= due, "case {case}: longer came sooner");
        let later = start + Duration::seconds(rng.range(0, 30 * 86_400));
        assert!(cal.add(later, d).expect("due") >= due, "case {case}: later start came sooner");
    }
}

#[test]
fn between_is_additive_bounded_and_matches_a_day_by_day_reference() {
    let mut rng = Rng(2);
    for case in 0..2_000 {
        let spec = Spec::generate(&mut rng);
        let cal = spec.calendar();
        let a = instant(&mut rng);
        let b = a + Duration::seconds(rng.range(0, 90 * 86_400));
        let c = b + Duration::seconds(rng.range(0, 90 * 86_400));
        let (ab, bc, ac) = (cal.between(a, b), cal.between(b, c), cal.between(a, c));
        assert_eq!(ab + bc, ac, "case {case}: not additive over {a}, {b}, {c}");
        assert!(ac <= c - a, "case {case}: more business time than wall time");
        assert!(ab <= ac && bc <= ac, "case {case}: not monotonic");
        assert_eq!(ac, spec.reference_between(a, c), "case {case}: differs from the reference over {a}..{c}");
        assert_eq!(cal.between(c, a), Duration::zero(), "case {case}: reversed range");
    }
}

#[test]
fn segments_cover_the_range_and_add_up_to_between() {
    let mut rng = Rng(3);
    for case in 0..1_000 {
        let cal = Spec::generate(&mut rng).calendar();
        let a = instant(&mut rng);
        let b = a + Duration::seconds(rng.range(1, 40 * 86_400));
        let p = pauses(&mut rng, a);
        for (segments, expected) in [
            (cal.segments(a, b), cal.between(a, b)),
            (cal.segments_excluding(a, b, &p), cal.between_excluding(a, b, &p)),
        ] {
            assert_eq!(segments.first().map(|s| s.start), Some(a), "case {case}");
            assert_eq!(segments.last().map(|s| s.end), Some(b), "case {case}");
            for pair in segments.windows(2) {
                assert_eq!(pair[0].end, pair[1].start, "case {case}: gap or overlap");
                assert!(pair[0].reason != pair[1].reason, "case {case}: unmerged neighbours");
            }
            assert!(segments.iter().all(|s| s.start < s.end), "case {case}: empty segment");
            assert_eq!(counted(&segments), expected, "case {case}");
        }
    }
}

#[test]
fn pauses_round_trip_and_only_ever_remove_time() {
    let mut rng = Rng(4);
    for case in 0..2_000 {
        let cal = Spec::generate(&mut rng).calendar();
        let (start, d) = (instant(&mut rng), duration(&mut rng));
        let p = pauses(&mut rng, start);
        let due = cal.add_excluding(start, d, &p).expect("due");
        assert_eq!(cal.between_excluding(start, due, &p), d, "case {case}: {start} + {d} pausing {p:?}");
        assert!(due >= cal.add(start, d).expect("due"), "case {case}: pausing made it sooner");
        let end = start + Duration::seconds(rng.range(0, 60 * 86_400));
        assert!(cal.between_excluding(start, end, &p) <= cal.between(start, end), "case {case}");
        assert_eq!(cal.between_excluding(start, end, &[]), cal.between(start, end), "case {case}");
    }
}
