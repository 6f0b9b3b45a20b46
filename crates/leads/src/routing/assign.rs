//! Picking the owner of a routed lead from the division's (or branch's)
//! active assignment rule, and telling the new owner.
//!
//! Round-robin turns are taken with a compare-and-set on the rule's cursor
//! row, so two transactions routing at once (PostgreSQL) never hand the same
//! turn out twice: the loser re-reads the cursor and takes the next turn.

use std::collections::HashMap;

use diesel::prelude::*;
use rapport_core::db::schema::{lead_assignment_cursors, lead_assignment_members, lead_assignment_rules, leads, users};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::notification::{self, NewNotification};
use rapport_core::{Error, Result, time};
use serde_json::json;

use super::rules::RuleRow;
use crate::kinds::{AssignmentMode, LeadStatus};
use crate::lead::store::ENTITY;

/// How many times a round-robin turn is retried when other transactions
/// keep taking it first.
const TURN_ATTEMPTS: usize = 20;

/// The owner a rule picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    /// The new owner.
    pub owner_id: String,
    /// The rule that picked them.
    pub rule_id: String,
    /// Its mode.
    pub mode: AssignmentMode,
}

/// The active rule for a lead of `division_id` in `branch_id`: the branch's
/// own rule, else the division-wide one.
fn rule_for(conn: &mut Conn, division_id: &str, branch_id: Option<&str>) -> Result<Option<RuleRow>> {
    let active = || {
        lead_assignment_rules::table
            .filter(lead_assignment_rules::division_id.eq(division_id.to_owned()))
            .filter(lead_assignment_rules::active.eq(true))
            .select(RuleRow::as_select())
            .order(lead_assignment_rules::id)
            .into_boxed()
    };
    if let Some(branch) = branch_id
        && let Some(rule) =
            active().filter(lead_assignment_rules::branch_id.eq(branch.to_owned())).first(conn).optional()?
    {
        return Ok(Some(rule));
    }
    Ok(active().filter(lead_assignment_rules::branch_id.is_null()).first(conn).optional()?)
}

/// Who gets a lead of `division_id` / `branch_id` by the rules, if a rule
/// applies and has an active person. Takes a round-robin turn.
pub fn pick(conn: &mut Conn, division_id: &str, branch_id: Option<&str>) -> Result<Option<Pick>> {
    let Some(rule) = rule_for(conn, division_id, branch_id)? else {
        return Ok(None);
    };
    let mode =
        AssignmentMode::parse(&rule.mode).ok_or_else(|| Error::Internal(format!("stored mode {}", rule.mode)))?;
    let owner = match mode {
        AssignmentMode::Named => match rule.user_id.clone() {
            Some(user) if is_active(conn, &user)? => Some(user),
            _ => None,
        },
        AssignmentMode::RoundRobin => next_turn(conn, &rule.id)?,
        AssignmentMode::FewestOpen => fewest_open(conn, &rule.id)?,
    };
    Ok(owner.map(|owner_id| Pick { owner_id, rule_id: rule.id, mode }))
}

fn is_active(conn: &mut Conn, user_id: &str) -> Result<bool> {
    let active: Option<bool> =
        users::table.filter(users::id.eq(user_id)).select(users::active).first(conn).optional()?;
    Ok(active.unwrap_or(false))
}

/// The rule's members who can take leads now, as (position, user id) in
/// turn order: deactivated users are skipped, not removed.
fn active_members(conn: &mut Conn, rule_id: &str) -> Result<Vec<(i32, String)>> {
    Ok(lead_assignment_members::table
        .inner_join(users::table.on(users::id.eq(lead_assignment_members::user_id)))
        .filter(lead_assignment_members::rule_id.eq(rule_id))
        .filter(users::active.eq(true))
        .order(lead_assignment_members::position)
        .select((lead_assignment_members::position, lead_assignment_members::user_id))
        .load(conn)?)
}

/// The member after the one who had the last turn (wrapping round), and
/// records the turn.
fn next_turn(conn: &mut Conn, rule_id: &str) -> Result<Option<String>> {
    let members = active_members(conn, rule_id)?;
    if members.is_empty() {
        return Ok(None);
    }
    for _ in 0..TURN_ATTEMPTS {
        let last: i32 = lead_assignment_cursors::table
            .filter(lead_assignment_cursors::rule_id.eq(rule_id))
            .select(lead_assignment_cursors::last_position)
            .first(conn)
            .optional()?
            .unwrap_or(-1);
        let (position, user) = members.iter().find(|(p, _)| *p > last).unwrap_or(&members[0]).clone();
        let taken = diesel::update(
            lead_assignment_cursors::table
                .filter(lead_assignment_cursors::rule_id.eq(rule_id))
                .filter(lead_assignment_cursors::last_position.eq(last)),
        )
        .set((lead_assignment_cursors::last_position.eq(position), lead_assignment_cursors::updated_at.eq(time::now())))
        .cached()
        .execute(conn)?;
        if taken == 1 {
            return Ok(Some(user));
        }
    }
    Err(Error::Conflict { code: "busy", message: "too many leads are being routed at once; retry".to_owned() })
}

/// The member with the fewest open leads (ties: the earlier member).
fn fewest_open(conn: &mut Conn, rule_id: &str) -> Result<Option<String>> {
    let members = active_members(conn, rule_id)?;
    let ids: Vec<&str> = members.iter().map(|(_, u)| u.as_str()).collect();
    let counts: HashMap<Option<String>, i64> = leads::table
        .filter(leads::owner_id.eq_any(&ids))
        .filter(leads::status.eq(LeadStatus::Open.as_str()))
        .filter(leads::archived_at.is_null())
        .group_by(leads::owner_id)
        .select((leads::owner_id, diesel::dsl::count_star()))
        .load::<(Option<String>, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(members
        .into_iter()
        .min_by_key(|(position, user)| (counts.get(&Some(user.clone())).copied().unwrap_or(0), *position))
        .map(|(_, user)| user))
}

/// Why a lead got a new owner, for the notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Assigned within its division (qualification or a manual change).
    Assigned,
    /// Handed over from another division.
    HandedOver,
}

/// Tells `owner_id` that lead `lead_id` is now theirs, unless they gave it
/// to themselves.
pub fn notify_owner(
    conn: &mut Conn,
    lead_id: &str,
    owner_id: &str,
    by: Option<&str>,
    reason: Reason,
    details: serde_json::Value,
) -> Result<()> {
    if by == Some(owner_id) {
        return Ok(());
    }
    let kind = match reason {
        Reason::Assigned => "lead_assigned",
        Reason::HandedOver => "lead_handed_over",
    };
    let mut payload = json!({ "lead_id": lead_id, "assigned_by": by });
    if let (Some(target), serde_json::Value::Object(extra)) = (payload.as_object_mut(), details) {
        target.extend(extra);
    }
    notification::record(
        conn,
        NewNotification { user_id: owner_id, kind, entity_type: ENTITY, entity_id: lead_id, payload },
    )
}
