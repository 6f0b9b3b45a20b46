//! Running a rule for one occurrence: a job (`automation_run`) per (rule,
//! occurrence), enqueued by the dispatcher or the scan and run by the
//! server's job runner. The run's record and everything its actions write
//! commit with the job's completion; the unique (rule, occurrence) key of
//! the record, and the job's dedupe key, make a second firing impossible.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use rapport_core::audit::WriteContext;
use rapport_core::db::Conn;
use rapport_core::db::schema::{automation_rules, automation_runs, tasks, users};
use rapport_core::jobs::{self, NewJob};
use rapport_core::notification::{self, NewNotification};
use rapport_core::{Error, Result, ids, time};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::action::{Assignee, RuleAction};
use super::messages;
use super::rule::{Rule, RuleRow};
use super::subject::{self, Subject};
use super::trigger::SubjectType;
use crate::kinds::TaskStatus;
use crate::task::api::CreateTask;
use crate::task::store::{self as task_store, RuleOrigin};

/// The job kind.
pub const JOB_KIND: &str = "automation_run";

/// One occurrence of a rule's trigger: the job's input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Occurrence {
    pub rule_id: String,
    /// Names the occurrence, unique per rule (e.g. `event:<id>`).
    pub occurrence: String,
    pub subject_type: Option<SubjectType>,
    pub subject_id: Option<String>,
    pub occurred_at: NaiveDateTime,
}

/// Queues the run of `rule` for `occurrence`, after the rule's delay;
/// returns false when it was queued before.
pub(crate) fn enqueue(conn: &mut Conn, rule: &Rule, occurrence: Occurrence) -> Result<bool> {
    let run_at = occurrence.occurred_at + TimeDelta::minutes(rule.delay_minutes);
    let dedupe_key = format!("{JOB_KIND}:{}:{}", rule.id, occurrence.occurrence);
    let payload = serde_json::to_value(&occurrence).map_err(|e| Error::Internal(e.to_string()))?;
    let queued = jobs::enqueue(
        conn,
        NewJob {
            kind: JOB_KIND,
            payload,
            run_at,
            dedupe_key: Some(dedupe_key),
            max_attempts: jobs::DEFAULT_MAX_ATTEMPTS,
        },
    )?;
    Ok(queued.is_some())
}

/// What the rules engine asks of the other domains (the server provides it).
pub trait Effects {
    /// Gives lead or ticket `subject` to `user_id`, audited as the system.
    fn change_owner(&self, conn: &mut Conn, subject: &Subject, user_id: &str) -> Result<()>;
    /// Adds `tag` to customer `customer_id`; false when it had it already.
    fn add_tag(&self, conn: &mut Conn, customer_id: &str, tag: &str) -> Result<bool>;
}

/// What one action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActionResult {
    /// The action's `type`.
    #[serde(rename = "type")]
    pub action: String,
    /// `done` or `skipped`.
    pub status: String,
    /// Why it was skipped, or what it did in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The user it picked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The task it created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// The customer message it queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

impl ActionResult {
    fn done(action: &RuleAction) -> Self {
        ActionResult {
            action: action.name().to_owned(),
            status: "done".to_owned(),
            detail: None,
            user_id: None,
            task_id: None,
            message_id: None,
        }
    }

    fn skipped(action: &RuleAction, why: impl Into<String>) -> Self {
        ActionResult { status: "skipped".to_owned(), detail: Some(why.into()), ..Self::done(action) }
    }
}

