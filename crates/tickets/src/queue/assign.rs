//! Handing a routed ticket to an agent of its queue: in turn (a
//! compare-and-set on the queue's cursor row, so concurrent tickets never
//! share a turn) or to the least loaded, skipping members away and
//! deactivated users.

use std::collections::HashMap;

use diesel::prelude::*;
use rapport_core::db::schema::{ticket_queue_cursors, ticket_queue_members, tickets, users};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::{Error, Result, time};

use super::api::Assignment;
use super::store::QueueRow;
use crate::kinds::TicketStatus;

const TURN_ATTEMPTS: usize = 20;

/// The active agents of a queue, (position, user) in turn order.
fn agents(conn: &mut Conn, queue_id: &str) -> Result<Vec<(i32, String)>> {
    Ok(ticket_queue_members::table
        .inner_join(users::table.on(users::id.eq(ticket_queue_members::user_id)))
        .filter(ticket_queue_members::queue_id.eq(queue_id))
        .filter(ticket_queue_members::role.eq("agent"))
        .filter(ticket_queue_members::active.eq(true))
        .filter(users::active.eq(true))
        .order(ticket_queue_members::position)
        .select((ticket_queue_members::position, ticket_queue_members::user_id))
        .load(conn)?)
}

/// The agent the queue gives its next ticket to, if any.
pub(crate) fn pick(conn: &mut Conn, queue: &QueueRow) -> Result<Option<String>> {
    match Assignment::parse(&queue.assignment) {
        Some(Assignment::RoundRobin) => next_turn(conn, &queue.id),
        Some(Assignment::LeastLoaded) => least_loaded(conn, &queue.id),
        Some(Assignment::Manual) => Ok(None),
        None => Err(Error::Internal(format!("stored assignment {}", queue.assignment))),
    }
}

fn next_turn(conn: &mut Conn, queue_id: &str) -> Result<Option<String>> {
    let agents = agents(conn, queue_id)?;
    let Some(first) = agents.first().cloned() else { return Ok(None) };
    for _ in 0..TURN_ATTEMPTS {
        let last: i32 = ticket_queue_cursors::table
            .filter(ticket_queue_cursors::queue_id.eq(queue_id))
            .select(ticket_queue_cursors::last_position)
            .get_result(conn)
            .optional()?
            .unwrap_or(-1);
        let (position, user) = agents.iter().find(|(p, _)| *p > last).cloned().unwrap_or_else(|| first.clone());
        let taken = diesel::update(
            ticket_queue_cursors::table
                .filter(ticket_queue_cursors::queue_id.eq(queue_id))
                .filter(ticket_queue_cursors::last_position.eq(last)),
        )
        .set((ticket_queue_cursors::last_position.eq(position), ticket_queue_cursors::updated_at.eq(time::now())))
        .cached()
        .execute(conn)?;
        if taken == 1 {
            return Ok(Some(user));
        }
    }
    Err(Error::Conflict { code: "busy", message: "too many tickets are being routed at once; retry".to_owned() })
}

fn least_loaded(conn: &mut Conn, queue_id: &str) -> Result<Option<String>> {
    let agents = agents(conn, queue_id)?;
    let ids: Vec<&str> = agents.iter().map(|(_, u)| u.as_str()).collect();
    let unresolved = [TicketStatus::New.as_str(), TicketStatus::Open.as_str(), TicketStatus::Pending.as_str()];
    let load: HashMap<Option<String>, i64> = tickets::table
        .filter(tickets::assignee_id.eq_any(&ids))
        .filter(tickets::status.eq_any(unresolved))
        .group_by(tickets::assignee_id)
        .select((tickets::assignee_id, diesel::dsl::count_star()))
        // One entry per queue size: bounded by the staff, and it runs on every routed create.
        .cached()
        .load::<(Option<String>, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(agents
        .into_iter()
        .min_by_key(|(position, user)| (load.get(&Some(user.clone())).copied().unwrap_or(0), *position))
        .map(|(_, user)| user))
}
