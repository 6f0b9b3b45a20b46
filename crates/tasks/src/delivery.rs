//! Delivering notifications beyond the in-app inbox: one job per
//! notification and channel (`rapport_core::notification::DELIVERY_JOB`),
//! sent through a [`Channel`]. E-mail goes over SMTP; SMS and WhatsApp go
//! to a log channel until a provider is plugged in behind the same trait.
//!
//! A job is read ([`prepare`]), sent ([`send`], with no database
//! connection held, so a slow mail server never holds the writer) and its
//! completion committed afterwards, so a crash between the send and the
//! commit sends again on retry: delivery is at least once. Each e-mail
//! carries the notification's id as its `Message-ID`, so a mail system
//! can recognise the repeat.

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{Message, SmtpTransport, Transport};
use rapport_core::db::Conn;
use rapport_core::notification::{self, DeliveryChannel, NotificationResponse};
use rapport_core::{Error, Result};
use serde::Deserialize;

/// One message for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// The notification it carries (also the e-mail's `Message-ID`).
    pub notification_id: String,
    /// The recipient's name.
    pub name: String,
    /// Where to: an e-mail address or an E.164 phone number.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// A way to reach a person. Implementations must be cheap to share across
/// worker threads.
pub trait Channel: Send + Sync {
    /// Sends `message`; an error is retried with back-off by the job runner.
    fn send(&self, message: &Outbound) -> std::result::Result<(), String>;
}

/// E-mail over SMTP.
pub struct EmailChannel {
    transport: SmtpTransport,
    from: Mailbox,
}

impl EmailChannel {
    /// From an SMTP URL (`smtp://host:port` for plain or opportunistic
    /// STARTTLS, `smtp://host:587?tls=required`, `smtps://host:465`, with
    /// optional `user:password@`) and a sender such as
    /// `Rapport <crm@example.com>`.
    pub fn new(url: &str, from: &str) -> std::result::Result<Self, String> {
        let transport = SmtpTransport::from_url(url).map_err(|e| format!("SMTP URL: {e}"))?.build();
        let from = from.parse().map_err(|e| format!("sender {from}: {e}"))?;
        Ok(EmailChannel { transport, from })
    }
}

impl Channel for EmailChannel {
    fn send(&self, message: &Outbound) -> std::result::Result<(), String> {
        let to: Mailbox = format!("{} <{}>", message.name.replace(['<', '>', '"'], ""), message.to)
            .parse()
            .map_err(|e| format!("recipient {}: {e}", message.to))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .message_id(Some(format!("<{}@rapport>", message.notification_id)))
            .subject(message.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|e| format!("building the e-mail: {e}"))?;
        self.transport.send(&email).map(|_| ()).map_err(|e| format!("SMTP: {e}"))
    }
}

/// Writes the message to the log: the place a messaging provider plugs in.
pub struct LogChannel {
    /// `sms` or `whatsapp`, for the log line.
    pub name: &'static str,
}

impl Channel for LogChannel {
    fn send(&self, message: &Outbound) -> std::result::Result<(), String> {
        tracing::info!(channel = self.name, to = %message.to, notification = %message.notification_id,
            subject = %message.subject, "notification (log channel)");
        Ok(())
    }
}

/// The channels a server delivers on. Without SMTP settings, e-mails are
/// skipped (the inbox still has them).
pub struct Channels {
    /// The HTTP client webhook deliveries go out on.
    pub webhooks: crate::webhooks::Client,
    /// E-mail, when configured.
    pub email: Option<Box<dyn Channel>>,
    /// Text messages.
    pub sms: Box<dyn Channel>,
    /// WhatsApp.
    pub whatsapp: Box<dyn Channel>,
}

impl Channels {
    /// Log channels for SMS and WhatsApp, and `email` if given.
    pub fn with_email(email: Option<Box<dyn Channel>>) -> Channels {
        Channels {
            webhooks: crate::webhooks::Client::default(),
            email,
            sms: Box::new(LogChannel { name: "sms" }),
            whatsapp: Box::new(LogChannel { name: "whatsapp" }),
        }
    }

    /// The same channels with webhook deliveries going out on `client`
    /// (tests use short timeouts).
    pub fn with_webhook_client(mut self, client: crate::webhooks::Client) -> Channels {
        self.webhooks = client;
        self
    }
}

#[derive(Deserialize)]
struct Delivery {
    notification_id: String,
    channel: String,
}

/// What became of one delivery job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// Sent.
    Sent,
    /// Nothing to do: the channel is not configured, the user has no
    /// address for it, switched it off since, or is deactivated.
    Skipped,
}

/// A notification ready to go out on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The channel.
    pub channel: DeliveryChannel,
    /// The message.
    pub message: Outbound,
}

/// Reads what a delivery job sends: the notification on its channel, if
/// the user still wants it there and has an address for it (`None`:
/// nothing to send). A read: the job runner calls it with no transaction
/// held open across the send.
pub fn prepare(conn: &mut Conn, channels: &Channels, payload: &serde_json::Value) -> Result<Option<Prepared>> {
    let job: Delivery = serde_json::from_value(payload.clone())
        .map_err(|e| Error::Internal(format!("a delivery job has a bad payload: {e}")))?;
    let channel = DeliveryChannel::parse(&job.channel)
        .ok_or_else(|| Error::Internal(format!("a delivery job names channel {}", job.channel)))?;
    let target = notification::to_deliver(conn, &job.notification_id)?;
    let still_wanted = notification::preferences(conn, &target.user_id)?.enabled().any(|c| c == channel);
    if !target.active || !still_wanted {
        return Ok(None);
    }
    let to = match channel {
        DeliveryChannel::Email => channels.email.is_some().then(|| target.email.clone()),
        DeliveryChannel::Sms | DeliveryChannel::Whatsapp => target.phone.clone(),
    };
    let Some(to) = to else { return Ok(None) };
    let (subject, body) = render(&target.notification);
    let message = Outbound { notification_id: target.notification.id.clone(), name: target.name, to, subject, body };
    Ok(Some(Prepared { channel, message }))
}

