//! `/api/v1/pipelines`: pipelines per division, their stages, and boards.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_leads::pipeline::api::{
    BoardResponse, CreatePipeline, NewStage, PipelineListQuery, PipelineResponse, ReorderStages, UpdatePipeline,
    UpdateStage,
};
use rapport_leads::pipeline::{board, stages, store as pipelines};

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // The literal `stages/order` path before `stages/{stage_id}`.
    cfg.service(list_pipelines)
        .service(create_pipeline)
        .service(get_pipeline)
        .service(update_pipeline)
        .service(delete_pipeline)
        .service(get_pipeline_board)
        .service(reorder_pipeline_stages)
        .service(create_pipeline_stage)
        .service(update_pipeline_stage)
        .service(delete_pipeline_stage);
}

/// List pipelines.
#[utoipa::path(
    tag = "pipelines",
    params(PipelineListQuery),
    responses((status = 200, description = "One page of pipelines", body = ListResponse<PipelineResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/pipelines")]
pub async fn list_pipelines(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<PipelineListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Pipelines, Operation::Read)?;
    let page = state.read(move |conn| pipelines::list(conn, &query.0)).await?;
    Ok(respond::page(page))
}

/// Create a pipeline.
///
/// With its stages in board order; it takes leads once it has an open, a
/// won and a lost stage (`accepts_leads`). Managers create pipelines of
/// their own division.
#[utoipa::path(
    tag = "pipelines",
    request_body = CreatePipeline,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = PipelineResponse,
        headers(("Location" = String, description = "URL of the new pipeline"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/pipelines")]
pub async fn create_pipeline(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreatePipeline>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Pipelines, Operation::Create)?;
    let created = state.write(move |conn| pipelines::create(conn, &caller.ctx, &reach, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/pipelines/{}", created.id), created.version))
}

/// Get a pipeline with its stages.
#[utoipa::path(
    tag = "pipelines",
    params(("id" = String, Path, description = "Pipeline id")),
    responses((status = 200, description = "The pipeline", body = PipelineResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/pipelines/{id}")]
pub async fn get_pipeline(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Pipelines, Operation::Read)?;
    let pipeline = state.read(move |conn| pipelines::get(conn, &id)).await?;
    Ok(respond::one(&pipeline, pipeline.version))
}

/// Rename, archive or restore a pipeline.
#[utoipa::path(
    tag = "pipelines",
    request_body = UpdatePipeline,
    params(("id" = String, Path, description = "Pipeline id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated pipeline", body = PipelineResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/pipelines/{id}")]
pub async fn update_pipeline(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdatePipeline>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Pipelines, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| pipelines::update(conn, &caller.ctx, &reach, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a pipeline.
///
/// 204 when it never held a lead; otherwise it is archived and returned with 200.
#[utoipa::path(
    tag = "pipelines",
    params(("id" = String, Path, description = "Pipeline id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "Leads refer to it, so archived instead", body = PipelineResponse), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/pipelines/{id}")]
pub async fn delete_pipeline(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Pipelines, Operation::Delete)?;
    let removal = state.write(move |conn| pipelines::delete(conn, &caller.ctx, &reach, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |p| p.version))
}

/// The pipeline's board.
///
/// For each live stage in order: how many unarchived leads are in it and
/// the sum of their expected values per currency, counting only the leads
/// you may read (it needs the right to read leads).
#[utoipa::path(
    tag = "pipelines",
    params(("id" = String, Path, description = "Pipeline id")),
    responses((status = 200, description = "Count and expected value per stage", body = BoardResponse), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/pipelines/{id}/board")]
pub async fn get_pipeline_board(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    // It shows leads, so it needs the right to read them (and counts only those in reach).
    let reach = caller.reach(Resource::Leads, Operation::Read)?;
    let board = state.read(move |conn| board::board(conn, &reach, &id)).await?;
    Ok(HttpResponse::Ok().json(board))
}

/// Add a stage.
///
/// At `position` (default last); returns the pipeline. With `If-Match`,
/// only if the pipeline is still at that version.
#[utoipa::path(
    tag = "pipelines",
    request_body = NewStage,
    params(("id" = String, Path, description = "Pipeline id"),
        ("If-Match" = Option<String>, Header, description = "Only add if the pipeline is still at this version")),
    responses((status = 201, description = "The pipeline with the new stage", body = PipelineResponse), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/pipelines/{id}/stages")]
pub async fn create_pipeline_stage(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<NewStage>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Pipelines, Operation::Update)?;
    let updated = state.write(move |conn| stages::add(conn, &caller.ctx, &reach, &id, if_match.0, body.0)).await?;
    Ok(respond::created(&updated, format!("/api/v1/pipelines/{}", updated.id), updated.version))
}

/// Change a stage.
///
/// Its kind cannot change while leads are in it (409 `stage_not_empty`).
#[utoipa::path(
    tag = "pipelines",
    request_body = UpdateStage,
    params(("id" = String, Path, description = "Pipeline id"), ("stage_id" = String, Path, description = "Stage id"),
        ("If-Match" = Option<String>, Header, description = "The pipeline's ETag, e.g. \"3\"")),
    responses((status = 200, description = "The pipeline", body = PipelineResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/pipelines/{id}/stages/{stage_id}")]
pub async fn update_pipeline_stage(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
    body: ApiJson<UpdateStage>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Pipelines, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let (id, stage_id) = path.into_inner();
    let updated =
        state.write(move |conn| stages::update(conn, &caller.ctx, &reach, (&id, &stage_id), version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Reorder the stages.
#[utoipa::path(
    tag = "pipelines",
    request_body = ReorderStages,
    params(("id" = String, Path, description = "Pipeline id"),
        ("If-Match" = Option<String>, Header, description = "The pipeline's ETag, e.g. \"3\"")),
    responses((status = 200, description = "The pipeline in its new order", body = PipelineResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[put("/pipelines/{id}/stages/order")]
pub async fn reorder_pipeline_stages(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<ReorderStages>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Pipelines, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| stages::reorder(conn, &caller.ctx, &reach, &id, version, &body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a stage.
///
/// Refused with 409 `stage_not_empty` while leads are in it; a stage leads
/// passed through is kept (hidden) for their history. Returns the pipeline.
#[utoipa::path(
    tag = "pipelines",
    params(("id" = String, Path, description = "Pipeline id"), ("stage_id" = String, Path, description = "Stage id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if the pipeline is still at this version")),
    responses((status = 200, description = "The pipeline without the stage", body = PipelineResponse), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/pipelines/{id}/stages/{stage_id}")]
pub async fn delete_pipeline_stage(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Pipelines, Operation::Update)?;
    let (id, stage_id) = path.into_inner();
    let updated =
        state.write(move |conn| stages::delete(conn, &caller.ctx, &reach, (&id, &stage_id), if_match.0)).await?;
    Ok(respond::one(&updated, updated.version))
}
