//! Converting a won lead, in the caller's one transaction: the customer is
//! the linked one, else the live customer whose phone or email matches the
//! prospect's, else a new one made from the prospect's details; then the
//! asset, the purchase, the move to the won stage and the conversion record.
//! Any failure rolls all of it back. The conversion record (one per lead)
//! makes a repeat return what the first call made instead of doing it again.

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::{lead_conversions, leads, pipeline_stages};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::money::Money;
use rapport_core::principal::Reach;
use rapport_core::{Error, Problems, Result, time, validate};
use rapport_customers::asset::api::CreateAsset;
use rapport_customers::asset::store as assets;
use rapport_customers::customer::api::{CreateCustomer, CustomerKind, EmailAddress, PhoneInput};
use rapport_customers::customer::store as customer_store;
use rapport_customers::purchase::api::CreatePurchase;
use rapport_customers::purchase::store as purchases;

use super::api::{ConversionResponse, ConvertLead};
use crate::kinds::{LeadStatus, StageKind};
use crate::lead::api::MoveLead;
use crate::lead::moves;
use crate::lead::rows::LeadRow;
use crate::lead::store::{ENTITY, actor, find_row, reload};
use crate::pipeline::stages;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lead_conversions)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct ConversionRow {
    lead_id: String,
    customer_id: String,
    purchase_id: Option<String>,
    asset_id: Option<String>,
    converted_by: Option<String>,
    converted_at: chrono::NaiveDateTime,
}

/// The caller's reach over what a conversion creates (none: they may not).
#[derive(Debug, Clone, Copy)]
pub struct Reaches<'a> {
    /// Creating customers.
    pub customers: Option<&'a Reach>,
    /// Recording purchases.
    pub purchases: Option<&'a Reach>,
    /// Recording assets.
    pub assets: Option<&'a Reach>,
}

fn refused(what: &str) -> Error {
    Error::Forbidden(format!("converting this lead records {what}, which your role may not"))
}

/// Converts lead `id` within `reach`. Returns what it became and whether
/// this call made it (false: an earlier call did, nothing was changed).
pub fn convert(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    reaches: Reaches<'_>,
    id: &str,
    version: Option<i64>,
    input: ConvertLead,
) -> Result<(ConversionResponse, bool)> {
    let row = find_row(conn, reach, id)?;
    if let Some(done) = lead_conversions::table
        .filter(lead_conversions::lead_id.eq(id))
        .select(ConversionRow::as_select())
        .first(conn)
        .optional()?
    {
        return Ok((response(conn, done, false)?, false));
    }
    let mut p = Problems::new();
    let stage_id = input.stage_id.as_deref().map(|s| validate::id_ref(&mut p, "stage_id", s));
    if let Some(purchase) = &input.purchase {
        validate::required_text(&mut p, "purchase.invoice_number", &purchase.invoice_number, 60);
    }
    p.into_result(())?;
    if row.status == LeadStatus::Lost.as_str() {
        return Err(Error::Conflict {
            code: "lead_lost",
            message: "a lost lead cannot be won; reopen it first".into(),
        });
    }
    if let Some(v) = version
        && v != row.version
    {
        return Err(Error::StaleVersion { current: row.version });
    }
    let won_stage = won_stage(conn, &row, stage_id.as_deref())?;
    let (customer_id, customer_created) = customer_for(conn, ctx, reaches, &row, input.customer_kind)?;
    let purchased_on = input.purchase.as_ref().and_then(|p| p.purchased_on).unwrap_or_else(|| time::now().date());
    let asset_id = match input.asset {
        Some(asset) => {
            let reach = reaches.assets.ok_or_else(|| refused("an asset"))?;
            let create = CreateAsset {
                customer_id: customer_id.clone(),
                division_id: Some(row.division_id.clone()),
                kind: asset.kind,
                make: asset.make,
                model: asset.model.or_else(|| row.product_interest.clone()),
                model_year: asset.model_year,
                serial: asset.serial,
                plate: asset.plate,
                purchase_date: Some(purchased_on),
                warranty_end: asset.warranty_end,
                usage_unit: asset.usage_unit,
                last_usage: asset.last_usage,
                last_usage_at: None,
                custom_fields: Default::default(),
                external_source: None,
                external_id: None,
            };
            Some(assets::create(conn, ctx, reach, create)?.id)
        }
        None => None,
    };
    let purchase_id = match input.purchase {
        Some(purchase) => {
            let reach = reaches.purchases.ok_or_else(|| refused("a purchase"))?;
            let expected = match (&row.currency, row.expected_value_minor) {
                (Some(c), Some(m)) => Some(Money::from_minor(m, c)),
                _ => None,
            };
            let create = CreatePurchase {
                customer_id: customer_id.clone(),
                division_id: row.division_id.clone(),
                branch_id: purchase.branch_id.or_else(|| row.branch_id.clone()),
                source: purchase.source,
                invoice_number: purchase.invoice_number,
                purchased_on,
                amount: purchase.amount.or(expected),
                lines: purchase.lines,
                status: purchase.status,
                asset_id: asset_id.clone(),
                notes: purchase.notes,
            };
            // The customer was found or made here, so no customer scope applies.
            Some(purchases::create(conn, ctx, reach, &Reach::everything(), create)?.id)
        }
        None => None,
    };
    let mut version = row.version;
    if let Some(stage) = won_stage {
        let step = MoveLead { to_stage_id: stage, lost_reason_id: None, lost_note: None, version: Some(version) };
        version = moves::move_stage(conn, ctx, reach, id, version, step)?.version;
    }
    if row.customer_id.as_deref() != Some(customer_id.as_str()) {
        let before = reload(conn, id)?;
        diesel::update(leads::table.filter(leads::id.eq(id)).filter(leads::version.eq(version)))
            .set((
                leads::customer_id.eq(&customer_id),
                leads::version.eq(version + 1),
                leads::updated_at.eq(time::now()),
            ))
            .cached()
            .execute(conn)?;
        let after = reload(conn, id)?;
        audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    }
    let done = ConversionRow {
        lead_id: id.to_owned(),
        customer_id,
        purchase_id,
        asset_id,
        converted_by: actor(reach),
        converted_at: time::now(),
    };
    diesel::insert_into(lead_conversions::table).values(&done).execute(conn)?;
    Ok((response(conn, done, customer_created)?, true))
}

