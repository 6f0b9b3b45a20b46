//! `/api/v1/users`.

use actix_web::{HttpResponse, get, patch, post, web};
use rapport_auth::password;
use rapport_auth::policy::{Operation, Resource};
use rapport_auth::users::api::{CreateUser, UpdateUser, UserListQuery, UserResponse};
use rapport_auth::users::store as users;

use super::{CreateProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::{AppState, off_thread};

/// List users.
///
/// Managers see their division's users; other non-admin roles see only themselves.
#[utoipa::path(
    tag = "users",
    params(UserListQuery),
    responses((status = 200, description = "One page of users", body = ListResponse<UserResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<UserListQuery>,
) -> Result<HttpResponse, ApiError> {
    let scope = caller.may(Resource::Users, Operation::Read)?;
    let page = state.read(move |conn| users::list(conn, &caller.principal, scope, &query.0)).await?;
    Ok(respond::page(page))
}

/// Create a user.
#[utoipa::path(
    tag = "users",
    request_body = CreateUser,
    responses((status = 201, description = "Created", body = UserResponse,
        headers(("Location" = String, description = "URL of the new user"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Users, Operation::Create)?;
    let hash = match users::password_to_hash(&body.0)? {
        Some(plain) => Some(off_thread(move || password::hash(&plain)).await?),
        None => None,
    };
    let created = state.write(move |conn| users::create(conn, &caller.ctx, body.0, hash)).await?;
    Ok(respond::created(&created, format!("/api/v1/users/{}", created.id), created.version))
}

/// Get a user.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "The user", body = UserResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let scope = caller.may(Resource::Users, Operation::Read)?;
    let user = state.read(move |conn| users::get(conn, &caller.principal, scope, &id)).await?;
    Ok(respond::one(&user, user.version))
}

/// Update a user: name, phone, role, division, branch, active flag, or a
/// password reset.
///
/// Deactivating a user or changing their role or placement revokes their
/// refresh tokens and cuts off their access tokens within seconds. Users are
/// never deleted: deactivate them.
#[utoipa::path(
    tag = "users",
    request_body = UpdateUser,
    params(("id" = String, Path, description = "User id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated user", body = UserResponse), UpdateProblems),
    security(("bearer" = []))
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateUser>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Users, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let id = id.into_inner();
    let (check_id, changes) = (id.clone(), body.0.clone());
    let plain = state.read(move |conn| users::reset_password_to_hash(conn, &check_id, &changes)).await?;
    let hash = match plain {
        Some(plain) => Some(off_thread(move || password::hash(&plain)).await?),
        None => None,
    };
    let user_id = id.clone();
    let updated = state.write(move |conn| users::update(conn, &caller.ctx, &id, version, body.0, hash)).await?;
    state.principals.evict_user(&user_id);
    Ok(respond::one(&updated, updated.version))
}
