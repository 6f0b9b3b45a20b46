//! Each ticket's SLA clock: started when the ticket is logged (with the
//! targets of the policy for its division and priority, on its branch's
//! calendar), paused while it waits on the customer (`pending`) and while it
//! is resolved or closed, and recomputed after every status change and
//! reply. Due times are business time on that calendar, with the pauses
//! taken out: `BusinessCalendar::add_excluding`, the one implementation the
//! metrics use too.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rapport_core::calendar::business::{BusinessCalendar, Pause};
use rapport_core::db::schema::{ticket_slas, ticket_status_history, tickets};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::{Error, Result, time};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::policy;
use crate::kinds::{Priority, TicketStatus};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ticket_slas)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct SlaRow {
    pub ticket_id: String,
    pub sla_policy_id: String,
    pub calendar_id: Option<String>,
    pub first_response_minutes: i32,
    pub resolution_minutes: i32,
    pub warn_percent: i32,
    pub clock: String,
    pub response_started_at: NaiveDateTime,
    pub response_met_at: Option<NaiveDateTime>,
    pub first_response_due_at: Option<NaiveDateTime>,
    pub resolution_due_at: Option<NaiveDateTime>,
    pub response_breached: bool,
    pub resolution_breached: bool,
    pub response_warned_at: Option<NaiveDateTime>,
    pub resolution_warned_at: Option<NaiveDateTime>,
    pub response_warn_at: Option<NaiveDateTime>,
    pub resolution_warn_at: Option<NaiveDateTime>,
}

/// Whether the SLA clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// `new` or `open`: business time counts.
    Running,
    /// `pending`: waiting on the customer.
    Paused,
    /// `resolved` or `closed`.
    Stopped,
}

impl Clock {
    fn of(status: TicketStatus) -> Clock {
        match status {
            TicketStatus::New | TicketStatus::Open => Clock::Running,
            TicketStatus::Pending => Clock::Paused,
            TicketStatus::Resolved | TicketStatus::Closed => Clock::Stopped,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Clock::Running => "running",
            Clock::Paused => "paused",
            Clock::Stopped => "stopped",
        }
    }

    pub(crate) fn parse(raw: &str) -> Option<Clock> {
        [Clock::Running, Clock::Paused, Clock::Stopped].into_iter().find(|c| c.as_str() == raw)
    }
}

/// The calendar a clock runs on; none: round the clock.
pub(crate) fn calendar(conn: &mut Conn, calendar_id: Option<&str>) -> Result<BusinessCalendar> {
    match calendar_id {
        Some(id) => BusinessCalendar::load(conn, id),
        None => Ok(BusinessCalendar::round_the_clock()),
    }
}

/// The stretches ticket `ticket_id`'s clock stood still: its stays in
/// `pending`, `resolved` and `closed` (the current one open-ended).
pub(crate) fn pauses(conn: &mut Conn, ticket_id: &str) -> Result<Vec<Pause>> {
    let changes: Vec<(String, NaiveDateTime)> = ticket_status_history::table
        .filter(ticket_status_history::ticket_id.eq(ticket_id))
        .order((ticket_status_history::changed_at.asc(), ticket_status_history::id.asc()))
        .select((ticket_status_history::to_status, ticket_status_history::changed_at))
        .load(conn)?;
    let mut pauses = Vec::new();
    for (i, (status, at)) in changes.iter().enumerate() {
        let still = TicketStatus::parse(status).is_some_and(|s| Clock::of(s) != Clock::Running);
        if still {
            let end = changes.get(i + 1).map_or(DateTime::<Utc>::MAX_UTC, |(_, next)| time::utc(*next));
            pauses.push((time::utc(*at), end));
        }
    }
    Ok(pauses)
}

fn minutes(m: i32) -> Duration {
    Duration::minutes(i64::from(m))
}

