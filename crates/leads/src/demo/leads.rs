//! The demo leads themselves: who they are, what they want, and the rows
//! their journeys leave.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::{lead_stage_history, leads};
use rapport_core::{Error, Result, ids};

use super::journey::{Dice, Journey, LOST, OPEN_STAGES, WON, walk, working_time};
use super::{DEMO_LEADS, STAGES};
use crate::kinds::{LeadSource, LeadStatus, StageKind};
use crate::lead::rows::{HistoryRow, LeadRow};

/// A demo sales user who owns leads.
#[derive(Debug, Clone)]
pub struct DemoRep {
    /// User id.
    pub user_id: String,
    /// Their branch, which their leads belong to.
    pub branch_id: Option<String>,
    /// Relative share of the leads they own.
    pub share: u64,
}

/// A demo customer a lead can be for.
#[derive(Debug, Clone)]
pub struct DemoCustomer {
    /// Customer id.
    pub id: String,
    /// Companies buy fleets.
    pub company: bool,
}

/// Where the demo leads go.
#[derive(Debug)]
pub struct Setup<'a> {
    /// The Motors division.
    pub division_id: &'a str,
    /// Owners; at least one.
    pub reps: &'a [DemoRep],
    /// Demo customers that come back for another vehicle.
    pub customers: &'a [DemoCustomer],
    /// The seeding instant: leads are spread over the year before it.
    pub now: NaiveDateTime,
}

/// Toyota models the showroom sells, with a list price in naira and how
/// often they are asked for. The first five are those the demo customers
/// bought, at the same prices.
const MODELS: &[(&str, i64, u64)] = &[
    ("Corolla", 24_500_000, 22),
    ("Hilux", 38_500_000, 20),
    ("Land Cruiser", 95_000_000, 6),
    ("RAV4", 41_000_000, 12),
    ("Camry", 33_000_000, 12),
    ("Land Cruiser Prado", 75_000_000, 8),
    ("Fortuner", 52_000_000, 8),
    ("Yaris", 18_500_000, 6),
    ("Hiace", 45_000_000, 6),
];

const SOURCES: &[(LeadSource, u64)] = &[
    (LeadSource::WalkIn, 18),
    (LeadSource::Phone, 14),
    (LeadSource::Whatsapp, 24),
    (LeadSource::Instagram, 14),
    (LeadSource::Website, 14),
    (LeadSource::Referral, 10),
    (LeadSource::Event, 6),
];

const FIRST: &[&str] = &[
    "Adaeze",
    "Babatunde",
    "Chiamaka",
    "Damilola",
    "Efosa",
    "Folake",
    "Gbenga",
    "Hauwa",
    "Ifeanyi",
    "Jumoke",
    "Kelechi",
    "Lami",
    "Maryam",
    "Nnamdi",
    "Olumide",
    "Patience",
    "Rasheed",
    "Sade",
    "Tobi",
    "Usman",
    "Victor",
    "Yetunde",
];
const LAST: &[&str] = &[
    "Adebayo",
    "Chukwu",
    "Danladi",
    "Ekwueme",
    "Fashola",
    "Garba",
    "Ibekwe",
    "Lawal",
    "Mohammed",
    "Nwachukwu",
    "Ojo",
    "Oyelaran",
    "Sanusi",
    "Uzor",
    "Yusuf",
];
/// Nigerian mobile prefixes (MTN, Glo, Airtel, 9mobile).
const PREFIXES: &[&str] = &["803", "806", "813", "816", "703", "706", "903", "805", "807", "815", "802", "808", "812"];

/// What a lost lead's rep wrote, by lost reason (none for some).
const LOST_NOTES: [Option<&str>; 7] = [
    Some("Competitor quoted lower for the same trim."),
    Some("Bought from another dealer."),
    Some("Bank declined the auto loan."),
    None,
    Some("Will revisit after the new budget year."),
    Some("Wanted the colour/trim we could not supply in time."),
    None,
];

/// Writes the demo leads and their histories in pipeline `pipeline_id`
/// (`stage_ids` in [`STAGES`] order; `reason_ids` in `LOST_REASONS` order).
/// Rows go in one by one: a few thousand cached-statement inserts take
/// about a second, so a per-backend bulk path is not worth it here.
pub(super) fn write(
    conn: &mut Conn,
    setup: &Setup<'_>,
    pipeline_id: &str,
    stage_ids: &[String],
    reason_ids: &[String],
) -> Result<()> {
    if setup.reps.is_empty() || stage_ids.len() != STAGES.len() {
        return Err(Error::Internal("demo leads need a rep and the demo pipeline's stages".to_owned()));
    }
    for n in 0..DEMO_LEADS {
        let (lead, journey) = lead(n, setup, pipeline_id, stage_ids, reason_ids);
        diesel::insert_into(leads::table).values(&lead).execute(conn)?;
        let moved_by = lead.owner_id.clone();
        for (k, stay) in journey.stays.iter().enumerate() {
            let row = HistoryRow {
                id: ids::new_id(),
                lead_id: lead.id.clone(),
                from_stage_id: k.checked_sub(1).map(|prev| stage_ids[journey.stays[prev].stage].clone()),
                to_stage_id: stage_ids[stay.stage].clone(),
                moved_by: moved_by.clone(),
                entered_at: stay.entered,
                left_at: journey.stays.get(k + 1).map(|next| next.entered),
            };
            diesel::insert_into(lead_stage_history::table).values(&row).execute(conn)?;
        }
    }
    Ok(())
}

