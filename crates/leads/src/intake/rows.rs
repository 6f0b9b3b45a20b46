//! Intake source and capture rows as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::db::schema::{intake_captures, intake_sources};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = intake_sources)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct SourceRow {
    pub id: String,
    pub name: String,
    pub division_id: String,
    pub branch_id: Option<String>,
    pub lead_source: String,
    pub key_prefix: String,
    pub key_hash: String,
    pub rate_limit_per_minute: i32,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = intake_captures)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct CaptureRow {
    pub id: String,
    pub source_id: String,
    pub external_id: Option<String>,
    pub lead_id: String,
    pub outcome: String,
    pub created_at: NaiveDateTime,
}
