//! Request and response bodies of queues and routing rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::kinds::TicketChannel;

/// How a queue hands out its tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// Active agents in turn.
    RoundRobin,
    /// The active agent with the fewest unresolved tickets (ties: the first listed).
    LeastLoaded,
    /// Nobody automatically: agents pick tickets from the queue.
    Manual,
}

impl Assignment {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Assignment::RoundRobin => "round_robin",
            Assignment::LeastLoaded => "least_loaded",
            Assignment::Manual => "manual",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Assignment::RoundRobin, Assignment::LeastLoaded, Assignment::Manual].into_iter().find(|a| a.as_str() == raw)
    }
}

/// A member's part in a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// Gets tickets.
    Agent,
    /// Gets SLA warnings and breaches; no tickets.
    Manager,
}

/// A queue member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// An active user of the queue's division.
    pub user_id: String,
    /// `agent` (default) or `manager`.
    #[serde(default = "agent")]
    pub role: MemberRole,
    /// An agent away keeps membership but gets no tickets (default true).
    #[serde(default = "yes")]
    pub active: bool,
}

fn agent() -> MemberRole {
    MemberRole::Agent
}

fn yes() -> bool {
    true
}

/// A new queue.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"division_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a12", "name": "After-sales Ikeja",
    "assignment": "round_robin", "members": [{"user_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a77"}]}))]
pub struct CreateQueue {
    /// Its division.
    pub division_id: String,
    /// Name, unique in the division (ignoring case), at most 100 characters.
    pub name: String,
    /// How tickets are handed out.
    pub assignment: Assignment,
    /// Members in turn order (at most 200).
    #[serde(default)]
    pub members: Vec<Member>,
}

/// Changes to a queue. New members replace the list and restart the turn.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assignment": "least_loaded", "version": 1}))]
pub struct UpdateQueue {
    /// New name.
    pub name: Option<String>,
    /// New assignment.
    pub assignment: Option<Assignment>,
    /// New members.
    pub members: Option<Vec<Member>>,
    /// `true` archives (no new tickets), `false` restores.
    pub archived: Option<bool>,
    /// The version being changed (or send `If-Match`).
    pub version: Option<i64>,
}

/// A queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QueueResponse {
    /// Id.
    pub id: String,
    /// Division.
    pub division_id: String,
    /// Name.
    pub name: String,
    /// How tickets are handed out.
    pub assignment: Assignment,
    /// Members in turn order.
    pub members: Vec<Member>,
    /// Archived.
    pub archived_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing queues and routing rules.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueListQuery {
    /// Only this division's.
    pub division_id: Option<String>,
}

/// A new routing rule: tickets of the division (and, when given, of the
/// category and arriving by the channel) go to the queue.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"division_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a12",
    "category_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a40", "queue_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a50"}))]
pub struct CreateRoutingRule {
    /// The division.
    pub division_id: String,
    /// Only tickets of this category; none: any.
    #[serde(default)]
    pub category_id: Option<String>,
    /// Only tickets arriving by this channel; none: any.
    #[serde(default)]
    pub channel: Option<TicketChannel>,
    /// The queue (of the division).
    pub queue_id: String,
    /// Among equally specific rules, the lowest position wins (default 0).
    #[serde(default)]
    pub position: i32,
}

/// A routing rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RoutingRuleResponse {
    /// Id.
    pub id: String,
    /// Division.
    pub division_id: String,
    /// Category; none: any.
    pub category_id: Option<String>,
    /// Channel; none: any.
    pub channel: Option<TicketChannel>,
    /// The queue.
    pub queue_id: String,
    /// Order among equally specific rules.
    pub position: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
}
