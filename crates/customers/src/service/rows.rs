//! Service record rows as stored.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rapport_core::db::schema::service_records;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = service_records)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ServiceRecordRow {
    pub id: String,
    pub asset_id: String,
    pub customer_id: String,
    pub division_id: String,
    pub branch_id: Option<String>,
    pub performed_on: NaiveDate,
    pub kind: String,
    pub usage: Option<i64>,
    pub work_done: String,
    pub currency: Option<String>,
    pub amount_minor: Option<i64>,
    pub ticket_id: Option<String>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
