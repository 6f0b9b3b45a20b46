//! Custom field definitions: create, read, list, update, delete-or-archive.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::audit::{self, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{custom_field_values, custom_fields};
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::removal::{Removal, Target, apply_archive_flag, delete_or_archive};
use rapport_core::{Error, Problems, Result, ids, time, validate};

use super::api::{
    CreateCustomField, CustomFieldListQuery, CustomFieldResponse, CustomFieldSort, Entity, FieldType, UpdateCustomField,
};
use crate::refs;

const ENTITY: &str = "custom_field";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = custom_fields)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub(crate) struct FieldRow {
    pub id: String,
    pub entity: String,
    pub division_id: Option<String>,
    pub field_key: String,
    pub label: String,
    pub field_type: String,
    pub required: bool,
    pub options: Option<String>,
    pub position: i32,
    pub archived_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl FieldRow {
    pub(crate) fn field_type(&self) -> Result<FieldType> {
        FieldType::parse(&self.field_type)
            .ok_or_else(|| Error::Internal(format!("unexpected stored field type {:?}", self.field_type)))
    }

    pub(crate) fn option_list(&self) -> Vec<String> {
        self.options.as_deref().and_then(|o| serde_json::from_str(o).ok()).unwrap_or_default()
    }
}

/// Creates a custom field.
pub fn create(conn: &mut Conn, ctx: &WriteContext, input: CreateCustomField) -> Result<CustomFieldResponse> {
    let mut problems = Problems::new();
    let key = field_key(&mut problems, &input.key);
    let label = validate::required_text(&mut problems, "label", &input.label, 100);
    let division_id = input.division_id.as_deref().map(|d| validate::id_ref(&mut problems, "division_id", d));
    let options = options(&mut problems, input.field_type, &input.options);
    problems.into_result(())?;
    if let Some(division_id) = &division_id {
        refs::ensure_division(conn, "division_id", division_id)?;
    }
    let taken = diesel::select(diesel::dsl::exists(
        custom_fields::table
            .filter(custom_fields::entity.eq(input.entity.as_str()))
            .filter(custom_fields::field_key.eq(&key)),
    ))
    .get_result::<bool>(conn)?;
    if taken {
        let mut problems = Problems::new();
        problems.push("key", "duplicate", format!("a {} field with key {key} exists", input.entity.as_str()));
        problems.into_duplicate_result()?;
    }
    let now = time::now();
    let row = FieldRow {
        id: ids::new_id(),
        entity: input.entity.as_str().to_owned(),
        division_id,
        field_key: key,
        label,
        field_type: input.field_type.as_str().to_owned(),
        required: input.required,
        options,
        position: input.position,
        archived_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(custom_fields::table).values(&row).execute(conn)?;
    let created = get(conn, &row.id)?;
    audit::record(conn, ctx, ENTITY, &row.id, audit::Action::Created, None, Some(&created))?;
    Ok(created)
}

/// One custom field.
pub fn get(conn: &mut Conn, id: &str) -> Result<CustomFieldResponse> {
    to_response(find(conn, id)?)
}

fn find(conn: &mut Conn, id: &str) -> Result<FieldRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    custom_fields::table
        .filter(custom_fields::id.eq(id))
        .select(FieldRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// One page of custom fields.
pub fn list(conn: &mut Conn, query: &CustomFieldListQuery) -> Result<Page<CustomFieldResponse>> {
    let page = PageRequest::<CustomFieldSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = custom_fields::table.select(FieldRow::as_select()).into_boxed();
    if let Some(entity) = query.entity {
        q = q.filter(custom_fields::entity.eq(entity.as_str()));
    }
    if let Some(division_id) = &query.division_id {
        q = q.filter(custom_fields::division_id.eq(division_id.clone()));
    }
    if !query.include_archived.unwrap_or(false) {
        q = q.filter(custom_fields::archived_at.is_null());
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        CustomFieldSort::Key => {
            rapport_core::keyset!(q, custom_fields::field_key, custom_fields::id, direction, page.after_text())
        }
        CustomFieldSort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, custom_fields::created_at, custom_fields::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<FieldRow>(conn)?;
    let sort = page.sort.key;
    let page = page.finish(rows, |row| {
        let value = match sort {
            CustomFieldSort::Key => row.field_key.clone(),
            CustomFieldSort::CreatedAt => instant_value(row.created_at),
        };
        (value, row.id.clone())
    });
    Ok(Page { items: page.items.into_iter().map(to_response).collect::<Result<_>>()?, next_cursor: page.next_cursor })
}

/// Applies `changes` if the field is still at `expected_version`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: i64,
    changes: UpdateCustomField,
) -> Result<CustomFieldResponse> {
    let row = find(conn, id)?;
    let before = to_response(row.clone())?;
    if before.version != expected_version {
        return Err(Error::StaleVersion { current: before.version });
    }
    let mut problems = Problems::new();
    let label = changes.label.as_deref().map(|l| validate::required_text(&mut problems, "label", l, 100));
    let new_options = changes.options.as_deref().map(|o| options(&mut problems, before.field_type, o));
    problems.into_result(())?;
    if let Some(Some(encoded)) = &new_options {
        let kept: Vec<String> = serde_json::from_str(encoded).unwrap_or_default();
        let in_use: Vec<String> = custom_field_values::table
            .filter(custom_field_values::field_id.eq(id))
            .filter(custom_field_values::value.ne_all(&kept))
            .select(custom_field_values::value)
            .distinct()
            .limit(5)
            .load(conn)?;
        if !in_use.is_empty() {
            return Err(Error::invalid(
                "options",
                "option_in_use",
                format!("records still hold {}; change them first", in_use.join(", ")),
            ));
        }
    }
    let now = time::now();
    let (archived_at, action) = apply_archive_flag(row.archived_at, changes.archived, now);
    let updated = diesel::update(
        custom_fields::table.filter(custom_fields::id.eq(id)).filter(custom_fields::version.eq(expected_version)),
    )
    .set((
        custom_fields::label.eq(label.unwrap_or(row.label)),
        custom_fields::required.eq(changes.required.unwrap_or(row.required)),
        custom_fields::options.eq(new_options.unwrap_or(row.options)),
        custom_fields::position.eq(changes.position.unwrap_or(row.position)),
        custom_fields::archived_at.eq(archived_at),
        custom_fields::version.eq(expected_version + 1),
        custom_fields::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: get(conn, id)?.version });
    }
    let after = get(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, action, Some(&before), Some(&after))?;
    Ok(after)
}

/// Deletes the field, or archives it when records hold values of it.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<CustomFieldResponse>> {
    let before = get(conn, id)?;
    let (version, archived_at) = (before.version, before.archived_at);
    let target = Target { entity: ENTITY, id, before, version };
    delete_or_archive(
        conn,
        ctx,
        target,
        expected_version,
        |conn| {
            diesel::delete(custom_fields::table.filter(custom_fields::id.eq(id))).execute(conn)?;
            Ok(())
        },
        |conn| {
            let now = time::now();
            diesel::update(custom_fields::table.filter(custom_fields::id.eq(id)))
                .set((
                    custom_fields::archived_at.eq(archived_at.map_or(now, time::stored)),
                    custom_fields::version.eq(version + 1),
                    custom_fields::updated_at.eq(now),
                ))
                .execute(conn)?;
            get(conn, id)
        },
    )
}

fn field_key(problems: &mut Problems, raw: &str) -> String {
    let key = raw.trim().to_owned();
    let ok = (1..=40).contains(&key.len())
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        problems.push("key", "invalid_key", "key must be 1-40 of a-z, 0-9 or _, starting with a letter");
    }
    key
}

