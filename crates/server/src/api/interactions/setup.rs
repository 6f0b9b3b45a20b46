//! `/api/v1/interaction-categories` and `/api/v1/categorisation-rules`:
//! the admin-managed set-up that classifies interactions.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_customers::interaction::category_api::{
    CategoryListQuery, CategoryResponse, CreateCategory, CreateRule, RuleListQuery, RuleResponse, UpdateCategory,
    UpdateRule,
};
use rapport_customers::interaction::{categories, rules};

use crate::api::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers the category and rule routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_interaction_categories)
        .service(create_interaction_category)
        .service(get_interaction_category)
        .service(update_interaction_category)
        .service(delete_interaction_category)
        .service(list_categorisation_rules)
        .service(create_categorisation_rule)
        .service(get_categorisation_rule)
        .service(update_categorisation_rule)
        .service(delete_categorisation_rule);
}

/// List interaction categories.
///
/// Archived categories are left out unless `include_archived=true`.
#[utoipa::path(
    tag = "interactions",
    params(CategoryListQuery),
    responses((status = 200, description = "One page of categories", body = ListResponse<CategoryResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/interaction-categories")]
pub async fn list_interaction_categories(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<CategoryListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::InteractionCategories, Operation::Read)?;
    let page = state.read(move |conn| categories::list(conn, &query.0)).await?;
    Ok(respond::page(page))
}

/// Create an interaction category.
#[utoipa::path(
    tag = "interactions",
    request_body = CreateCategory,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = CategoryResponse,
        headers(("Location" = String, description = "URL of the new category"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/interaction-categories")]
pub async fn create_interaction_category(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateCategory>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::InteractionCategories, Operation::Create)?;
    let created = state.write(move |conn| categories::create(conn, &caller.ctx, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/interaction-categories/{}", created.id), created.version))
}

/// Get an interaction category.
#[utoipa::path(
    tag = "interactions",
    params(("id" = String, Path, description = "Category id")),
    responses((status = 200, description = "The category", body = CategoryResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/interaction-categories/{id}")]
pub async fn get_interaction_category(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::InteractionCategories, Operation::Read)?;
    let found = state.read(move |conn| categories::get(conn, &id)).await?;
    Ok(respond::one(&found, found.version))
}

/// Update an interaction category.
///
/// `archived: true` archives it (kept on existing interactions, refused for
/// new ones), `false` restores it.
#[utoipa::path(
    tag = "interactions",
    request_body = UpdateCategory,
    params(("id" = String, Path, description = "Category id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated category", body = CategoryResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/interaction-categories/{id}")]
pub async fn update_interaction_category(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateCategory>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::InteractionCategories, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| categories::update(conn, &caller.ctx, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete an interaction category.
///
/// Answers 204 when the category was removed; when interactions or rules
/// use it, it is archived instead and returned with 200.
#[utoipa::path(
    tag = "interactions",
    params(("id" = String, Path, description = "Category id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "Still used, so archived instead", body = CategoryResponse), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/interaction-categories/{id}")]
pub async fn delete_interaction_category(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::InteractionCategories, Operation::Delete)?;
    let removal = state.write(move |conn| categories::delete(conn, &caller.ctx, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |c| c.version))
}

/// List categorisation rules.
///
/// In the order they are tried by default (`priority`, then id).
#[utoipa::path(
    tag = "interactions",
    params(RuleListQuery),
    responses((status = 200, description = "One page of rules", body = ListResponse<RuleResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/categorisation-rules")]
pub async fn list_categorisation_rules(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<RuleListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::CategorisationRules, Operation::Read)?;
    let page = state.read(move |conn| rules::list(conn, &query.0)).await?;
    Ok(respond::page(page))
}

/// Create a categorisation rule.
///
/// An interaction recorded without a category gets the category of the
/// first active rule (lowest `priority`) whose channel matches (or is
/// unset) and one of whose keywords occurs, as whole words and ignoring
/// case, in its subject or summary.
#[utoipa::path(
    tag = "interactions",
    request_body = CreateRule,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = RuleResponse,
        headers(("Location" = String, description = "URL of the new rule"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/categorisation-rules")]
pub async fn create_categorisation_rule(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateRule>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::CategorisationRules, Operation::Create)?;
    let created = state.write(move |conn| rules::create(conn, &caller.ctx, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/categorisation-rules/{}", created.id), created.version))
}

/// Get a categorisation rule.
#[utoipa::path(
    tag = "interactions",
    params(("id" = String, Path, description = "Rule id")),
    responses((status = 200, description = "The rule", body = RuleResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/categorisation-rules/{id}")]
pub async fn get_categorisation_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::CategorisationRules, Operation::Read)?;
    let found = state.read(move |conn| rules::get(conn, &id)).await?;
    Ok(respond::one(&found, found.version))
}

/// Update a categorisation rule.
///
/// `keywords` replaces the whole list. Interactions already stored keep
/// their category.
#[utoipa::path(
    tag = "interactions",
    request_body = UpdateRule,
    params(("id" = String, Path, description = "Rule id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated rule", body = RuleResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/categorisation-rules/{id}")]
pub async fn update_categorisation_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateRule>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::CategorisationRules, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| rules::update(conn, &caller.ctx, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a categorisation rule.
///
/// To keep a rule but stop applying it, set `active` to false instead.
#[utoipa::path(
    tag = "interactions",
    params(("id" = String, Path, description = "Rule id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/categorisation-rules/{id}")]
pub async fn delete_categorisation_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::CategorisationRules, Operation::Delete)?;
    state.write(move |conn| rules::delete(conn, &caller.ctx, &id, if_match.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}
