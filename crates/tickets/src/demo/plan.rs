//! Who logs which demo ticket when, about what, and how it unfolds.

use chrono::{Duration, NaiveDateTime};
use rapport_core::time;

use super::story::{self, Act, Case, Dice, Step};
use super::{AUTO_CLOSE_DAYS, DEMO_TICKETS, Desk, Setup};
use crate::kinds::{CategoryKind, Priority, TicketChannel};

/// One demo ticket before it is written.
pub(crate) struct Plan {
    /// Seeds the dice of its texts.
    pub seed: u64,
    pub created: NaiveDateTime,
    pub case: Case,
    pub channel: TicketChannel,
    /// Index into the setup's customers, and into their assets.
    pub customer: usize,
    pub asset: Option<usize>,
    /// Index into the queue's agents.
    pub assignee: usize,
    pub steps: Vec<Step>,
}

const KINDS: &[(CategoryKind, u64)] = &[
    (CategoryKind::ServiceBooking, 34),
    (CategoryKind::AfterSales, 26),
    (CategoryKind::Complaint, 11),
    (CategoryKind::Billing, 11),
    (CategoryKind::General, 11),
    (CategoryKind::Sales, 7),
];

const CHANNELS: &[(TicketChannel, u64)] = &[
    (TicketChannel::Call, 35),
    (TicketChannel::Whatsapp, 25),
    (TicketChannel::Email, 12),
    (TicketChannel::WalkIn, 10),
    (TicketChannel::Web, 8),
    (TicketChannel::Sms, 5),
    (TicketChannel::Social, 5),
];

fn priority(dice: &mut Dice, kind: CategoryKind) -> Priority {
    use Priority::{High, Low, Normal, Urgent};
    match kind {
        CategoryKind::ServiceBooking => dice.weighted(&[(Low, 40), (Normal, 60)]),
        CategoryKind::AfterSales => dice.weighted(&[(Normal, 65), (High, 28), (Urgent, 7)]),
        CategoryKind::Complaint => dice.weighted(&[(Normal, 40), (High, 45), (Urgent, 15)]),
        CategoryKind::Billing => dice.weighted(&[(Low, 20), (Normal, 70), (High, 10)]),
        CategoryKind::General => dice.weighted(&[(Low, 60), (Normal, 40)]),
        CategoryKind::Sales => Normal,
    }
}

/// How often a ticket of `kind` is about a vehicle, in percent.
fn about_a_vehicle(kind: CategoryKind) -> u64 {
    match kind {
        CategoryKind::ServiceBooking | CategoryKind::AfterSales | CategoryKind::Complaint => 95,
        CategoryKind::Billing => 60,
        CategoryKind::Sales => 40,
        CategoryKind::General => 20,
    }
}

/// A customer, and one of their vehicles bought before `created` when the
/// ticket is about one. Fleet companies call three times as often; a
/// vehicle ticket looks a few times for a customer who owned one by then.
fn customer(dice: &mut Dice, setup: &Setup<'_>, kind: CategoryKind, created: NaiveDateTime) -> (usize, Option<usize>) {
    let weights: Vec<(usize, u64)> =
        setup.customers.iter().enumerate().map(|(i, c)| (i, if c.company { 3 } else { 1 })).collect();
    let wants_vehicle = dice.chance(about_a_vehicle(kind));
    let mut chosen = dice.weighted(&weights);
    for _ in 0..8 {
        let owned: Vec<usize> = setup.customers[chosen]
            .assets
            .iter()
            .enumerate()
            .filter(|(_, a)| a.purchased_on.is_none_or(|d| d <= created.date()))
            .map(|(i, _)| i)
            .collect();
        if !wants_vehicle {
            return (chosen, None);
        }
        if !owned.is_empty() {
            return (chosen, Some(owned[dice.index(owned.len())]));
        }
        chosen = dice.weighted(&weights);
    }
    (chosen, None)
}

