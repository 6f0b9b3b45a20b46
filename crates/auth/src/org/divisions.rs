//! Divisions: create, read, list, update, delete-or-archive.

use diesel::prelude::*;
use rapport_core::audit::{self, WriteContext};
use rapport_core::db::schema::divisions;
use rapport_core::db::{Conn, lower};
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::removal::{Removal, Target, apply_archive_flag, delete_or_archive};
use rapport_core::{Error, Problems, Result, calendar, ids, time, validate};

use super::api::{CreateDivision, DivisionListQuery, DivisionResponse, DivisionSort, UpdateDivision};
use super::rows::DivisionRow;

const ENTITY: &str = "division";

/// Creates a division.
pub fn create(conn: &mut Conn, ctx: &WriteContext, input: CreateDivision) -> Result<DivisionResponse> {
    let mut problems = Problems::new();
    let code = validate::code(&mut problems, "code", &input.code);
    let name = validate::required_text(&mut problems, "name", &input.name, 100);
    let calendar_id = input.calendar_id.as_deref().map(|id| validate::id_ref(&mut problems, "calendar_id", id));
    problems.into_result(())?;
    if let Some(calendar_id) = &calendar_id {
        calendar::store::ensure_usable(conn, "calendar_id", calendar_id)?;
    }
    ensure_unique(conn, &code, &name, None)?;
    let now = time::now();
    let row = DivisionRow {
        id: ids::new_id(),
        code,
        name,
        calendar_id,
        archived_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(divisions::table).values(&row).execute(conn)?;
    let created = to_response(row);
    audit::record(conn, ctx, ENTITY, &created.id, audit::Action::Created, None, Some(&created))?;
    Ok(created)
}

/// One division, archived or not.
pub fn get(conn: &mut Conn, id: &str) -> Result<DivisionResponse> {
    find_row(conn, id).map(to_response)
}

/// Fails with 422 unless `id` names an existing, active division. For records
/// that belong to a division.
pub fn ensure_usable(conn: &mut Conn, field: &str, id: &str) -> Result<()> {
    match find_row(conn, id) {
        Ok(row) if row.archived_at.is_none() => Ok(()),
        Ok(_) => Err(Error::invalid(field, "archived", format!("division {id} is archived"))),
        Err(Error::NotFound { .. }) => Err(Error::invalid(field, "not_found", format!("division {id} does not exist"))),
        Err(e) => Err(e),
    }
}

/// One page of divisions.
pub fn list(conn: &mut Conn, query: &DivisionListQuery) -> Result<Page<DivisionResponse>> {
    let page = PageRequest::<DivisionSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = divisions::table.select(DivisionRow::as_select()).into_boxed();
    if let Some(needle) = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = validate::contains_pattern(needle);
        q = q.filter(
            lower(divisions::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(divisions::code).like(pattern).escape('\\')),
        );
    }
    if let Some(code) = &query.code {
        q = q.filter(divisions::code.eq(code.trim().to_ascii_uppercase()));
    }
    if let Some(since) = query.updated_since {
        q = q.filter(divisions::updated_at.ge(time::stored(since)));
    }
    if !query.include_archived.unwrap_or(false) {
        q = q.filter(divisions::archived_at.is_null());
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        DivisionSort::Code => {
            rapport_core::keyset!(q, divisions::code, divisions::id, direction, page.after_text())
        }
        DivisionSort::Name => {
            rapport_core::keyset!(q, divisions::name, divisions::id, direction, page.after_text())
        }
        DivisionSort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, divisions::created_at, divisions::id, direction, after)
        }
        DivisionSort::UpdatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, divisions::updated_at, divisions::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<DivisionRow>(conn)?;
    let sort = page.sort.key;
    Ok(page
        .finish(rows, |row| {
            let value = match sort {
                DivisionSort::Code => row.code.clone(),
                DivisionSort::Name => row.name.clone(),
                DivisionSort::CreatedAt => instant_value(row.created_at),
                DivisionSort::UpdatedAt => instant_value(row.updated_at),
            };
            (value, row.id.clone())
        })
        .map(to_response))
}

