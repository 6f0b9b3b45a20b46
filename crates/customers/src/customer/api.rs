//! Request and response types for customers.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rapport_core::page::{Direction, SortKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A person or a company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    /// A private person.
    Person,
    /// A company (B2B); has contacts.
    Company,
}

impl CustomerKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Company => "company",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Person, Self::Company].into_iter().find(|k| k.as_str() == raw)
    }
}

/// A way to reach a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Email.
    Email,
    /// Text message.
    Sms,
    /// WhatsApp.
    Whatsapp,
    /// Phone call.
    Call,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 4] = [Channel::Email, Channel::Sms, Channel::Whatsapp, Channel::Call];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Whatsapp => "whatsapp",
            Self::Call => "call",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// Why a customer is contacted. Consent is kept per purpose: opting out of
/// marketing does not stop service notices or reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Offers, newsletters, campaigns.
    Marketing,
    /// Notices about the customer's own orders, vehicles and tickets.
    Service,
    /// Service-due and appointment reminders.
    Reminders,
}

impl Purpose {
    /// Every purpose.
    pub const ALL: [Purpose; 3] = [Purpose::Marketing, Purpose::Service, Purpose::Reminders];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Marketing => "marketing",
            Self::Service => "service",
            Self::Reminders => "reminders",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == raw)
    }
}

/// An email address of a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com", "label": "work", "primary": true}))]
pub struct EmailAddress {
    /// The address; stored lower-case.
    pub email: String,
    /// Free label such as `work` or `home`.
    #[serde(default)]
    pub label: Option<String>,
    /// The address to use by default; exactly one is primary (the first when none is marked).
    #[serde(default)]
    pub primary: bool,
}

/// A phone number as sent: any format people type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"number": "0803 123 4567", "label": "mobile", "primary": true, "whatsapp": true}))]
pub struct PhoneInput {
    /// `0803 123 4567`, `+234 803 123 4567`, `2348031234567`, or `+<country code>…`.
    pub number: String,
    /// Free label such as `mobile`.
    #[serde(default)]
    pub label: Option<String>,
    /// The number to use by default; exactly one is primary (the first when none is marked).
    #[serde(default)]
    pub primary: bool,
    /// Whether the number is on WhatsApp.
    #[serde(default)]
    pub whatsapp: bool,
}

/// A phone number as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Phone {
    /// E.164, e.g. `+2348031234567`.
    #[schema(example = "+2348031234567")]
    pub e164: String,
    /// Free label.
    pub label: Option<String>,
    /// The default number.
    pub primary: bool,
    /// On WhatsApp.
    pub whatsapp: bool,
}

/// The id a customer has in another system, e.g. the ERP's customer number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"source": "oracle_erp", "external_id": "C-004211"}))]
pub struct ExternalId {
    /// The system, 1-40 of `a-z 0-9 _ -` (lower-cased).
    pub source: String,
    /// The id there, at most 100 characters; unique per source.
    pub external_id: String,
}

/// Consent for one channel and purpose, as given.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "whatsapp", "purpose": "reminders", "granted": true, "method": "signed form at Ikeja"}))]
pub struct ConsentInput {
    /// The channel.
    pub channel: Channel,
    /// The purpose.
    pub purpose: Purpose,
    /// Given (`true`) or refused / withdrawn (`false`).
    pub granted: bool,
    /// How it was given, e.g. `signed form`, `phone call`, `web form`, `erp import`.
    pub method: String,
    /// Anything worth keeping.
    #[serde(default)]
    pub note: Option<String>,
    /// When it was given; defaults to now. Not in the future.
    #[serde(default)]
    pub recorded_at: Option<DateTime<Utc>>,
}

/// Consent for one channel and purpose, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Consent {
    /// The channel.
    pub channel: Channel,
    /// The purpose.
    pub purpose: Purpose,
    /// Given or refused.
    pub granted: bool,
    /// How.
    pub method: String,
    /// Note.
    pub note: Option<String>,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// A new customer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "person", "first_name": "Ada", "last_name": "Okafor",
    "emails": [{"email": "ada@example.com"}],
    "phones": [{"number": "0803 123 4567", "whatsapp": true}],
    "city": "Lagos", "source": "walk_in", "tags": ["vip"],
    "external_ids": [{"source": "oracle_erp", "external_id": "C-004211"}],
    "consents": [{"channel": "whatsapp", "purpose": "reminders", "granted": true, "method": "signed form"}]
}))]
pub struct CreateCustomer {
    /// `person` or `company`.
    pub kind: CustomerKind,
    /// A person's given name (a person needs a first or last name).
    #[serde(default)]
    pub first_name: Option<String>,
    /// A person's family name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// A company's name (required for a company; a person's employer otherwise).
    #[serde(default)]
    pub company_name: Option<String>,
    /// Email addresses, at most 10.
    #[serde(default)]
    pub emails: Vec<EmailAddress>,
    /// Phone numbers, at most 10.
    #[serde(default)]
    pub phones: Vec<PhoneInput>,
    /// Street address.
    #[serde(default)]
    pub address_line: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// State.
    #[serde(default)]
    pub state: Option<String>,
    /// ISO 3166-1 alpha-2; default `NG`.
    #[serde(default)]
    pub country_code: Option<String>,
    /// Where the customer came from, e.g. `walk_in`, `referral`, `erp`.
    #[serde(default)]
    pub source: Option<String>,
    /// The user who looks after the customer; defaults to the signed-in creator.
    #[serde(default)]
    pub owner_id: Option<String>,
    /// Free tags, at most 20, each 1-40 characters (lower-cased).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Divisions the customer deals with. A division-scoped caller's own
    /// division is used when none is given and must be among them otherwise.
    #[serde(default)]
    pub division_ids: Vec<String>,
    /// Ids in other systems, unique per source.
    #[serde(default)]
    pub external_ids: Vec<ExternalId>,
    /// Consent per channel and purpose.
    #[serde(default)]
    pub consents: Vec<ConsentInput>,
    /// Preferred channel for reminders and follow-ups.
    #[serde(default)]
    pub preferred_channel: Option<Channel>,
    /// Preferred language, e.g. `en`, `yo`, `ha`, `ig`.
    #[serde(default)]
    pub preferred_language: Option<String>,
    /// Notes, at most 5,000 characters.
    #[serde(default)]
    pub notes: Option<String>,
    /// Values of custom fields, by key.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
}

