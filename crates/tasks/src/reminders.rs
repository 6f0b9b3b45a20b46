//! Task reminders: a job per (task, reminder time), run by the server's
//! job runner at `remind_at`, telling the assignee the task is due.
//!
//! The job's dedupe key names the occurrence, so saving the same reminder
//! twice schedules it once; moving the reminder schedules a new occurrence
//! and the old job, when it runs, finds the time changed and does nothing.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::tasks;
use rapport_core::jobs::{self, NewJob};
use rapport_core::notification::{self, NewNotification};
use rapport_core::{Error, Result, time};
use serde::{Deserialize, Serialize};

use crate::kinds::TaskStatus;
use crate::task::ENTITY;

/// The job kind.
pub const JOB_KIND: &str = "task_reminder";

/// The job's input.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Reminder {
    task_id: String,
    remind_at: NaiveDateTime,
}

/// Schedules the reminder of task `task_id` at `remind_at`.
pub(crate) fn schedule(conn: &mut Conn, task_id: &str, remind_at: NaiveDateTime) -> Result<()> {
    let reminder = Reminder { task_id: task_id.to_owned(), remind_at };
    let payload = serde_json::to_value(&reminder).map_err(|e| Error::Internal(e.to_string()))?;
    jobs::enqueue(
        conn,
        NewJob {
            kind: JOB_KIND,
            payload,
            run_at: remind_at,
            dedupe_key: Some(format!("{JOB_KIND}:{task_id}:{}", remind_at.and_utc().timestamp_micros())),
            max_attempts: jobs::DEFAULT_MAX_ATTEMPTS,
        },
    )?;
    Ok(())
}

/// Runs one reminder job: a `task_due` notification to the task's current
/// assignee, if the task is still open and still to be reminded then.
/// Returns whether it notified.
pub fn remind(conn: &mut Conn, payload: &serde_json::Value) -> Result<bool> {
    let reminder: Reminder = serde_json::from_value(payload.clone())
        .map_err(|e| Error::Internal(format!("a {JOB_KIND} job has a bad payload: {e}")))?;
    let task: Option<(String, String, String, NaiveDateTime, Option<NaiveDateTime>, String)> = tasks::table
        .filter(tasks::id.eq(&reminder.task_id))
        .select((tasks::assignee_id, tasks::title, tasks::status, tasks::due_at, tasks::remind_at, tasks::priority))
        .first(conn)
        .optional()?;
    let Some((assignee, title, status, due_at, remind_at, priority)) = task else { return Ok(false) };
    if status != TaskStatus::Open.as_str() || remind_at != Some(reminder.remind_at) {
        return Ok(false);
    }
    notification::record(
        conn,
        NewNotification {
            user_id: &assignee,
            kind: "task_due",
            entity_type: ENTITY,
            entity_id: &reminder.task_id,
            payload: serde_json::json!({
                "title": title,
                "due_at": time::utc(due_at),
                "priority": priority,
            }),
        },
    )?;
    Ok(true)
}