/// The year's tickets and the at-risk ones, in creation order.
pub(crate) fn plans(desk: &Desk, setup: &Setup<'_>) -> Vec<Plan> {
    let year = Duration::days(365);
    let slot = year / i32::try_from(DEMO_TICKETS).unwrap_or(1);
    let auto_close = Duration::days(AUTO_CLOSE_DAYS);
    let mut plans = Vec::new();
    for n in 0..DEMO_TICKETS {
        let mut dice = Dice::new(n);
        let slot_start = setup.now - year + slot * i32::try_from(n).unwrap_or(0);
        let offset = dice.minutes(0, slot.num_minutes().max(1));
        let created = story::working(&desk.basis.calendar, slot_start + offset, &mut dice);
        if created > setup.now {
            continue;
        }
        let kind = dice.weighted(KINDS);
        let case = Case { kind, priority: priority(&mut dice, kind) };
        let (customer, asset) = customer(&mut dice, setup, kind, created);
        let channel = dice.weighted(CHANNELS);
        let steps = story::unfold(&mut dice, &desk.basis.calendar, case, created, setup.now, auto_close);
        plans.push(Plan { seed: n, created, case, channel, customer, asset, assignee: 0, steps });
    }
    plans.extend(at_risk(desk, setup));
    plans.sort_by_key(|p| p.created);
    for (turn, p) in plans.iter_mut().enumerate() {
        p.assignee = turn % desk.agents.len();
    }
    plans
}

/// Business minutes left on the deadlines of the at-risk tickets: (priority,
/// first response still owed?, minutes left).
const AT_RISK: &[(Priority, bool, i64)] = &[
    (Priority::Urgent, true, 20),
    (Priority::High, true, 45),
    (Priority::Normal, true, 90),
    (Priority::Normal, true, 150),
    (Priority::Low, true, 210),
    (Priority::Urgent, false, 30),
    (Priority::High, false, 60),
    (Priority::High, false, 120),
    (Priority::Normal, false, 100),
    (Priority::Normal, false, 200),
];

/// Tickets logged so that a deadline falls due a little after `now` in
/// business time: new ones still owed a first response, and open ones
/// answered at once whose resolution is near. Between the first business
/// hours after seeding and the target's end they show in the at-risk view.
fn at_risk(desk: &Desk, setup: &Setup<'_>) -> Vec<Plan> {
    let mut out = Vec::new();
    for (i, &(priority, owed, left)) in AT_RISK.iter().enumerate() {
        let Some(&(_, _, response, resolution, _)) = desk.policy(priority) else { continue };
        let target = i64::from(if owed { response } else { resolution });
        let n = DEMO_TICKETS + i as u64;
        let mut dice = Dice::new(n);
        let created = logged_before(desk, setup.now, Duration::minutes(target - left));
        let kind = if owed { CategoryKind::ServiceBooking } else { CategoryKind::AfterSales };
        let (customer, asset) = customer(&mut dice, setup, kind, created);
        let mut steps = Vec::new();
        if !owed {
            // Answered well within the response target, so only the
            // resolution is at risk.
            let at = created + Duration::minutes(5);
            steps.push(Step { at, act: Act::AgentReply });
        }
        let case = Case { kind, priority };
        let channel = if owed { TicketChannel::Whatsapp } else { TicketChannel::Call };
        out.push(Plan { seed: n, created, case, channel, customer, asset, assignee: 0, steps });
    }
    out
}

/// The latest instant from which `used` business time has passed by `now`.
fn logged_before(desk: &Desk, now: NaiveDateTime, used: Duration) -> NaiveDateTime {
    let end = time::utc(now);
    let (mut early, mut late) = (end - Duration::days(60), end);
    while late - early > Duration::minutes(1) {
        let mid = early + (late - early) / 2;
        if desk.basis.calendar.between(mid, end) >= used {
            early = mid;
        } else {
            late = mid;
        }
    }
    time::stored(early)
}
