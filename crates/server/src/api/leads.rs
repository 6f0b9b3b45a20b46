//! `/api/v1/leads`: leads, stage moves and stage history.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::page::Page;
use rapport_core::principal::{Credential, Reach, Role};
use rapport_customers::custom_field::{self, Entity};
use rapport_leads::conversion::api::{ConversionResponse, ConvertLead};
use rapport_leads::conversion::{self, Reaches};
use rapport_leads::lead::api::{CreateLead, HistoryEntry, LeadListQuery, LeadResponse, MoveLead, UpdateLead};
use rapport_leads::lead::list::{self, Today};
use rapport_leads::lead::{self, moves, store as leads};

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, Caller, IfMatch, WithFieldFilters, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // The literal `by-external-id` path before `{id}`.
    cfg.service(upsert_lead)
        .service(list_leads)
        .service(create_lead)
        .service(get_lead)
        .service(update_lead)
        .service(delete_lead)
        .service(move_lead_stage)
        .service(convert_lead)
        .service(list_lead_history);
}

/// A person creating a lead works it unless they name another owner; a
/// call-centre agent's inquiries and an integration's leads wait for
/// assignment.
fn default_owner(caller: &Caller) -> Option<String> {
    let person = matches!(caller.principal.credential, Credential::AccessToken);
    (person && caller.principal.role != Role::CallCenterAgent).then(|| caller.principal.user_id.clone())
}

/// The caller's reach over customers, for linking one (none: they may link none).
fn customers_reach(caller: &Caller) -> Option<Reach> {
    caller.reach(Resource::Customers, Operation::Read).ok()
}

