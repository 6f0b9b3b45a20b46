//! Webhooks: admin-defined subscriptions that receive change events (and
//! automation rules' sends) as signed HTTP POSTs.
//!
//! - [`subscriptions`]: URL, event type patterns, active flag, secret
//!   (shown only on create and rotation; the previous secret also signs
//!   during a rotation's grace period).
//! - [`fan_out`]: the job runner calls [`fan_out::fan_out`] before each
//!   lease; it reads the change feed through the `webhooks` feed consumer
//!   and queues one delivery and one [`JOB_KIND`] job per (event,
//!   subscription). [`send`] queues one from elsewhere.
//! - [`sender`]: prepare, send (no database connection held), record.
//! - [`signature`]: the headers, and [`verify`] for receivers.
//! - [`deliveries`]: the delivery log and redelivery.
//!
//! See `docs/webhooks.md`. This module knows nothing of HTTP handlers.

pub mod api;
pub mod deliveries;
pub mod fan_out;
pub mod patterns;
mod rows;
pub mod sender;
pub mod signature;
pub mod subscriptions;

pub use fan_out::send;
pub use sender::Client;
pub use signature::{VerifyError, verify};

/// The job kind of one delivery attempt series.
pub const JOB_KIND: &str = "deliver_webhook";

fn job_payload(delivery_id: &str) -> serde_json::Value {
    serde_json::json!({ "delivery_id": delivery_id })
}
