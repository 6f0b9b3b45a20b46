//! Upsert by external id: the ERP integration's idempotent create-or-update.

use diesel::prelude::*;
use rapport_core::audit::WriteContext;
use rapport_core::db::Conn;
use rapport_core::db::schema::assets;
use rapport_core::principal::Reach;
use rapport_core::{Problems, Result, upsert, validate};

use super::api::{AssetResponse, CreateAsset};
use super::input;
use super::store::{Change, apply, create, find_row, one, parse, parse_usage};

/// Creates or updates the asset known as `external_id` in `source` from a
/// full description (PUT semantics). A repeat with the same body changes
/// nothing: no new version, no audit entry. Returns the asset and whether it
/// was created.
pub fn upsert_by_external_id(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    source: &str,
    external_id: &str,
    mut input: CreateAsset,
) -> Result<(AssetResponse, bool)> {
    let mut problems = Problems::new();
    let source = input::source_name(&mut problems, "source", source);
    let external_id = input::external_id(&mut problems, "external_id", external_id);
    let given_source = input.external_source.as_deref().map(|s| s.trim().to_ascii_lowercase());
    if given_source.is_some_and(|s| s != source)
        || input.external_id.as_deref().is_some_and(|e| e.trim() != external_id)
    {
        problems.push("external_id", "mismatch", "external_source and external_id must match the path when given");
    }
    problems.into_result(())?;
    input.external_source = Some(source.clone());
    input.external_id = Some(external_id.clone());
    let holder: Option<String> = assets::table
        .filter(assets::external_source.eq(&source))
        .filter(assets::external_id.eq(&external_id))
        .select(assets::id)
        .first(conn)
        .optional()?;
    let Some(holder) = holder else {
        return create(conn, ctx, reach, input).map(|created| (created, true));
    };
    let row = find_row(conn, reach, &holder)?;
    let mut problems = Problems::new();
    let division_id = match &input.division_id {
        Some(d) => validate::id_ref(&mut problems, "division_id", d),
        None => row.division_id.clone(),
    };
    let fields = parse(&mut problems, &input, division_id);
    let usage = parse_usage(&mut problems, input.last_usage, input.last_usage_at);
    problems.into_result(())?;
    let before = one(conn, row.clone())?;
    let change = Change { fields, usage, custom: Some(input.custom_fields), archived: None };
    // A retried upsert is a true no-op: no version, audit entry or event.
    let (after, _) = upsert::unless_unchanged(
        conn,
        &before,
        |conn| apply(conn, ctx, reach, &row, before.clone(), change),
        same_content,
    )?;
    Ok((after, false))
}

fn same_content(a: &AssetResponse, b: &AssetResponse) -> bool {
    let strip = |r: &AssetResponse| AssetResponse { version: 0, updated_at: r.created_at, ..r.clone() };
    strip(a) == strip(b)
}
