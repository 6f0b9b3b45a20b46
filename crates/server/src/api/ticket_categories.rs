//! `/api/v1/ticket-categories`: the admin-managed list tickets are filed under.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::page::Page;
use rapport_tickets::category::{
    self, CreateTicketCategory, TicketCategoryListQuery, TicketCategoryResponse, UpdateTicketCategory,
};

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_ticket_categories)
        .service(create_ticket_category)
        .service(get_ticket_category)
        .service(update_ticket_category)
        .service(delete_ticket_category);
}

/// List ticket categories.
///
/// A short list in display order, on one page (`next_cursor` is always null).
#[utoipa::path(
    tag = "tickets",
    params(TicketCategoryListQuery),
    responses((status = 200, description = "Every ticket category", body = ListResponse<TicketCategoryResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/ticket-categories")]
pub async fn list_ticket_categories(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<TicketCategoryListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::TicketCategories, Operation::Read)?;
    let items = state.read(move |conn| category::list(conn, &query.0)).await?;
    Ok(respond::page(Page { items, next_cursor: None }))
}

/// Create a ticket category.
#[utoipa::path(
    tag = "tickets",
    request_body = CreateTicketCategory,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = TicketCategoryResponse,
        headers(("Location" = String, description = "URL of the new category"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/ticket-categories")]
pub async fn create_ticket_category(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateTicketCategory>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::TicketCategories, Operation::Create)?;
    let created = state.write(move |conn| category::create(conn, &caller.ctx, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/ticket-categories/{}", created.id), created.version))
}

/// Get a ticket category.
#[utoipa::path(
    tag = "tickets",
    params(("id" = String, Path, description = "Ticket category id")),
    responses((status = 200, description = "The ticket category", body = TicketCategoryResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/ticket-categories/{id}")]
pub async fn get_ticket_category(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::TicketCategories, Operation::Read)?;
    let category = state.read(move |conn| category::get(conn, &id)).await?;
    Ok(respond::one(&category, category.version))
}

/// Update a ticket category.
///
/// `archived: true` stops offering it; tickets keep the category they have.
#[utoipa::path(
    tag = "tickets",
    request_body = UpdateTicketCategory,
    params(("id" = String, Path, description = "Ticket category id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated category", body = TicketCategoryResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/ticket-categories/{id}")]
pub async fn update_ticket_category(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateTicketCategory>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::TicketCategories, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| category::update(conn, &caller.ctx, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a ticket category.
///
/// 204 when no ticket used it; otherwise it is archived and returned with 200.
#[utoipa::path(
    tag = "tickets",
    params(("id" = String, Path, description = "Ticket category id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "Used by tickets, so archived instead", body = TicketCategoryResponse), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/ticket-categories/{id}")]
pub async fn delete_ticket_category(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::TicketCategories, Operation::Delete)?;
    let removal = state.write(move |conn| category::delete(conn, &caller.ctx, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |r| r.version))
}
