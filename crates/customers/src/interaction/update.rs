//! Changing an interaction. Only the references that change are checked:
//! an interaction keeps its customer, user or category even after they are
//! archived or deactivated. A category chosen by a rule is chosen again when
//! the channel, subject or summary changes; a given one stays until changed.

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::interactions;
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::principal::Scope;
use rapport_core::{Error, Problems, Result, time};

use super::api::{CategoryOrigin, InteractionChannel, InteractionResponse, UpdateInteraction};
use super::input;
use super::lookups::{Lookups, Wanted};
use super::prepare::{Author, to_response};
use super::store::{ENTITY, find};
use crate::customer::link_division;

/// Applies `changes` if the interaction (within the author's reach) is
/// still at `expected_version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    author: &Author,
    id: &str,
    expected_version: i64,
    changes: UpdateInteraction,
) -> Result<InteractionResponse> {
    let row = find(conn, &author.reach, id)?;
    if row.version != expected_version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let now = time::now();
    let mut problems = Problems::new();
    let category_id = changes.category_id.map(|c| input::id(&mut problems, "category_id", c));
    let subject = changes.subject.map(|s| input::subject(&mut problems, s.as_deref()));
    let summary = changes.summary.map(|s| input::summary(&mut problems, s.as_deref()));
    let occurred_at = changes.occurred_at.map(|t| input::occurred_at(&mut problems, t, now));
    let duration = changes.duration_seconds.map(|d| input::duration(&mut problems, d));
    let outcome = changes.outcome.map(|o| input::outcome(&mut problems, o.as_deref()));
    let user_id = changes.user_id.map(|u| input::id(&mut problems, "user_id", u));
    let customer_id = changes.customer_id.map(|c| input::id(&mut problems, "customer_id", c));
    let lead_id = changes.lead_id.map(|l| input::id(&mut problems, "lead_id", l));
    let ticket_id = changes.ticket_id.map(|t| input::id(&mut problems, "ticket_id", t));
    let division_id = changes.division_id.map(|d| input::id(&mut problems, "division_id", Some(d)));
    problems.into_result(())?;

    let mut wanted = Wanted::default();
    wanted.categories.extend(category_id.clone().flatten());
    wanted.users.extend(user_id.clone().flatten());
    wanted.customers.extend(customer_id.clone().flatten());
    wanted.leads.extend(lead_id.clone().flatten());
    wanted.tickets.extend(ticket_id.clone().flatten());
    let lookups = Lookups::load(conn, &author.customer_reach, &wanted)?;
    let mut problems = Problems::new();
    if let Some(Some(category_id)) = &category_id {
        lookups.check_category(&mut problems, category_id);
    }
    if let Some(Some(user_id)) = &user_id {
        lookups.check_user(&mut problems, user_id);
    }
    if let Some(Some(lead_id)) = &lead_id {
        lookups.check_lead(&mut problems, lead_id);
    }
    if let Some(Some(ticket_id)) = &ticket_id {
        lookups.check_ticket(&mut problems, ticket_id);
    }
    // An own-scoped caller may not hand their interaction to someone else
    // (or to nobody): it would leave their reach.
    if author.reach.scope == Scope::Own
        && user_id.as_ref().is_some_and(|u| u.as_deref() != Some(author.reach.user_id.as_str()))
    {
        problems.push("user_id", "outside_scope", "you may only record interactions as yourself");
    }
    let customer_id = match customer_id {
        Some(Some(asked)) => Some(lookups.customer(&mut problems, &asked).map(|c| c.id.clone())),
        Some(None) => Some(None),
        None => None,
    };
    if let Some(Some(division_id)) = &division_id {
        lookups.check_division(&mut problems, &author.reach, division_id);
    }
    problems.into_result(())?;

    let channel = changes.channel.map_or(row.channel.clone(), |c| c.as_str().to_owned());
    let subject = subject.unwrap_or(row.subject.clone());
    let summary = summary.unwrap_or(row.summary.clone());
    let text_changed = channel != row.channel || subject != row.subject || summary != row.summary;
    let (category_id, origin) = match category_id {
        Some(Some(id)) => (Some(id), Some(CategoryOrigin::Given.as_str().to_owned())),
        Some(None) => rule_category(&lookups, &channel, subject.as_deref(), summary.as_deref()),
        None if row.category_origin.as_deref() != Some(CategoryOrigin::Given.as_str()) && text_changed => {
            rule_category(&lookups, &channel, subject.as_deref(), summary.as_deref())
        }
        None => (row.category_id.clone(), row.category_origin.clone()),
    };
    let customer_id = customer_id.unwrap_or(row.customer_id.clone());
    let division_id = division_id.flatten().unwrap_or(row.division_id.clone());
    if let Some(customer_id) = &customer_id
        && (Some(customer_id) != row.customer_id.as_ref() || division_id != row.division_id)
    {
        link_division(conn, customer_id, &division_id)?;
    }
    let updated = diesel::update(
        interactions::table.filter(interactions::id.eq(id)).filter(interactions::version.eq(expected_version)),
    )
    .set((
        interactions::channel.eq(&channel),
        interactions::direction.eq(changes.direction.map_or(row.direction.clone(), |d| d.as_str().to_owned())),
        interactions::category_id.eq(&category_id),
        interactions::category_origin.eq(&origin),
        interactions::subject.eq(&subject),
        interactions::summary.eq(&summary),
        interactions::occurred_at.eq(occurred_at.unwrap_or(row.occurred_at)),
        interactions::duration_seconds.eq(duration.unwrap_or(row.duration_seconds)),
        interactions::outcome.eq(outcome.unwrap_or(row.outcome.clone())),
        interactions::user_id.eq(user_id.unwrap_or(row.user_id.clone())),
        interactions::customer_id.eq(&customer_id),
        interactions::lead_id.eq(lead_id.unwrap_or(row.lead_id.clone())),
        interactions::ticket_id.eq(ticket_id.unwrap_or(row.ticket_id.clone())),
        interactions::division_id.eq(&division_id),
        interactions::version.eq(expected_version + 1),
        interactions::updated_at.eq(now),
    ))
    .cached()
    .execute(conn)?;
    let before = to_response(row)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: before.version + 1 });
    }
    let after = to_response(find(conn, &rapport_core::principal::Reach::everything(), id)?)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    Ok(after)
}

fn rule_category(
    lookups: &Lookups,
    channel: &str,
    subject: Option<&str>,
    summary: Option<&str>,
) -> (Option<String>, Option<String>) {
    InteractionChannel::parse(channel)
        .and_then(|c| lookups.rules.categorise(c, subject, summary))
        .map_or((None, None), |id| (Some(id.to_owned()), Some(CategoryOrigin::Rule.as_str().to_owned())))
}
