//! Request and response types for leads, stage moves and history.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rapport_core::money::Money;
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::kinds::{LeadSource, LeadStatus};

/// A new lead: a linked customer, or the prospect's own contact details.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "prospect_name": "Adaeze Okafor",
    "prospect_phone": "0803 123 4567",
    "source": "walk_in",
    "division_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a12",
    "pipeline_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a30",
    "product_interest": "Toyota Hilux 2.4 GD-6",
    "expected_value": {"amount": "38500000.00", "currency": "NGN"},
    "expected_close_on": "2026-12-15"
}))]
pub struct CreateLead {
    /// The customer the lead is for (within your reach); or give the prospect's details.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// The prospect's name, at most 200 characters; required without a customer.
    #[serde(default)]
    pub prospect_name: Option<String>,
    /// The prospect's phone, normalised to E.164; a phone or an email is
    /// required without a customer.
    #[serde(default)]
    pub prospect_phone: Option<String>,
    /// The prospect's email, lower-cased.
    #[serde(default)]
    pub prospect_email: Option<String>,
    /// How the lead reached us.
    pub source: LeadSource,
    /// The division working the lead.
    pub division_id: String,
    /// The branch (of that division).
    #[serde(default)]
    pub branch_id: Option<String>,
    /// What the prospect wants, e.g. a model; at most 200 characters.
    #[serde(default)]
    pub product_interest: Option<String>,
    /// The deal's expected value.
    #[serde(default)]
    pub expected_value: Option<Money>,
    /// When the deal is expected to close.
    #[serde(default)]
    pub expected_close_on: Option<NaiveDate>,
    /// The rep working it; default: you, unless you are a call-centre agent
    /// or an integration (the lead then waits for assignment).
    #[serde(default)]
    pub owner_id: Option<String>,
    /// A pipeline of the lead's division that takes leads.
    pub pipeline_id: String,
    /// The starting stage, of that pipeline; default: its first open stage.
    #[serde(default)]
    pub stage_id: Option<String>,
    /// Required when the stage is a lost one.
    #[serde(default)]
    pub lost_reason_id: Option<String>,
    /// Free text about the loss, at most 2,000 characters.
    #[serde(default)]
    pub lost_note: Option<String>,
    /// Qualification score, 0-100.
    #[serde(default)]
    pub score: Option<i32>,
    /// Notes, at most 5,000 characters.
    #[serde(default)]
    pub notes: Option<String>,
    /// Overrides the stages' follow-up interval for this lead, in minutes.
    #[serde(default)]
    pub follow_up_minutes: Option<i32>,
    /// The first follow-up; default: now plus the interval.
    #[serde(default)]
    pub next_follow_up_at: Option<DateTime<Utc>>,
    /// The system the lead comes from (with `external_id`).
    #[serde(default)]
    pub external_source: Option<String>,
    /// The lead's id there; unique per source.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Custom field values by key.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
}

/// Changes to a lead; absent fields stay, `null` clears. The stage changes
/// through `POST /leads/{id}/move`, the division through qualification.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"expected_value": {"amount": "41000000.00", "currency": "NGN"}, "score": 70, "version": 2}))]
pub struct UpdateLead {
    /// Link a customer (`null` unlinks; the prospect details must then be there).
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<Option<String>>,
    /// New prospect name.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub prospect_name: Option<Option<String>>,
    /// New prospect phone.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub prospect_phone: Option<Option<String>>,
    /// New prospect email.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub prospect_email: Option<Option<String>>,
    /// New source.
    pub source: Option<LeadSource>,
    /// New branch.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub branch_id: Option<Option<String>>,
    /// New product interest.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub product_interest: Option<Option<String>>,
    /// New expected value.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<Money>)]
    pub expected_value: Option<Option<Money>>,
    /// New expected close date.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub expected_close_on: Option<Option<NaiveDate>>,
    /// New owner (reassignment).
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub owner_id: Option<Option<String>>,
    /// New lost reason (lost leads only).
    pub lost_reason_id: Option<String>,
    /// New lost note.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub lost_note: Option<Option<String>>,
    /// New score, 0-100.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<i32>)]
    pub score: Option<Option<i32>>,
    /// New notes.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    /// New follow-up interval override in minutes (`null`: the stage's).
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<i32>)]
    pub follow_up_minutes: Option<Option<i32>>,
    /// Reschedules the next follow-up (open leads only; `null` clears it).
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub next_follow_up_at: Option<Option<DateTime<Utc>>>,
    /// Custom field values to set (`null` clears one).
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<BTreeMap<String, serde_json::Value>>,
    /// `true` archives, `false` restores.
    pub archived: Option<bool>,
    /// The version being changed (or send `If-Match`).
    pub version: Option<i64>,
}

