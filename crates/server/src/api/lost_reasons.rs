//! `/api/v1/lost-reasons`: the admin-managed reasons a lost lead picks from.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::page::Page;
use rapport_leads::lost_reason::{self, CreateLostReason, LostReasonListQuery, LostReasonResponse, UpdateLostReason};

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_lost_reasons)
        .service(create_lost_reason)
        .service(get_lost_reason)
        .service(update_lost_reason)
        .service(delete_lost_reason);
}

/// List lost reasons.
///
/// A short list in display order, on one page (`next_cursor` is always null).
#[utoipa::path(
    tag = "leads",
    params(LostReasonListQuery),
    responses((status = 200, description = "Every lost reason", body = ListResponse<LostReasonResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/lost-reasons")]
pub async fn list_lost_reasons(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<LostReasonListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::LostReasons, Operation::Read)?;
    let items = state.read(move |conn| lost_reason::list(conn, &query.0)).await?;
    Ok(respond::page(Page { items, next_cursor: None }))
}

/// Create a lost reason.
#[utoipa::path(
    tag = "leads",
    request_body = CreateLostReason,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = LostReasonResponse,
        headers(("Location" = String, description = "URL of the new reason"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/lost-reasons")]
pub async fn create_lost_reason(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateLostReason>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::LostReasons, Operation::Create)?;
    let created = state.write(move |conn| lost_reason::create(conn, &caller.ctx, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/lost-reasons/{}", created.id), created.version))
}

/// Get a lost reason.
#[utoipa::path(
    tag = "leads",
    params(("id" = String, Path, description = "Lost reason id")),
    responses((status = 200, description = "The lost reason", body = LostReasonResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/lost-reasons/{id}")]
pub async fn get_lost_reason(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::LostReasons, Operation::Read)?;
    let reason = state.read(move |conn| lost_reason::get(conn, &id)).await?;
    Ok(respond::one(&reason, reason.version))
}

/// Update a lost reason.
///
/// `archived: true` stops offering it; leads keep the reason they have.
#[utoipa::path(
    tag = "leads",
    request_body = UpdateLostReason,
    params(("id" = String, Path, description = "Lost reason id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated reason", body = LostReasonResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/lost-reasons/{id}")]
pub async fn update_lost_reason(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateLostReason>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::LostReasons, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| lost_reason::update(conn, &caller.ctx, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a lost reason.
///
/// 204 when no lead used it; otherwise it is archived and returned with 200.
#[utoipa::path(
    tag = "leads",
    params(("id" = String, Path, description = "Lost reason id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "Used by leads, so archived instead", body = LostReasonResponse), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/lost-reasons/{id}")]
pub async fn delete_lost_reason(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::LostReasons, Operation::Delete)?;
    let removal = state.write(move |conn| lost_reason::delete(conn, &caller.ctx, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |r| r.version))
}
