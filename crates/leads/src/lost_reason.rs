//! Lost reasons: the admin-managed list a lost lead must pick from.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::lost_reasons;
use rapport_core::removal::{Removal, Target, apply_archive_flag, delete_or_archive};
use rapport_core::{Error, FieldError, Problems, Result, ids, time, validate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

const ENTITY: &str = "lost_reason";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lost_reasons)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct ReasonRow {
    id: String,
    name: String,
    position: i32,
    archived_at: Option<chrono::NaiveDateTime>,
    version: i64,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// A new lost reason.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Price too high", "position": 1}))]
pub struct CreateLostReason {
    /// Name, unique, at most 100 characters.
    pub name: String,
    /// Display order; default 0.
    #[serde(default)]
    pub position: i32,
}

/// Changes to a lost reason.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Bought from a competitor", "version": 1}))]
pub struct UpdateLostReason {
    /// New name.
    pub name: Option<String>,
    /// New display order.
    pub position: Option<i32>,
    /// `true` archives (no longer offered), `false` restores.
    pub archived: Option<bool>,
    /// The version being changed (or send `If-Match`).
    pub version: Option<i64>,
}

/// A lost reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LostReasonResponse {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
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

/// Query parameters for listing lost reasons.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LostReasonListQuery {
    /// Include archived reasons (default false).
    pub include_archived: Option<bool>,
}

fn response(row: ReasonRow) -> LostReasonResponse {
    LostReasonResponse {
        id: row.id,
        name: row.name,
        position: row.position,
        archived_at: row.archived_at.map(time::utc),
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    }
}

fn find_row(conn: &mut Conn, id: &str) -> Result<ReasonRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    lost_reasons::table
        .filter(lost_reasons::id.eq(id))
        .select(ReasonRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// Every lost reason in display order (a short admin list: not paginated).
pub fn list(conn: &mut Conn, query: &LostReasonListQuery) -> Result<Vec<LostReasonResponse>> {
    let mut q = lost_reasons::table.select(ReasonRow::as_select()).into_boxed();
    if !query.include_archived.unwrap_or(false) {
        q = q.filter(lost_reasons::archived_at.is_null());
    }
    let rows = q.order((lost_reasons::position, lost_reasons::name, lost_reasons::id)).load(conn)?;
    Ok(rows.into_iter().map(response).collect())
}

/// The lost reason `id`.
pub fn get(conn: &mut Conn, id: &str) -> Result<LostReasonResponse> {
    find_row(conn, id).map(response)
}

/// `id` names a live lost reason (reported at `field`).
pub fn ensure_live(conn: &mut Conn, field: &str, id: &str) -> Result<()> {
    let not_found = || Error::invalid(field, "not_found", format!("lost reason {id} does not exist"));
    match find_row(conn, id) {
        Err(Error::NotFound { .. }) => Err(not_found()),
        Err(e) => Err(e),
        Ok(row) if row.archived_at.is_some() => {
            Err(Error::invalid(field, "archived", format!("lost reason {} is archived", row.name)))
        }
        Ok(_) => Ok(()),
    }
}

fn ensure_name_free(conn: &mut Conn, name: &str, except: Option<&str>) -> Result<()> {
    let holder: Option<String> =
        lost_reasons::table.filter(lost_reasons::name.eq(name)).select(lost_reasons::id).first(conn).optional()?;
    match holder {
        Some(h) if Some(h.as_str()) != except => Err(Error::Duplicate(vec![FieldError::new(
            "name",
            "duplicate",
            format!("a lost reason named {name} exists"),
        )])),
        _ => Ok(()),
    }
}

/// Creates a lost reason.
pub fn create(conn: &mut Conn, ctx: &WriteContext, input: CreateLostReason) -> Result<LostReasonResponse> {
    let mut problems = Problems::new();
    let name = validate::required_text(&mut problems, "name", &input.name, 100);
    problems.into_result(())?;
    ensure_name_free(conn, &name, None)?;
    let now = time::now();
    let row = ReasonRow {
        id: ids::new_id(),
        name,
        position: input.position,
        archived_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(lost_reasons::table).values(&row).execute(conn)?;
    let created = response(row);
    audit::record(conn, ctx, ENTITY, &created.id, Action::Created, None, Some(&created))?;
    Ok(created)
}

/// Renames, reorders, archives or restores a lost reason.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    version: i64,
    changes: UpdateLostReason,
) -> Result<LostReasonResponse> {
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
    let before = response(row.clone());
    let now = time::now();
    let (archived_at, action) = apply_archive_flag(row.archived_at, changes.archived, now);
    let updated =
        diesel::update(lost_reasons::table.filter(lost_reasons::id.eq(id)).filter(lost_reasons::version.eq(version)))
            .set((
                lost_reasons::name.eq(name.unwrap_or(row.name)),
                lost_reasons::position.eq(changes.position.unwrap_or(row.position)),
                lost_reasons::archived_at.eq(archived_at),
                lost_reasons::version.eq(version + 1),
                lost_reasons::updated_at.eq(now),
            ))
            .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find_row(conn, id)?.version });
    }
    let after = get(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, action, Some(&before), Some(&after))?;
    Ok(after)
}

/// Deletes a lost reason no lead used, or archives it.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<LostReasonResponse>> {
    let row = find_row(conn, id)?;
    let before = response(row.clone());
    let target = Target { entity: ENTITY, id, before, version: row.version };
    delete_or_archive(
        conn,
        ctx,
        target,
        expected_version,
        |conn| {
            diesel::delete(lost_reasons::table.filter(lost_reasons::id.eq(id))).execute(conn)?;
            Ok(())
        },
        |conn| {
            let now = time::now();
            diesel::update(lost_reasons::table.filter(lost_reasons::id.eq(id)))
                .set((
                    lost_reasons::archived_at.eq(row.archived_at.unwrap_or(now)),
                    lost_reasons::version.eq(row.version + 1),
                    lost_reasons::updated_at.eq(now),
                ))
                .execute(conn)?;
            get(conn, id)
        },
    )
}
