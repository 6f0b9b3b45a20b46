//! Listing leads: filters, the follow-up lists, search and keyset pages.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use rapport_core::db::schema::leads;
use rapport_core::db::{Conn, lower};
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::principal::Reach;
use rapport_core::{Error, FieldError, Result, phone, time, validate};
use rapport_customers::custom_field::FieldFilter;

use super::api::{FollowUpState, LeadListQuery, LeadResponse, LeadSort};
use super::rows::LeadRow;
use super::scope::{BoxedLeads, reachable};
use super::store::responses;
use crate::kinds::LeadStatus;
use rapport_core::time::day_bounds;

/// The clock and calendar day the follow-up lists are measured against.
#[derive(Debug, Clone, Copy)]
pub struct Today {
    /// The company's time zone.
    pub tz: Tz,
    /// Now.
    pub now: DateTime<Utc>,
}

/// One page of leads within `reach`.
pub fn list(
    conn: &mut Conn,
    reach: &Reach,
    query: &LeadListQuery,
    fields: &[FieldFilter],
    today: Today,
) -> Result<Page<LeadResponse>> {
    let page = PageRequest::<LeadSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = filtered(reachable(reach), reach, query, today)?;
    for filter in fields {
        q = q.filter(leads::id.eq_any(filter.matching_records()));
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        LeadSort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, leads::created_at, leads::id, direction, after)
        }
        LeadSort::UpdatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, leads::updated_at, leads::id, direction, after)
        }
        // Leads without the value are left out: NULLs sort differently on
        // the two backends and cannot sit in a keyset.
        LeadSort::ClosedAt => {
            let after = page.after_instant()?;
            let q = q.filter(leads::closed_at.is_not_null());
            rapport_core::keyset!(q, leads::closed_at, leads::id, direction, after)
        }
        LeadSort::NextFollowUpAt => {
            let after = page.after_instant()?;
            let q = q.filter(leads::next_follow_up_at.is_not_null());
            rapport_core::keyset!(q, leads::next_follow_up_at, leads::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<LeadRow>(conn)?;
    let sort = page.sort.key;
    let page = page.finish(rows, |row| {
        let value = match sort {
            LeadSort::CreatedAt => Some(row.created_at),
            LeadSort::UpdatedAt => Some(row.updated_at),
            LeadSort::ClosedAt => row.closed_at,
            LeadSort::NextFollowUpAt => row.next_follow_up_at,
        };
        (value.map(instant_value).unwrap_or_default(), row.id.clone())
    });
    let items = responses(conn, page.items)?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

fn filtered<'a>(mut q: BoxedLeads<'a>, reach: &Reach, query: &LeadListQuery, today: Today) -> Result<BoxedLeads<'a>> {
    if let Some(needle) = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = if let Some(e164) = phone::normalize(needle) {
            q.filter(leads::prospect_phone.eq(e164))
        } else if needle.contains('@') {
            q.filter(leads::prospect_email.eq(needle.to_lowercase()))
        } else {
            q.filter(
                lower(leads::prospect_name.assume_not_null()).like(validate::contains_pattern(needle)).escape('\\'),
            )
        };
    }
    if let Some(v) = &query.pipeline_id {
        q = q.filter(leads::pipeline_id.eq(v.clone()));
    }
    if let Some(v) = &query.stage_id {
        q = q.filter(leads::stage_id.eq(v.clone()));
    }
    if let Some(v) = query.status {
        q = q.filter(leads::status.eq(v.as_str()));
    }
    match query.owner.as_deref().map(str::trim) {
        Some("none") => q = q.filter(leads::owner_id.is_null()),
        Some("me") => q = q.filter(leads::owner_id.eq(reach.user_id.clone())),
        Some(owner) => q = q.filter(leads::owner_id.eq(owner.to_owned())),
        None => {}
    }
    if let Some(v) = &query.division_id {
        q = q.filter(leads::division_id.eq(v.clone()));
    }
    if let Some(v) = &query.branch_id {
        q = q.filter(leads::branch_id.eq(v.clone()));
    }
    if let Some(v) = query.source {
        q = q.filter(leads::source.eq(v.as_str()));
    }
    if let Some(v) = &query.customer_id {
        q = q.filter(leads::customer_id.eq(v.clone()));
    }
    ordered_range("created", query.created_from, query.created_to)?;
    if let Some(v) = query.created_from {
        q = q.filter(leads::created_at.ge(time::stored(v)));
    }
    if let Some(v) = query.created_to {
        q = q.filter(leads::created_at.lt(time::stored(v)));
    }
    ordered_range("closed", query.closed_from, query.closed_to)?;
    if let Some(v) = query.closed_from {
        q = q.filter(leads::closed_at.ge(time::stored(v)));
    }
    if let Some(v) = query.closed_to {
        q = q.filter(leads::closed_at.lt(time::stored(v)));
    }
    if let Some(state) = query.follow_up {
        let (start, end) = day_bounds(today.tz, today.now);
        q = q.filter(leads::status.eq(LeadStatus::Open.as_str()));
        q = match state {
            FollowUpState::Overdue => q.filter(leads::next_follow_up_at.lt(start)),
            FollowUpState::DueToday => {
                q.filter(leads::next_follow_up_at.ge(start)).filter(leads::next_follow_up_at.lt(end))
            }
            FollowUpState::Upcoming => q.filter(leads::next_follow_up_at.ge(end)),
        };
    }
    if let Some(v) = query.updated_since {
        q = q.filter(leads::updated_at.ge(time::stored(v)));
    }
    if !query.include_archived.unwrap_or(false) {
        q = q.filter(leads::archived_at.is_null());
    }
    Ok(q)
}

/// A `from`/`to` pair must not be reversed.
fn ordered_range(name: &str, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Result<()> {
    match (from, to) {
        (Some(f), Some(t)) if f > t => Err(Error::InvalidQuery(vec![FieldError::new(
            format!("{name}_to"),
            "invalid_range",
            format!("{name}_to must not be before {name}_from"),
        )])),
        _ => Ok(()),
    }
}
