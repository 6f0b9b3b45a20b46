//! Lead and stage-history rows as stored.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rapport_core::db::schema::{lead_stage_history, leads};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = leads)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct LeadRow {
    pub id: String,
    pub customer_id: Option<String>,
    pub prospect_name: Option<String>,
    pub prospect_phone: Option<String>,
    pub prospect_email: Option<String>,
    pub source: String,
    pub division_id: String,
    pub branch_id: Option<String>,
    pub product_interest: Option<String>,
    pub currency: Option<String>,
    pub expected_value_minor: Option<i64>,
    pub expected_close_on: Option<NaiveDate>,
    pub owner_id: Option<String>,
    pub created_by: Option<String>,
    pub pipeline_id: String,
    pub stage_id: String,
    pub status: String,
    pub lost_reason_id: Option<String>,
    pub lost_note: Option<String>,
    pub score: Option<i32>,
    pub notes: Option<String>,
    pub next_follow_up_at: Option<NaiveDateTime>,
    pub follow_up_minutes: Option<i32>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    pub closed_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub archived_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lead_stage_history)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct HistoryRow {
    pub id: String,
    pub lead_id: String,
    pub from_stage_id: Option<String>,
    pub to_stage_id: String,
    pub moved_by: Option<String>,
    pub entered_at: NaiveDateTime,
    pub left_at: Option<NaiveDateTime>,
}
