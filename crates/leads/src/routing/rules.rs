//! Assignment rules: per division (or branch), a named rep, round-robin or
//! fewest open leads among members. Admins edit every rule, managers their
//! division's; one active rule per division and branch.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::{lead_assignment_cursors, lead_assignment_members, lead_assignment_rules, users};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::principal::{Reach, Scope};
use rapport_core::{Error, FieldError, Problems, Result, ids, time, validate};
use rapport_customers::refs;

use super::api::{AssignmentRuleListQuery, AssignmentRuleResponse, CreateAssignmentRule, UpdateAssignmentRule};
use crate::kinds::AssignmentMode;

const ENTITY: &str = "lead_assignment_rule";
/// The most members one rule takes.
const MAX_MEMBERS: usize = 100;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lead_assignment_rules)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct RuleRow {
    pub id: String,
    pub division_id: String,
    pub branch_id: Option<String>,
    pub mode: String,
    pub user_id: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lead_assignment_members)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct MemberRow {
    rule_id: String,
    user_id: String,
    position: i32,
}

/// The rule row `id` within `reach` (a division scope sees its division's).
fn find_row(conn: &mut Conn, reach: &Reach, id: &str) -> Result<RuleRow> {
    let not_found = || Error::NotFound { entity: ENTITY };
    if !ids::is_valid_id(id) {
        return Err(not_found());
    }
    let row: RuleRow = lead_assignment_rules::table
        .filter(lead_assignment_rules::id.eq(id))
        .select(RuleRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(not_found)?;
    if reach.scope != Scope::All && row.division_id != reach.own_division() {
        return Err(not_found());
    }
    Ok(row)
}

/// The member ids of each of `rule_ids`, in turn order, in one query.
fn member_ids(conn: &mut Conn, rule_ids: &[&str]) -> Result<HashMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> = lead_assignment_members::table
        .filter(lead_assignment_members::rule_id.eq_any(rule_ids))
        .order((lead_assignment_members::rule_id, lead_assignment_members::position))
        .select((lead_assignment_members::rule_id, lead_assignment_members::user_id))
        .load(conn)?;
    let mut by_rule: HashMap<String, Vec<String>> = HashMap::new();
    for (rule, user) in rows {
        by_rule.entry(rule).or_default().push(user);
    }
    Ok(by_rule)
}

/// Rule rows as the API shows them, members read in one query.
fn responses(conn: &mut Conn, rows: Vec<RuleRow>) -> Result<Vec<AssignmentRuleResponse>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut members = member_ids(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let of_row = members.remove(&row.id).unwrap_or_default();
            response(row, of_row)
        })
        .collect()
}

