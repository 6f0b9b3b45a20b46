//! Messages to customers that rules send (a service-due reminder, say),
//! only on a channel the customer consented to for the message's purpose.
//! Each is a `customer_messages` row and a delivery job; the job checks
//! the consent again before it sends, since it may have been withdrawn.

use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::{customer_consents, customer_emails, customer_messages, customer_phones, customers};
use rapport_core::jobs::{self, NewJob};
use rapport_core::{Result, ids, time};

use super::action::MessagePurpose;

/// The job that sends one customer message.
pub const DELIVERY_JOB: &str = "deliver_customer_message";

/// Channels in the order a rule tries them.
const CHANNELS: [&str; 3] = ["email", "whatsapp", "sms"];

/// What became of a message.
pub(crate) enum Queued {
    /// Queued for delivery, with its id.
    Sent(String),
    /// The customer consented to no channel we have an address for.
    NoConsent,
}

/// The channel and address to reach `customer_id` for `purpose`: the first
/// consented channel with an address (primary e-mail; primary phone, one
/// flagged for WhatsApp on that channel).
pub fn reachable(conn: &mut Conn, customer_id: &str, purpose: &str) -> Result<Option<(&'static str, String)>> {
    let live: i64 = customers::table
        .filter(customers::id.eq(customer_id))
        .filter(customers::erased_at.is_null())
        .filter(customers::merged_into_id.is_null())
        .count()
        .get_result(conn)?;
    if live == 0 {
        return Ok(None);
    }
    let granted: Vec<String> = customer_consents::table
        .filter(customer_consents::customer_id.eq(customer_id))
        .filter(customer_consents::purpose.eq(purpose))
        .filter(customer_consents::granted.eq(true))
        .select(customer_consents::channel)
        .load(conn)?;
    for channel in CHANNELS {
        if !granted.iter().any(|g| g == channel) {
            continue;
        }
        let address: Option<String> = match channel {
            "email" => customer_emails::table
                .filter(customer_emails::customer_id.eq(customer_id))
                .order(customer_emails::is_primary.desc())
                .select(customer_emails::email)
                .first(conn)
                .optional()?,
            "whatsapp" => customer_phones::table
                .filter(customer_phones::customer_id.eq(customer_id))
                .filter(customer_phones::whatsapp.eq(true))
                .order(customer_phones::is_primary.desc())
                .select(customer_phones::e164)
                .first(conn)
                .optional()?,
            _ => customer_phones::table
                .filter(customer_phones::customer_id.eq(customer_id))
                .order(customer_phones::is_primary.desc())
                .select(customer_phones::e164)
                .first(conn)
                .optional()?,
        };
        if let Some(address) = address {
            return Ok(Some((channel, address)));
        }
    }
    Ok(None)
}

/// Queues `body` to `customer_id` for `purpose`, for run `run_id`.
pub(crate) fn queue(
    conn: &mut Conn,
    customer_id: &str,
    purpose: MessagePurpose,
    body: &str,
    run_id: &str,
) -> Result<Queued> {
    let Some((channel, address)) = reachable(conn, customer_id, purpose.as_str())? else {
        return Ok(Queued::NoConsent);
    };
    let id = ids::new_id();
    let now = time::now();
    diesel::insert_into(customer_messages::table)
        .values((
            customer_messages::id.eq(&id),
            customer_messages::customer_id.eq(customer_id),
            customer_messages::channel.eq(channel),
            customer_messages::purpose.eq(purpose.as_str()),
            customer_messages::address.eq(&address),
            customer_messages::body.eq(body),
            customer_messages::status.eq("queued"),
            customer_messages::rule_run_id.eq(run_id),
            customer_messages::created_at.eq(now),
        ))
        .execute(conn)?;
    jobs::enqueue(
        conn,
        NewJob {
            kind: DELIVERY_JOB,
            payload: serde_json::json!({ "message_id": id }),
            run_at: now,
            dedupe_key: Some(format!("{DELIVERY_JOB}:{id}")),
            max_attempts: jobs::DEFAULT_MAX_ATTEMPTS,
        },
    )?;
    Ok(Queued::Sent(id))
}

/// A queued message, as its delivery job needs it.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Id.
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// `email`, `sms` or `whatsapp`.
    pub channel: String,
    /// `service` or `reminders`.
    pub purpose: String,
    /// Where to.
    pub address: String,
    /// What.
    pub body: String,
}

/// Message `id` if still queued.
pub fn pending(conn: &mut Conn, id: &str) -> Result<Option<Pending>> {
    let row: Option<(String, String, String, String, String, String)> = customer_messages::table
        .filter(customer_messages::id.eq(id))
        .filter(customer_messages::status.eq("queued"))
        .select((
            customer_messages::id,
            customer_messages::customer_id,
            customer_messages::channel,
            customer_messages::purpose,
            customer_messages::address,
            customer_messages::body,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(id, customer_id, channel, purpose, address, body)| Pending {
        id,
        customer_id,
        channel,
        purpose,
        address,
        body,
    }))
}

/// Marks message `id` sent, or skipped with `why`.
pub fn settle(conn: &mut Conn, id: &str, skipped: Option<&str>) -> Result<()> {
    let status = if skipped.is_some() { "skipped" } else { "sent" };
    diesel::update(customer_messages::table.filter(customer_messages::id.eq(id)))
        .set((
            customer_messages::status.eq(status),
            customer_messages::detail.eq(skipped),
            customer_messages::sent_at.eq(skipped.is_none().then(time::now)),
        ))
        .execute(conn)?;
    Ok(())
}
