//! How a demo ticket unfolds: a deterministic dice drives the steps of a
//! Motors after-sales case — the first reply, rounds of waiting on the
//! customer, the work, the resolution, now and then a reopen, and the
//! automatic close a week later — each placed in the branch's working hours
//! when an agent acts, and cut off at "now" (a ticket whose next step would
//! come after it is still in progress).

use chrono::{Duration, NaiveDateTime};
use rapport_core::calendar::business::BusinessCalendar;
use rapport_core::time;

use crate::kinds::{CategoryKind, Priority, TicketStatus};

/// A tiny deterministic generator (a 64-bit LCG, as the leads demo uses),
/// so the demo is the same on every machine for a given "now".
pub(crate) struct Dice(u64);

impl Dice {
    pub(crate) fn new(seed: u64) -> Dice {
        let mut dice = Dice(seed ^ 0x7E11_C0DE_5EED_D35C);
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

    /// An index into a list of `len` items.
    pub(crate) fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.roll(len as u64)).unwrap_or(0)
    }
}

/// What happens at a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    /// A public reply by the assignee (on a `new` ticket it also opens it,
    /// as `ticket::comments::add` does).
    AgentReply,
    /// A reply from the customer, relayed by the middleware.
    CustomerReply,
    /// An internal note by the assignee.
    Note,
    /// A call about the ticket, logged with its duration.
    Call { seconds: i32, outbound: bool },
    /// A status change by the assignee (`None`: by the system).
    Status { to: TicketStatus, by_agent: bool },
}

/// One step of a ticket's life.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    pub at: NaiveDateTime,
    pub act: Act,
}

/// What a ticket is about, which sets how long each part takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Case {
    pub kind: CategoryKind,
    pub priority: Priority,
}

/// The first business instant at or after `at` on `cal`; when `at` falls
/// outside working hours, some minutes into the next opening, so a
/// morning's work does not all happen at 08:00 sharp.
pub(crate) fn working(cal: &BusinessCalendar, at: NaiveDateTime, dice: &mut Dice) -> NaiveDateTime {
    let start = time::utc(at);
    // Adding one business minute and taking it back lands on `at` itself
    // inside a window, else on the next window's opening.
    match cal.add(start, Duration::minutes(1)) {
        Some(next) if next - Duration::minutes(1) == start => at,
        Some(next) => time::stored(next - Duration::minutes(1)) + dice.minutes(0, 45),
        None => at,
    }
}

/// How long after the customer's message the assignee first replies.
fn first_reply_delay(dice: &mut Dice, priority: Priority) -> Duration {
    let (low, high) = match priority {
        Priority::Urgent => (5, 45),
        Priority::High => (10, 100),
        Priority::Normal => (15, 200),
        Priority::Low => (30, 400),
    };
    // A busy morning or an agent on leave: about one reply in ten is late.
    if dice.chance(10) { dice.minutes(high, high * 4) } else { dice.minutes(low, high) }
}

/// How long the work takes after the last exchange, before the resolving reply.
fn work(dice: &mut Dice, case: Case) -> Duration {
    const HOUR: i64 = 60;
    const DAY: i64 = 24 * HOUR;
    let span = match case.kind {
        CategoryKind::ServiceBooking => dice.minutes(DAY, 5 * DAY),
        CategoryKind::AfterSales => dice.minutes(4 * HOUR, 7 * DAY),
        CategoryKind::Complaint => dice.minutes(DAY, 9 * DAY),
        CategoryKind::Billing => dice.minutes(HOUR, 3 * DAY),
        CategoryKind::General | CategoryKind::Sales => dice.minutes(30, DAY),
    };
    match case.priority {
        Priority::Urgent => span / 4,
        Priority::High => span / 2,
        Priority::Normal | Priority::Low => span,
    }
}

/// Whether the first reply settles the case with nothing more to do (a
/// booking confirmed, a question answered): resolved at first contact.
fn settled_by_first_reply(dice: &mut Dice, kind: CategoryKind) -> bool {
    let percent = match kind {
        CategoryKind::ServiceBooking => 45,
        CategoryKind::General | CategoryKind::Sales => 70,
        CategoryKind::Billing => 40,
        CategoryKind::AfterSales => 15,
        CategoryKind::Complaint => 5,
    };
    dice.chance(percent)
}

/// Builds the steps of a ticket created at `created`, stopping before the
/// first step that would come after `now`. Calls are logged only on tickets
/// with two or more agent replies or a reopen, which are never resolved at
/// first contact however calls are counted (`docs/metrics.md` says logged
/// calls will count as agent touches).
pub(crate) fn unfold(
    dice: &mut Dice,
    cal: &BusinessCalendar,
    case: Case,
    created: NaiveDateTime,
    now: NaiveDateTime,
    auto_close: Duration,
) -> Vec<Step> {
    let mut story = Story { steps: Vec::new(), now, done: false };
    let first = working(cal, created + first_reply_delay(dice, case.priority), dice);
    let mut last_agent = story.push(first, Act::AgentReply);
    let settled = settled_by_first_reply(dice, case.kind);
    let rounds = if settled { 0 } else { dice.weighted(&[(0_u32, 45), (1, 35), (2, 15), (3, 5)]) };
    for round in 0..rounds {
        if round > 0 {
            // The answer to the customer's last message asks for more.
            let at = working(cal, story.last() + dice.minutes(15, 240), dice);
            last_agent = story.push(at, Act::AgentReply);
        }
        // A minute apart: status changes at one instant would have no order.
        story.push(last_agent + Duration::minutes(1), Act::Status { to: TicketStatus::Pending, by_agent: true });
        // Customers answer at any hour (WhatsApp at night, e-mail at weekends);
        // the assignee takes the ticket off hold when next at work.
        let answer = story.push(story.last() + dice.minutes(90, 4 * 24 * 60), Act::CustomerReply);
        let resumed = working(cal, answer + dice.minutes(1, 20), dice);
        story.push(resumed, Act::Status { to: TicketStatus::Open, by_agent: true });
    }
    if rounds > 0 {
        let at = working(cal, story.last() + dice.minutes(15, 240), dice);
        last_agent = story.push(at, Act::AgentReply);
    }
    if dice.chance(30) {
        let at = working(cal, last_agent + dice.minutes(5, 600), dice);
        story.push(at, Act::Note);
    }
    if rounds >= 1 && dice.chance(55) {
        calls(&mut story, dice, cal);
    }
    let resolved = if settled {
        story.push(
            working(cal, story.last() + dice.minutes(2, 60), dice),
            Act::Status { to: TicketStatus::Resolved, by_agent: true },
        )
    } else {
        let done = story.push(working(cal, story.last() + work(dice, case), dice), Act::AgentReply);
        story.push(done + Duration::minutes(1), Act::Status { to: TicketStatus::Resolved, by_agent: true })
    };
    let reopens = matches!(case.kind, CategoryKind::AfterSales | CategoryKind::Complaint) && dice.chance(9);
    let resolved = if reopens { reopen(&mut story, dice, cal, case, resolved) } else { resolved };
    story.push(resolved + auto_close, Act::Status { to: TicketStatus::Closed, by_agent: false });
    story.steps
}

