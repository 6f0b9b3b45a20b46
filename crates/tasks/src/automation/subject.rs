//! The record a rule fires about: what its conditions test (its *facts*)
//! and what its actions need (division, branch, owner, customer).

use std::collections::BTreeMap;

use diesel::prelude::*;
use rapport_core::Result;
use rapport_core::db::Conn;
use rapport_core::db::schema::{assets, customers, leads, purchases, tasks, ticket_categories, tickets};

use super::trigger::SubjectType;
use crate::kinds::RelatedType;

/// Field name to value, for the fields a condition may test.
pub(crate) type Facts = BTreeMap<&'static str, String>;

/// Whether `facts` pass `conditions`: every field named must hold one of
/// its listed values.
pub(crate) fn matches(conditions: &BTreeMap<String, Vec<String>>, facts: &Facts) -> bool {
    conditions.iter().all(|(field, allowed)| facts.get(field.as_str()).is_some_and(|v| allowed.contains(v)))
}

/// The facts of a record as a change event's payload shows it, plus the
/// ones it only names (a ticket's category kind, a purchase's asset kind).
pub(crate) fn facts_from_payload(
    conn: &mut Conn,
    kind: SubjectType,
    fields: &[&'static str],
    payload: &serde_json::Value,
) -> Result<Facts> {
    let mut facts = Facts::new();
    for field in fields {
        if let Some(value) = payload.get(*field).and_then(|v| v.as_str()) {
            facts.insert(field, value.to_owned());
        }
    }
    derive(
        conn,
        kind,
        &mut facts,
        payload.get("category_id").and_then(|v| v.as_str()),
        payload.get("asset_id").and_then(|v| v.as_str()),
    )?;
    Ok(facts)
}

fn derive(
    conn: &mut Conn,
    kind: SubjectType,
    facts: &mut Facts,
    category_id: Option<&str>,
    asset_id: Option<&str>,
) -> Result<()> {
    match (kind, category_id, asset_id) {
        (SubjectType::Ticket, Some(category), _) => {
            let found: Option<String> = ticket_categories::table
                .filter(ticket_categories::id.eq(category))
                .select(ticket_categories::kind)
                .first(conn)
                .optional()?;
            if let Some(k) = found {
                facts.insert("category_kind", k);
            }
        }
        (SubjectType::Purchase, _, Some(asset)) => {
            let found: Option<String> =
                assets::table.filter(assets::id.eq(asset)).select(assets::kind).first(conn).optional()?;
            if let Some(k) = found {
                facts.insert("asset_kind", k);
            }
        }
        _ => {}
    }
    Ok(())
}

fn put(facts: &mut Facts, field: &'static str, value: Option<String>) {
    if let Some(v) = value {
        facts.insert(field, v);
    }
}

/// The facts of a record as stored now (timed triggers).
pub(crate) fn facts_from_db(conn: &mut Conn, kind: SubjectType, id: &str) -> Result<Option<Facts>> {
    let mut facts = Facts::new();
    match kind {
        SubjectType::Lead => {
            let Some((d, b, o, p, s, src)) = leads::table
                .filter(leads::id.eq(id))
                .select((
                    leads::division_id,
                    leads::branch_id,
                    leads::owner_id,
                    leads::pipeline_id,
                    leads::stage_id,
                    leads::source,
                ))
                .first::<(String, Option<String>, Option<String>, String, String, String)>(conn)
                .optional()?
            else {
                return Ok(None);
            };
            put(&mut facts, "division_id", Some(d));
            put(&mut facts, "branch_id", b);
            put(&mut facts, "owner_id", o);
            put(&mut facts, "pipeline_id", Some(p));
            put(&mut facts, "stage_id", Some(s));
            put(&mut facts, "source", Some(src));
        }
        SubjectType::Ticket => {
            let Some((d, b, q, c, pr, ch, a)) = tickets::table
                .filter(tickets::id.eq(id))
                .select((
                    tickets::division_id,
                    tickets::branch_id,
                    tickets::queue_id,
                    tickets::category_id,
                    tickets::priority,
                    tickets::channel,
                    tickets::assignee_id,
                ))
                .first::<(String, Option<String>, Option<String>, String, String, String, Option<String>)>(conn)
                .optional()?
            else {
                return Ok(None);
            };
            put(&mut facts, "division_id", Some(d));
            put(&mut facts, "branch_id", b);
            put(&mut facts, "queue_id", q);
            put(&mut facts, "priority", Some(pr));
            put(&mut facts, "channel", Some(ch));
            put(&mut facts, "assignee_id", a);
            derive(conn, kind, &mut facts, Some(&c), None)?;
            facts.insert("category_id", c);
        }
        SubjectType::Purchase => {
            let Some((d, b, s, a)) = purchases::table
                .filter(purchases::id.eq(id))
                .select((purchases::division_id, purchases::branch_id, purchases::status, purchases::asset_id))
                .first::<(String, Option<String>, String, Option<String>)>(conn)
                .optional()?
            else {
                return Ok(None);
            };
            put(&mut facts, "division_id", Some(d));
            put(&mut facts, "branch_id", b);
            put(&mut facts, "status", Some(s));
            derive(conn, kind, &mut facts, None, a.as_deref())?;
        }
        SubjectType::Asset => {
            let Some((d, k, m)) = assets::table
                .filter(assets::id.eq(id))
                .select((assets::division_id, assets::kind, assets::make))
                .first::<(String, String, Option<String>)>(conn)
                .optional()?
            else {
                return Ok(None);
            };
            put(&mut facts, "division_id", Some(d));
            put(&mut facts, "kind", Some(k));
            put(&mut facts, "make", m);
        }
        SubjectType::Task => {
            let Some((d, b, k, p, a)) = tasks::table
                .filter(tasks::id.eq(id))
                .select((tasks::division_id, tasks::branch_id, tasks::kind, tasks::priority, tasks::assignee_id))
                .first::<(String, Option<String>, String, String, String)>(conn)
                .optional()?
            else {
                return Ok(None);
            };
            put(&mut facts, "division_id", Some(d));
            put(&mut facts, "branch_id", b);
            put(&mut facts, "kind", Some(k));
            put(&mut facts, "priority", Some(p));
            put(&mut facts, "assignee_id", Some(a));
        }
    }
    Ok(Some(facts))
}

/// What the actions need to know about the record.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The kind of record.
    pub kind: SubjectType,
    /// Its id.
    pub id: String,
    /// Its division.
    pub division_id: String,
    /// Its branch.
    pub branch_id: Option<String>,
    /// Its owner (lead owner, ticket or task assignee, the customer's owner).
    pub owner_id: Option<String>,
    /// Its customer.
    pub customer_id: Option<String>,
    /// What a task created about it relates to.
    pub related: Option<(RelatedType, String)>,
    /// A few words naming it in messages.
    pub label: String,
}

