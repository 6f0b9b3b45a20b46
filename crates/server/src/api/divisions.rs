//! `/api/v1/divisions`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::org::api::{CreateDivision, DivisionListQuery, DivisionResponse, UpdateDivision};
use rapport_auth::org::divisions;

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use rapport_auth::policy::{Operation, Resource};

use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// List divisions.
///
/// Archived divisions are left out unless `include_archived=true`.
#[utoipa::path(
    tag = "org",
    params(DivisionListQuery),
    responses((status = 200, description = "One page of divisions", body = ListResponse<DivisionResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/divisions")]
pub async fn list_divisions(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<DivisionListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Divisions, Operation::Read)?;
    let page = state.read(move |conn| divisions::list(conn, &query.0)).await?;
    Ok(respond::page(page))
}

/// Create a division.
#[utoipa::path(
    tag = "org",
    request_body = CreateDivision,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = DivisionResponse,
        headers(("Location" = String, description = "URL of the new division"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/divisions")]
pub async fn create_division(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateDivision>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Divisions, Operation::Create)?;
    let created = state.write(move |conn| divisions::create(conn, &caller.ctx, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/divisions/{}", created.id), created.version))
}

/// Get a division.
#[utoipa::path(
    tag = "org",
    params(("id" = String, Path, description = "Division id")),
    responses((status = 200, description = "The division", body = DivisionResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/divisions/{id}")]
pub async fn get_division(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Divisions, Operation::Read)?;
    let division = state.read(move |conn| divisions::get(conn, &id)).await?;
    Ok(respond::one(&division, division.version))
}

/// Update a division.
///
/// Send the version you read as `If-Match` (or `version` in the body); a
/// stale version is refused with 412.
#[utoipa::path(
    tag = "org",
    request_body = UpdateDivision,
    params(("id" = String, Path, description = "Division id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated division", body = DivisionResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/divisions/{id}")]
pub async fn update_division(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateDivision>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Divisions, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| divisions::update(conn, &caller.ctx, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a division.
///
/// Answers 204 when the division was removed; when branches or other records
/// still belong to it, it is archived instead and returned with 200.
#[utoipa::path(
    tag = "org",
    params(("id" = String, Path, description = "Division id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "Still referenced, so archived instead", body = DivisionResponse), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/divisions/{id}")]
pub async fn delete_division(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Divisions, Operation::Delete)?;
    let removal = state.write(move |conn| divisions::delete(conn, &caller.ctx, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |d| d.version))
}
