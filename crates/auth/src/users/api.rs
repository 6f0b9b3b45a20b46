//! Request and response types for users, sessions and API keys.

use chrono::{DateTime, Utc};
use rapport_core::page::{Direction, SortKey};
use rapport_core::principal::Role;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A new user.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "ada.obi@example.com", "name": "Ada Obi", "phone": "0803 123 4567",
    "role": "sales_rep", "division_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11",
    "password": "a long and unusual sentence"
}))]
pub struct CreateUser {
    /// Unique (case-insensitive) email; also the sign-in name.
    pub email: String,
    /// Full name.
    pub name: String,
    /// Phone, any common format; stored as E.164 (default region NG).
    #[serde(default)]
    pub phone: Option<String>,
    /// Role.
    pub role: Role,
    /// Division; required for managers, sales reps and service agents.
    #[serde(default)]
    pub division_id: Option<String>,
    /// Branch within the division.
    #[serde(default)]
    pub branch_id: Option<String>,
    /// Initial password (12-128 characters, not a common one); required
    /// except for `integration` accounts, which use API keys.
    #[serde(default)]
    pub password: Option<String>,
}

/// Changes to a user; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "manager", "version": 1}))]
pub struct UpdateUser {
    /// New name.
    pub name: Option<String>,
    /// New phone; `null` clears it.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// New role (revokes the user's refresh tokens).
    pub role: Option<Role>,
    /// New division; `null` clears it.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub division_id: Option<Option<String>>,
    /// New branch; `null` clears it.
    #[serde(default, deserialize_with = "rapport_core::serde_util::double_option")]
    #[schema(value_type = Option<String>)]
    pub branch_id: Option<Option<String>>,
    /// `false` deactivates: the user can no longer sign in and their tokens stop working.
    pub active: Option<bool>,
    /// Sets a new password (an administrator's reset).
    pub password: Option<String>,
    /// The version being changed, when no `If-Match` header is sent.
    pub version: Option<i64>,
}

/// A user. Never includes the password or its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserResponse {
    /// Id.
    pub id: String,
    /// Email, lower-cased.
    pub email: String,
    /// Full name.
    pub name: String,
    /// Phone, E.164.
    pub phone: Option<String>,
    /// Role.
    pub role: Role,
    /// Division.
    pub division_id: Option<String>,
    /// Branch.
    pub branch_id: Option<String>,
    /// Whether the user may sign in.
    pub active: bool,
    /// Last successful sign-in.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Query parameters for listing users.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `name`, `email`, `created_at` or `updated_at`; prefix `-` for descending. Default `name`.
    pub sort: Option<String>,
    /// Case-insensitive substring of the name or email.
    pub q: Option<String>,
    /// Only this role.
    pub role: Option<Role>,
    /// Only this division.
    pub division_id: Option<String>,
    /// Only this branch.
    pub branch_id: Option<String>,
    /// Only active (`true`) or inactive (`false`) users.
    pub active: Option<bool>,
    /// Only users changed at or after this instant (RFC 3339).
    pub updated_since: Option<DateTime<Utc>>,
}

/// Sort keys for users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSort {
    /// By name.
    Name,
    /// By email.
    Email,
    /// By creation.
    CreatedAt,
    /// By last change.
    UpdatedAt,
}

impl SortKey for UserSort {
    const ALL: &'static [(&'static str, Self)] = &[
        ("name", Self::Name),
        ("email", Self::Email),
        ("created_at", Self::CreatedAt),
        ("updated_at", Self::UpdatedAt),
    ];
    const DEFAULT: (Self, Direction) = (Self::Name, Direction::Asc);
}

/// Sign-in.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "admin@demo.rapport.test", "password": "Rapport-Demo-2026!"}))]
pub struct LoginRequest {
    /// Email.
    pub email: String,
    /// Password.
    pub password: String,
}

/// Tokens issued by a sign-in or a refresh.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// Opaque token for `POST /auth/refresh`; spent on use.
    pub refresh_token: String,
    /// When the refresh token expires.
    pub refresh_expires_at: DateTime<Utc>,
    /// The signed-in user.
    pub user: UserResponse,
}

/// A refresh token, to rotate or to revoke.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last sign-in or refresh.
    pub refresh_token: String,
}

/// Change one's own password.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// The current password.
    pub current_password: String,
    /// The new password (12-128 characters, not a common one).
    pub new_password: String,
}

/// A new API key for an integration account.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user_id": "0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11", "name": "Oracle ERP sync",
    "scopes": ["customers:write", "purchases:write", "events:read"], "expires_at": "2027-12-31T00:00:00Z"}))]
pub struct CreateApiKey {
    /// The integration account the key acts as.
    pub user_id: String,
    /// What the key is for.
    pub name: String,
    /// Granted scopes, e.g. `org:read`, `customers:write`, `events:read`.
    pub scopes: Vec<String>,
    /// When the key stops working (default: never).
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// An API key (without its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyResponse {
    /// Id.
    pub id: String,
    /// The integration account.
    pub user_id: String,
    /// What it is for.
    pub name: String,
    /// The visible start of the key, e.g. `rpk_3f9a1c2b`, to recognise it.
    pub prefix: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last used (to within 10 s).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Who created it.
    pub created_by: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// A newly created API key: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyCreated {
    /// The key, for `Authorization: Bearer …`. Store it now: it cannot be shown again.
    pub key: String,
    /// The key's record.
    pub api_key: ApiKeyResponse,
}

/// Query parameters for listing API keys.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApiKeyListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `created_at` or `-created_at` (default).
    pub sort: Option<String>,
    /// Only keys of this account.
    pub user_id: Option<String>,
    /// Include revoked keys (default false).
    pub include_revoked: Option<bool>,
}

/// Sort keys for API keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeySort {
    /// By creation.
    CreatedAt,
}

impl SortKey for ApiKeySort {
    const ALL: &'static [(&'static str, Self)] = &[("created_at", Self::CreatedAt)];
    const DEFAULT: (Self, Direction) = (Self::CreatedAt, Direction::Desc);
}
