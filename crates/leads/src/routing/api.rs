//! Request and response bodies of assignment rules and qualification.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::kinds::AssignmentMode;

/// A new assignment rule: who gets the leads routed to a division, or to
/// one of its branches.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"division_id": "0190a3c5-0000-7000-8000-000000000001", "mode": "round_robin",
    "member_ids": ["0190a3c5-0000-7000-8000-0000000000a1", "0190a3c5-0000-7000-8000-0000000000a2"]}))]
pub struct CreateAssignmentRule {
    /// The division whose leads it routes.
    pub division_id: String,
    /// Only leads of this branch (of the division); none: the division-wide rule.
    #[serde(default)]
    pub branch_id: Option<String>,
    /// How the owner is picked.
    pub mode: AssignmentMode,
    /// The rep (mode `named`; not allowed otherwise).
    #[serde(default)]
    pub user_id: Option<String>,
    /// The reps taking turns, in order (modes `round_robin` and
    /// `fewest_open`: 1–100 distinct active users of the division).
    #[serde(default)]
    pub member_ids: Vec<String>,
    /// Whether it routes leads (default true). One active rule per division
    /// and branch.
    #[serde(default)]
    pub active: Option<bool>,
}

/// Changes to an assignment rule. Changing the members restarts the turn.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false, "version": 1}))]
pub struct UpdateAssignmentRule {
    /// New mode.
    pub mode: Option<AssignmentMode>,
    /// New named rep; `null` removes.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub user_id: Option<Option<String>>,
    /// New members, in order.
    pub member_ids: Option<Vec<String>>,
    /// Turn routing on or off.
    pub active: Option<bool>,
    /// The version being changed (or send `If-Match`).
    pub version: Option<i64>,
}

/// An assignment rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AssignmentRuleResponse {
    /// Id.
    pub id: String,
    /// Division.
    pub division_id: String,
    /// Branch; none for the division-wide rule.
    pub branch_id: Option<String>,
    /// How the owner is picked.
    pub mode: AssignmentMode,
    /// The named rep (mode `named`).
    pub user_id: Option<String>,
    /// The members, in turn order.
    pub member_ids: Vec<String>,
    /// Whether it routes leads.
    pub active: bool,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing assignment rules.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AssignmentRuleListQuery {
    /// Only this division's rules.
    pub division_id: Option<String>,
    /// Only active (`true`) or inactive (`false`) rules.
    pub active: Option<bool>,
}

/// A qualification: the inquiry is confirmed for a division (its own, or
/// another one it is handed over to) and assigned.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"division_id": "0190a3c5-0000-7000-8000-000000000002", "notes": "Wants a generator, not a car", "version": 2}))]
pub struct QualifyLead {
    /// The division the inquiry belongs to; another than the lead's hands
    /// it over (default: the lead's own).
    pub division_id: Option<String>,
    /// The branch (of that division); `null` clears. A hand-over clears it
    /// unless one is given.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub branch_id: Option<Option<String>>,
    /// On a hand-over, the pipeline of the new division (default: its
    /// oldest pipeline that takes leads).
    pub pipeline_id: Option<String>,
    /// An open stage to put the lead in (on a hand-over default: the
    /// pipeline's first open stage; otherwise: where it is).
    pub stage_id: Option<String>,
    /// The new owner (an active user of the division). Without it the
    /// division's assignment rules pick one when the lead is handed over or
    /// has no owner; otherwise the owner stays.
    pub owner_id: Option<String>,
    /// What the qualifier learnt; appended to the lead's notes.
    pub notes: Option<String>,
    /// The lead's version (or send `If-Match`).
    pub version: Option<i64>,
}
