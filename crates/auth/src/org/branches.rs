//! Branches: create, read, list, update, delete-or-archive.

use diesel::prelude::*;
use rapport_core::audit::{self, WriteContext};
use rapport_core::db::schema::{branches, divisions};
use rapport_core::db::{Conn, lower};
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::removal::{Removal, Target, apply_archive_flag, delete_or_archive};
use rapport_core::{Error, Problems, Result, calendar, ids, time, validate};

use super::api::{BranchListQuery, BranchResponse, BranchSort, CreateBranch, UpdateBranch};
use super::divisions::ensure_usable as ensure_division_usable;
use super::rows::BranchRow;

const ENTITY: &str = "branch";

/// Creates a branch in an active division.
pub fn create(conn: &mut Conn, ctx: &WriteContext, input: CreateBranch) -> Result<BranchResponse> {
    let mut problems = Problems::new();
    let division_id = validate::id_ref(&mut problems, "division_id", &input.division_id);
    let code = validate::code(&mut problems, "code", &input.code);
    let name = validate::required_text(&mut problems, "name", &input.name, 100);
    let address = validate::optional_text(&mut problems, "address", input.address.as_deref(), 300);
    let city = validate::optional_text(&mut problems, "city", input.city.as_deref(), 100);
    let state = validate::optional_text(&mut problems, "state", input.state.as_deref(), 100);
    let country_code = validate::country_code(&mut problems, input.country_code.as_deref().unwrap_or("NG"));
    let calendar_id = input.calendar_id.as_deref().map(|id| validate::id_ref(&mut problems, "calendar_id", id));
    problems.into_result(())?;
    ensure_division_usable(conn, "division_id", &division_id)?;
    if let Some(calendar_id) = &calendar_id {
        calendar::store::ensure_usable(conn, "calendar_id", calendar_id)?;
    }
    ensure_unique_code(conn, &code, None)?;
    let now = time::now();
    let row = BranchRow {
        id: ids::new_id(),
        division_id,
        code,
        name,
        address,
        city,
        state,
        country_code,
        calendar_id,
        archived_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(branches::table).values(&row).execute(conn)?;
    let created = get(conn, &row.id)?;
    audit::record(conn, ctx, ENTITY, &created.id, audit::Action::Created, None, Some(&created))?;
    Ok(created)
}

/// One branch, archived or not.
pub fn get(conn: &mut Conn, id: &str) -> Result<BranchResponse> {
    find(conn, id, None)
}

/// One branch, if it belongs to `within_division` (when given): a branch
/// outside it is not found.
fn find(conn: &mut Conn, id: &str, within_division: Option<&str>) -> Result<BranchResponse> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    // The hottest read, so three choices for speed (docs/benchmarks.md):
    // - two static queries rather than one boxed one: diesel caches the
    //   prepared statement of a static query;
    // - `get_result`, not `first`: the id is the primary key, so no `LIMIT` is
    //   needed, and SQLite (3.53 as bundled) treats a bound `LIMIT ?` as
    //   plan-affecting: binding it again expires the cached statement, so
    //   every run would parse and plan the query anew;
    // - `per_backend!`: through the multi-connection, diesel re-serialises
    //   the query on every run, which cost as much as executing it.
    let found = rapport_core::per_backend!(conn, c => {
        let query = branches::table
            .inner_join(divisions::table)
            .filter(branches::id.eq(id))
            .select((BranchRow::as_select(), divisions::calendar_id));
        match within_division {
            None => query.get_result::<(BranchRow, Option<String>)>(c).optional()?,
            Some(division_id) => query
                .filter(branches::division_id.eq(division_id))
                .get_result::<(BranchRow, Option<String>)>(c)
                .optional()?,
        }
    });
    found.map(to_response).ok_or(Error::NotFound { entity: ENTITY })
}

/// One page of branches.
pub fn list(conn: &mut Conn, query: &BranchListQuery) -> Result<Page<BranchResponse>> {
    let page = PageRequest::<BranchSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = branches::table
        .inner_join(divisions::table)
        .select((BranchRow::as_select(), divisions::calendar_id))
        .into_boxed();
    if let Some(needle) = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = validate::contains_pattern(needle);
        q = q.filter(
            lower(branches::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(branches::code).like(pattern).escape('\\')),
        );
    }
    if let Some(division_id) = &query.division_id {
        q = q.filter(branches::division_id.eq(division_id.clone()));
    }
    if let Some(city) = &query.city {
        q = q.filter(lower(branches::city.assume_not_null()).eq(city.trim().to_lowercase()));
    }
    if let Some(since) = query.updated_since {
        q = q.filter(branches::updated_at.ge(time::stored(since)));
    }
    if !query.include_archived.unwrap_or(false) {
        q = q.filter(branches::archived_at.is_null());
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        BranchSort::Code => {
            rapport_core::keyset!(q, branches::code, branches::id, direction, page.after_text())
        }
        BranchSort::Name => {
            rapport_core::keyset!(q, branches::name, branches::id, direction, page.after_text())
        }
        BranchSort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, branches::created_at, branches::id, direction, after)
        }
        BranchSort::UpdatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, branches::updated_at, branches::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<(BranchRow, Option<String>)>(conn)?;
    let sort = page.sort.key;
    Ok(page
        .finish(rows, |(row, _)| {
            let value = match sort {
                BranchSort::Code => row.code.clone(),
                BranchSort::Name => row.name.clone(),
                BranchSort::CreatedAt => instant_value(row.created_at),
                BranchSort::UpdatedAt => instant_value(row.updated_at),
            };
            (value, row.id.clone())
        })
        .map(to_response))
}

