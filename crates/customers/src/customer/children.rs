//! The lists hanging off a customer (emails, phones, divisions, tags,
//! external ids, consent): loaded for a whole page at once, one query per
//! table, and replaced wholesale on write.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::{
    customer_consents, customer_divisions, customer_emails, customer_external_ids, customer_phones, customer_tags,
};
use rapport_core::{Error, Result, time};

use super::api::{Channel, Consent, CustomerKind, CustomerResponse, EmailAddress, ExternalId, Phone, Purpose};
use super::rows::{ConsentRow, CustomerRow, EmailRow, PhoneRow};
use crate::custom_field;

/// Everything a customer's response is made of besides its row.
#[derive(Default)]
struct Children {
    emails: Vec<EmailAddress>,
    phones: Vec<Phone>,
    division_ids: Vec<String>,
    tags: Vec<String>,
    external_ids: Vec<ExternalId>,
    consents: Vec<Consent>,
    custom_fields: BTreeMap<String, serde_json::Value>,
}

/// The API form of `rows`, with their lists loaded in a fixed number of queries.
pub(crate) fn responses(conn: &mut Conn, rows: Vec<CustomerRow>) -> Result<Vec<CustomerResponse>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut children: HashMap<String, Children> = HashMap::new();
    for row in customer_emails::table
        .filter(customer_emails::customer_id.eq_any(&ids))
        .order((customer_emails::customer_id, customer_emails::is_primary.desc(), customer_emails::email))
        .select(EmailRow::as_select())
        .load(conn)?
    {
        entry(&mut children, &row.customer_id).emails.push(EmailAddress {
            email: row.email,
            label: row.label,
            primary: row.is_primary,
        });
    }
    for row in customer_phones::table
        .filter(customer_phones::customer_id.eq_any(&ids))
        .order((customer_phones::customer_id, customer_phones::is_primary.desc(), customer_phones::e164))
        .select(PhoneRow::as_select())
        .load(conn)?
    {
        entry(&mut children, &row.customer_id).phones.push(Phone {
            e164: row.e164,
            label: row.label,
            primary: row.is_primary,
            whatsapp: row.whatsapp,
        });
    }
    for (customer_id, division_id) in customer_divisions::table
        .filter(customer_divisions::customer_id.eq_any(&ids))
        .order((customer_divisions::customer_id, customer_divisions::division_id))
        .select((customer_divisions::customer_id, customer_divisions::division_id))
        .load::<(String, String)>(conn)?
    {
        entry(&mut children, &customer_id).division_ids.push(division_id);
    }
    for (customer_id, tag) in customer_tags::table
        .filter(customer_tags::customer_id.eq_any(&ids))
        .order((customer_tags::customer_id, customer_tags::tag))
        .select((customer_tags::customer_id, customer_tags::tag))
        .load::<(String, String)>(conn)?
    {
        entry(&mut children, &customer_id).tags.push(tag);
    }
    for (customer_id, source, external_id) in customer_external_ids::table
        .filter(customer_external_ids::customer_id.eq_any(&ids))
        .order((customer_external_ids::customer_id, customer_external_ids::source))
        .select((customer_external_ids::customer_id, customer_external_ids::source, customer_external_ids::external_id))
        .load::<(String, String, String)>(conn)?
    {
        entry(&mut children, &customer_id).external_ids.push(ExternalId { source, external_id });
    }
    for row in customer_consents::table
        .filter(customer_consents::customer_id.eq_any(&ids))
        .order((customer_consents::customer_id, customer_consents::channel, customer_consents::purpose))
        .select(ConsentRow::as_select())
        .load(conn)?
    {
        let consent = consent(&row)?;
        entry(&mut children, &row.customer_id).consents.push(consent);
    }
    for (record_id, values) in custom_field::values_for(conn, custom_field::Entity::Customer, &ids)? {
        entry(&mut children, &record_id).custom_fields = values;
    }
    rows.into_iter()
        .map(|row| {
            let children = children.remove(&row.id).unwrap_or_default();
            response(row, children)
        })
        .collect()
}

fn entry<'a>(children: &'a mut HashMap<String, Children>, id: &str) -> &'a mut Children {
    children.entry(id.to_owned()).or_default()
}

fn consent(row: &ConsentRow) -> Result<Consent> {
    Ok(Consent {
        channel: Channel::parse(&row.channel).ok_or_else(|| stored("channel", &row.channel))?,
        purpose: Purpose::parse(&row.purpose).ok_or_else(|| stored("purpose", &row.purpose))?,
        granted: row.granted,
        method: row.method.clone(),
        note: row.note.clone(),
        recorded_at: time::utc(row.recorded_at),
    })
}

fn stored(what: &str, value: &str) -> Error {
    Error::Internal(format!("unexpected stored {what} {value:?}"))
}

