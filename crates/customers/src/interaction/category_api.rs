//! Request and response types for interaction categories and the
//! categorisation rules that pick one.

use chrono::{DateTime, Utc};
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api::InteractionChannel;

/// A new interaction category.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "service_booking", "name": "Service booking"}))]
pub struct CreateCategory {
    /// Unique key for integrations: 2-40 of `a-z 0-9 _`, starting with a
    /// letter (upper case is lower-cased).
    pub code: String,
    /// Unique name (case-insensitive), at most 100 characters.
    pub name: String,
}

/// Changes to a category; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Service bookings", "version": 1}))]
pub struct UpdateCategory {
    /// New code.
    pub code: Option<String>,
    /// New name.
    pub name: Option<String>,
    /// `true` archives, `false` restores.
    pub archived: Option<bool>,
    /// The version being changed, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// A category of interactions, e.g. complaint or service booking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CategoryResponse {
    /// Id.
    pub id: String,
    /// Unique key.
    #[schema(example = "service_booking")]
    pub code: String,
    /// Name.
    #[schema(example = "Service booking")]
    pub name: String,
    /// When it was archived; archived categories cannot be newly used.
    pub archived_at: Option<DateTime<Utc>>,
    /// Concurrency version; send it back as `If-Match` to update.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing categories.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CategoryListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `code`, `name`, `created_at` or `updated_at`; prefix `-` for descending. Default `code`.
    pub sort: Option<String>,
    /// Case-insensitive substring of the name or code.
    pub q: Option<String>,
    /// Only categories changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    /// Include archived categories (default false).
    pub include_archived: Option<bool>,
}

/// Sort keys for categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategorySort {
    /// By code.
    Code,
    /// By name.
    Name,
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

impl SortKey for CategorySort {
    const ALL: &'static [(&'static str, Self)] =
        &[("code", Self::Code), ("name", Self::Name), ("created_at", Self::CreatedAt), ("updated_at", Self::UpdatedAt)];
    const DEFAULT: (Self, Direction) = (Self::Code, Direction::Asc);
}

/// A new categorisation rule.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "category_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11",
    "channel": "call",
    "keywords": ["service", "oil change", "booking"],
    "priority": 10
}))]
pub struct CreateRule {
    /// The (active) category it assigns.
    pub category_id: String,
    /// Only interactions on this channel; absent: every channel.
    #[serde(default)]
    pub channel: Option<InteractionChannel>,
    /// 1-20 words or phrases (each at most 100 characters), matched as
    /// whole words, case-insensitively, in the subject or summary.
    pub keywords: Vec<String>,
    /// Lower runs first (default 100), -1,000,000 to 1,000,000.
    #[serde(default)]
    pub priority: Option<i32>,
    /// Whether it applies (default true).
    #[serde(default)]
    pub active: Option<bool>,
}

/// Changes to a rule; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false, "version": 1}))]
pub struct UpdateRule {
    /// New category.
    pub category_id: Option<String>,
    /// New channel; `null`: every channel.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<InteractionChannel>)]
    pub channel: Option<Option<InteractionChannel>>,
    /// New keywords (replace the old ones).
    pub keywords: Option<Vec<String>>,
    /// New priority.
    pub priority: Option<i32>,
    /// Switch it on or off.
    pub active: Option<bool>,
    /// The version being changed, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// A rule that categorises interactions arriving without a category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleResponse {
    /// Id.
    pub id: String,
    /// The category it assigns.
    pub category_id: String,
    /// Only this channel; `null`: every channel.
    pub channel: Option<InteractionChannel>,
    /// Lower-case words or phrases.
    pub keywords: Vec<String>,
    /// Lower runs first.
    pub priority: i32,
    /// Whether it applies.
    pub active: bool,
    /// Concurrency version; send it back as `If-Match` to update.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing rules.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RuleListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `priority`, `created_at` or `updated_at`; prefix `-` for descending.
    /// Default `priority` (the order rules are tried in).
    pub sort: Option<String>,
    /// Only rules assigning this category.
    pub category_id: Option<String>,
    /// Only rules for this channel.
    pub channel: Option<InteractionChannel>,
    /// Only active (`true`) or inactive (`false`) rules.
    pub active: Option<bool>,
    /// Only rules changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
}

/// Sort keys for rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSort {
    /// By priority (the order they are tried in).
    Priority,
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

impl SortKey for RuleSort {
    const ALL: &'static [(&'static str, Self)] =
        &[("priority", Self::Priority), ("created_at", Self::CreatedAt), ("updated_at", Self::UpdatedAt)];
    const DEFAULT: (Self, Direction) = (Self::Priority, Direction::Asc);
}
