//! `/api/v1/branches`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::org::api::{BranchListQuery, BranchResponse, CreateBranch, UpdateBranch};
use rapport_auth::org::branches;

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use rapport_auth::policy::{Operation, Resource};
use rapport_core::principal::Scope;

use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// List branches.
///
/// Archived branches are left out unless `include_archived=true`.
#[utoipa::path(
    tag = "org",
    params(BranchListQuery),
    responses((status = 200, description = "One page of branches", body = ListResponse<BranchResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/branches")]
pub async fn list_branches(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<BranchListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Branches, Operation::Read)?;
    let page = state.read(move |conn| branches::list(conn, &query.0)).await?;
    Ok(respond::page(page))
}

/// Create a branch.
#[utoipa::path(
    tag = "org",
    request_body = CreateBranch,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = BranchResponse,
        headers(("Location" = String, description = "URL of the new branch"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/branches")]
pub async fn create_branch(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateBranch>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Branches, Operation::Create)?;
    let created = state.write(move |conn| branches::create(conn, &caller.ctx, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/branches/{}", created.id), created.version))
}

/// Get a branch.
#[utoipa::path(
    tag = "org",
    params(("id" = String, Path, description = "Branch id")),
    responses((status = 200, description = "The branch", body = BranchResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/branches/{id}")]
pub async fn get_branch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Branches, Operation::Read)?;
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
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/branches/{id}")]
pub async fn update_branch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateBranch>,
) -> Result<HttpResponse, ApiError> {
    let scope = caller.may(Resource::Branches, Operation::Update)?;
    let within_division = match scope {
        Scope::All => None,
        // A manager without a division matches no branch.
        _ => Some(caller.principal.division_id.clone().unwrap_or_default()),
    };
    let version = expected_version(if_match, body.0.version)?;
    let updated = state
        .write(move |conn| branches::update(conn, &caller.ctx, &id, within_division.as_deref(), version, body.0))
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
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/branches/{id}")]
pub async fn delete_branch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Branches, Operation::Delete)?;
    let removal = state.write(move |conn| branches::delete(conn, &caller.ctx, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |d| d.version))
}
