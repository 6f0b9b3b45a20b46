//! Interaction, category and rule rows as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::db::schema::{categorisation_rules, interaction_categories, interactions};

// `treat_none_as_default_value = false` writes `None` as NULL rather than
// DEFAULT, which lets the bulk path insert many rows in one statement on
// SQLite too (SQLite has no DEFAULT inside a multi-row VALUES list).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = interactions)]
#[diesel(treat_none_as_default_value = false)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct InteractionRow {
    pub id: String,
    pub customer_id: Option<String>,
    pub lead_id: Option<String>,
    pub ticket_id: Option<String>,
    pub division_id: String,
    pub channel: String,
    pub direction: String,
    pub category_id: Option<String>,
    pub category_origin: Option<String>,
    pub subject: Option<String>,
    pub summary: Option<String>,
    pub occurred_at: NaiveDateTime,
    pub duration_seconds: Option<i32>,
    pub outcome: Option<String>,
    pub user_id: Option<String>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = interaction_categories)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct CategoryRow {
    pub id: String,
    pub code: String,
    pub name: String,
    pub archived_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = categorisation_rules)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct RuleRow {
    pub id: String,
    pub category_id: String,
    pub channel: Option<String>,
    /// A JSON array of lower-case keywords.
    pub keywords: String,
    pub priority: i32,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
