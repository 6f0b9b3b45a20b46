//! Creating, changing, completing and cancelling tasks.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{branches, tasks, users};
use rapport_core::notification::{self, NewNotification};
use rapport_core::principal::Reach;
use rapport_core::{Error, Problems, Result, ids, time, validate};

use super::api::{CancelTask, CompleteTask, CreateTask, TaskResponse, UpdateTask};
use super::related::{self, Related};
use super::rows::TaskRow;
use super::scope::{may_place, reachable};
use crate::kinds::{RelatedType, TaskKind, TaskPriority, TaskStatus};
use crate::reminders;

/// The entity type in the audit log and the change feed.
pub const ENTITY: &str = "task";

/// A contact to record on the timeline when a task is completed: the
/// server turns it into an interaction (this crate knows nothing of them)
/// and returns its id.
#[derive(Debug, Clone)]
pub struct InteractionToLog {
    /// The task's kind (the server picks the channel from it).
    pub kind: TaskKind,
    /// The task's title, as the interaction's subject.
    pub subject: String,
    /// What was said or done.
    pub summary: Option<String>,
    /// The outcome.
    pub outcome: String,
    /// How long it took.
    pub duration_seconds: Option<i64>,
    /// When: the completion.
    pub occurred_at: DateTime<Utc>,
    /// The task's division.
    pub division_id: String,
    /// The customer, when the task has one.
    pub customer_id: Option<String>,
    /// The lead, when the task is about one.
    pub lead_id: Option<String>,
    /// The ticket, when the task is about one.
    pub ticket_id: Option<String>,
}

fn find_row(conn: &mut Conn, reach: &Reach, id: &str) -> Result<TaskRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    reachable(reach).filter(tasks::id.eq(id)).first(conn).optional()?.ok_or(Error::NotFound { entity: ENTITY })
}

fn reload(conn: &mut Conn, id: &str) -> Result<TaskResponse> {
    let row: TaskRow = tasks::table.filter(tasks::id.eq(id)).select(TaskRow::as_select()).first(conn)?;
    row.response(time::now())
}

/// Task `id`, if within `reach`.
pub fn get(conn: &mut Conn, reach: &Reach, id: &str) -> Result<TaskResponse> {
    find_row(conn, reach, id)?.response(time::now())
}

/// `assignee_id` must be an active user who works in `division_id` (or
/// group-wide, without a division).
fn check_assignee(conn: &mut Conn, problems: &mut Problems, assignee_id: &str, division_id: &str) -> Result<()> {
    if !ids::is_valid_id(assignee_id) {
        problems.push("assignee_id", "not_found", format!("user {assignee_id} does not exist"));
        return Ok(());
    }
    let user: Option<(bool, Option<String>)> = users::table
        .filter(users::id.eq(assignee_id))
        .select((users::active, users::division_id))
        .first(conn)
        .optional()?;
    match user {
        None => problems.push("assignee_id", "not_found", format!("user {assignee_id} does not exist")),
        Some((false, _)) => problems.push("assignee_id", "inactive", "the assignee is deactivated"),
        Some((true, Some(d))) if d != division_id => {
            problems.push("assignee_id", "wrong_division", "the assignee works in another division")
        }
        Some(_) => {}
    }
    Ok(())
}

/// `branch_id` must be a branch of `division_id`.
fn check_branch(conn: &mut Conn, problems: &mut Problems, branch_id: &str, division_id: &str) -> Result<()> {
    let division: Option<String> = if ids::is_valid_id(branch_id) {
        branches::table.filter(branches::id.eq(branch_id)).select(branches::division_id).first(conn).optional()?
    } else {
        None
    };
    match division {
        None => problems.push("branch_id", "not_found", format!("branch {branch_id} does not exist")),
        Some(d) if d != division_id => {
            problems.push("branch_id", "wrong_division", "the branch belongs to another division")
        }
        Some(_) => {}
    }
    Ok(())
}

fn check_times(problems: &mut Problems, due_at: DateTime<Utc>, remind_at: Option<DateTime<Utc>>) {
    if remind_at.is_some_and(|r| r > due_at) {
        problems.push("remind_at", "after_due", "remind_at must not be after due_at");
    }
}

