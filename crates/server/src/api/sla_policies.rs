//! `/api/v1/sla-policies`: first-response and resolution targets per
//! priority, company-wide or per division.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::page::Page;
use rapport_tickets::sla::policy::{self, CreateSlaPolicy, SlaPolicyListQuery, SlaPolicyResponse, UpdateSlaPolicy};

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_sla_policies)
        .service(create_sla_policy)
        .service(get_sla_policy)
        .service(update_sla_policy)
        .service(delete_sla_policy);
}

/// List SLA policies.
///
/// Reference data everyone reads, on one page (`next_cursor` is always null).
#[utoipa::path(
    tag = "tickets",
    params(SlaPolicyListQuery),
    responses((status = 200, description = "The policies", body = ListResponse<SlaPolicyResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/sla-policies")]
pub async fn list_sla_policies(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<SlaPolicyListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::SlaPolicies, Operation::Read)?;
    let items = state.read(move |conn| policy::list(conn, &query.0)).await?;
    Ok(respond::page(Page { items, next_cursor: None }))
}

/// Create an SLA policy.
///
/// Targets in business minutes on the ticket branch's calendar. A
/// division's policy for a priority wins over the company-wide one (which
/// only admins set). One active policy per division (or company-wide) and
/// priority (422 `duplicate`).
#[utoipa::path(
    tag = "tickets",
    request_body = CreateSlaPolicy,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = SlaPolicyResponse,
        headers(("Location" = String, description = "URL of the new policy"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/sla-policies")]
pub async fn create_sla_policy(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateSlaPolicy>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::SlaPolicies, Operation::Create)?;
    let created = state.write(move |conn| policy::create(conn, &caller.ctx, &reach, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/sla-policies/{}", created.id), created.version))
}

/// Get an SLA policy.
#[utoipa::path(
    tag = "tickets",
    params(("id" = String, Path, description = "Policy id")),
    responses((status = 200, description = "The policy", body = SlaPolicyResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/sla-policies/{id}")]
pub async fn get_sla_policy(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::SlaPolicies, Operation::Read)?;
    let found = state.read(move |conn| policy::get(conn, &id)).await?;
    Ok(respond::one(&found, found.version))
}

/// Update an SLA policy.
///
/// Tickets already logged keep the targets they started with.
#[utoipa::path(
    tag = "tickets",
    request_body = UpdateSlaPolicy,
    params(("id" = String, Path, description = "Policy id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated policy", body = SlaPolicyResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/sla-policies/{id}")]
pub async fn update_sla_policy(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateSlaPolicy>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::SlaPolicies, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| policy::update(conn, &caller.ctx, &reach, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete an SLA policy.
///
/// 204 when no ticket was measured with it; otherwise it is deactivated
/// and returned with 200.
#[utoipa::path(
    tag = "tickets",
    params(("id" = String, Path, description = "Policy id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "Used by tickets, so deactivated instead", body = SlaPolicyResponse), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/sla-policies/{id}")]
pub async fn delete_sla_policy(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::SlaPolicies, Operation::Delete)?;
    match state.write(move |conn| policy::delete(conn, &caller.ctx, &reach, &id, if_match.0)).await? {
        None => Ok(HttpResponse::NoContent().finish()),
        Some(kept) => Ok(respond::one(&kept, kept.version)),
    }
}
