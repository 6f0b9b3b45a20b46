//! The status flow and its history. Resolving sets `resolved_at`, the
//! first-contact-resolution flag and the resolution's business time; a
//! reopen clears them and counts; closing keeps them.

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::{ticket_status_history, tickets};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::principal::Reach;
use rapport_core::{Error, Result, time};

use super::api::{ChangeStatus, StatusChange, TicketResponse};
use super::business_times::{Basis, basis_of};
use super::rows::StatusRow;
use super::store::{ENTITY, actor, find_row, record_status, reload};
use crate::kinds::TicketStatus;
use crate::{DeskSettings, csat, handle_time};

/// Whether a ticket resolved now counts as resolved at first contact: at
/// most one public agent reply and never reopened (`docs/metrics.md`).
pub fn first_contact(agent_touches: i64, reopen_count: i32) -> bool {
    agent_touches <= 1 && reopen_count == 0
}

/// Moves ticket `id` (at `version`) to `input.status`, if the flow allows it
/// (422 `invalid_transition` otherwise). Resolving issues a CSAT survey,
/// returned (with its token) in `csat_survey` of this answer only.
pub fn change(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    version: i64,
    input: ChangeStatus,
    settings: &DeskSettings,
) -> Result<TicketResponse> {
    let row = find_row(conn, reach, id)?;
    let from =
        TicketStatus::parse(&row.status).ok_or_else(|| Error::Internal(format!("stored status {}", row.status)))?;
    let to = input.status;
    if !from.may_become(to) {
        return Err(Error::invalid(
            "status",
            "invalid_transition",
            format!("a {} ticket cannot become {}", from.as_str(), to.as_str()),
        ));
    }
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = reload(conn, id)?;
    let now = time::now();
    let reopening = matches!(from, TicketStatus::Resolved | TicketStatus::Closed) && to == TicketStatus::Open;
    let reopen_count = row.reopen_count + i32::from(reopening);
    // Resolving measures the resolution on the ticket's calendar, from
    // logging, pending time included: loaded once, for the SLA clock too.
    let basis = match to {
        TicketStatus::Resolved => Some(basis_of(conn, &row.placement())?),
        _ => None,
    };
    let (resolved_at, fcr, resolution_seconds) = match (&basis, to) {
        (Some(basis), _) => {
            let touches = i64::from(row.agent_touches) + handle_time::timed_interactions(conn, id)?;
            (Some(now), Some(first_contact(touches, reopen_count)), Some(basis.seconds(row.created_at, now)))
        }
        (None, TicketStatus::Closed) => {
            (row.resolved_at, row.first_contact_resolution, row.resolution_business_seconds)
        }
        (None, _) => (None, None, None),
    };
    let closed_at = (to == TicketStatus::Closed).then_some(now);
    // Unchanged, unless the ticket was logged before the measurements
    // existed: then it gets its calendar now.
    let (calendar_id, business_day_seconds) = match &basis {
        Some(basis) => (basis.calendar_id.clone(), basis.business_day_seconds),
        None => (row.calendar_id.clone(), row.business_day_seconds),
    };
    let updated = diesel::update(tickets::table.filter(tickets::id.eq(id)).filter(tickets::version.eq(version)))
        .set((
            tickets::status.eq(to.as_str()),
            tickets::resolved_at.eq(resolved_at),
            tickets::closed_at.eq(closed_at),
            tickets::first_contact_resolution.eq(fcr),
            tickets::resolution_business_seconds.eq(resolution_seconds),
            tickets::calendar_id.eq(calendar_id),
            tickets::business_day_seconds.eq(business_day_seconds),
            tickets::reopen_count.eq(reopen_count),
            tickets::version.eq(version + 1),
            tickets::updated_at.eq(now),
        ))
        .cached()
        .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: reload(conn, id)?.version });
    }
    record_status(conn, id, Some(from), to, actor(reach), now)?;
    crate::sla::clock::refresh_with(conn, id, basis.as_ref().map(Basis::known))?;
    let mut after = reload(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    if to == TicketStatus::Resolved {
        // After the audit record: the token must not reach the audit log.
        after.csat_survey = Some(csat::issue(conn, id, now, settings.csat_validity)?);
    }
    Ok(after)
}

/// Every status change of ticket `id`, oldest first.
pub fn history(conn: &mut Conn, reach: &Reach, id: &str) -> Result<Vec<StatusChange>> {
    find_row(conn, reach, id)?;
    let rows: Vec<StatusRow> = ticket_status_history::table
        .filter(ticket_status_history::ticket_id.eq(id))
        .order((ticket_status_history::changed_at.asc(), ticket_status_history::id.asc()))
        .select(StatusRow::as_select())
        .load(conn)?;
    let parse = |s: &str| TicketStatus::parse(s).ok_or_else(|| Error::Internal(format!("stored status {s}")));
    rows.into_iter()
        .map(|r| {
            Ok(StatusChange {
                from_status: r.from_status.as_deref().map(parse).transpose()?,
                to_status: parse(&r.to_status)?,
                changed_by: r.changed_by,
                changed_at: time::utc(r.changed_at),
            })
        })
        .collect()
}
