//! The desk's sweep, run every minute or so by each server (and by `rapport
//! sweep`): warns the queue's managers when an SLA target's warning share is
//! used up, tells them when a target is breached, and closes tickets resolved
//! longer ago than `DeskSettings::auto_close_after`.
//!
//! Every step claims its row with a conditional update (`… WHERE
//! warned_at IS NULL`) before it notifies, so replicas sweeping the same
//! database at once send each notice exactly once. A batch is bounded;
//! [`SweepReport::more`] says whether another pass has work left.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rapport_core::audit::WriteContext;
use rapport_core::db::schema::{ticket_queue_members, ticket_slas, tickets, users};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::notification::{self, NewNotification};
use rapport_core::principal::Reach;
use rapport_core::{Error, Result, time};
use serde_json::json;

use crate::DeskSettings;
use crate::kinds::TicketStatus;
use crate::ticket::api::ChangeStatus;
use crate::ticket::status;

/// Rows each step handles per pass.
pub const BATCH: i64 = 200;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Tickets closed automatically.
    pub closed: usize,
    /// Warnings sent (per target, not per recipient).
    pub warnings: usize,
    /// Breaches announced.
    pub breaches: usize,
    /// Whether a step filled its batch, so more may be waiting.
    pub more: bool,
}

/// One pass of the sweep as of `now`.
pub fn run(conn: &mut Conn, settings: &DeskSettings, now: DateTime<Utc>) -> Result<SweepReport> {
    let now = time::stored(now);
    let mut report = SweepReport::default();
    for target in [Target::Response, Target::Resolution] {
        let (sent, full) = warn(conn, target, now)?;
        report.warnings += sent;
        report.more |= full;
        let (sent, full) = announce_breaches(conn, target, now)?;
        report.breaches += sent;
        report.more |= full;
    }
    if let Some(after) = settings.auto_close_after {
        let (closed, full) = close_resolved(conn, settings, now - after)?;
        report.closed = closed;
        report.more |= full;
    }
    Ok(report)
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Response,
    Resolution,
}

impl Target {
    fn as_str(self) -> &'static str {
        match self {
            Target::Response => "first_response",
            Target::Resolution => "resolution",
        }
    }
}

/// Clocks of `target` whose warning share is used up, with their due time.
fn warn(conn: &mut Conn, target: Target, now: NaiveDateTime) -> Result<(usize, bool)> {
    let running = ticket_slas::table.filter(ticket_slas::clock.eq("running"));
    let due: Vec<(String, Option<NaiveDateTime>)> = match target {
        Target::Response => running
            .filter(ticket_slas::response_warned_at.is_null())
            .filter(ticket_slas::response_warn_at.le(now))
            .filter(ticket_slas::response_met_at.is_null())
            .select((ticket_slas::ticket_id, ticket_slas::first_response_due_at))
            .limit(BATCH)
            .load(conn)?,
        Target::Resolution => running
            .filter(ticket_slas::resolution_warned_at.is_null())
            .filter(ticket_slas::resolution_warn_at.le(now))
            .select((ticket_slas::ticket_id, ticket_slas::resolution_due_at))
            .limit(BATCH)
            .load(conn)?,
    };
    // Past its deadline already (the sweep was down): the breach notice
    // says it all.
    let ahead = |due_at: Option<NaiveDateTime>| due_at.is_some_and(|due| due > now);
    claim_and_notify(conn, due, target, "ticket_sla_warning", ahead, |conn, id| {
        let row = ticket_slas::table.filter(ticket_slas::ticket_id.eq(id));
        Ok(match target {
            Target::Response => diesel::update(row.filter(ticket_slas::response_warned_at.is_null()))
                .set(ticket_slas::response_warned_at.eq(now))
                .cached()
                .execute(conn)?,
            Target::Resolution => diesel::update(row.filter(ticket_slas::resolution_warned_at.is_null()))
                .set(ticket_slas::resolution_warned_at.eq(now))
                .cached()
                .execute(conn)?,
        })
    })
}

