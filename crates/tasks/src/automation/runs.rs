//! Reading rule runs: what fired, when, about which record, and what each
//! action did, so anyone can see why a task exists.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::automation_runs;
use rapport_core::page::{Direction, Page, PageRequest, SortKey, instant_value};
use rapport_core::{Error, Result, ids, time};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::run::ActionResult;
use super::trigger::{SubjectType, TriggerKind};

/// The entity name in errors.
const ENTITY: &str = "automation_run";

/// One run of a rule.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RunResponse {
    /// Id (tasks it created carry it as `rule_run_id`).
    pub id: String,
    /// The rule.
    pub rule_id: String,
    /// The trigger that fired.
    pub trigger: TriggerKind,
    /// Names the occurrence, e.g. `event:<change event id>` or
    /// `lead:<id>:follow_up:<instant>`.
    pub occurrence: String,
    /// The kind of record it fired about (none for a schedule).
    pub subject_type: Option<SubjectType>,
    /// That record's id.
    pub subject_id: Option<String>,
    /// When the trigger occurred.
    pub occurred_at: DateTime<Utc>,
    /// When the actions ran.
    pub ran_at: DateTime<Utc>,
    /// What each action did, in order.
    pub results: Vec<ActionResult>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = automation_runs)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct RunRow {
    id: String,
    rule_id: String,
    trigger_kind: String,
    occurrence: String,
    subject_type: Option<String>,
    subject_id: Option<String>,
    occurred_at: NaiveDateTime,
    ran_at: NaiveDateTime,
    results: String,
}

impl RunRow {
    fn response(self) -> Result<RunResponse> {
        let bad = |what: &str| Error::Internal(format!("automation run {} has a bad {what}", self.id));
        Ok(RunResponse {
            trigger: TriggerKind::parse(&self.trigger_kind).ok_or_else(|| bad("trigger"))?,
            subject_type: match &self.subject_type {
                Some(raw) => Some(SubjectType::parse(raw).ok_or_else(|| bad("subject type"))?),
                None => None,
            },
            results: serde_json::from_str(&self.results).map_err(|_| bad("result list"))?,
            id: self.id,
            rule_id: self.rule_id,
            occurrence: self.occurrence,
            subject_id: self.subject_id,
            occurred_at: time::utc(self.occurred_at),
            ran_at: time::utc(self.ran_at),
        })
    }
}

/// Run `id`.
pub fn get(conn: &mut Conn, id: &str) -> Result<RunResponse> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    automation_runs::table
        .filter(automation_runs::id.eq(id))
        .select(RunRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })?
        .response()
}

/// Query parameters for the run list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RunListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `-ran_at` (default, newest first) or `ran_at`.
    pub sort: Option<String>,
    /// Only runs of this rule.
    pub rule_id: Option<String>,
    /// Only runs about this kind of record.
    pub subject_type: Option<SubjectType>,
    /// Only runs about this record.
    pub subject_id: Option<String>,
}

/// Sort keys of the run list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunSort {
    /// By when it ran.
    RanAt,
}

impl SortKey for RunSort {
    const ALL: &'static [(&'static str, Self)] = &[("ran_at", Self::RanAt)];
    const DEFAULT: (Self, Direction) = (Self::RanAt, Direction::Desc);
}

/// One page of runs.
pub fn list(conn: &mut Conn, query: &RunListQuery) -> Result<Page<RunResponse>> {
    let page = PageRequest::<RunSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = automation_runs::table.select(RunRow::as_select()).into_boxed();
    if let Some(v) = &query.rule_id {
        q = q.filter(automation_runs::rule_id.eq(v.clone()));
    }
    if let Some(v) = query.subject_type {
        q = q.filter(automation_runs::subject_type.eq(v.as_str()));
    }
    if let Some(v) = &query.subject_id {
        q = q.filter(automation_runs::subject_id.eq(v.clone()));
    }
    let after = page.after_instant()?;
    let q = rapport_core::keyset!(q, automation_runs::ran_at, automation_runs::id, page.sort.direction, after);
    let rows = q.limit(page.fetch_limit()).load::<RunRow>(conn)?;
    let page = page.finish(rows, |row| (instant_value(row.ran_at), row.id.clone()));
    let items = page.items.into_iter().map(RunRow::response).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}
