//! The rows of one demo ticket: the ticket, its status history, comments,
//! calls, SLA clock and CSAT surveys.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::{csat_surveys, interactions, ticket_comments, ticket_slas, tickets};
use rapport_core::{Result, ids, time};

use super::plan::Plan;
use super::story::{Act, Dice};
use super::{Desk, Setup, text};
use crate::kinds::{CategoryKind, TicketChannel, TicketStatus};
use crate::sla;
use crate::ticket::status::first_contact;
use crate::ticket::store::record_status;

/// How long a survey link works (the desk's default).
const SURVEY_DAYS: i64 = 14;

/// The ticket's state after its steps, as the domain functions would have
/// left it.
#[derive(Default)]
struct Outcome {
    status: Option<TicketStatus>,
    first_responded_at: Option<NaiveDateTime>,
    resolved_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    fcr: Option<bool>,
    reopen_count: i32,
    replies: i32,
    calls: i32,
    version: i64,
    /// Every resolution, for the surveys.
    resolutions: Vec<NaiveDateTime>,
    /// Response clock cycles: (started, met).
    cycles: Vec<(NaiveDateTime, Option<NaiveDateTime>)>,
}

fn outcome(p: &Plan) -> Outcome {
    let mut o = Outcome { version: 1, cycles: vec![(p.created, None)], ..Outcome::default() };
    let mut status = TicketStatus::New;
    for step in &p.steps {
        match step.act {
            Act::AgentReply => {
                o.replies += 1;
                o.version += 1;
                o.first_responded_at.get_or_insert(step.at);
                if status == TicketStatus::New {
                    status = TicketStatus::Open;
                }
                if let Some(cycle) = o.cycles.last_mut().filter(|c| c.1.is_none()) {
                    cycle.1 = Some(step.at);
                }
            }
            // A customer's reply after an agent's starts the response clock again.
            Act::CustomerReply if o.cycles.last().is_some_and(|c| c.1.is_some()) => o.cycles.push((step.at, None)),
            Act::CustomerReply | Act::Note => {}
            Act::Call { .. } => o.calls += 1,
            Act::Status { to, .. } => {
                o.version += 1;
                match to {
                    TicketStatus::Resolved => {
                        o.resolved_at = Some(step.at);
                        // Touches as `docs/metrics.md` counts them: public
                        // replies plus calls logged with a duration.
                        let touches = i64::from(o.replies + o.calls);
                        o.fcr = Some(first_contact(touches, o.reopen_count));
                        o.resolutions.push(step.at);
                    }
                    TicketStatus::Open if matches!(status, TicketStatus::Resolved | TicketStatus::Closed) => {
                        o.reopen_count += 1;
                        (o.resolved_at, o.fcr) = (None, None);
                    }
                    TicketStatus::Closed => o.closed_at = Some(step.at),
                    _ => {}
                }
                status = to;
            }
        }
    }
    o.status = Some(status);
    o
}