/// Running clocks of `target` past their due time and not yet announced:
/// flagged breached, and the managers told.
fn announce_breaches(conn: &mut Conn, target: Target, now: NaiveDateTime) -> Result<(usize, bool)> {
    let running = ticket_slas::table.filter(ticket_slas::clock.eq("running"));
    let due: Vec<(String, Option<NaiveDateTime>)> = match target {
        Target::Response => running
            .filter(ticket_slas::response_breach_notified_at.is_null())
            .filter(ticket_slas::first_response_due_at.le(now))
            .filter(ticket_slas::response_met_at.is_null())
            .select((ticket_slas::ticket_id, ticket_slas::first_response_due_at))
            .limit(BATCH)
            .load(conn)?,
        Target::Resolution => running
            .filter(ticket_slas::resolution_breach_notified_at.is_null())
            .filter(ticket_slas::resolution_due_at.le(now))
            .select((ticket_slas::ticket_id, ticket_slas::resolution_due_at))
            .limit(BATCH)
            .load(conn)?,
    };
    claim_and_notify(
        conn,
        due,
        target,
        "ticket_sla_breached",
        |_| true,
        |conn, id| {
            let row = ticket_slas::table.filter(ticket_slas::ticket_id.eq(id));
            Ok(match target {
                Target::Response => diesel::update(row.filter(ticket_slas::response_breach_notified_at.is_null()))
                    .set((ticket_slas::response_breach_notified_at.eq(now), ticket_slas::response_breached.eq(true)))
                    .cached()
                    .execute(conn)?,
                Target::Resolution => diesel::update(row.filter(ticket_slas::resolution_breach_notified_at.is_null()))
                    .set((
                        ticket_slas::resolution_breach_notified_at.eq(now),
                        ticket_slas::resolution_breached.eq(true),
                    ))
                    .cached()
                    .execute(conn)?,
            })
        },
    )
}

/// Claims each of the `due` (ticket, due time) with `claim`, a conditional
/// update that answers 1 only to the pass that wins the row, and sends
/// `kind` for those won that are `worth` telling. Also answers whether the
/// batch was full.
fn claim_and_notify(
    conn: &mut Conn,
    due: Vec<(String, Option<NaiveDateTime>)>,
    target: Target,
    kind: &'static str,
    worth: impl Fn(Option<NaiveDateTime>) -> bool,
    claim: impl Fn(&mut Conn, &str) -> Result<usize>,
) -> Result<(usize, bool)> {
    let full = due.len() as i64 == BATCH;
    let mut sent = 0;
    for (ticket_id, due_at) in due {
        if claim(conn, &ticket_id)? == 1 && worth(due_at) {
            notify_managers(conn, &ticket_id, kind, target, due_at)?;
            sent += 1;
        }
    }
    Ok((sent, full))
}

/// Who hears about a ticket's SLA: its queue's managers; failing those (no
/// queue, or none named), the active managers of its division.
fn managers_of(conn: &mut Conn, queue_id: Option<&str>, division_id: &str) -> Result<Vec<String>> {
    if let Some(queue_id) = queue_id {
        let named: Vec<String> = ticket_queue_members::table
            .inner_join(users::table.on(users::id.eq(ticket_queue_members::user_id)))
            .filter(ticket_queue_members::queue_id.eq(queue_id))
            .filter(ticket_queue_members::role.eq("manager"))
            .filter(users::active.eq(true))
            .order(ticket_queue_members::position.asc())
            .select(users::id)
            .load(conn)?;
        if !named.is_empty() {
            return Ok(named);
        }
    }
    Ok(users::table
        .filter(users::role.eq("manager"))
        .filter(users::division_id.eq(division_id))
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select(users::id)
        .load(conn)?)
}

fn notify_managers(
    conn: &mut Conn,
    ticket_id: &str,
    kind: &'static str,
    target: Target,
    due_at: Option<NaiveDateTime>,
) -> Result<()> {
    let (number, subject, division_id, queue_id, assignee_id): (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    ) = tickets::table
        .filter(tickets::id.eq(ticket_id))
        .select((tickets::number, tickets::subject, tickets::division_id, tickets::queue_id, tickets::assignee_id))
        .first(conn)?;
    let payload = json!({
        "number": number,
        "subject": subject,
        "target": target.as_str(),
        "due_at": due_at.map(time::utc),
        "queue_id": queue_id,
        "assignee_id": assignee_id,
    });
    for user_id in managers_of(conn, queue_id.as_deref(), &division_id)? {
        notification::record(
            conn,
            NewNotification {
                user_id: &user_id,
                kind,
                entity_type: "ticket",
                entity_id: ticket_id,
                payload: payload.clone(),
            },
        )?;
    }
    Ok(())
}

/// Closes tickets resolved at or before `cutoff`, as the system, through
/// the same status change an agent makes (history, audit, SLA).
fn close_resolved(conn: &mut Conn, settings: &DeskSettings, cutoff: NaiveDateTime) -> Result<(usize, bool)> {
    let due: Vec<(String, i64)> = tickets::table
        .filter(tickets::status.eq(TicketStatus::Resolved.as_str()))
        .filter(tickets::resolved_at.le(cutoff))
        .order(tickets::resolved_at.asc())
        .select((tickets::id, tickets::version))
        .limit(BATCH)
        .load(conn)?;
    let full = due.len() as i64 == BATCH;
    let ctx = WriteContext::system();
    let mut closed = 0;
    for (id, version) in due {
        let input = ChangeStatus { status: TicketStatus::Closed, version: Some(version) };
        match status::change(conn, &ctx, &Reach::everything(), &id, version, input, settings) {
            Ok(_) => closed += 1,
            // Changed since it was read (reopened, closed by another
            // replica): nothing to do.
            Err(Error::StaleVersion { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((closed, full))
}
