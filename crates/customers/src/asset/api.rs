//! Request and response types for assets and their usage readings.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// What kind of thing an asset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    /// A car, truck or motorcycle; usage in km by default.
    Vehicle,
    /// A generator; usage in running hours by default.
    Generator,
    /// Anything else; usage in hours by default.
    Other,
}

impl AssetKind {
    /// Every kind.
    pub const ALL: [AssetKind; 3] = [AssetKind::Vehicle, AssetKind::Generator, AssetKind::Other];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vehicle => "vehicle",
            Self::Generator => "generator",
            Self::Other => "other",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The unit usage is counted in unless another is given.
    pub fn default_unit(self) -> UsageUnit {
        match self {
            Self::Vehicle => UsageUnit::Km,
            Self::Generator | Self::Other => UsageUnit::Hours,
        }
    }
}

/// The unit of an asset's usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsageUnit {
    /// Kilometres (odometer).
    Km,
    /// Running hours (hour meter).
    Hours,
}

impl UsageUnit {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Km => "km",
            Self::Hours => "hours",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Km, Self::Hours].into_iter().find(|u| u.as_str() == raw)
    }
}

/// Where an asset stands against its next service, as of today (Africa/Lagos).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// Not due yet.
    Ok,
    /// Within the rule's due-soon margin of days or usage.
    DueSoon,
    /// Past the due date, or at or over the due usage.
    Overdue,
    /// No service rule applies, or too little is known to project.
    Unknown,
}

/// A new asset.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "customer_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11",
    "division_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a12",
    "kind": "vehicle", "make": "Toyota", "model": "Corolla", "model_year": 2024,
    "serial": "JTDBR32E720012345", "plate": "LAG 123-XY",
    "purchase_date": "2024-03-01", "warranty_end": "2027-03-01", "last_usage": 18250
}))]
pub struct CreateAsset {
    /// The owner; must be a customer you can see. The customer is linked to
    /// the asset's division.
    pub customer_id: String,
    /// The division that sold or services it; defaults to your own division.
    #[serde(default)]
    pub division_id: Option<String>,
    /// `vehicle`, `generator` or `other`.
    pub kind: AssetKind,
    /// Make, e.g. `Toyota`, `Mikano`; at most 60 characters. Service rules match on it.
    #[serde(default)]
    pub make: Option<String>,
    /// Model, e.g. `Corolla`; at most 60 characters.
    #[serde(default)]
    pub model: Option<String>,
    /// Model year, 1900 to next year.
    #[serde(default)]
    pub model_year: Option<i32>,
    /// VIN or serial number; stored upper-case without spaces, dashes or dots; unique.
    #[serde(default)]
    pub serial: Option<String>,
    /// Registration plate; stored upper-case without spaces, dashes or dots.
    #[serde(default)]
    pub plate: Option<String>,
    /// Purchase date, not in the future.
    #[serde(default)]
    pub purchase_date: Option<NaiveDate>,
    /// Last day of the warranty; not before the purchase date.
    #[serde(default)]
    pub warranty_end: Option<NaiveDate>,
    /// `km` or `hours`; defaults to `km` for vehicles and `hours` otherwise.
    #[serde(default)]
    pub usage_unit: Option<UsageUnit>,
    /// Current odometer or hour-meter value; recorded as a reading.
    #[serde(default)]
    pub last_usage: Option<i64>,
    /// When `last_usage` was read; defaults to now.
    #[serde(default)]
    pub last_usage_at: Option<DateTime<Utc>>,
    /// Values of asset custom fields, by key.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    /// The system the asset comes from, e.g. `oracle_erp` (with `external_id`).
    #[serde(default)]
    pub external_source: Option<String>,
    /// The asset's id there; unique per source.
    #[serde(default)]
    pub external_id: Option<String>,
}

