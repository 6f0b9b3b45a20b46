//! Turning a checked [`Draft`] into a row: references resolved against the
//! request's [`Lookups`], defaults applied, the category chosen. Shared by
//! the single create and the bulk path, so both decide alike.

use chrono::NaiveDateTime;
use rapport_core::principal::Reach;
use rapport_core::{Error, Problems, Result, time};

use super::api::{CategoryOrigin, InteractionChannel, InteractionDirection, InteractionResponse};
use super::input::Draft;
use super::lookups::{Lookups, Wanted};
use super::rows::InteractionRow;

/// Who is writing interactions and what they may touch.
#[derive(Debug, Clone)]
pub struct Author {
    /// What the caller may reach for this operation on interactions; its
    /// division is the default division of new interactions.
    pub reach: Reach,
    /// The customers the caller may link interactions to.
    pub customer_reach: Reach,
    /// The user of a new interaction that names none (the signed-in person).
    pub default_user_id: Option<String>,
}

/// A row ready to insert, and the customer-division link it needs (when the
/// customer did not deal with the interaction's division yet).
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub row: InteractionRow,
    pub link: Option<(String, String)>,
}

/// Adds what `draft` refers to.
pub(crate) fn want(wanted: &mut Wanted, draft: &Draft) {
    wanted.categories.extend(draft.category_id.clone());
    wanted.users.extend(draft.user_id.clone());
    wanted.customers.extend(draft.customer_id.clone());
    wanted.leads.extend(draft.lead_id.clone());
    wanted.tickets.extend(draft.ticket_id.clone());
}

/// Resolves `draft`'s references; `None` when a problem was recorded.
pub(crate) fn prepare(
    problems: &mut Problems,
    lookups: &Lookups,
    reach: &Reach,
    draft: Draft,
    now: NaiveDateTime,
) -> Option<Prepared> {
    let (category_id, origin) = match draft.category_id {
        Some(id) => {
            lookups.check_category(problems, &id);
            (Some(id), Some(CategoryOrigin::Given))
        }
        None => match lookups.rules.categorise(draft.channel, draft.subject.as_deref(), draft.summary.as_deref()) {
            Some(id) => (Some(id.to_owned()), Some(CategoryOrigin::Rule)),
            None => (None, None),
        },
    };
    if let Some(user_id) = &draft.user_id {
        lookups.check_user(problems, user_id);
    }
    if let Some(lead_id) = &draft.lead_id {
        lookups.check_lead(problems, lead_id);
    }
    if let Some(ticket_id) = &draft.ticket_id {
        lookups.check_ticket(problems, ticket_id);
    }
    let customer = draft.customer_id.as_deref().and_then(|id| lookups.customer(problems, id));
    let division_id = draft
        .division_id
        .or_else(|| reach.division_id.clone())
        .or_else(|| customer.filter(|c| c.divisions.len() == 1).and_then(|c| c.divisions.first().cloned()));
    match &division_id {
        Some(id) => lookups.check_division(problems, reach, id),
        None if draft.customer_id.is_none() || customer.is_some() => problems.push(
            "division_id",
            "required",
            "division_id is required: you have no division and the customer deals with no single division",
        ),
        // The customer was refused already; a missing default follows from that.
        None => {}
    }
    if !problems.is_empty() {
        return None;
    }
    let division_id = division_id?;
    let link = customer.filter(|c| !c.divisions.contains(&division_id)).map(|c| (c.id.clone(), division_id.clone()));
    let (external_source, external_id) = draft.external.unzip();
    let row = InteractionRow {
        id: rapport_core::ids::new_id(),
        customer_id: customer.map(|c| c.id.clone()),
        lead_id: draft.lead_id,
        ticket_id: draft.ticket_id,
        division_id,
        channel: draft.channel.as_str().to_owned(),
        direction: draft.direction.as_str().to_owned(),
        category_id,
        category_origin: origin.map(|o| o.as_str().to_owned()),
        subject: draft.subject,
        summary: draft.summary,
        occurred_at: draft.occurred_at,
        duration_seconds: draft.duration_seconds,
        outcome: draft.outcome,
        user_id: draft.user_id,
        external_source,
        external_id,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    Some(Prepared { row, link })
}

/// A stored row as the API shows it.
pub(crate) fn to_response(row: InteractionRow) -> Result<InteractionResponse> {
    let bad = |what: &str, value: &str| Error::Internal(format!("unknown stored interaction {what} {value}"));
    Ok(InteractionResponse {
        channel: InteractionChannel::parse(&row.channel).ok_or_else(|| bad("channel", &row.channel))?,
        direction: InteractionDirection::parse(&row.direction).ok_or_else(|| bad("direction", &row.direction))?,
        category_origin: row
            .category_origin
            .as_deref()
            .map(|o| CategoryOrigin::parse(o).ok_or_else(|| bad("category origin", o)))
            .transpose()?,
        id: row.id,
        customer_id: row.customer_id,
        lead_id: row.lead_id,
        ticket_id: row.ticket_id,
        division_id: row.division_id,
        category_id: row.category_id,
        subject: row.subject,
        summary: row.summary,
        occurred_at: time::utc(row.occurred_at),
        duration_seconds: row.duration_seconds.map(i64::from),
        outcome: row.outcome,
        user_id: row.user_id,
        external_source: row.external_source,
        external_id: row.external_id,
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}
