//! Pipelines: create, read, list, rename, archive, delete.

use std::collections::HashMap;

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{pipeline_stages, pipelines};
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::principal::Reach;
use rapport_core::removal::{Removal, Target, apply_archive_flag, delete_or_archive};
use rapport_core::{Error, Problems, Result, ids, time, validate};
use rapport_customers::refs;

use super::api::{CreatePipeline, PipelineListQuery, PipelineResponse, PipelineSort, StageResponse, UpdatePipeline};
use super::rows::{PipelineRow, StageRow};
use super::stages;
use crate::kinds::StageKind;

pub(crate) const ENTITY: &str = "pipeline";

/// The pipeline row `id`, whoever asks: pipelines are reference data every
/// role reads.
pub(crate) fn find_row(conn: &mut Conn, id: &str) -> Result<PipelineRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    pipelines::table
        .filter(pipelines::id.eq(id))
        .select(PipelineRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// The pipeline row `id` when `reach` may change it (its division's
/// managers, or everyone with an all-scope); otherwise not found.
pub(crate) fn writable_row(conn: &mut Conn, reach: &Reach, id: &str) -> Result<PipelineRow> {
    let row = find_row(conn, id)?;
    if !reach.covers(Some(&row.division_id), None) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    Ok(row)
}

/// Live stages of `pipeline_ids`, in board order.
pub(crate) fn live_stages(conn: &mut Conn, pipeline_ids: &[&str]) -> Result<Vec<StageRow>> {
    Ok(pipeline_stages::table
        .filter(pipeline_stages::pipeline_id.eq_any(pipeline_ids))
        .filter(pipeline_stages::archived_at.is_null())
        .order((pipeline_stages::pipeline_id, pipeline_stages::position, pipeline_stages::id))
        .select(StageRow::as_select())
        .load(conn)?)
}

/// The pipeline new leads of `division_id` go into when none is named (a
/// hand-over, a web form): its oldest live pipeline that takes leads (an
/// open, a won and a lost stage), if it has one.
pub fn default_for_division(conn: &mut Conn, division_id: &str) -> Result<Option<String>> {
    let ids: Vec<String> = pipelines::table
        .filter(pipelines::division_id.eq(division_id))
        .filter(pipelines::archived_at.is_null())
        .order((pipelines::created_at, pipelines::id))
        .select(pipelines::id)
        .load(conn)?;
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let stages = live_stages(conn, &refs)?;
    Ok(ids.into_iter().find(|id| {
        StageKind::ALL.iter().all(|kind| stages.iter().any(|s| &s.pipeline_id == id && s.kind == kind.as_str()))
    }))
}

pub(crate) fn stage_response(row: &StageRow) -> Result<StageResponse> {
    Ok(StageResponse {
        id: row.id.clone(),
        position: row.position,
        name: row.name.clone(),
        kind: StageKind::parse(&row.kind).ok_or_else(|| Error::Internal(format!("stored stage kind {}", row.kind)))?,
        win_probability: row.win_probability,
        follow_up_minutes: row.follow_up_minutes,
    })
}

fn response(row: PipelineRow, stages: &[StageRow]) -> Result<PipelineResponse> {
    let stages = stages.iter().map(stage_response).collect::<Result<Vec<_>>>()?;
    let has = |kind: StageKind| stages.iter().any(|s| s.kind == kind);
    Ok(PipelineResponse {
        accepts_leads: row.archived_at.is_none() && has(StageKind::Open) && has(StageKind::Won) && has(StageKind::Lost),
        id: row.id,
        division_id: row.division_id,
        name: row.name,
        stages,
        archived_at: row.archived_at.map(time::utc),
        version: row.version,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
    })
}

fn responses(conn: &mut Conn, rows: Vec<PipelineRow>) -> Result<Vec<PipelineResponse>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut by_pipeline: HashMap<String, Vec<StageRow>> = HashMap::new();
    for stage in live_stages(conn, &ids)? {
        by_pipeline.entry(stage.pipeline_id.clone()).or_default().push(stage);
    }
    rows.into_iter()
        .map(|row| {
            let stages = by_pipeline.remove(&row.id).unwrap_or_default();
            response(row, &stages)
        })
        .collect()
}

/// The pipeline `id` with its live stages.
pub fn get(conn: &mut Conn, id: &str) -> Result<PipelineResponse> {
    let row = find_row(conn, id)?;
    let stages = live_stages(conn, &[id])?;
    response(row, &stages)
}

