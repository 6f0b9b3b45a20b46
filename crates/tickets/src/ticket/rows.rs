//! Ticket and status-history rows as stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::db::schema::{ticket_status_history, tickets};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tickets)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct TicketRow {
    pub id: String,
    pub number: String,
    pub division_id: String,
    pub branch_id: Option<String>,
    pub queue_id: Option<String>,
    pub customer_id: Option<String>,
    pub asset_id: Option<String>,
    pub lead_id: Option<String>,
    pub category_id: String,
    pub priority: String,
    pub channel: String,
    pub subject: String,
    pub description: Option<String>,
    pub status: String,
    pub assignee_id: Option<String>,
    pub created_by: Option<String>,
    pub first_responded_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub reopen_count: i32,
    pub agent_touches: i32,
    pub first_contact_resolution: Option<bool>,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub archived_at: Option<NaiveDateTime>,
    pub calendar_id: Option<String>,
    pub business_day_seconds: Option<i32>,
    pub first_response_business_seconds: Option<i64>,
    pub resolution_business_seconds: Option<i64>,
}

impl TicketRow {
    /// Where the ticket stands, for its business-time measurements.
    pub(crate) fn placement(&self) -> super::business_times::Placement<'_> {
        super::business_times::Placement {
            id: &self.id,
            division_id: &self.division_id,
            branch_id: self.branch_id.as_deref(),
            calendar_id: self.calendar_id.as_deref(),
            business_day_seconds: self.business_day_seconds,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ticket_status_history)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct StatusRow {
    pub id: String,
    pub ticket_id: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub changed_by: Option<String>,
    pub changed_at: NaiveDateTime,
}
