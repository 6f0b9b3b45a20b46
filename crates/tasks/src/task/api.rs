//! What callers send and receive.

use chrono::{DateTime, Utc};
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::kinds::{RelatedType, TaskKind, TaskPriority, TaskStatus};

/// A new task.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Call back about the Hilux quotation",
    "kind": "follow_up_call",
    "related_type": "lead",
    "related_id": "0193a0c4-5b7e-7d10-9a3b-4c5d6e7f8a9b",
    "due_at": "2026-11-25T10:00:00Z",
    "remind_at": "2026-11-25T09:30:00Z"
}))]
pub struct CreateTask {
    /// What to do, at most 200 characters.
    pub title: String,
    /// The kind.
    pub kind: TaskKind,
    /// Default `normal`.
    #[serde(default)]
    pub priority: Option<TaskPriority>,
    /// The kind of record it is about; with `related_id`.
    #[serde(default)]
    pub related_type: Option<RelatedType>,
    /// That record's id; it must exist and lie within your reach.
    #[serde(default)]
    pub related_id: Option<String>,
    /// The division; taken from the related record when there is one,
    /// else required unless you belong to a division.
    #[serde(default)]
    pub division_id: Option<String>,
    /// A branch of that division; taken from the related record when it has one.
    #[serde(default)]
    pub branch_id: Option<String>,
    /// Who must do it (an active user of the task's division, or of none);
    /// default yourself.
    #[serde(default)]
    pub assignee_id: Option<String>,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// When to remind the assignee; not after `due_at`.
    #[serde(default)]
    pub remind_at: Option<DateTime<Utc>>,
    /// Details, at most 5,000 characters.
    #[serde(default)]
    pub notes: Option<String>,
}

/// Changes to an open task; absent fields stay, `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"due_at": "2026-11-26T10:00:00Z", "assignee_id": "0193a0c4-5b7e-7d10-9a3b-4c5d6e7f8a9c", "version": 1}))]
pub struct UpdateTask {
    /// New title.
    pub title: Option<String>,
    /// New kind.
    pub kind: Option<TaskKind>,
    /// New priority.
    pub priority: Option<TaskPriority>,
    /// Hand it to someone else (audited; they are notified).
    pub assignee_id: Option<String>,
    /// New due time.
    pub due_at: Option<DateTime<Utc>>,
    /// New reminder time; `null` for none.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub remind_at: Option<Option<DateTime<Utc>>>,
    /// New notes; `null` clears them.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    /// The version being changed (or send `If-Match`).
    pub version: Option<i64>,
}

/// Completing a task.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "test_drive_booked", "notes": "Coming Saturday 10:00", "duration_seconds": 240}))]
pub struct CompleteTask {
    /// What came of it, e.g. `reached`, `no_answer`, `booked`; 1–100 characters.
    pub outcome: String,
    /// What was said or done, at most 10,000 characters.
    #[serde(default)]
    pub notes: Option<String>,
    /// How long the contact took, 0–86,400 seconds.
    #[serde(default)]
    pub duration_seconds: Option<i64>,
    /// Record the contact on the customer's timeline (default true). Applies
    /// to calls, callbacks, visits and service reminders about a record;
    /// on a lead it also moves the lead's next follow-up.
    #[serde(default)]
    pub log_interaction: Option<bool>,
    /// The version being completed (or send `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// Cancelling a task.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Customer bought elsewhere"}))]
pub struct CancelTask {
    /// Why, at most 500 characters.
    #[serde(default)]
    pub reason: Option<String>,
    /// The version being cancelled (or send `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// A task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TaskResponse {
    /// Id.
    pub id: String,
    /// What to do.
    pub title: String,
    /// The kind.
    pub kind: TaskKind,
    /// The priority.
    pub priority: TaskPriority,
    /// `open`, `done` or `cancelled`.
    pub status: TaskStatus,
    /// Open and past its due time.
    pub overdue: bool,
    /// The kind of record it is about.
    pub related_type: Option<RelatedType>,
    /// That record's id.
    pub related_id: Option<String>,
    /// The customer behind that record, when there is one.
    pub customer_id: Option<String>,
    /// The division.
    pub division_id: String,
    /// The branch.
    pub branch_id: Option<String>,
    /// Who must do it.
    pub assignee_id: String,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// When the assignee is reminded.
    pub remind_at: Option<DateTime<Utc>>,
    /// Details.
    pub notes: Option<String>,
    /// What came of it (done), or why it was cancelled.
    pub outcome: Option<String>,
    /// The person who created it (none when a rule did).
    pub created_by: Option<String>,
    /// The automation rule that created it.
    pub rule_id: Option<String>,
    /// The automation run that created it (`GET /api/v1/automation/runs/{id}` says why).
    pub rule_run_id: Option<String>,
    /// When it was completed or cancelled.
    pub completed_at: Option<DateTime<Utc>>,
    /// Who completed or cancelled it.
    pub completed_by: Option<String>,
    /// The interaction logged when it was completed.
    pub interaction_id: Option<String>,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Which open tasks to list by due time, in the company time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    /// Past their due time.
    Overdue,
    /// Due today (including those due earlier today).
    DueToday,
    /// Due after today.
    Upcoming,
}

/// Query parameters for listing tasks. Filters combine with AND.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaskListQuery {
    /// Only this assignee; `me` for yourself.
    pub assignee: Option<String>,
    /// Only tasks created by this user; `me` for yourself.
    pub created_by: Option<String>,
    /// Only these statuses, comma-separated, e.g. `open`.
    pub status: Option<String>,
    /// Only this kind.
    pub kind: Option<TaskKind>,
    /// Only this priority.
    pub priority: Option<TaskPriority>,
    /// Open tasks `overdue`, `due_today` or `upcoming`.
    #[param(inline)]
    pub due: Option<DueState>,
    /// Due at or after.
    pub due_from: Option<DateTime<Utc>>,
    /// Due before.
    pub due_to: Option<DateTime<Utc>>,
    /// About records of this kind.
    pub related_type: Option<RelatedType>,
    /// About this record (with `related_type`).
    pub related_id: Option<String>,
    /// About this customer (directly or through a lead, ticket or asset of theirs).
    pub customer_id: Option<String>,
    /// Only this division.
    pub division_id: Option<String>,
    /// Only this branch.
    pub branch_id: Option<String>,
    /// `true`: only tasks an automation rule created; `false`: only people's.
    pub from_rule: Option<bool>,
    /// Changed at or after (for sync).
    pub updated_since: Option<DateTime<Utc>>,
    /// `due_at` (default, soonest first), `created_at` or `updated_at`; `-` for descending.
    pub sort: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Task sort keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskSort {
    /// By due time.
    DueAt,
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

impl SortKey for TaskSort {
    const ALL: &'static [(&'static str, Self)] =
        &[("due_at", Self::DueAt), ("created_at", Self::CreatedAt), ("updated_at", Self::UpdatedAt)];
    const DEFAULT: (Self, Direction) = (Self::DueAt, Direction::Asc);
}
