//! `/api/v1/ticket-queues` and `/api/v1/ticket-routing-rules`: queues per
//! division with their members, and the rules that route tickets to them.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::page::Page;
use rapport_tickets::queue::api::{
    CreateQueue, CreateRoutingRule, QueueListQuery, QueueResponse, RoutingRuleResponse, UpdateQueue,
};
use rapport_tickets::queue::{rules, store as queues};

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_queues)
        .service(create_queue)
        .service(get_queue)
        .service(update_queue)
        .service(list_routing_rules)
        .service(create_routing_rule)
        .service(delete_routing_rule);
}

/// List ticket queues.
///
/// The queues of the divisions you reach, with their members, on one page.
#[utoipa::path(
    tag = "tickets",
    params(QueueListQuery),
    responses((status = 200, description = "The queues", body = ListResponse<QueueResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/ticket-queues")]
pub async fn list_queues(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<QueueListQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::TicketQueues, Operation::Read)?;
    let items = state.read(move |conn| queues::list(conn, &reach, &query.0)).await?;
    Ok(respond::page(Page { items, next_cursor: None }))
}

/// Create a ticket queue.
///
/// `assignment`: `round_robin` (active agents in turn), `least_loaded`
/// (fewest unresolved tickets) or `manual`. Members are active users of the
/// division: `agent`s get tickets, `manager`s get SLA warnings.
#[utoipa::path(
    tag = "tickets",
    request_body = CreateQueue,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = QueueResponse,
        headers(("Location" = String, description = "URL of the new queue"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/ticket-queues")]
pub async fn create_queue(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateQueue>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::TicketQueues, Operation::Create)?;
    let created = state.write(move |conn| queues::create(conn, &caller.ctx, &reach, body.0)).await?;
    Ok(respond::created(&created, format!("/api/v1/ticket-queues/{}", created.id), created.version))
}

/// Get a ticket queue.
#[utoipa::path(
    tag = "tickets",
    params(("id" = String, Path, description = "Queue id")),
    responses((status = 200, description = "The queue", body = QueueResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/ticket-queues/{id}")]
pub async fn get_queue(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::TicketQueues, Operation::Read)?;
    let found = state.read(move |conn| queues::get(conn, &reach, &id)).await?;
    Ok(respond::one(&found, found.version))
}

/// Update a ticket queue.
///
/// New `members` replace the list and restart the turn; `archived: true`
/// stops routing to it.
#[utoipa::path(
    tag = "tickets",
    request_body = UpdateQueue,
    params(("id" = String, Path, description = "Queue id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated queue", body = QueueResponse), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[patch("/ticket-queues/{id}")]
pub async fn update_queue(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateQueue>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::TicketQueues, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| queues::update(conn, &caller.ctx, &reach, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// List routing rules.
///
/// By division, then position, on one page.
#[utoipa::path(
    tag = "tickets",
    params(QueueListQuery),
    responses((status = 200, description = "The rules", body = ListResponse<RoutingRuleResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/ticket-routing-rules")]
pub async fn list_routing_rules(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<QueueListQuery>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::TicketQueues, Operation::Read)?;
    let items = state.read(move |conn| rules::list(conn, &reach, &query.0)).await?;
    Ok(respond::page(Page { items, next_cursor: None }))
}

/// Create a routing rule.
///
/// A new ticket of the division without a `queue_id` goes to the queue of
/// the most specific matching rule (category and channel, then category,
/// then channel, then neither), then the lowest `position`.
#[utoipa::path(
    tag = "tickets",
    request_body = CreateRoutingRule,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created", body = RoutingRuleResponse), CreateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/ticket-routing-rules")]
pub async fn create_routing_rule(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateRoutingRule>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::TicketQueues, Operation::Create)?;
    let created = state.write(move |conn| rules::create(conn, &caller.ctx, &reach, body.0)).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Delete a routing rule.
#[utoipa::path(
    tag = "tickets",
    params(("id" = String, Path, description = "Rule id")),
    responses((status = 204, description = "Deleted"), DeleteProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[delete("/ticket-routing-rules/{id}")]
pub async fn delete_routing_rule(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reach = caller.reach(Resource::TicketQueues, Operation::Delete)?;
    state.write(move |conn| rules::delete(conn, &caller.ctx, &reach, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
