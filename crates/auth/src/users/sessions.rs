//! Sign-in, refresh-token rotation with reuse detection, sign-out and
//! password changes.
//!
//! Each flow is split around the password check: a read that gathers what
//! the check needs, the argon2 work on the caller's blocking thread with no
//! connection held, and a short write that records the outcome. A failed
//! sign-in still commits (its throttle count and audit entry), so it is an
//! `Ok` outcome here, not an error.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rapport_core::audit::{self, Action, Actor, WriteContext};
use rapport_core::db::schema::{refresh_tokens, users};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::{Error, Problems, Result, ids, time};
use serde_json::json;

use super::api::TokenResponse;
use super::rows::{RefreshTokenRow, UserRow};
use super::store::{find_row, revoke_all_refresh_tokens};
use super::throttle;
use crate::password;
use crate::tokens::{self, TokenKeys};

/// What a sign-in needs to know before the password is checked.
#[derive(Debug)]
pub struct LoginAttempt {
    email: String,
    client_addr: String,
    user: Option<(String, Option<String>, bool)>,
    /// When set, refuse with 429 without checking the password.
    pub blocked_for_secs: Option<i64>,
}

impl LoginAttempt {
    /// The stored hash to verify against (`None` runs a dummy check).
    pub fn password_hash(&self) -> Option<&str> {
        self.user.as_ref().and_then(|(_, hash, _)| hash.as_deref())
    }
}

/// Reads what a sign-in for `email` from `client_addr` needs.
pub fn prepare_login(conn: &mut Conn, email: &str, client_addr: &str) -> Result<LoginAttempt> {
    let email = email.trim().to_lowercase();
    let subjects = [throttle::account(&email), throttle::address(client_addr)];
    let blocked_for_secs = throttle::blocked_for(conn, &subjects)?;
    let user = users::table
        .filter(users::email.eq(&email))
        .select((users::id, users::password_hash, users::active))
        .first::<(String, Option<String>, bool)>(conn)
        .optional()?;
    Ok(LoginAttempt { email, client_addr: client_addr.to_owned(), user, blocked_for_secs })
}

/// How a sign-in ended.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Signed in.
    Success(Box<TokenResponse>),
    /// Refused; answer 401 after holding back for `delay`.
    Refused {
        /// How long to hold back the answer.
        delay: std::time::Duration,
    },
}

/// Records the outcome of a sign-in whose password check gave `password_ok`.
pub fn finish_login(
    conn: &mut Conn,
    ctx: &WriteContext,
    keys: &TokenKeys,
    attempt: &LoginAttempt,
    password_ok: bool,
) -> Result<LoginOutcome> {
    match &attempt.user {
        Some((user_id, _, true)) if password_ok => {
            throttle::clear(conn, &throttle::account(&attempt.email))?;
            let now = time::now();
            diesel::update(users::table.filter(users::id.eq(user_id)))
                .set(users::last_login_at.eq(now))
                .cached()
                .execute(conn)?;
            let ctx = WriteContext { actor: Actor::User(user_id.clone()), ..ctx.clone() };
            audit::record_event(conn, &ctx, "session", user_id, Action::LoggedIn, json!({"email": attempt.email}))?;
            let tokens = issue_tokens(conn, keys, user_id, &ids::new_id())?;
            Ok(LoginOutcome::Success(Box::new(tokens)))
        }
        _ => {
            let failures = throttle::record_failure(conn, &throttle::account(&attempt.email), throttle::ACCOUNT_LIMIT)?;
            throttle::record_failure(conn, &throttle::address(&attempt.client_addr), throttle::ADDRESS_LIMIT)?;
            audit::record_event(
                conn,
                ctx,
                "session",
                &attempt.email,
                Action::LoginFailed,
                json!({"email": attempt.email, "failures": failures}),
            )?;
            Ok(LoginOutcome::Refused { delay: throttle::delay_after(failures) })
        }
    }
}

/// Records a sign-in refused because its subject is blocked.
pub fn record_blocked_login(conn: &mut Conn, ctx: &WriteContext, attempt: &LoginAttempt) -> Result<()> {
    audit::record_event(
        conn,
        ctx,
        "session",
        &attempt.email,
        Action::LoginFailed,
        json!({"email": attempt.email, "reason": "throttled"}),
    )
}

/// How a refresh ended.
#[derive(Debug)]
pub enum RefreshOutcome {
    /// New tokens; the presented refresh token is spent.
    Rotated(Box<TokenResponse>),
    /// Unknown, expired or revoked token, or an inactive user.
    Invalid,
    /// A spent token was presented again: its whole family is now revoked.
    Reused,
}

