//! Who is calling: roles, the principal every request carries, and the
//! record scope a role grants. The policy deciding which role may do what
//! lives in `rapport-auth`; these types are here so every domain crate can
//! filter by scope without depending on it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the system: users, keys, org structure.
    Admin,
    /// Group CRM supervisor: every division.
    Supervisor,
    /// Manages one division (optionally one branch).
    Manager,
    /// Sales representative.
    SalesRep,
    /// After-sales representative.
    ServiceAgent,
    /// Call-centre agent: qualifies and routes every inbound inquiry, all divisions.
    CallCenterAgent,
    /// Read-only: reports and exports.
    Analyst,
    /// An ERP integration account; acts through API keys.
    Integration,
}

impl Role {
    /// Every role, in the order of the policy table.
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::Supervisor,
        Role::Manager,
        Role::SalesRep,
        Role::ServiceAgent,
        Role::CallCenterAgent,
        Role::Analyst,
        Role::Integration,
    ];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Manager => "manager",
            Role::SalesRep => "sales_rep",
            Role::ServiceAgent => "service_agent",
            Role::CallCenterAgent => "call_center_agent",
            Role::Analyst => "analyst",
            Role::Integration => "integration",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// Which records of a resource a principal may see or touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every record.
    All,
    /// Records of the principal's division.
    Division,
    /// Records of the principal's branch.
    Branch,
    /// Records the principal owns (or is).
    Own,
}

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A JWT access token.
    AccessToken,
    /// An API key with these scopes (e.g. `customers:write`).
    ApiKey {
        /// The key's id.
        key_id: String,
        /// Scopes granted to the key.
        scopes: Vec<String>,
    },
}

/// The authenticated caller, as loaded from the database for this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user's id.
    pub user_id: String,
    /// The user's role.
    pub role: Role,
    /// The user's division, if any.
    pub division_id: Option<String>,
    /// The user's branch, if any.
    pub branch_id: Option<String>,
    /// How they authenticated.
    pub credential: Credential,
}

/// What one request may reach for one operation: the scope the policy
/// granted and the ids that scope is measured against. Domain stores take a
/// `Reach` and put it into their queries, so out-of-scope records are never
/// loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    /// The granted scope.
    pub scope: Scope,
    /// The caller's user id (for [`Scope::Own`] and as the default owner).
    pub user_id: String,
    /// The caller's division (for [`Scope::Division`]).
    pub division_id: Option<String>,
    /// The caller's branch (for [`Scope::Branch`]).
    pub branch_id: Option<String>,
}

impl Reach {
    /// `principal` with `scope`.
    pub fn new(principal: &Principal, scope: Scope) -> Reach {
        Reach {
            scope,
            user_id: principal.user_id.clone(),
            division_id: principal.division_id.clone(),
            branch_id: principal.branch_id.clone(),
        }
    }

    /// Everything: for system work (seeding, jobs) and tests.
    pub fn everything() -> Reach {
        Reach { scope: Scope::All, user_id: String::new(), division_id: None, branch_id: None }
    }

    /// The division a division-scoped caller is limited to; a caller without
    /// a division matches no record (the empty string is no division's id).
    pub fn own_division(&self) -> &str {
        self.division_id.as_deref().unwrap_or_default()
    }

    /// Whether a record of `division_id` (owned by `owner_id`) is within
    /// reach. A branch scope reaches nothing here: records checked this way
    /// belong to divisions, not branches.
    pub fn covers(&self, division_id: Option<&str>, owner_id: Option<&str>) -> bool {
        match self.scope {
            Scope::All => true,
            Scope::Division => division_id.is_some_and(|d| d == self.own_division()),
            Scope::Branch => false,
            Scope::Own => owner_id.is_some_and(|o| o == self.user_id),
        }
    }
}
