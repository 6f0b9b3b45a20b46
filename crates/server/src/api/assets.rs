//! `/api/v1/assets`, their readings (`assets/readings.rs`) and the service
//! rules (`assets/service_rules.rs`).

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_customers::asset::api::{AssetListQuery, AssetResponse, CreateAsset, UpdateAsset};
use rapport_customers::asset::{list, store as assets, upsert};
use rapport_customers::custom_field::{self, Entity};

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, Caller, IfMatch, WithFieldFilters, expected_version};
use crate::state::AppState;

pub mod readings;
pub mod service_rules;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // The literal `by-external-id` path before `{id}`.
    cfg.service(upsert_asset)
        .service(list_assets)
        .service(create_asset)
        .service(get_asset)
        .service(update_asset)
        .service(delete_asset)
        .service(readings::list_asset_readings)
        .service(readings::create_asset_reading)
        .configure(service_rules::routes);
}

/// List assets.
///
/// Filter by owner, division, kind, plate or VIN/serial (in any typed form),
/// or by the service status as of today in Lagos (`ok`, `due_soon`,
/// `overdue`, `unknown`). Custom fields filter with `cf.<key>=<value>`.
/// Archived assets only with `include_archived=true`.
#[utoipa::path(
    tag = "assets",
    params(AssetListQuery, ("cf.{key}" = Option<String>, Query, description = "Custom field filter, e.g. `cf.colour=red`")),
    responses((status = 200, description = "One page of assets", body = ListResponse<AssetResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/assets")]
pub async fn list_assets(
    state: web::Data<AppState>,
    caller: Caller,
    params: WithFieldFilters<AssetListQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Assets, Operation::Read)?;
    let page = state
        .read(move |conn| {
            let fields = custom_field::filters(conn, Entity::Asset, &params.fields)?;
            list::list(conn, &reach, &params.query, &fields)
        })
        .await?;
    Ok(respond::page(page))
}

/// Create an asset.
///
/// Plates and VIN/serials are stored upper-case without spaces, dashes or
/// dots. A `last_usage` is recorded as the first reading. The customer is
/// linked to the asset's division.
#[utoipa::path(
    tag = "assets",
    request_body = CreateAsset,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = AssetResponse,
        headers(("Location" = String, description = "URL of the new asset"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/assets")]
pub async fn create_asset(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateAsset>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Assets, Operation::Create)?;
    let created = state.write(move |conn| assets::create(conn, &caller.ctx, &reach, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/assets/{}", created.id), created.version))
}

/// Get an asset.
///
/// Includes its custom fields, last usage, last service, the projected next
/// service and the service status as of today.
#[utoipa::path(
    tag = "assets",
    params(("id" = String, Path, description = "Asset id")),
    responses((status = 200, description = "The asset", body = AssetResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/assets/{id}")]
pub async fn get_asset(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Assets, Operation::Read)?;
    let asset = state.read(move |conn| assets::get(conn, &reach, &id)).await?;
    Ok(respond::one(&asset, asset.version))
}

/// Update an asset.
///
/// A new `last_usage` is recorded as a reading (it may not go below an
/// earlier one: 422 `usage_decreased`). Send the version you read as
/// `If-Match` (or `version`).
#[utoipa::path(
    tag = "assets",
    request_body = UpdateAsset,
    params(("id" = String, Path, description = "Asset id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated asset", body = AssetResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/assets/{id}")]
pub async fn update_asset(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateAsset>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Assets, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| assets::update(conn, &caller.ctx, &reach, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete an asset.
///
/// Answers 204 when the asset was removed (with its readings); when service
/// records or purchases refer to it, it is archived instead and returned
/// with 200.
#[utoipa::path(
    tag = "assets",
    params(("id" = String, Path, description = "Asset id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "Still referenced, so archived instead", body = AssetResponse), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/assets/{id}")]
pub async fn delete_asset(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Assets, Operation::Delete)?;
    let removal = state.write(move |conn| assets::delete(conn, &caller.ctx, &reach, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |a| a.version))
}

/// Create or update an asset by its id in another system.
///
/// For ERP integrations: the body describes the whole asset (as for a
/// create); the asset known as `external_id` in `source` is created (201)
/// or brought to that state (200). Repeating the same request changes
/// nothing, not even the version. A `last_usage` different from the stored
/// one is recorded as a reading.
#[utoipa::path(
    tag = "assets",
    request_body = CreateAsset,
    params(("source" = String, Path, description = "The other system, e.g. `oracle_erp`"),
        ("external_id" = String, Path, description = "The asset's id there")),
    responses((status = 200, description = "Updated, or already in this state", body = AssetResponse,
        headers(("ETag" = String, description = "Version"))),
        (status = 201, description = "Created", body = AssetResponse,
        headers(("Location" = String, description = "URL of the new asset"), ("ETag" = String, description = "Version"))),
        UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[put("/assets/by-external-id/{source}/{external_id}")]
pub async fn upsert_asset(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: ApiJson<CreateAsset>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Assets, Operation::Create)?;
    let reach = caller.reach(Resource::Assets, Operation::Update)?;
    let (source, external_id) = path.into_inner();
    let (asset, created) = state
        .write(move |conn| upsert::upsert_by_external_id(conn, &caller.ctx, &reach, &source, &external_id, body.0))
        .await?;
    if created {
        Ok(respond::created(&asset, format!("/api/v1/assets/{}", asset.id), asset.version))
    } else {
        Ok(respond::one(&asset, asset.version))
    }
}