/// The customer reports the problem is back a few days after the
/// resolution; the assignee calls, fixes it and resolves again.
fn reopen(
    story: &mut Story,
    dice: &mut Dice,
    cal: &BusinessCalendar,
    case: Case,
    resolved: NaiveDateTime,
) -> NaiveDateTime {
    let back = story.push(resolved + dice.minutes(12 * 60, 6 * 24 * 60), Act::CustomerReply);
    let reopened = working(cal, back + dice.minutes(10, 120), dice);
    let reopened = story.push(reopened, Act::Status { to: TicketStatus::Open, by_agent: true });
    story.push(reopened + Duration::minutes(1), Act::AgentReply);
    let seconds = i32::try_from(120 + dice.roll(900)).unwrap_or(300);
    story.push(reopened + dice.minutes(5, 60), Act::Call { seconds, outbound: true });
    let done = story.push(working(cal, story.last() + work(dice, case), dice), Act::AgentReply);
    story.push(done + Duration::minutes(1), Act::Status { to: TicketStatus::Resolved, by_agent: true })
}

/// One to three calls while the work goes on (the customer chasing, the
/// assignee explaining an estimate).
fn calls(story: &mut Story, dice: &mut Dice, cal: &BusinessCalendar) {
    for _ in 0..=dice.roll(3) {
        let at = working(cal, story.last() + dice.minutes(10, 24 * 60), dice);
        let seconds = i32::try_from(60 + dice.roll(1_140)).unwrap_or(300);
        let outbound = dice.chance(60);
        story.push(at, Act::Call { seconds, outbound });
    }
}

/// Steps in order, cut off at `now`: once a step would come after it,
/// nothing more happens.
struct Story {
    steps: Vec<Step>,
    now: NaiveDateTime,
    done: bool,
}

impl Story {
    /// Adds a step at `at`, or at the previous step's time if that is
    /// later (a working-hours shift must not reorder steps); answers when
    /// it happens (or would have).
    fn push(&mut self, at: NaiveDateTime, act: Act) -> NaiveDateTime {
        let at = at.max(self.last());
        if self.done || at > self.now {
            self.done = true;
        } else {
            self.steps.push(Step { at, act });
        }
        at
    }

    fn last(&self) -> NaiveDateTime {
        self.steps.last().map_or(NaiveDateTime::MIN, |s| s.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("instant")
    }

    #[test]
    fn stories_follow_the_status_flow_in_time_order() {
        let cal = BusinessCalendar::round_the_clock();
        let now = at("2026-11-23 12:00");
        let case = Case { kind: CategoryKind::AfterSales, priority: Priority::Normal };
        let (mut resolved, mut reopened) = (0, 0);
        for n in 0..2000 {
            let mut dice = Dice::new(n);
            let steps = unfold(&mut dice, &cal, case, now - Duration::days(100), now, Duration::days(7));
            assert!(steps.windows(2).all(|w| w[0].at <= w[1].at), "ticket {n}: steps in time order");
            let mut status = TicketStatus::New;
            for step in &steps {
                match step.act {
                    Act::Status { to, .. } => {
                        assert!(status.may_become(to), "ticket {n}: {status:?} -> {to:?}");
                        status = to;
                    }
                    Act::AgentReply if status == TicketStatus::New => status = TicketStatus::Open,
                    _ => {}
                }
            }
            assert_eq!(status, TicketStatus::Closed, "ticket {n}: a case from 100 days ago is closed");
            let to = |s: TicketStatus| steps.iter().filter(|x| x.act == Act::Status { to: s, by_agent: true }).count();
            resolved += 1;
            reopened += usize::from(to(TicketStatus::Resolved) > 1);
        }
        assert!((60..=300).contains(&reopened), "reopened {reopened} of {resolved}");
    }

    #[test]
    fn a_story_stops_at_now() {
        let cal = BusinessCalendar::round_the_clock();
        let now = at("2026-11-23 12:00");
        let case = Case { kind: CategoryKind::Complaint, priority: Priority::Low };
        for n in 0..200 {
            let steps = unfold(&mut Dice::new(n), &cal, case, now - Duration::hours(2), now, Duration::days(7));
            assert!(steps.iter().all(|s| s.at <= now));
            assert!(!steps.iter().any(|s| s.act == Act::Status { to: TicketStatus::Closed, by_agent: false }));
        }
    }
}
