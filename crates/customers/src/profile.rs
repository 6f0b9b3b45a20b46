//! The 360° profile: one customer with contacts, assets and their service
//! status, purchases with lifetime value per division, service history and
//! recent interactions, in one response and a fixed number of queries
//! whatever the customer's history (each section is capped and says how many
//! records there are in all).

use chrono::NaiveDate;
use diesel::dsl::{count_star, max, sql};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable};
use rapport_core::db::Conn;
use rapport_core::db::schema::{assets, interactions, purchases, service_records};
use rapport_core::money::Money;
use rapport_core::principal::{Reach, Scope};
use rapport_core::{Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::asset::api::{AssetListQuery, AssetResponse};
use crate::customer::api::CustomerResponse;
use crate::customer::contacts::{self, ContactListQuery, ContactResponse};
use crate::customer::store::{self as customers, Found};
use crate::interaction::api::{InteractionListQuery, InteractionResponse};
use crate::purchase::api::{PurchaseListQuery, PurchaseResponse};
use crate::service::api::{ServiceRecordListQuery, ServiceRecordResponse};

/// Assets shown in a profile.
const ASSETS: i64 = 50;
/// Purchases, service records and interactions shown in a profile.
const RECENT: i64 = 20;

/// What the caller may see of each part of a profile.
#[derive(Debug, Clone)]
pub struct ProfileReach {
    /// Customers (decides whether the profile is found at all).
    pub customers: Reach,
    /// Assets.
    pub assets: Reach,
    /// Purchases.
    pub purchases: Reach,
    /// Service records.
    pub service_records: Reach,
    /// Interactions.
    pub interactions: Reach,
}

/// Some of a customer's records, and how many there are in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Section<T: ToSchema> {
    /// Records within the caller's scope, in all.
    pub total: i64,
    /// The most relevant of them: the newest assets, the most recent
    /// purchases, service records and interactions.
    pub items: Vec<T>,
}

/// Lifetime value in one division and currency (cancelled purchases left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DivisionValue {
    /// The division.
    pub division_id: String,
    /// Sum of the purchases' amounts.
    pub amount: Money,
    /// Purchases counted.
    pub purchases: i64,
    /// The latest purchase date.
    pub last_purchased_on: Option<NaiveDate>,
}

/// Purchases and lifetime value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PurchaseSection {
    /// Purchases within the caller's scope, in all (cancelled included).
    pub total: i64,
    /// The most recent.
    pub items: Vec<PurchaseResponse>,
    /// Lifetime value per division and currency.
    pub lifetime_value: Vec<DivisionValue>,
}

/// Everything about one customer, in one response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Profile {
    /// Identity, contact details, divisions, consent and preferences.
    pub customer: CustomerResponse,
    /// A company's contacts (the first 50 by name).
    pub contacts: Vec<ContactResponse>,
    /// Assets with their service status, newest first.
    pub assets: Section<AssetResponse>,
    /// Purchases, most recent first, with lifetime value.
    pub purchases: PurchaseSection,
    /// Service records, most recent first.
    pub service_history: Section<ServiceRecordResponse>,
    /// Interactions, most recent first.
    pub interactions: Section<InteractionResponse>,
}

/// The profile of customer `id`, or where it was merged to.
pub fn profile(conn: &mut Conn, reach: &ProfileReach, id: &str) -> Result<std::result::Result<Profile, Found>> {
    let customer = match customers::get(conn, &reach.customers, id)? {
        Found::Customer(c) => *c,
        merged @ Found::Merged { .. } => return Ok(Err(merged)),
    };
    let contacts = if customer.kind == crate::customer::api::CustomerKind::Company {
        contacts::list(conn, &reach.customers, id, &ContactListQuery::default())?.items
    } else {
        Vec::new()
    };
    let assets = crate::asset::list::list(
        conn,
        &reach.assets,
        &AssetListQuery { customer_id: Some(id.to_owned()), limit: Some(ASSETS), ..Default::default() },
        &[],
    )?
    .items;
    let purchase_items = crate::purchase::store::list(
        conn,
        &reach.purchases,
        &PurchaseListQuery { customer_id: Some(id.to_owned()), limit: Some(RECENT), ..Default::default() },
    )?
    .items;
    let service_items = crate::service::store::list(
        conn,
        &reach.service_records,
        &ServiceRecordListQuery { customer_id: Some(id.to_owned()), limit: Some(RECENT), ..Default::default() },
    )?
    .items;
    let interaction_items = crate::interaction::store::list(
        conn,
        &reach.interactions,
        &InteractionListQuery { customer_id: Some(id.to_owned()), limit: Some(RECENT), ..Default::default() },
    )?
    .items;
    let totals = Totals::load(conn, reach, id)?;
    Ok(Ok(Profile {
        customer,
        contacts,
        assets: Section { total: totals.assets, items: assets },
        purchases: PurchaseSection {
            total: totals.purchases,
            items: purchase_items,
            lifetime_value: lifetime_value(conn, &reach.purchases, id)?,
        },
        service_history: Section { total: totals.service_records, items: service_items },
        interactions: Section { total: totals.interactions, items: interaction_items },
    }))
}

