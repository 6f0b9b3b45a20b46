//! `/api/v1/calendars`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_core::calendar::store as calendars;
use rapport_core::calendar::{CalendarListQuery, CalendarResponse, CreateCalendar, UpdateCalendar};

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use rapport_auth::policy::{Operation, Resource};

use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// List calendars.
///
/// Archived calendars are left out unless `include_archived=true`.
#[utoipa::path(
    tag = "calendars",
    params(CalendarListQuery),
    responses((status = 200, description = "One page of calendars", body = ListResponse<CalendarResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/calendars")]
pub async fn list_calendars(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<CalendarListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Calendars, Operation::Read)?;
    let page = state.read(move |conn| calendars::list(conn, &query.0)).await?;
    Ok(respond::page(page))
}

/// Create a calendar.
#[utoipa::path(
    tag = "calendars",
    request_body = CreateCalendar,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = CalendarResponse,
        headers(("Location" = String, description = "URL of the new calendar"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/calendars")]
pub async fn create_calendar(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateCalendar>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Calendars, Operation::Create)?;
    let created = state.write(move |conn| calendars::create(conn, &caller.ctx, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/calendars/{}", created.id), created.version))
}

/// Get a calendar.
#[utoipa::path(
    tag = "calendars",
    params(("id" = String, Path, description = "Calendar id")),
    responses((status = 200, description = "The calendar", body = CalendarResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/calendars/{id}")]
pub async fn get_calendar(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Calendars, Operation::Read)?;
    let calendar = state.read(move |conn| calendars::get(conn, &id)).await?;
    Ok(respond::one(&calendar, calendar.version))
}

/// Update a calendar.
///
/// Send the version you read as `If-Match` (or `version` in the body); a
/// stale version is refused with 412.
#[utoipa::path(
    tag = "calendars",
    request_body = UpdateCalendar,
    params(("id" = String, Path, description = "Calendar id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated calendar", body = CalendarResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/calendars/{id}")]
pub async fn update_calendar(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateCalendar>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Calendars, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| calendars::update(conn, &caller.ctx, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a calendar.
///
/// Answers 204 when the calendar was removed; when divisions, branches or other calendars
/// still refer to it, it is archived instead and returned with 200.
#[utoipa::path(
    tag = "calendars",
    params(("id" = String, Path, description = "Calendar id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "Still referenced, so archived instead", body = CalendarResponse), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/calendars/{id}")]
pub async fn delete_calendar(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Calendars, Operation::Delete)?;
    let removal = state.write(move |conn| calendars::delete(conn, &caller.ctx, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |d| d.version))
}
