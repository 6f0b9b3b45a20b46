//! `/api/v1/intake-sources` (admins and managers) and `/api/v1/intake/leads`
//! (web forms and messaging middleware, with an intake key).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_leads::intake::api::{
    CreateIntakeSource, IntakeLead, IntakeResult, IntakeSourceListQuery, IntakeSourceResponse, IntakeSourceWithKey,
    UpdateIntakeSource,
};
use rapport_leads::intake::{self, source};

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, IntakeCaller, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_intake_sources)
        .service(create_intake_source)
        .service(get_intake_source)
        .service(update_intake_source)
        .service(rotate_intake_source_key)
        .service(delete_intake_source)
        .service(capture_lead);
}

/// List intake sources (never their keys).
///
/// Managers see their own division's.
#[utoipa::path(
    tag = "intake",
    params(IntakeSourceListQuery),
    responses((status = 200, description = "One page of sources", body = ListResponse<IntakeSourceResponse>), ListProblems),
    security(("bearer" = []))
)]
#[get("/intake-sources")]
pub async fn list_intake_sources(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<IntakeSourceListQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::IntakeSources, Operation::Read)?;
    let page = state.read(move |conn| source::list(conn, &reach, &query.0)).await?;
    Ok(respond::page(page))
}

/// Create an intake source.
///
/// The response is the only time its key is shown; only a digest is stored.
#[utoipa::path(
    tag = "intake",
    request_body = CreateIntakeSource,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created; `key` is shown only now", body = IntakeSourceWithKey,
        headers(("Location" = String, description = "URL of the new source"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []))
)]
#[post("/intake-sources")]
pub async fn create_intake_source(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateIntakeSource>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::IntakeSources, Operation::Create)?;
    let created = state.write(move |conn| source::create(conn, &caller.ctx, &reach, body.0)).await?;
    let (id, version) = (created.intake_source.id.clone(), created.intake_source.version);
    Ok(respond::created(&created, format!("/api/v1/intake-sources/{id}"), version))
}

/// Get an intake source.
#[utoipa::path(
    tag = "intake",
    params(("id" = String, Path, description = "Intake source id")),
    responses((status = 200, description = "The source", body = IntakeSourceResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []))
)]
#[get("/intake-sources/{id}")]
pub async fn get_intake_source(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::IntakeSources, Operation::Read)?;
    let found = state.read(move |conn| source::get(conn, &reach, &id)).await?;
    Ok(respond::one(&found, found.version))
}

/// Update an intake source.
///
/// Name, default branch, lead source, rate limit, `active`. Send the version
/// you read as `If-Match` (or `version`).
#[utoipa::path(
    tag = "intake",
    request_body = UpdateIntakeSource,
    params(("id" = String, Path, description = "Intake source id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated source", body = IntakeSourceResponse), UpdateProblems),
    security(("bearer" = []))
)]
#[patch("/intake-sources/{id}")]
pub async fn update_intake_source(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateIntakeSource>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::IntakeSources, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| source::update(conn, &caller.ctx, &reach, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Give an intake source a new key.
///
/// The new key is shown only now; the old one stops working at once.
/// `If-Match`, when sent, must name the current version.
#[utoipa::path(
    tag = "intake",
    params(("id" = String, Path, description = "Intake source id"),
        ("If-Match" = Option<String>, Header, description = "Only rotate if still at this version")),
    responses((status = 200, description = "Rotated; `key` is shown only now", body = IntakeSourceWithKey,
        headers(("ETag" = String, description = "Version"))), UpdateProblems),
    security(("bearer" = []))
)]
#[post("/intake-sources/{id}/rotate-key")]
pub async fn rotate_intake_source_key(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::IntakeSources, Operation::Update)?;
    let rotated = state.write(move |conn| source::rotate_key(conn, &caller.ctx, &reach, &id, if_match.0)).await?;
    Ok(respond::one(&rotated, rotated.intake_source.version))
}

/// Delete an intake source.
///
/// 204 when it never captured an inquiry; otherwise it is deactivated (its
/// key stops working) and returned with 200, so where leads came from stays
/// on record.
#[utoipa::path(
    tag = "intake",
    params(("id" = String, Path, description = "Intake source id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "It captured inquiries, so deactivated instead", body = IntakeSourceResponse), DeleteProblems),
    security(("bearer" = []))
)]
#[delete("/intake-sources/{id}")]
pub async fn delete_intake_source(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::IntakeSources, Operation::Delete)?;
    let removal = state.write(move |conn| source::delete(conn, &caller.ctx, &reach, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |s| s.version))
}

/// Capture a lead from a web form or messaging middleware.
///
/// Authenticated by the source's key in `X-Intake-Key` (or
/// `Authorization: Bearer rik_…`); no user login. The inquiry is matched
/// on its normalised phone, then its email: an open lead of the source's
/// division that matches (by its own or its customer's phone or email) gets
/// the inquiry appended to its notes (200, `attached_to_lead`); else a
/// matching customer gets a new lead (201, `created_for_customer`); else a
/// prospect lead is created (201, `created`). New leads go to the division's
/// oldest pipeline that takes leads, first open stage, unassigned. A retry
/// with the same `external_id` returns the first outcome with
/// `replayed: true`. Each source may send `rate_limit_per_minute` requests a
/// minute (429 beyond).
#[utoipa::path(
    tag = "intake",
    request_body = IntakeLead,
    params(("X-Intake-Key" = Option<String>, Header, description = "The intake source's key, `rik_…`")),
    responses(
        (status = 201, description = "A lead was created (`created`, `created_for_customer`)", body = IntakeResult,
            headers(("Location" = String, description = "URL of the lead"))),
        (status = 200, description = "Attached to an open lead (`attached_to_lead`), or a replay of an attachment", body = IntakeResult),
        (status = 400, description = "Malformed JSON (`malformed_json`), wrong type or unknown field (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No intake key (`unauthenticated`), or an unknown, rotated or inactive one (`invalid_intake_key`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The source's division has no pipeline that takes leads (`no_lead_pipeline`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over the size limit (`payload_too_large`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not application/json (`unsupported_media_type`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule (`validation_failed`): name, a phone or an email, lengths, the branch, custom fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Over the source's limit per minute (`rate_limited`); see Retry-After", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Unexpected failure (`internal_error`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database not reachable (`unavailable`)", body = Problem, content_type = "application/problem+json")
    ),
    security(("intake_key" = []))
)]
#[post("/intake/leads")]
pub async fn capture_lead(
    state: web::Data<AppState>,
    caller: IntakeCaller,
    body: ApiJson<IntakeLead>,
) -> Result<HttpResponse, ApiError> {
    let captured = state
        .write(move |conn| {
            let captured = intake::capture(conn, &caller.ctx, &caller.source, body.0)?;
            // A new lead is routed in the same transaction; an attachment
            // keeps the owner it has.
            if let Some(lead_id) = &captured.lead_to_route {
                rapport_leads::routing::route_unassigned(conn, &caller.ctx, lead_id)?;
            }
            Ok(captured)
        })
        .await?;
    let result = captured.result;
    if result.outcome.created() {
        let location = format!("/api/v1/leads/{}", result.lead_id);
        Ok(HttpResponse::Created().insert_header((actix_web::http::header::LOCATION, location)).json(result))
    } else {
        Ok(HttpResponse::Ok().json(result))
    }
}
