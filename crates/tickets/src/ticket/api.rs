//! Request and response types for tickets, status changes and comments.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::kinds::{Priority, TicketChannel, TicketStatus};

/// A new ticket.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "division_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a12",
    "branch_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a13",
    "customer_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11",
    "category_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a40",
    "priority": "high", "channel": "call",
    "subject": "Engine warning light after service",
    "description": "Customer says the light came on two days after the 20,000 km service."
}))]
pub struct CreateTicket {
    /// The division that handles it.
    pub division_id: String,
    /// The branch (of that division).
    #[serde(default)]
    pub branch_id: Option<String>,
    /// The customer (within your reach).
    #[serde(default)]
    pub customer_id: Option<String>,
    /// The asset concerned (the customer's).
    #[serde(default)]
    pub asset_id: Option<String>,
    /// A live ticket category.
    pub category_id: String,
    /// Priority (default `normal`).
    #[serde(default)]
    pub priority: Option<Priority>,
    /// How it came in.
    pub channel: TicketChannel,
    /// Subject, at most 200 characters.
    pub subject: String,
    /// Description, at most 10,000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// The queue (a live queue of the division); default: the routing rules' pick.
    #[serde(default)]
    pub queue_id: Option<String>,
    /// The agent working it (an active user of the division); default: the
    /// queue's assignment (round-robin or least loaded).
    #[serde(default)]
    pub assignee_id: Option<String>,
    /// The system it comes from, e.g. `oracle_erp` (with `external_id`).
    #[serde(default)]
    pub external_source: Option<String>,
    /// Its id there; unique per source.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Custom field values (entity `ticket`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
}

/// Changes to a ticket; absent fields stay as they are, `null` clears. The
/// status changes through `POST /tickets/{id}/status`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"priority": "urgent", "assignee_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a77", "version": 2}))]
pub struct UpdateTicket {
    /// New branch (of the ticket's division).
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub branch_id: Option<Option<String>>,
    /// Link a customer.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<Option<String>>,
    /// Link an asset (the customer's).
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub asset_id: Option<Option<String>>,
    /// Another live category.
    pub category_id: Option<String>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New subject.
    pub subject: Option<String>,
    /// New description.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// Move to another live queue of the division (no automatic assignment).
    pub queue_id: Option<String>,
    /// Reassign (audited; the new assignee is notified); `null` unassigns.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub assignee_id: Option<Option<String>>,
    /// Custom field values to set (`null` removes one).
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<BTreeMap<String, serde_json::Value>>,
    /// The version being changed (or send `If-Match`).
    pub version: Option<i64>,
}

/// A status change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "resolved", "version": 3}))]
pub struct ChangeStatus {
    /// The new status: forward through `new → open → pending → resolved →
    /// closed`, between `open` and `pending`, or `open` again from
    /// `resolved` or `closed` (a reopen).
    pub status: TicketStatus,
    /// The version being changed (or send `If-Match`).
    pub version: Option<i64>,
}

