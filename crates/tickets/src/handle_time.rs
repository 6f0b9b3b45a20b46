//! Handle time: what agents spend on tickets, from the durations of the
//! interactions (calls, visits, chats) logged on them. Per ticket it comes
//! with every ticket read; per agent it is a report over a period. Both
//! are aggregates in SQL over `interactions.ticket_id` (a partial index), so
//! the metrics issue reads the same numbers (`docs/metrics.md`, "Handle
//! time").

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::dsl::{count, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use rapport_core::db::schema::{interactions, tickets};
use rapport_core::db::{CacheStatement, Conn, MultiBackend};
use rapport_core::principal::Reach;
use rapport_core::{Error, FieldError, Result, time};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ticket::scope::within_reach;

/// Handle time on one ticket: the interactions logged on it with a
/// duration. Interactions without one are contacts, not handling, and are
/// left out of both sums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HandleTime {
    /// Interactions with a duration.
    pub interactions: i64,
    /// Their durations added up, in seconds.
    pub total_seconds: i64,
    /// `total_seconds / interactions`, rounded down; none without any.
    pub average_seconds: Option<i64>,
}

impl HandleTime {
    fn new(interactions: i64, total_seconds: i64) -> Self {
        let average_seconds = (interactions > 0).then(|| total_seconds / interactions);
        HandleTime { interactions, total_seconds, average_seconds }
    }
}

/// The sum of `interactions.duration_seconds`, as BIGINT on both backends.
fn total_seconds() -> diesel::expression::SqlLiteral<Nullable<BigInt>> {
    sql::<Nullable<BigInt>>("CAST(SUM(interactions.duration_seconds) AS BIGINT)")
}

/// Handle time per ticket of `ticket_ids`, in one query; a ticket with
/// none is absent.
pub(crate) fn for_tickets(conn: &mut Conn, ticket_ids: &[&str]) -> Result<HashMap<String, HandleTime>> {
    if ticket_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Option<String>, i64, Option<i64>)> = interactions::table
        .filter(interactions::ticket_id.eq_any(ticket_ids))
        .filter(interactions::duration_seconds.is_not_null())
        .group_by(interactions::ticket_id)
        .select((interactions::ticket_id, count(interactions::id), total_seconds()))
        .cached_for_short_list(ticket_ids.len())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, n, total)| id.map(|id| (id, HandleTime::new(n, total.unwrap_or(0)))))
        .collect())
}

/// Interactions logged with a duration on ticket `id`: each is an agent
/// touch for first-contact resolution.
pub(crate) fn timed_interactions(conn: &mut Conn, id: &str) -> Result<i64> {
    Ok(interactions::table
        .filter(interactions::ticket_id.eq(id))
        .filter(interactions::duration_seconds.is_not_null())
        .count()
        .get_result(conn)?)
}

/// Filters of the per-agent report.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HandleTimeQuery {
    /// Interactions that occurred at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Interactions that occurred before.
    pub to: Option<DateTime<Utc>>,
    /// Only this agent.
    pub user_id: Option<String>,
    /// Only tickets of this division.
    pub division_id: Option<String>,
    /// Only tickets of this branch.
    pub branch_id: Option<String>,
    /// Only tickets in this queue.
    pub queue_id: Option<String>,
}

/// One agent's handle time over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AgentHandleTime {
    /// The agent (the interaction's user).
    pub user_id: String,
    /// Distinct tickets they handled.
    pub tickets: i64,
    /// Interactions with a duration.
    pub interactions: i64,
    /// Durations added up, in seconds.
    pub total_seconds: i64,
    /// Per interaction, rounded down.
    pub average_seconds_per_interaction: i64,
    /// Per ticket handled, rounded down.
    pub average_seconds_per_ticket: i64,
}

/// Handle time per agent over tickets within `reach`, most time first.
/// Bounded by the number of agents (at most 1,000 rows), so not paged.
pub fn by_agent(conn: &mut Conn, reach: &Reach, query: &HandleTimeQuery) -> Result<Vec<AgentHandleTime>> {
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(Error::InvalidQuery(vec![FieldError::new("to", "invalid_range", "to must not be before from")]));
    }
    let q = interactions::table
        .inner_join(tickets::table.on(tickets::id.nullable().eq(interactions::ticket_id)))
        .filter(interactions::duration_seconds.is_not_null())
        .filter(interactions::user_id.is_not_null())
        .group_by(interactions::user_id)
        .select((
            interactions::user_id,
            sql::<BigInt>("COUNT(DISTINCT interactions.ticket_id)"),
            count(interactions::id),
            total_seconds(),
        ))
        .into_boxed::<MultiBackend>();
    let mut q = within_reach!(q, reach);
    if let Some(v) = &query.division_id {
        q = q.filter(tickets::division_id.eq(v.clone()));
    }
    if let Some(v) = &query.branch_id {
        q = q.filter(tickets::branch_id.eq(v.clone()));
    }
    if let Some(v) = &query.queue_id {
        q = q.filter(tickets::queue_id.eq(v.clone()));
    }
    if let Some(v) = query.from {
        q = q.filter(interactions::occurred_at.ge(time::stored(v)));
    }
    if let Some(v) = query.to {
        q = q.filter(interactions::occurred_at.lt(time::stored(v)));
    }
    if let Some(v) = &query.user_id {
        q = q.filter(interactions::user_id.eq(v.clone()));
    }
    let rows: Vec<(Option<String>, i64, i64, Option<i64>)> = q.limit(1_000).load(conn)?;
    let mut agents: Vec<AgentHandleTime> = rows
        .into_iter()
        .filter_map(|(user_id, tickets, interactions, total)| {
            let total_seconds = total.unwrap_or(0);
            Some(AgentHandleTime {
                user_id: user_id?,
                tickets,
                interactions,
                total_seconds,
                average_seconds_per_interaction: total_seconds / interactions.max(1),
                average_seconds_per_ticket: total_seconds / tickets.max(1),
            })
        })
        .collect();
    agents.sort_by(|a, b| b.total_seconds.cmp(&a.total_seconds).then_with(|| a.user_id.cmp(&b.user_id)));
    Ok(agents)
}
