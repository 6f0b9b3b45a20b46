//! Listing tasks: mine, my team's, overdue; filters and keyset pages.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::tasks;
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::principal::Reach;
use rapport_core::time::day_bounds;
use rapport_core::{Error, FieldError, Result, time};

use super::api::{DueState, TaskListQuery, TaskResponse, TaskSort};
use super::rows::TaskRow;
use super::scope::{BoxedTasks, reachable};
use crate::kinds::TaskStatus;

/// One page of tasks within `reach`; `due` days are counted in `tz`.
pub fn list(
    conn: &mut Conn,
    reach: &Reach,
    query: &TaskListQuery,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Page<TaskResponse>> {
    let page = PageRequest::<TaskSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let q = filtered(reachable(reach), reach, query, tz, now)?;
    let after = page.after_instant()?;
    let direction = page.sort.direction;
    let q = match page.sort.key {
        TaskSort::DueAt => rapport_core::keyset!(q, tasks::due_at, tasks::id, direction, after),
        TaskSort::CreatedAt => rapport_core::keyset!(q, tasks::created_at, tasks::id, direction, after),
        TaskSort::UpdatedAt => rapport_core::keyset!(q, tasks::updated_at, tasks::id, direction, after),
    };
    let rows = q.limit(page.fetch_limit()).load::<TaskRow>(conn)?;
    let sort = page.sort.key;
    let page = page.finish(rows, |row| {
        let value = match sort {
            TaskSort::DueAt => row.due_at,
            TaskSort::CreatedAt => row.created_at,
            TaskSort::UpdatedAt => row.updated_at,
        };
        (instant_value(value), row.id.clone())
    });
    let stored_now = time::stored(now);
    let items = page.items.into_iter().map(|row| row.response(stored_now)).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

fn bad(field: &str, code: &str, message: String) -> Error {
    Error::InvalidQuery(vec![FieldError::new(field, code, message)])
}

fn filtered<'a>(
    mut q: BoxedTasks<'a>,
    reach: &Reach,
    query: &TaskListQuery,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<BoxedTasks<'a>> {
    let me = |raw: &str| if raw.trim() == "me" { reach.user_id.clone() } else { raw.trim().to_owned() };
    if let Some(v) = query.assignee.as_deref() {
        q = q.filter(tasks::assignee_id.eq(me(v)));
    }
    if let Some(v) = query.created_by.as_deref() {
        q = q.filter(tasks::created_by.eq(me(v)));
    }
    if let Some(raw) = query.status.as_deref() {
        let mut statuses = Vec::new();
        for part in raw.split(',').map(str::trim) {
            let status = TaskStatus::parse(part).ok_or_else(|| {
                bad("status", "unknown_value", format!("unknown status {part}; use open, done, cancelled"))
            })?;
            statuses.push(status.as_str());
        }
        q = q.filter(tasks::status.eq_any(statuses));
    }
    if let Some(v) = query.kind {
        q = q.filter(tasks::kind.eq(v.as_str()));
    }
    if let Some(v) = query.priority {
        q = q.filter(tasks::priority.eq(v.as_str()));
    }
    if let Some(state) = query.due {
        let (start, end) = day_bounds(tz, now);
        q = q.filter(tasks::status.eq(TaskStatus::Open.as_str()));
        q = match state {
            DueState::Overdue => q.filter(tasks::due_at.lt(time::stored(now))),
            DueState::DueToday => q.filter(tasks::due_at.ge(start)).filter(tasks::due_at.lt(end)),
            DueState::Upcoming => q.filter(tasks::due_at.ge(end)),
        };
    }
    if let (Some(from), Some(to)) = (query.due_from, query.due_to)
        && from > to
    {
        return Err(bad("due_to", "invalid_range", "due_to must not be before due_from".into()));
    }
    if let Some(v) = query.due_from {
        q = q.filter(tasks::due_at.ge(time::stored(v)));
    }
    if let Some(v) = query.due_to {
        q = q.filter(tasks::due_at.lt(time::stored(v)));
    }
    match (query.related_type, &query.related_id) {
        (Some(kind), Some(id)) => {
            q = q.filter(tasks::related_type.eq(kind.as_str())).filter(tasks::related_id.eq(id.clone()));
        }
        (Some(kind), None) => q = q.filter(tasks::related_type.eq(kind.as_str())),
        (None, Some(_)) => return Err(bad("related_type", "required", "related_id needs related_type".into())),
        (None, None) => {}
    }
    if let Some(v) = &query.customer_id {
        q = q.filter(tasks::customer_id.eq(v.clone()));
    }
    if let Some(v) = &query.division_id {
        q = q.filter(tasks::division_id.eq(v.clone()));
    }
    if let Some(v) = &query.branch_id {
        q = q.filter(tasks::branch_id.eq(v.clone()));
    }
    match query.from_rule {
        Some(true) => q = q.filter(tasks::rule_id.is_not_null()),
        Some(false) => q = q.filter(tasks::rule_id.is_null()),
        None => {}
    }
    if let Some(v) = query.updated_since {
        q = q.filter(tasks::updated_at.ge(time::stored(v)));
    }
    Ok(q)
}
