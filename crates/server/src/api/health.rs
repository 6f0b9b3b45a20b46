//! `/healthz` and `/readyz` for load balancers and orchestrators.

use actix_web::{HttpResponse, get, web};
use rapport_core::Error;
use rapport_core::db::Backend;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Liveness or readiness.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok` (process up) or `ready` (database reachable, migrations current).
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `sqlite` or `postgres`; only on `/readyz`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// Process is up.
///
/// Answers without touching the database.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process is up", body = HealthResponse),
        (status = 500, description = "Unexpected failure (`internal_error`)", body = Problem, content_type = "application/problem+json")),
    security(())
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok", database: None })
}

/// Ready to serve: the database answers and every migration is applied.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Ready", body = HealthResponse),
        (status = 500, description = "Unexpected failure (`internal_error`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unreachable or migrations pending (`unavailable`)", body = Problem, content_type = "application/problem+json")),
    security(())
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    let current = web::block(move || db.migrations_current()).await??;
    if !current {
        return Err(Error::Unavailable("migrations pending: run `rapport migrate`".to_owned()).into());
    }
    let database = match state.db.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    Ok(HttpResponse::Ok().json(HealthResponse { status: "ready", database: Some(database) }))
}
