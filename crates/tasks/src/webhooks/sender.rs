//! Sending one delivery, in three steps the job runner keeps apart so that
//! no database connection is held while a receiver takes its time:
//! [`prepare`] reads what to send, [`Client::send`] POSTs it with no
//! connection held, and [`record`] stores the attempt in the same short
//! write transaction as the job's fenced completion or failure.
//!
//! A crash between the send and the record leaves the job leased; when the
//! lease runs out it runs again and the receiver gets the delivery twice,
//! with the same `Rapport-Webhook-Id`: delivery is at least once.

use std::io::Read as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::{webhook_attempts as a, webhook_deliveries as d};
use rapport_core::{Error, Result, ids, time};
use serde::Deserialize;

use super::api::DeliveryStatus;
use super::rows::{AttemptRow, DeliveryRow};
use super::signature::{ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_header};
use super::subscriptions::{find_row, signing_secrets};

/// The most of a response body kept in the attempt log.
pub const EXCERPT_BYTES: usize = 1024;

/// The HTTP client deliveries go out on: short timeouts, no redirects
/// followed (a redirect is a failed attempt: the subscription's URL is
/// wrong), TLS through the system's OpenSSL.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("webhooks::Client")
    }
}

impl Default for Client {
    /// Connect within 5 s, everything within 10 s.
    fn default() -> Self {
        Client::new(Duration::from_secs(5), Duration::from_secs(10))
    }
}

impl Client {
    /// A client that gives up connecting after `connect` and on the whole
    /// request (answer included) after `total`.
    pub fn new(connect: Duration, total: Duration) -> Client {
        let builder = ureq::AgentBuilder::new()
            .timeout_connect(connect)
            .timeout(total)
            .redirects(0)
            .user_agent(concat!("Rapport-Webhooks/", env!("CARGO_PKG_VERSION")));
        let builder = match native_tls::TlsConnector::new() {
            Ok(tls) => builder.tls_connector(Arc::new(tls)),
            Err(e) => {
                // Plain http still works; https deliveries fail and say why.
                tracing::error!(error = %e, "no TLS for webhook deliveries");
                builder
            }
        };
        Client { agent: builder.build() }
    }

    /// POSTs `delivery`, signed as of now, and reports how it went.
    pub fn send(&self, delivery: &Prepared) -> Attempt {
        let started_at = time::now();
        let clock = Instant::now();
        let timestamp = chrono::Utc::now().timestamp();
        let secrets: Vec<&str> = delivery.secrets.iter().map(String::as_str).collect();
        let signature = signature_header(&secrets, &delivery.delivery_id, timestamp, delivery.body.as_bytes());
        let result = self
            .agent
            .post(&delivery.url)
            .set("Content-Type", "application/json")
            .set(ID_HEADER, &delivery.delivery_id)
            .set(TIMESTAMP_HEADER, &timestamp.to_string())
            .set(SIGNATURE_HEADER, &signature)
            .send_string(&delivery.body);
        let (status_code, error, excerpt) = match result {
            Ok(response) => {
                let status = response.status();
                let excerpt = excerpt(response);
                // ureq answers 3xx here too, since no redirect is followed.
                let error = (!(200..300).contains(&status)).then(|| format!("HTTP {status}"));
                (Some(i32::from(status)), error, excerpt)
            }
            Err(ureq::Error::Status(status, response)) => {
                (Some(i32::from(status)), Some(format!("HTTP {status}")), excerpt(response))
            }
            Err(ureq::Error::Transport(transport)) => (None, Some(transport.to_string()), None),
        };
        let duration_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
        Attempt { started_at, duration_ms, status_code, error, excerpt }
    }
}

fn excerpt(response: ureq::Response) -> Option<String> {
    let mut bytes = Vec::with_capacity(EXCERPT_BYTES);
    // A slow or endless body stops at the client's total timeout.
    response.into_reader().take(EXCERPT_BYTES as u64).read_to_end(&mut bytes).ok()?;
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    while text.len() > EXCERPT_BYTES {
        text.pop();
    }
    (!text.is_empty()).then_some(text)
}

