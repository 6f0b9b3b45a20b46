//! How a demo lead travels through the Motors pipeline: a walk over the
//! stages driven by a deterministic dice, with stays of realistic length
//! placed in Lagos working hours and cut off at "now" (a lead whose next
//! move would fall in the future is still open in its stage).

use chrono::{Datelike, Duration, NaiveDateTime, Timelike, Weekday};

/// Stage indices of the demo pipeline (see `super::STAGES`).
pub(crate) const OPEN_STAGES: usize = 5;
pub(crate) const WON: usize = 5;
pub(crate) const LOST: usize = 6;

/// A tiny deterministic generator (a 64-bit LCG, as the server's demo
/// customers use), so the demo is the same on every machine.
pub(crate) struct Dice(u64);

impl Dice {
    pub(crate) fn new(seed: u64) -> Dice {
        let mut dice = Dice(seed ^ 0x5DEE_CE66_D1CE_5EED);
        dice.roll(2);
        dice
    }

    /// 0..sides.
    pub(crate) fn roll(&mut self, sides: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % sides.max(1)
    }

    /// True `percent` times in a hundred.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.roll(100) < percent
    }

    /// An item of `items`, each weighted by its second field.
    pub(crate) fn weighted<T: Copy>(&mut self, items: &[(T, u64)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut r = self.roll(total);
        for &(item, weight) in items {
            if r < weight {
                return item;
            }
            r -= weight;
        }
        items[0].0
    }

    /// Between `low` and `high` minutes, inclusive.
    pub(crate) fn minutes(&mut self, low: i64, high: i64) -> Duration {
        let span = u64::try_from(high - low + 1).unwrap_or(1);
        Duration::minutes(low + i64::try_from(self.roll(span)).unwrap_or(0))
    }
}

/// Lost reasons of the demo list, by index into `super::LOST_REASONS`.
const PRICE: usize = 0;
const ELSEWHERE: usize = 1;
const FINANCING: usize = 2;
const NO_RESPONSE: usize = 3;
const POSTPONED: usize = 4;
const NOT_IN_STOCK: usize = 5;
const USED: usize = 6;

/// One stay in a stage.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stay {
    /// Stage index.
    pub stage: usize,
    /// When the lead entered it.
    pub entered: NaiveDateTime,
}

/// A lead's way through the pipeline so far.
#[derive(Debug)]
pub(crate) struct Journey {
    /// Stays, oldest first; the last is the current stage.
    pub stays: Vec<Stay>,
    /// Index of the lost reason when the lead was lost.
    pub lost_reason: Option<usize>,
}

impl Journey {
    /// The current stay.
    pub(crate) fn current(&self) -> Stay {
        self.stays[self.stays.len() - 1]
    }
}

enum Step {
    To(usize),
    Lost(usize),
}

/// The next step from open stage `stage`: mostly forward, sometimes back
/// (a customer wants another test drive, a quotation is revised), and a
/// share lost at every stage. The rates are tuned so that about 6-7 % of
/// the leads are won, the plan's 5-8 % conversion target.
fn step(dice: &mut Dice, stage: usize) -> Step {
    let (forward, back) = match stage {
        0 => (72, 0),
        1 => (60, 0),
        2 => (58, 8),
        3 => (56, 12),
        _ => (40, 14),
    };
    let r = dice.roll(100);
    if r < forward {
        Step::To(stage + 1)
    } else if r < forward + back {
        Step::To(stage - 1)
    } else {
        Step::Lost(lost_reason(dice, stage))
    }
}

/// Early leads mostly go quiet; late ones are lost on price or to a competitor.
fn lost_reason(dice: &mut Dice, stage: usize) -> usize {
    match stage {
        0 | 1 => dice.weighted(&[(NO_RESPONSE, 55), (POSTPONED, 20), (PRICE, 10), (ELSEWHERE, 10), (USED, 5)]),
        2 | 3 => dice.weighted(&[
            (PRICE, 25),
            (FINANCING, 20),
            (ELSEWHERE, 20),
            (POSTPONED, 15),
            (NO_RESPONSE, 10),
            (NOT_IN_STOCK, 10),
        ]),
        _ => dice.weighted(&[(PRICE, 35), (ELSEWHERE, 25), (FINANCING, 20), (NOT_IN_STOCK, 10), (POSTPONED, 10)]),
    }
}

