//! Routing rules: division + category + channel → queue. The most specific
//! matching rule wins (category and channel, then category, then channel,
//! then neither), then the lowest position.

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::ticket_routing_rules as rules;
use rapport_core::principal::{Reach, Scope};
use rapport_core::{Error, Problems, Result, ids, time, validate};
use rapport_customers::refs;

use super::api::{CreateRoutingRule, QueueListQuery, RoutingRuleResponse};
use crate::category;
use crate::kinds::TicketChannel;

const ENTITY: &str = "ticket_routing_rule";

type RuleTuple = (String, String, Option<String>, Option<String>, String, i32, chrono::NaiveDateTime);

fn response(row: RuleTuple) -> Result<RoutingRuleResponse> {
    let (id, division_id, category_id, channel, queue_id, position, created_at) = row;
    Ok(RoutingRuleResponse {
        channel: channel
            .map(|c| TicketChannel::parse(&c).ok_or_else(|| Error::Internal(format!("stored channel {c}"))))
            .transpose()?,
        id,
        division_id,
        category_id,
        queue_id,
        position,
        created_at: time::utc(created_at),
    })
}

fn columns() -> (
    rules::id,
    rules::division_id,
    rules::category_id,
    rules::channel,
    rules::queue_id,
    rules::position,
    rules::created_at,
) {
    (
        rules::id,
        rules::division_id,
        rules::category_id,
        rules::channel,
        rules::queue_id,
        rules::position,
        rules::created_at,
    )
}

/// The rules within `reach`, by division, then position.
pub fn list(conn: &mut Conn, reach: &Reach, query: &QueueListQuery) -> Result<Vec<RoutingRuleResponse>> {
    let mut q = rules::table.select(columns()).into_boxed();
    if reach.scope != Scope::All {
        q = q.filter(rules::division_id.eq(reach.own_division().to_owned()));
    }
    if let Some(d) = &query.division_id {
        q = q.filter(rules::division_id.eq(d.clone()));
    }
    let rows: Vec<RuleTuple> = q.order((rules::division_id, rules::position, rules::id)).limit(1000).load(conn)?;
    rows.into_iter().map(response).collect()
}

/// Creates a rule; its queue must be a live queue of its division.
pub fn create(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    input: CreateRoutingRule,
) -> Result<RoutingRuleResponse> {
    let mut p = Problems::new();
    let division_id = validate::id_ref(&mut p, "division_id", &input.division_id);
    let category_id = input.category_id.as_deref().map(|c| validate::id_ref(&mut p, "category_id", c));
    let queue_id = validate::id_ref(&mut p, "queue_id", &input.queue_id);
    p.into_result(())?;
    refs::ensure_division_in_reach(reach, "division_id", &division_id)?;
    refs::ensure_division(conn, "division_id", &division_id)?;
    if let Some(c) = &category_id {
        category::ensure_live(conn, "category_id", c)?;
    }
    super::live_queue_of(conn, &division_id, &queue_id)?;
    let now = time::now();
    let id = ids::new_id();
    diesel::insert_into(rules::table)
        .values((
            rules::id.eq(&id),
            rules::division_id.eq(&division_id),
            rules::category_id.eq(&category_id),
            rules::channel.eq(input.channel.map(|c| c.as_str())),
            rules::queue_id.eq(&queue_id),
            rules::position.eq(input.position),
            rules::active.eq(true),
            rules::version.eq(1_i64),
            rules::created_at.eq(now),
            rules::updated_at.eq(now),
        ))
        .execute(conn)?;
    let created = response((
        id.clone(),
        division_id,
        category_id,
        input.channel.map(|c| c.as_str().to_owned()),
        queue_id,
        input.position,
        now,
    ))?;
    audit::record(conn, ctx, ENTITY, &id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// Deletes rule `id` within `reach`.
pub fn delete(conn: &mut Conn, ctx: &WriteContext, reach: &Reach, id: &str) -> Result<()> {
    let not_found = || Error::NotFound { entity: ENTITY };
    if !ids::is_valid_id(id) {
        return Err(not_found());
    }
    let row: RuleTuple =
        rules::table.filter(rules::id.eq(id)).select(columns()).first(conn).optional()?.ok_or_else(not_found)?;
    if reach.scope != Scope::All && row.1 != reach.own_division() {
        return Err(not_found());
    }
    let before = response(row)?;
    diesel::delete(rules::table.filter(rules::id.eq(id))).execute(conn)?;
    audit::record::<RoutingRuleResponse>(conn, ctx, ENTITY, id, Action::Deleted, Some(&before), None)?;
    Ok(())
}

/// The queue a ticket of `division_id`, `category_id` and `channel` goes to.
pub(crate) fn queue_for(
    conn: &mut Conn,
    division_id: &str,
    category_id: &str,
    channel: TicketChannel,
) -> Result<Option<String>> {
    let candidates: Vec<(Option<String>, Option<String>, i32, String)> = rules::table
        .filter(rules::division_id.eq(division_id))
        .filter(rules::active.eq(true))
        .filter(rules::category_id.is_null().or(rules::category_id.eq(category_id)))
        .filter(rules::channel.is_null().or(rules::channel.eq(channel.as_str())))
        .select((rules::category_id, rules::channel, rules::position, rules::queue_id))
        .load(conn)?;
    Ok(candidates
        .into_iter()
        .min_by_key(|(category, channel, position, _)| (category.is_none(), channel.is_none(), *position))
        .map(|(_, _, _, queue)| queue))
}
