//! Reading deliveries and their attempts, and an admin's redelivery.

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{webhook_attempts as a, webhook_deliveries as d};
use rapport_core::jobs::{self, NewJob};
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::{Error, Result, ids, time};
use serde_json::value::RawValue;

use super::api::{
    AttemptResponse, DeliveryListQuery, DeliveryResponse, DeliverySort, DeliveryStatus, DeliveryWithAttempts,
};
use super::rows::{AttemptRow, DeliveryRow};
use super::subscriptions;
use super::{JOB_KIND, job_payload};

/// The audit entity type of deliveries (audit entries only: redeliveries).
pub const ENTITY: &str = "webhook_delivery";

fn response(row: DeliveryRow) -> Result<DeliveryResponse> {
    let status = DeliveryStatus::parse(&row.status)
        .ok_or_else(|| Error::Internal(format!("webhook delivery {} has status {}", row.id, row.status)))?;
    let body = RawValue::from_string(row.body)
        .map_err(|e| Error::Internal(format!("webhook delivery {} has a bad body: {e}", row.id)))?;
    Ok(DeliveryResponse {
        id: row.id,
        subscription_id: row.subscription_id,
        event_id: row.event_id,
        event_type: row.event_type,
        status,
        attempts: row.attempts,
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        body,
        created_at: time::utc(row.created_at),
        updated_at: time::utc(row.updated_at),
        delivered_at: row.delivered_at.map(time::utc),
    })
}

fn find_row(conn: &mut Conn, id: &str) -> Result<DeliveryRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    d::table
        .filter(d::id.eq(id))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

/// One page of a subscription's deliveries, newest first.
pub fn list(conn: &mut Conn, subscription_id: &str, query: &DeliveryListQuery) -> Result<Page<DeliveryResponse>> {
    let page = PageRequest::<DeliverySort>::parse(query.limit, None, query.cursor.as_deref())?;
    subscriptions::find_row(conn, subscription_id)?;
    let mut q = d::table
        .filter(d::subscription_id.eq(subscription_id.to_owned()))
        .select(DeliveryRow::as_select())
        .into_boxed();
    if let Some(status) = query.status {
        q = q.filter(d::status.eq(status.as_str()));
    }
    let after = page.after_instant()?;
    let q = rapport_core::keyset!(q, d::created_at, d::id, page.sort.direction, after);
    let rows: Vec<DeliveryRow> = q.limit(page.fetch_limit()).load(conn)?;
    let page = page.finish(rows, |row| (instant_value(row.created_at), row.id.clone()));
    let items = page.items.into_iter().map(response).collect::<Result<Vec<_>>>()?;
    Ok(Page { items, next_cursor: page.next_cursor })
}

/// Delivery `id` with its attempts, oldest first.
pub fn get(conn: &mut Conn, id: &str) -> Result<DeliveryWithAttempts> {
    let row = find_row(conn, id)?;
    let attempts: Vec<AttemptRow> =
        a::table.filter(a::delivery_id.eq(id)).order(a::attempt.asc()).select(AttemptRow::as_select()).load(conn)?;
    let attempt_log = attempts
        .into_iter()
        .map(|a| AttemptResponse {
            attempt: a.attempt,
            started_at: time::utc(a.started_at),
            duration_ms: a.duration_ms,
            status_code: a.status_code,
            error: a.error,
            response_excerpt: a.response_excerpt,
        })
        .collect();
    Ok(DeliveryWithAttempts { delivery: response(row)?, attempt_log })
}

/// Sends a delivered or dead delivery again: a new series of attempts (up
/// to the subscription's `max_attempts`), the same id and body. One still
/// in progress (`pending`, `failed`) is a 409 `delivery_in_progress`; one
/// of an inactive subscription a 409 `webhook_inactive`. Audited.
pub fn redeliver(conn: &mut Conn, ctx: &WriteContext, id: &str) -> Result<DeliveryWithAttempts> {
    let row = find_row(conn, id)?;
    let status = DeliveryStatus::parse(&row.status);
    if matches!(status, Some(DeliveryStatus::Pending | DeliveryStatus::Failed)) {
        return Err(Error::Conflict {
            code: "delivery_in_progress",
            message: format!("the delivery is {}; its attempts are still running", row.status),
        });
    }
    let subscription = subscriptions::find_row(conn, &row.subscription_id)?;
    if !subscription.active {
        return Err(Error::Conflict {
            code: "webhook_inactive",
            message: "the webhook subscription is inactive; activate it first".to_owned(),
        });
    }
    let now = time::now();
    diesel::update(d::table.filter(d::id.eq(id)).filter(d::status.eq(&row.status)))
        .set((d::status.eq(DeliveryStatus::Pending.as_str()), d::last_error.eq(None::<String>), d::updated_at.eq(now)))
        .execute(conn)?;
    jobs::enqueue(
        conn,
        NewJob {
            kind: JOB_KIND,
            payload: job_payload(id),
            run_at: now,
            dedupe_key: None,
            max_attempts: subscription.max_attempts,
        },
    )?;
    let details = serde_json::json!({
        "redelivered": true,
        "subscription_id": row.subscription_id,
        "event_id": row.event_id,
        "previous_status": row.status,
    });
    audit::record_event(conn, ctx, ENTITY, id, Action::Updated, details)?;
    get(conn, id)
}
