//! Who an inquiry is from: an open lead of the division, or a customer,
//! matched on the normalised phone (E.164) and the lower-cased email.
//!
//! Precedence, so the same inquiry always lands in the same place:
//! 1. an open lead (status `open`, not archived) of the division matched by
//!    phone — its prospect phone, or a phone of its linked customer;
//! 2. an open lead matched likewise by email;
//! 3. a live customer (not archived, merged or erased) with that phone;
//! 4. a live customer with that email;
//!
//! and among several equal matches, the oldest (creation time, then id).

use diesel::prelude::*;
use rapport_core::Result;
use rapport_core::db::Conn;
use rapport_core::db::schema::{customer_emails, customer_phones, customers, leads};

use crate::kinds::LeadStatus;

/// What an inquiry matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Match {
    /// An open lead: its id and linked customer.
    Lead { id: String, customer_id: Option<String> },
    /// A customer without an open lead in the division.
    Customer(String),
    /// Nobody known.
    Nobody,
}

/// The match for `phone` (E.164) and `email` (lower-cased) in `division_id`.
pub(crate) fn find(conn: &mut Conn, division_id: &str, phone: Option<&str>, email: Option<&str>) -> Result<Match> {
    let by_phone = match phone {
        Some(p) => {
            let ids = customer_phones::table
                .filter(customer_phones::e164.eq(p))
                .select(customer_phones::customer_id)
                .load::<String>(conn)?;
            live_customers(conn, ids)?
        }
        None => Vec::new(),
    };
    let by_email = match email {
        Some(e) => {
            let ids = customer_emails::table
                .filter(customer_emails::email.eq(e))
                .select(customer_emails::customer_id)
                .load::<String>(conn)?;
            live_customers(conn, ids)?
        }
        None => Vec::new(),
    };
    if let Some(p) = phone
        && let Some(found) = open_lead(conn, division_id, Contact::Phone(p), &by_phone)?
    {
        return Ok(found);
    }
    if let Some(e) = email
        && let Some(found) = open_lead(conn, division_id, Contact::Email(e), &by_email)?
    {
        return Ok(found);
    }
    Ok(by_phone.into_iter().chain(by_email).next().map_or(Match::Nobody, Match::Customer))
}

/// The live customer with `phone`, else with `email` (the oldest of
/// several), wherever they belong: conversion links them rather than make
/// a twin.
pub(crate) fn live_customer(conn: &mut Conn, phone: Option<&str>, email: Option<&str>) -> Result<Option<String>> {
    if let Some(p) = phone {
        let ids = customer_phones::table
            .filter(customer_phones::e164.eq(p))
            .select(customer_phones::customer_id)
            .load::<String>(conn)?;
        if let Some(found) = live_customers(conn, ids)?.into_iter().next() {
            return Ok(Some(found));
        }
    }
    if let Some(e) = email {
        let ids = customer_emails::table
            .filter(customer_emails::email.eq(e))
            .select(customer_emails::customer_id)
            .load::<String>(conn)?;
        return Ok(live_customers(conn, ids)?.into_iter().next());
    }
    Ok(None)
}

/// The live customers among `ids`, oldest first.
fn live_customers(conn: &mut Conn, ids: Vec<String>) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(ids);
    }
    Ok(customers::table
        .filter(customers::id.eq_any(ids))
        .filter(customers::archived_at.is_null())
        .filter(customers::merged_into_id.is_null())
        .filter(customers::erased_at.is_null())
        .order((customers::created_at, customers::id))
        .select(customers::id)
        .load(conn)?)
}

/// A lead's own contact detail to compare.
enum Contact<'a> {
    Phone(&'a str),
    Email(&'a str),
}

/// The oldest open lead of `division_id` whose own contact matches, or
/// whose linked customer is one of `customer_ids`.
fn open_lead(
    conn: &mut Conn,
    division_id: &str,
    contact: Contact<'_>,
    customer_ids: &[String],
) -> Result<Option<Match>> {
    let q = leads::table
        .filter(leads::division_id.eq(division_id.to_owned()))
        .filter(leads::status.eq(LeadStatus::Open.as_str()))
        .filter(leads::archived_at.is_null())
        .select((leads::id, leads::customer_id))
        .order((leads::created_at, leads::id))
        .into_boxed();
    let linked = leads::customer_id.eq_any(customer_ids.to_vec());
    let q = match contact {
        Contact::Phone(p) => q.filter(leads::prospect_phone.eq(p.to_owned()).or(linked)),
        Contact::Email(e) => q.filter(leads::prospect_email.eq(e.to_owned()).or(linked)),
    };
    let found: Option<(String, Option<String>)> = q.first(conn).optional()?;
    Ok(found.map(|(id, customer_id)| Match::Lead { id, customer_id }))
}
