//! `/api/v1/automation`: rules (trigger, conditions, actions) and the
//! record of their runs.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_tasks::automation::rule::{self, CreateRule, RuleListQuery, RuleResponse, UpdateRule};
use rapport_tasks::automation::runs::{self, RunListQuery, RunResponse};

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_rules)
        .service(create_rule)
        .service(get_rule)
        .service(update_rule)
        .service(delete_rule)
        .service(list_runs)
        .service(get_run);
}

/// List automation rules.
///
/// The built-in defaults (with a `builtin_key`) and the admins' own. Filter
/// by `trigger` and `enabled`; archived rules with `include_archived=true`.
#[utoipa::path(
    tag = "automation",
    params(RuleListQuery),
    responses((status = 200, description = "One page of rules", body = ListResponse<RuleResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/automation/rules")]
pub async fn list_rules(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<RuleListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::AutomationRules, Operation::Read)?;
    let page = state.read(move |conn| rule::list(conn, &query.0)).await?;
    Ok(respond::page(page))
}

/// Create an automation rule.
///
/// A trigger, conditions on the record's fields (each named field must
/// hold one of its values; the fields each trigger offers are in
/// docs/automation.md) and 1-10 actions. It fires for occurrences from now
/// on, once per occurrence.
#[utoipa::path(
    tag = "automation",
    request_body = CreateRule,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = RuleResponse,
        headers(("Location" = String, description = "URL of the new rule"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/automation/rules")]
pub async fn create_rule(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateRule>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::AutomationRules, Operation::Create)?;
    let created = state.write(move |conn| rule::create(conn, &caller.ctx, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/automation/rules/{}", created.id), created.version))
}

/// Get an automation rule.
#[utoipa::path(
    tag = "automation",
    params(("id" = String, Path, description = "Rule id")),
    responses((status = 200, description = "The rule", body = RuleResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/automation/rules/{id}")]
pub async fn get_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::AutomationRules, Operation::Read)?;
    let found = state.read(move |conn| rule::get(conn, &id)).await?;
    Ok(respond::one(&found, found.version))
}

/// Update an automation rule.
///
/// Conditions and actions given replace the old ones. Switching a rule
/// back on starts it afresh: what happened while it was off does not fire
/// it. The trigger cannot change (create another rule).
#[utoipa::path(
    tag = "automation",
    request_body = UpdateRule,
    params(("id" = String, Path, description = "Rule id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated rule", body = RuleResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/automation/rules/{id}")]
pub async fn update_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateRule>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::AutomationRules, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| rule::update(conn, &caller.ctx, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete an automation rule.
///
/// 204 when it never ran; otherwise it is archived (switched off, kept so
/// its runs still explain the tasks it created) and returned with 200.
#[utoipa::path(
    tag = "automation",
    params(("id" = String, Path, description = "Rule id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "It has run, so archived instead", body = RuleResponse), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/automation/rules/{id}")]
pub async fn delete_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::AutomationRules, Operation::Delete)?;
    match state.write(move |conn| rule::delete(conn, &caller.ctx, &id, if_match.0)).await? {
        None => Ok(HttpResponse::NoContent().finish()),
        Some(kept) => Ok(respond::one(&kept, kept.version)),
    }
}

/// List rule runs, newest first.
///
/// What fired (rule, trigger, occurrence, record) and what each action did
/// (the task it created, the user it picked, or why it was skipped).
/// Filter by `rule_id`, or by `subject_type` and `subject_id` to see every
/// rule that fired about one record.
#[utoipa::path(
    tag = "automation",
    params(RunListQuery),
    responses((status = 200, description = "One page of runs", body = ListResponse<RunResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/automation/runs")]
pub async fn list_runs(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<RunListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::AutomationRuns, Operation::Read)?;
    let page = state.read(move |conn| runs::list(conn, &query.0)).await?;
    Ok(respond::page(page))
}

/// Get a rule run: why a task (its `rule_run_id`) exists.
#[utoipa::path(
    tag = "automation",
    params(("id" = String, Path, description = "Run id")),
    responses((status = 200, description = "The run", body = RunResponse), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/automation/runs/{id}")]
pub async fn get_run(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::AutomationRuns, Operation::Read)?;
    let run = state.read(move |conn| runs::get(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(run))
}