/// Changes to an asset; absent fields stay as they are, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"plate": "ABJ 456-KL", "last_usage": 21000, "version": 2}))]
pub struct UpdateAsset {
    /// A new owner (a customer you can see).
    pub customer_id: Option<String>,
    /// Another division (within your reach).
    pub division_id: Option<String>,
    /// Kind.
    pub kind: Option<AssetKind>,
    /// Make.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub make: Option<Option<String>>,
    /// Model.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub model: Option<Option<String>>,
    /// Model year.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<i32>)]
    pub model_year: Option<Option<i32>>,
    /// VIN or serial.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub serial: Option<Option<String>>,
    /// Plate.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub plate: Option<Option<String>>,
    /// Purchase date.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub purchase_date: Option<Option<NaiveDate>>,
    /// Warranty end.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub warranty_end: Option<Option<NaiveDate>>,
    /// Usage unit.
    pub usage_unit: Option<UsageUnit>,
    /// A new odometer or hour-meter value; recorded as a reading (it may not
    /// be below an earlier reading).
    pub last_usage: Option<i64>,
    /// When `last_usage` was read; defaults to now.
    pub last_usage_at: Option<DateTime<Utc>>,
    /// Sets the custom fields given (`null` clears one); others stay.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<BTreeMap<String, serde_json::Value>>,
    /// External system.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub external_source: Option<Option<String>>,
    /// Id in the external system.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    /// `true` archives, `false` restores.
    pub archived: Option<bool>,
    /// The version being changed, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// An asset a customer owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AssetResponse {
    /// Id.
    pub id: String,
    /// The owner.
    pub customer_id: String,
    /// The division it belongs to.
    pub division_id: String,
    /// Kind.
    pub kind: AssetKind,
    /// Make.
    #[schema(example = "Toyota")]
    pub make: Option<String>,
    /// Model.
    #[schema(example = "Corolla")]
    pub model: Option<String>,
    /// Model year.
    pub model_year: Option<i32>,
    /// VIN or serial, normalised.
    #[schema(example = "JTDBR32E720012345")]
    pub serial: Option<String>,
    /// Plate, normalised.
    #[schema(example = "LAG123XY")]
    pub plate: Option<String>,
    /// Purchase date.
    pub purchase_date: Option<NaiveDate>,
    /// Warranty end.
    pub warranty_end: Option<NaiveDate>,
    /// Whether the warranty runs today (Africa/Lagos).
    pub under_warranty: bool,
    /// `km` or `hours`.
    pub usage_unit: UsageUnit,
    /// The latest reading's usage.
    pub last_usage: Option<i64>,
    /// When it was read.
    pub last_usage_at: Option<DateTime<Utc>>,
    /// The latest scheduled service.
    pub last_service_on: Option<NaiveDate>,
    /// Usage at that service.
    pub last_service_usage: Option<i64>,
    /// The next service is due on this date (projected; see `docs/assets-and-service.md`).
    pub next_service_due_on: Option<NaiveDate>,
    /// The next service is due at this usage.
    pub next_service_due_usage: Option<i64>,
    /// The service counts as due soon from this date.
    pub service_due_soon_on: Option<NaiveDate>,
    /// The service counts as due soon from this usage.
    pub service_due_soon_usage: Option<i64>,
    /// Where the asset stands today.
    pub service_status: ServiceStatus,
    /// Custom field values by key.
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    /// External system.
    pub external_source: Option<String>,
    /// Id in the external system.
    pub external_id: Option<String>,
    /// When archived.
    pub archived_at: Option<DateTime<Utc>>,
    /// Concurrency version; send it back as `If-Match` to update.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing assets. Custom fields filter with `cf.<key>=<value>`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssetListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `created_at`, `updated_at` or `next_service_due_on` (assets without a
    /// due date last); prefix `-` for descending. Default `-created_at`.
    pub sort: Option<String>,
    /// Part of the make or model, or of the plate or VIN/serial.
    pub q: Option<String>,
    /// Assets of this customer.
    pub customer_id: Option<String>,
    /// Assets of this division.
    pub division_id: Option<String>,
    /// `vehicle`, `generator` or `other`.
    pub kind: Option<AssetKind>,
    /// `ok`, `due_soon`, `overdue` or `unknown`, as of today (Africa/Lagos).
    pub service_status: Option<ServiceStatus>,
    /// Exact plate, in any typed form (`LAG 123-XY` finds `LAG123XY`).
    pub plate: Option<String>,
    /// Exact VIN or serial, in any typed form.
    pub serial: Option<String>,
    /// Only assets changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    /// Include archived assets (default false).
    pub include_archived: Option<bool>,
}

/// Sort keys for assets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetSort {
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
    /// By next service date, assets without one last.
    NextServiceDueOn,
}

impl SortKey for AssetSort {
    const ALL: &'static [(&'static str, Self)] = &[
        ("created_at", Self::CreatedAt),
        ("updated_at", Self::UpdatedAt),
        ("next_service_due_on", Self::NextServiceDueOn),
    ];
    const DEFAULT: (Self, Direction) = (Self::CreatedAt, Direction::Desc);
}

/// A new usage reading.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"usage": 24310, "read_at": "2026-11-20T09:30:00Z"}))]
pub struct CreateReading {
    /// Odometer (km) or hour-meter value; not below a reading taken earlier,
    /// not above one taken later.
    pub usage: i64,
    /// When it was read; defaults to now; not in the future.
    #[serde(default)]
    pub read_at: Option<DateTime<Utc>>,
    /// Where it came from, 1-40 of `a-z 0-9 _ -`; default `manual`
    /// (`asset` and `service_record` are set by the system).
    #[serde(default)]
    pub source: Option<String>,
}

/// A usage reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReadingResponse {
    /// Id (a service record's reading has the record's id).
    pub id: String,
    /// The asset.
    pub asset_id: String,
    /// When it was read.
    pub read_at: DateTime<Utc>,
    /// km or hours.
    pub usage: i64,
    /// `manual`, `asset` (given with the asset), `service_record`, or an integration's name.
    pub source: String,
    /// The user who recorded it.
    pub recorded_by: Option<String>,
    /// Recorded.
    pub created_at: DateTime<Utc>,
}

/// Query parameters for listing an asset's readings.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadingListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `read_at`; prefix `-` for descending. Default `-read_at` (newest first).
    pub sort: Option<String>,
}

/// Sort keys for readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadingSort {
    /// By reading time.
    ReadAt,
}

impl SortKey for ReadingSort {
    const ALL: &'static [(&'static str, Self)] = &[("read_at", Self::ReadAt)];
    const DEFAULT: (Self, Direction) = (Self::ReadAt, Direction::Desc);
}