/// Writes plan `p` as ticket `number`.
pub(super) fn ticket(conn: &mut Conn, desk: &Desk, setup: &Setup<'_>, p: &Plan, number: &str) -> Result<()> {
    let Some(category_id) = desk.category(p.case.kind).or_else(|| desk.category(CategoryKind::General)) else {
        return Ok(());
    };
    let mut dice = Dice::new(p.seed ^ 0xC0FF_EE00);
    let customer = &setup.customers[p.customer];
    let asset = p.asset.and_then(|a| customer.assets.get(a));
    let (subject, description) = text::case(&mut dice, p.case.kind, asset.map(|a| a.label.as_str()));
    let assignee = desk.agents[p.assignee].as_str();
    let created_by = match p.channel {
        TicketChannel::WalkIn | TicketChannel::Visit | TicketChannel::Meeting => Some(assignee),
        TicketChannel::Email | TicketChannel::Web => None,
        _ => setup.logged_by,
    };
    let o = outcome(p);
    let status = o.status.unwrap_or(TicketStatus::New);
    let id = ids::new_id();
    let updated_at = p.steps.last().map_or(p.created, |s| s.at);
    diesel::insert_into(tickets::table)
        .values((
            (
                tickets::id.eq(&id),
                tickets::number.eq(number),
                tickets::division_id.eq(setup.division_id),
                tickets::branch_id.eq(setup.branch_id),
                tickets::queue_id.eq(setup.queue_id),
                tickets::customer_id.eq(&customer.id),
                tickets::asset_id.eq(asset.map(|a| a.id.as_str())),
                tickets::category_id.eq(category_id),
                tickets::priority.eq(p.case.priority.as_str()),
                tickets::channel.eq(p.channel.as_str()),
                tickets::subject.eq(&subject),
                tickets::description.eq(&description),
            ),
            (
                tickets::status.eq(status.as_str()),
                tickets::assignee_id.eq(assignee),
                tickets::created_by.eq(created_by),
                tickets::first_responded_at.eq(o.first_responded_at),
                tickets::resolved_at.eq(o.resolved_at),
                tickets::closed_at.eq(o.closed_at),
                tickets::reopen_count.eq(o.reopen_count),
                tickets::agent_touches.eq(o.replies),
                tickets::first_contact_resolution.eq(o.fcr),
                tickets::version.eq(o.version),
                tickets::created_at.eq(p.created),
                tickets::updated_at.eq(updated_at),
            ),
            (
                tickets::calendar_id.eq(desk.basis.calendar_id.as_deref()),
                tickets::business_day_seconds.eq(desk.basis.business_day_seconds),
                tickets::first_response_business_seconds
                    .eq(o.first_responded_at.map(|at| desk.basis.seconds(p.created, at))),
                tickets::resolution_business_seconds.eq(o.resolved_at.map(|at| desk.basis.seconds(p.created, at))),
            ),
        ))
        .execute(conn)?;
    record_status(conn, &id, None, TicketStatus::New, created_by.map(str::to_owned), p.created)?;
    thread(conn, &mut dice, setup, p, &id, &customer.id, assignee)?;
    clock(conn, desk, p, &id, &o)?;
    surveys(conn, &mut dice, p, &id, &o, setup.now)
}

/// The comments, status changes and calls, in order.
fn thread(
    conn: &mut Conn,
    dice: &mut Dice,
    setup: &Setup<'_>,
    p: &Plan,
    id: &str,
    customer_id: &str,
    assignee: &str,
) -> Result<()> {
    let mut status = TicketStatus::New;
    let mut replies = 0;
    for (k, step) in p.steps.iter().enumerate() {
        let resolving =
            p.steps.get(k + 1).is_some_and(|next| matches!(next.act, Act::Status { to: TicketStatus::Resolved, .. }));
        match step.act {
            Act::AgentReply => {
                let body = match (replies, resolving) {
                    (_, true) if replies > 0 => text::done(dice),
                    (0, _) => text::first_reply(dice),
                    _ => text::answer(dice),
                };
                replies += 1;
                comment(conn, id, Some(assignee), "public", "agent", body, step.at)?;
                if status == TicketStatus::New {
                    record_status(conn, id, Some(status), TicketStatus::Open, Some(assignee.to_owned()), step.at)?;
                    status = TicketStatus::Open;
                }
            }
            Act::CustomerReply => {
                let reopening = matches!(status, TicketStatus::Resolved | TicketStatus::Closed);
                comment(conn, id, None, "public", "customer", text::customer(dice, reopening), step.at)?;
            }
            Act::Note => comment(conn, id, Some(assignee), "internal", "agent", text::note(dice), step.at)?,
            Act::Call { seconds, outbound } => {
                diesel::insert_into(interactions::table)
                    .values((
                        interactions::id.eq(ids::new_id()),
                        interactions::customer_id.eq(customer_id),
                        interactions::ticket_id.eq(id),
                        interactions::division_id.eq(setup.division_id),
                        interactions::channel.eq("call"),
                        interactions::direction.eq(if outbound { "outbound" } else { "inbound" }),
                        interactions::subject.eq("Call about the ticket"),
                        interactions::occurred_at.eq(step.at),
                        interactions::duration_seconds.eq(seconds),
                        interactions::outcome.eq("follow_up_needed"),
                        interactions::user_id.eq(assignee),
                        interactions::version.eq(1_i64),
                        interactions::created_at.eq(step.at),
                        interactions::updated_at.eq(step.at),
                    ))
                    .execute(conn)?;
            }
            Act::Status { to, by_agent } => {
                let by = by_agent.then(|| assignee.to_owned());
                record_status(conn, id, Some(status), to, by, step.at)?;
                status = to;
            }
        }
    }
    Ok(())
}