/// The clock a ticket logged at `created_at` will start with, if a policy
/// applies to its division and priority: the policy's targets, the
/// ticket's calendar (its branch's, else its division's: `calendar_id`,
/// loaded as `cal`) and the first deadlines. Reads only, so that the
/// creating transaction can do it before it takes its locks.
pub(crate) fn plan(
    conn: &mut Conn,
    division_id: &str,
    priority: Priority,
    created_at: NaiveDateTime,
    (calendar_id, cal): (Option<&str>, &BusinessCalendar),
) -> Result<Option<SlaRow>> {
    let Some(policy) = policy::for_ticket(conn, division_id, priority)? else {
        return Ok(None);
    };
    let mut row = SlaRow {
        ticket_id: String::new(),
        sla_policy_id: policy.id,
        calendar_id: calendar_id.map(str::to_owned),
        first_response_minutes: policy.first_response_minutes,
        resolution_minutes: policy.resolution_minutes,
        warn_percent: policy.warn_percent,
        clock: Clock::Running.as_str().to_owned(),
        response_started_at: created_at,
        response_met_at: None,
        first_response_due_at: None,
        resolution_due_at: None,
        response_breached: false,
        resolution_breached: false,
        response_warned_at: None,
        resolution_warned_at: None,
        response_warn_at: None,
        resolution_warn_at: None,
    };
    let due = Deadlines::of(cal, &row, time::utc(created_at), &[]);
    row.first_response_due_at = due.response.map(time::stored);
    row.resolution_due_at = due.resolution.map(time::stored);
    row.response_warn_at = due.response_warning.map(time::stored);
    row.resolution_warn_at = due.resolution_warning.map(time::stored);
    Ok(Some(row))
}

/// Starts the [`plan`]ned clock of ticket `ticket_id`, just inserted.
pub(crate) fn start(conn: &mut Conn, ticket_id: &str, planned: SlaRow) -> Result<()> {
    let row = SlaRow { ticket_id: ticket_id.to_owned(), ..planned };
    diesel::insert_into(ticket_slas::table).values(&row).execute(conn)?;
    Ok(())
}

/// A clock's deadlines and the instants its warning shares are used up,
/// with `pauses` taken out; a met response has neither.
struct Deadlines {
    response: Option<DateTime<Utc>>,
    resolution: Option<DateTime<Utc>>,
    response_warning: Option<DateTime<Utc>>,
    resolution_warning: Option<DateTime<Utc>>,
}

impl Deadlines {
    fn of(cal: &BusinessCalendar, sla: &SlaRow, created_at: DateTime<Utc>, pauses: &[Pause]) -> Deadlines {
        let response_start = time::utc(sla.response_started_at);
        let response_warning = match sla.response_met_at {
            Some(_) => None,
            None => cal.add_excluding(response_start, share(sla.first_response_minutes, sla.warn_percent), pauses),
        };
        Deadlines {
            response: cal.add_excluding(response_start, minutes(sla.first_response_minutes), pauses),
            resolution: cal.add_excluding(created_at, minutes(sla.resolution_minutes), pauses),
            response_warning,
            resolution_warning: cal.add_excluding(created_at, share(sla.resolution_minutes, sla.warn_percent), pauses),
        }
    }
}

fn load(conn: &mut Conn, ticket_id: &str) -> Result<Option<SlaRow>> {
    Ok(ticket_slas::table
        .filter(ticket_slas::ticket_id.eq(ticket_id))
        .select(SlaRow::as_select())
        .first(conn)
        .optional()?)
}

/// Recomputes the clock of `ticket_id` from its status history: due times
/// with the pauses taken out (none while a pause lasts and the deadline
/// has not passed before it), the clock state, and the breach flags, which
/// once set stay set.
pub fn refresh(conn: &mut Conn, ticket_id: &str) -> Result<()> {
    refresh_with(conn, ticket_id, None)
}

