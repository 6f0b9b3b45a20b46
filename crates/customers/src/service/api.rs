//! Request and response types for service records.

use chrono::{DateTime, NaiveDate, Utc};
use rapport_core::money::Money;
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// What kind of work a service record describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// The periodic service the service rules schedule; moves the asset's last service.
    ScheduledService,
    /// A repair.
    Repair,
    /// Work under warranty.
    Warranty,
    /// An inspection.
    Inspection,
}

impl ServiceKind {
    /// Every kind.
    pub const ALL: [ServiceKind; 4] =
        [ServiceKind::ScheduledService, ServiceKind::Repair, ServiceKind::Warranty, ServiceKind::Inspection];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ScheduledService => "scheduled_service",
            Self::Repair => "repair",
            Self::Warranty => "warranty",
            Self::Inspection => "inspection",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// A new service record.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "asset_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11",
    "branch_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a12",
    "performed_on": "2026-11-20", "kind": "scheduled_service", "usage": 30150,
    "work_done": "30,000 km service: oil, filters, brake check",
    "amount": {"amount": "85000.00", "currency": "NGN"}
}))]
pub struct CreateServiceRecord {
    /// The asset serviced (one you can see).
    pub asset_id: String,
    /// The branch that did the work; must belong to the asset's division.
    #[serde(default)]
    pub branch_id: Option<String>,
    /// The day of the work (Africa/Lagos), not in the future.
    pub performed_on: NaiveDate,
    /// `scheduled_service`, `repair`, `warranty` or `inspection`.
    pub kind: ServiceKind,
    /// Odometer or hour-meter value at the work; recorded as a reading too.
    #[serde(default)]
    pub usage: Option<i64>,
    /// What was done, 1-5,000 characters.
    pub work_done: String,
    /// What it cost the customer.
    #[serde(default)]
    pub amount: Option<Money>,
    /// The ticket the work belongs to (an id).
    #[serde(default)]
    pub ticket_id: Option<String>,
    /// The system the record comes from, e.g. `oracle_erp` (with `external_id`).
    #[serde(default)]
    pub external_source: Option<String>,
    /// The record's id there; unique per source.
    #[serde(default)]
    pub external_id: Option<String>,
}

/// Changes to a service record; absent fields stay as they are, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"work_done": "30,000 km service; replaced wiper blades", "version": 1}))]
pub struct UpdateServiceRecord {
    /// Branch.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub branch_id: Option<Option<String>>,
    /// Day of the work.
    pub performed_on: Option<NaiveDate>,
    /// Kind.
    pub kind: Option<ServiceKind>,
    /// Usage at the work.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<i64>)]
    pub usage: Option<Option<i64>>,
    /// What was done.
    pub work_done: Option<String>,
    /// Cost.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<Money>)]
    pub amount: Option<Option<Money>>,
    /// Ticket.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub ticket_id: Option<Option<String>>,
    /// External system.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub external_source: Option<Option<String>>,
    /// Id in the external system.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    /// The version being changed, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// Work done on an asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ServiceRecordResponse {
    /// Id.
    pub id: String,
    /// The asset.
    pub asset_id: String,
    /// The asset's owner when the work was recorded.
    pub customer_id: String,
    /// The asset's division.
    pub division_id: String,
    /// The branch that did the work.
    pub branch_id: Option<String>,
    /// Day of the work.
    pub performed_on: NaiveDate,
    /// Kind.
    pub kind: ServiceKind,
    /// Usage at the work.
    pub usage: Option<i64>,
    /// What was done.
    pub work_done: String,
    /// Cost.
    pub amount: Option<Money>,
    /// Ticket.
    pub ticket_id: Option<String>,
    /// External system.
    pub external_source: Option<String>,
    /// Id in the external system.
    pub external_id: Option<String>,
    /// Concurrency version; send it back as `If-Match` to update.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing service records.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServiceRecordListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `performed_on`, `created_at` or `updated_at`; prefix `-` for descending.
    /// Default `-performed_on` (latest work first).
    pub sort: Option<String>,
    /// Records of this asset.
    pub asset_id: Option<String>,
    /// Records of this customer.
    pub customer_id: Option<String>,
    /// Records of this division.
    pub division_id: Option<String>,
    /// Records of this kind.
    pub kind: Option<ServiceKind>,
    /// Work done on or after this day.
    pub performed_from: Option<NaiveDate>,
    /// Work done on or before this day.
    pub performed_to: Option<NaiveDate>,
    /// Only records changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
}

/// Sort keys for service records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceRecordSort {
    /// By day of the work.
    PerformedOn,
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

impl SortKey for ServiceRecordSort {
    const ALL: &'static [(&'static str, Self)] =
        &[("performed_on", Self::PerformedOn), ("created_at", Self::CreatedAt), ("updated_at", Self::UpdatedAt)];
    const DEFAULT: (Self, Direction) = (Self::PerformedOn, Direction::Desc);
}