/// Changes to a customer; absent fields stay as they are, `null` clears,
/// and a list given replaces the stored list (consents are merged per
/// channel and purpose).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"city": "Abuja", "tags": ["vip", "fleet"], "version": 3}))]
pub struct UpdateCustomer {
    /// Given name.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub first_name: Option<Option<String>>,
    /// Family name.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub last_name: Option<Option<String>>,
    /// Company name.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub company_name: Option<Option<String>>,
    /// Replaces the email addresses.
    pub emails: Option<Vec<EmailAddress>>,
    /// Replaces the phone numbers.
    pub phones: Option<Vec<PhoneInput>>,
    /// Street address.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub address_line: Option<Option<String>>,
    /// City.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub city: Option<Option<String>>,
    /// State.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub state: Option<Option<String>>,
    /// Country.
    pub country_code: Option<String>,
    /// Source.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub source: Option<Option<String>>,
    /// Owner.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub owner_id: Option<Option<String>>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Replaces the divisions (a division-scoped caller cannot remove their own).
    pub division_ids: Option<Vec<String>>,
    /// Replaces the external ids.
    pub external_ids: Option<Vec<ExternalId>>,
    /// Sets consent for the channel/purpose pairs given; others stay.
    pub consents: Option<Vec<ConsentInput>>,
    /// Preferred channel.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<Channel>)]
    pub preferred_channel: Option<Option<Channel>>,
    /// Preferred language.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub preferred_language: Option<Option<String>>,
    /// Notes.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    /// Sets the custom fields given (`null` clears one); others stay.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<BTreeMap<String, serde_json::Value>>,
    /// `true` archives, `false` restores.
    pub archived: Option<bool>,
    /// The version being changed, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// A customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CustomerResponse {
    /// Id.
    pub id: String,
    /// `person` or `company`.
    pub kind: CustomerKind,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Company name.
    pub company_name: Option<String>,
    /// The name to show: "First Last" for a person, the company name for a company.
    #[schema(example = "Ada Okafor")]
    pub display_name: String,
    /// Email addresses, primary first.
    pub emails: Vec<EmailAddress>,
    /// Phone numbers, primary first.
    pub phones: Vec<Phone>,
    /// The primary email.
    pub primary_email: Option<String>,
    /// The primary phone (E.164).
    pub primary_phone: Option<String>,
    /// Street address.
    pub address_line: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State.
    pub state: Option<String>,
    /// Country.
    pub country_code: String,
    /// Source.
    pub source: Option<String>,
    /// Owner.
    pub owner_id: Option<String>,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Divisions the customer deals with, sorted.
    pub division_ids: Vec<String>,
    /// Ids in other systems.
    pub external_ids: Vec<ExternalId>,
    /// Consent per channel and purpose; a pair never asked is absent.
    pub consents: Vec<Consent>,
    /// Preferred channel.
    pub preferred_channel: Option<Channel>,
    /// Preferred language.
    pub preferred_language: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Custom field values by key.
    #[schema(value_type = Object)]
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    /// Set when this customer was merged into another; reads redirect there.
    pub merged_into_id: Option<String>,
    /// When personal data was erased.
    pub erased_at: Option<DateTime<Utc>>,
    /// When archived.
    pub archived_at: Option<DateTime<Utc>>,
    /// Concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing customers. Custom fields are filtered with
/// `cf.<key>=<value>` (see the list endpoint).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `name`, `created_at` or `updated_at`; prefix `-` for descending. Default `name`.
    pub sort: Option<String>,
    /// Search: a phone number in any typed format, an email address, a plate
    /// or VIN, or part of a name.
    pub q: Option<String>,
    /// `person` or `company`.
    pub kind: Option<CustomerKind>,
    /// Customers dealing with this division.
    pub division_id: Option<String>,
    /// Customers with this tag.
    pub tag: Option<String>,
    /// Customers of this owner.
    pub owner_id: Option<String>,
    /// Customers from this source.
    pub source: Option<String>,
    /// Customers known by this id in `external_source`.
    pub external_id: Option<String>,
    /// The system of `external_id`.
    pub external_source: Option<String>,
    /// Only customers changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
    /// Include archived customers.
    pub include_archived: Option<bool>,
}

/// Sort keys for customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerSort {
    /// By display name (case-insensitive).
    Name,
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

impl SortKey for CustomerSort {
    const ALL: &'static [(&'static str, Self)] =
        &[("name", Self::Name), ("created_at", Self::CreatedAt), ("updated_at", Self::UpdatedAt)];
    const DEFAULT: (Self, Direction) = (Self::Name, Direction::Asc);
}
