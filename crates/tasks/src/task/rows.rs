//! The stored row and its conversion to the API shape.

use diesel::prelude::*;
use rapport_core::db::schema::tasks;
use rapport_core::{Error, Result, time};

use super::api::TaskResponse;
use crate::kinds::{RelatedType, TaskKind, TaskPriority, TaskStatus};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tasks)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct TaskRow {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub priority: String,
    pub status: String,
    pub related_type: Option<String>,
    pub related_id: Option<String>,
    pub customer_id: Option<String>,
    pub division_id: String,
    pub branch_id: Option<String>,
    pub assignee_id: String,
    pub due_at: chrono::NaiveDateTime,
    pub remind_at: Option<chrono::NaiveDateTime>,
    pub notes: Option<String>,
    pub outcome: Option<String>,
    pub created_by: Option<String>,
    pub rule_id: Option<String>,
    pub rule_run_id: Option<String>,
    pub completed_at: Option<chrono::NaiveDateTime>,
    pub completed_by: Option<String>,
    pub interaction_id: Option<String>,
    pub version: i64,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}

fn stored<T>(id: &str, column: &str, parsed: Option<T>) -> Result<T> {
    parsed.ok_or_else(|| Error::Internal(format!("task {id} has an unknown {column}")))
}

impl TaskRow {
    /// The API shape, `overdue` judged at `now` (stored form).
    pub fn response(self, now: chrono::NaiveDateTime) -> Result<TaskResponse> {
        let kind = stored(&self.id, "kind", TaskKind::parse(&self.kind))?;
        let priority = stored(&self.id, "priority", TaskPriority::parse(&self.priority))?;
        let status = stored(&self.id, "status", TaskStatus::parse(&self.status))?;
        let related_type = match &self.related_type {
            Some(raw) => Some(stored(&self.id, "related_type", RelatedType::parse(raw))?),
            None => None,
        };
        Ok(TaskResponse {
            overdue: status == TaskStatus::Open && self.due_at < now,
            id: self.id,
            title: self.title,
            kind,
            priority,
            status,
            related_type,
            related_id: self.related_id,
            customer_id: self.customer_id,
            division_id: self.division_id,
            branch_id: self.branch_id,
            assignee_id: self.assignee_id,
            due_at: time::utc(self.due_at),
            remind_at: self.remind_at.map(time::utc),
            notes: self.notes,
            outcome: self.outcome,
            created_by: self.created_by,
            rule_id: self.rule_id,
            rule_run_id: self.rule_run_id,
            completed_at: self.completed_at.map(time::utc),
            completed_by: self.completed_by,
            interaction_id: self.interaction_id,
            version: self.version,
            created_at: time::utc(self.created_at),
            updated_at: time::utc(self.updated_at),
        })
    }
}
