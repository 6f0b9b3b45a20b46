//! Request and response types for divisions and branches.

use chrono::{DateTime, Utc};
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A new division.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "MOT", "name": "Motors"}))]
pub struct CreateDivision {
    /// Unique short code, 2-12 of `A-Z 0-9 - _` (lower case is upper-cased);
    /// prefixes human-friendly numbers such as `MOT-000123`.
    pub code: String,
    /// Unique name (case-insensitive), at most 100 characters.
    pub name: String,
    /// Default business calendar of the division's branches.
    #[serde(default)]
    pub calendar_id: Option<String>,
}

/// Changes to a division; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Motors & Mobility", "version": 1}))]
pub struct UpdateDivision {
    /// New code.
    pub code: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New calendar; `null` clears it.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub calendar_id: Option<Option<String>>,
    /// `true` archives, `false` restores.
    pub archived: Option<bool>,
    /// The version being changed, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// A division of the company.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DivisionResponse {
    /// Id.
    pub id: String,
    /// Short code.
    #[schema(example = "MOT")]
    pub code: String,
    /// Name.
    #[schema(example = "Motors")]
    pub name: String,
    /// Default business calendar.
    pub calendar_id: Option<String>,
    /// When it was archived; archived divisions are hidden from lists by default.
    pub archived_at: Option<DateTime<Utc>>,
    /// Concurrency version; send it back as `If-Match` to update.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing divisions.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DivisionListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `code`, `name`, `created_at` or `updated_at`; prefix `-` for descending. Default `code`.
    pub sort: Option<String>,
    /// Case-insensitive substring of the name or code.
    pub q: Option<String>,
    /// Exact code (case-insensitive).
    pub code: Option<String>,
    /// Only divisions changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    /// Include archived divisions (default false).
    pub include_archived: Option<bool>,
}

/// Sort keys for divisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DivisionSort {
    /// By code.
    Code,
    /// By name.
    Name,
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

impl SortKey for DivisionSort {
    const ALL: &'static [(&'static str, Self)] =
        &[("code", Self::Code), ("name", Self::Name), ("created_at", Self::CreatedAt), ("updated_at", Self::UpdatedAt)];
    const DEFAULT: (Self, Direction) = (Self::Code, Direction::Asc);
}

/// A new branch.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "division_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11",
    "code": "MOT-VI",
    "name": "Victoria Island",
    "address": "Plot 12, Adeola Odeku Street",
    "city": "Lagos",
    "state": "Lagos",
    "country_code": "NG"
}))]
pub struct CreateBranch {
    /// The division it belongs to (must be active).
    pub division_id: String,
    /// Unique short code, 2-12 of `A-Z 0-9 - _`.
    pub code: String,
    /// Name, at most 100 characters.
    pub name: String,
    /// Street address.
    #[serde(default)]
    pub address: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// State or region.
    #[serde(default)]
    pub state: Option<String>,
    /// ISO 3166-1 alpha-2 country code (default `NG`).
    #[serde(default)]
    pub country_code: Option<String>,
    /// Business calendar; when absent the division's applies.
    #[serde(default)]
    pub calendar_id: Option<String>,
}

/// Changes to a branch; absent fields stay as they are, `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"city": "Lagos", "version": 1}))]
pub struct UpdateBranch {
    /// Move the branch to another (active) division.
    pub division_id: Option<String>,
    /// New code.
    pub code: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// New address.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    /// New city.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub city: Option<Option<String>>,
    /// New state.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub state: Option<Option<String>>,
    /// New country code.
    pub country_code: Option<String>,
    /// New calendar; `null` falls back to the division's.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub calendar_id: Option<Option<String>>,
    /// `true` archives, `false` restores.
    pub archived: Option<bool>,
    /// The version being changed, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// A branch of a division.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BranchResponse {
    /// Id.
    pub id: String,
    /// The division.
    pub division_id: String,
    /// Short code.
    #[schema(example = "MOT-VI")]
    pub code: String,
    /// Name.
    #[schema(example = "Victoria Island")]
    pub name: String,
    /// Street address.
    pub address: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region.
    pub state: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country_code: String,
    /// The branch's own calendar, if set.
    pub calendar_id: Option<String>,
    /// The calendar that applies: the branch's own, else its division's.
    pub effective_calendar_id: Option<String>,
    /// When it was archived.
    pub archived_at: Option<DateTime<Utc>>,
    /// Concurrency version; send it back as `If-Match` to update.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing branches.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BranchListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `code`, `name`, `created_at` or `updated_at`; prefix `-` for descending. Default `code`.
    pub sort: Option<String>,
    /// Case-insensitive substring of the name or code.
    pub q: Option<String>,
    /// Only branches of this division.
    pub division_id: Option<String>,
    /// Exact city (case-insensitive).
    pub city: Option<String>,
    /// Only branches changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    /// Include archived branches (default false).
    pub include_archived: Option<bool>,
}

/// Sort keys for branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchSort {
    /// By code.
    Code,
    /// By name.
    Name,
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

impl SortKey for BranchSort {
    const ALL: &'static [(&'static str, Self)] =
        &[("code", Self::Code), ("name", Self::Name), ("created_at", Self::CreatedAt), ("updated_at", Self::UpdatedAt)];
    const DEFAULT: (Self, Direction) = (Self::Code, Direction::Asc);
}