fn customer_owner(conn: &mut Conn, customer_id: &str) -> Result<Option<String>> {
    Ok(customers::table
        .filter(customers::id.eq(customer_id))
        .select(customers::owner_id)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Record `kind` `id` as the actions see it; `None` when it is gone.
pub(crate) fn load(conn: &mut Conn, kind: SubjectType, id: &str) -> Result<Option<Subject>> {
    let subject = |division_id, branch_id, owner_id, customer_id, related, label| Subject {
        kind,
        id: id.to_owned(),
        division_id,
        branch_id,
        owner_id,
        customer_id,
        related,
        label,
    };
    Ok(match kind {
        SubjectType::Lead => leads::table
            .filter(leads::id.eq(id))
            .select((
                leads::division_id,
                leads::branch_id,
                leads::owner_id,
                leads::customer_id,
                leads::prospect_name,
                leads::product_interest,
            ))
            .first::<(String, Option<String>, Option<String>, Option<String>, Option<String>, Option<String>)>(conn)
            .optional()?
            .map(|(d, b, o, c, name, interest)| {
                let label = [name, interest].into_iter().flatten().collect::<Vec<_>>().join(", ");
                subject(d, b, o, c, Some((RelatedType::Lead, id.to_owned())), format!("lead {label}"))
            }),
        SubjectType::Ticket => tickets::table
            .filter(tickets::id.eq(id))
            .select((
                tickets::division_id,
                tickets::branch_id,
                tickets::assignee_id,
                tickets::customer_id,
                tickets::number,
                tickets::subject,
            ))
            .first::<(String, Option<String>, Option<String>, Option<String>, String, String)>(conn)
            .optional()?
            .map(|(d, b, a, c, number, title)| {
                subject(d, b, a, c, Some((RelatedType::Ticket, id.to_owned())), format!("ticket {number} {title}"))
            }),
        SubjectType::Purchase => {
            let found = purchases::table
                .filter(purchases::id.eq(id))
                .select((
                    purchases::division_id,
                    purchases::branch_id,
                    purchases::customer_id,
                    purchases::asset_id,
                    purchases::invoice_number,
                ))
                .first::<(String, Option<String>, String, Option<String>, String)>(conn)
                .optional()?;
            match found {
                None => None,
                Some((d, b, c, asset, invoice)) => {
                    let owner = customer_owner(conn, &c)?;
                    let related = match asset {
                        Some(a) => (RelatedType::Asset, a),
                        None => (RelatedType::Customer, c.clone()),
                    };
                    Some(subject(d, b, owner, Some(c), Some(related), format!("purchase {invoice}")))
                }
            }
        }
        SubjectType::Asset => {
            let found = assets::table
                .filter(assets::id.eq(id))
                .select((assets::division_id, assets::customer_id, assets::make, assets::model, assets::plate))
                .first::<(String, String, Option<String>, Option<String>, Option<String>)>(conn)
                .optional()?;
            match found {
                None => None,
                Some((d, c, make, model, plate)) => {
                    let owner = customer_owner(conn, &c)?;
                    let label = [make, model, plate].into_iter().flatten().collect::<Vec<_>>().join(" ");
                    Some(subject(
                        d,
                        None,
                        owner,
                        Some(c),
                        Some((RelatedType::Asset, id.to_owned())),
                        format!("asset {label}"),
                    ))
                }
            }
        }
        SubjectType::Task => tasks::table
            .filter(tasks::id.eq(id))
            .select((
                tasks::division_id,
                tasks::branch_id,
                tasks::assignee_id,
                tasks::customer_id,
                tasks::related_type,
                tasks::related_id,
                tasks::title,
            ))
            .first::<(String, Option<String>, String, Option<String>, Option<String>, Option<String>, String)>(conn)
            .optional()?
            .map(|(d, b, a, c, rt, ri, title)| {
                let related = rt.as_deref().and_then(RelatedType::parse).zip(ri);
                subject(d, b, Some(a), c, related, format!("task {title}"))
            }),
    })
}
