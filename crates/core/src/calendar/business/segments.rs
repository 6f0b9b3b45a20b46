//! The running and stopped stretches a measurement is made of, so a disputed
//! SLA deadline can be checked by hand.

use chrono::{DateTime, Duration, Utc};

use super::measure::normalise;
use super::{BusinessCalendar, Day, Pause};

/// A stretch of time with one status. Segments from one call are in order,
/// contiguous, and cover the range asked for exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Start, inclusive.
    pub start: DateTime<Utc>,
    /// End, exclusive.
    pub end: DateTime<Utc>,
    /// Whether it counts as business time.
    pub counted: bool,
    /// Why it counts or not.
    pub reason: SegmentReason,
}

impl Segment {
    /// Its length in wall-clock time.
    pub fn duration(&self) -> Duration {
        self.end - self.start
    }
}

/// Why a segment counts or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegmentReason {
    /// Inside a working window: counted.
    Working,
    /// Outside the working windows (nights, days without windows such as
    /// weekends).
    OutsideHours,
    /// A whole local day that is a holiday, with the holiday's name.
    Holiday(String),
    /// Inside a pause (waiting on the customer); this wins over the others.
    Paused,
}

impl SegmentReason {
    /// Stable snake_case code: `working`, `outside_hours`, `holiday`, `paused`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Working => "working",
            Self::OutsideHours => "outside_hours",
            Self::Holiday(_) => "holiday",
            Self::Paused => "paused",
        }
    }
}

impl BusinessCalendar {
    /// The segments of `[from, to)`: working, outside hours and holidays.
    /// The counted ones add up to [`between`](Self::between). Empty when
    /// `to <= from`. About two segments per working day: meant for
    /// explaining one deadline, not for long reports.
    pub fn segments(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Segment> {
        let mut out = Vec::new();
        if to <= from {
            return out;
        }
        let Some(mut day) = self.first_day(from) else { return out };
        while day.start < to {
            let Some(next) = self.next_day(day) else { break };
            for segment in self.day_segments(day, next) {
                let (start, end) = (segment.start.max(from), segment.end.min(to));
                if start < end {
                    push_merged(&mut out, Segment { start, end, ..segment });
                }
            }
            day = next;
        }
        out
    }

    /// [`segments`](Self::segments) with every part inside a pause marked
    /// [`SegmentReason::Paused`] and not counted; the counted ones add up to
    /// [`between_excluding`](Self::between_excluding).
    pub fn segments_excluding(&self, from: DateTime<Utc>, to: DateTime<Utc>, pauses: &[Pause]) -> Vec<Segment> {
        let pauses = normalise(pauses, from, to);
        let mut out = Vec::new();
        for segment in self.segments(from, to) {
            let mut cursor = segment.start;
            for &(s, e) in pauses.iter().filter(|(s, e)| *e > segment.start && *s < segment.end) {
                if s > cursor {
                    push_merged(&mut out, Segment { start: cursor, end: s, ..segment.clone() });
                }
                cursor = e.min(segment.end);
                let start = s.max(segment.start);
                push_merged(&mut out, Segment { start, end: cursor, counted: false, reason: SegmentReason::Paused });
            }
            if cursor < segment.end {
                push_merged(&mut out, Segment { start: cursor, ..segment });
            }
        }
        out
    }

    /// One local day, from its start to the next day's, in segments.
    fn day_segments(&self, day: Day, next: Day) -> Vec<Segment> {
        let segment = |start, end, reason| Segment { start, end, counted: reason == SegmentReason::Working, reason };
        if let Some(name) = self.holiday(day.date) {
            return vec![segment(day.start, next.start, SegmentReason::Holiday(name.to_owned()))];
        }
        let mut out = Vec::new();
        let mut cursor = day.start;
        for (s, e) in self.working_intervals(day.date) {
            if s > cursor {
                out.push(segment(cursor, s, SegmentReason::OutsideHours));
            }
            out.push(segment(s, e, SegmentReason::Working));
            cursor = e;
        }
        if cursor < next.start {
            out.push(segment(cursor, next.start, SegmentReason::OutsideHours));
        }
        out
    }
}

/// Appends, joining with the previous segment when it continues it unchanged.
fn push_merged(out: &mut Vec<Segment>, segment: Segment) {
    match out.last_mut() {
        Some(last) if last.end == segment.start && last.reason == segment.reason => last.end = segment.end,
        _ => out.push(segment),
    }
}
