//! From the change feed to deliveries: each new change event that an
//! active subscription wants becomes one delivery row and one
//! `deliver_webhook` job, in the same transaction as the feed reader's
//! cursor move (`rapport_core::feed_consumer`), so an event is fanned out
//! once, even across restarts and replicas.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::change_feed::ChangeEvent;
use rapport_core::db::Conn;
use rapport_core::db::schema::{webhook_deliveries as d, webhook_subscriptions as s};
use rapport_core::feed_consumer;
use rapport_core::jobs::{self, NewJob};
use rapport_core::{Error, Result, ids, time};
use serde::Serialize;
use serde_json::value::RawValue;

use super::api::DeliveryStatus;
use super::patterns;
use super::rows::{DeliveryRow, SubscriptionRow};
use super::subscriptions::{self, stored_patterns};
use super::{JOB_KIND, job_payload};

/// Change events read per fan-out pass.
pub const EVENTS_PER_PASS: i64 = 500;

/// The body POSTed to a receiver.
#[derive(Serialize)]
struct Body<'a> {
    /// The event id (the same for every subscription that receives it).
    id: &'a str,
    /// `entity_type.action`.
    #[serde(rename = "type")]
    event_type: &'a str,
    occurred_at: chrono::DateTime<chrono::Utc>,
    data: &'a RawValue,
    changed: Option<&'a RawValue>,
}

struct Subscriber {
    id: String,
    patterns: Vec<String>,
    created_at: NaiveDateTime,
    max_attempts: i32,
}

/// One fan-out pass: reads up to [`EVENTS_PER_PASS`] new change events and
/// queues a delivery for each (event, active subscription created before
/// the event, pattern matching). Run it in a write transaction of its own.
/// Returns how many events were read (`None`: another replica is fanning
/// out right now).
pub fn fan_out(conn: &mut Conn) -> Result<Option<usize>> {
    // Loaded at the first event, after the feed was read: a subscription
    // committed before an event becomes readable is then always seen.
    let mut subscribers: Option<Vec<Subscriber>> = None;
    feed_consumer::consume(conn, feed_consumer::WEBHOOKS, EVENTS_PER_PASS, |conn, event| {
        if patterns::is_internal(&event.entity_type) {
            return Ok(());
        }
        if subscribers.is_none() {
            subscribers = Some(active_subscribers(conn)?);
        }
        let Some(subscribers) = subscribers.as_ref() else { return Ok(()) };
        let event_type = patterns::event_type(&event.entity_type, &event.action);
        let occurred = time::stored(event.occurred_at);
        let wanted = subscribers
            .iter()
            .filter(|sub| sub.created_at <= occurred && patterns::matches(&sub.patterns, &event_type));
        for sub in wanted {
            let body = event_body(event, &event_type)?;
            queue(conn, &sub.id, sub.max_attempts, &event.id, &event_type, body)?;
        }
        Ok(())
    })
}

fn active_subscribers(conn: &mut Conn) -> Result<Vec<Subscriber>> {
    s::table
        .filter(s::active.eq(true))
        .select(SubscriptionRow::as_select())
        .load::<SubscriptionRow>(conn)?
        .into_iter()
        .map(|row| {
            Ok(Subscriber {
                patterns: stored_patterns(&row)?,
                id: row.id,
                created_at: row.created_at,
                max_attempts: row.max_attempts,
            })
        })
        .collect()
}

fn event_body(event: &ChangeEvent, event_type: &str) -> Result<String> {
    serde_json::to_string(&Body {
        id: &event.id,
        event_type,
        occurred_at: event.occurred_at,
        data: &event.payload,
        changed: event.changed.as_deref(),
    })
    .map_err(|e| Error::Internal(format!("webhook body of event {}: {e}", event.id)))
}

/// Inserts the delivery of `event_id` to `subscription_id` and its job,
/// unless it exists already; returns the delivery's id either way.
fn queue(
    conn: &mut Conn,
    subscription_id: &str,
    max_attempts: i32,
    event_id: &str,
    event_type: &str,
    body: String,
) -> Result<String> {
    let existing: Option<String> = d::table
        .filter(d::subscription_id.eq(subscription_id))
        .filter(d::event_id.eq(event_id))
        .select(d::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let now = time::now();
    let row = DeliveryRow {
        id: ids::new_id(),
        subscription_id: subscription_id.to_owned(),
        event_id: event_id.to_owned(),
        event_type: event_type.to_owned(),
        body,
        status: DeliveryStatus::Pending.as_str().to_owned(),
        attempts: 0,
        last_status_code: None,
        last_error: None,
        created_at: now,
        updated_at: now,
        delivered_at: None,
    };
    diesel::insert_into(d::table).values(&row).execute(conn)?;
    jobs::enqueue(
        conn,
        NewJob {
            kind: JOB_KIND,
            payload: job_payload(&row.id),
            run_at: now,
            dedupe_key: Some(format!("webhook:{subscription_id}:{event_id}")),
            max_attempts,
        },
    )?;
    Ok(row.id)
}

/// Queues one delivery of an event to one subscription, outside the change
/// feed: the automation rules' "send a webhook" action calls it. The body
/// is `{id: event_id, type: event_type, occurred_at: now, data: payload,
/// changed: null}`, signed and retried like any other delivery. Calling it
/// again with the same subscription and `event_id` queues nothing more and
/// returns the first delivery's id, so a rule run retried after a crash
/// delivers once. Call it inside the caller's transaction. An unknown
/// subscription is `not_found`; an inactive one is refused with 409
/// `webhook_inactive`; `event_type` must look like `entity.action`.
pub fn send(
    conn: &mut Conn,
    subscription_id: &str,
    event_type: &str,
    event_id: &str,
    payload: &serde_json::Value,
) -> Result<String> {
    let subscription = subscriptions::find_row(conn, subscription_id)?;
    if !subscription.active {
        return Err(Error::Conflict {
            code: "webhook_inactive",
            message: "the webhook subscription is inactive".to_owned(),
        });
    }
    let well_formed = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    let shape_ok = event_type.split_once('.').is_some_and(|(a, b)| well_formed(a) && well_formed(b));
    if !shape_ok || event_id.trim().is_empty() || event_id.len() > 200 {
        return Err(Error::Internal(format!(
            "webhooks::send needs an `entity.action` event type and an event id (got `{event_type}`, `{event_id}`)"
        )));
    }
    let data = serde_json::value::to_raw_value(payload).map_err(|e| Error::Internal(format!("webhook data: {e}")))?;
    let body = serde_json::to_string(&Body {
        id: event_id,
        event_type,
        occurred_at: time::utc(time::now()),
        data: &data,
        changed: None,
    })
    .map_err(|e| Error::Internal(format!("webhook body: {e}")))?;
    queue(conn, subscription_id, subscription.max_attempts, event_id, event_type, body)
}
