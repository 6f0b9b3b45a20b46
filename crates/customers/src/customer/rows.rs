//! Customer rows as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::db::schema::{customer_consents, customer_emails, customer_phones, customers};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = customers)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct CustomerRow {
    pub id: String,
    pub kind: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
    pub display_name: String,
    pub search_name: String,
    pub primary_email: Option<String>,
    pub primary_phone: Option<String>,
    pub address_line: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub country_code: String,
    pub source: Option<String>,
    pub owner_id: Option<String>,
    pub preferred_channel: Option<String>,
    pub preferred_language: Option<String>,
    pub notes: Option<String>,
    pub merged_into_id: Option<String>,
    pub erased_at: Option<NaiveDateTime>,
    pub archived_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = customer_emails)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct EmailRow {
    pub customer_id: String,
    pub email: String,
    pub label: Option<String>,
    pub is_primary: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = customer_phones)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct PhoneRow {
    pub customer_id: String,
    pub e164: String,
    pub label: Option<String>,
    pub is_primary: bool,
    pub whatsapp: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = customer_consents)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct ConsentRow {
    pub customer_id: String,
    pub channel: String,
    pub purpose: String,
    pub granted: bool,
    pub recorded_at: NaiveDateTime,
    pub method: String,
    pub note: Option<String>,
}