/// A stage move.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to_stage_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a35", "lost_reason_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a40", "version": 3}))]
pub struct MoveLead {
    /// The stage to move to: any live stage of a pipeline of the lead's
    /// division (backwards moves allowed).
    pub to_stage_id: String,
    /// Required when moving to a lost stage.
    #[serde(default)]
    pub lost_reason_id: Option<String>,
    /// Free text about the loss.
    #[serde(default)]
    pub lost_note: Option<String>,
    /// The version being changed (or send `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// A lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LeadResponse {
    /// Id.
    pub id: String,
    /// The linked customer.
    pub customer_id: Option<String>,
    /// The prospect's name.
    pub prospect_name: Option<String>,
    /// The prospect's phone (E.164).
    pub prospect_phone: Option<String>,
    /// The prospect's email.
    pub prospect_email: Option<String>,
    /// How the lead reached us.
    pub source: LeadSource,
    /// Division.
    pub division_id: String,
    /// Branch.
    pub branch_id: Option<String>,
    /// What the prospect wants.
    pub product_interest: Option<String>,
    /// Expected value.
    pub expected_value: Option<Money>,
    /// Expected close date.
    pub expected_close_on: Option<NaiveDate>,
    /// The rep working it.
    pub owner_id: Option<String>,
    /// Who created it.
    pub created_by: Option<String>,
    /// Pipeline.
    pub pipeline_id: String,
    /// Current stage.
    pub stage_id: String,
    /// `open`, `won` or `lost`: the current stage's kind.
    pub status: LeadStatus,
    /// Why it was lost.
    pub lost_reason_id: Option<String>,
    /// Notes on the loss.
    pub lost_note: Option<String>,
    /// Qualification score, 0-100.
    pub score: Option<i32>,
    /// Notes.
    pub notes: Option<String>,
    /// When the rep should next follow up (open leads only).
    pub next_follow_up_at: Option<DateTime<Utc>>,
    /// The lead's own follow-up interval in minutes, overriding the stage's.
    pub follow_up_minutes: Option<i32>,
    /// The system it comes from.
    pub external_source: Option<String>,
    /// Its id there.
    pub external_id: Option<String>,
    /// When it entered its won or lost stage.
    pub closed_at: Option<DateTime<Utc>>,
    /// Custom field values by key.
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    /// When it was archived.
    pub archived_at: Option<DateTime<Utc>>,
    /// Version, for If-Match.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One stay of a lead in a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// Entry id.
    pub id: String,
    /// The stage it came from (none for the first entry).
    pub from_stage_id: Option<String>,
    /// The stage it entered.
    pub to_stage_id: String,
    /// That stage's name.
    pub to_stage_name: String,
    /// Who moved it.
    pub moved_by: Option<String>,
    /// When it entered the stage.
    pub entered_at: DateTime<Utc>,
    /// When it left (none: still there).
    pub left_at: Option<DateTime<Utc>>,
    /// Calendar seconds in the stage (until now while still there).
    pub seconds_in_stage: i64,
    /// Working seconds in the stage on the lead's branch calendar (else its
    /// division's), excluding nights, weekends and holidays; none when
    /// neither has a calendar.
    pub business_seconds_in_stage: Option<i64>,
}

/// Which follow-ups to list, by day in the company time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpState {
    /// Due before today.
    Overdue,
    /// Due today.
    DueToday,
    /// Due after today.
    Upcoming,
}

/// Query parameters for listing leads.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeadListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `created_at` (default, newest first as `-created_at`), `updated_at`,
    /// `closed_at` or `next_follow_up_at`; sorting by one of the last two
    /// lists only leads that have it.
    pub sort: Option<String>,
    /// Matches the prospect's phone (any typed format) or email exactly, or part of their name.
    pub q: Option<String>,
    /// Only this pipeline.
    pub pipeline_id: Option<String>,
    /// Only this stage.
    pub stage_id: Option<String>,
    /// Only this status.
    pub status: Option<LeadStatus>,
    /// Only this owner; `me` for yourself, `none` for unassigned leads (with the
    /// routing desk's scope, when you have it: see `POST /leads/{id}/qualify`).
    pub owner: Option<String>,
    /// Only this division.
    pub division_id: Option<String>,
    /// Only this branch.
    pub branch_id: Option<String>,
    /// Only this source.
    pub source: Option<LeadSource>,
    /// Only this customer's leads.
    pub customer_id: Option<String>,
    /// Created at or after (RFC 3339).
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    /// Closed (won or lost) at or after.
    pub closed_from: Option<DateTime<Utc>>,
    /// Closed before.
    pub closed_to: Option<DateTime<Utc>>,
    /// `overdue`, `due_today` or `upcoming` open leads, by day in the
    /// company time zone; won and lost leads never count.
    #[param(inline)]
    pub follow_up: Option<FollowUpState>,
    /// Changed at or after (for sync).
    pub updated_since: Option<DateTime<Utc>>,
    /// Include archived leads (default false).
    pub include_archived: Option<bool>,
}

/// Sort keys for leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadSort {
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
    /// By closing.
    ClosedAt,
    /// By next follow-up.
    NextFollowUpAt,
}

impl SortKey for LeadSort {
    const ALL: &'static [(&'static str, Self)] = &[
        ("created_at", Self::CreatedAt),
        ("updated_at", Self::UpdatedAt),
        ("closed_at", Self::ClosedAt),
        ("next_follow_up_at", Self::NextFollowUpAt),
    ];
    const DEFAULT: (Self, Direction) = (Self::CreatedAt, Direction::Desc);
}