fn response(conn: &mut Conn, row: ConversionRow, customer_created: bool) -> Result<ConversionResponse> {
    Ok(ConversionResponse {
        lead: reload(conn, &row.lead_id)?,
        customer_id: row.customer_id,
        customer_created,
        purchase_id: row.purchase_id,
        asset_id: row.asset_id,
        converted_by: row.converted_by,
        converted_at: time::utc(row.converted_at),
    })
}

/// The won stage to move the lead to: `stage_id` (which must be a won stage
/// of its division), else its pipeline's first won stage; none when the
/// lead is already won and no other stage is asked for.
fn won_stage(conn: &mut Conn, row: &LeadRow, stage_id: Option<&str>) -> Result<Option<String>> {
    match stage_id {
        Some(s) if s == row.stage_id => Ok(None),
        Some(s) => {
            let stage = stages::enterable(conn, "stage_id", s, &row.division_id)?;
            if stage.kind != StageKind::Won {
                return Err(Error::invalid("stage_id", "not_won", "a conversion moves the lead to a won stage"));
            }
            Ok(Some(stage.stage_id))
        }
        None if row.status == LeadStatus::Won.as_str() => Ok(None),
        None => {
            let first: Option<String> = pipeline_stages::table
                .filter(pipeline_stages::pipeline_id.eq(&row.pipeline_id))
                .filter(pipeline_stages::archived_at.is_null())
                .filter(pipeline_stages::kind.eq(StageKind::Won.as_str()))
                .order((pipeline_stages::position, pipeline_stages::id))
                .select(pipeline_stages::id)
                .first(conn)
                .optional()?;
            first.map(Some).ok_or_else(|| Error::invalid("stage_id", "not_found", "the pipeline has no won stage"))
        }
    }
}

/// The customer the lead becomes, and whether it was created here.
fn customer_for(
    conn: &mut Conn,
    ctx: &WriteContext,
    reaches: Reaches<'_>,
    row: &LeadRow,
    kind: Option<CustomerKind>,
) -> Result<(String, bool)> {
    if let Some(linked) = &row.customer_id {
        return Ok((linked.clone(), false));
    }
    let (phone, email) = (row.prospect_phone.as_deref(), row.prospect_email.as_deref());
    if let Some(found) = crate::intake::matching::live_customer(conn, phone, email)? {
        return Ok((found, false));
    }
    let reach = reaches.customers.ok_or_else(|| refused("a new customer"))?;
    let name = row.prospect_name.clone().unwrap_or_default();
    let kind = kind.unwrap_or(CustomerKind::Person);
    let (first_name, last_name, company_name) = match kind {
        CustomerKind::Company => (None, None, Some(name)),
        CustomerKind::Person => match name.trim().rsplit_once(' ') {
            Some((first, last)) => (Some(first.trim().to_owned()), Some(last.to_owned()), None),
            None => (None, Some(name), None),
        },
    };
    let create = CreateCustomer {
        kind,
        first_name,
        last_name,
        company_name,
        emails: row
            .prospect_email
            .iter()
            .map(|e| EmailAddress { email: e.clone(), label: None, primary: true })
            .collect(),
        phones: row
            .prospect_phone
            .iter()
            .map(|n| PhoneInput { number: n.clone(), label: None, primary: true, whatsapp: false })
            .collect(),
        address_line: None,
        city: None,
        state: None,
        country_code: None,
        source: Some(row.source.clone()),
        owner_id: row.owner_id.clone(),
        tags: Vec::new(),
        division_ids: vec![row.division_id.clone()],
        external_ids: Vec::new(),
        consents: Vec::new(),
        preferred_channel: None,
        preferred_language: None,
        notes: None,
        custom_fields: Default::default(),
    };
    let created = customer_store::create(conn, ctx, reach, create, row.owner_id.as_deref())?;
    Ok((created.id, true))
}
