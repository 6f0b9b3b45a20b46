//! Request and response types for purchases.

use chrono::{DateTime, NaiveDate, Utc};
use rapport_core::money::Money;
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Where a purchase stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseStatus {
    /// Invoiced, not yet paid.
    Invoiced,
    /// Paid.
    Paid,
    /// Cancelled; final, and left out of lifetime value.
    Cancelled,
}

impl PurchaseStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invoiced => "invoiced",
            Self::Paid => "paid",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Invoiced, Self::Paid, Self::Cancelled].into_iter().find(|s| s.as_str() == raw)
    }
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "Toyota Hilux 2.4 GD-6", "sku": "HLX-24", "quantity": "1", "unit_price": {"amount": "38500000.00", "currency": "NGN"}}))]
pub struct PurchaseLine {
    /// What was sold, at most 300 characters.
    pub description: String,
    /// Item code.
    #[serde(default)]
    pub sku: Option<String>,
    /// Decimal quantity greater than zero, e.g. `"1"` or `"4.5"`.
    #[schema(value_type = String, example = "1")]
    pub quantity: rust_decimal::Decimal,
    /// Price of one unit, in the purchase's currency.
    pub unit_price: Money,
    /// quantity × unit price, rounded to the currency's minor unit (computed; ignored on input).
    #[serde(default)]
    pub total: Option<Money>,
}

/// A new purchase.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "customer_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11",
    "division_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a12",
    "invoice_number": "INV-2026-00042",
    "purchased_on": "2026-11-20",
    "lines": [{"description": "Toyota Hilux 2.4 GD-6", "quantity": "1", "unit_price": {"amount": "38500000.00", "currency": "NGN"}}],
    "status": "paid"
}))]
pub struct CreatePurchase {
    /// The buyer.
    pub customer_id: String,
    /// The selling division.
    pub division_id: String,
    /// The selling branch (of that division).
    #[serde(default)]
    pub branch_id: Option<String>,
    /// The system the invoice comes from; `manual` (the default) when entered by hand.
    #[serde(default)]
    pub source: Option<String>,
    /// Invoice number, unique per source, at most 60 characters.
    pub invoice_number: String,
    /// Invoice date; not in the future.
    pub purchased_on: NaiveDate,
    /// The total. Required without lines; with lines it must equal their sum (or be left out).
    #[serde(default)]
    pub amount: Option<Money>,
    /// Invoice lines, at most 200.
    #[serde(default)]
    pub lines: Vec<PurchaseLine>,
    /// Default `invoiced`.
    #[serde(default)]
    pub status: Option<PurchaseStatus>,
    /// The asset sold or serviced, one of the customer's.
    #[serde(default)]
    pub asset_id: Option<String>,
    /// Notes, at most 2,000 characters.
    #[serde(default)]
    pub notes: Option<String>,
}

/// Changes to a purchase; absent fields stay, `null` clears. A cancelled
/// purchase cannot change any more.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "paid", "version": 1}))]
pub struct UpdatePurchase {
    /// New status.
    pub status: Option<PurchaseStatus>,
    /// New branch.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub branch_id: Option<Option<String>>,
    /// New date.
    pub purchased_on: Option<NaiveDate>,
    /// New total (with new lines, or alone when the purchase has none).
    pub amount: Option<Money>,
    /// Replaces the lines.
    pub lines: Option<Vec<PurchaseLine>>,
    /// New asset.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub asset_id: Option<Option<String>>,
    /// Notes.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    /// The version being changed, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// A purchase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PurchaseResponse {
    /// Id.
    pub id: String,
    /// The buyer.
    pub customer_id: String,
    /// The selling division.
    pub division_id: String,
    /// The selling branch.
    pub branch_id: Option<String>,
    /// Source system, `manual` when entered by hand.
    pub source: String,
    /// Invoice number.
    pub invoice_number: String,
    /// Invoice date.
    pub purchased_on: NaiveDate,
    /// Total.
    pub amount: Money,
    /// Status.
    pub status: PurchaseStatus,
    /// The asset sold or serviced.
    pub asset_id: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Lines, in order.
    pub lines: Vec<PurchaseLine>,
    /// Concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing purchases.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PurchaseListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `purchased_on`, `created_at` or `updated_at`; prefix `-` for descending. Default `-purchased_on`.
    pub sort: Option<String>,
    /// Purchases of this customer.
    pub customer_id: Option<String>,
    /// Purchases of this division.
    pub division_id: Option<String>,
    /// Purchases at this branch.
    pub branch_id: Option<String>,
    /// Purchases of this asset.
    pub asset_id: Option<String>,
    /// Purchases in this status.
    pub status: Option<PurchaseStatus>,
    /// Purchases from this source.
    pub source: Option<String>,
    /// Invoice number (exact).
    pub invoice_number: Option<String>,
    /// Purchased on or after this date.
    pub purchased_from: Option<NaiveDate>,
    /// Purchased on or before this date.
    pub purchased_to: Option<NaiveDate>,
    /// Only purchases changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
}

/// Sort keys for purchases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseSort {
    /// By invoice date.
    PurchasedOn,
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

impl SortKey for PurchaseSort {
    const ALL: &'static [(&'static str, Self)] =
        &[("purchased_on", Self::PurchasedOn), ("created_at", Self::CreatedAt), ("updated_at", Self::UpdatedAt)];
    const DEFAULT: (Self, Direction) = (Self::PurchasedOn, Direction::Desc);
}