fn comment(
    conn: &mut Conn,
    ticket_id: &str,
    author_id: Option<&str>,
    visibility: &str,
    author_kind: &str,
    body: &str,
    at: NaiveDateTime,
) -> Result<()> {
    diesel::insert_into(ticket_comments::table)
        .values((
            ticket_comments::id.eq(ids::new_id()),
            ticket_comments::ticket_id.eq(ticket_id),
            ticket_comments::author_id.eq(author_id),
            ticket_comments::visibility.eq(visibility),
            ticket_comments::author_kind.eq(author_kind),
            ticket_comments::body.eq(body),
            ticket_comments::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The SLA clock: the row with the targets and the last response cycle,
/// then `sla::clock::refresh` computes due times and flags from the history.
/// Earlier response cycles met late are flagged here, as the refresh at
/// that reply would have: a breach flag, once set, stays set.
fn clock(conn: &mut Conn, desk: &Desk, p: &Plan, id: &str, o: &Outcome) -> Result<()> {
    let Some((_, policy_id, response, resolution, warn)) = desk.policy(p.case.priority) else { return Ok(()) };
    let pauses = sla::clock::pauses(conn, id)?;
    let earlier_late = o.cycles[..o.cycles.len() - 1].iter().any(|&(started, met)| {
        let due =
            desk.basis.calendar.add_excluding(time::utc(started), Duration::minutes(i64::from(*response)), &pauses);
        matches!((met, due), (Some(met), Some(due)) if time::utc(met) > due)
    });
    let (started, met) = o.cycles[o.cycles.len() - 1];
    diesel::insert_into(ticket_slas::table)
        .values((
            ticket_slas::ticket_id.eq(id),
            ticket_slas::sla_policy_id.eq(policy_id),
            ticket_slas::calendar_id.eq(desk.basis.calendar_id.as_deref()),
            ticket_slas::first_response_minutes.eq(response),
            ticket_slas::resolution_minutes.eq(resolution),
            ticket_slas::warn_percent.eq(warn),
            ticket_slas::clock.eq("running"),
            ticket_slas::response_started_at.eq(started),
            ticket_slas::response_met_at.eq(met),
            ticket_slas::response_breached.eq(earlier_late),
            ticket_slas::resolution_breached.eq(false),
        ))
        .execute(conn)?;
    sla::clock::refresh(conn, id)
}

/// A survey per resolution, valid for [`SURVEY_DAYS`] unless a later one
/// retires it; about 40 % answered, mostly satisfied unless the case was
/// slow or came back. The token hash is not a SHA-256 hex digest, so no
/// token opens a demo survey.
fn surveys(conn: &mut Conn, dice: &mut Dice, p: &Plan, ticket_id: &str, o: &Outcome, now: NaiveDateTime) -> Result<()> {
    for (k, &sent) in o.resolutions.iter().enumerate() {
        let natural = sent + Duration::days(SURVEY_DAYS);
        let expires = o.resolutions.get(k + 1).map_or(natural, |next| natural.min(*next));
        let came_back = k + 1 < o.resolutions.len();
        let slow = sent - p.created > Duration::days(7) || o.reopen_count > 0;
        let answered = sent + dice.minutes(30, 3 * 24 * 60);
        let answer = (dice.chance(40) && answered < expires && answered <= now).then(|| {
            let weights: &[(i32, u64)] = if came_back {
                &[(1, 40), (2, 30), (3, 20), (4, 10)]
            } else if slow {
                &[(1, 14), (2, 16), (3, 22), (4, 26), (5, 22)]
            } else {
                &[(1, 4), (2, 5), (3, 13), (4, 34), (5, 44)]
            };
            let rating = dice.weighted(weights);
            (rating, text::survey_comment(dice, rating))
        });
        let survey_id = ids::new_id();
        diesel::insert_into(csat_surveys::table)
            .values((
                csat_surveys::id.eq(&survey_id),
                csat_surveys::ticket_id.eq(ticket_id),
                csat_surveys::token_hash.eq(format!("demo-unusable-{survey_id}")),
                csat_surveys::sent_at.eq(sent),
                csat_surveys::expires_at.eq(expires),
                csat_surveys::rating.eq(answer.map(|a| a.0)),
                csat_surveys::comment.eq(answer.and_then(|a| a.1)),
                csat_surveys::responded_at.eq(answer.map(|_| answered)),
            ))
            .execute(conn)?;
    }
    Ok(())
}
