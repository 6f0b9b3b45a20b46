//! `/api/v1/webhooks` and `/api/v1/webhook-deliveries`: subscriptions,
//! their secrets, the delivery log and redelivery (admins, and integration
//! keys with `webhooks:read` / `webhooks:write`).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_tasks::webhooks::api::{
    CreateWebhook, DeliveryListQuery, DeliveryResponse, DeliveryWithAttempts, RotateWebhookSecret, UpdateWebhook,
    WebhookListQuery, WebhookResponse, WebhookWithSecret,
};
use rapport_tasks::webhooks::{deliveries, subscriptions};

use super::{CreateProblems, DeleteProblems, GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiQuery, Caller, IfMatch, expected_version};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_webhooks)
        .service(create_webhook)
        .service(get_webhook)
        .service(update_webhook)
        .service(delete_webhook)
        .service(rotate_webhook_secret)
        .service(list_webhook_deliveries)
        .service(get_webhook_delivery)
        .service(redeliver_webhook_delivery);
}

/// List webhook subscriptions (never their secrets).
///
/// Filter by `active` and by `event_type` (subscriptions that receive it,
/// through its exact pattern, `entity.*` or `*`).
#[utoipa::path(
    tag = "webhooks",
    params(WebhookListQuery),
    responses((status = 200, description = "One page of subscriptions", body = ListResponse<WebhookResponse>), ListProblems),
    security(("bearer" = []))
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<WebhookListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Webhooks, Operation::Read)?;
    let page = state.read(move |conn| subscriptions::list(conn, &query.0)).await?;
    Ok(respond::page(page))
}

/// Create a webhook subscription.
///
/// The response is the only time its signing secret is shown. Only change
/// events that happen after the subscription was created are delivered.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateWebhook,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key; a repeat with the same body replays the first response")),
    responses((status = 201, description = "Created; `secret` is shown only now", body = WebhookWithSecret,
        headers(("Location" = String, description = "URL of the new subscription"), ("ETag" = String, description = "Version"))), CreateProblems),
    security(("bearer" = []))
)]
#[post("/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateWebhook>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Webhooks, Operation::Create)?;
    let created = state.write(move |conn| subscriptions::create(conn, &caller.ctx, body.0)).await?;
    let (id, version) = (created.webhook.id.clone(), created.webhook.version);
    Ok(respond::created(&created, format!("/api/v1/webhooks/{id}"), version))
}

/// Get a webhook subscription.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Subscription id")),
    responses((status = 200, description = "The subscription", body = WebhookResponse,
        headers(("ETag" = String, description = "Version, for If-Match"))), GetProblems),
    security(("bearer" = []))
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Webhooks, Operation::Read)?;
    let found = state.read(move |conn| subscriptions::get(conn, &id)).await?;
    Ok(respond::one(&found, found.version))
}

/// Update a webhook subscription.
///
/// Name, URL, event types, description, `active`, `max_attempts`. Send the
/// version you read as `If-Match` (or `version`).
#[utoipa::path(
    tag = "webhooks",
    request_body = UpdateWebhook,
    params(("id" = String, Path, description = "Subscription id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version being changed, e.g. \"3\"")),
    responses((status = 200, description = "The updated subscription", body = WebhookResponse), UpdateProblems),
    security(("bearer" = []))
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UpdateWebhook>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Webhooks, Operation::Update)?;
    let version = expected_version(if_match, body.0.version)?;
    let updated = state.write(move |conn| subscriptions::update(conn, &caller.ctx, &id, version, body.0)).await?;
    Ok(respond::one(&updated, updated.version))
}

/// Delete a webhook subscription.
///
/// 204 when it never had a delivery; otherwise it is deactivated and
/// returned with 200, so its delivery log stays.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Subscription id"),
        ("If-Match" = Option<String>, Header, description = "Only delete if still at this version")),
    responses((status = 204, description = "Deleted"),
        (status = 200, description = "It had deliveries, so deactivated instead", body = WebhookResponse), DeleteProblems),
    security(("bearer" = []))
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Webhooks, Operation::Delete)?;
    let removal = state.write(move |conn| subscriptions::delete(conn, &caller.ctx, &id, if_match.0)).await?;
    Ok(respond::removed(removal, |s| s.version))
}

/// Give a webhook subscription a new signing secret.
///
/// The new secret is shown only now. For `grace_period_seconds` (default
/// 86400, at most 604800) the old secret signs too: each delivery carries
/// two `v1=` signatures, so the receiver can switch at its own pace.
/// `If-Match`, when sent, must name the current version.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Subscription id"), RotateWebhookSecret,
        ("If-Match" = Option<String>, Header, description = "Only rotate if still at this version")),
    responses((status = 200, description = "Rotated; `secret` is shown only now", body = WebhookWithSecret,
        headers(("ETag" = String, description = "Version"))), UpdateProblems),
    security(("bearer" = []))
)]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    if_match: IfMatch,
    query: ApiQuery<RotateWebhookSecret>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Webhooks, Operation::Update)?;
    let rotated =
        state.write(move |conn| subscriptions::rotate_secret(conn, &caller.ctx, &id, if_match.0, query.0)).await?;
    Ok(respond::one(&rotated, rotated.webhook.version))
}

/// List a subscription's deliveries, newest first.
///
/// Filter by `status` (`pending`, `delivered`, `failed`, `dead`).
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Subscription id"), DeliveryListQuery),
    responses((status = 200, description = "One page of deliveries", body = ListResponse<DeliveryResponse>),
        (status = 404, description = "No such subscription (`not_found`)", body = Problem, content_type = "application/problem+json"),
        ListProblems),
    security(("bearer" = []))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    query: ApiQuery<DeliveryListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Webhooks, Operation::Read)?;
    let page = state.read(move |conn| deliveries::list(conn, &id, &query.0)).await?;
    Ok(respond::page(page))
}

/// Get a delivery with its attempts.
///
/// Each attempt: when, how long, the HTTP status or the error, and the
/// first KiB of the receiver's answer.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Delivery id (the `Rapport-Webhook-Id` header)")),
    responses((status = 200, description = "The delivery and its attempt log", body = DeliveryWithAttempts), GetProblems),
    security(("bearer" = []))
)]
#[get("/webhook-deliveries/{id}")]
pub async fn get_webhook_delivery(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Webhooks, Operation::Read)?;
    let found = state.read(move |conn| deliveries::get(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Redeliver a delivery.
///
/// A new series of attempts (up to the subscription's `max_attempts`) of
/// the same delivery (same id and body), queued at once; audited. Only a
/// `delivered` or `dead` delivery is redelivered: one still being tried
/// answers 409 `delivery_in_progress`, one of an inactive subscription 409
/// `webhook_inactive`.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "Delivery id")),
    responses((status = 200, description = "Queued again", body = DeliveryWithAttempts),
        (status = 401, description = "Missing, invalid, expired or revoked credential (`unauthenticated`, `invalid_token`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller's role or API-key scope does not allow this (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such delivery (`not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Still being tried (`delivery_in_progress`) or the subscription is inactive (`webhook_inactive`)", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Unexpected failure (`internal_error`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database not reachable (`unavailable`)", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []))
)]
#[post("/webhook-deliveries/{id}/redeliver")]
pub async fn redeliver_webhook_delivery(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Webhooks, Operation::Update)?;
    let queued = state.write(move |conn| deliveries::redeliver(conn, &caller.ctx, &id)).await?;
    Ok(HttpResponse::Ok().json(queued))
}
