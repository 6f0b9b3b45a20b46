//! Ticket categories: the admin-managed list (sales, after-sales, service
//! booking, complaint, billing, general…) tickets are filed under and
//! routed by.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::schema::ticket_categories;
use rapport_core::db::{Conn, lower};
use rapport_core::removal::{Removal, Target, apply_archive_flag, delete_or_archive};
use rapport_core::{Error, FieldError, Problems, Result, ids, time, validate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::kinds::CategoryKind;

const ENTITY: &str = "ticket_category";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ticket_categories)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct CategoryRow {
    id: String,
    name: String,
    kind: String,
    position: i32,
    archived_at: Option<chrono::NaiveDateTime>,
    version: i64,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// A new ticket category.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Service booking", "kind": "service_booking", "position": 2}))]
pub struct CreateTicketCategory {
    /// Name, unique (ignoring case), at most 100 characters.
    pub name: String,
    /// What it is for.
    pub kind: CategoryKind,
    /// Display order; default 0.
    #[serde(default)]
    pub position: i32,
}

/// Changes to a ticket category.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Warranty claim", "version": 1}))]
pub struct UpdateTicketCategory {
    /// New name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<CategoryKind>,
    /// New display order.
    pub position: Option<i32>,
    /// `true` archives (no longer offered), `false` restores.
    pub archived: Option<bool>,
    /// The version being changed (or send `If-Match`).
    pub version: Option<i64>,
}

/// A ticket category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketCategoryResponse {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// What it is for.
    pub kind: CategoryKind,
    /// Display order.
    pub position: i32,
    /// When it was archived.
    pub archived_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing ticket categories.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TicketCategoryListQuery {
    /// Include archived categories (default false).
    pub include_archived: Option<bool>,
}

fn response(row: CategoryRow) -> Result<TicketCategoryResponse> {
    Ok(TicketCategoryResponse {
        kind: CategoryKind::parse(&row.kind).ok_or_else(|| Error::Internal(format!("stored kind {}", row.kind)))?,
        id: row.id,
        name: row.name,
        position: row.position,
        archived_at: row.archived_at.map(time::utc),
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}

fn find_row(conn: &mut Conn, id: &str) -> Result<CategoryRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    ticket_categories::table
        .filter(ticket_categories::id.eq(id))
        .select(CategoryRow::as_select())
        .get_result(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// Every category in display order (a short admin list: not paginated).
pub fn list(conn: &mut Conn, query: &TicketCategoryListQuery) -> Result<Vec<TicketCategoryResponse>> {
    let mut q = ticket_categories::table.select(CategoryRow::as_select()).into_boxed();
    if !query.include_archived.unwrap_or(false) {
        q = q.filter(ticket_categories::archived_at.is_null());
    }
    let rows = q.order((ticket_categories::position, ticket_categories::name, ticket_categories::id)).load(conn)?;
    rows.into_iter().map(response).collect()
}

/// The category `id`.
pub fn get(conn: &mut Conn, id: &str) -> Result<TicketCategoryResponse> {
    find_row(conn, id).and_then(response)
}

/// `id` names a live category (reported at `field`); returns its kind.
pub fn ensure_live(conn: &mut Conn, field: &str, id: &str) -> Result<CategoryKind> {
    let not_found = || Error::invalid(field, "not_found", format!("ticket category {id} does not exist"));
    match find_row(conn, id) {
        Err(Error::NotFound { .. }) => Err(not_found()),
        Err(e) => Err(e),
        Ok(row) if row.archived_at.is_some() => {
            Err(Error::invalid(field, "archived", format!("ticket category {} is archived", row.name)))
        }
        Ok(row) => response(row).map(|c| c.kind),
    }
}

fn ensure_name_free(conn: &mut Conn, name: &str, except: Option<&str>) -> Result<()> {
    let holder: Option<String> = ticket_categories::table
        .filter(lower(ticket_categories::name).eq(name.to_lowercase()))
        .select(ticket_categories::id)
        .first(conn)
        .optional()?;
    match holder {
        Some(h) if Some(h.as_str()) != except => Err(Error::Duplicate(vec![FieldError::new(
            "name",
            "duplicate",
            format!("a ticket category named {name} exists"),
        )])),
        _ => Ok(()),
    }
}

/// Creates a ticket category.
pub fn create(conn: &mut Conn, ctx: &WriteContext, input: CreateTicketCategory) -> Result<TicketCategoryResponse> {
    let mut problems = Problems::new();
    let name = validate::required_text(&mut problems, "name", &input.name, 100);
    problems.into_result(())?;
    ensure_name_free(conn, &name, None)?;
    let now = time::now();
    let row = CategoryRow {
        id: ids::new_id(),
        name,
        kind: input.kind.as_str().to_owned(),
        position: input.position,
        archived_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(ticket_categories::table).values(&row).execute(conn)?;
    let created = response(row)?;
    audit::record(conn, ctx, ENTITY, &created.id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// Renames, re-kinds, reorders, archives or restores a ticket category.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    version: i64,
    changes: UpdateTicketCategory,
) -> Result<TicketCategoryResponse> {
    let row = find_row(conn, id)?;
    let mut problems = Problems::new();
    let name = changes.name.as_deref().map(|n| validate::required_text(&mut problems, "name", n, 100));
    problems.into_result(())?;
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    if let Some(name) = &name {
        ensure_name_free(conn, name, Some(id))?;
    }
    let before = response(row.clone())?;
    let now = time::now();
    let (archived_at, action) = apply_archive_flag(row.archived_at, changes.archived, now);
    let updated = diesel::update(
        ticket_categories::table.filter(ticket_categories::id.eq(id)).filter(ticket_categories::version.eq(version)),
    )
    .set((
        ticket_categories::name.eq(name.unwrap_or(row.name)),
        ticket_categories::kind.eq(changes.kind.map_or(row.kind, |k| k.as_str().to_owned())),
        ticket_categories::position.eq(changes.position.unwrap_or(row.position)),
        ticket_categories::archived_at.eq(archived_at),
        ticket_categories::version.eq(version + 1),
        ticket_categories::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find_row(conn, id)?.version });
    }
    let after = get(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, action, Some(&before), Some(&after))?;
    Ok(after)
}

/// Deletes a category no ticket used, or archives it.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<TicketCategoryResponse>> {
    let row = find_row(conn, id)?;
    let before = response(row.clone())?;
    let target = Target { entity: ENTITY, id, before, version: row.version };
    delete_or_archive(
        conn,
        ctx,
        target,
        expected_version,
        |conn| {
            diesel::delete(ticket_categories::table.filter(ticket_categories::id.eq(id))).execute(conn)?;
            Ok(())
        },
        |conn| {
            let now = time::now();
            diesel::update(ticket_categories::table.filter(ticket_categories::id.eq(id)))
                .set((
                    ticket_categories::archived_at.eq(row.archived_at.unwrap_or(now)),
                    ticket_categories::version.eq(row.version + 1),
                    ticket_categories::updated_at.eq(now),
                ))
                .execute(conn)?;
            get(conn, id)
        },
    )
}
