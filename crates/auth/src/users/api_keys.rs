//! API keys for integration accounts: created by an admin, shown once,
//! stored as a digest, scoped, expiring, revocable.
//!
//! A key reads `rpk_<8-character id>_<secret>`: the id part is the stored
//! `prefix` and finds the row; the digest of the whole key must match.

use diesel::prelude::*;
use rapport_core::audit::{self, Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{api_keys, users};
use rapport_core::page::{Page, PageRequest, instant_value};
use rapport_core::principal::{Credential, Principal, Role};
use rapport_core::{Error, Problems, Result, ids, time, validate};

use super::api::{ApiKeyCreated, ApiKeyListQuery, ApiKeyResponse, ApiKeySort, CreateApiKey};
use super::rows::ApiKeyRow;
use crate::policy::KEY_SCOPES;
use crate::tokens;

const ENTITY: &str = "api_key";

/// Whether a bearer credential is an API key rather than a JWT.
pub fn looks_like_key(credential: &str) -> bool {
    credential.starts_with("rpk_")
}

/// Creates a key for an active integration account.
pub fn create(conn: &mut Conn, ctx: &WriteContext, creator: &str, input: CreateApiKey) -> Result<ApiKeyCreated> {
    let mut problems = Problems::new();
    let user_id = validate::id_ref(&mut problems, "user_id", &input.user_id);
    let name = validate::required_text(&mut problems, "name", &input.name, 100);
    if input.scopes.is_empty() {
        problems.push("scopes", "required", "give the key at least one scope");
    }
    let mut scopes: Vec<String> = Vec::with_capacity(input.scopes.len());
    for (i, scope) in input.scopes.iter().enumerate() {
        if !KEY_SCOPES.contains(&scope.as_str()) {
            problems.push(
                format!("scopes[{i}]"),
                "unknown_scope",
                format!("unknown scope `{scope}`; known: {}", KEY_SCOPES.join(", ")),
            );
        } else if scopes.contains(scope) {
            problems.push(format!("scopes[{i}]"), "duplicate", format!("`{scope}` is listed twice"));
        } else {
            scopes.push(scope.clone());
        }
    }
    let now = time::now();
    if input.expires_at.is_some_and(|e| time::stored(e) <= now) {
        problems.push("expires_at", "in_the_past", "expires_at must be in the future");
    }
    problems.into_result(())?;
    let account = users::table
        .filter(users::id.eq(&user_id))
        .select((users::role, users::active))
        .first::<(String, bool)>(conn)
        .optional()?;
    match account {
        None => return Err(Error::invalid("user_id", "not_found", format!("user {user_id} does not exist"))),
        Some((role, _)) if role != Role::Integration.as_str() => {
            return Err(Error::invalid("user_id", "not_integration", "API keys belong to integration accounts only"));
        }
        Some((_, false)) => {
            return Err(Error::invalid("user_id", "inactive", "the integration account is deactivated"));
        }
        Some(_) => {}
    }
    let prefix = format!("rpk_{}", &tokens::digest(&ids::new_id())[..8]);
    let key = format!("{prefix}_{}", tokens::random_secret(""));
    let row = ApiKeyRow {
        id: ids::new_id(),
        user_id,
        name,
        prefix,
        key_hash: tokens::digest(&key),
        scopes: scopes.join(" "),
        expires_at: input.expires_at.map(time::stored),
        revoked_at: None,
        last_used_at: None,
        created_by: Some(creator.to_owned()),
        created_at: now,
    };
    diesel::insert_into(api_keys::table).values(&row).execute(conn)?;
    let api_key = to_response(row);
    audit::record(conn, ctx, ENTITY, &api_key.id, Action::Created, None, Some(&api_key))?;
    Ok(ApiKeyCreated { key, api_key })
}

/// One page of keys.
pub fn list(conn: &mut Conn, query: &ApiKeyListQuery) -> Result<Page<ApiKeyResponse>> {
    let page = PageRequest::<ApiKeySort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = api_keys::table.select(ApiKeyRow::as_select()).into_boxed();
    if let Some(user_id) = &query.user_id {
        q = q.filter(api_keys::user_id.eq(user_id.clone()));
    }
    if !query.include_revoked.unwrap_or(false) {
        q = q.filter(api_keys::revoked_at.is_null());
    }
    let after = page.after_instant()?;
    let q = rapport_core::keyset!(q, api_keys::created_at, api_keys::id, page.sort.direction, after);
    let rows = q.limit(page.fetch_limit()).load::<ApiKeyRow>(conn)?;
    Ok(page.finish(rows, |row| (instant_value(row.created_at), row.id.clone())).map(to_response))
}

/// Revokes a key (idempotent: a revoked key stays revoked).
pub fn revoke(conn: &mut Conn, ctx: &WriteContext, id: &str) -> Result<ApiKeyResponse> {
    let before = find_row(conn, id)?;
    if before.revoked_at.is_some() {
        return Ok(to_response(before));
    }
    let after = ApiKeyRow { revoked_at: Some(time::now()), ..before.clone() };
    diesel::update(api_keys::table.filter(api_keys::id.eq(id)))
        .set(api_keys::revoked_at.eq(after.revoked_at))
        .execute(conn)?;
    let (before, after) = (to_response(before), to_response(after));
    audit::record(conn, ctx, ENTITY, id, Action::Revoked, Some(&before), Some(&after))?;
    Ok(after)
}

/// The principal a presented key acts as; notes the use.
pub fn authenticate(conn: &mut Conn, presented: &str) -> Result<Principal> {
    let invalid = || Error::Unauthenticated { code: "invalid_token", message: "the API key is not valid".to_owned() };
    let prefix = presented.get(..12).filter(|p| looks_like_key(p)).ok_or_else(invalid)?;
    let found = api_keys::table
        .inner_join(users::table)
        .filter(api_keys::prefix.eq(prefix))
        .select((ApiKeyRow::as_select(), users::active, users::role, users::division_id, users::branch_id))
        .first::<(ApiKeyRow, bool, String, Option<String>, Option<String>)>(conn)
        .optional()?;
    let Some((key, active, role, division_id, branch_id)) = found else { return Err(invalid()) };
    let now = time::now();
    let usable = tokens::digests_equal(&key.key_hash, &tokens::digest(presented))
        && key.revoked_at.is_none()
        && key.expires_at.is_none_or(|e| e > now)
        && active
        && role == Role::Integration.as_str();
    if !usable {
        return Err(invalid());
    }
    diesel::update(api_keys::table.filter(api_keys::id.eq(&key.id)))
        .set(api_keys::last_used_at.eq(now))
        .execute(conn)?;
    Ok(Principal {
        user_id: key.user_id,
        role: Role::Integration,
        division_id,
        branch_id,
        credential: Credential::ApiKey { key_id: key.id, scopes: key.scopes.split(' ').map(str::to_owned).collect() },
    })
}

fn find_row(conn: &mut Conn, id: &str) -> Result<ApiKeyRow> {
    if !ids::is_valid_id(id) {
        return Err(Error::NotFound { entity: ENTITY });
    }
    api_keys::table
        .filter(api_keys::id.eq(id))
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound { entity: ENTITY })
}

fn to_response(row: ApiKeyRow) -> ApiKeyResponse {
    ApiKeyResponse {
        id: row.id,
        user_id: row.user_id,
        name: row.name,
        prefix: row.prefix,
        scopes: row.scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        expires_at: row.expires_at.map(time::utc),
        revoked_at: row.revoked_at.map(time::utc),
        last_used_at: row.last_used_at.map(time::utc),
        created_by: row.created_by,
        created_at: time::utc(row.created_at),
    }
}
