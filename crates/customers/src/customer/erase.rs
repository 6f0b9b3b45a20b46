//! Erasure: a customer's personal data is removed or anonymised on request,
//! while financial records and the numbers aggregates are made of stay.
//!
//! What goes: names, emails, phones, address, notes, tags, consent records,
//! language and channel preferences, custom field values, the contacts at a
//! company (and contact entries elsewhere that are this person), vehicle
//! plates, the text of interactions (subject, summary, outcome), and every
//! snapshot of those in the audit log, the change feed and stored
//! idempotent responses. What stays: the customer id (as "Erased customer"),
//! its external ids (the ERP's key, needed to keep invoices linked), assets
//! by VIN/serial, purchases and service records (with the personal data
//! scrubbed from their free text), interaction channels, times and durations.

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{
    assets, audit_log, change_events, custom_field_values, customer_consents, customer_contacts, customer_emails,
    customer_messages, customer_phones, customer_tags, customers, interactions, purchase_lines, purchases,
    service_records,
};
use rapport_core::principal::Reach;
use rapport_core::{Error, Result, time};

use super::api::CustomerResponse;
use super::store::{self, Found};

/// The text that replaces personal data inside free text.
const REDACTED: &str = "[erased]";

/// Erases the personal data of customer `id` (within `reach`).
pub fn erase(conn: &mut Conn, ctx: &WriteContext, reach: &Reach, id: &str) -> Result<CustomerResponse> {
    let before = match store::get(conn, reach, id)? {
        Found::Customer(c) => *c,
        Found::Merged { .. } => return Err(Error::NotFound { entity: "customer" }),
    };
    if before.erased_at.is_some() {
        return Ok(before);
    }
    let contacts: Vec<(String, String, Option<String>, Option<String>)> = customer_contacts::table
        .filter(customer_contacts::company_id.eq(id).or(customer_contacts::person_id.eq(id)))
        .select((customer_contacts::id, customer_contacts::name, customer_contacts::email, customer_contacts::phone))
        .load(conn)?;
    let plates: Vec<Option<String>> =
        assets::table.filter(assets::customer_id.eq(id)).select(assets::plate).load(conn)?;
    let tokens = personal_tokens(&before, &contacts, &plates);

    // Records whose audit snapshots are wholly personal, and those whose
    // snapshots only need the personal values scrubbed.
    let mut redact_ids: Vec<String> = vec![id.to_owned()];
    redact_ids.extend(contacts.iter().map(|c| c.0.clone()));
    redact_ids.extend(
        interactions::table.filter(interactions::customer_id.eq(id)).select(interactions::id).load::<String>(conn)?,
    );
    let mut scrub_ids: Vec<String> = assets::table.filter(assets::customer_id.eq(id)).select(assets::id).load(conn)?;
    scrub_ids
        .extend(purchases::table.filter(purchases::customer_id.eq(id)).select(purchases::id).load::<String>(conn)?);
    scrub_ids.extend(
        service_records::table
            .filter(service_records::customer_id.eq(id))
            .select(service_records::id)
            .load::<String>(conn)?,
    );

    diesel::delete(customer_emails::table.filter(customer_emails::customer_id.eq(id))).execute(conn)?;
    diesel::delete(customer_phones::table.filter(customer_phones::customer_id.eq(id))).execute(conn)?;
    diesel::delete(customer_tags::table.filter(customer_tags::customer_id.eq(id))).execute(conn)?;
    diesel::delete(customer_consents::table.filter(customer_consents::customer_id.eq(id))).execute(conn)?;
    // Messages rules sent hold an address and a text meant for the person.
    diesel::delete(customer_messages::table.filter(customer_messages::customer_id.eq(id))).execute(conn)?;
    diesel::delete(custom_field_values::table.filter(custom_field_values::record_id.eq(id))).execute(conn)?;
    diesel::delete(
        customer_contacts::table.filter(customer_contacts::company_id.eq(id).or(customer_contacts::person_id.eq(id))),
    )
    .execute(conn)?;
    diesel::update(assets::table.filter(assets::customer_id.eq(id)))
        .set(assets::plate.eq(None::<String>))
        .execute(conn)?;
    diesel::update(interactions::table.filter(interactions::customer_id.eq(id)))
        .set((
            interactions::subject.eq(None::<String>),
            interactions::summary.eq(None::<String>),
            interactions::outcome.eq(None::<String>),
        ))
        .execute(conn)?;
    scrub_free_text(conn, id, &tokens)?;

    let now = time::now();
    let name = "Erased customer";
    diesel::update(customers::table.filter(customers::id.eq(id)))
        .set((
            (
                customers::first_name.eq(None::<String>),
                customers::last_name.eq(None::<String>),
                customers::company_name.eq(None::<String>),
                customers::display_name.eq(name),
                customers::search_name.eq(name.to_lowercase()),
                customers::primary_email.eq(None::<String>),
                customers::primary_phone.eq(None::<String>),
                customers::address_line.eq(None::<String>),
                customers::city.eq(None::<String>),
                customers::state.eq(None::<String>),
            ),
            (
                customers::preferred_channel.eq(None::<String>),
                customers::preferred_language.eq(None::<String>),
                customers::notes.eq(None::<String>),
                customers::erased_at.eq(Some(now)),
                customers::version.eq(before.version + 1),
                customers::updated_at.eq(now),
            ),
        ))
        .execute(conn)?;

    redact_history(conn, &redact_ids)?;
    for scrub_id in &scrub_ids {
        scrub_history(conn, scrub_id, &tokens)?;
    }
    forget_stored_responses(conn, &redact_ids)?;
    let after = match store::get(conn, &Reach::everything(), id)? {
        Found::Customer(c) => *c,
        Found::Merged { .. } => return Err(Error::Internal("erased customer was merged".to_owned())),
    };
    // The entry for the erasure itself carries no personal data.
    audit::record::<CustomerResponse>(conn, ctx, "customer", id, Action::Erased, None, Some(&after))?;
    Ok(after)
}