/// The options, JSON-encoded, for a select type; none for the others.
fn options(problems: &mut Problems, field_type: FieldType, raw: &[String]) -> Option<String> {
    if !field_type.has_options() {
        if !raw.is_empty() {
            problems.push("options", "not_allowed", "only select fields have options");
        }
        return None;
    }
    if raw.is_empty() || raw.len() > 100 {
        problems.push("options", "invalid_options", "a select field needs 1-100 options");
    }
    let mut seen = std::collections::BTreeSet::new();
    let options: Vec<String> = raw
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let option = validate::required_text(problems, &format!("options[{i}]"), o, 100);
            if !seen.insert(option.clone()) {
                problems.push(format!("options[{i}]"), "repeated", format!("{option} is listed twice"));
            }
            option
        })
        .collect();
    serde_json::to_string(&options).ok()
}

fn to_response(row: FieldRow) -> Result<CustomFieldResponse> {
    let entity = Entity::parse(&row.entity)
        .ok_or_else(|| Error::Internal(format!("unexpected stored entity {}", row.entity)))?;
    Ok(CustomFieldResponse {
        field_type: row.field_type()?,
        options: row.option_list(),
        id: row.id,
        entity,
        division_id: row.division_id,
        key: row.field_key,
        label: row.label,
        required: row.required,
        position: row.position,
        archived_at: row.archived_at.map(time::utc),
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}