/// Demo lead `n` and its journey.
fn lead(
    n: u64,
    setup: &Setup<'_>,
    pipeline_id: &str,
    stage_ids: &[String],
    reason_ids: &[String],
) -> (LeadRow, Journey) {
    let mut dice = Dice::new(n);
    let now = setup.now;
    // Spread evenly over the past year, in showroom hours.
    let created = working_time(now - Duration::days(365) + dice.minutes(0, 365 * 24 * 60)).min(now);
    let journey = walk(&mut dice, created, now);
    let current = journey.current();
    let (_, kind, _, follow_up) = STAGES[current.stage];
    let shares: Vec<(usize, u64)> = setup.reps.iter().enumerate().map(|(i, r)| (i, r.share)).collect();
    let rep = &setup.reps[dice.weighted(&shares)];
    let customer = (!setup.customers.is_empty() && dice.chance(25))
        .then(|| &setup.customers[usize::try_from(dice.roll(setup.customers.len() as u64)).unwrap_or(0)]);
    let (first, last) = (FIRST[pick(&mut dice, FIRST.len())], LAST[pick(&mut dice, LAST.len())]);
    let prospect = customer.is_none();
    let phone =
        format!("+234{}{:07}", PREFIXES[pick(&mut dice, PREFIXES.len())], (n * 7_919 + dice.roll(1000)) % 10_000_000);
    let email = dice.chance(35).then(|| format!("{}.{}{n}@example.com", first.to_lowercase(), last.to_lowercase()));
    let (model, price) = dice.weighted(&MODELS.iter().map(|&(m, p, w)| ((m, p), w)).collect::<Vec<_>>());
    let units: i64 = match customer {
        Some(c) if c.company => 2 + i64::try_from(dice.roll(4)).unwrap_or(0),
        _ if dice.chance(5) => 2,
        _ => 1,
    };
    // Dealers discount up to 5 %, in steps of 100,000 naira.
    let discount = i64::try_from(dice.roll(u64::try_from(price / 2_000_000).unwrap_or(1))).unwrap_or(0) * 100_000;
    let closed = matches!(kind, StageKind::Won | StageKind::Lost).then_some(current.entered);
    let lost_reason = journey.lost_reason.filter(|_| current.stage == LOST);
    let next_follow_up_at = (kind == StageKind::Open)
        .then(|| follow_up_after(&mut dice, current.entered, follow_up.unwrap_or(24 * 60), now));
    let score = match current.stage {
        WON => 100,
        LOST => dice.roll(30),
        stage => 10 + 15 * stage as u64 + dice.roll(15),
    };
    let expected_close_on = match current.stage {
        WON => Some(current.entered.date()),
        stage if (2..OPEN_STAGES).contains(&stage) => Some((now + dice.minutes(7 * 1440, 47 * 1440)).date()),
        _ => None,
    };
    let row = LeadRow {
        id: ids::new_id(),
        customer_id: customer.map(|c| c.id.clone()),
        prospect_name: prospect.then(|| format!("{first} {last}")),
        prospect_phone: prospect.then_some(phone),
        prospect_email: email.filter(|_| prospect),
        source: dice.weighted(SOURCES).as_str().to_owned(),
        division_id: setup.division_id.to_owned(),
        branch_id: rep.branch_id.clone(),
        product_interest: Some(format!("Toyota {model}")),
        currency: Some("NGN".to_owned()),
        expected_value_minor: Some((price * units - discount) * 100),
        expected_close_on,
        owner_id: Some(rep.user_id.clone()),
        created_by: Some(rep.user_id.clone()),
        pipeline_id: pipeline_id.to_owned(),
        stage_id: stage_ids[current.stage].clone(),
        status: LeadStatus::from(kind).as_str().to_owned(),
        lost_reason_id: lost_reason.map(|r| reason_ids[r].clone()),
        lost_note: lost_reason.and_then(|r| LOST_NOTES[r]).filter(|_| dice.chance(40)).map(str::to_owned),
        score: i32::try_from(score).ok(),
        notes: None,
        next_follow_up_at,
        follow_up_minutes: None,
        external_source: None,
        external_id: None,
        closed_at: closed,
        version: i64::try_from(journey.stays.len()).unwrap_or(1),
        created_at: created,
        updated_at: current.entered,
        archived_at: None,
    };
    (row, journey)
}

fn pick(dice: &mut Dice, len: usize) -> usize {
    usize::try_from(dice.roll(len as u64)).unwrap_or(0)
}

/// An open lead's next follow-up: the stage's cadence after it entered the
/// stage, or, for half of them, after the rep's last contact (a logged
/// interaction moves it forward), so some are overdue, some due today and
/// some upcoming.
fn follow_up_after(dice: &mut Dice, entered: NaiveDateTime, minutes: i32, now: NaiveDateTime) -> NaiveDateTime {
    let since_entered = (now - entered).num_minutes().max(0);
    let last_contact = if dice.chance(50) {
        entered
            + Duration::minutes(i64::try_from(dice.roll(u64::try_from(since_entered).unwrap_or(0) + 1)).unwrap_or(0))
    } else {
        entered
    };
    last_contact + Duration::minutes(i64::from(minutes))
}