/// Every personal value worth looking for in free text, longest first (so
/// a full name is replaced before its parts).
fn personal_tokens(
    customer: &CustomerResponse,
    contacts: &[(String, String, Option<String>, Option<String>)],
    plates: &[Option<String>],
) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    let mut add = |t: Option<&str>| {
        if let Some(t) = t.map(str::trim).filter(|t| t.chars().count() >= 3) {
            tokens.push(t.to_owned());
        }
    };
    add(Some(&customer.display_name));
    add(customer.first_name.as_deref());
    add(customer.last_name.as_deref());
    add(customer.company_name.as_deref());
    add(customer.address_line.as_deref());
    for email in &customer.emails {
        add(Some(&email.email));
    }
    let mut phones: Vec<&str> = customer.phones.iter().map(|p| p.e164.as_str()).collect();
    phones.extend(contacts.iter().filter_map(|c| c.3.as_deref()));
    for e164 in phones {
        add(Some(e164));
        let digits = e164.trim_start_matches('+');
        add(Some(digits));
        if let Some(national) = digits.strip_prefix("234") {
            add(Some(&format!("0{national}")));
        }
    }
    for (_, name, email, _) in contacts {
        add(Some(name));
        add(email.as_deref());
    }
    for plate in plates.iter().flatten() {
        add(Some(plate));
    }
    tokens.sort_by_key(|t| std::cmp::Reverse(t.len()));
    tokens.dedup();
    tokens
}

fn scrub(text: &str, tokens: &[String]) -> String {
    let mut out = text.to_owned();
    for token in tokens {
        out = replace_case_insensitive(&out, token);
    }
    out
}