/// [`refresh`], reusing `known`, a calendar id and the calendar loaded for
/// it, if the clock runs on that calendar (the ticket's own, loaded by the
/// same request to measure it).
pub(crate) fn refresh_with(
    conn: &mut Conn,
    ticket_id: &str,
    known: Option<(Option<&str>, &BusinessCalendar)>,
) -> Result<()> {
    let Some(sla) = load(conn, ticket_id)? else { return Ok(()) };
    let (status, created_at, resolved_at): (String, NaiveDateTime, Option<NaiveDateTime>) = tickets::table
        .filter(tickets::id.eq(ticket_id))
        .select((tickets::status, tickets::created_at, tickets::resolved_at))
        .first(conn)?;
    let status = TicketStatus::parse(&status).ok_or_else(|| Error::Internal(format!("stored status {status}")))?;
    let mut pauses = pauses(conn, ticket_id)?;
    let clock = Clock::of(status);
    if clock == Clock::Stopped {
        // Resolved or closed: the deadlines stay where they stood, rather
        // than vanish behind a stop with no end.
        pauses.retain(|(_, end)| *end != DateTime::<Utc>::MAX_UTC);
    }
    let loaded;
    let cal = match known {
        Some((id, cal)) if id == sla.calendar_id.as_deref() => cal,
        _ => {
            loaded = calendar(conn, sla.calendar_id.as_deref())?;
            &loaded
        }
    };
    let now = Utc::now();
    let due = Deadlines::of(cal, &sla, time::utc(created_at), &pauses);
    let late = |done: Option<NaiveDateTime>, due: Option<DateTime<Utc>>| match (done, due) {
        (Some(done), Some(due)) => time::utc(done) > due,
        (None, Some(due)) => now > due,
        (_, None) => false,
    };
    // Resolving answers the customer too: a ticket settled without a
    // written reply (on the call that logged it) owes no response after.
    let responded = sla.response_met_at.or(if clock == Clock::Stopped { resolved_at } else { None });
    let response_breached = sla.response_breached || late(responded, due.response);
    let resolution_breached = sla.resolution_breached || late(resolved_at, due.resolution);
    diesel::update(ticket_slas::table.filter(ticket_slas::ticket_id.eq(ticket_id)))
        .set((
            ticket_slas::clock.eq(clock.as_str()),
            ticket_slas::first_response_due_at.eq(due.response.map(time::stored)),
            ticket_slas::resolution_due_at.eq(due.resolution.map(time::stored)),
            ticket_slas::response_breached.eq(response_breached),
            ticket_slas::resolution_breached.eq(resolution_breached),
            ticket_slas::response_warn_at.eq(due.response_warning.map(time::stored)),
            ticket_slas::resolution_warn_at.eq(due.resolution_warning.map(time::stored)),
        ))
        .cached()
        .execute(conn)?;
    Ok(())
}

/// `percent` % of a target of `minutes`, to the second.
fn share(minutes: i32, percent: i32) -> Duration {
    Duration::seconds(i64::from(minutes) * 60 * i64::from(percent) / 100)
}

/// An agent's public reply meets the response clock, if it is waiting;
/// `known` as for [`refresh_with`].
pub(crate) fn agent_replied(
    conn: &mut Conn,
    ticket_id: &str,
    at: NaiveDateTime,
    known: Option<(Option<&str>, &BusinessCalendar)>,
) -> Result<()> {
    diesel::update(
        ticket_slas::table.filter(ticket_slas::ticket_id.eq(ticket_id)).filter(ticket_slas::response_met_at.is_null()),
    )
    .set(ticket_slas::response_met_at.eq(at))
    .cached()
    .execute(conn)?;
    refresh_with(conn, ticket_id, known)
}

/// A customer's reply after an agent's starts the response clock again.
pub(crate) fn customer_replied(conn: &mut Conn, ticket_id: &str, at: NaiveDateTime) -> Result<()> {
    diesel::update(
        ticket_slas::table
            .filter(ticket_slas::ticket_id.eq(ticket_id))
            .filter(ticket_slas::response_met_at.is_not_null()),
    )
    .set((ticket_slas::response_started_at.eq(at), ticket_slas::response_met_at.eq(None::<NaiveDateTime>)))
    .cached()
    .execute(conn)?;
    refresh(conn, ticket_id)
}

/// A customer contacted the company about ticket `ticket_id` at `at` on
/// another channel (an inbound call or message logged as an interaction):
/// like a reply on the ticket, it starts the response clock again if an
/// agent had answered.
pub fn customer_contacted(conn: &mut Conn, ticket_id: &str, at: DateTime<Utc>) -> Result<()> {
    customer_replied(conn, ticket_id, time::stored(at))
}
