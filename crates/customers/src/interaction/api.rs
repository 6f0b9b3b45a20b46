//! Request and response types for interactions and their bulk ingestion.

use chrono::{DateTime, Utc};
use rapport_core::FieldError;
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// How the customer and the company were in touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InteractionChannel {
    /// Phone call.
    Call,
    /// Email.
    Email,
    /// Meeting in person or online.
    Meeting,
    /// WhatsApp message or call.
    Whatsapp,
    /// Text message.
    Sms,
    /// Visit to a branch or to the customer.
    Visit,
    /// Social-media message.
    Social,
}

impl InteractionChannel {
    /// Every channel.
    pub const ALL: [Self; 7] =
        [Self::Call, Self::Email, Self::Meeting, Self::Whatsapp, Self::Sms, Self::Visit, Self::Social];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Email => "email",
            Self::Meeting => "meeting",
            Self::Whatsapp => "whatsapp",
            Self::Sms => "sms",
            Self::Visit => "visit",
            Self::Social => "social",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// Who started the interaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InteractionDirection {
    /// The customer reached out.
    Inbound,
    /// The company reached out.
    Outbound,
}

impl InteractionDirection {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Inbound, Self::Outbound].into_iter().find(|d| d.as_str() == raw)
    }
}

/// A new interaction.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "channel": "call",
    "direction": "inbound",
    "customer_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11",
    "subject": "Asked for a service booking",
    "summary": "Customer wants the 10,000 km service next week.",
    "occurred_at": "2026-11-23T09:15:00Z",
    "duration_seconds": 240,
    "outcome": "booked"
}))]
pub struct CreateInteraction {
    /// The channel.
    pub channel: InteractionChannel,
    /// Inbound or outbound.
    pub direction: InteractionDirection,
    /// An active category; when absent the categorisation rules choose one.
    #[serde(default)]
    pub category_id: Option<String>,
    /// Short subject, at most 200 characters.
    #[serde(default)]
    pub subject: Option<String>,
    /// What was said or done, at most 10,000 characters.
    #[serde(default)]
    pub summary: Option<String>,
    /// When it happened (RFC 3339); at most 5 minutes in the future.
    pub occurred_at: DateTime<Utc>,
    /// Length in seconds, 0-86,400.
    #[serde(default)]
    pub duration_seconds: Option<i64>,
    /// Free outcome such as `booked` or `no_answer`, at most 100 characters.
    #[serde(default)]
    pub outcome: Option<String>,
    /// The company's person involved (an active user); defaults to the
    /// signed-in person (not for API keys).
    #[serde(default)]
    pub user_id: Option<String>,
    /// The customer (followed to the survivor when merged); must be visible to the caller.
    #[serde(default)]
    pub customer_id: Option<String>,
    /// A lead this belongs to.
    #[serde(default)]
    pub lead_id: Option<String>,
    /// A ticket this belongs to.
    #[serde(default)]
    pub ticket_id: Option<String>,
    /// The division; defaults to the caller's, else the customer's only division.
    #[serde(default)]
    pub division_id: Option<String>,
    /// The system the interaction comes from, e.g. `telephony` (1-40 of `a-z 0-9 _ -`);
    /// sent together with `external_id`.
    #[serde(default)]
    pub external_source: Option<String>,
    /// Its id in that system (1-100 characters); unique per source.
    #[serde(default)]
    pub external_id: Option<String>,
}

/// Changes to an interaction; absent fields stay, `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "callback_requested", "version": 1}))]
pub struct UpdateInteraction {
    /// New channel.
    pub channel: Option<InteractionChannel>,
    /// New direction.
    pub direction: Option<InteractionDirection>,
    /// New category (marked as given); `null` lets the rules choose again.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub category_id: Option<Option<String>>,
    /// New subject.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub subject: Option<Option<String>>,
    /// New summary.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub summary: Option<Option<String>>,
    /// New time.
    pub occurred_at: Option<DateTime<Utc>>,
    /// New duration.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<i64>)]
    pub duration_seconds: Option<Option<i64>>,
    /// New outcome.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub outcome: Option<Option<String>>,
    /// New user.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub user_id: Option<Option<String>>,
    /// New customer.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<Option<String>>,
    /// New lead.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub lead_id: Option<Option<String>>,
    /// New ticket.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub ticket_id: Option<Option<String>>,
    /// New division.
    pub division_id: Option<String>,
    /// The version being changed, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// How an interaction got its category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CategoryOrigin {
    /// Named by whoever recorded it.
    Given,
    /// Chosen by a categorisation rule.
    Rule,
}