/// Applies `changes` if the division is still at `expected_version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: i64,
    changes: UpdateDivision,
) -> Result<DivisionResponse> {
    let before = find_row(conn, id)?;
    if before.version != expected_version {
        return Err(Error::StaleVersion { current: before.version });
    }
    let mut problems = Problems::new();
    let code = changes.code.as_deref().map(|c| validate::code(&mut problems, "code", c));
    let name = changes.name.as_deref().map(|n| validate::required_text(&mut problems, "name", n, 100));
    let calendar_id = changes.calendar_id.map(|c| c.map(|id| validate::id_ref(&mut problems, "calendar_id", &id)));
    problems.into_result(())?;
    if let Some(Some(calendar_id)) = &calendar_id {
        calendar::store::ensure_usable(conn, "calendar_id", calendar_id)?;
    }
    let now = time::now();
    let (archived_at, action) = apply_archive_flag(before.archived_at, changes.archived, now);
    let after = DivisionRow {
        code: code.unwrap_or_else(|| before.code.clone()),
        name: name.unwrap_or_else(|| before.name.clone()),
        calendar_id: calendar_id.unwrap_or_else(|| before.calendar_id.clone()),
        archived_at,
        version: expected_version + 1,
        updated_at: now,
        ..before.clone()
    };
    ensure_unique(conn, &after.code, &after.name, Some(id))?;
    let updated =
        diesel::update(divisions::table.filter(divisions::id.eq(id)).filter(divisions::version.eq(expected_version)))
            .set((
                divisions::code.eq(&after.code),
                divisions::name.eq(&after.name),
                divisions::calendar_id.eq(&after.calendar_id),
                divisions::archived_at.eq(after.archived_at),
                divisions::version.eq(after.version),
                divisions::updated_at.eq(after.updated_at),
            ))
            .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find_row(conn, id)?.version });
    }
    let (before, after) = (to_response(before), to_response(after));
    audit::record(conn, ctx, ENTITY, id, action, Some(&before), Some(&after))?;
    Ok(after)
}

/// Deletes the division, or archives it when branches or other records still
/// belong to it.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<DivisionResponse>> {
    let row = find_row(conn, id)?;
    let target = Target { entity: ENTITY, id, before: to_response(row.clone()), version: row.version };
    delete_or_archive(
        conn,
        ctx,
        target,
        expected_version,
        |conn| {
            diesel::delete(divisions::table.filter(divisions::id.eq(id))).execute(conn)?;
            Ok(())
        },
        |conn| {
            let now = time::now();
            let archived = DivisionRow {
                archived_at: Some(row.archived_at.unwrap_or(now)),
                version: row.version + 1,
                updated_at: now,
                ..row
            };
            diesel::update(divisions::table.filter(divisions::id.eq(id)))
                .set((
                    divisions::archived_at.eq(archived.archived_at),
                    divisions::version.eq(archived.version),
                    divisions::updated_at.eq(archived.updated_at),
                ))
                .execute(conn)?;
            Ok(to_response(archived))
        },
    )
}

fn find_row(conn: &mut Conn, id: &str) -> Result<DivisionRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    divisions::table
        .filter(divisions::id.eq(id))
        .select(DivisionRow::as_select())
        // By primary key, so no `LIMIT`: see `branches::find`.
        .get_result(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// Codes and names are unique; say which one clashes (SQLite's constraint
/// errors do not name the column).
fn ensure_unique(conn: &mut Conn, code: &str, name: &str, except: Option<&str>) -> Result<()> {
    let clashes: Vec<(String, String)> = divisions::table
        .filter(divisions::code.eq(code).or(lower(divisions::name).eq(name.to_lowercase())))
        .filter(divisions::id.ne(except.unwrap_or_default()))
        .select((divisions::code, divisions::name))
        .load(conn)?;
    let mut problems = Problems::new();
    if clashes.iter().any(|(c, _)| c == code) {
        problems.push("code", "duplicate", format!("a division with code {code} already exists"));
    }
    if clashes.iter().any(|(_, n)| n.to_lowercase() == name.to_lowercase()) {
        problems.push("name", "duplicate", format!("a division named `{name}` already exists"));
    }
    problems.into_duplicate_result()
}

fn to_response(row: DivisionRow) -> DivisionResponse {
    DivisionResponse {
        id: row.id,
        code: row.code,
        name: row.name,
        calendar_id: row.calendar_id,
        archived_at: row.archived_at.map(time::utc),
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    }
}