/// A ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TicketResponse {
    /// Id.
    pub id: String,
    /// Human-friendly number: the division's code and a sequence, e.g. `MOT-000123`.
    pub number: String,
    /// Division.
    pub division_id: String,
    /// Branch.
    pub branch_id: Option<String>,
    /// Queue (once routed).
    pub queue_id: Option<String>,
    /// Customer.
    pub customer_id: Option<String>,
    /// Asset.
    pub asset_id: Option<String>,
    /// The lead a sales inquiry was handed to.
    pub lead_id: Option<String>,
    /// Category.
    pub category_id: String,
    /// Priority.
    pub priority: Priority,
    /// Channel it came in by.
    pub channel: TicketChannel,
    /// Subject.
    pub subject: String,
    /// Description.
    pub description: Option<String>,
    /// Status.
    pub status: TicketStatus,
    /// The agent working it.
    pub assignee_id: Option<String>,
    /// Who logged it (none: an integration or the system).
    pub created_by: Option<String>,
    /// The first public reply by an agent.
    pub first_responded_at: Option<DateTime<Utc>>,
    /// When it was (last) resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Times it was reopened.
    pub reopen_count: i32,
    /// Agent touches so far: public agent replies plus interactions logged
    /// on the ticket with a duration (first-contact resolution needs one at
    /// most).
    pub agent_touches: i64,
    /// Handle time: the interactions logged on the ticket with a duration.
    pub handle_time: crate::handle_time::HandleTime,
    /// Set on resolution: resolved with at most one agent touch and never
    /// reopened (see `docs/metrics.md`); cleared by a reopen.
    pub first_contact_resolution: Option<bool>,
    /// Business seconds from logging to the first public agent reply, on
    /// the ticket's calendar: its branch's (else its division's) when it was
    /// logged; round the clock (UTC) with neither. None until that reply.
    #[schema(example = 5400)]
    pub first_response_business_seconds: Option<i64>,
    /// Business seconds from logging to the latest resolution, on the
    /// ticket's calendar. Time spent `pending` counts (unlike the SLA
    /// clock): it is how long the customer waited. Cleared by a reopen,
    /// measured again from logging at the next resolution, kept by closing.
    #[schema(example = 10800)]
    pub resolution_business_seconds: Option<i64>,
    /// One business day on the ticket's calendar, in seconds: its weekly
    /// working hours over its weekdays with working hours (32,400 for
    /// Mon–Fri 08:00–17:00), 86,400 round the clock; none for a calendar
    /// without working hours. Business days = business seconds ÷ this.
    #[schema(example = 32400)]
    pub business_day_seconds: Option<i32>,
    /// The SLA: due times, clock and breach flags (none when no policy
    /// applied); `GET /tickets/{id}/sla` explains it.
    pub sla: Option<crate::sla::TicketSla>,
    /// Source system.
    pub external_source: Option<String>,
    /// Id there.
    pub external_id: Option<String>,
    /// Custom field values.
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    /// Archived.
    pub archived_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Only in the answer to the call that resolved the ticket: the CSAT
    /// survey it issued, with the token the customer needs. The token is
    /// stored hashed and never shown again (`POST
    /// /tickets/{id}/csat-survey` issues a fresh one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat_survey: Option<crate::csat::IssuedSurvey>,
}

/// One status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusChange {
    /// Previous status (none for the creation).
    pub from_status: Option<TicketStatus>,
    /// New status.
    pub to_status: TicketStatus,
    /// Who changed it.
    pub changed_by: Option<String>,
    /// When.
    pub changed_at: DateTime<Utc>,
}

/// Query parameters for listing tickets. Filters combine with AND.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TicketListQuery {
    /// Only these statuses, comma-separated, e.g. `new,open`.
    pub status: Option<String>,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only this assignee; `me` for yourself, `none` for unassigned.
    pub assignee: Option<String>,
    /// Only this queue.
    pub queue_id: Option<String>,
    /// Only this division.
    pub division_id: Option<String>,
    /// Only this branch.
    pub branch_id: Option<String>,
    /// Only this customer's.
    pub customer_id: Option<String>,
    /// Only this asset's.
    pub asset_id: Option<String>,
    /// Only this category.
    pub category_id: Option<String>,
    /// Only this channel.
    pub channel: Option<TicketChannel>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    /// Changed at or after (for sync).
    pub updated_since: Option<DateTime<Utc>>,
    /// `at_risk`: unresolved, not yet breached, a deadline (response or
    /// resolution) due within `due_within_minutes`; `breached`: unresolved
    /// with a deadline missed.
    pub sla: Option<SlaView>,
    /// The window of `sla=at_risk`, 1–10,080 minutes (default 240).
    pub due_within_minutes: Option<i64>,
    /// The exact number, e.g. `MOT-000123`.
    pub number: Option<String>,
    /// Include archived tickets (default false).
    pub include_archived: Option<bool>,
    /// `created_at` (default `-created_at`), `updated_at`.
    pub sort: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The SLA views of the ticket list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaView {
    /// A deadline is near.
    AtRisk,
    /// A deadline was missed.
    Breached,
}

/// Ticket sort keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketSort {
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

impl SortKey for TicketSort {
    const ALL: &'static [(&'static str, Self)] = &[("created_at", Self::CreatedAt), ("updated_at", Self::UpdatedAt)];
    const DEFAULT: (Self, Direction) = (Self::CreatedAt, Direction::Desc);
}

/// Handing a sales inquiry to the pipeline.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"notes": "Wants a quote for two Hilux"}))]
pub struct HandToPipeline {
    /// The pipeline (of the ticket's division); default: its oldest that takes leads.
    pub pipeline_id: Option<String>,
    /// The lead's owner; default: the division's assignment rule.
    pub owner_id: Option<String>,
    /// Added to the lead's notes after the ticket's subject and description.
    pub notes: Option<String>,
}
