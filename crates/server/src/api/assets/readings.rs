//! `/api/v1/assets/{id}/readings`: odometer and hour-meter readings.

use actix_web::{HttpResponse, get, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_customers::asset::api::{CreateReading, ReadingListQuery, ReadingResponse};
use rapport_customers::asset::readings;

use crate::api::{CreateProblems, ListProblems, ListResponse, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller};
use crate::state::AppState;

/// List an asset's readings.
///
/// Newest first by default. An asset outside your scope answers 404.
#[utoipa::path(
    tag = "assets",
    params(("id" = String, Path, description = "Asset id"), ReadingListQuery),
    responses((status = 200, description = "One page of readings", body = ListResponse<ReadingResponse>),
        (status = 404, description = "No such asset, or not visible to the caller (`not_found`)",
        body = crate::error::Problem, content_type = "application/problem+json"), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/assets/{id}/readings")]
pub async fn list_asset_readings(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: ApiQuery<ReadingListQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Assets, Operation::Read)?;
    let page = state.read(move |conn| readings::list(conn, &reach, &id, &query.0)).await?;
    Ok(respond::page(page))
}

/// Record a reading.
///
/// A reading may not show less usage than one taken earlier, nor more than
/// one taken later (422 `validation_failed` with field code
/// `usage_decreased`). The latest reading becomes the asset's
/// `last_usage`, and the service projection is recomputed.
#[utoipa::path(
    tag = "assets",
    request_body = CreateReading,
    params(("id" = String, Path, description = "Asset id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Recorded", body = ReadingResponse),
        (status = 404, description = "No such asset, or not visible to the caller (`not_found`)",
        body = crate::error::Problem, content_type = "application/problem+json"), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/assets/{id}/readings")]
pub async fn create_asset_reading(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ApiJson<CreateReading>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Assets, Operation::Update)?;
    let created = state.write(move |conn| readings::create(conn, &caller.ctx, &reach, &id, body.0)).await?;
    Ok(HttpResponse::Created().json(created))
}