/// How long a lead stays in open stage `stage` before its next move. A rep
/// gives up on a lead only after a week or more of follow-ups, so the stay
/// before a loss is longer.
fn dwell(dice: &mut Dice, stage: usize, losing: bool) -> Duration {
    const HOUR: i64 = 60;
    const DAY: i64 = 24 * HOUR;
    if losing {
        return dice.minutes(7 * DAY, 30 * DAY);
    }
    match stage {
        0 => dice.minutes(HOUR, 4 * DAY),
        1 => dice.minutes(2 * DAY, 10 * DAY),
        2 => dice.minutes(3 * DAY, 14 * DAY),
        _ => dice.minutes(3 * DAY, 21 * DAY),
    }
}

/// `at`, or the next moment in Lagos showroom hours (08:00-18:00 local,
/// UTC+1 all year, Monday to Saturday) when it falls outside them.
pub(crate) fn working_time(at: NaiveDateTime) -> NaiveDateTime {
    let open = |day: NaiveDateTime| day.date().and_hms_opt(7, at.minute(), 0).unwrap_or(day);
    let mut t = if at.hour() < 7 {
        open(at)
    } else if at.hour() >= 17 {
        open(at + Duration::days(1))
    } else {
        at
    };
    if t.weekday() == Weekday::Sun {
        t = open(t + Duration::days(1));
    }
    t
}

/// Walks a lead created at `created` until it is won or lost, or until its
/// next move would come after `now`.
pub(crate) fn walk(dice: &mut Dice, created: NaiveDateTime, now: NaiveDateTime) -> Journey {
    let mut stays = vec![Stay { stage: 0, entered: created }];
    let mut lost_reason = None;
    let mut current = stays[0];
    while current.stage < OPEN_STAGES {
        let (next, reason) = match step(dice, current.stage) {
            Step::To(stage) if stage == OPEN_STAGES => (WON, None),
            Step::To(stage) => (stage, None),
            Step::Lost(reason) => (LOST, Some(reason)),
        };
        let at = working_time(current.entered + dwell(dice, current.stage, reason.is_some()));
        if at > now {
            break;
        }
        lost_reason = reason;
        current = Stay { stage: next, entered: at };
        stays.push(current);
    }
    Journey { stays, lost_reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("instant")
    }

    #[test]
    fn working_time_skips_nights_and_sundays() {
        // 2026-11-21 is a Saturday.
        assert_eq!(working_time(at("2026-11-21 10:30")), at("2026-11-21 10:30"));
        assert_eq!(working_time(at("2026-11-21 05:10")), at("2026-11-21 07:10"));
        assert_eq!(working_time(at("2026-11-21 20:45")), at("2026-11-23 07:45"));
    }

    #[test]
    fn journeys_move_forward_in_time_and_close_with_a_reason() {
        let now = at("2026-11-23 12:00");
        let (mut won, mut lost, mut backwards) = (0, 0, 0);
        for n in 0..3000 {
            let mut dice = Dice::new(n);
            let journey = walk(&mut dice, now - Duration::days(200), now);
            assert!(journey.stays.windows(2).all(|w| w[0].entered < w[1].entered && w[0].stage != w[1].stage));
            backwards += journey.stays.windows(2).filter(|w| w[1].stage < w[0].stage).count();
            match journey.current().stage {
                WON => won += 1,
                LOST => {
                    assert!(journey.lost_reason.is_some());
                    lost += 1;
                }
                _ => unreachable!("a lead created 200 days ago has closed"),
            }
        }
        assert!((180..=235).contains(&won), "won {won} of 3000");
        assert!(lost > 2500 && backwards > 50, "lost {lost}, backwards {backwards}");
    }
}
