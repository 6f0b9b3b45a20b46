//! `/api/v1/metrics`: the KPI reports, the dashboard and the targets
//! (`docs/metrics.md` is the contract).

use actix_web::{HttpRequest, HttpResponse, delete, get, put, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::page::Page;
use rapport_metrics::targets::{self, SetTarget, Target};
use rapport_metrics::{Clock, Dashboard, Kpi, MetricsQuery, Report};

use super::{DeleteProblems, ListProblems, ListResponse, UpdateProblems, csv, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(metrics_dashboard)
        .service(metrics_report)
        .service(list_metric_targets)
        .service(set_metric_target)
        .service(delete_metric_target);
}

fn clock(state: &AppState) -> Clock {
    Clock { tz: state.config.company_time_zone, now: chrono::Utc::now() }
}

/// A KPI report.
///
/// One report of `docs/metrics.md` over a period (local days in the company
/// time zone, both ends included; default the last 30 days), for the
/// caller's scope: reps get their own numbers, managers their division's,
/// analysts and supervisors everyone's. Every measure carries its numerator
/// and denominator; an empty denominator gives `null` with a `null_reason`,
/// never 0. `group_by` adds a series with one point per day, week or month
/// (empty buckets included). `records` links to the raw rows behind it.
/// With `Accept: text/csv` the same report comes as CSV, one row per
/// measure.
#[utoipa::path(
    tag = "metrics",
    params(("kpi" = Kpi, Path, description = "Which report"), MetricsQuery),
    responses(
        (status = 200, description = "The report", content((Report = "application/json"), (String = "text/csv"))),
        ListProblems
    ),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/metrics/reports/{kpi}")]
pub async fn metrics_report(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    kpi: web::Path<String>,
    query: ApiQuery<MetricsQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Metrics, Operation::Read)?;
    let kpi = Kpi::parse(&kpi).ok_or(rapport_core::Error::NotFound { entity: "report" })?;
    let clock = clock(&state);
    let report = state.read(move |conn| rapport_metrics::report(conn, &reach, clock, kpi, &query.0)).await?;
    if csv::wanted(&req) {
        return Ok(csv::respond(csv::report(&report), kpi.as_str()));
    }
    Ok(HttpResponse::Ok().json(report))
}

/// The dashboard.
///
/// The headline measures of conversion, sales cycle, open pipeline,
/// resolution time, first response, SLA compliance, backlog, reopen rate,
/// CSAT, first-contact resolution and handle time, for the caller's scope
/// and one period, each with its target status, in one call. Takes the
/// report filters except `group_by` and `queue_id`. CSV with
/// `Accept: text/csv`.
#[utoipa::path(
    tag = "metrics",
    params(MetricsQuery),
    responses(
        (status = 200, description = "The dashboard", content((Dashboard = "application/json"), (String = "text/csv"))),
        ListProblems
    ),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/metrics/dashboard")]
pub async fn metrics_dashboard(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: ApiQuery<MetricsQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Metrics, Operation::Read)?;
    let clock = clock(&state);
    let dashboard = state.read(move |conn| rapport_metrics::dashboard(conn, &reach, clock, &query.0)).await?;
    if csv::wanted(&req) {
        return Ok(csv::respond(csv::dashboard(&dashboard), "dashboard"));
    }
    Ok(HttpResponse::Ok().json(dashboard))
}

/// List KPI targets.
///
/// The plan's defaults (conversion 5–8 %, resolution 3–5 business days,
/// CSAT 60–70 %) unless overridden group-wide, and every division's
/// overrides. On one page.
#[utoipa::path(
    tag = "metrics",
    responses((status = 200, description = "The targets", body = ListResponse<Target>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/metrics/targets")]
pub async fn list_metric_targets(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::MetricTargets, Operation::Read)?;
    let items = state.read(move |conn| targets::list(conn, &reach)).await?;
    Ok(respond::page(Page { items, next_cursor: None }))
}

/// Set a KPI target.
///
/// Creates or replaces the target of `kpi` for `division_id` (none: the
/// whole group). Replacing takes the current `version` (body or
/// `If-Match`); a stale one is 412. Bounds are in the headline measure's
/// unit, at most 2 decimal places; percentages at most 100. Audited.
#[utoipa::path(
    tag = "metrics",
    request_body = SetTarget,
    responses((status = 200, description = "The target", body = Target), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[put("/metrics/targets")]
pub async fn set_metric_target(
    state: web::Data<AppState>,
    caller: Caller,
    if_match: IfMatch,
    body: ApiJson<SetTarget>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::MetricTargets, Operation::Update)?;
    let target = state.write(move |conn| targets::set(conn, &caller.ctx, &reach, body.0, if_match.0)).await?;
    Ok(respond::one(&target, target.version.unwrap_or_default()))
}

/// Remove a KPI target.
///
/// The group's target, or the plan's default, applies again. Audited.
#[utoipa::path(
    tag = "metrics",
    params(("id" = String, Path, description = "Target id")),
    responses((status = 204, description = "Removed"), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/metrics/targets/{id}")]
pub async fn delete_metric_target(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::MetricTargets, Operation::Delete)?;
    state.write(move |conn| targets::remove(conn, &caller.ctx, &reach, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