impl CategoryOrigin {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Given => "given",
            Self::Rule => "rule",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Given, Self::Rule].into_iter().find(|o| o.as_str() == raw)
    }
}

/// One entry of a customer's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InteractionResponse {
    /// Id.
    pub id: String,
    /// The customer.
    pub customer_id: Option<String>,
    /// The lead.
    pub lead_id: Option<String>,
    /// The ticket.
    pub ticket_id: Option<String>,
    /// The division.
    pub division_id: String,
    /// The channel.
    pub channel: InteractionChannel,
    /// Inbound or outbound.
    pub direction: InteractionDirection,
    /// The category, if any.
    pub category_id: Option<String>,
    /// How the category was set; `null` when there is none.
    pub category_origin: Option<CategoryOrigin>,
    /// Subject.
    pub subject: Option<String>,
    /// Summary.
    pub summary: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Length in seconds.
    pub duration_seconds: Option<i64>,
    /// Outcome.
    pub outcome: Option<String>,
    /// The company's person involved.
    pub user_id: Option<String>,
    /// The system it came from.
    pub external_source: Option<String>,
    /// Its id there.
    pub external_id: Option<String>,
    /// Concurrency version; send it back as `If-Match` to update.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing interactions.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InteractionListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `occurred_at`, `created_at` or `updated_at`; prefix `-` for descending.
    /// Default `-occurred_at` (newest first).
    pub sort: Option<String>,
    /// Only this customer's.
    pub customer_id: Option<String>,
    /// Only this division's.
    pub division_id: Option<String>,
    /// Only this user's.
    pub user_id: Option<String>,
    /// Only this channel.
    pub channel: Option<InteractionChannel>,
    /// Only this direction.
    pub direction: Option<InteractionDirection>,
    /// Only this category.
    pub category_id: Option<String>,
    /// Only this lead's.
    pub lead_id: Option<String>,
    /// Only this ticket's.
    pub ticket_id: Option<String>,
    /// Only those that happened at or after this instant (RFC 3339).
    pub occurred_from: Option<DateTime<Utc>>,
    /// Only those that happened before this instant (RFC 3339).
    pub occurred_to: Option<DateTime<Utc>>,
    /// Only those changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    /// Case-insensitive substring of the subject or summary.
    pub q: Option<String>,
}

/// Sort keys for interactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InteractionSort {
    /// By when it happened.
    OccurredAt,
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

impl SortKey for InteractionSort {
    const ALL: &'static [(&'static str, Self)] =
        &[("occurred_at", Self::OccurredAt), ("created_at", Self::CreatedAt), ("updated_at", Self::UpdatedAt)];
    const DEFAULT: (Self, Direction) = (Self::OccurredAt, Direction::Desc);
}

/// Interactions to record at once (ERP / telephony middleware).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInteractions {
    /// 1 to 1,000 interactions, each as for a single create. Each is checked
    /// and stored on its own: a bad one does not stop the others.
    #[schema(value_type = Vec<CreateInteraction>)]
    pub items: Vec<serde_json::Value>,
}

/// What happened to one item of a bulk request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkStatus {
    /// Stored; `id` is the new interaction.
    Created,
    /// Its `external_source`/`external_id` is already stored (or came
    /// earlier in the same request); `id` is that interaction. Nothing changed.
    Duplicate,
    /// Refused; `errors` says why. Nothing of it was stored.
    Invalid,
}

/// The outcome for one item, at the item's position in the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BulkItemResult {
    /// Position in `items`, from 0.
    pub index: usize,
    /// What happened.
    pub status: BulkStatus,
    /// The interaction created, or the one already holding the external id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Why an invalid item was refused; fields are named relative to the item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// The outcome of a bulk request, one result per item in input order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BulkResponse {
    /// Items created.
    pub created: usize,
    /// Items already stored.
    pub duplicates: usize,
    /// Items refused.
    pub invalid: usize,
    /// One result per item, in input order.
    pub results: Vec<BulkItemResult>,
}
