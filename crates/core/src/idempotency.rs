//! Stored `Idempotency-Key`s: a retried POST gets the first response back.
//!
//! A key is claimed (a row with no response yet) before the request runs and
//! completed with the response after; a second request with the same key
//! meanwhile is told the first is still in flight. Keys expire after
//! [`KEY_TTL_HOURS`]; failed requests (5xx) release their key so a retry runs.

use chrono::Duration;
use diesel::prelude::*;

use crate::db::schema::idempotency_keys as keys;
use crate::db::{CacheStatement, Conn};
use crate::error::{Error, Result};
use crate::time;

/// How long a key is remembered.
pub const KEY_TTL_HOURS: i64 = 24;

/// Identifies one request for comparison with a later retry.
#[derive(Debug, Clone)]
pub struct RequestFingerprint {
    /// Who sent it (keys are per caller).
    pub principal: String,
    /// The client's key.
    pub key: String,
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// SHA-256 of the body, hex.
    pub body_hash: String,
}

/// A response kept for replay.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers worth replaying, as a JSON object of name → value.
    pub headers: String,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// What to do with a request that carries a key.
#[derive(Debug)]
pub enum Claim {
    /// First use: run the request, then [`complete`] or [`release`].
    Fresh,
    /// Seen before with the same request: answer with this.
    Replay(StoredResponse),
    /// Seen before and still running.
    InFlight,
    /// Seen before with a different method, path or body.
    Mismatch,
}

/// Claims the key for this request, or says why not.
pub fn claim(conn: &mut Conn, request: &RequestFingerprint) -> Result<Claim> {
    conn.transaction(|conn| {
        let existing = keys::table
            .filter(keys::principal.eq(&request.principal))
            .filter(keys::idempotency_key.eq(&request.key))
            .select((
                keys::method,
                keys::path,
                keys::request_hash,
                keys::status,
                keys::response_headers,
                keys::response_body,
                keys::created_at,
            ))
            .first::<(String, String, String, Option<i32>, Option<String>, Option<Vec<u8>>, chrono::NaiveDateTime)>(
                conn,
            )
            .optional()?;
        if let Some((method, path, hash, status, headers, body, created_at)) = existing {
            if created_at > time::now() - Duration::hours(KEY_TTL_HOURS) {
                if method != request.method || path != request.path || hash != request.body_hash {
                    return Ok(Claim::Mismatch);
                }
                return Ok(match status {
                    Some(status) => Claim::Replay(StoredResponse {
                        status: u16::try_from(status).unwrap_or(500),
                        headers: headers.unwrap_or_else(|| "{}".to_owned()),
                        body: body.unwrap_or_default(),
                    }),
                    None => Claim::InFlight,
                });
            }
            delete_key(conn, &request.principal, &request.key)?;
        }
        let inserted = diesel::insert_into(keys::table)
            .values((
                keys::principal.eq(&request.principal),
                keys::idempotency_key.eq(&request.key),
                keys::method.eq(&request.method),
                keys::path.eq(&request.path),
                keys::request_hash.eq(&request.body_hash),
                keys::created_at.eq(time::now()),
            ))
            .execute(conn);
        match inserted.map_err(Error::from) {
            Ok(_) => Ok(Claim::Fresh),
            // Another replica inserted it between our read and our write.
            Err(Error::Conflict { .. }) => Ok(Claim::InFlight),
            Err(e) => Err(e),
        }
    })
}

/// Stores the response of a claimed request for later replays.
pub fn complete(conn: &mut Conn, principal: &str, key: &str, response: &StoredResponse) -> Result<()> {
    diesel::update(keys::table.filter(keys::principal.eq(principal)).filter(keys::idempotency_key.eq(key)))
        .set((
            keys::status.eq(i32::from(response.status)),
            keys::response_headers.eq(&response.headers),
            keys::response_body.eq(&response.body),
        ))
        .cached()
        .execute(conn)?;
    Ok(())
}

/// Forgets a claimed key whose request failed, so that a retry runs again.
pub fn release(conn: &mut Conn, principal: &str, key: &str) -> Result<()> {
    delete_key(conn, principal, key)
}

fn delete_key(conn: &mut Conn, principal: &str, key: &str) -> Result<()> {
    diesel::delete(keys::table.filter(keys::principal.eq(principal)).filter(keys::idempotency_key.eq(key)))
        .execute(conn)?;
    Ok(())
}