/// List leads.
///
/// Filters combine with AND. `follow_up=overdue|due_today|upcoming` lists
/// open leads whose next follow-up falls before, on or after today in the
/// company time zone (`RAPPORT_COMPANY_TIME_ZONE`, default Africa/Lagos);
/// `owner=me` lists your own, `owner=none` the unassigned ones (with the
/// routing desk's wider scope when your role has it). `q` matches the prospect's phone (any typed
/// format) or email exactly, or part of their name. Custom fields filter
/// with `cf.<key>=<value>`.
#[utoipa::path(
    tag = "leads",
    params(LeadListQuery, ("cf.{key}" = Option<String>, Query, description = "Custom field filter, e.g. `cf.trade_in=true`")),
    responses((status = 200, description = "One page of leads", body = ListResponse<LeadResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/leads")]
pub async fn list_leads(
    state: web::Data<AppState>,
    caller: Caller,
    params: WithFieldFilters<LeadListQuery>,
) -> Result<HttpResponse, ApiError> {
    // The routing desk lists unassigned inquiries beyond its own leads.
    let unassigned = params.query.owner.as_deref().map(str::trim) == Some("none");
    let reach = if unassigned {
        caller.reach(Resource::LeadQualification, Operation::Read)?
    } else {
        caller.reach(Resource::Leads, Operation::Read)?
    };
    let today = Today { tz: state.config.company_time_zone, now: chrono::Utc::now() };
    let page = state
        .read(move |conn| {
            let fields = custom_field::filters(conn, Entity::Lead, &params.fields)?;
            list::list(conn, &reach, &params.query, &fields, today)
        })
        .await?;
    Ok(respond::page(page))
}

/// Create a lead.
///
/// For a customer (within your reach) or a prospect with a name and a phone
/// or email. The stage must be one of the pipeline's, and the pipeline one
/// of the lead's division that takes leads (422 otherwise); a lost stage
/// needs a lost reason. The first follow-up is due after the stage's (or
/// the lead's own) interval.
#[utoipa::path(
    tag = "leads",
    request_body = CreateLead,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = LeadResponse,
        headers(("Location" = String, description = "URL of the new lead"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/leads")]
pub async fn create_lead(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateLead>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Leads, Operation::Create)?;
    let (owner, customers) = (default_owner(&caller), customers_reach(&caller));
    let created = state
        .write(move |conn| leads::create(conn, &caller.ctx, &reach, customers.as_ref(), body.0, owner.as_deref()))
        .await?;
    Ok(respond::created(&created, format!("/api/v1/leads/{}", created.id), created.version))
}

/// Get a lead.
#[utoipa::path(
    tag = "leads",
    params(("id" = String, Path, description = "Lead id")),
    responses((status = 200, description = "The lead", body = LeadResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/leads/{id}")]
pub async fn get_lead(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Leads, Operation::Read)?;
    let found = state.read(move |conn| leads::get(conn, &reach, &id)).await?;
    Ok(respond::one(&found, found.version))
}

/// Update a lead.
///
/// Send the version you read as `If-Match` (or `version`). The stage
/// changes through `POST /leads/{id}/move`.
#[utoipa::path(
    tag = "leads",
    request_body = UpdateLead,
    params(("id" = String, Path, description = "Lead id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated lead", body = LeadResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/leads/{id}")]
pub async fn update_lead(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateLead>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Leads, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let customers = customers_reach(&caller);
    let updated = state
        .write(move |conn| lead::update(conn, &caller.ctx, &reach, customers.as_ref(), &id, version, body.0))
        .await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a lead.
///
/// 204 when removed (with its stage history); when other records refer to
/// it, it is archived instead and returned with 200.
#[utoipa::path(
    tag = "leads",
    params(("id" = String, Path, description = "Lead id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "Still referenced, so archived instead", body = LeadResponse), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/leads/{id}")]
pub async fn delete_lead(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Leads, Operation::Delete)?;
    let removal = state.write(move |conn| lead::delete(conn, &caller.ctx, &reach, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |l| l.version))
}

/// Create or update a lead by its id in another system.
///
/// The body describes the whole lead (as for a create); the lead known as
/// `external_id` in `source` is created (201) or brought to that state
/// (200), moving stage (with history) when `stage_id` or `pipeline_id`
/// differ. Repeating the same request changes nothing, not even the version.
#[utoipa::path(
    tag = "leads",
    request_body = CreateLead,
    params(("source" = String, Path, description = "The other system, e.g. `oracle_erp`"),
        ("external_id" = String, Path, description = "The lead's id there")),
    responses((status = 200, description = "Updated, or already in this state", body = LeadResponse),
        (status = 201, description = "Created", body = LeadResponse,
        headers(("Location" = String, description = "URL of the new lead"))), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[put("/leads/by-external-id/{source}/{external_id}")]
pub async fn upsert_lead(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: ApiJson<CreateLead>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Leads, Operation::Create)?;
    let reach = caller.reach(Resource::Leads, Operation::Update)?;
    let (owner, customers) = (default_owner(&caller), customers_reach(&caller));
    let (source, external_id) = path.into_inner();
    let (found, created) = state
        .write(move |conn| {
            let key = (source.as_str(), external_id.as_str());
            lead::upsert_by_external_id(conn, &caller.ctx, &reach, customers.as_ref(), key, body.0, owner.as_deref())
        })
        .await?;
    if created {
        Ok(respond::created(&found, format!("/api/v1/leads/{}", found.id), found.version))
    } else {
        Ok(respond::one(&found, found.version))
    }
}

/// Move a lead to another stage.
///
/// Any live stage of a pipeline of the lead's division, backwards too; the
/// move is recorded in the stage history. A lost stage needs
/// `lost_reason_id` (422 otherwise). Send the lead's version as `If-Match`
/// (or `version`).
#[utoipa::path(
    tag = "leads",
    request_body = MoveLead,
    params(("id" = String, Path, description = "Lead id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The lead in its new stage", body = LeadResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/leads/{id}/move")]
pub async fn move_lead_stage(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<MoveLead>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Leads, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let moved = state.write(move |conn| moves::move_stage(conn, &caller.ctx, &reach, &id, version, body.0)).await?;
    Ok(respond::one(&moved, moved.version))
}

/// A lead's stage history.
///
/// Every stay in a stage, oldest first, with who moved the lead there and
/// the calendar seconds it spent there (until now for the current stage).
/// On one page (`next_cursor` is always null).
#[utoipa::path(
    tag = "leads",
    params(("id" = String, Path, description = "Lead id")),
    responses((status = 200, description = "The stage history", body = ListResponse<HistoryEntry>), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/leads/{id}/history")]
pub async fn list_lead_history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Leads, Operation::Read)?;
    let items = state.read(move |conn| moves::history(conn, &reach, &id)).await?;
    Ok(respond::page(Page { items, next_cursor: None }))
}

/// Win a lead: record what it became.
///
/// In one transaction: the customer is the lead's linked one, else the live
/// customer whose phone (then email) matches the prospect's, else a new
/// customer made from the prospect's details; then the `asset` (for a
/// vehicle or generator sold), the `purchase` (linked to the asset; amount
/// defaulting to the lead's expected value), and the move to the won stage
/// (`stage_id`, default the pipeline's first won stage). Any failure leaves
/// nothing behind. The first call answers 201; calling again answers 200
/// with what the first call made and changes nothing. A lost lead cannot
/// be converted (409 `lead_lost`).
#[utoipa::path(
    tag = "leads",
    request_body = ConvertLead,
    params(("id" = String, Path, description = "Lead id"),
        ("If-Match" = Option<String>, Header, description = "Optional: only convert the lead at this version")),
    responses((status = 201, description = "Converted", body = ConversionResponse),
        (status = 200, description = "Already converted; what the first call made", body = ConversionResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/leads/{id}/convert")]
pub async fn convert_lead(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<ConvertLead>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Leads, Operation::Update)?;
    let version = if_match.0.or(body.0.version);
    let customers = caller.reach(Resource::Customers, Operation::Create).ok();
    let purchases = caller.reach(Resource::Purchases, Operation::Create).ok();
    let assets = caller.reach(Resource::Assets, Operation::Create).ok();
    let (made, created) = state
        .write(move |conn| {
            let reaches =
                Reaches { customers: customers.as_ref(), purchases: purchases.as_ref(), assets: assets.as_ref() };
            conversion::convert(conn, &caller.ctx, &reach, reaches, &id, version, body.0)
        })
        .await?;
    let status = if created { actix_web::http::StatusCode::CREATED } else { actix_web::http::StatusCode::OK };
    Ok(HttpResponse::build(status).json(made))
}
