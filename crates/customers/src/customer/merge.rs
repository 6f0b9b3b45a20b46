//! Merging a duplicate customer into a survivor: every related record moves
//! in one transaction, and the duplicate stays behind as a tombstone whose
//! id still resolves (reads redirect to the survivor).
//!
//! When a new table refers to customers, it must be moved here too; the
//! merge test counts every related table before and after.

use std::collections::BTreeMap;

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{
    assets, custom_field_values, customer_consents, customer_contacts, customer_divisions, customer_emails,
    customer_external_ids, customer_messages, customer_phones, customer_tags, customers, interactions, purchases,
    service_records, tasks,
};
use rapport_core::principal::Reach;
use rapport_core::{Error, Result, time};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::api::CustomerResponse;
use super::rows::{ConsentRow, EmailRow, PhoneRow};
use super::store::{self, Found};
use super::{children, link_division};

/// Which customer to merge into the one addressed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"duplicate_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11", "version": 4}))]
pub struct MergeCustomers {
    /// The duplicate; it is emptied into the survivor and kept as a tombstone.
    pub duplicate_id: String,
    /// The survivor's version, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MergeResult {
    /// The survivor, after the merge.
    pub survivor: CustomerResponse,
    /// The duplicate's id; it now redirects to the survivor.
    pub merged_id: String,
    /// Rows moved to the survivor, per kind of record.
    #[schema(example = json!({"assets": 1, "purchases": 2, "interactions": 14}))]
    pub moved: BTreeMap<String, usize>,
}

