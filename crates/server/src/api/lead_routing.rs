//! `/api/v1/lead-assignment-rules` and `POST /api/v1/leads/{id}/qualify`:
//! who gets routed leads, and the qualification that routes one.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::page::Page;
use rapport_leads::lead::api::LeadResponse;
use rapport_leads::routing::api::{
    AssignmentRuleListQuery, AssignmentRuleResponse, CreateAssignmentRule, QualifyLead, UpdateAssignmentRule,
};
use rapport_leads::routing::{self, rules};

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_assignment_rules)
        .service(create_assignment_rule)
        .service(get_assignment_rule)
        .service(update_assignment_rule)
        .service(delete_assignment_rule)
        .service(qualify_lead);
}

/// List assignment rules.
///
/// The rules of the divisions you reach, on one page (`next_cursor` is
/// always null).
#[utoipa::path(
    tag = "leads",
    params(AssignmentRuleListQuery),
    responses((status = 200, description = "The rules", body = ListResponse<AssignmentRuleResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/lead-assignment-rules")]
pub async fn list_assignment_rules(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<AssignmentRuleListQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::LeadAssignmentRules, Operation::Read)?;
    let items = state.read(move |conn| rules::list(conn, &reach, &query.0)).await?;
    Ok(respond::page(Page { items, next_cursor: None }))
}

/// Create an assignment rule.
///
/// For a division, or one of its branches (a branch's rule wins over the
/// division-wide one): `named` gives every lead to `user_id`;
/// `round_robin` gives them to `member_ids` in turn; `fewest_open` to the
/// member with the fewest open leads. People must be active users of the
/// division (422 otherwise). One active rule per division and branch (422
/// `duplicate`). Deactivated members are skipped, not removed.
#[utoipa::path(
    tag = "leads",
    request_body = CreateAssignmentRule,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = AssignmentRuleResponse,
        headers(("Location" = String, description = "URL of the new rule"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/lead-assignment-rules")]
pub async fn create_assignment_rule(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateAssignmentRule>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::LeadAssignmentRules, Operation::Create)?;
    let created = state.write(move |conn| rules::create(conn, &caller.ctx, &reach, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/lead-assignment-rules/{}", created.id), created.version))
}

/// Get an assignment rule.
#[utoipa::path(
    tag = "leads",
    params(("id" = String, Path, description = "Rule id")),
    responses((status = 200, description = "The rule", body = AssignmentRuleResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/lead-assignment-rules/{id}")]
pub async fn get_assignment_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::LeadAssignmentRules, Operation::Read)?;
    let found = state.read(move |conn| rules::get(conn, &reach, &id)).await?;
    Ok(respond::one(&found, found.version))
}

/// Update an assignment rule.
///
/// New members restart the turn at the first of them.
#[utoipa::path(
    tag = "leads",
    request_body = UpdateAssignmentRule,
    params(("id" = String, Path, description = "Rule id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated rule", body = AssignmentRuleResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/lead-assignment-rules/{id}")]
pub async fn update_assignment_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateAssignmentRule>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::LeadAssignmentRules, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| rules::update(conn, &caller.ctx, &reach, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete an assignment rule.
///
/// Leads it routed keep their owners.
#[utoipa::path(
    tag = "leads",
    params(("id" = String, Path, description = "Rule id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/lead-assignment-rules/{id}")]
pub async fn delete_assignment_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::LeadAssignmentRules, Operation::Delete)?;
    state.write(move |conn| rules::delete(conn, &caller.ctx, &reach, &id, if_match.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Qualify a lead: confirm or hand over its division, and assign it.
///
/// For an open lead. A `division_id` other than the lead's hands it over:
/// it moves into that division's pipeline (`pipeline_id`, default its oldest
/// one taking leads; `stage_id`, default the first open stage), the move
/// is recorded in its stage history, and its branch is cleared unless one
/// of the new division is given. `stage_id` alone moves it to another open
/// stage of its pipeline. The owner is `owner_id` (an active user of the
/// division) or, on a hand-over or for an unassigned lead, whoever the
/// division's assignment rule picks (none: it stays unassigned). The new
/// owner gets a `lead_assigned` or `lead_handed_over` notification; the
/// change is audited. `notes` are appended to the lead's notes. Send the
/// lead's version as `If-Match` (or `version`).
#[utoipa::path(
    tag = "leads",
    request_body = QualifyLead,
    params(("id" = String, Path, description = "Lead id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The qualified lead", body = LeadResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/leads/{id}/qualify")]
pub async fn qualify_lead(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<QualifyLead>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::LeadQualification, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let lead = state.write(move |conn| routing::qualify(conn, &caller.ctx, &reach, &id, version, body.0)).await?;
    Ok(respond::one(&lead, lead.version))
}
