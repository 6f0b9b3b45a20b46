//! Intake sources: the web forms and messaging integrations allowed to post
//! inquiries. Admins manage all; a manager those of their own division.

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::intake_sources as s;
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::principal::{Reach, Scope};
use rapport_core::removal::{Removal, Target, delete_or_archive};
use rapport_core::{Error, FieldError, Problems, Result, ids, time, validate};
use rapport_customers::refs;

use super::api::{
    CreateIntakeSource, IntakeSourceListQuery, IntakeSourceResponse, IntakeSourceSort, IntakeSourceWithKey,
    UpdateIntakeSource,
};
use super::key;
use super::rows::SourceRow;
use crate::kinds::LeadSource;

/// The audit entity type of intake sources.
pub const ENTITY: &str = "intake_source";
/// The limit per minute when a create names none.
const DEFAULT_RATE_LIMIT: i32 = 60;
const MAX_RATE_LIMIT: i32 = 10_000;

type BoxedSources<'a> = s::BoxedQuery<
    'a,
    rapport_core::db::MultiBackend,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<SourceRow, rapport_core::db::MultiBackend>>,
>;

/// Sources within `reach`: all, or those of the caller's division.
fn reachable<'a>(reach: &Reach) -> BoxedSources<'a> {
    let q = s::table.select(SourceRow::as_select()).into_boxed();
    match reach.scope {
        Scope::All => q,
        _ => q.filter(s::division_id.eq(reach.own_division().to_owned())),
    }
}

fn find_row(conn: &mut Conn, reach: &Reach, id: &str) -> Result<SourceRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    reachable(reach).filter(s::id.eq(id.to_owned())).first(conn).optional()?.ok_or(Error::NotFound { entity: ENTITY })
}