/// Merges `duplicate_id` into `survivor_id`; both must be live customers of
/// the same kind within `reach`.
pub fn merge(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    survivor_id: &str,
    duplicate_id: &str,
    expected_version: Option<i64>,
) -> Result<MergeResult> {
    let survivor = live(conn, reach, survivor_id, None)?;
    let duplicate = live(conn, reach, duplicate_id, Some("duplicate_id"))?;
    if expected_version.is_some_and(|v| v != survivor.version) {
        return Err(Error::StaleVersion { current: survivor.version });
    }
    if survivor.id == duplicate.id {
        return Err(Error::invalid("duplicate_id", "same_customer", "a customer cannot be merged into itself"));
    }
    if survivor.kind != duplicate.kind {
        return Err(Error::invalid("duplicate_id", "kind_mismatch", "a person and a company cannot be merged"));
    }
    let (from, to) = (duplicate.id.as_str(), survivor.id.as_str());
    let mut moved = BTreeMap::new();
    moved.insert("emails".to_owned(), move_emails(conn, &survivor, from)?);
    moved.insert("phones".to_owned(), move_phones(conn, &survivor, from)?);
    moved.insert("consents".to_owned(), move_consents(conn, to, from)?);
    for division_id in &duplicate.division_ids {
        link_division(conn, to, division_id)?;
    }
    diesel::delete(customer_divisions::table.filter(customer_divisions::customer_id.eq(from))).execute(conn)?;
    let tags: Vec<String> = survivor.tags.iter().chain(&duplicate.tags).cloned().collect();
    let mut tags = tags;
    tags.sort();
    tags.dedup();
    children::replace_tags(conn, to, &tags)?;
    diesel::delete(customer_tags::table.filter(customer_tags::customer_id.eq(from))).execute(conn)?;
    let n = diesel::update(customer_external_ids::table.filter(customer_external_ids::customer_id.eq(from)))
        .set(customer_external_ids::customer_id.eq(to))
        .execute(conn)?;
    moved.insert("external_ids".to_owned(), n);
    let n = diesel::update(customer_contacts::table.filter(customer_contacts::company_id.eq(from)))
        .set(customer_contacts::company_id.eq(to))
        .execute(conn)?;
    moved.insert("contacts".to_owned(), n);
    diesel::update(customer_contacts::table.filter(customer_contacts::person_id.eq(from)))
        .set(customer_contacts::person_id.eq(to))
        .execute(conn)?;
    let n = diesel::update(assets::table.filter(assets::customer_id.eq(from)))
        .set(assets::customer_id.eq(to))
        .execute(conn)?;
    moved.insert("assets".to_owned(), n);
    let n = diesel::update(purchases::table.filter(purchases::customer_id.eq(from)))
        .set(purchases::customer_id.eq(to))
        .execute(conn)?;
    moved.insert("purchases".to_owned(), n);
    let n = diesel::update(service_records::table.filter(service_records::customer_id.eq(from)))
        .set(service_records::customer_id.eq(to))
        .execute(conn)?;
    moved.insert("service_records".to_owned(), n);
    let n = diesel::update(interactions::table.filter(interactions::customer_id.eq(from)))
        .set(interactions::customer_id.eq(to))
        .execute(conn)?;
    moved.insert("interactions".to_owned(), n);
    let n = diesel::update(tasks::table.filter(tasks::customer_id.eq(from)))
        .set(tasks::customer_id.eq(to))
        .execute(conn)?;
    moved.insert("tasks".to_owned(), n);
    let n = diesel::update(customer_messages::table.filter(customer_messages::customer_id.eq(from)))
        .set(customer_messages::customer_id.eq(to))
        .execute(conn)?;
    moved.insert("customer_messages".to_owned(), n);
    moved.insert("custom_field_values".to_owned(), move_custom_values(conn, to, from)?);
    // Earlier merges into the duplicate now point straight at the survivor.
    diesel::update(customers::table.filter(customers::merged_into_id.eq(from)))
        .set(customers::merged_into_id.eq(to))
        .execute(conn)?;

    let now = time::now();
    let notes = match (&survivor.notes, &duplicate.notes) {
        (Some(a), Some(b)) if a != b => Some(format!("{a}\n\n{b}")),
        (a, b) => a.clone().or_else(|| b.clone()),
    };
    let primary_email: Option<String> = primary(conn, to, true)?;
    let primary_phone: Option<String> = primary(conn, to, false)?;
    diesel::update(customers::table.filter(customers::id.eq(to)))
        .set((
            customers::owner_id.eq(survivor.owner_id.clone().or_else(|| duplicate.owner_id.clone())),
            customers::notes.eq(notes),
            customers::primary_email.eq(primary_email),
            customers::primary_phone.eq(primary_phone),
            customers::version.eq(survivor.version + 1),
            customers::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(customers::table.filter(customers::id.eq(from)))
        .set((
            customers::merged_into_id.eq(to),
            customers::primary_email.eq(None::<String>),
            customers::primary_phone.eq(None::<String>),
            customers::version.eq(duplicate.version + 1),
            customers::updated_at.eq(now),
        ))
        .execute(conn)?;
    let after = match store::get(conn, &Reach::everything(), to)? {
        Found::Customer(c) => *c,
        Found::Merged { .. } => return Err(Error::Internal("survivor was merged".to_owned())),
    };
    audit::record(conn, ctx, "customer", to, Action::Updated, Some(&survivor), Some(&after))?;
    let before = serde_json::to_value(&duplicate).map_err(|e| Error::Internal(e.to_string()))?;
    let tombstone = serde_json::json!({"id": from, "merged_into_id": to, "moved": &moved});
    audit::record(conn, ctx, "customer", from, Action::Merged, Some(&before), Some(&tombstone))?;
    Ok(MergeResult { survivor: after, merged_id: from.to_owned(), moved })
}

fn live(conn: &mut Conn, reach: &Reach, id: &str, field: Option<&str>) -> Result<CustomerResponse> {
    let found = match (store::get(conn, reach, id), field) {
        (Err(Error::NotFound { .. }), Some(field)) => {
            return Err(Error::invalid(field, "not_found", format!("customer {id} does not exist")));
        }
        (other, _) => other?,
    };
    match (found, field) {
        (Found::Customer(c), _) => Ok(*c),
        (Found::Merged { .. }, Some(field)) => {
            Err(Error::invalid(field, "already_merged", format!("customer {id} was already merged")))
        }
        (Found::Merged { .. }, None) => Err(Error::NotFound { entity: "customer" }),
    }
}

/// Adds the duplicate's addresses the survivor lacks (never as primary).
fn move_emails(conn: &mut Conn, survivor: &CustomerResponse, from: &str) -> Result<usize> {
    let rows: Vec<EmailRow> = customer_emails::table
        .filter(customer_emails::customer_id.eq(from))
        .select(EmailRow::as_select())
        .load(conn)?;
    let mut n = 0;
    for row in rows.into_iter().filter(|r| !survivor.emails.iter().any(|e| e.email == r.email)) {
        let row =
            EmailRow { customer_id: survivor.id.clone(), is_primary: survivor.emails.is_empty() && n == 0, ..row };
        diesel::insert_into(customer_emails::table).values(&row).execute(conn)?;
        n += 1;
    }
    diesel::delete(customer_emails::table.filter(customer_emails::customer_id.eq(from))).execute(conn)?;
    Ok(n)
}

/// Adds the duplicate's numbers the survivor lacks (never as primary).
fn move_phones(conn: &mut Conn, survivor: &CustomerResponse, from: &str) -> Result<usize> {
    let rows: Vec<PhoneRow> = customer_phones::table
        .filter(customer_phones::customer_id.eq(from))
        .select(PhoneRow::as_select())
        .load(conn)?;
    let mut n = 0;
    for row in rows.into_iter().filter(|r| !survivor.phones.iter().any(|p| p.e164 == r.e164)) {
        let row =
            PhoneRow { customer_id: survivor.id.clone(), is_primary: survivor.phones.is_empty() && n == 0, ..row };
        diesel::insert_into(customer_phones::table).values(&row).execute(conn)?;
        n += 1;
    }
    diesel::delete(customer_phones::table.filter(customer_phones::customer_id.eq(from))).execute(conn)?;
    Ok(n)
}

/// For each channel and purpose the most recent decision wins, whichever
/// customer it was recorded on.
fn move_consents(conn: &mut Conn, to: &str, from: &str) -> Result<usize> {
    let theirs: Vec<ConsentRow> = customer_consents::table
        .filter(customer_consents::customer_id.eq(from))
        .select(ConsentRow::as_select())
        .load(conn)?;
    let ours: Vec<ConsentRow> = customer_consents::table
        .filter(customer_consents::customer_id.eq(to))
        .select(ConsentRow::as_select())
        .load(conn)?;
    let newer: Vec<ConsentRow> = theirs
        .into_iter()
        .filter(|t| {
            !ours.iter().any(|o| o.channel == t.channel && o.purpose == t.purpose && o.recorded_at >= t.recorded_at)
        })
        .map(|t| ConsentRow { customer_id: to.to_owned(), ..t })
        .collect();
    children::upsert_consents(conn, &newer)?;
    diesel::delete(customer_consents::table.filter(customer_consents::customer_id.eq(from))).execute(conn)?;
    Ok(newer.len())
}

/// The duplicate's custom field values move where the survivor has none.
fn move_custom_values(conn: &mut Conn, to: &str, from: &str) -> Result<usize> {
    let ours: Vec<String> = custom_field_values::table
        .filter(custom_field_values::record_id.eq(to))
        .select(custom_field_values::field_id)
        .distinct()
        .load(conn)?;
    let n = diesel::update(
        custom_field_values::table
            .filter(custom_field_values::record_id.eq(from))
            .filter(custom_field_values::field_id.ne_all(&ours)),
    )
    .set(custom_field_values::record_id.eq(to))
    .execute(conn)?;
    diesel::delete(custom_field_values::table.filter(custom_field_values::record_id.eq(from))).execute(conn)?;
    Ok(n)
}

fn primary(conn: &mut Conn, id: &str, email: bool) -> Result<Option<String>> {
    Ok(if email {
        customer_emails::table
            .filter(customer_emails::customer_id.eq(id))
            .filter(customer_emails::is_primary.eq(true))
            .select(customer_emails::email)
            .first(conn)
            .optional()?
    } else {
        customer_phones::table
            .filter(customer_phones::customer_id.eq(id))
            .filter(customer_phones::is_primary.eq(true))
            .select(customer_phones::e164)
            .first(conn)
            .optional()?
    })
}
