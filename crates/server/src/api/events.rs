//! `/api/v1/events`: the change feed for ERP middleware.

use actix_web::{HttpResponse, get, web};
use rapport_auth::policy::{Operation, Resource};
use rapport_core::change_feed::{self, Feed, FeedQuery};

use super::ListProblems;
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller};
use crate::state::AppState;

/// Read the change feed.
///
/// Every change to every record, from the outbox written in the same
/// transaction as the change, in one fixed order: a reader that resumes
/// from `next_cursor` never skips an event and never meets one behind a
/// position it has passed. On PostgreSQL an event appears once every
/// transaction that began writing before it has finished, so a long write
/// holds the feed back for its length. Events of one transaction are
/// consecutive. Use `id` to discard an event delivered twice (a reader that
/// crashed before saving its cursor). `entity_type` narrows the feed
/// (comma-separated). When `has_more` is false the reader has caught up:
/// poll again later with the same `next_cursor`.
#[utoipa::path(
    tag = "events",
    params(FeedQuery),
    responses((status = 200, description = "The events after `after`", body = Feed), ListProblems),
    security(("bearer" = []), ("api_key" = []))
)]
#[get("/events")]
pub async fn read_events(
    state: web::Data<AppState>,
    caller: Caller,
    query: ApiQuery<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Resource::Events, Operation::Read)?;
    let feed = state.read(move |conn| change_feed::read(conn, &query.0)).await?;
    Ok(HttpResponse::Ok().json(feed))
}
