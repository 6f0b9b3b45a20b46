//! `/api/v1/jobs`: the admin view of background jobs.

use actix_web::{HttpResponse, get, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::audit::{self, Action};
use rapport_core::jobs::{self, JobListQuery, JobResponse};

use super::{GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_jobs).service(get_job).service(retry_job);
}

/// List background jobs, newest first.
///
/// Reminders and other scheduled work: status (`queued`, `running`,
/// `done`, `dead`), attempts, the worker holding a lease and the last
/// error. Filter by `status` and `kind`.
#[utoipa::path(
    tag = "jobs",
    params(JobListQuery),
    responses((status = 200, description = "One page of jobs", body = ListResponse<JobResponse>), ListProblems),
    security(("bearer" = []))
)]
#[get("/jobs")]
pub async fn list_jobs(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<JobListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Jobs, Operation::Read)?;
    let page = state.read(move |conn| jobs::list(conn, &query.0)).await?;
    Ok(respond::page(page))
}

/// Get a background job.
#[utoipa::path(
    tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, description = "The job", body = JobResponse), GetProblems),
    security(("bearer" = []))
)]
#[get("/jobs/{id}")]
pub async fn get_job(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Jobs, Operation::Read)?;
    let job = state.read(move |conn| jobs::get(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(job))
}

/// Retry a dead job.
///
/// Back in the queue at once with a fresh set of attempts; audited. A job
/// that is not dead answers 409 `not_dead`.
#[utoipa::path(
    tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, description = "The job, queued again", body = JobResponse), UpdateProblems),
    security(("bearer" = []))
)]
#[post("/jobs/{id}/retry")]
pub async fn retry_job(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Jobs, Operation::Update)?;
    let job = state
        .write(move |conn| {
            let job = jobs::retry(conn, &id)?;
            let details = serde_json::json!({ "retried": true, "kind": job.kind });
            audit::record_event(conn, &caller.ctx, "job", &job.id, Action::Updated, details)?;
            Ok(job)
        })
        .await?;
    Ok(HttpResponse::Ok().json(job))
}