/// Tells `assignee_id` a task is theirs, unless they gave it to themselves.
fn notify_assignee(conn: &mut Conn, reach: &Reach, task: &TaskResponse, kind: &'static str) -> Result<()> {
    if task.assignee_id == reach.user_id {
        return Ok(());
    }
    notification::record(
        conn,
        NewNotification {
            user_id: &task.assignee_id,
            kind,
            entity_type: ENTITY,
            entity_id: &task.id,
            payload: serde_json::json!({
                "title": task.title,
                "kind": task.kind,
                "due_at": task.due_at,
                "priority": task.priority,
                "by": (!reach.user_id.is_empty()).then_some(&reach.user_id),
            }),
        },
    )
}

/// Where a new task goes: the related record's division and branch, else
/// those given, else the caller's division.
fn placement(
    problems: &mut Problems,
    reach: &Reach,
    input: &CreateTask,
    related: Option<&Related>,
) -> Option<(String, Option<String>)> {
    let division = match related {
        Some(r) => match (&r.division_id, &input.division_id) {
            (Some(d), Some(given)) if d != given => {
                problems.push("division_id", "wrong_division", "the related record belongs to another division");
                None
            }
            (Some(d), _) => Some(d.clone()),
            (None, Some(given)) if r.customer_divisions.contains(given) => Some(given.clone()),
            (None, Some(_)) => {
                problems.push("division_id", "wrong_division", "the customer does not deal with that division");
                None
            }
            (None, None) => reach.division_id.clone().filter(|d| r.customer_divisions.contains(d)).or_else(|| {
                problems.push(
                    "division_id",
                    "required",
                    "the customer deals with several divisions (or none): name the task's division",
                );
                None
            }),
        },
        None => input.division_id.clone().or_else(|| reach.division_id.clone()).or_else(|| {
            problems.push("division_id", "required", "a task about no record needs a division");
            None
        }),
    }?;
    let branch = input.branch_id.clone().or_else(|| related.and_then(|r| r.branch_id.clone()));
    Some((division, branch))
}

/// The automation rule and run that create a task.
#[derive(Debug, Clone, Copy)]
pub struct RuleOrigin<'a> {
    /// The rule.
    pub rule_id: &'a str,
    /// Its run.
    pub run_id: &'a str,
}

/// Creates a task within `reach` (the caller's reach over tasks).
pub fn create(conn: &mut Conn, ctx: &WriteContext, reach: &Reach, input: CreateTask) -> Result<TaskResponse> {
    insert(conn, ctx, reach, input, None)
}

/// Creates a task on behalf of an automation rule: with the system's
/// reach, and no creating person.
pub fn create_by_rule(
    conn: &mut Conn,
    ctx: &WriteContext,
    input: CreateTask,
    origin: RuleOrigin<'_>,
) -> Result<TaskResponse> {
    insert(conn, ctx, &Reach::everything(), input, Some(origin))
}