/// Record counts per section, each within its own reach.
struct Totals {
    assets: i64,
    purchases: i64,
    service_records: i64,
    interactions: i64,
}

/// A division-scoped reach filters by division; anything narrower than a
/// division sees none of these division records.
fn division_filter(reach: &Reach) -> Option<Option<String>> {
    match reach.scope {
        Scope::All => None,
        Scope::Division => Some(Some(reach.own_division().to_owned())),
        Scope::Branch | Scope::Own => Some(None),
    }
}

/// `(division, every division)` for a filter `division_id = $1 OR $2`:
/// one statement shape for every scope, so the counts go in one round trip.
fn division_binds(reach: &Reach) -> (String, bool) {
    match division_filter(reach) {
        None => (String::new(), true),
        Some(division) => (division.unwrap_or_default(), false),
    }
}

macro_rules! count_within {
    ($reach:expr, $table:ident, $customer:expr) => {{
        let (division, every) = division_binds($reach);
        $table::table
            .filter($table::customer_id.eq($customer.to_owned()))
            .filter($table::division_id.eq(division).or(every.into_sql::<Bool>()))
            .select(count_star())
            .single_value()
    }};
}

impl Totals {
    /// The four counts in one statement (a profile is round-trip bound on PostgreSQL).
    fn load(conn: &mut Conn, reach: &ProfileReach, id: &str) -> Result<Totals> {
        let (asset_division, every_asset) = division_binds(&reach.assets);
        let assets = assets::table
            .filter(assets::customer_id.eq(id.to_owned()))
            .filter(assets::archived_at.is_null())
            .filter(assets::division_id.eq(asset_division).or(every_asset.into_sql::<Bool>()))
            .select(count_star())
            .single_value();
        let (assets, purchases, service_records, interactions) = diesel::select((
            assets,
            count_within!(&reach.purchases, purchases, id),
            count_within!(&reach.service_records, service_records, id),
            count_within!(&reach.interactions, interactions, id),
        ))
        .get_result::<(Option<i64>, Option<i64>, Option<i64>, Option<i64>)>(conn)?;
        Ok(Totals {
            assets: assets.unwrap_or(0),
            purchases: purchases.unwrap_or(0),
            service_records: service_records.unwrap_or(0),
            interactions: interactions.unwrap_or(0),
        })
    }
}

/// (division, currency, sum in minor units, purchases, last purchase date).
type ValueRow = (String, String, Option<i64>, i64, Option<NaiveDate>);

/// Sum of non-cancelled purchases per division and currency, in SQL.
fn lifetime_value(conn: &mut Conn, reach: &Reach, id: &str) -> Result<Vec<DivisionValue>> {
    let mut q = purchases::table
        .filter(purchases::customer_id.eq(id.to_owned()))
        .filter(purchases::status.ne("cancelled"))
        .group_by((purchases::division_id, purchases::currency))
        .select((
            purchases::division_id,
            purchases::currency,
            // SUM of a BIGINT is NUMERIC on PostgreSQL: cast back (an overflow would be an error, not a wrong number).
            sql::<Nullable<BigInt>>("CAST(SUM(purchases.amount_minor) AS BIGINT)"),
            count_star(),
            max(purchases::purchased_on),
        ))
        .order((purchases::division_id, purchases::currency))
        .into_boxed();
    if let Some(division) = division_filter(reach) {
        q = q.filter(purchases::division_id.eq(division.unwrap_or_default()));
    }
    let rows: Vec<ValueRow> = q.load(conn)?;
    rows.into_iter()
        .map(|(division_id, currency, total, purchases, last_purchased_on)| {
            let minor = total.ok_or_else(|| Error::Internal("a group without a sum".to_owned()))?;
            Ok(DivisionValue { division_id, amount: Money::from_minor(minor, &currency), purchases, last_purchased_on })
        })
        .collect()
}