/// One page of pipelines.
pub fn list(conn: &mut Conn, query: &PipelineListQuery) -> Result<Page<PipelineResponse>> {
    let page = PageRequest::<PipelineSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = pipelines::table.select(PipelineRow::as_select()).into_boxed();
    if let Some(division_id) = &query.division_id {
        q = q.filter(pipelines::division_id.eq(division_id.clone()));
    }
    if !query.include_archived.unwrap_or(false) {
        q = q.filter(pipelines::archived_at.is_null());
    }
    let direction = page.sort.direction;
    let q = match page.sort.key {
        PipelineSort::Name => rapport_core::keyset!(q, pipelines::name, pipelines::id, direction, page.after_text()),
        PipelineSort::CreatedAt => {
            let after = page.after_instant()?;
            rapport_core::keyset!(q, pipelines::created_at, pipelines::id, direction, after)
        }
    };
    let rows = q.limit(page.fetch_limit()).load::<PipelineRow>(conn)?;
    let sort = page.sort.key;
    let page = page.finish(rows, |row| {
        let value = match sort {
            PipelineSort::Name => row.name.clone(),
            PipelineSort::CreatedAt => instant_value(row.created_at),
        };
        (value, row.id.clone())
    });
    Ok(Page { items: responses(conn, page.items)?, next_cursor: page.next_cursor })
}

/// Creates a pipeline with its stages.
pub fn create(conn: &mut Conn, ctx: &WriteContext, reach: &Reach, input: CreatePipeline) -> Result<PipelineResponse> {
    let mut problems = Problems::new();
    let division_id = validate::id_ref(&mut problems, "division_id", &input.division_id);
    let name = validate::required_text(&mut problems, "name", &input.name, 100);
    if input.stages.len() > stages::MAX_STAGES {
        problems.push("stages", "too_many", format!("a pipeline has at most {} stages", stages::MAX_STAGES));
    }
    let id = ids::new_id();
    let now = time::now();
    let new_stages: Vec<StageRow> = input
        .stages
        .into_iter()
        .enumerate()
        .map(|(i, s)| stages::parse(&mut problems, &format!("stages[{i}]"), &id, s, i32::try_from(i).unwrap_or(0), now))
        .collect();
    stages::check_unique_names(&mut problems, &new_stages, |i| format!("stages[{i}].name"));
    problems.into_result(())?;
    refs::ensure_division_in_reach(reach, "division_id", &division_id)?;
    refs::ensure_division(conn, "division_id", &division_id)?;
    ensure_name_free(conn, &division_id, &name, None)?;
    let row = PipelineRow {
        id: id.clone(),
        division_id,
        name,
        archived_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(pipelines::table).values(&row).execute(conn)?;
    for stage in &new_stages {
        diesel::insert_into(pipeline_stages::table).values(stage).execute(conn)?;
    }
    let created = get(conn, &id)?;
    audit::record(conn, ctx, ENTITY, &id, Action::Created, None, Some(&created))?;
    Ok(created)
}

fn ensure_name_free(conn: &mut Conn, division_id: &str, name: &str, except: Option<&str>) -> Result<()> {
    let holder: Option<String> = pipelines::table
        .filter(pipelines::division_id.eq(division_id))
        .filter(pipelines::name.eq(name))
        .select(pipelines::id)
        .first(conn)
        .optional()?;
    match holder {
        Some(h) if Some(h.as_str()) != except => Err(Error::Duplicate(vec![rapport_core::FieldError::new(
            "name",
            "duplicate",
            format!("the division already has a pipeline named {name}"),
        )])),
        _ => Ok(()),
    }
}

/// Renames, archives or restores a pipeline.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    version: i64,
    changes: UpdatePipeline,
) -> Result<PipelineResponse> {
    let row = writable_row(conn, reach, id)?;
    let mut problems = Problems::new();
    let name = changes.name.as_deref().map(|n| validate::required_text(&mut problems, "name", n, 100));
    problems.into_result(())?;
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    if let Some(name) = &name {
        ensure_name_free(conn, &row.division_id, name, Some(id))?;
    }
    let before = get(conn, id)?;
    let now = time::now();
    let (archived_at, action) = apply_archive_flag(row.archived_at, changes.archived, now);
    let updated = diesel::update(pipelines::table.filter(pipelines::id.eq(id)).filter(pipelines::version.eq(version)))
        .set((
            pipelines::name.eq(name.unwrap_or(row.name)),
            pipelines::archived_at.eq(archived_at),
            pipelines::version.eq(version + 1),
            pipelines::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: find_row(conn, id)?.version });
    }
    let after = get(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, action, Some(&before), Some(&after))?;
    Ok(after)
}

/// Deletes a pipeline that never held a lead (with its stages), or
/// archives it when leads refer to it.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Removal<PipelineResponse>> {
    let row = writable_row(conn, reach, id)?;
    let before = get(conn, id)?;
    let target = Target { entity: ENTITY, id, before, version: row.version };
    delete_or_archive(
        conn,
        ctx,
        target,
        expected_version,
        |conn| {
            diesel::delete(pipeline_stages::table.filter(pipeline_stages::pipeline_id.eq(id))).execute(conn)?;
            diesel::delete(pipelines::table.filter(pipelines::id.eq(id))).execute(conn)?;
            Ok(())
        },
        |conn| {
            let now = time::now();
            diesel::update(pipelines::table.filter(pipelines::id.eq(id)))
                .set((
                    pipelines::archived_at.eq(row.archived_at.unwrap_or(now)),
                    pipelines::version.eq(row.version + 1),
                    pipelines::updated_at.eq(now),
                ))
                .execute(conn)?;
            get(conn, id)
        },
    )
}
