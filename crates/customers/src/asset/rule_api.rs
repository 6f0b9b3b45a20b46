//! Request and response types for service rules.

use chrono::{DateTime, Utc};
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api::AssetKind;

/// A new service rule.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "asset_kind": "vehicle", "make": "Toyota", "model": "Corolla",
    "interval_usage": 10000, "interval_months": 6
}))]
pub struct CreateServiceRule {
    /// The kind of asset it applies to.
    pub asset_kind: AssetKind,
    /// The make it applies to (case-insensitive), at most 60 characters.
    pub make: String,
    /// The model it applies to (case-insensitive); absent: every model of
    /// the make without a rule of its own.
    #[serde(default)]
    pub model: Option<String>,
    /// Service every this many km (or hours), 1 to 10,000,000.
    #[serde(default)]
    pub interval_usage: Option<i64>,
    /// Service every this many months, 1 to 120. At least one interval is
    /// required; with both, whichever comes first.
    #[serde(default)]
    pub interval_months: Option<i32>,
    /// "Due soon" this many days before the due date, 0 to 365 (default 30).
    #[serde(default)]
    pub due_soon_days: Option<i32>,
    /// "Due soon" this much usage before the due usage, below `interval_usage`
    /// (default 10 % of it).
    #[serde(default)]
    pub due_soon_usage: Option<i64>,
}

/// Changes to a service rule; absent fields stay as they are, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"interval_usage": 5000, "version": 1}))]
pub struct UpdateServiceRule {
    /// Asset kind.
    pub asset_kind: Option<AssetKind>,
    /// Make.
    pub make: Option<String>,
    /// Model; `null` makes the rule apply to every model of the make.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub model: Option<Option<String>>,
    /// Usage interval.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<i64>)]
    pub interval_usage: Option<Option<i64>>,
    /// Months interval.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<i32>)]
    pub interval_months: Option<Option<i32>>,
    /// Due-soon days.
    pub due_soon_days: Option<i32>,
    /// Due-soon usage; `null` returns to the default (10 % of the interval).
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<i64>)]
    pub due_soon_usage: Option<Option<i64>>,
    /// The version being changed, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// A service interval for a make (and optionally a model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ServiceRuleResponse {
    /// Id.
    pub id: String,
    /// Asset kind.
    pub asset_kind: AssetKind,
    /// Make, as written.
    #[schema(example = "Toyota")]
    pub make: String,
    /// Model, as written; `null`: every model without its own rule.
    pub model: Option<String>,
    /// Every this many km or hours.
    pub interval_usage: Option<i64>,
    /// Every this many months.
    pub interval_months: Option<i32>,
    /// Due-soon days.
    pub due_soon_days: i32,
    /// Due-soon usage as set; `null` means the default.
    pub due_soon_usage: Option<i64>,
    /// The due-soon usage that applies (the set one, else 10 % of the interval).
    pub effective_due_soon_usage: Option<i64>,
    /// Concurrency version; send it back as `If-Match` to update.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing service rules.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServiceRuleListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `make`, `created_at` or `updated_at`; prefix `-` for descending. Default `make`.
    pub sort: Option<String>,
    /// Rules for this asset kind.
    pub asset_kind: Option<AssetKind>,
    /// Rules for this make (case-insensitive).
    pub make: Option<String>,
    /// Part of the make or model.
    pub q: Option<String>,
    /// Only rules changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
}

/// Sort keys for service rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceRuleSort {
    /// By make (case-insensitive).
    Make,
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

impl SortKey for ServiceRuleSort {
    const ALL: &'static [(&'static str, Self)] =
        &[("make", Self::Make), ("created_at", Self::CreatedAt), ("updated_at", Self::UpdatedAt)];
    const DEFAULT: (Self, Direction) = (Self::Make, Direction::Asc);
}
