//! A pipeline's stages: add, change, reorder and delete. Every change bumps
//! the pipeline's version (stages are edited through it, with its If-Match)
//! and is audited as a change to the pipeline.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{leads, pipeline_stages, pipelines};
use rapport_core::principal::Reach;
use rapport_core::{Error, Problems, Result, ids, time, validate};

use super::api::{NewStage, PipelineResponse, ReorderStages, UpdateStage};
use super::rows::StageRow;
use super::store::{ENTITY, get, live_stages, writable_row};
use crate::kinds::StageKind;

/// The most stages a pipeline may have.
pub const MAX_STAGES: usize = 30;
/// The longest follow-up interval: a year, in minutes.
const MAX_FOLLOW_UP_MINUTES: i32 = 525_600;

/// Validates a new stage of `pipeline_id` at `position`.
pub(crate) fn parse(
    problems: &mut Problems,
    field: &str,
    pipeline_id: &str,
    input: NewStage,
    position: i32,
    now: NaiveDateTime,
) -> StageRow {
    let default_probability = match input.kind {
        StageKind::Open => 10,
        StageKind::Won => 100,
        StageKind::Lost => 0,
    };
    StageRow {
        id: ids::new_id(),
        pipeline_id: pipeline_id.to_owned(),
        position,
        name: validate::required_text(problems, &format!("{field}.name"), &input.name, 100),
        kind: input.kind.as_str().to_owned(),
        win_probability: probability(problems, &format!("{field}.win_probability"), input.win_probability)
            .unwrap_or(default_probability),
        follow_up_minutes: follow_up_minutes(problems, &format!("{field}.follow_up_minutes"), input.follow_up_minutes),
        archived_at: None,
        created_at: now,
        updated_at: now,
    }
}

fn probability(problems: &mut Problems, field: &str, value: Option<i32>) -> Option<i32> {
    let value = value?;
    if !(0..=100).contains(&value) {
        problems.push(field, "out_of_range", format!("{field} must be between 0 and 100"));
    }
    Some(value)
}

/// A follow-up interval in minutes: 1 minute to a year.
pub(crate) fn follow_up_minutes(problems: &mut Problems, field: &str, value: Option<i32>) -> Option<i32> {
    let value = value?;
    if !(1..=MAX_FOLLOW_UP_MINUTES).contains(&value) {
        problems.push(field, "out_of_range", format!("{field} must be between 1 and {MAX_FOLLOW_UP_MINUTES} minutes"));
    }
    Some(value)
}

/// Stage names are unique in a pipeline, ignoring case.
pub(crate) fn check_unique_names(problems: &mut Problems, stages: &[StageRow], field: impl Fn(usize) -> String) {
    for (i, stage) in stages.iter().enumerate() {
        if stages[..i].iter().any(|s| s.name.to_lowercase() == stage.name.to_lowercase()) {
            problems.push(field(i), "duplicate", format!("the pipeline already has a stage named {}", stage.name));
        }
    }
}

/// Leads (archived ones too) whose current stage is `stage_id`.
fn leads_in(conn: &mut Conn, stage_id: &str) -> Result<i64> {
    Ok(leads::table.filter(leads::stage_id.eq(stage_id)).count().get_result(conn)?)
}

fn not_empty(stage: &StageRow, count: i64) -> Error {
    Error::Conflict {
        code: "stage_not_empty",
        message: format!("stage {} still holds {count} lead(s); move them to another stage first", stage.name),
    }
}

/// Checks the version and bumps it, then audits the pipeline's change.
fn finish(
    conn: &mut Conn,
    ctx: &WriteContext,
    id: &str,
    version: i64,
    before: &PipelineResponse,
) -> Result<PipelineResponse> {
    let updated = diesel::update(pipelines::table.filter(pipelines::id.eq(id)).filter(pipelines::version.eq(version)))
        .set((pipelines::version.eq(version + 1), pipelines::updated_at.eq(time::now())))
        .execute(conn)?;
    if updated == 0 {
        return Err(Error::StaleVersion { current: before.version });
    }
    let after = get(conn, id)?;
    audit::record(conn, ctx, ENTITY, id, Action::Updated, Some(before), Some(&after))?;
    Ok(after)
}

