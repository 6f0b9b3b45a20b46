//! `/api/v1/exports`: the raw rows behind the reports, so an analyst can
//! recompute every number (`docs/metrics.md`, "Exports").

use actix_web::{HttpRequest, HttpResponse, get, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::page::Page;
use rapport_metrics::Clock;
use rapport_metrics::export::{self, CsatRecord, Dataset, Export, ExportQuery, LeadRecord, StageStay, TicketRecord};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ListProblems, ListResponse, csv, respond};
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller};
use crate::state::AppState;

/// The header carrying the next page's cursor in a CSV answer.
const NEXT_CURSOR: &str = "rapport-next-cursor";

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export_leads).service(export_lead_stage_history).service(export_tickets).service(export_csat_responses);
}

async fn run(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    dataset: Dataset,
    query: ExportQuery,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Metrics, Operation::Read)?;
    let clock = Clock { tz: state.config.company_time_zone, now: chrono::Utc::now() };
    let rows = state.read(move |conn| export::export(conn, &reach, clock, dataset, &query)).await?;
    let wants_csv = csv::wanted(&req);
    Ok(match rows {
        Export::Leads(page) => answer(page, wants_csv, dataset),
        Export::LeadStageHistory(page) => answer(page, wants_csv, dataset),
        Export::Tickets(page) => answer(page, wants_csv, dataset),
        Export::CsatResponses(page) => answer(page, wants_csv, dataset),
    })
}

fn answer<T: Serialize + ToSchema>(page: Page<T>, wants_csv: bool, dataset: Dataset) -> HttpResponse {
    if !wants_csv {
        return respond::page(page);
    }
    let mut out = String::new();
    let rows: Vec<serde_json::Map<String, serde_json::Value>> =
        page.items.iter().filter_map(|r| serde_json::to_value(r).ok().and_then(|v| v.as_object().cloned())).collect();
    // Columns: the scalar fields, in the order the first row has them
    // (nested lists, such as a lead's stage history, have their own export).
    let columns: Vec<String> = match rows.first() {
        Some(first) => first.iter().filter(|(_, v)| !v.is_array() && !v.is_object()).map(|(k, _)| k.clone()).collect(),
        None => Vec::new(),
    };
    csv::line(&mut out, &columns);
    for row in &rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match row.get(c) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            })
            .collect();
        csv::line(&mut out, &cells);
    }
    let mut res = csv::respond(out, dataset.as_str());
    if let Some(cursor) = page.next_cursor
        && let Ok(value) = actix_web::http::header::HeaderValue::from_str(&cursor)
    {
        res.headers_mut().insert(actix_web::http::header::HeaderName::from_static(NEXT_CURSOR), value);
    }
    res
}

/// Export leads.
///
/// Leads created (`basis=created`, default) or closed (`basis=closed`) in
/// the period, each with its stage history, oldest first, in pages of up to
/// 5,000 (keyset: pass `next_cursor` as `cursor`). Scoped and filtered as
/// the reports are. With `Accept: text/csv`: the lead columns (stage
/// history: the `lead-stage-history` export), the next cursor in the
/// `Rapport-Next-Cursor` header.
#[utoipa::path(
    tag = "metrics",
    params(ExportQuery),
    responses(
        (status = 200, description = "A page of leads", content((ListResponse<LeadRecord> = "application/json"), (String = "text/csv")),
            headers(("Rapport-Next-Cursor" = String, description = "CSV only: the next page's cursor"))),
        ListProblems
    ),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/exports/leads")]
pub async fn export_leads(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: ApiQuery<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    run(state, caller, req, Dataset::Leads, query.0).await
}

/// Export stage history.
///
/// One row per stay of a lead in a stage, for stays that ended
/// (`basis=left`, default) or began (`basis=entered`) in the period. The
/// rows `stage_durations` counts. CSV with `Accept: text/csv`.
#[utoipa::path(
    tag = "metrics",
    params(ExportQuery),
    responses(
        (status = 200, description = "A page of stays", content((ListResponse<StageStay> = "application/json"), (String = "text/csv"))),
        ListProblems
    ),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/exports/lead-stage-history")]
pub async fn export_lead_stage_history(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: ApiQuery<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    run(state, caller, req, Dataset::LeadStageHistory, query.0).await
}

/// Export tickets.
///
/// Tickets resolved (`basis=resolved`, default), logged (`created`) or
/// first answered (`first_response`) in the period, with their business-time
/// measurements and SLA fields. CSV with `Accept: text/csv`.
#[utoipa::path(
    tag = "metrics",
    params(ExportQuery),
    responses(
        (status = 200, description = "A page of tickets", content((ListResponse<TicketRecord> = "application/json"), (String = "text/csv"))),
        ListProblems
    ),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/exports/tickets")]
pub async fn export_tickets(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: ApiQuery<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    run(state, caller, req, Dataset::Tickets, query.0).await
}

/// Export CSAT responses.
///
/// Surveys answered (`basis=responded`, default) or sent (`sent`, answered
/// or not) in the period, with their ticket's division, branch and
/// assignee. CSV with `Accept: text/csv`.
#[utoipa::path(
    tag = "metrics",
    params(ExportQuery),
    responses(
        (status = 200, description = "A page of surveys", content((ListResponse<CsatRecord> = "application/json"), (String = "text/csv"))),
        ListProblems
    ),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/exports/csat-responses")]
pub async fn export_csat_responses(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    query: ApiQuery<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    run(state, caller, req, Dataset::CsatResponses, query.0).await
}
