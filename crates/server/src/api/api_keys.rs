//! `/api/v1/api-keys`.

use actix_web::{HttpResponse, delete, get, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_auth::users::api::{ApiKeyCreated, ApiKeyListQuery, ApiKeyResponse, CreateApiKey};
use rapport_auth::users::api_keys;

use super::{CreateProblems, DeleteProblems, ListProblems, ListResponse, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller};
use crate::state::AppState;

/// List API keys (never their secrets).
#[utoipa::path(
    tag = "api-keys",
    params(ApiKeyListQuery),
    responses((status = 200, description = "One page of keys", body = ListResponse<ApiKeyResponse>), ListProblems),
    security(("bearer" = []))
)]
#[get("/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<ApiKeyListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::ApiKeys, Operation::Read)?;
    let page = state.read(move |conn| api_keys::list(conn, &query.0)).await?;
    Ok(respond::page(page))
}

/// Create an API key for an integration account.
///
/// The response is the only time the key is shown.
#[utoipa::path(
    tag = "api-keys",
    request_body = CreateApiKey,
    responses((status = 201, description = "Created; `key` is shown only now", body = ApiKeyCreated), CreateProblems),
    security(("bearer" = []))
)]
#[post("/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateApiKey>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::ApiKeys, Operation::Create)?;
    let creator = caller.principal.user_id.clone();
    let created = state.write(move |conn| api_keys::create(conn, &caller.ctx, &creator, body.0)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/api-keys/{}", created.api_key.id)))
        .json(created))
}

/// Revoke an API key. It stops working within seconds; the record stays for the audit.
#[utoipa::path(
    tag = "api-keys",
    params(("id" = String, Path, description = "API key id")),
    responses((status = 200, description = "Revoked", body = ApiKeyResponse), DeleteProblems),
    security(("bearer" = []))
)]
#[delete("/api-keys/{id}")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::ApiKeys, Operation::Delete)?;
    let revoked = state.write(move |conn| api_keys::revoke(conn, &caller.ctx, &id)).await?;
    state.principals.evict_user(&revoked.user_id);
    Ok(HttpResponse::Ok().json(revoked))
}