/// Sends a prepared notification; holds no database connection.
pub fn send(channels: &Channels, prepared: &Prepared) -> Result<Delivered> {
    let sender: Option<&dyn Channel> = match prepared.channel {
        DeliveryChannel::Email => channels.email.as_deref(),
        DeliveryChannel::Sms => Some(channels.sms.as_ref()),
        DeliveryChannel::Whatsapp => Some(channels.whatsapp.as_ref()),
    };
    let Some(sender) = sender else { return Ok(Delivered::Skipped) };
    sender
        .send(&prepared.message)
        .map_err(|e| Error::Internal(format!("{} delivery failed: {e}", prepared.channel.as_str())))?;
    Ok(Delivered::Sent)
}

/// Runs one delivery job in one go: [`prepare`] then [`send`]. The job
/// runner keeps the two apart (no connection held while sending).
pub fn deliver(conn: &mut Conn, channels: &Channels, payload: &serde_json::Value) -> Result<Delivered> {
    match prepare(conn, channels, payload)? {
        Some(prepared) => send(channels, &prepared),
        None => Ok(Delivered::Skipped),
    }
}

/// A message to a customer, ready to go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerPrepared {
    /// The `customer_messages` row.
    pub message_id: String,
    /// `email`, `sms` or `whatsapp`.
    pub channel: String,
    /// The message.
    pub message: Outbound,
}

/// What a customer-message job (`automation::messages::DELIVERY_JOB`) will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerPreparation {
    /// Send it.
    Send(CustomerPrepared),
    /// Mark it skipped, unsent, for this reason: the consent was withdrawn,
    /// the address is gone, the customer was erased, or the channel is not
    /// configured.
    Skip {
        /// The `customer_messages` row.
        message_id: String,
        /// Why.
        why: &'static str,
    },
    /// Nothing: sent or skipped already.
    Nothing,
}

/// Reads what a customer-message job sends, checking the customer's
/// consent again (a read: nothing is held open across the send).
pub fn prepare_customer(
    conn: &mut Conn,
    channels: &Channels,
    payload: &serde_json::Value,
) -> Result<CustomerPreparation> {
    use crate::automation::messages;
    let id = payload
        .get("message_id")
        .and_then(|v| v.as_str())
        .ok_or_else(|| Error::Internal("a customer message job has no message_id".into()))?;
    let Some(message) = messages::pending(conn, id)? else { return Ok(CustomerPreparation::Nothing) };
    let skip = |why| Ok(CustomerPreparation::Skip { message_id: message.id.clone(), why });
    let still = messages::reachable(conn, &message.customer_id, &message.purpose)?;
    if still.as_ref().is_none_or(|(channel, address)| *channel != message.channel || *address != message.address) {
        return skip("consent withdrawn or address gone before sending");
    }
    if message.channel == "email" && channels.email.is_none() {
        return skip("e-mail is not configured");
    }
    let outbound = Outbound {
        notification_id: message.id.clone(),
        name: String::new(),
        to: message.address.clone(),
        subject: "A message from your dealer".to_owned(),
        body: message.body.clone(),
    };
    Ok(CustomerPreparation::Send(CustomerPrepared {
        message_id: message.id,
        channel: message.channel,
        message: outbound,
    }))
}

/// Sends a prepared customer message; holds no database connection.
pub fn send_customer(channels: &Channels, prepared: &CustomerPrepared) -> Result<()> {
    let sender: Option<&dyn Channel> = match prepared.channel.as_str() {
        "email" => channels.email.as_deref(),
        "sms" => Some(channels.sms.as_ref()),
        _ => Some(channels.whatsapp.as_ref()),
    };
    let sender = sender.ok_or_else(|| Error::Internal("e-mail is not configured".into()))?;
    sender
        .send(&prepared.message)
        .map_err(|e| Error::Internal(format!("{} delivery to a customer failed: {e}", prepared.channel)))
}

/// The subject and plain-text body of a notification.
pub fn render(notification: &NotificationResponse) -> (String, String) {
    let field = |name: &str| notification.payload.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    let title = field("title").or_else(|| field("number")).or_else(|| field("subject"));
    let what = match notification.kind.as_str() {
        "task_assigned" => "New task for you",
        "task_reassigned" => "A task was handed to you",
        "task_due" => "Task due",
        "lead_assigned" => "New lead for you",
        "lead_handed_over" => "A lead was handed over to your division",
        "ticket_assigned" => "Ticket assigned to you",
        "ticket_sla_warning" => "Ticket close to its SLA target",
        "ticket_sla_breached" => "Ticket past its SLA target",
        "automation" => "Automation",
        _ => "Notification",
    };
    let subject = match &title {
        Some(t) => format!("{what}: {t}"),
        None => what.to_owned(),
    };
    let mut body = format!("{what}.\n\n");
    if let Some(details) = notification.payload.as_object() {
        for (key, value) in details {
            let shown = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            body.push_str(&format!("{key}: {shown}\n"));
        }
    }
    body.push_str(&format!(
        "\n{} {} (notification {})\n",
        notification.entity_type, notification.entity_id, notification.id
    ));
    (subject, body)
}
