//! Request and response types for custom field definitions.

use chrono::{DateTime, Utc};
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The kind of record a custom field extends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// Customers.
    Customer,
    /// Assets.
    Asset,
    /// Leads.
    Lead,
    /// Tickets.
    Ticket,
}

impl Entity {
    /// Every entity.
    pub const ALL: [Entity; 4] = [Entity::Customer, Entity::Asset, Entity::Lead, Entity::Ticket];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Asset => "asset",
            Self::Lead => "lead",
            Self::Ticket => "ticket",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == raw)
    }
}

/// The type of a custom field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// A string of at most 1,000 characters.
    Text,
    /// A decimal number (JSON number or decimal string); returned as a decimal string.
    Number,
    /// `{"amount": "…", "currency": "NGN"}`; filtered as `NGN 1250.00`.
    Money,
    /// `YYYY-MM-DD`.
    Date,
    /// `true` or `false`.
    Boolean,
    /// One of the options.
    SingleSelect,
    /// A list of distinct options.
    MultiSelect,
}

impl FieldType {
    /// Every type.
    pub const ALL: [FieldType; 7] = [
        FieldType::Text,
        FieldType::Number,
        FieldType::Money,
        FieldType::Date,
        FieldType::Boolean,
        FieldType::SingleSelect,
        FieldType::MultiSelect,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Money => "money",
            Self::Date => "date",
            Self::Boolean => "boolean",
            Self::SingleSelect => "single_select",
            Self::MultiSelect => "multi_select",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// Whether values must be one of the options.
    pub fn has_options(self) -> bool {
        matches!(self, Self::SingleSelect | Self::MultiSelect)
    }
}

/// A new custom field.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"entity": "customer", "key": "fleet_size", "label": "Fleet size", "field_type": "number"}))]
pub struct CreateCustomField {
    /// The kind of record it extends.
    pub entity: Entity,
    /// Only records of this division have the field; none: every record.
    #[serde(default)]
    pub division_id: Option<String>,
    /// Key in `custom_fields` objects and `cf.<key>` filters: 1-40 of
    /// `a-z 0-9 _`, starting with a letter; unique per entity.
    pub key: String,
    /// Label shown to users, at most 100 characters.
    pub label: String,
    /// The value type.
    pub field_type: FieldType,
    /// Whether a record must have a value (checked when records are created,
    /// and when a value is cleared).
    #[serde(default)]
    pub required: bool,
    /// Allowed values of the select types (1-100 distinct, each at most 100 characters).
    #[serde(default)]
    pub options: Vec<String>,
    /// Display order; default 0.
    #[serde(default)]
    pub position: i32,
}

/// Changes to a custom field. Its entity, key and type never change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "Number of vehicles", "version": 1}))]
pub struct UpdateCustomField {
    /// New label.
    pub label: Option<String>,
    /// New required flag.
    pub required: Option<bool>,
    /// New options (select types); options in use by stored values cannot be removed.
    pub options: Option<Vec<String>>,
    /// New position.
    pub position: Option<i32>,
    /// `true` archives (the field disappears from records), `false` restores.
    pub archived: Option<bool>,
    /// The version being changed, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// A custom field definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomFieldResponse {
    /// Id.
    pub id: String,
    /// The kind of record it extends.
    pub entity: Entity,
    /// Limited to this division.
    pub division_id: Option<String>,
    /// Key.
    pub key: String,
    /// Label.
    pub label: String,
    /// Value type.
    pub field_type: FieldType,
    /// Required.
    pub required: bool,
    /// Options of the select types.
    pub options: Vec<String>,
    /// Display order.
    pub position: i32,
    /// When archived.
    pub archived_at: Option<DateTime<Utc>>,
    /// Concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing custom fields.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomFieldListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `key`, `created_at`; prefix `-` for descending. Default `key`.
    pub sort: Option<String>,
    /// Fields of this entity.
    pub entity: Option<Entity>,
    /// Fields limited to this division.
    pub division_id: Option<String>,
    /// Include archived fields.
    pub include_archived: Option<bool>,
}

/// Sort keys for custom fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomFieldSort {
    /// By key.
    Key,
    /// By creation.
    CreatedAt,
}

impl SortKey for CustomFieldSort {
    const ALL: &'static [(&'static str, Self)] = &[("key", Self::Key), ("created_at", Self::CreatedAt)];
    const DEFAULT: (Self, Direction) = (Self::Key, Direction::Asc);
}