/// Applies `changes` if the branch is still at `expected_version`. With
/// `within_division`, only a branch of that division can be changed, and not
/// moved out of it.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    within_division: Option<&str>,
    expected_version: i64,
    changes: UpdateBranch,
) -> Result<BranchResponse> {
    let before = find(conn, id, within_division)?;
    if within_division.is_some() && changes.division_id.as_ref().is_some_and(|d| *d != before.division_id) {
        return Err(Error::Forbidden("you may not move a branch out of your division".to_owned()));
    }
    if before.version != expected_version {
        return Err(Error::StaleVersion { current: before.version });
    }
    let mut problems = Problems::new();
    let division_id = changes.division_id.as_deref().map(|d| validate::id_ref(&mut problems, "division_id", d));
    let code = changes.code.as_deref().map(|c| validate::code(&mut problems, "code", c));
    let name = changes.name.as_deref().map(|n| validate::required_text(&mut problems, "name", n, 100));
    let address = changes.address.map(|a| validate::optional_text(&mut problems, "address", a.as_deref(), 300));
    let city = changes.city.map(|c| validate::optional_text(&mut problems, "city", c.as_deref(), 100));
    let state = changes.state.map(|s| validate::optional_text(&mut problems, "state", s.as_deref(), 100));
    let country_code = changes.country_code.as_deref().map(|c| validate::country_code(&mut problems, c));
    let calendar_id = changes.calendar_id.map(|c| c.map(|id| validate::id_ref(&mut problems, "calendar_id", &id)));
    problems.into_result(())?;
    if let Some(division_id) = division_id.as_deref().filter(|d| *d != before.division_id) {
        ensure_division_usable(conn, "division_id", division_id)?;
    }
    if let Some(Some(calendar_id)) = &calendar_id {
        calendar::store::ensure_usable(conn, "calendar_id", calendar_id)?;
    }
    if let Some(code) = &code {
        ensure_unique_code(conn, code, Some(id))?;
    }
    let now = time::now();
    let (archived_at, action) = apply_archive_flag(before.archived_at.map(time::stored), changes.archived, now);
    let updated =
        diesel::update(branches::table.filter(branches::id.eq(id)).filter(branches::version.eq(expected_version)))
            .set((
                branches::division_id.eq(division_id.unwrap_or_else(|| before.division_id.clone())),
                branches::code.eq(code.unwrap_or_else(|| before.code.clone())),
                branches::name.eq(name.unwrap_or_else(|| before.name.clone())),
                branches::address.eq(address.unwrap_or_else(|| before.address.clone())),
                branches::city.eq(city.unwrap_or_else(|| before.city.clone())),
                branches::state.eq(state.unwrap_or_else(|| before.state.clone())),
                branches::country_code.eq(country_code.unwrap_or_else(|| before.country_code.clone())),
                branches::calendar_id.eq(calendar_id.unwrap_or_else(|| before.calendar_id.clone())),
                branches::archived_at.eq(archived_at),
                branches::version.eq(expected_version + 1),
                branches::updated_at.eq(now),
            ))
            .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: get(conn, id)?.version });
    }
    let after = get(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, action, Some(&before), Some(&after))?;
    Ok(after)
}

/// Deletes the branch, or archives it when other records still refer to it.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<BranchResponse>> {
    let before = get(conn, id)?;
    let (version, archived_at) = (before.version, before.archived_at);
    let target = Target { entity: ENTITY, id, before, version };
    delete_or_archive(
        conn,
        ctx,
        target,
        expected_version,
        |conn| {
            diesel::delete(branches::table.filter(branches::id.eq(id))).execute(conn)?;
            Ok(())
        },
        |conn| {
            let now = time::now();
            diesel::update(branches::table.filter(branches::id.eq(id)))
                .set((
                    branches::archived_at.eq(archived_at.map_or(now, time::stored)),
                    branches::version.eq(version + 1),
                    branches::updated_at.eq(now),
                ))
                .execute(conn)?;
            get(conn, id)
        },
    )
}

fn ensure_unique_code(conn: &mut Conn, code: &str, except: Option<&str>) -> Result<()> {
    let taken = diesel::select(diesel::dsl::exists(
        branches::table.filter(branches::code.eq(code)).filter(branches::id.ne(except.unwrap_or_default())),
    ))
    .get_result::<bool>(conn)?;
    let mut problems = Problems::new();
    if taken {
        problems.push("code", "duplicate", format!("a branch with code {code} already exists"));
    }
    problems.into_duplicate_result()
}

fn to_response((row, division_calendar_id): (BranchRow, Option<String>)) -> BranchResponse {
    BranchResponse {
        effective_calendar_id: row.calendar_id.clone().or(division_calendar_id),
        id: row.id,
        division_id: row.division_id,
        code: row.code,
        name: row.name,
        address: row.address,
        city: row.city,
        state: row.state,
        country_code: row.country_code,
        calendar_id: row.calendar_id,
        archived_at: row.archived_at.map(time::utc),
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    }
}
