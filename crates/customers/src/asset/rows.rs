//! Asset, reading and service-rule rows as stored.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rapport_core::db::schema::{asset_readings, assets, service_rules};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = assets)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct AssetRow {
    pub id: String,
    pub customer_id: String,
    pub division_id: String,
    pub kind: String,
    pub make: Option<String>,
    pub model: Option<String>,
    pub model_year: Option<i32>,
    pub serial: Option<String>,
    pub plate: Option<String>,
    pub purchase_date: Option<NaiveDate>,
    pub warranty_end: Option<NaiveDate>,
    pub usage_unit: String,
    pub last_usage: Option<i64>,
    pub last_usage_at: Option<NaiveDateTime>,
    pub last_service_on: Option<NaiveDate>,
    pub last_service_usage: Option<i64>,
    pub next_service_due_on: Option<NaiveDate>,
    pub next_service_due_usage: Option<i64>,
    pub service_due_soon_on: Option<NaiveDate>,
    pub service_due_soon_usage: Option<i64>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    pub archived_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = asset_readings)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ReadingRow {
    pub id: String,
    pub asset_id: String,
    pub read_at: NaiveDateTime,
    pub usage: i64,
    pub source: String,
    pub recorded_by: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = service_rules)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct RuleRow {
    pub id: String,
    pub asset_kind: String,
    pub make: String,
    pub model: Option<String>,
    pub make_key: String,
    pub model_key: String,
    pub interval_usage: Option<i64>,
    pub interval_months: Option<i32>,
    pub due_soon_days: i32,
    pub due_soon_usage: Option<i64>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
