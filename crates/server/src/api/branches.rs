//! `/api/v1/branches`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::org::api::{BranchListQuery, BranchResponse, CreateBranch, UpdateBranch};
use rapport_auth::org::branches;

use super::{
    CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems,
    respond,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Ctx, IfMatch, expected_version};
use crate::state::AppState;

/// List branches.
///
/// Archived branches are left out unless `include_archived=true`.
#[utoipa::path(
    tag = "org",
    params(BranchListQuery),
    responses((status = 200, description = "One page of branches", body = ListResponse<BranchResponse>), ListProblems),
    security(())
)]
#[get("/branches")]
pub async fn list_branches(
    state: web::Data<AppState>,
    query: ApiQuery<BranchListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .read(move |conn| branches::list(conn, &query.0))
        .await?;
    Ok(respond::page(page))
}

/// Create a branch.
#[utoipa::path(
    tag = "org",
    request_body = CreateBranch,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = BranchResponse,
        headers(("Location" = String, description = "URL of the new branch"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(())
)]
#[post("/branches")]
pub async fn create_branch(
    state: web::Data<AppState>,
    ctx: Ctx,
    body: ApiJson<CreateBranch>,
) -> Result<HttpResponse, ApiError> {
    let created = state
        .write(move |conn| branches::create(conn, &ctx.0, body.0))
        .await?;
    Ok(respond::created(
        &created,
        format!("/api/v1/branches/{}", created.id),
        created.version,
    ))
}

/// Get a branch.
#[utoipa::path(
    tag = "org",
    params(("id" = String, Path, description = "Branch id")),
    responses((status = 200, description = "The branch", body = BranchResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(())
)]
#[get("/branches/{id}")]
pub async fn get_branch(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let branch = state.read(move |conn| branches::get(conn, &id)).await?;
    Ok(respond::one(&branch, branch.version))
}

/// Update a branch.
///
/// Send the version you read as `If-Match` (or `version` in the body); a
/// stale version is refused with 412.
#[utoipa::path(
    tag = "org",
    request_body = UpdateBranch,
    params(("id" = String, Path, description = "Branch id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated branch", body = BranchResponse), UpdateProblems),
    security(())
)]
#[patch("/branches/{id}")]
pub async fn update_branch(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateBranch>,
) -> Result<HttpResponse, ApiError> {
    let version = expected_version(if_match, body.0.version)?;
    let updated = state
        .write(move |conn| branches::update(conn, &ctx.0, &id, version, body.0))
        .await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a branch.
///
/// Answers 204 when the branch was removed; when other records
/// still belong to it, it is archived instead and returned with 200.
#[utoipa::path(
    tag = "org",
    params(("id" = String, Path, description = "Branch id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "Still referenced, so archived instead", body = BranchResponse), DeleteProblems),
    security(())
)]
#[delete("/branches/{id}")]
pub async fn delete_branch(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let removal = state
        .write(move |conn| branches::delete(conn, &ctx.0, &id, if_match.0))
        .await?;
    Ok(respond::removed(removal, |d| d.version))
}
