//! `/api/v1/custom-fields`: definitions of admin-defined fields.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_customers::custom_field::api::{
    CreateCustomField, CustomFieldListQuery, CustomFieldResponse, UpdateCustomField,
};
use rapport_customers::custom_field::definitions;

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_custom_fields)
        .service(create_custom_field)
        .service(get_custom_field)
        .service(update_custom_field)
        .service(delete_custom_field);
}

/// List custom fields.
#[utoipa::path(
    tag = "custom-fields",
    params(CustomFieldListQuery),
    responses((status = 200, description = "One page of custom fields", body = ListResponse<CustomFieldResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/custom-fields")]
pub async fn list_custom_fields(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<CustomFieldListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::CustomFields, Operation::Read)?;
    let page = state.read(move |conn| definitions::list(conn, &query.0)).await?;
    Ok(respond::page(page))
}

/// Define a custom field.
///
/// Its values then appear under `custom_fields` in the entity's records,
/// are validated on every write, and filter lists as `cf.<key>=<value>`.
#[utoipa::path(
    tag = "custom-fields",
    request_body = CreateCustomField,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = CustomFieldResponse,
        headers(("Location" = String, description = "URL of the new field"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/custom-fields")]
pub async fn create_custom_field(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateCustomField>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::CustomFields, Operation::Create)?;
    let created = state.write(move |conn| definitions::create(conn, &caller.ctx, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/custom-fields/{}", created.id), created.version))
}

/// Get a custom field.
#[utoipa::path(
    tag = "custom-fields",
    params(("id" = String, Path, description = "Custom field id")),
    responses((status = 200, description = "The field", body = CustomFieldResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/custom-fields/{id}")]
pub async fn get_custom_field(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::CustomFields, Operation::Read)?;
    let field = state.read(move |conn| definitions::get(conn, &id)).await?;
    Ok(respond::one(&field, field.version))
}

/// Update a custom field.
///
/// The entity, key and type never change; options still held by records
/// cannot be removed.
#[utoipa::path(
    tag = "custom-fields",
    request_body = UpdateCustomField,
    params(("id" = String, Path, description = "Custom field id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated field", body = CustomFieldResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/custom-fields/{id}")]
pub async fn update_custom_field(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateCustomField>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::CustomFields, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| definitions::update(conn, &caller.ctx, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a custom field.
///
/// Answers 204 when no record holds a value of it; otherwise it is archived
/// (its values stay stored but are no longer shown) and returned with 200.
#[utoipa::path(
    tag = "custom-fields",
    params(("id" = String, Path, description = "Custom field id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "Still used, so archived instead", body = CustomFieldResponse), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/custom-fields/{id}")]
pub async fn delete_custom_field(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::CustomFields, Operation::Delete)?;
    let removal = state.write(move |conn| definitions::delete(conn, &caller.ctx, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |f| f.version))
}
