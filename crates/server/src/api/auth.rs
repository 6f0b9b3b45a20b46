//! `/api/v1/auth`: sign-in, refresh, sign-out, own profile and password.

use actix_web::{HttpResponse, get, post, web};
use rapport_auth::password;
use rapport_auth::users::api::{ChangePassword, LoginRequest, RefreshRequest, TokenResponse, UserResponse};
use rapport_auth::users::sessions::{self, LoginOutcome, RefreshOutcome};
use rapport_auth::users::store as users;
use rapport_core::Error;

use super::{CreateProblems, GetProblems};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, Caller, Visitor};
use crate::state::{AppState, off_thread};

/// Sign in.
///
/// Returns a short-lived access token and a refresh token. Any refusal
/// (unknown email, wrong password, deactivated account) is the same 401
/// `invalid_credentials`; repeated failures are slowed down and then answered
/// 429 with `Retry-After`.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(CreateProblems, (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Email or password is incorrect (`invalid_credentials`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed sign-ins (`rate_limited`); see Retry-After", body = Problem, content_type = "application/problem+json")),
    security(())
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    visitor: Visitor,
    body: ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { email, password: presented } = body.0;
    let addr = visitor.0.client_addr.clone().unwrap_or_default();
    let attempt = state.read(move |conn| sessions::prepare_login(conn, &email, &addr)).await?;
    if let Some(retry_after_secs) = attempt.blocked_for_secs {
        let ctx = visitor.0.clone();
        state.write(move |conn| sessions::record_blocked_login(conn, &ctx, &attempt)).await?;
        return Err(Error::RateLimited { retry_after_secs: u64::try_from(retry_after_secs).unwrap_or(1) }.into());
    }
    let hash = attempt.password_hash().map(str::to_owned);
    let password_ok = off_thread(move || Ok(password::verify(&presented, hash.as_deref()))).await?;
    let keys = state.keys.clone();
    let outcome =
        state.write(move |conn| sessions::finish_login(conn, &visitor.0, &keys, &attempt, password_ok)).await?;
    match outcome {
        LoginOutcome::Success(tokens) => Ok(HttpResponse::Ok().json(tokens)),
        LoginOutcome::Refused { delay } => {
            actix_web::rt::time::sleep(delay).await;
            Err(sessions::invalid_credentials().into())
        }
    }
}

/// Exchange a refresh token for new tokens.
///
/// The presented refresh token is spent. Presenting a spent token again
/// revokes every token issued from the same sign-in.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(CreateProblems, (status = 200, description = "New tokens", body = TokenResponse),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token (`invalid_token`)", body = Problem, content_type = "application/problem+json")),
    security(())
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    visitor: Visitor,
    body: ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let keys = state.keys.clone();
    let outcome = state.write(move |conn| sessions::refresh(conn, &visitor.0, &keys, &body.0.refresh_token)).await?;
    match outcome {
        RefreshOutcome::Rotated(tokens) => Ok(HttpResponse::Ok().json(tokens)),
        RefreshOutcome::Invalid | RefreshOutcome::Reused => Err(Error::Unauthenticated {
            code: "invalid_token",
            message: "the refresh token is not valid; sign in again".to_owned(),
        }
        .into()),
    }
}

/// Sign out: revoke the refresh token and every token of its sign-in.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(CreateProblems, (status = 204, description = "Signed out (also for an unknown token)")),
    security(())
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    visitor: Visitor,
    body: ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    state.write(move |conn| sessions::logout(conn, &visitor.0, &body.0.refresh_token)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's own profile.
#[utoipa::path(
    tag = "auth",
    responses((status = 200, description = "The signed-in user", body = UserResponse), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/auth/me")]
pub async fn get_me(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let id = caller.principal.user_id.clone();
    let me = state.read(move |conn| users::get_unscoped(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(me))
}

/// Change the caller's own password.
///
/// Needs the current password; revokes every refresh token of the caller.
#[utoipa::path(
    tag = "auth",
    request_body = ChangePassword,
    responses(CreateProblems, (status = 204, description = "Changed"),
        (status = 401, description = "The current password is wrong (`invalid_credentials`) or no credential", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/auth/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<ChangePassword>,
) -> Result<HttpResponse, ApiError> {
    let ChangePassword { current_password, new_password } = body.0;
    let id = caller.principal.user_id.clone();
    let candidate = new_password.clone();
    let stored = state.read(move |conn| sessions::prepare_password_change(conn, &id, &candidate)).await?;
    let ok = off_thread(move || Ok(password::verify(&current_password, stored.as_deref()))).await?;
    if !ok {
        return Err(sessions::invalid_credentials().into());
    }
    let new_hash = off_thread(move || password::hash(&new_password)).await?;
    let id = caller.principal.user_id.clone();
    state.write(move |conn| sessions::finish_password_change(conn, &caller.ctx, &id, new_hash)).await?;
    Ok(HttpResponse::NoContent().finish())
}
