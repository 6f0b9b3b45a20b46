//! Interaction categories: create, read, list, update, delete-or-archive.
//! Managed by admins; every role may read them.

use diesel::prelude::*;
use rapport_core::audit::{self, WriteContext};
use rapport_core::db::schema::interaction_categories as categories;
use rapport_core::db::{Conn, lower};
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::removal::{Removal, Target, apply_archive_flag, delete_or_archive};
use rapport_core::{Error, Problems, Result, ids, time, validate};

use super::category_api::{CategoryListQuery, CategoryResponse, CategorySort, CreateCategory, UpdateCategory};
use super::rows::CategoryRow;

const ENTITY: &str = "interaction_category";

/// Creates a category.
pub fn create(conn: &mut Conn, ctx: &WriteContext, input: CreateCategory) -> Result<CategoryResponse> {
    let mut problems = Problems::new();
    let code = code(&mut problems, &input.code);
    let name = validate::required_text(&mut problems, "name", &input.name, 100);
    problems.into_result(())?;
    ensure_unique(conn, &code, &name, None)?;
    let now = time::now();
    let row =
        CategoryRow { id: ids::new_id(), code, name, archived_at: None, version: 1, created_at: now, updated_at: now };
    diesel::insert_into(categories::table).values(&row).execute(conn)?;
    let created = to_response(row);
    audit::record(conn, ctx, ENTITY, &created.id, audit::Action::Created, None, Some(&created))?;
    Ok(created)
}

/// One category, archived or not.
pub fn get(conn: &mut Conn, id: &str) -> Result<CategoryResponse> {
    find(conn, id).map(to_response)
}

fn find(conn: &mut Conn, id: &str) -> Result<CategoryRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    categories::table
        .filter(categories::id.eq(id))
        .select(CategoryRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// One page of categories.
pub fn list(conn: &mut Conn, query: &CategoryListQuery) -> Result<Page<CategoryResponse>> {
    let page = PageRequest::<CategorySort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = categories::table.select(CategoryRow::as_select()).into_boxed();
    if let Some(needle) = query.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = validate::contains_pattern(needle);
        q = q.filter(
            lower(categories::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(categories::code).like(pattern).escape('\\')),
        );
    }
    if let Some(since) = query.updated_since {
        q = q.filter(categories::updated_at.ge(time::stored(since)));
    }
    if !query.include_archived.unwrap_or(false) {
        q = q.filter(categories::archived_at.is_null());
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        CategorySort::Code => rapport_core::keyset!(q, categories::code, categories::id, direction, page.after_text()),
        CategorySort::Name => rapport_core::keyset!(q, categories::name, categories::id, direction, page.after_text()),
        CategorySort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, categories::created_at, categories::id, direction, after)
        }
        CategorySort::UpdatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, categories::updated_at, categories::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<CategoryRow>(conn)?;
    let sort = page.sort.key;
    Ok(page
        .finish(rows, |row| {
            let value = match sort {
                CategorySort::Code => row.code.clone(),
                CategorySort::Name => row.name.clone(),
                CategorySort::CreatedAt => instant_value(row.created_at),
                CategorySort::UpdatedAt => instant_value(row.updated_at),
            };
            (value, row.id.clone())
        })
        .map(to_response))
}

/// Applies `changes` if the category is still at `expected_version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: i64,
    changes: UpdateCategory,
) -> Result<CategoryResponse> {
    let before = find(conn, id)?;
    if before.version != expected_version {
        return Err(Error::StaleVersion { current: before.version });
    }
    let mut problems = Problems::new();
    let code = changes.code.as_deref().map(|c| code(&mut problems, c));
    let name = changes.name.as_deref().map(|n| validate::required_text(&mut problems, "name", n, 100));
    problems.into_result(())?;
    let code = code.unwrap_or_else(|| before.code.clone());
    let name = name.unwrap_or_else(|| before.name.clone());
    ensure_unique(conn, &code, &name, Some(id))?;
    let now = time::now();
    let (archived_at, action) = apply_archive_flag(before.archived_at, changes.archived, now);
    let updated = diesel::update(
        categories::table.filter(categories::id.eq(id)).filter(categories::version.eq(expected_version)),
    )
    .set((
        categories::code.eq(&code),
        categories::name.eq(&name),
        categories::archived_at.eq(archived_at),
        categories::version.eq(expected_version + 1),
        categories::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find(conn, id)?.version });
    }
    let before = to_response(before);
    let after = get(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, action, Some(&before), Some(&after))?;
    Ok(after)
}

/// Deletes the category, or archives it when interactions or rules use it.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<CategoryResponse>> {
    let before = get(conn, id)?;
    let (version, archived_at) = (before.version, before.archived_at);
    let target = Target { entity: ENTITY, id, before, version };
    delete_or_archive(
        conn,
        ctx,
        target,
        expected_version,
        |conn| {
            diesel::delete(categories::table.filter(categories::id.eq(id))).execute(conn)?;
            Ok(())
        },
        |conn| {
            let now = time::now();
            diesel::update(categories::table.filter(categories::id.eq(id)))
                .set((
                    categories::archived_at.eq(archived_at.map_or(now, time::stored)),
                    categories::version.eq(version + 1),
                    categories::updated_at.eq(now),
                ))
                .execute(conn)?;
            get(conn, id)
        },
    )
}

/// `id` is an active category (reported at `field`).
pub(crate) fn ensure_usable(conn: &mut Conn, field: &str, id: &str) -> Result<()> {
    let found: Option<bool> = categories::table
        .filter(categories::id.eq(id))
        .select(categories::archived_at.is_not_null())
        .first(conn)
        .optional()?;
    match found {
        None => Err(Error::invalid(field, "not_found", format!("category {id} does not exist"))),
        Some(true) => Err(Error::invalid(field, "archived", format!("category {id} is archived"))),
        Some(false) => Ok(()),
    }
}

/// A category code: 2-40 of `a-z 0-9 _`, starting with a letter; lower-cased.
fn code(problems: &mut Problems, raw: &str) -> String {
    let code = raw.trim().to_ascii_lowercase();
    let ok = (2..=40).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        problems.push("code", "invalid_code", "code must be 2-40 of a-z, 0-9 or _, starting with a letter");
    }
    code
}

/// Code and name (case-insensitively) are unique. Names are compared in
/// Rust because SQLite's `lower()` folds ASCII only; categories are few.
fn ensure_unique(conn: &mut Conn, code: &str, name: &str, except: Option<&str>) -> Result<()> {
    let others: Vec<(String, String)> = categories::table
        .filter(categories::id.ne(except.unwrap_or_default()))
        .select((categories::code, categories::name))
        .load(conn)?;
    let folded = name.to_lowercase();
    let mut problems = Problems::new();
    if others.iter().any(|(c, _)| c == code) {
        problems.push("code", "duplicate", format!("a category with code {code} already exists"));
    }
    if others.iter().any(|(_, n)| n.to_lowercase() == folded) {
        problems.push("name", "duplicate", format!("a category named {name} already exists"));
    }
    problems.into_duplicate_result()
}

fn to_response(row: CategoryRow) -> CategoryResponse {
    CategoryResponse {
        id: row.id,
        code: row.code,
        name: row.name,
        archived_at: row.archived_at.map(time::utc),
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    }
}