fn response(row: SourceRow) -> Result<IntakeSourceResponse> {
    Ok(IntakeSourceResponse {
        lead_source: LeadSource::parse(&row.lead_source)
            .ok_or_else(|| Error::Internal(format!("stored lead source {}", row.lead_source)))?,
        id: row.id,
        name: row.name,
        division_id: row.division_id,
        branch_id: row.branch_id,
        key_prefix: row.key_prefix,
        rate_limit_per_minute: row.rate_limit_per_minute,
        active: row.active,
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}

fn rate_limit(problems: &mut Problems, value: i32) -> i32 {
    if !(1..=MAX_RATE_LIMIT).contains(&value) {
        problems.push("rate_limit_per_minute", "out_of_range", format!("must be between 1 and {MAX_RATE_LIMIT}"));
    }
    value
}

fn ensure_name_free(conn: &mut Conn, name: &str, except: Option<&str>) -> Result<()> {
    let holder: Option<String> = s::table.filter(s::name.eq(name)).select(s::id).first(conn).optional()?;
    match holder {
        Some(h) if Some(h.as_str()) != except => Err(Error::Duplicate(vec![FieldError::new(
            "name",
            "duplicate",
            format!("an intake source named {name} exists"),
        )])),
        _ => Ok(()),
    }
}

/// One page of the sources within `reach`.
pub fn list(conn: &mut Conn, reach: &Reach, query: &IntakeSourceListQuery) -> Result<Page<IntakeSourceResponse>> {
    let page = PageRequest::<IntakeSourceSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = reachable(reach);
    if let Some(division_id) = &query.division_id {
        q = q.filter(s::division_id.eq(division_id.clone()));
    }
    if let Some(active) = query.active {
        q = q.filter(s::active.eq(active));
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        IntakeSourceSort::Name => rapport_core::keyset!(q, s::name, s::id, direction, page.after_text()),
        IntakeSourceSort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, s::created_at, s::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<SourceRow>(conn)?;
    let sort = page.sort.key;
    let page = page.finish(rows, |row| {
        let value = match sort {
            IntakeSourceSort::Name => row.name.clone(),
            IntakeSourceSort::CreatedAt => instant_value(row.created_at),
        };
        (value, row.id.clone())
    });
    let items = page.items.into_iter().map(response).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// The source `id` within `reach`.
pub fn get(conn: &mut Conn, reach: &Reach, id: &str) -> Result<IntakeSourceResponse> {
    find_row(conn, reach, id).and_then(response)
}

/// Creates a source with a new key, returned only now.
pub fn create(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    input: CreateIntakeSource,
) -> Result<IntakeSourceWithKey> {
    let mut p = Problems::new();
    let name = validate::required_text(&mut p, "name", &input.name, 100);
    let division_id = validate::id_ref(&mut p, "division_id", &input.division_id);
    let branch_id = input.branch_id.as_deref().map(|b| validate::id_ref(&mut p, "branch_id", b.trim()));
    let rate_limit_per_minute = rate_limit(&mut p, input.rate_limit_per_minute.unwrap_or(DEFAULT_RATE_LIMIT));
    p.into_result(())?;
    refs::ensure_division_in_reach(reach, "division_id", &division_id)?;
    refs::ensure_division(conn, "division_id", &division_id)?;
    if let Some(branch) = &branch_id {
        refs::ensure_branch(conn, "branch_id", branch, &division_id)?;
    }
    ensure_name_free(conn, &name, None)?;
    let (key_prefix, key, key_hash) = key::generate();
    let now = time::now();
    let row = SourceRow {
        id: ids::new_id(),
        name,
        division_id,
        branch_id,
        lead_source: input.lead_source.as_str().to_owned(),
        key_prefix,
        key_hash,
        rate_limit_per_minute,
        active: input.active.unwrap_or(true),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(s::table).values(&row).execute(conn)?;
    let intake_source = response(row)?;
    audit::record(conn, ctx, ENTITY, &intake_source.id, Action::Created, None, Some(&intake_source))?;
    Ok(IntakeSourceWithKey { key, intake_source })
}

/// Renames, re-targets (branch, lead source), re-limits, deactivates or
/// reactivates a source.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    version: i64,
    changes: UpdateIntakeSource,
) -> Result<IntakeSourceResponse> {
    let row = find_row(conn, reach, id)?;
    let mut p = Problems::new();
    let name = changes.name.as_deref().map(|n| validate::required_text(&mut p, "name", n, 100));
    let branch_id = changes.branch_id.map(|b| b.map(|b| validate::id_ref(&mut p, "branch_id", b.trim())));
    let limit = changes.rate_limit_per_minute.map(|l| rate_limit(&mut p, l));
    p.into_result(())?;
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    if let Some(Some(branch)) = &branch_id {
        refs::ensure_branch(conn, "branch_id", branch, &row.division_id)?;
    }
    if let Some(name) = &name {
        ensure_name_free(conn, name, Some(id))?;
    }
    let before = response(row.clone())?;
    let updated = diesel::update(s::table.filter(s::id.eq(id)).filter(s::version.eq(version)))
        .set((
            s::name.eq(name.unwrap_or(row.name)),
            s::branch_id.eq(branch_id.unwrap_or(row.branch_id)),
            s::lead_source.eq(changes.lead_source.map_or(row.lead_source, |l| l.as_str().to_owned())),
            s::rate_limit_per_minute.eq(limit.unwrap_or(row.rate_limit_per_minute)),
            s::active.eq(changes.active.unwrap_or(row.active)),
            s::version.eq(version + 1),
            s::updated_at.eq(time::now()),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find_row(conn, reach, id)?.version });
    }
    let after = get(conn, reach, id)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&after))?;
    Ok(after)
}

/// Gives a source a new key, returned only now; the old key stops working
/// at once. `expected_version`, when given, must be current.
pub fn rotate_key(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: Option<i64>,
) -> Result<IntakeSourceWithKey> {
    let row = find_row(conn, reach, id)?;
    if expected_version.is_some_and(|v| v != row.version) {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = response(row.clone())?;
    let (key_prefix, key, key_hash) = key::generate();
    let updated = diesel::update(s::table.filter(s::id.eq(id)).filter(s::version.eq(row.version)))
        .set((
            s::key_prefix.eq(key_prefix),
            s::key_hash.eq(key_hash),
            s::version.eq(row.version + 1),
            s::updated_at.eq(time::now()),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find_row(conn, reach, id)?.version });
    }
    let intake_source = get(conn, reach, id)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(&before), Some(&intake_source))?;
    Ok(IntakeSourceWithKey { key, intake_source })
}

/// Deletes a source that never captured an inquiry; one that did is
/// deactivated instead (its key stops working) and kept, so the record of
/// where leads came from stays.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<IntakeSourceResponse>> {
    let row = find_row(conn, reach, id)?;
    let target = Target { entity: ENTITY, id, before: response(row.clone())?, version: row.version };
    delete_or_archive(
        conn,
        ctx,
        target,
        expected_version,
        |conn| {
            diesel::delete(s::table.filter(s::id.eq(id))).execute(conn)?;
            Ok(())
        },
        |conn| {
            diesel::update(s::table.filter(s::id.eq(id)))
                .set((s::active.eq(false), s::version.eq(row.version + 1), s::updated_at.eq(time::now())))
                .execute(conn)?;
            get(conn, &Reach::everything(), id)
        },
    )
}
