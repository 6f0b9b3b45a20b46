//! Request and response types of webhook subscriptions and deliveries.

use chrono::{DateTime, Utc};
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

rapport_core::text_enum! {
    /// Where a delivery stands.
    DeliveryStatus {
        /// Queued, or waiting for a retry after a failed attempt (see `attempts`).
        Pending => "pending",
        /// A 2xx answer was received.
        Delivered => "delivered",
        /// The last attempt failed; another follows after the backoff.
        Failed => "failed",
        /// Every attempt failed (or the subscription was deactivated): no
        /// more tries until an admin redelivers it.
        Dead => "dead",
    }
}

/// A new webhook subscription.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "ERP middleware",
    "url": "https://erp-gateway.example.com/hooks/rapport",
    "event_types": ["customer.*", "purchase.created", "lead.updated"],
    "description": "Keeps the ERP's customer master in step"
}))]
pub struct CreateWebhook {
    /// Name, at most 100 characters.
    pub name: String,
    /// Where deliveries are POSTed: an absolute `http` or `https` URL.
    pub url: String,
    /// Event types to deliver: `entity_type.action` (e.g. `lead.created`),
    /// `entity_type.*` or `*`. Entity types are those of the change feed.
    pub event_types: Vec<String>,
    /// What it is for, at most 500 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether it receives deliveries; default true.
    #[serde(default)]
    pub active: Option<bool>,
    /// Attempts per delivery before it is dead, 1-20; default 8.
    #[serde(default)]
    pub max_attempts: Option<i32>,
}

/// Changes to a subscription; absent fields stay, `null` clears the description.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"event_types": ["customer.*"], "active": false, "version": 1}))]
pub struct UpdateWebhook {
    /// New name.
    pub name: Option<String>,
    /// New receiver URL.
    pub url: Option<String>,
    /// New event types (replaces the list).
    pub event_types: Option<Vec<String>>,
    /// New description; `null` for none.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// `false` stops deliveries (queued ones die unsent) until set back to `true`.
    pub active: Option<bool>,
    /// New attempts per delivery, 1-20 (for deliveries queued from now on).
    pub max_attempts: Option<i32>,
    /// The version being changed (or send `If-Match`).
    pub version: Option<i64>,
}

/// Query parameters of a secret rotation.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RotateWebhookSecret {
    /// How long the old secret keeps signing too, in seconds, 0-604800
    /// (7 days); default 86400 (24 hours). 0 retires it at once.
    pub grace_period_seconds: Option<i64>,
}

/// A webhook subscription (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WebhookResponse {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Receiver URL.
    pub url: String,
    /// Event type patterns it receives.
    pub event_types: Vec<String>,
    /// What it is for.
    pub description: Option<String>,
    /// Whether it receives deliveries.
    pub active: bool,
    /// Attempts per delivery before it is dead.
    pub max_attempts: i32,
    /// Until when the previous secret also signs (after a rotation), if it still does.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// The user who created it.
    pub created_by: Option<String>,
    /// Version.
    pub version: i64,
    /// Created; only events after this are delivered to it.
    pub created_at: DateTime<Utc>,
    /// Last changed (a secret rotation included).
    pub updated_at: DateTime<Utc>,
}

/// A subscription with its new signing secret: the only time it is shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "secret": "whsec_Jx1oX0b8rC4kQeVQ9mD1v2Zy3hLwTn6uPa5sGf7eR8c",
    "webhook": {"id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a12", "name": "ERP middleware",
        "url": "https://erp-gateway.example.com/hooks/rapport", "event_types": ["customer.*"],
        "description": null, "active": true, "max_attempts": 8, "previous_secret_expires_at": null,
        "created_by": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a01", "version": 1,
        "created_at": "2026-11-24T09:00:00Z", "updated_at": "2026-11-24T09:00:00Z"}
}))]
pub struct WebhookWithSecret {
    /// The signing secret, `whsec_` and 43 characters: keep it with the
    /// receiver to verify `Rapport-Webhook-Signature`. Not shown again.
    pub secret: String,
    /// The subscription.
    pub webhook: WebhookResponse,
}

/// Query parameters for listing subscriptions.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WebhookListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `created_at` (default) or `name`, `-` for descending.
    pub sort: Option<String>,
    /// Only active (`true`) or inactive (`false`) subscriptions.
    pub active: Option<bool>,
    /// Only subscriptions that receive this event type, e.g. `lead.created`
    /// (by its exact pattern, `lead.*` or `*`).
    pub event_type: Option<String>,
}

/// Sort keys for subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookSort {
    /// By creation.
    CreatedAt,
    /// By name.
    Name,
}

impl SortKey for WebhookSort {
    const ALL: &'static [(&'static str, Self)] = &[("created_at", Self::CreatedAt), ("name", Self::Name)];
    const DEFAULT: (Self, Direction) = (Self::CreatedAt, Direction::Asc);
}

/// Query parameters for listing a subscription's deliveries.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Only this status.
    pub status: Option<DeliveryStatus>,
}

/// The one order of deliveries: newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliverySort {
    /// By creation.
    CreatedAt,
}

impl SortKey for DeliverySort {
    const ALL: &'static [(&'static str, Self)] = &[("created_at", Self::CreatedAt)];
    const DEFAULT: (Self, Direction) = (Self::CreatedAt, Direction::Desc);
}

/// One delivery of one event to one subscription.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryResponse {
    /// Id, sent as `Rapport-Webhook-Id` (the same on every attempt).
    pub id: String,
    /// The subscription.
    pub subscription_id: String,
    /// The change event delivered.
    pub event_id: String,
    /// `entity_type.action`, e.g. `lead.created`.
    pub event_type: String,
    /// `pending`, `delivered`, `failed` or `dead`.
    pub status: DeliveryStatus,
    /// Attempts made, over every redelivery.
    pub attempts: i32,
    /// The last attempt's HTTP status, if it got an answer.
    pub last_status_code: Option<i32>,
    /// The last failure.
    pub last_error: Option<String>,
    /// The JSON body sent: `{id, type, occurred_at, data, changed}`.
    #[schema(value_type = Object)]
    pub body: Box<RawValue>,
    /// Queued.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// When a receiver acknowledged it.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttemptResponse {
    /// Attempt number, from 1, over every redelivery.
    pub attempt: i32,
    /// When the request started.
    pub started_at: DateTime<Utc>,
    /// How long until the answer (or the failure), in milliseconds.
    pub duration_ms: i64,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<i32>,
    /// What went wrong (a non-2xx status, a timeout, a refused connection).
    pub error: Option<String>,
    /// The first KiB of the receiver's answer.
    pub response_excerpt: Option<String>,
}

/// A delivery with its attempts.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryWithAttempts {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: DeliveryResponse,
    /// Its attempts, oldest first.
    pub attempt_log: Vec<AttemptResponse>,
}
