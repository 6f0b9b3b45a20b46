//! `/api/v1/notifications`: the signed-in user's inbox (delivery by e-mail
//! and messaging comes with the tasks issue).

use actix_web::{HttpResponse, get, post, put, web};
use rapport_core::audit::{self, Action};
use rapport_core::notification::{
    self, NotificationListQuery, NotificationPreferences, NotificationResponse, UpdatePreferences,
};

use super::{GetProblems, ListProblems, ListResponse, UpdateProblems, respond};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Caller};
use crate::state::AppState;

/// Registers this module's routes.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_notifications)
        .service(get_notification_preferences)
        .service(set_notification_preferences)
        .service(mark_notification_read);
}

/// Your notifications.
///
/// Newest first; `unread=true` for the unread ones. Everyone sees only
/// their own.
#[utoipa::path(
    tag = "notifications",
    params(NotificationListQuery),
    responses((status = 200, description = "One page of notifications", body = ListResponse<NotificationResponse>), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/notifications")]
pub async fn list_notifications(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<NotificationListQuery>,
) -> Result<HttpResponse, ApiError> {
    let user_id = caller.principal.user_id.clone();
    let page = state.read(move |conn| notification::inbox(conn, &user_id, &query.0)).await?;
    Ok(respond::page(page))
}

/// Mark a notification read.
///
/// Marking it again changes nothing. Another user's notification is not found.
#[utoipa::path(
    tag = "notifications",
    params(("id" = String, Path, description = "Notification id")),
    responses((status = 200, description = "The notification", body = NotificationResponse), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[post("/notifications/{id}/read")]
pub async fn mark_notification_read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user_id = caller.principal.user_id.clone();
    let read = state.write(move |conn| notification::mark_read(conn, &user_id, &id)).await?;
    Ok(HttpResponse::Ok().json(read))
}

/// Your notification channels.
///
/// Every notification reaches the inbox; these say where else it goes:
/// e-mail (on unless switched off), text message and WhatsApp (off unless
/// switched on; they need a phone on your profile).
#[utoipa::path(
    tag = "notifications",
    responses((status = 200, description = "Your channels", body = NotificationPreferences), GetProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/notifications/preferences")]
pub async fn get_notification_preferences(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let user_id = caller.principal.user_id.clone();
    let preferences = state.read(move |conn| notification::preferences(conn, &user_id)).await?;
    Ok(HttpResponse::Ok().json(preferences))
}

/// Change your notification channels.
///
/// Channels left out stay as they are. Applies to notifications written
/// from now on. Audited.
#[utoipa::path(
    tag = "notifications",
    request_body = UpdatePreferences,
    responses((status = 200, description = "Your channels", body = NotificationPreferences), UpdateProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[put("/notifications/preferences")]
pub async fn set_notification_preferences(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<UpdatePreferences>,
) -> Result<HttpResponse, ApiError> {
    let user_id = caller.principal.user_id.clone();
    let preferences = state
        .write(move |conn| {
            let preferences = notification::set_preferences(conn, &user_id, &body.0)?;
            let details = serde_json::json!({ "notification_channels": preferences });
            audit::record_event(conn, &caller.ctx, "user", &user_id, Action::Updated, details)?;
            Ok(preferences)
        })
        .await?;
    Ok(HttpResponse::Ok().json(preferences))
}
