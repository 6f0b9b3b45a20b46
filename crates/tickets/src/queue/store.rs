//! Queues per division with their members. Admins edit every queue,
//! managers their division's.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::{ticket_queue_cursors, ticket_queue_members, ticket_queues, users};
use rapport_core::db::{Conn, lower};
use rapport_core::principal::{Reach, Scope};
use rapport_core::removal::apply_archive_flag;
use rapport_core::{Error, FieldError, Problems, Result, ids, time, validate};
use rapport_customers::refs;

use super::api::{Assignment, CreateQueue, Member, MemberRole, QueueListQuery, QueueResponse, UpdateQueue};

pub(crate) const ENTITY: &str = "ticket_queue";
const MAX_MEMBERS: usize = 200;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ticket_queues)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct QueueRow {
    pub id: String,
    pub division_id: String,
    pub name: String,
    pub assignment: String,
    pub archived_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The queue row `id`; a division scope sees only its division's.
pub(crate) fn find_row(conn: &mut Conn, reach: &Reach, id: &str) -> Result<QueueRow> {
    let not_found = || Error::NotFound { entity: ENTITY };
    if !ids::is_valid_id(id) {
        return Err(not_found());
    }
    let row: QueueRow = ticket_queues::table
        .filter(ticket_queues::id.eq(id))
        .select(QueueRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or_else(not_found)?;
    if reach.scope != Scope::All && row.division_id != reach.own_division() {
        return Err(not_found());
    }
    Ok(row)
}

/// The members of each of `queue_ids`, in turn order, in one query.
fn members(conn: &mut Conn, queue_ids: &[&str]) -> Result<HashMap<String, Vec<Member>>> {
    let rows: Vec<(String, String, String, bool)> = ticket_queue_members::table
        .filter(ticket_queue_members::queue_id.eq_any(queue_ids))
        .order((ticket_queue_members::queue_id, ticket_queue_members::position))
        .select((
            ticket_queue_members::queue_id,
            ticket_queue_members::user_id,
            ticket_queue_members::role,
            ticket_queue_members::active,
        ))
        .load(conn)?;
    let mut by_queue: HashMap<String, Vec<Member>> = HashMap::new();
    for (queue, user_id, role, active) in rows {
        let role = if role == "manager" { MemberRole::Manager } else { MemberRole::Agent };
        by_queue.entry(queue).or_default().push(Member { user_id, role, active });
    }
    Ok(by_queue)
}

/// Queue rows as the API shows them, members read in one query.
fn responses(conn: &mut Conn, rows: Vec<QueueRow>) -> Result<Vec<QueueResponse>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut members = members(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let of_row = members.remove(&row.id).unwrap_or_default();
            response(row, of_row)
        })
        .collect()
}

