//! Request and response bodies of a lead conversion.

use chrono::{DateTime, NaiveDate, Utc};
use rapport_core::money::Money;
use rapport_customers::asset::api::{AssetKind, UsageUnit};
use rapport_customers::customer::api::CustomerKind;
use rapport_customers::purchase::api::{PurchaseLine, PurchaseStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::lead::api::LeadResponse;

/// Winning a lead: the customer it becomes (linked, matched or created),
/// the purchase, and for a vehicle or generator the asset.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "purchase": {"invoice_number": "INV-2026-0042", "purchased_on": "2026-11-20",
        "amount": {"amount": "18500000.00", "currency": "NGN"}},
    "asset": {"kind": "vehicle", "make": "Toyota", "model": "Hilux", "model_year": 2026, "serial": "AHTFR22G706012345"},
    "version": 4}))]
pub struct ConvertLead {
    /// The won stage (default: the pipeline's first won stage). A lead
    /// already in a won stage stays there.
    pub stage_id: Option<String>,
    /// When the lead has no customer and none matches the prospect's phone
    /// or email: the kind of customer created from the prospect's details
    /// (default `person`; `company` takes the prospect's name as company name).
    pub customer_kind: Option<CustomerKind>,
    /// The purchase to record.
    pub purchase: Option<ConversionPurchase>,
    /// The asset sold (linked to the purchase).
    pub asset: Option<ConversionAsset>,
    /// The lead's version (or send `If-Match`); optional.
    pub version: Option<i64>,
}

/// The purchase a won lead records (in the lead's division).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversionPurchase {
    /// Invoice number, unique per source.
    pub invoice_number: String,
    /// Invoice date (default: today in UTC).
    #[serde(default)]
    pub purchased_on: Option<NaiveDate>,
    /// Total (default: the lead's expected value).
    #[serde(default)]
    pub amount: Option<Money>,
    /// Line items.
    #[serde(default)]
    pub lines: Vec<PurchaseLine>,
    /// Status (default `invoiced`).
    #[serde(default)]
    pub status: Option<PurchaseStatus>,
    /// Source system (default `manual`).
    #[serde(default)]
    pub source: Option<String>,
    /// Selling branch (default: the lead's).
    #[serde(default)]
    pub branch_id: Option<String>,
    /// Notes.
    #[serde(default)]
    pub notes: Option<String>,
}

/// The asset a won lead sold (owned by the customer, in the lead's division).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversionAsset {
    /// Kind.
    pub kind: AssetKind,
    /// Make.
    #[serde(default)]
    pub make: Option<String>,
    /// Model (default: the lead's product interest).
    #[serde(default)]
    pub model: Option<String>,
    /// Model year.
    #[serde(default)]
    pub model_year: Option<i32>,
    /// VIN or serial number, unique.
    #[serde(default)]
    pub serial: Option<String>,
    /// Registration plate.
    #[serde(default)]
    pub plate: Option<String>,
    /// Warranty end.
    #[serde(default)]
    pub warranty_end: Option<NaiveDate>,
    /// Usage unit (default by kind).
    #[serde(default)]
    pub usage_unit: Option<UsageUnit>,
    /// Mileage or hours at handover.
    #[serde(default)]
    pub last_usage: Option<i64>,
}

/// What a won lead became.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConversionResponse {
    /// The lead, now won and linked to the customer.
    pub lead: LeadResponse,
    /// The customer.
    pub customer_id: String,
    /// Whether the customer was created by this conversion (false: linked or matched).
    pub customer_created: bool,
    /// The purchase, if one was recorded.
    pub purchase_id: Option<String>,
    /// The asset, if one was recorded.
    pub asset_id: Option<String>,
    /// Who converted it.
    pub converted_by: Option<String>,
    /// When.
    pub converted_at: DateTime<Utc>,
}