fn response(row: RuleRow, member_ids: Vec<String>) -> Result<AssignmentRuleResponse> {
    let mode = AssignmentMode::parse(&row.mode).ok_or_else(|| Error::Internal(format!("stored mode {}", row.mode)))?;
    Ok(AssignmentRuleResponse {
        member_ids,
        id: row.id,
        division_id: row.division_id,
        branch_id: row.branch_id,
        mode,
        user_id: row.user_id,
        active: row.active,
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}

/// One rule row as the API shows it.
fn one(conn: &mut Conn, row: RuleRow) -> Result<AssignmentRuleResponse> {
    responses(conn, vec![row])?.pop().ok_or_else(|| Error::Internal("rule vanished".to_owned()))
}

/// Every rule within `reach` (a short admin list, not paginated), division
/// then branch order.
pub fn list(conn: &mut Conn, reach: &Reach, query: &AssignmentRuleListQuery) -> Result<Vec<AssignmentRuleResponse>> {
    let mut q = lead_assignment_rules::table.select(RuleRow::as_select()).into_boxed();
    if reach.scope != Scope::All {
        q = q.filter(lead_assignment_rules::division_id.eq(reach.own_division().to_owned()));
    }
    if let Some(division) = &query.division_id {
        q = q.filter(lead_assignment_rules::division_id.eq(division.clone()));
    }
    if let Some(active) = query.active {
        q = q.filter(lead_assignment_rules::active.eq(active));
    }
    let rows: Vec<RuleRow> = q
        .order((lead_assignment_rules::division_id, lead_assignment_rules::branch_id, lead_assignment_rules::id))
        .limit(1000)
        .load(conn)?;
    responses(conn, rows)
}

/// The rule `id` within `reach`.
pub fn get(conn: &mut Conn, reach: &Reach, id: &str) -> Result<AssignmentRuleResponse> {
    let row = find_row(conn, reach, id)?;
    one(conn, row)
}

/// The named rep and members after validation.
struct Who {
    user_id: Option<String>,
    member_ids: Vec<String>,
}

/// Checks the shape of a rule's people: `named` takes a user and no
/// members, the other modes members and no user.
fn check_shape(p: &mut Problems, mode: AssignmentMode, user_id: Option<&str>, member_ids: &[String]) -> Who {
    let user_id = user_id.map(|u| validate::id_ref(p, "user_id", u));
    let member_ids: Vec<String> =
        member_ids.iter().enumerate().map(|(i, m)| validate::id_ref(p, &format!("member_ids[{i}]"), m)).collect();
    match mode {
        AssignmentMode::Named => {
            if user_id.is_none() {
                p.push("user_id", "required", "a named rule needs the rep's user_id");
            }
            if !member_ids.is_empty() {
                p.push("member_ids", "not_allowed", "a named rule has no members");
            }
        }
        AssignmentMode::RoundRobin | AssignmentMode::FewestOpen => {
            if user_id.is_some() {
                p.push("user_id", "not_allowed", "only a named rule has a user_id; list the reps in member_ids");
            }
            if member_ids.is_empty() || member_ids.len() > MAX_MEMBERS {
                p.push("member_ids", "out_of_range", format!("between 1 and {MAX_MEMBERS} members"));
            }
            for (i, m) in member_ids.iter().enumerate() {
                if member_ids[..i].contains(m) {
                    p.push(format!("member_ids[{i}]"), "duplicate", format!("user {m} is listed twice"));
                }
            }
        }
    }
    Who { user_id, member_ids }
}

/// Every person of the rule is an active user of `division_id`.
fn ensure_people(conn: &mut Conn, division_id: &str, who: &Who) -> Result<()> {
    let fields = who
        .user_id
        .iter()
        .map(|u| ("user_id".to_owned(), u))
        .chain(who.member_ids.iter().enumerate().map(|(i, m)| (format!("member_ids[{i}]"), m)));
    let mut problems = Problems::new();
    for (field, id) in fields {
        let found: Option<(bool, Option<String>)> =
            users::table.filter(users::id.eq(id)).select((users::active, users::division_id)).first(conn).optional()?;
        match found {
            None => problems.push(field, "not_found", format!("user {id} does not exist")),
            Some((false, _)) => problems.push(field, "inactive", format!("user {id} is deactivated")),
            Some((true, d)) if d.as_deref() != Some(division_id) => {
                problems.push(field, "wrong_division", format!("user {id} does not work in the rule's division"))
            }
            Some(_) => {}
        }
    }
    problems.into_result(())
}

/// No other active rule routes the same division and branch.
fn ensure_single_active(conn: &mut Conn, row: &RuleRow) -> Result<()> {
    if !row.active {
        return Ok(());
    }
    let mut q = lead_assignment_rules::table
        .filter(lead_assignment_rules::division_id.eq(&row.division_id))
        .filter(lead_assignment_rules::active.eq(true))
        .filter(lead_assignment_rules::id.ne(&row.id))
        .select(lead_assignment_rules::id)
        .into_boxed();
    q = match &row.branch_id {
        Some(b) => q.filter(lead_assignment_rules::branch_id.eq(b.clone())),
        None => q.filter(lead_assignment_rules::branch_id.is_null()),
    };
    match q.first::<String>(conn).optional()? {
        Some(other) => Err(Error::Duplicate(vec![FieldError::new(
            "branch_id",
            "duplicate",
            format!("rule {other} already routes this division and branch; deactivate it first"),
        )])),
        None => Ok(()),
    }
}

/// Replaces the members and restarts the turn at the first of them.
fn store_members(conn: &mut Conn, rule_id: &str, member_ids: &[String]) -> Result<()> {
    diesel::delete(lead_assignment_members::table.filter(lead_assignment_members::rule_id.eq(rule_id)))
        .execute(conn)?;
    // One statement per member: multi-row inserts don't build for both
    // backends at once, and a rule has at most a hundred members.
    for (user_id, position) in member_ids.iter().zip(0..) {
        let row = MemberRow { rule_id: rule_id.to_owned(), user_id: user_id.clone(), position };
        diesel::insert_into(lead_assignment_members::table).values(&row).execute(conn)?;
    }
    diesel::delete(lead_assignment_cursors::table.filter(lead_assignment_cursors::rule_id.eq(rule_id)))
        .execute(conn)?;
    diesel::insert_into(lead_assignment_cursors::table)
        .values((
            lead_assignment_cursors::rule_id.eq(rule_id),
            lead_assignment_cursors::last_position.eq(-1),
            lead_assignment_cursors::updated_at.eq(time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Creates an assignment rule in a division within `reach`.
pub fn create(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    input: CreateAssignmentRule,
) -> Result<AssignmentRuleResponse> {
    let mut p = Problems::new();
    let division_id = validate::id_ref(&mut p, "division_id", &input.division_id);
    let branch_id = input.branch_id.as_deref().map(|b| validate::id_ref(&mut p, "branch_id", b));
    let who = check_shape(&mut p, input.mode, input.user_id.as_deref(), &input.member_ids);
    p.into_result(())?;
    refs::ensure_division_in_reach(reach, "division_id", &division_id)?;
    refs::ensure_division(conn, "division_id", &division_id)?;
    if let Some(branch) = &branch_id {
        refs::ensure_branch(conn, "branch_id", branch, &division_id)?;
    }
    ensure_people(conn, &division_id, &who)?;
    let now = time::now();
    let row = RuleRow {
        id: ids::new_id(),
        division_id,
        branch_id,
        mode: input.mode.as_str().to_owned(),
        user_id: who.user_id,
        active: input.active.unwrap_or(true),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    ensure_single_active(conn, &row)?;
    diesel::insert_into(lead_assignment_rules::table).values(&row).execute(conn)?;
    store_members(conn, &row.id, &who.member_ids)?;
    let created = one(conn, row)?;
    audit::record(conn, ctx, ENTITY, &created.id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// Changes the mode, people or activity of rule `id` at `version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    version: i64,
    changes: UpdateAssignmentRule,
) -> Result<AssignmentRuleResponse> {
    let row = find_row(conn, reach, id)?;
    let before = one(conn, row.clone())?;
    let mode = changes.mode.unwrap_or(before.mode);
    let user_id = match &changes.user_id {
        Some(v) => v.clone(),
        // Leaving named mode drops the named rep unless the caller keeps it.
        None if mode == AssignmentMode::Named => before.user_id.clone(),
        None => None,
    };
    let members = match &changes.member_ids {
        Some(m) => m.clone(),
        None if mode == AssignmentMode::Named => Vec::new(),
        None => before.member_ids.clone(),
    };
    let mut p = Problems::new();
    let who = check_shape(&mut p, mode, user_id.as_deref(), &members);
    p.into_result(())?;
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    ensure_people(conn, &row.division_id, &who)?;
    let now = time::now();
    let next = RuleRow {
        mode: mode.as_str().to_owned(),
        user_id: who.user_id,
        active: changes.active.unwrap_or(row.active),
        version: version + 1,
        updated_at: now,
        ..row
    };
    ensure_single_active(conn, &next)?;
    let updated = diesel::update(
        lead_assignment_rules::table
            .filter(lead_assignment_rules::id.eq(id))
            .filter(lead_assignment_rules::version.eq(version)),
    )
    .set((
        lead_assignment_rules::mode.eq(&next.mode),
        lead_assignment_rules::user_id.eq(&next.user_id),
        lead_assignment_rules::active.eq(next.active),
        lead_assignment_rules::version.eq(next.version),
        lead_assignment_rules::updated_at.eq(now),
    ))
    .cached()
    .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find_row(conn, reach, id)?.version });
    }
    if who.member_ids != before.member_ids {
        store_members(conn, id, &who.member_ids)?;
    }
    let after = one(conn, next)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    Ok(after)
}

/// Deletes rule `id` (its members and turn go with it); leads it routed
/// keep their owners.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: Option<i64>,
) -> Result<()> {
    let row = find_row(conn, reach, id)?;
    if let Some(v) = expected_version
        && v != row.version
    {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = one(conn, row)?;
    diesel::delete(lead_assignment_cursors::table.filter(lead_assignment_cursors::rule_id.eq(id))).execute(conn)?;
    diesel::delete(lead_assignment_members::table.filter(lead_assignment_members::rule_id.eq(id))).execute(conn)?;
    diesel::delete(lead_assignment_rules::table.filter(lead_assignment_rules::id.eq(id))).execute(conn)?;
    audit::record::<AssignmentRuleResponse>(conn, ctx, ENTITY, id, Action::Deleted, Some(&before), None)?;
    Ok(())
}