/// Runs one `automation_run` job; returns the run's id, or `None` when the
/// rule is off or gone, or this occurrence has run already.
pub fn run(conn: &mut Conn, effects: &dyn Effects, payload: &serde_json::Value) -> Result<Option<String>> {
    let occurrence: Occurrence = serde_json::from_value(payload.clone())
        .map_err(|e| Error::Internal(format!("an {JOB_KIND} job has a bad payload: {e}")))?;
    let row: Option<RuleRow> = automation_rules::table
        .filter(automation_rules::id.eq(&occurrence.rule_id))
        .select(RuleRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row.filter(|r| r.enabled && r.archived_at.is_none()) else { return Ok(None) };
    let rule = row.parse()?;
    let ran: i64 = automation_runs::table
        .filter(automation_runs::rule_id.eq(&rule.id))
        .filter(automation_runs::occurrence.eq(&occurrence.occurrence))
        .count()
        .get_result(conn)?;
    if ran > 0 {
        return Ok(None);
    }
    let subject = match (occurrence.subject_type, &occurrence.subject_id) {
        (Some(kind), Some(id)) => Some(subject::load(conn, kind, id)?),
        _ => None,
    };
    let run_id = ids::new_id();
    let now = time::now();
    diesel::insert_into(automation_runs::table)
        .values((
            automation_runs::id.eq(&run_id),
            automation_runs::rule_id.eq(&rule.id),
            automation_runs::trigger_kind.eq(rule.trigger.as_str()),
            automation_runs::occurrence.eq(&occurrence.occurrence),
            automation_runs::subject_type.eq(occurrence.subject_type.map(|s| s.as_str())),
            automation_runs::subject_id.eq(&occurrence.subject_id),
            automation_runs::occurred_at.eq(occurrence.occurred_at),
            automation_runs::ran_at.eq(now),
            automation_runs::results.eq("[]"),
        ))
        .execute(conn)?;
    let results = match subject {
        Some(None) => vec![ActionResult {
            action: "none".to_owned(),
            status: "skipped".to_owned(),
            detail: Some("the record no longer exists".to_owned()),
            user_id: None,
            task_id: None,
            message_id: None,
        }],
        Some(Some(subject)) => act_all(conn, effects, &rule, &run_id, Some(&subject), None)?,
        None => act_all(conn, effects, &rule, &run_id, None, rule.params.division_id.clone())?,
    };
    let results = serde_json::to_string(&results).map_err(|e| Error::Internal(e.to_string()))?;
    diesel::update(automation_runs::table.filter(automation_runs::id.eq(&run_id)))
        .set(automation_runs::results.eq(results))
        .execute(conn)?;
    Ok(Some(run_id))
}

fn act_all(
    conn: &mut Conn,
    effects: &dyn Effects,
    rule: &Rule,
    run_id: &str,
    subject: Option<&Subject>,
    division: Option<String>,
) -> Result<Vec<ActionResult>> {
    let division = subject.map(|s| s.division_id.clone()).or(division);
    // A change of owner is seen by the actions after it.
    let mut subject = subject.cloned();
    let mut results = Vec::with_capacity(rule.actions.len());
    for action in &rule.actions {
        let place = Place { rule, run_id, subject: subject.as_ref(), division: division.as_deref() };
        // A savepoint each: an action refused half-way leaves nothing behind,
        // and the others still run.
        let outcome = conn.transaction(|conn| act(conn, effects, &place, action));
        let result = match outcome {
            Ok(result) => result,
            Err(Error::Validation(errors)) => {
                let why = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
                ActionResult::skipped(action, why)
            }
            Err(Error::NotFound { entity }) => ActionResult::skipped(action, format!("the {entity} was not found")),
            Err(Error::Conflict { message, .. }) => ActionResult::skipped(action, message),
            Err(other) => return Err(other),
        };
        if let (RuleAction::ChangeOwner { .. }, Some(s), "done") = (action, subject.as_mut(), result.status.as_str()) {
            s.owner_id = result.user_id.clone();
        }
        results.push(result);
    }
    Ok(results)
}

struct Place<'a> {
    rule: &'a Rule,
    run_id: &'a str,
    subject: Option<&'a Subject>,
    division: Option<&'a str>,
}

