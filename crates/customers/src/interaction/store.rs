//! Interactions: create, read, list, update, delete. Every function applies
//! the caller's reach in its query: a division scope sees its division's
//! interactions, an own scope the caller's own (`user_id`).

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::interactions;
use rapport_core::db::{Conn, lower};
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::principal::{Reach, Scope};
use rapport_core::{Error, FieldError, Problems, Result, ids, time, validate};

use super::api::{CreateInteraction, InteractionListQuery, InteractionResponse, InteractionSort};
use super::input::Draft;
use super::lookups::{Lookups, Wanted, existing_external_ids};
use super::prepare::{Author, Prepared, prepare, to_response, want};
use super::rows::InteractionRow;
use crate::customer::link_division;

pub(crate) const ENTITY: &str = "interaction";

type Boxed<'a> = interactions::BoxedQuery<
    'a,
    rapport_core::db::MultiBackend,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<InteractionRow, rapport_core::db::MultiBackend>>,
>;

/// Interactions within `reach`, filtered in the query.
fn reachable<'a>(reach: &Reach) -> Boxed<'a> {
    let q = interactions::table.select(InteractionRow::as_select()).into_boxed();
    match reach.scope {
        Scope::All => q,
        Scope::Division => q.filter(interactions::division_id.eq(reach.own_division().to_owned())),
        Scope::Own => q.filter(interactions::user_id.eq(reach.user_id.clone())),
        // Interactions belong to divisions, not branches.
        Scope::Branch => q.filter(interactions::id.eq("")),
    }
}

/// Records one interaction.
pub fn create(
    conn: &mut Conn,
    ctx: &WriteContext,
    author: &Author,
    input: CreateInteraction,
) -> Result<InteractionResponse> {
    let now = time::now();
    let mut problems = Problems::new();
    let draft = Draft::parse(&mut problems, input, now, author.default_user_id.as_deref());
    problems.into_result(())?;
    let mut wanted = Wanted::default();
    want(&mut wanted, &draft);
    let lookups = Lookups::load(conn, &author.customer_reach, &wanted)?;
    let external = draft.external.clone();
    let mut problems = Problems::new();
    let prepared = prepare(&mut problems, &lookups, &author.reach, draft, now);
    problems.into_result(())?;
    let prepared = prepared.ok_or_else(|| Error::Internal("interaction not prepared".to_owned()))?;
    if let Some(pair) = external {
        let taken = existing_external_ids(conn, &std::iter::once(pair).collect())?;
        if let Some(((source, external_id), holder)) = taken.into_iter().next() {
            return Err(duplicate_external(&source, &external_id, &holder));
        }
    }
    insert(conn, ctx, prepared).map_err(|e| match e {
        // Stored by a concurrent request between the check and the insert.
        Error::Conflict { code: "duplicate", .. } => {
            Error::Duplicate(vec![FieldError::new("external_id", "duplicate", "the external id is already stored")])
        }
        other => other,
    })
}

/// Inserts a prepared interaction, links its customer to its division and
/// records the audit entry and change event.
pub(crate) fn insert(conn: &mut Conn, ctx: &WriteContext, prepared: Prepared) -> Result<InteractionResponse> {
    diesel::insert_into(interactions::table).values(&prepared.row).execute(conn)?;
    if let Some((customer_id, division_id)) = &prepared.link {
        link_division(conn, customer_id, division_id)?;
    }
    let created = to_response(prepared.row)?;
    audit::record(conn, ctx, ENTITY, &created.id, Action::Created, None, Some(&created))?;
    Ok(created)
}

pub(crate) fn duplicate_external(source: &str, external_id: &str, holder: &str) -> Error {
    Error::Duplicate(vec![FieldError::new(
        "external_id",
        "duplicate",
        format!("interaction {holder} already has external id {external_id} from {source}"),
    )])
}

/// One interaction within `reach`.
pub fn get(conn: &mut Conn, reach: &Reach, id: &str) -> Result<InteractionResponse> {
    find(conn, reach, id).and_then(to_response)
}

pub(crate) fn find(conn: &mut Conn, reach: &Reach, id: &str) -> Result<InteractionRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    reachable(reach)
        .filter(interactions::id.eq(id.to_owned()))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// One page of interactions within `reach`.
pub fn list(conn: &mut Conn, reach: &Reach, query: &InteractionListQuery) -> Result<Page<InteractionResponse>> {
    let page = PageRequest::<InteractionSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = reachable(reach);
    // Each column is its own type, so one `if` per filter.
    if let Some(id) = &query.customer_id {
        q = q.filter(interactions::customer_id.eq(id.clone()));
    }
    if let Some(id) = &query.user_id {
        q = q.filter(interactions::user_id.eq(id.clone()));
    }
    if let Some(id) = &query.category_id {
        q = q.filter(interactions::category_id.eq(id.clone()));
    }
    if let Some(id) = &query.lead_id {
        q = q.filter(interactions::lead_id.eq(id.clone()));
    }
    if let Some(id) = &query.ticket_id {
        q = q.filter(interactions::ticket_id.eq(id.clone()));
    }
    if let Some(division_id) = &query.division_id {
        q = q.filter(interactions::division_id.eq(division_id.clone()));
    }
    if let Some(channel) = query.channel {
        q = q.filter(interactions::channel.eq(channel.as_str()));
    }
    if let Some(direction) = query.direction {
        q = q.filter(interactions::direction.eq(direction.as_str()));
    }
    if let Some(from) = query.occurred_from {
        q = q.filter(interactions::occurred_at.ge(time::stored(from)));
    }
    if let Some(to) = query.occurred_to {
        q = q.filter(interactions::occurred_at.lt(time::stored(to)));
    }
    if let Some(since) = query.updated_since {
        q = q.filter(interactions::updated_at.ge(time::stored(since)));
    }
    if let Some(needle) = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = validate::contains_pattern(needle);
        q = q.filter(
            lower(interactions::subject.assume_not_null()).like(pattern.clone()).escape('\\').or(lower(
                interactions::summary.assume_not_null(),
            )
            .like(pattern)
            .escape('\\')),
        );
    }
    let direction = page.sort.direction;
    let after = page.after_instant()?;
    let q = match page.sort.key {
        InteractionSort::OccurredAt => {
            rapport_core::keyset!(q, interactions::occurred_at, interactions::id, direction, after)
        }
        InteractionSort::CreatedAt => {
            rapport_core::keyset!(q, interactions::created_at, interactions::id, direction, after)
        }
        InteractionSort::UpdatedAt => {
            rapport_core::keyset!(q, interactions::updated_at, interactions::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<InteractionRow>(conn)?;
    let sort = page.sort.key;
    let page = page.finish(rows, |row| {
        let value = match sort {
            InteractionSort::OccurredAt => row.occurred_at,
            InteractionSort::CreatedAt => row.created_at,
            InteractionSort::UpdatedAt => row.updated_at,
        };
        (instant_value(value), row.id.clone())
    });
    let items = page.items.into_iter().map(to_response).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Deletes an interaction within `reach` (nothing refers to interactions).
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: Option<i64>,
) -> Result<()> {
    let before = get(conn, reach, id)?;
    if expected_version.is_some_and(|v| v != before.version) {
        return Err(Error::StaleVersion { current: before.version });
    }
    diesel::delete(interactions::table.filter(interactions::id.eq(id))).execute(conn)?;
    audit::record(conn, ctx, ENTITY, id, Action::Deleted, Some(&before), None::<&InteractionResponse>)
}
