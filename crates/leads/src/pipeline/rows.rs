//! Pipeline and stage rows as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::db::schema::{pipeline_stages, pipelines};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pipelines)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct PipelineRow {
    pub id: String,
    pub division_id: String,
    pub name: String,
    pub archived_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pipeline_stages)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct StageRow {
    pub id: String,
    pub pipeline_id: String,
    pub position: i32,
    pub name: String,
    pub kind: String,
    pub win_probability: i32,
    pub follow_up_minutes: Option<i32>,
    pub archived_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
