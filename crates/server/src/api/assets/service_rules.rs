//! `/api/v1/service-rules`: service intervals per make and model.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_customers::asset::rule_api::{
    CreateServiceRule, ServiceRuleListQuery, ServiceRuleResponse, UpdateServiceRule,
};
use rapport_customers::asset::rules;

use crate::api::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_service_rules)
        .service(create_service_rule)
        .service(get_service_rule)
        .service(update_service_rule)
        .service(delete_service_rule);
}

/// List service rules.
#[utoipa::path(
    tag = "assets",
    params(ServiceRuleListQuery),
    responses((status = 200, description = "One page of service rules", body = ListResponse<ServiceRuleResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/service-rules")]
pub async fn list_service_rules(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ServiceRuleListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::ServiceRules, Operation::Read)?;
    let page = state.read(move |conn| rules::list(conn, &query.0)).await?;
    Ok(respond::page(page))
}

/// Create a service rule.
///
/// One rule per asset kind, make and model (or make alone: every model
/// without its own rule); the model's rule wins over the make's. The
/// projection of every asset the rule governs is recomputed.
#[utoipa::path(
    tag = "assets",
    request_body = CreateServiceRule,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = ServiceRuleResponse,
        headers(("Location" = String, description = "URL of the new rule"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/service-rules")]
pub async fn create_service_rule(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateServiceRule>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::ServiceRules, Operation::Create)?;
    let created = state.write(move |conn| rules::create(conn, &caller.ctx, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/service-rules/{}", created.id), created.version))
}

/// Get a service rule.
#[utoipa::path(
    tag = "assets",
    params(("id" = String, Path, description = "Service rule id")),
    responses((status = 200, description = "The rule", body = ServiceRuleResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/service-rules/{id}")]
pub async fn get_service_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::ServiceRules, Operation::Read)?;
    let rule = state.read(move |conn| rules::get(conn, &id)).await?;
    Ok(respond::one(&rule, rule.version))
}

/// Update a service rule.
///
/// The assets it governed and now governs are re-projected. Send the
/// version you read as `If-Match` (or `version`).
#[utoipa::path(
    tag = "assets",
    request_body = UpdateServiceRule,
    params(("id" = String, Path, description = "Service rule id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated rule", body = ServiceRuleResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/service-rules/{id}")]
pub async fn update_service_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateServiceRule>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::ServiceRules, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| rules::update(conn, &caller.ctx, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a service rule.
///
/// Answers 204; the assets it governed fall back to the make's rule (or to
/// none) and are re-projected.
#[utoipa::path(
    tag = "assets",
    params(("id" = String, Path, description = "Service rule id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/service-rules/{id}")]
pub async fn delete_service_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::ServiceRules, Operation::Delete)?;
    let removal = state.write(move |conn| rules::delete(conn, &caller.ctx, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |r| r.version))
}
