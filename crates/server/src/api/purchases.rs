//! `/api/v1/purchases`.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_customers::purchase::api::{CreatePurchase, PurchaseListQuery, PurchaseResponse, UpdatePurchase};
use rapport_customers::purchase::store as purchases;

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(upsert_purchase)
        .service(list_purchases)
        .service(create_purchase)
        .service(get_purchase)
        .service(update_purchase)
        .service(delete_purchase);
}

/// List purchases.
#[utoipa::path(
    tag = "purchases",
    params(PurchaseListQuery),
    responses((status = 200, description = "One page of purchases", body = ListResponse<PurchaseResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/purchases")]
pub async fn list_purchases(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<PurchaseListQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Purchases, Operation::Read)?;
    let page = state.read(move |conn| purchases::list(conn, &reach, &query.0)).await?;
    Ok(respond::page(page))
}

/// Record a purchase.
///
/// With lines the total is computed from them (quantity × unit price,
/// rounded to the currency's minor unit); without, `amount` is required.
/// The customer then counts as dealing with the selling division.
#[utoipa::path(
    tag = "purchases",
    request_body = CreatePurchase,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = PurchaseResponse,
        headers(("Location" = String, description = "URL of the new purchase"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/purchases")]
pub async fn create_purchase(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreatePurchase>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Purchases, Operation::Create)?;
    let customer_reach = caller.reach(Resource::Customers, Operation::Read)?;
    let created =
        state.write(move |conn| purchases::create(conn, &caller.ctx, &reach, &customer_reach, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/purchases/{}", created.id), created.version))
}

/// Get a purchase.
#[utoipa::path(
    tag = "purchases",
    params(("id" = String, Path, description = "Purchase id")),
    responses((status = 200, description = "The purchase", body = PurchaseResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/purchases/{id}")]
pub async fn get_purchase(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Purchases, Operation::Read)?;
    let purchase = state.read(move |conn| purchases::get(conn, &reach, &id)).await?;
    Ok(respond::one(&purchase, purchase.version))
}

/// Update a purchase.
///
/// A cancelled purchase is final (422 `cancelled_is_final`).
#[utoipa::path(
    tag = "purchases",
    request_body = UpdatePurchase,
    params(("id" = String, Path, description = "Purchase id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated purchase", body = PurchaseResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/purchases/{id}")]
pub async fn update_purchase(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdatePurchase>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Purchases, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| purchases::update(conn, &caller.ctx, &reach, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a purchase entered in error.
///
/// Cancelling (`status: cancelled`) keeps the record; deleting removes it.
#[utoipa::path(
    tag = "purchases",
    params(("id" = String, Path, description = "Purchase id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/purchases/{id}")]
pub async fn delete_purchase(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::Purchases, Operation::Delete)?;
    state.write(move |conn| purchases::delete(conn, &caller.ctx, &reach, &id, if_match.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Create or update a purchase by its invoice number in another system.
///
/// For ERP integrations: the body describes the whole invoice; it is
/// created (201) or brought to that state (200); a repeat changes nothing.
/// The customer and division of an invoice never change.
#[utoipa::path(
    tag = "purchases",
    request_body = CreatePurchase,
    params(("source" = String, Path, description = "The other system, e.g. `oracle_erp`"),
        ("external_id" = String, Path, description = "The invoice number there")),
    responses((status = 200, description = "Updated, or already in this state", body = PurchaseResponse),
        (status = 201, description = "Created", body = PurchaseResponse,
        headers(("Location" = String, description = "URL of the new purchase"))), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[put("/purchases/by-external-id/{source}/{external_id}")]
pub async fn upsert_purchase(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: ApiJson<CreatePurchase>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Purchases, Operation::Create)?;
    let reach = caller.reach(Resource::Purchases, Operation::Update)?;
    let customer_reach = caller.reach(Resource::Customers, Operation::Read)?;
    let (source, invoice) = path.into_inner();
    let (purchase, created) = state
        .write(move |conn| {
            purchases::upsert_by_invoice(conn, &caller.ctx, &reach, &customer_reach, &source, &invoice, body.0)
        })
        .await?;
    if created {
        Ok(respond::created(&purchase, format!("/api/v1/purchases/{}", purchase.id), purchase.version))
    } else {
        Ok(respond::one(&purchase, purchase.version))
    }
}