fn response(row: CustomerRow, children: Children) -> Result<CustomerResponse> {
    let kind = CustomerKind::parse(&row.kind).ok_or_else(|| stored("kind", &row.kind))?;
    let preferred_channel =
        row.preferred_channel.as_deref().map(|c| Channel::parse(c).ok_or_else(|| stored("channel", c))).transpose()?;
    Ok(CustomerResponse {
        id: row.id,
        kind,
        first_name: row.first_name,
        last_name: row.last_name,
        company_name: row.company_name,
        display_name: row.display_name,
        emails: children.emails,
        phones: children.phones,
        primary_email: row.primary_email,
        primary_phone: row.primary_phone,
        address_line: row.address_line,
        city: row.city,
        state: row.state,
        country_code: row.country_code,
        source: row.source,
        owner_id: row.owner_id,
        tags: children.tags,
        division_ids: children.division_ids,
        external_ids: children.external_ids,
        consents: children.consents,
        preferred_channel,
        preferred_language: row.preferred_language,
        notes: row.notes,
        custom_fields: children.custom_fields,
        merged_into_id: row.merged_into_id,
        erased_at: row.erased_at.map(time::utc),
        archived_at: row.archived_at.map(time::utc),
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}

pub(crate) fn replace_emails(conn: &mut Conn, customer_id: &str, rows: &[EmailRow]) -> Result<()> {
    diesel::delete(customer_emails::table.filter(customer_emails::customer_id.eq(customer_id))).execute(conn)?;
    for row in rows {
        diesel::insert_into(customer_emails::table).values(row).execute(conn)?;
    }
    Ok(())
}

pub(crate) fn replace_phones(conn: &mut Conn, customer_id: &str, rows: &[PhoneRow]) -> Result<()> {
    diesel::delete(customer_phones::table.filter(customer_phones::customer_id.eq(customer_id))).execute(conn)?;
    for row in rows {
        diesel::insert_into(customer_phones::table).values(row).execute(conn)?;
    }
    Ok(())
}

pub(crate) fn replace_tags(conn: &mut Conn, customer_id: &str, tags: &[String]) -> Result<()> {
    diesel::delete(customer_tags::table.filter(customer_tags::customer_id.eq(customer_id))).execute(conn)?;
    for tag in tags {
        diesel::insert_into(customer_tags::table)
            .values((customer_tags::customer_id.eq(customer_id), customer_tags::tag.eq(tag)))
            .execute(conn)?;
    }
    Ok(())
}

/// Sets the divisions, keeping the `since` of those already linked.
pub(crate) fn replace_divisions(conn: &mut Conn, customer_id: &str, division_ids: &[String]) -> Result<()> {
    diesel::delete(
        customer_divisions::table
            .filter(customer_divisions::customer_id.eq(customer_id))
            .filter(customer_divisions::division_id.ne_all(division_ids)),
    )
    .execute(conn)?;
    for division_id in division_ids {
        link_division(conn, customer_id, division_id)?;
    }
    Ok(())
}

/// Records that the customer deals with `division_id` (no-op when known).
pub fn link_division(conn: &mut Conn, customer_id: &str, division_id: &str) -> Result<()> {
    let linked = diesel::select(diesel::dsl::exists(
        customer_divisions::table
            .filter(customer_divisions::customer_id.eq(customer_id))
            .filter(customer_divisions::division_id.eq(division_id)),
    ))
    .get_result::<bool>(conn)?;
    if !linked {
        diesel::insert_into(customer_divisions::table)
            .values((
                customer_divisions::customer_id.eq(customer_id),
                customer_divisions::division_id.eq(division_id),
                customer_divisions::since.eq(time::now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub(crate) fn replace_external_ids(conn: &mut Conn, customer_id: &str, ids: &[ExternalId]) -> Result<()> {
    diesel::delete(customer_external_ids::table.filter(customer_external_ids::customer_id.eq(customer_id)))
        .execute(conn)?;
    for e in ids {
        diesel::insert_into(customer_external_ids::table)
            .values((
                customer_external_ids::source.eq(&e.source),
                customer_external_ids::external_id.eq(&e.external_id),
                customer_external_ids::customer_id.eq(customer_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Sets consent for the channel/purpose pairs in `rows`; other pairs stay.
pub(crate) fn upsert_consents(conn: &mut Conn, rows: &[ConsentRow]) -> Result<()> {
    for row in rows {
        diesel::delete(
            customer_consents::table
                .filter(customer_consents::customer_id.eq(&row.customer_id))
                .filter(customer_consents::channel.eq(&row.channel))
                .filter(customer_consents::purpose.eq(&row.purpose)),
        )
        .execute(conn)?;
    }
    for row in rows {
        diesel::insert_into(customer_consents::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// The customers (other than `except`) already holding any of `ids`, as
/// (index in `ids`, holder).
pub(crate) fn external_id_holders(
    conn: &mut Conn,
    ids: &[ExternalId],
    except: Option<&str>,
) -> Result<Vec<(usize, String)>> {
    let mut clashes = Vec::new();
    for (i, e) in ids.iter().enumerate() {
        let holder: Option<String> = customer_external_ids::table
            .filter(customer_external_ids::source.eq(&e.source))
            .filter(customer_external_ids::external_id.eq(&e.external_id))
            .select(customer_external_ids::customer_id)
            .first(conn)
            .optional()?;
        if let Some(holder) = holder.filter(|h| Some(h.as_str()) != except) {
            clashes.push((i, holder));
        }
    }
    Ok(clashes)
}