fn insert(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    input: CreateTask,
    origin: Option<RuleOrigin<'_>>,
) -> Result<TaskResponse> {
    let mut problems = Problems::new();
    let title = validate::required_text(&mut problems, "title", &input.title, 200);
    let notes = validate::optional_text(&mut problems, "notes", input.notes.as_deref(), 5000);
    check_times(&mut problems, input.due_at, input.remind_at);
    let related = match (input.related_type, input.related_id.as_deref()) {
        (Some(kind), Some(id)) => match related::lookup(conn, kind, id) {
            Ok(found) => Some((kind, id.to_owned(), found)),
            Err(Error::Validation(errors)) => {
                for e in errors {
                    problems.push(&e.field, &e.code, e.message);
                }
                None
            }
            Err(e) => return Err(e),
        },
        (None, None) => None,
        (Some(_), None) => {
            problems.push("related_id", "required", "related_type needs related_id");
            None
        }
        (None, Some(_)) => {
            problems.push("related_type", "required", "related_id needs related_type");
            None
        }
    };
    let placed = placement(&mut problems, reach, &input, related.as_ref().map(|(_, _, r)| r));
    if let Some((division, branch)) = &placed {
        if let Some(branch) = branch {
            check_branch(conn, &mut problems, branch, division)?;
        }
        if !may_place(reach, division, branch.as_deref()) {
            problems.push("division_id", "out_of_scope", "you may not create tasks in that division or branch");
        }
    }
    let assignee = input.assignee_id.clone().unwrap_or_else(|| reach.user_id.clone());
    if let Some((division, _)) = &placed {
        check_assignee(conn, &mut problems, &assignee, division)?;
    }
    let Some((division_id, branch_id)) = problems.into_result(placed)? else {
        return Err(Error::Internal("a task without a division passed validation".into()));
    };
    let now = time::now();
    let (related_type, related_id, customer_id) = match related {
        Some((kind, id, found)) => (Some(kind.as_str().to_owned()), Some(id), found.customer_id),
        None => (None, None, None),
    };
    let row = TaskRow {
        id: ids::new_id(),
        title,
        kind: input.kind.as_str().to_owned(),
        priority: input.priority.unwrap_or(TaskPriority::Normal).as_str().to_owned(),
        status: TaskStatus::Open.as_str().to_owned(),
        related_type,
        related_id,
        customer_id,
        division_id,
        branch_id,
        assignee_id: assignee,
        due_at: time::stored(input.due_at),
        remind_at: input.remind_at.map(time::stored),
        notes,
        outcome: None,
        created_by: (!reach.user_id.is_empty()).then(|| reach.user_id.clone()),
        rule_id: origin.map(|o| o.rule_id.to_owned()),
        rule_run_id: origin.map(|o| o.run_id.to_owned()),
        completed_at: None,
        completed_by: None,
        interaction_id: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(tasks::table).values(&row).execute(conn)?;
    if let Some(remind_at) = row.remind_at {
        reminders::schedule(conn, &row.id, remind_at)?;
    }
    let created = row.response(now)?;
    audit::record(conn, ctx, ENTITY, &created.id, Action::Created, None, Some(&created))?;
    notify_assignee(conn, reach, &created, "task_assigned")?;
    Ok(created)
}

/// Changes an open task; a new assignee is told.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    version: i64,
    changes: UpdateTask,
) -> Result<TaskResponse> {
    let row = find_row(conn, reach, id)?;
    let mut problems = Problems::new();
    let title = changes.title.as_deref().map(|t| validate::required_text(&mut problems, "title", t, 200));
    let notes = match &changes.notes {
        Some(n) => validate::optional_text(&mut problems, "notes", n.as_deref(), 5000),
        None => row.notes.clone(),
    };
    let due_at = changes.due_at.map_or(row.due_at, time::stored);
    let remind_at = match changes.remind_at {
        Some(r) => r.map(time::stored),
        None => row.remind_at,
    };
    check_times(&mut problems, time::utc(due_at), remind_at.map(time::utc));
    if let Some(assignee) = &changes.assignee_id {
        check_assignee(conn, &mut problems, assignee, &row.division_id)?;
    }
    problems.into_result(())?;
    finishable(&row, version)?;
    let before = row.clone().response(time::now())?;
    let reassigned = changes.assignee_id.as_ref().is_some_and(|a| *a != row.assignee_id);
    let row_remind_at = row.remind_at;
    let now = time::now();
    let changed = diesel::update(tasks::table.filter(tasks::id.eq(id)).filter(tasks::version.eq(version)))
        .set((
            tasks::title.eq(title.unwrap_or(row.title)),
            tasks::kind.eq(changes.kind.map_or(row.kind, |k| k.as_str().to_owned())),
            tasks::priority.eq(changes.priority.map_or(row.priority, |p| p.as_str().to_owned())),
            tasks::assignee_id.eq(changes.assignee_id.unwrap_or(row.assignee_id)),
            tasks::due_at.eq(due_at),
            tasks::remind_at.eq(remind_at),
            tasks::notes.eq(notes),
            tasks::version.eq(version + 1),
            tasks::updated_at.eq(now),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Err(Error::StaleVersion { current: row.version + 1 });
    }
    if let Some(remind_at) = remind_at.filter(|r| Some(*r) != row_remind_at) {
        reminders::schedule(conn, id, remind_at)?;
    }
    let after = reload(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    if reassigned {
        notify_assignee(conn, reach, &after, "task_reassigned")?;
    }
    Ok(after)
}

/// Completes an open task with an outcome. When it was a contact about a
/// record (and the caller did not opt out), `log` records the contact on
/// the timeline and returns the interaction's id, kept on the task.
pub fn complete(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    version: i64,
    input: CompleteTask,
    log: impl FnOnce(&mut Conn, InteractionToLog) -> Result<String>,
) -> Result<TaskResponse> {
    let row = find_row(conn, reach, id)?;
    let mut problems = Problems::new();
    let outcome = validate::required_text(&mut problems, "outcome", &input.outcome, 100);
    let notes = validate::optional_text(&mut problems, "notes", input.notes.as_deref(), 10_000);
    if input.duration_seconds.is_some_and(|d| !(0..=86_400).contains(&d)) {
        problems.push("duration_seconds", "out_of_range", "duration_seconds must be between 0 and 86400");
    }
    problems.into_result(())?;
    finishable(&row, version)?;
    let kind = TaskKind::parse(&row.kind).ok_or_else(|| Error::Internal(format!("task {id} has an unknown kind")))?;
    let related = row.related_type.as_deref().and_then(RelatedType::parse);
    let now = time::now();
    let interaction_id = if input.log_interaction.unwrap_or(true) && kind.is_contact() && related.is_some() {
        let related_id = row.related_id.clone();
        let plan = InteractionToLog {
            kind,
            subject: row.title.clone(),
            summary: notes,
            outcome: outcome.clone(),
            duration_seconds: input.duration_seconds,
            occurred_at: time::utc(now),
            division_id: row.division_id.clone(),
            customer_id: row.customer_id.clone(),
            lead_id: related_id.clone().filter(|_| related == Some(RelatedType::Lead)),
            ticket_id: related_id.filter(|_| related == Some(RelatedType::Ticket)),
        };
        Some(log(conn, plan)?)
    } else {
        None
    };
    finish(conn, ctx, reach, row, TaskStatus::Done, Some(outcome), interaction_id)
}

/// Cancels an open task.
pub fn cancel(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    version: i64,
    input: CancelTask,
) -> Result<TaskResponse> {
    let row = find_row(conn, reach, id)?;
    let mut problems = Problems::new();
    let reason = validate::optional_text(&mut problems, "reason", input.reason.as_deref(), 500);
    problems.into_result(())?;
    finishable(&row, version)?;
    finish(conn, ctx, reach, row, TaskStatus::Cancelled, reason, None)
}

/// A task changes only while open, and only at the version the caller saw.
fn finishable(row: &TaskRow, version: i64) -> Result<()> {
    if row.status != TaskStatus::Open.as_str() {
        return Err(Error::Conflict {
            code: "not_open",
            message: format!("the task is {}; only open tasks change", row.status),
        });
    }
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    Ok(())
}

fn finish(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    row: TaskRow,
    status: TaskStatus,
    outcome: Option<String>,
    interaction_id: Option<String>,
) -> Result<TaskResponse> {
    let now = time::now();
    let before = row.clone().response(now)?;
    let changed = diesel::update(
        tasks::table
            .filter(tasks::id.eq(&row.id))
            .filter(tasks::version.eq(row.version))
            .filter(tasks::status.eq(TaskStatus::Open.as_str())),
    )
    .set((
        tasks::status.eq(status.as_str()),
        tasks::outcome.eq(outcome),
        tasks::completed_at.eq(Some(now)),
        tasks::completed_by.eq((!reach.user_id.is_empty()).then(|| reach.user_id.clone())),
        tasks::interaction_id.eq(interaction_id),
        tasks::version.eq(row.version + 1),
        tasks::updated_at.eq(now),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(Error::StaleVersion { current: row.version + 1 });
    }
    let after = reload(conn, &row.id)?;
    audit::record(conn, ctx, ENTITY, &row.id, Action::Updated, Some(&before), Some(&after))?;
    Ok(after)
}
