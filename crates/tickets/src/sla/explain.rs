//! What a ticket shows of its SLA: a summary on every ticket, and the full
//! explanation (`GET /tickets/{id}/sla`) of each deadline with the running
//! and paused segments it was computed from, so a disputed breach can be
//! checked by hand.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rapport_core::calendar::business::{BusinessCalendar, Pause, SegmentReason};
use rapport_core::db::schema::{ticket_slas, tickets};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::principal::Reach;
use rapport_core::{Error, Result, time};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::clock::{Clock, SlaRow, calendar, pauses};
use crate::ticket::store::find_row;

/// A ticket's SLA at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketSla {
    /// The policy it was started with.
    pub policy_id: String,
    /// Running, paused (pending) or stopped (resolved, closed).
    pub clock: Clock,
    /// When a response is due (none: met, or paused before it came due).
    pub first_response_due_at: Option<DateTime<Utc>>,
    /// When the resolution is due (none while paused before it came due).
    pub resolution_due_at: Option<DateTime<Utc>>,
    /// When the current response clock was met.
    pub response_met_at: Option<DateTime<Utc>>,
    /// The response came (or is) late.
    pub response_breached: bool,
    /// The resolution came (or is) late.
    pub resolution_breached: bool,
}

/// One deadline explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Deadline {
    /// The target, business minutes.
    pub target_minutes: i32,
    /// When the clock started (creation; for the response, the last
    /// customer reply after an agent's).
    pub started_at: DateTime<Utc>,
    /// When it is (or was) due; none while paused before it came due.
    pub due_at: Option<DateTime<Utc>>,
    /// When it was met (response) or the ticket resolved; none: still open.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Business seconds used, from the start to `stopped_at` (or now), pauses excluded.
    pub business_seconds_used: i64,
    /// Target minus used; negative once late.
    pub business_seconds_remaining: i64,
    /// Late (or met late).
    pub breached: bool,
    /// The running, paused, outside-hours and holiday stretches from the
    /// start to `stopped_at` (or now); the counted ones add up to
    /// `business_seconds_used`.
    pub segments: Vec<SegmentView>,
}

/// A stretch of a deadline's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SegmentView {
    /// Start, inclusive.
    pub start: DateTime<Utc>,
    /// End, exclusive.
    pub end: DateTime<Utc>,
    /// Whether it counts.
    pub counted: bool,
    /// `working`, `outside_hours`, `holiday` or `paused`.
    pub reason: String,
    /// The holiday's name, for `holiday`.
    pub holiday: Option<String>,
}

/// A ticket's SLA explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlaExplanation {
    /// The ticket.
    pub ticket_id: String,
    /// The policy.
    pub policy_id: String,
    /// The calendar business time is measured on; none: round the clock (UTC).
    pub calendar_id: Option<String>,
    /// Its time zone.
    pub time_zone: String,
    /// The clock now.
    pub clock: Clock,
    /// Share of a target after which managers are warned.
    pub warn_percent: i32,
    /// The first-response deadline.
    pub first_response: Deadline,
    /// The resolution deadline.
    pub resolution: Deadline,
}

fn utc(at: Option<NaiveDateTime>) -> Option<DateTime<Utc>> {
    at.map(time::utc)
}

/// Whether a deadline is breached now: stored when the clock last moved,
/// or passed since while still running.
fn breached_now(stored: bool, clock: Clock, due: Option<NaiveDateTime>, done: Option<NaiveDateTime>) -> bool {
    stored || (clock == Clock::Running && done.is_none() && due.is_some_and(|d| time::utc(d) < Utc::now()))
}

fn summary(row: SlaRow) -> Result<TicketSla> {
    let clock = Clock::parse(&row.clock).ok_or_else(|| Error::Internal(format!("stored clock {}", row.clock)))?;
    Ok(TicketSla {
        response_breached: breached_now(row.response_breached, clock, row.first_response_due_at, row.response_met_at),
        resolution_breached: breached_now(row.resolution_breached, clock, row.resolution_due_at, None),
        policy_id: row.sla_policy_id,
        clock,
        first_response_due_at: if row.response_met_at.is_some() { None } else { utc(row.first_response_due_at) },
        resolution_due_at: utc(row.resolution_due_at),
        response_met_at: utc(row.response_met_at),
    })
}

/// The SLA summaries of `ticket_ids`, in one query.
pub(crate) fn summaries(conn: &mut Conn, ticket_ids: &[&str]) -> Result<HashMap<String, TicketSla>> {
    let rows: Vec<SlaRow> = ticket_slas::table
        .filter(ticket_slas::ticket_id.eq_any(ticket_ids))
        .select(SlaRow::as_select())
        .cached_for_short_list(ticket_ids.len())
        .load(conn)?;
    rows.into_iter().map(|r| Ok((r.ticket_id.clone(), summary(r)?))).collect()
}

fn deadline(
    cal: &BusinessCalendar,
    pauses: &[Pause],
    target_minutes: i32,
    started: DateTime<Utc>,
    due: Option<DateTime<Utc>>,
    stopped: Option<DateTime<Utc>>,
    breached: bool,
) -> Deadline {
    let until = stopped.unwrap_or_else(Utc::now).max(started);
    let used = cal.between_excluding(started, until, pauses);
    let segments = cal
        .segments_excluding(started, until, pauses)
        .into_iter()
        .map(|s| SegmentView {
            start: s.start,
            end: s.end,
            counted: s.counted,
            reason: s.reason.code().to_owned(),
            holiday: match s.reason {
                SegmentReason::Holiday(name) => Some(name),
                _ => None,
            },
        })
        .collect();
    Deadline {
        target_minutes,
        started_at: started,
        due_at: due,
        stopped_at: stopped,
        business_seconds_used: used.num_seconds(),
        business_seconds_remaining: (Duration::minutes(i64::from(target_minutes)) - used).num_seconds(),
        breached,
        segments,
    }
}

/// The SLA of ticket `id` within `reach`, explained (404 `sla` when no
/// policy applied to it).
pub fn explain(conn: &mut Conn, reach: &Reach, id: &str) -> Result<SlaExplanation> {
    let ticket = find_row(conn, reach, id)?;
    let row: SlaRow = ticket_slas::table
        .filter(ticket_slas::ticket_id.eq(id))
        .select(SlaRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: "sla" })?;
    let resolved_at: Option<NaiveDateTime> =
        tickets::table.filter(tickets::id.eq(id)).select(tickets::resolved_at).first(conn)?;
    let cal = calendar(conn, row.calendar_id.as_deref())?;
    let pauses = pauses(conn, id)?;
    let view = summary(row.clone())?;
    Ok(SlaExplanation {
        first_response: deadline(
            &cal,
            &pauses,
            row.first_response_minutes,
            time::utc(row.response_started_at),
            utc(row.first_response_due_at),
            utc(row.response_met_at),
            view.response_breached,
        ),
        resolution: deadline(
            &cal,
            &pauses,
            row.resolution_minutes,
            time::utc(ticket.created_at),
            utc(row.resolution_due_at),
            utc(resolved_at),
            view.resolution_breached,
        ),
        ticket_id: ticket.id,
        policy_id: row.sla_policy_id,
        time_zone: cal.time_zone().name().to_owned(),
        calendar_id: row.calendar_id,
        clock: view.clock,
        warn_percent: row.warn_percent,
    })
}