/// Rewrites positions 0.. in the given order.
fn renumber(conn: &mut Conn, stage_ids: &[&str], now: NaiveDateTime) -> Result<()> {
    for (position, stage_id) in stage_ids.iter().enumerate() {
        diesel::update(pipeline_stages::table.filter(pipeline_stages::id.eq(*stage_id)))
            .set((
                pipeline_stages::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                pipeline_stages::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Adds a stage to pipeline `id` (at `position`, default last); with
/// `expected_version`, only while the pipeline is at that version.
pub fn add(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    expected_version: Option<i64>,
    input: NewStage,
) -> Result<PipelineResponse> {
    let row = writable_row(conn, reach, id)?;
    let version = expected_version.unwrap_or(row.version);
    let mut current = live_stages(conn, &[id])?;
    let now = time::now();
    let mut problems = Problems::new();
    let wanted = input.position;
    if current.len() >= MAX_STAGES {
        problems.push("name", "too_many", format!("a pipeline has at most {MAX_STAGES} stages"));
    }
    let stage = parse(&mut problems, "stage", id, input, 0, now);
    let at = match wanted {
        Some(p) if p < 0 || usize::try_from(p).is_ok_and(|p| p > current.len()) => {
            problems.push("position", "out_of_range", format!("position must be between 0 and {}", current.len()));
            current.len()
        }
        Some(p) => usize::try_from(p).unwrap_or(current.len()),
        None => current.len(),
    };
    if current.iter().any(|s| s.name.to_lowercase() == stage.name.to_lowercase()) {
        problems.push("name", "duplicate", format!("the pipeline already has a stage named {}", stage.name));
    }
    // Report field paths as in the request body (`name`, not `stage.name`).
    let problems = strip_prefix(problems, "stage.");
    problems.into_result(())?;
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = get(conn, id)?;
    diesel::insert_into(pipeline_stages::table).values(&stage).execute(conn)?;
    current.insert(at, stage);
    let order: Vec<&str> = current.iter().map(|s| s.id.as_str()).collect();
    renumber(conn, &order, now)?;
    finish(conn, ctx, id, version, &before)
}

fn strip_prefix(problems: Problems, prefix: &str) -> Problems {
    let mut out = Problems::new();
    if let Err(Error::Validation(errors)) = problems.into_result(()) {
        for e in errors {
            let field = e.field.strip_prefix(prefix).map_or(e.field.clone(), str::to_owned);
            out.push(field, &e.code, e.message);
        }
    }
    out
}

fn live_stage(stages: &[StageRow], stage_id: &str) -> Result<StageRow> {
    stages.iter().find(|s| s.id == stage_id).cloned().ok_or(Error::NotFound { entity: "stage" })
}

/// Changes stage `stage_id` of pipeline `id`.
pub fn update(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    (id, stage_id): (&str, &str),
    version: i64,
    changes: UpdateStage,
) -> Result<PipelineResponse> {
    let row = writable_row(conn, reach, id)?;
    let current = live_stages(conn, &[id])?;
    let stage = live_stage(&current, stage_id)?;
    let mut problems = Problems::new();
    let name = changes.name.as_deref().map(|n| validate::required_text(&mut problems, "name", n, 100));
    let win_probability = probability(&mut problems, "win_probability", changes.win_probability);
    let follow_up = changes.follow_up_minutes.map(|m| follow_up_minutes(&mut problems, "follow_up_minutes", m));
    if let Some(name) = &name
        && current.iter().any(|s| s.id != stage.id && s.name.to_lowercase() == name.to_lowercase())
    {
        problems.push("name", "duplicate", format!("the pipeline already has a stage named {name}"));
    }
    problems.into_result(())?;
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let kind = changes.kind.map_or(stage.kind.clone(), |k| k.as_str().to_owned());
    if kind != stage.kind {
        let count = leads_in(conn, stage_id)?;
        if count > 0 {
            return Err(not_empty(&stage, count));
        }
    }
    let before = get(conn, id)?;
    diesel::update(pipeline_stages::table.filter(pipeline_stages::id.eq(stage_id)))
        .set((
            pipeline_stages::name.eq(name.unwrap_or(stage.name)),
            pipeline_stages::kind.eq(kind),
            pipeline_stages::win_probability.eq(win_probability.unwrap_or(stage.win_probability)),
            pipeline_stages::follow_up_minutes.eq(follow_up.unwrap_or(stage.follow_up_minutes)),
            pipeline_stages::updated_at.eq(time::now()),
        ))
        .execute(conn)?;
    finish(conn, ctx, id, version, &before)
}

/// Puts pipeline `id`'s stages in the given order.
pub fn reorder(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    id: &str,
    version: i64,
    input: &ReorderStages,
) -> Result<PipelineResponse> {
    let row = writable_row(conn, reach, id)?;
    let current = live_stages(conn, &[id])?;
    let mut given: Vec<&str> = input.stage_ids.iter().map(String::as_str).collect();
    let mut live: Vec<&str> = current.iter().map(|s| s.id.as_str()).collect();
    given.sort_unstable();
    live.sort_unstable();
    if given != live {
        return Err(Error::invalid(
            "stage_ids",
            "not_a_permutation",
            "stage_ids must name every live stage of the pipeline exactly once",
        ));
    }
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let before = get(conn, id)?;
    let order: Vec<&str> = input.stage_ids.iter().map(String::as_str).collect();
    renumber(conn, &order, time::now())?;
    finish(conn, ctx, id, version, &before)
}

/// Removes stage `stage_id` from pipeline `id`. Refused (409
/// `stage_not_empty`) while leads are in it; a stage leads passed through is
/// archived rather than deleted, so their history keeps it.
pub fn delete(
    conn: &mut Conn,
    ctx: &WriteContext,
    reach: &Reach,
    (id, stage_id): (&str, &str),
    expected_version: Option<i64>,
) -> Result<PipelineResponse> {
    let row = writable_row(conn, reach, id)?;
    let current = live_stages(conn, &[id])?;
    let stage = live_stage(&current, stage_id)?;
    let version = expected_version.unwrap_or(row.version);
    if row.version != version {
        return Err(Error::StaleVersion { current: row.version });
    }
    let count = leads_in(conn, stage_id)?;
    if count > 0 {
        return Err(not_empty(&stage, count));
    }
    let before = get(conn, id)?;
    let now = time::now();
    let deleted = conn.transaction(|conn| {
        diesel::delete(pipeline_stages::table.filter(pipeline_stages::id.eq(stage_id)))
            .execute(conn)
            .map_err(Error::from)
    });
    match deleted {
        Ok(_) => {}
        Err(Error::Conflict { code: "still_referenced", .. }) => {
            diesel::update(pipeline_stages::table.filter(pipeline_stages::id.eq(stage_id)))
                .set((pipeline_stages::archived_at.eq(now), pipeline_stages::updated_at.eq(now)))
                .execute(conn)?;
        }
        Err(e) => return Err(e),
    }
    let order: Vec<&str> = current.iter().filter(|s| s.id != stage_id).map(|s| s.id.as_str()).collect();
    renumber(conn, &order, now)?;
    finish(conn, ctx, id, version, &before)
}

/// A live stage and its pipeline, as a lead sees them.
#[derive(Debug, Clone)]
pub struct StageInPipeline {
    /// The stage id.
    pub stage_id: String,
    /// Its pipeline.
    pub pipeline_id: String,
    /// The pipeline's division.
    pub division_id: String,
    /// The stage's kind.
    pub kind: StageKind,
    /// The stage's follow-up interval in minutes.
    pub follow_up_minutes: Option<i32>,
}

/// The live stage `stage_id` a lead of `division_id` may enter, else a
/// validation error at `field`: the stage must exist and be live, its
/// pipeline must belong to the division, be live and have an open, a won
/// and a lost stage.
pub fn enterable(conn: &mut Conn, field: &str, stage_id: &str, division_id: &str) -> Result<StageInPipeline> {
    let invalid = |code: &str, message: String| Err(Error::invalid(field, code, message));
    if !ids::is_valid_id(stage_id) {
        return invalid("invalid_id", format!("{field} is not a valid id"));
    }
    let found: Option<(StageRow, String, bool)> = pipeline_stages::table
        .inner_join(pipelines::table)
        .filter(pipeline_stages::id.eq(stage_id))
        .select((StageRow::as_select(), pipelines::division_id, pipelines::archived_at.is_not_null()))
        .get_result(conn)
        .optional()?;
    let Some((stage, pipeline_division, pipeline_archived)) = found else {
        return invalid("not_found", format!("stage {stage_id} does not exist"));
    };
    if stage.archived_at.is_some() {
        return invalid("archived", format!("stage {stage_id} was deleted"));
    }
    if pipeline_division != division_id {
        return invalid(
            "wrong_division",
            format!("stage {stage_id} belongs to a pipeline of another division than the lead's"),
        );
    }
    if pipeline_archived {
        return invalid("pipeline_archived", "the stage's pipeline is archived".to_owned());
    }
    let kinds: Vec<String> = pipeline_stages::table
        .filter(pipeline_stages::pipeline_id.eq(&stage.pipeline_id))
        .filter(pipeline_stages::archived_at.is_null())
        .select(pipeline_stages::kind)
        .distinct()
        .load(conn)?;
    if kinds.len() < StageKind::ALL.len() {
        return invalid(
            "pipeline_incomplete",
            "the pipeline needs an open, a won and a lost stage before it takes leads".to_owned(),
        );
    }
    let kind = StageKind::parse(&stage.kind).ok_or_else(|| Error::Internal(format!("stored kind {}", stage.kind)))?;
    Ok(StageInPipeline {
        stage_id: stage.id,
        pipeline_id: stage.pipeline_id,
        division_id: pipeline_division,
        kind,
        follow_up_minutes: stage.follow_up_minutes,
    })
}