/// Spends `presented` and issues tokens of the same family.
pub fn refresh(conn: &mut Conn, ctx: &WriteContext, keys: &TokenKeys, presented: &str) -> Result<RefreshOutcome> {
    let Some(token) = find_refresh_token(conn, presented)? else { return Ok(RefreshOutcome::Invalid) };
    let now = time::now();
    if token.rotated_at.is_some() || token.revoked_at.is_some() {
        if token.rotated_at.is_some() {
            revoke_family(conn, &token.family_id)?;
            let ctx = WriteContext { actor: Actor::User(token.user_id.clone()), ..ctx.clone() };
            audit::record_event(
                conn,
                &ctx,
                "session",
                &token.user_id,
                Action::RefreshTokenReused,
                json!({"family_id": token.family_id}),
            )?;
            return Ok(RefreshOutcome::Reused);
        }
        return Ok(RefreshOutcome::Invalid);
    }
    if token.expires_at <= now || !find_row(conn, &token.user_id)?.active {
        return Ok(RefreshOutcome::Invalid);
    }
    let spent = diesel::update(refresh_tokens::table.filter(refresh_tokens::id.eq(&token.id)))
        .filter(refresh_tokens::rotated_at.is_null())
        .set(refresh_tokens::rotated_at.eq(now))
        .cached()
        .execute(conn)?;
    if spent == 0 {
        // Another request rotated it between our read and our write.
        return Ok(RefreshOutcome::Invalid);
    }
    issue_tokens(conn, keys, &token.user_id, &token.family_id).map(|t| RefreshOutcome::Rotated(Box::new(t)))
}

/// Revokes the family of `presented`. Unknown tokens are ignored, so
/// sign-out never tells whether a token existed.
pub fn logout(conn: &mut Conn, ctx: &WriteContext, presented: &str) -> Result<()> {
    if let Some(token) = find_refresh_token(conn, presented)? {
        revoke_family(conn, &token.family_id)?;
        let ctx = WriteContext { actor: Actor::User(token.user_id.clone()), ..ctx.clone() };
        audit::record_event(conn, &ctx, "session", &token.user_id, Action::LoggedOut, json!({}))?;
    }
    Ok(())
}

/// The stored hash of `user_id`'s password, for checking the current one
/// before a change. Also validates the new password against the policy.
pub fn prepare_password_change(conn: &mut Conn, user_id: &str, new_password: &str) -> Result<Option<String>> {
    let row: UserRow = find_row(conn, user_id)?;
    let mut problems = Problems::new();
    password::check_policy(&mut problems, "new_password", new_password, &row.email);
    problems.into_result(row.password_hash)
}

/// Stores a new password hash and revokes every refresh token of the user.
pub fn finish_password_change(conn: &mut Conn, ctx: &WriteContext, user_id: &str, new_hash: String) -> Result<()> {
    let now = time::now();
    diesel::update(users::table.filter(users::id.eq(user_id)))
        .set((
            users::password_hash.eq(new_hash),
            users::password_changed_at.eq(now),
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .cached()
        .execute(conn)?;
    revoke_all_refresh_tokens(conn, user_id)?;
    audit::record_event(conn, ctx, "user", user_id, Action::PasswordChanged, json!({}))
}

/// The error for a refused sign-in: the same whatever the reason.
pub fn invalid_credentials() -> Error {
    Error::Unauthenticated { code: "invalid_credentials", message: "email or password is incorrect".to_owned() }
}

fn issue_tokens(conn: &mut Conn, keys: &TokenKeys, user_id: &str, family_id: &str) -> Result<TokenResponse> {
    let now: DateTime<Utc> = time::utc(time::now());
    let (access_token, expires_at) = keys.issue(user_id, now)?;
    let refresh_token = tokens::random_secret("rrt_");
    let refresh_expires_at = now + keys.refresh_ttl;
    diesel::insert_into(refresh_tokens::table)
        .values(RefreshTokenRow {
            id: ids::new_id(),
            user_id: user_id.to_owned(),
            family_id: family_id.to_owned(),
            token_hash: tokens::digest(&refresh_token),
            issued_at: time::stored(now),
            expires_at: time::stored(refresh_expires_at),
            rotated_at: None,
            revoked_at: None,
        })
        .execute(conn)?;
    let user = super::store::get_unscoped(conn, user_id)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: (expires_at - now).num_seconds(),
        expires_at,
        refresh_token,
        refresh_expires_at,
        user,
    })
}

fn find_refresh_token(conn: &mut Conn, presented: &str) -> Result<Option<RefreshTokenRow>> {
    if !presented.starts_with("rrt_") {
        return Ok(None);
    }
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(tokens::digest(presented)))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()?)
}

fn revoke_family(conn: &mut Conn, family_id: &str) -> Result<()> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::family_id.eq(family_id)))
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::revoked_at.eq(time::now()))
        .cached()
        .execute(conn)?;
    Ok(())
}
