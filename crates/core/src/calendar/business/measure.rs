//! Adding and measuring business time, with and without pauses.

use chrono::{DateTime, Duration, Utc};

use super::{BusinessCalendar, Pause};

/// How far `add` looks ahead before answering "never": about 1,000 years of
/// weeks. Also bounds the work for absurd durations.
const MAX_WEEKS: i64 = 52_000;

impl BusinessCalendar {
    /// The instant at which `duration` of business time has elapsed after
    /// `start`. Counting starts at `start` if it is inside a window, else at
    /// the next window opening; the answer is the earliest such instant, so it
    /// never lies outside working hours (it may be a window's closing time).
    ///
    /// A zero or negative `duration` gives `start` back unchanged. `None`
    /// means the duration never elapses: the calendar has no working windows,
    /// or the answer lies more than ~1,000 years ahead.
    pub fn add(&self, start: DateTime<Utc>, duration: Duration) -> Option<DateTime<Utc>> {
        if duration <= Duration::zero() {
            return Some(start);
        }
        let week_secs = self.weekly_total.num_seconds();
        if week_secs == 0 || duration.num_seconds() / week_secs > MAX_WEEKS {
            return None;
        }
        let mut remaining = duration;
        let mut day = self.first_day(start)?;
        loop {
            // Strictly more than a week left: the answer lies beyond this one.
            if day.start >= start && remaining > self.weekly_total {
                if let Some(next_week) = self.plain_week(day) {
                    remaining -= self.weekly_total;
                    day = next_week;
                    continue;
                }
            }
            for (s, e) in self.working_intervals(day.date) {
                let s = s.max(start);
                if s >= e {
                    continue;
                }
                if remaining <= e - s {
                    return Some(s + remaining);
                }
                remaining -= e - s;
            }
            day = self.next_day(day)?;
        }
    }

    /// Business time in `[from, to)`. Zero when `to <= from`: a clamp, not an
    /// error, so a clock read before it started simply shows nothing used.
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        let mut total = Duration::zero();
        if to <= from || self.weekly_total.is_zero() {
            return total;
        }
        let Some(mut day) = self.first_day(from) else { return total };
        while day.start < to {
            // A plain week lasts exactly seven days: only try one that fits.
            if day.start >= from && to - day.start >= Duration::days(7) {
                if let Some(next_week) = self.plain_week(day) {
                    total += self.weekly_total;
                    day = next_week;
                    continue;
                }
            }
            for (s, e) in self.working_intervals(day.date) {
                let (s, e) = (s.max(from), e.min(to));
                if s < e {
                    total += e - s;
                }
            }
            let Some(next) = self.next_day(day) else { break };
            day = next;
        }
        total
    }

    /// Business time in `[from, to)` outside every pause. Pauses may overlap,
    /// be unsorted or reach outside the range; empty or inverted ones are
    /// ignored.
    pub fn between_excluding(&self, from: DateTime<Utc>, to: DateTime<Utc>, pauses: &[Pause]) -> Duration {
        running(from, to, pauses).into_iter().fold(Duration::zero(), |sum, (s, e)| sum + self.between(s, e))
    }

    /// [`add`](Self::add) with the clock stopped during `pauses`: the earliest
    /// instant at which `duration` of business time outside every pause has
    /// elapsed after `start`. Starting inside a pause counts from its end.
    pub fn add_excluding(&self, start: DateTime<Utc>, duration: Duration, pauses: &[Pause]) -> Option<DateTime<Utc>> {
        if duration <= Duration::zero() {
            return Some(start);
        }
        let mut cursor = start;
        let mut remaining = duration;
        for (pause_start, pause_end) in normalise(pauses, start, DateTime::<Utc>::MAX_UTC) {
            if pause_start > cursor {
                let available = self.between(cursor, pause_start);
                if remaining <= available {
                    return self.add(cursor, remaining);
                }
                remaining -= available;
            }
            cursor = cursor.max(pause_end);
            // A pause with no end yet (a ticket waiting on the customer)
            // swallows the rest: no due time. Going on would ask `add` for a
            // day past the end of time, which overflows in a zone east of UTC.
            if cursor == DateTime::<Utc>::MAX_UTC {
                return None;
            }
        }
        self.add(cursor, remaining)
    }
}

/// Pauses clipped to `[from, to)`, sorted, with overlapping and touching ones
/// merged; empty and inverted ones dropped.
pub(super) fn normalise(pauses: &[Pause], from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Pause> {
    let mut clipped: Vec<Pause> =
        pauses.iter().map(|&(s, e)| (s.max(from), e.min(to))).filter(|(s, e)| s < e).collect();
    clipped.sort_unstable();
    let mut merged: Vec<Pause> = Vec::with_capacity(clipped.len());
    for (s, e) in clipped {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// The parts of `[from, to)` outside every pause.
fn running(from: DateTime<Utc>, to: DateTime<Utc>, pauses: &[Pause]) -> Vec<Pause> {
    let mut spans = Vec::new();
    if to <= from {
        return spans;
    }
    let mut cursor = from;
    for (s, e) in normalise(pauses, from, to) {
        if s > cursor {
            spans.push((cursor, s));
        }
        cursor = e;
    }
    if cursor < to {
        spans.push((cursor, to));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(hour: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::hours(hour)
    }

    #[test]
    fn normalises_pauses() {
        let pauses = [(t(5), t(7)), (t(1), t(3)), (t(2), t(4)), (t(9), t(8)), (t(4), t(5)), (t(20), t(30))];
        assert_eq!(normalise(&pauses, t(0), t(10)), vec![(t(1), t(7))]);
        assert_eq!(running(t(0), t(10), &pauses), vec![(t(0), t(1)), (t(7), t(10))]);
        assert_eq!(running(t(2), t(6), &pauses), vec![]);
        assert_eq!(running(t(6), t(2), &[]), vec![]);
    }
}