/// What one delivery job will send.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The delivery (`Rapport-Webhook-Id`).
    pub delivery_id: String,
    /// Where to.
    pub url: String,
    /// The JSON body.
    pub body: String,
    /// The secrets that sign it now (two during a rotation's grace).
    pub secrets: Vec<String>,
}

/// What a delivery job finds to do.
#[derive(Debug, Clone)]
pub enum Preparation {
    /// Send this.
    Send(Prepared),
    /// The subscription was deactivated: the delivery dies unsent.
    Inactive {
        /// The delivery.
        delivery_id: String,
    },
}

#[derive(Deserialize)]
struct JobPayload {
    delivery_id: String,
}

/// Reads what a `deliver_webhook` job sends. A read: use a read connection.
pub fn prepare(conn: &mut Conn, payload: &serde_json::Value) -> Result<Preparation> {
    let job: JobPayload = serde_json::from_value(payload.clone())
        .map_err(|e| Error::Internal(format!("a webhook job has a bad payload: {e}")))?;
    let delivery: DeliveryRow = d::table
        .filter(d::id.eq(&job.delivery_id))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::Internal(format!("webhook delivery {} is gone", job.delivery_id)))?;
    let subscription = find_row(conn, &delivery.subscription_id)?;
    if !subscription.active {
        return Ok(Preparation::Inactive { delivery_id: delivery.id });
    }
    Ok(Preparation::Send(Prepared {
        secrets: signing_secrets(&subscription, time::now()),
        delivery_id: delivery.id,
        url: subscription.url,
        body: delivery.body,
    }))
}

/// How one attempt went.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// When the request started.
    pub started_at: NaiveDateTime,
    /// Until the answer or the failure.
    pub duration_ms: i64,
    /// The receiver's status, if it answered.
    pub status_code: Option<i32>,
    /// Why it failed (`None`: a 2xx answer).
    pub error: Option<String>,
    /// The answer's first KiB.
    pub excerpt: Option<String>,
}

impl Attempt {
    /// A 2xx answer.
    pub fn delivered(&self) -> bool {
        self.error.is_none()
    }
}

/// Stores `attempt` of `delivery_id` and the delivery's new state:
/// `delivered`, or `failed` (a retry follows) or `dead` when `last` (the
/// job's attempts are spent). Call it in the transaction of the job's
/// fenced completion or failure.
pub fn record(conn: &mut Conn, delivery_id: &str, attempt: &Attempt, last: bool) -> Result<DeliveryStatus> {
    let made: i32 = d::table.filter(d::id.eq(delivery_id)).select(d::attempts).first(conn)?;
    let number = made + 1;
    let error = attempt.error.as_ref().map(|e| e.chars().take(1000).collect::<String>());
    diesel::insert_into(a::table)
        .values(&AttemptRow {
            id: ids::new_id(),
            delivery_id: delivery_id.to_owned(),
            attempt: number,
            started_at: attempt.started_at,
            duration_ms: attempt.duration_ms,
            status_code: attempt.status_code,
            error: error.clone(),
            response_excerpt: attempt.excerpt.clone(),
        })
        .execute(conn)?;
    let status = match (attempt.delivered(), last) {
        (true, _) => DeliveryStatus::Delivered,
        (false, false) => DeliveryStatus::Failed,
        (false, true) => DeliveryStatus::Dead,
    };
    let now = time::now();
    diesel::update(d::table.filter(d::id.eq(delivery_id)))
        .set((
            d::status.eq(status.as_str()),
            d::attempts.eq(number),
            d::last_status_code.eq(attempt.status_code),
            d::last_error.eq(error),
            d::updated_at.eq(now),
            d::delivered_at.eq(attempt.delivered().then_some(now)),
        ))
        .execute(conn)?;
    Ok(status)
}

/// Marks a delivery of a deactivated subscription dead, unsent.
pub fn record_inactive(conn: &mut Conn, delivery_id: &str) -> Result<()> {
    diesel::update(d::table.filter(d::id.eq(delivery_id)))
        .set((
            d::status.eq(DeliveryStatus::Dead.as_str()),
            d::last_error.eq(Some("the subscription is inactive; not sent")),
            d::updated_at.eq(time::now()),
        ))
        .execute(conn)?;
    Ok(())
}