fn replace_case_insensitive(text: &str, token: &str) -> String {
    let lower_text = text.to_lowercase();
    let lower_token = token.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII; fall back to an
    // exact replacement then.
    if lower_text.len() != text.len() || lower_token.len() != token.len() {
        return text.replace(token, REDACTED);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (at, _) in lower_text.match_indices(&lower_token) {
        if at < rest {
            continue;
        }
        out.push_str(&text[rest..at]);
        out.push_str(REDACTED);
        rest = at + token.len();
    }
    out.push_str(&text[rest..]);
    out
}

/// Personal values typed into the free text of records that are kept.
fn scrub_free_text(conn: &mut Conn, id: &str, tokens: &[String]) -> Result<()> {
    let records: Vec<(String, String)> = service_records::table
        .filter(service_records::customer_id.eq(id))
        .select((service_records::id, service_records::work_done))
        .load(conn)?;
    for (record_id, text) in records {
        diesel::update(service_records::table.filter(service_records::id.eq(record_id)))
            .set(service_records::work_done.eq(scrub(&text, tokens)))
            .execute(conn)?;
    }
    let notes: Vec<(String, Option<String>)> =
        purchases::table.filter(purchases::customer_id.eq(id)).select((purchases::id, purchases::notes)).load(conn)?;
    for (purchase_id, text) in notes {
        let scrubbed = text.map(|t| scrub(&t, tokens));
        diesel::update(purchases::table.filter(purchases::id.eq(&purchase_id)))
            .set(purchases::notes.eq(scrubbed))
            .execute(conn)?;
        let lines: Vec<(i32, String)> = purchase_lines::table
            .filter(purchase_lines::purchase_id.eq(&purchase_id))
            .select((purchase_lines::line_no, purchase_lines::description))
            .load(conn)?;
        for (line_no, description) in lines {
            diesel::update(
                purchase_lines::table
                    .filter(purchase_lines::purchase_id.eq(&purchase_id))
                    .filter(purchase_lines::line_no.eq(line_no)),
            )
            .set(purchase_lines::description.eq(scrub(&description, tokens)))
            .execute(conn)?;
        }
    }
    Ok(())
}

/// Replaces the snapshots of wholly personal records in the audit log and
/// the change feed; who did what and when stays.
fn redact_history(conn: &mut Conn, ids: &[String]) -> Result<()> {
    let marker = serde_json::json!({"redacted": "personal data erased"}).to_string();
    diesel::update(audit_log::table.filter(audit_log::entity_id.eq_any(ids)))
        .set(audit_log::changes.eq(&marker))
        .execute(conn)?;
    diesel::update(change_events::table.filter(change_events::entity_id.eq_any(ids)))
        .set(change_events::payload.eq(&marker))
        .execute(conn)?;
    Ok(())
}

/// Scrubs personal values from the snapshots of a kept record.
fn scrub_history(conn: &mut Conn, id: &str, tokens: &[String]) -> Result<()> {
    let entries: Vec<(String, String)> =
        audit_log::table.filter(audit_log::entity_id.eq(id)).select((audit_log::id, audit_log::changes)).load(conn)?;
    for (entry_id, changes) in entries {
        diesel::update(audit_log::table.filter(audit_log::id.eq(entry_id)))
            .set(audit_log::changes.eq(scrub(&changes, tokens)))
            .execute(conn)?;
    }
    let events: Vec<(String, String)> = change_events::table
        .filter(change_events::entity_id.eq(id))
        .select((change_events::id, change_events::payload))
        .load(conn)?;
    for (event_id, payload) in events {
        diesel::update(change_events::table.filter(change_events::id.eq(event_id)))
            .set(change_events::payload.eq(scrub(&payload, tokens)))
            .execute(conn)?;
    }
    Ok(())
}

/// Stored idempotent responses may hold a snapshot of the customer or its
/// contacts and interactions; those are dropped (their keys can no longer
/// replay, which only matters within the keys' retention window).
fn forget_stored_responses(conn: &mut Conn, ids: &[String]) -> Result<()> {
    use diesel::sql_types::Text;
    for id in ids {
        // Searching inside a binary column is spelled differently on each backend.
        match &mut *conn {
            Conn::Postgres(c) => diesel::sql_query(
                "DELETE FROM idempotency_keys WHERE position(convert_to($1, 'UTF8') in response_body) > 0",
            )
            .bind::<Text, _>(id)
            .execute(c)?,
            Conn::Sqlite(c) => {
                diesel::sql_query("DELETE FROM idempotency_keys WHERE instr(response_body, CAST(? AS BLOB)) > 0")
                    .bind::<Text, _>(id)
                    .execute(c)?
            }
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_is_case_insensitive_and_longest_first() {
        let tokens = vec!["Ada Okafor".to_owned(), "Okafor".to_owned(), "08031234567".to_owned()];
        assert_eq!(
            scrub("Called ADA OKAFOR on 08031234567; Mrs okafor agreed", &tokens),
            "Called [erased] on [erased]; Mrs [erased] agreed"
        );
    }
}