fn response(row: QueueRow, members: Vec<Member>) -> Result<QueueResponse> {
    Ok(QueueResponse {
        assignment: Assignment::parse(&row.assignment)
            .ok_or_else(|| Error::Internal(format!("stored assignment {}", row.assignment)))?,
        members,
        id: row.id,
        division_id: row.division_id,
        name: row.name,
        archived_at: row.archived_at.map(time::utc),
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}

/// One queue row as the API shows it.
fn one(conn: &mut Conn, row: QueueRow) -> Result<QueueResponse> {
    responses(conn, vec![row])?.pop().ok_or_else(|| Error::Internal("queue vanished".to_owned()))
}

/// The queues within `reach` (a short list per division, not paginated).
pub fn list(conn: &mut Conn, reach: &Reach, query: &QueueListQuery) -> Result<Vec<QueueResponse>> {
    let mut q = ticket_queues::table.select(QueueRow::as_select()).into_boxed();
    if reach.scope != Scope::All {
        q = q.filter(ticket_queues::division_id.eq(reach.own_division().to_owned()));
    }
    if let Some(d) = &query.division_id {
        q = q.filter(ticket_queues::division_id.eq(d.clone()));
    }
    let rows: Vec<QueueRow> =
        q.order((ticket_queues::division_id, ticket_queues::name, ticket_queues::id)).limit(1000).load(conn)?;
    responses(conn, rows)
}

/// The queue `id` within `reach`.
pub fn get(conn: &mut Conn, reach: &Reach, id: &str) -> Result<QueueResponse> {
    let row = find_row(conn, reach, id)?;
    one(conn, row)
}

/// Members are distinct active users of `division_id`.
fn check_members(conn: &mut Conn, division_id: &str, members: &[Member]) -> Result<()> {
    let mut p = Problems::new();
    if members.len() > MAX_MEMBERS {
        p.push("members", "out_of_range", format!("at most {MAX_MEMBERS} members"));
    }
    for (i, m) in members.iter().enumerate() {
        let field = format!("members[{i}].user_id");
        if !ids::is_valid_id(&m.user_id) {
            p.push(field, "invalid_id", "not a valid id");
            continue;
        }
        if members[..i].iter().any(|o| o.user_id == m.user_id) {
            p.push(field, "duplicate", format!("user {} is listed twice", m.user_id));
            continue;
        }
        let found: Option<(bool, Option<String>)> = users::table
            .filter(users::id.eq(&m.user_id))
            .select((users::active, users::division_id))
            .first(conn)
            .optional()?;
        match found {
            None => p.push(field, "not_found", format!("user {} does not exist", m.user_id)),
            Some((false, _)) => p.push(field, "inactive", format!("user {} is deactivated", m.user_id)),
            Some((true, d)) if d.as_deref() != Some(division_id) => {
                p.push(field, "wrong_division", format!("user {} does not work in the queue's division", m.user_id))
            }
            Some(_) => {}
        }
    }
    p.into_result(())
}

/// Replaces the members and restarts the turn.
fn store_members(conn: &mut Conn, queue_id: &str, members: &[Member]) -> Result<()> {
    diesel::delete(ticket_queue_members::table.filter(ticket_queue_members::queue_id.eq(queue_id))).execute(conn)?;
    // One statement per member: multi-row inserts don't build for both backends at once.
    for (m, position) in members.iter().zip(0..) {
        diesel::insert_into(ticket_queue_members::table)
            .values((
                ticket_queue_members::queue_id.eq(queue_id),
                ticket_queue_members::user_id.eq(&m.user_id),
                ticket_queue_members::position.eq(position),
                ticket_queue_members::role.eq(match m.role {
                    MemberRole::Agent => "agent",
                    MemberRole::Manager => "manager",
                }),
                ticket_queue_members::active.eq(m.active),
            ))
            .execute(conn)?;
    }
    diesel::delete(ticket_queue_cursors::table.filter(ticket_queue_cursors::queue_id.eq(queue_id))).execute(conn)?;
    diesel::insert_into(ticket_queue_cursors::table)
        .values((
            ticket_queue_cursors::queue_id.eq(queue_id),
            ticket_queue_cursors::last_position.eq(-1),
            ticket_queue_cursors::updated_at.eq(time::now()),
        ))
        .execute(conn)?;
    Ok(())
}

fn ensure_name_free(conn: &mut Conn, division_id: &str, name: &str, except: Option<&str>) -> Result<()> {
    let holder: Option<String> = ticket_queues::table
        .filter(ticket_queues::division_id.eq(division_id))
        .filter(lower(ticket_queues::name).eq(name.to_lowercase()))
        .select(ticket_queues::id)
        .first(conn)
        .optional()?;
    match holder {
        Some(h) if Some(h.as_str()) != except => Err(Error::Duplicate(vec![FieldError::new(
            "name",
            "duplicate",
            format!("the division has a queue named {name}"),
        )])),
        _ => Ok(()),
    }
}

/// Creates a queue in a division within `reach`.
pub fn create(conn: &mut Conn, ctx: &WriteContext, reach: &Reach, input: CreateQueue) -> Result<QueueResponse> {
    let mut p = Problems::new();
    let division_id = validate::id_ref(&mut p, "division_id", &input.division_id);
    let name = validate::required_text(&mut p, "name", &input.name, 100);
    p.into_result(())?;
    refs::ensure_division_in_reach(reach, "division_id", &division_id)?;
    refs::ensure_division(conn, "division_id", &division_id)?;
    check_members(conn, &division_id, &input.members)?;
    ensure_name_free(conn, &division_id, &name, None)?;
    let now = time::now();
    let row = QueueRow {
        id: ids::new_id(),
        division_id,
        name,
        assignment: input.assignment.as_str().to_owned(),
        archived_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(ticket_queues::table).values(&row).execute(conn)?;
    store_members(conn, &row.id, &input.members)?;
    let created = one(conn, row)?;
    audit::record(conn, ctx, ENTITY, &created.id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// Renames, re-modes, re-staffs, archives or restores queue `id` at `version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    version: i64,
    changes: UpdateQueue,
) -> Result<QueueResponse> {
    let row = find_row(conn, reach, id)?;
    let mut p = Problems::new();
    let name = changes.name.as_deref().map(|n| validate::required_text(&mut p, "name", n, 100));
    p.into_result(())?;
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    if let Some(members) = &changes.members {
        check_members(conn, &row.division_id, members)?;
    }
    if let Some(name) = &name {
        ensure_name_free(conn, &row.division_id, name, Some(id))?;
    }
    let before = one(conn, row.clone())?;
    let now = time::now();
    let (archived_at, action) = apply_archive_flag(row.archived_at, changes.archived, now);
    let updated = diesel::update(
        ticket_queues::table.filter(ticket_queues::id.eq(id)).filter(ticket_queues::version.eq(version)),
    )
    .set((
        ticket_queues::name.eq(name.unwrap_or(row.name)),
        ticket_queues::assignment.eq(changes.assignment.map_or(row.assignment, |a| a.as_str().to_owned())),
        ticket_queues::archived_at.eq(archived_at),
        ticket_queues::version.eq(version + 1),
        ticket_queues::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find_row(conn, reach, id)?.version });
    }
    if let Some(members) = &changes.members {
        store_members(conn, id, members)?;
    }
    let after = get(conn, reach, id)?;
    audit::record(conn, ctx, ENTITY, id, action, Some(&before), Some(&after))?;
    Ok(after)
}
