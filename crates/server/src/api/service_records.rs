//! `/api/v1/service-records`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_customers::service::api::{
    CreateServiceRecord, ServiceRecordListQuery, ServiceRecordResponse, UpdateServiceRecord,
};
use rapport_customers::service::store as records;

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_service_records)
        .service(create_service_record)
        .service(get_service_record)
        .service(update_service_record)
        .service(delete_service_record);
}

/// List service records.
///
/// Latest work first by default; filter by asset, customer, division, kind
/// and the day of the work.
#[utoipa::path(
    tag = "service",
    params(ServiceRecordListQuery),
    responses((status = 200, description = "One page of service records", body = ListResponse<ServiceRecordResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/service-records")]
pub async fn list_service_records(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ServiceRecordListQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::ServiceRecords, Operation::Read)?;
    let page = state.read(move |conn| records::list(conn, &reach, &query.0)).await?;
    Ok(respond::page(page))
}

/// Record work done on an asset.
///
/// A `scheduled_service` becomes the asset's last service when it is the
/// latest; a `usage` is recorded as a reading (it may not go below an
/// earlier one: field code `usage_decreased`). The asset's projection is
/// recomputed.
#[utoipa::path(
    tag = "service",
    request_body = CreateServiceRecord,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = ServiceRecordResponse,
        headers(("Location" = String, description = "URL of the new record"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/service-records")]
pub async fn create_service_record(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateServiceRecord>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::ServiceRecords, Operation::Create)?;
    let created = state.write(move |conn| records::create(conn, &caller.ctx, &reach, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/service-records/{}", created.id), created.version))
}

/// Get a service record.
#[utoipa::path(
    tag = "service",
    params(("id" = String, Path, description = "Service record id")),
    responses((status = 200, description = "The record", body = ServiceRecordResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/service-records/{id}")]
pub async fn get_service_record(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::ServiceRecords, Operation::Read)?;
    let record = state.read(move |conn| records::get(conn, &reach, &id)).await?;
    Ok(respond::one(&record, record.version))
}

/// Update a service record.
///
/// The asset's last service, reading and projection follow. Send the
/// version you read as `If-Match` (or `version`).
#[utoipa::path(
    tag = "service",
    request_body = UpdateServiceRecord,
    params(("id" = String, Path, description = "Service record id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated record", body = ServiceRecordResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/service-records/{id}")]
pub async fn update_service_record(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateServiceRecord>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::ServiceRecords, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| records::update(conn, &caller.ctx, &reach, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a service record.
///
/// Answers 204; the record's reading goes with it and the asset's last
/// service and projection are recomputed.
#[utoipa::path(
    tag = "service",
    params(("id" = String, Path, description = "Service record id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/service-records/{id}")]
pub async fn delete_service_record(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::ServiceRecords, Operation::Delete)?;
    let removal = state.write(move |conn| records::delete(conn, &caller.ctx, &reach, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |r| r.version))
}
