//! Request and response types for intake sources and captured inquiries.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::kinds::LeadSource;

/// A new intake source: one web form or messaging integration.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Motors website: test-drive form",
    "division_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a12",
    "branch_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a20",
    "lead_source": "website",
    "rate_limit_per_minute": 30
}))]
pub struct CreateIntakeSource {
    /// Name, unique, at most 100 characters.
    pub name: String,
    /// The division its leads go to.
    pub division_id: String,
    /// The branch its leads go to by default (of that division).
    #[serde(default)]
    pub branch_id: Option<String>,
    /// The `source` of the leads it captures.
    pub lead_source: LeadSource,
    /// Inquiries accepted per minute, 1-10,000; default 60.
    #[serde(default)]
    pub rate_limit_per_minute: Option<i32>,
    /// Whether its key works; default true.
    #[serde(default)]
    pub active: Option<bool>,
}

/// Changes to an intake source; absent fields stay, `null` clears the branch.
/// The division cannot change: create another source.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rate_limit_per_minute": 120, "active": false, "version": 1}))]
pub struct UpdateIntakeSource {
    /// New name.
    pub name: Option<String>,
    /// New default branch (of the source's division); `null` for none.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub branch_id: Option<Option<String>>,
    /// New lead source.
    pub lead_source: Option<LeadSource>,
    /// New limit per minute, 1-10,000.
    pub rate_limit_per_minute: Option<i32>,
    /// `false` stops the key working (401) until set back to `true`.
    pub active: Option<bool>,
    /// The version being changed (or send `If-Match`).
    pub version: Option<i64>,
}

/// An intake source (never its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IntakeSourceResponse {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The division its leads go to.
    pub division_id: String,
    /// The branch its leads go to unless an inquiry names another.
    pub branch_id: Option<String>,
    /// The `source` of its leads.
    pub lead_source: LeadSource,
    /// The key's first characters (`rik_` and 8 more), to tell keys apart.
    pub key_prefix: String,
    /// Inquiries accepted per minute.
    pub rate_limit_per_minute: i32,
    /// Whether its key works.
    pub active: bool,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed (a key rotation included).
    pub updated_at: DateTime<Utc>,
}

/// An intake source with its new key: the only time the key is shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IntakeSourceWithKey {
    /// The key, `rik_<8 characters>_<secret>`: send it as `X-Intake-Key`.
    /// Only its digest is stored; it cannot be shown again.
    pub key: String,
    /// The source.
    pub intake_source: IntakeSourceResponse,
}

/// Query parameters for listing intake sources.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IntakeSourceListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `name` (default) or `created_at`, `-` for descending.
    pub sort: Option<String>,
    /// Only this division's sources.
    pub division_id: Option<String>,
    /// Only active (`true`) or inactive (`false`) sources.
    pub active: Option<bool>,
}

/// Sort keys for intake sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeSourceSort {
    /// By name.
    Name,
    /// By creation.
    CreatedAt,
}

impl SortKey for IntakeSourceSort {
    const ALL: &'static [(&'static str, Self)] = &[("name", Self::Name), ("created_at", Self::CreatedAt)];
    const DEFAULT: (Self, Direction) = (Self::Name, Direction::Asc);
}

/// An inquiry from a web form or messaging middleware.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Adaeze Okafor",
    "phone": "0803 123 4567",
    "email": "ada@example.com",
    "message": "Is the Hilux available for a test drive on Saturday?",
    "product_interest": "Toyota Hilux",
    "external_id": "form-submission-81723"
}))]
pub struct IntakeLead {
    /// The person's name, at most 200 characters; required.
    #[serde(default)]
    pub name: Option<String>,
    /// Their phone in any usual form (`0803 123 4567`, `+234…`, `234…`);
    /// stored in E.164. A phone or an email is required.
    #[serde(default)]
    pub phone: Option<String>,
    /// Their email; stored lower-cased.
    #[serde(default)]
    pub email: Option<String>,
    /// What they wrote, at most 2,000 characters.
    #[serde(default)]
    pub message: Option<String>,
    /// What they are interested in, at most 200 characters.
    #[serde(default)]
    pub product_interest: Option<String>,
    /// A branch of the source's division, instead of the source's own.
    #[serde(default)]
    pub branch_id: Option<String>,
    /// Your id for this submission, at most 100 characters: a retry with
    /// the same id returns the first outcome and records nothing new.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Custom field values (entity `lead`) by key, for a new lead.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
}

/// What became of an inquiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntakeOutcome {
    /// A new prospect lead.
    Created,
    /// A new lead for the existing customer it matched.
    CreatedForCustomer,
    /// Recorded on the open lead it matched; no new lead.
    AttachedToLead,
}

impl IntakeOutcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::CreatedForCustomer => "created_for_customer",
            Self::AttachedToLead => "attached_to_lead",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Created, Self::CreatedForCustomer, Self::AttachedToLead].into_iter().find(|o| o.as_str() == raw)
    }

    /// Whether a lead was created.
    pub fn created(self) -> bool {
        self != Self::AttachedToLead
    }
}

/// The answer to an inquiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "outcome": "attached_to_lead",
    "lead_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a40",
    "customer_id": null,
    "replayed": false
}))]
pub struct IntakeResult {
    /// What became of it.
    pub outcome: IntakeOutcome,
    /// The lead created or attached to.
    pub lead_id: String,
    /// The customer that lead is for, if any.
    pub customer_id: Option<String>,
    /// True when this answers a retry of an earlier submission (same `external_id`).
    pub replayed: bool,
}