fn act(conn: &mut Conn, effects: &dyn Effects, place: &Place<'_>, action: &RuleAction) -> Result<ActionResult> {
    let ctx = WriteContext::system();
    match action {
        RuleAction::CreateTask { title, kind, priority, assign_to, due_in_minutes, remind_before_minutes, notes } => {
            let Some(user) = resolve(conn, assign_to, place)? else {
                return Ok(ActionResult::skipped(action, "nobody to assign it to"));
            };
            let due_at = time::utc(time::now()) + TimeDelta::minutes(*due_in_minutes);
            let remind_at = remind_before_minutes.map(|m| due_at - TimeDelta::minutes(m));
            let (related_type, related_id) = match place.subject.and_then(|s| s.related.clone()) {
                Some((t, id)) => (Some(t), Some(id)),
                None => (None, None),
            };
            let input = CreateTask {
                title: title.clone(),
                kind: *kind,
                priority: *priority,
                related_type,
                related_id,
                division_id: place.division.map(str::to_owned),
                branch_id: None,
                assignee_id: Some(user.clone()),
                due_at,
                remind_at,
                notes: notes.clone(),
            };
            let origin = RuleOrigin { rule_id: &place.rule.id, run_id: place.run_id };
            let task = task_store::create_by_rule(conn, &ctx, input, origin)?;
            Ok(ActionResult { user_id: Some(user), task_id: Some(task.id), ..ActionResult::done(action) })
        }
        RuleAction::Notify { to, message } => {
            let Some(user) = resolve(conn, to, place)? else {
                return Ok(ActionResult::skipped(action, "nobody to notify"));
            };
            let (entity_type, entity_id) = match place.subject {
                Some(s) => (s.kind.as_str(), s.id.as_str()),
                None => (super::rule::ENTITY, place.rule.id.as_str()),
            };
            notification::record(
                conn,
                NewNotification {
                    user_id: &user,
                    kind: "automation",
                    entity_type,
                    entity_id,
                    payload: serde_json::json!({
                        "title": message,
                        "about": place.subject.map(|s| s.label.clone()),
                        "rule_id": place.rule.id,
                        "run_id": place.run_id,
                    }),
                },
            )?;
            Ok(ActionResult { user_id: Some(user), ..ActionResult::done(action) })
        }
        RuleAction::NotifyCustomer { message, purpose } => {
            let Some(customer) = place.subject.and_then(|s| s.customer_id.as_deref()) else {
                return Ok(ActionResult::skipped(action, "the record has no customer"));
            };
            match messages::queue(conn, customer, *purpose, message, place.run_id)? {
                messages::Queued::Sent(id) => Ok(ActionResult { message_id: Some(id), ..ActionResult::done(action) }),
                messages::Queued::NoConsent => Ok(ActionResult::skipped(
                    action,
                    format!("the customer gave no consent for {} messages on a channel we can reach", purpose.as_str()),
                )),
            }
        }
        RuleAction::ChangeOwner { to } => {
            let Some(subject) = place.subject else { return Ok(ActionResult::skipped(action, "no record")) };
            let Some(user) = resolve(conn, to, place)? else {
                return Ok(ActionResult::skipped(action, "nobody to give it to"));
            };
            if subject.owner_id.as_deref() == Some(user.as_str()) {
                return Ok(ActionResult {
                    user_id: Some(user),
                    detail: Some("already theirs".into()),
                    ..ActionResult::done(action)
                });
            }
            effects.change_owner(conn, subject, &user)?;
            Ok(ActionResult { user_id: Some(user), ..ActionResult::done(action) })
        }
        RuleAction::SendWebhook { subscription_id } => {
            let data = serde_json::json!({
                "rule_id": place.rule.id,
                "run_id": place.run_id,
                "trigger": place.rule.trigger,
                "subject_type": place.subject.map(|s| s.kind),
                "subject_id": place.subject.map(|s| &s.id),
            });
            let event_type = format!("automation.{}", place.rule.trigger.as_str());
            let delivery = crate::webhooks::send(conn, subscription_id, &event_type, place.run_id, &data)?;
            Ok(ActionResult { detail: Some(format!("webhook delivery {delivery}")), ..ActionResult::done(action) })
        }
        RuleAction::AddTag { tag } => {
            let Some(customer) = place.subject.and_then(|s| s.customer_id.as_deref()) else {
                return Ok(ActionResult::skipped(action, "the record has no customer"));
            };
            let added = effects.add_tag(conn, customer, tag.trim())?;
            let detail = (!added).then(|| "the customer had the tag already".to_owned());
            Ok(ActionResult { detail, ..ActionResult::done(action) })
        }
    }
}

/// Whom `who` names for this run, if anyone active.
fn resolve(conn: &mut Conn, who: &Assignee, place: &Place<'_>) -> Result<Option<String>> {
    let branch = place.subject.and_then(|s| s.branch_id.as_deref());
    match who {
        Assignee::User { user_id } => active(conn, user_id),
        Assignee::Owner => match place.subject.and_then(|s| s.owner_id.as_deref()) {
            Some(owner) if active(conn, owner)?.is_some() => Ok(Some(owner.to_owned())),
            _ => pick(conn, "manager", place.division, branch),
        },
        Assignee::Manager => pick(conn, "manager", place.division, branch),
        Assignee::Role { role } => pick(conn, role, place.division, branch),
    }
}

fn active(conn: &mut Conn, user_id: &str) -> Result<Option<String>> {
    Ok(users::table
        .filter(users::id.eq(user_id))
        .filter(users::active.eq(true))
        .select(users::id)
        .first(conn)
        .optional()?)
}

/// The active user with `role` in `division` (its `branch` first) who has
/// the fewest open tasks; ties go to the lower id, so the pick is stable.
fn pick(conn: &mut Conn, role: &str, division: Option<&str>, branch: Option<&str>) -> Result<Option<String>> {
    let Some(division) = division else { return Ok(None) };
    let candidates: Vec<(String, Option<String>)> = users::table
        .filter(users::role.eq(role))
        .filter(users::active.eq(true))
        .filter(users::division_id.eq(division))
        .select((users::id, users::branch_id))
        .order(users::id)
        .limit(200)
        .load(conn)?;
    if candidates.is_empty() {
        return Ok(None);
    }
    let ids: Vec<&String> = candidates.iter().map(|(id, _)| id).collect();
    let load: Vec<(String, i64)> = tasks::table
        .filter(tasks::assignee_id.eq_any(&ids))
        .filter(tasks::status.eq(TaskStatus::Open.as_str()))
        .group_by(tasks::assignee_id)
        .select((tasks::assignee_id, diesel::dsl::count_star()))
        .load(conn)?;
    let open = |id: &str| load.iter().find(|(a, _)| a == id).map_or(0, |(_, n)| *n);
    let in_branch = |b: &Option<String>| branch.is_some() && b.as_deref() == branch;
    Ok(candidates.iter().min_by_key(|(id, b)| (!in_branch(b), open(id), id.clone())).map(|(id, _)| id.clone()))
}
