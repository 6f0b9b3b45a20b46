//! The audit log and the change-event outbox.
//!
//! Every write that matters calls [`record`] inside its own transaction, so
//! the audit entry, the change event and the change itself commit together or
//! not at all. The change feed for ERP middleware reads `change_events` in
//! `seq` order.

use diesel::prelude::*;
use serde::Serialize;

use crate::db::Conn;
use crate::db::schema::{audit_log, change_events};
use crate::error::{Error, Result};
use crate::ids::new_id;
use crate::time;

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in person.
    User(String),
    /// An integration's API key.
    ApiKey(String),
    /// The system itself: migrations, seeding, scheduled jobs.
    System,
    /// An unauthenticated caller.
    Anonymous,
}

impl Actor {
    /// The stored kind: `user`, `api_key`, `system` or `anonymous`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::User(_) => "user",
            Self::ApiKey(_) => "api_key",
            Self::System => "system",
            Self::Anonymous => "anonymous",
        }
    }

    /// The acting user's or key's id.
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::User(id) | Self::ApiKey(id) => Some(id),
            Self::System | Self::Anonymous => None,
        }
    }
}

/// Who is writing and under which request; passed to every write.
#[derive(Debug, Clone)]
pub struct WriteContext {
    /// The actor.
    pub actor: Actor,
    /// The HTTP request id, when the write comes from a request.
    pub request_id: Option<String>,
    /// The client's address, when the write comes from a request.
    pub client_addr: Option<String>,
}

impl WriteContext {
    /// A write by the system outside any request (seeding, jobs).
    pub fn system() -> Self {
        Self { actor: Actor::System, request_id: None, client_addr: None }
    }
}

/// What happened to the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Inserted.
    Created,
    /// Changed.
    Updated,
    /// Hidden from lists but kept because other records refer to it.
    Archived,
    /// Removed.
    Deleted,
    /// Signed in.
    LoggedIn,
    /// A sign-in was refused (wrong password, unknown email, inactive, throttled).
    LoginFailed,
    /// Signed out.
    LoggedOut,
    /// A refresh token was used after it had been rotated; its family was revoked.
    RefreshTokenReused,
    /// Changed their own password.
    PasswordChanged,
    /// An API key was revoked.
    Revoked,
    /// A duplicate customer was merged into another.
    Merged,
    /// A customer's personal data was erased.
    Erased,
    /// Everything held on a customer was exported.
    Exported,
}

impl Action {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Archived => "archived",
            Self::Deleted => "deleted",
            Self::LoggedIn => "logged_in",
            Self::LoginFailed => "login_failed",
            Self::LoggedOut => "logged_out",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::PasswordChanged => "password_changed",
            Self::Revoked => "revoked",
            Self::Merged => "merged",
            Self::Erased => "erased",
            Self::Exported => "exported",
        }
    }
}

/// Writes one audit entry and one change event for a change to a record.
/// `before` and `after` are the record's API representation (`None` where
/// it did not or no longer exists).
pub fn record<T: Serialize>(
    conn: &mut Conn,
    ctx: &WriteContext,
    entity_type: &'static str,
    entity_id: &str,
    action: Action,
    before: Option<&T>,
    after: Option<&T>,
) -> Result<()> {
    debug_assert!(
        crate::change_feed::ENTITY_TYPES.contains(&entity_type),
        "entity type `{entity_type}` is missing from change_feed::ENTITY_TYPES"
    );
    let to_json = |v: Option<&T>| serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()));
    let before = to_json(before)?;
    let after = to_json(after)?;
    let occurred_at = time::now();
    let changes = serde_json::json!({ "before": before, "after": after }).to_string();
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(new_id()),
            audit_log::occurred_at.eq(occurred_at),
            audit_log::actor_kind.eq(ctx.actor.kind()),
            audit_log::actor_id.eq(ctx.actor.id()),
            audit_log::request_id.eq(ctx.request_id.as_deref()),
            audit_log::action.eq(action.as_str()),
            audit_log::entity_type.eq(entity_type),
            audit_log::entity_id.eq(entity_id),
            audit_log::changes.eq(&changes),
            audit_log::client_addr.eq(ctx.client_addr.as_deref()),
        ))
        .execute(conn)?;
    let changed = changed_fields(&before, &after);
    let payload = if after.is_null() { serde_json::json!({ "id": entity_id }) } else { after };
    diesel::insert_into(change_events::table)
        .values((
            change_events::id.eq(new_id()),
            change_events::occurred_at.eq(occurred_at),
            change_events::entity_type.eq(entity_type),
            change_events::entity_id.eq(entity_id),
            change_events::action.eq(action.as_str()),
            change_events::payload.eq(payload.to_string()),
            change_events::request_id.eq(ctx.request_id.as_deref()),
            change_events::changed.eq(changed),
        ))
        .execute(conn)?;
    Ok(())
}

/// The top-level fields that differ between two versions of a record, as a
/// JSON array; `None` unless both versions are objects (a creation or a
/// deletion changes everything).
fn changed_fields(before: &serde_json::Value, after: &serde_json::Value) -> Option<String> {
    let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else { return None };
    let mut names: Vec<&str> = after
        .iter()
        .filter(|(name, value)| before.get(name.as_str()) != Some(value))
        .map(|(name, _)| name.as_str())
        .chain(before.keys().filter(|name| !after.contains_key(name.as_str())).map(String::as_str))
        .collect();
    names.sort_unstable();
    Some(serde_json::to_string(&names).unwrap_or_else(|_| "[]".to_owned()))
}

/// Writes an audit entry (no change event) for something that happened to a
/// record without changing it: a sign-in, a refused sign-in, a token reuse.
/// `details` is stored as the entry's `changes`.
pub fn record_event(
    conn: &mut Conn,
    ctx: &WriteContext,
    entity_type: &'static str,
    entity_id: &str,
    action: Action,
    details: serde_json::Value,
) -> Result<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(new_id()),
            audit_log::occurred_at.eq(time::now()),
            audit_log::actor_kind.eq(ctx.actor.kind()),
            audit_log::actor_id.eq(ctx.actor.id()),
            audit_log::request_id.eq(ctx.request_id.as_deref()),
            audit_log::action.eq(action.as_str()),
            audit_log::entity_type.eq(entity_type),
            audit_log::entity_id.eq(entity_id),
            audit_log::changes.eq(details.to_string()),
            audit_log::client_addr.eq(ctx.client_addr.as_deref()),
        ))
        .execute(conn)?;
    Ok(())
}

/// One audit entry as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct AuditEntry {
    /// Entry id.
    pub id: String,
    /// When.
    pub occurred_at: chrono::NaiveDateTime,
    /// `user`, `api_key`, `system` or `anonymous`.
    pub actor_kind: String,
    /// The user or key id.
    pub actor_id: Option<String>,
    /// The request that made the change.
    pub request_id: Option<String>,
    /// `created`, `updated`, `archived` or `deleted`.
    pub action: String,
    /// E.g. `division`.
    pub entity_type: String,
    /// The record's id.
    pub entity_id: String,
    /// JSON `{"before": …, "after": …}`, or event details.
    pub changes: String,
    /// The client's address.
    pub client_addr: Option<String>,
}

/// One change event as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = change_events)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct ChangeEvent {
    /// Position in the feed.
    pub seq: i64,
    /// Event id.
    pub id: String,
    /// When.
    pub occurred_at: chrono::NaiveDateTime,
    /// E.g. `division`.
    pub entity_type: String,
    /// The record's id.
    pub entity_id: String,
    /// `created`, `updated`, `archived` or `deleted`.
    pub action: String,
    /// The record after the change (JSON), or `{"id": …}` after a delete.
    pub payload: String,
    /// The request that made the change.
    pub request_id: Option<String>,
    /// The fields an update changed (a JSON array), `None` otherwise.
    pub changed: Option<String>,
}

/// The audit trail of one record, oldest first.
pub fn entries_for(conn: &mut Conn, entity_type: &str, entity_id: &str) -> Result<Vec<AuditEntry>> {
    Ok(audit_log::table
        .filter(audit_log::entity_type.eq(entity_type))
        .filter(audit_log::entity_id.eq(entity_id))
        .order((audit_log::occurred_at.asc(), audit_log::id.asc()))
        .select(AuditEntry::as_select())
        .load(conn)?)
}

/// The change events of one record, in feed order.
pub fn events_for(conn: &mut Conn, entity_type: &str, entity_id: &str) -> Result<Vec<ChangeEvent>> {
    Ok(change_events::table
        .filter(change_events::entity_type.eq(entity_type))
        .filter(change_events::entity_id.eq(entity_id))
        .order(change_events::seq.asc())
        .select(ChangeEvent::as_select())
        .load(conn)?)
}

/// Query parameters for `GET /api/v1/audit`.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditListQuery {
    /// Page size, 1-200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// `occurred_at` or `-occurred_at` (default, newest first).
    pub sort: Option<String>,
    /// Only entries about this kind of record, e.g. `division`, `user`, `session`.
    pub entity_type: Option<String>,
    /// Only entries about this record.
    pub entity_id: Option<String>,
    /// Only entries by this actor (user id).
    pub actor_id: Option<String>,
    /// Only this action, e.g. `login_failed`.
    pub action: Option<String>,
    /// Only entries at or after this instant (RFC 3339).
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Only entries before this instant (RFC 3339).
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

/// Sort keys for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditSort {
    /// By time.
    OccurredAt,
}

impl crate::page::SortKey for AuditSort {
    const ALL: &'static [(&'static str, Self)] = &[("occurred_at", Self::OccurredAt)];
    const DEFAULT: (Self, crate::page::Direction) = (Self::OccurredAt, crate::page::Direction::Desc);
}

/// One audit entry.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AuditEntryResponse {
    /// Entry id.
    pub id: String,
    /// When it happened.
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// `user`, `api_key`, `system` or `anonymous`.
    pub actor_kind: String,
    /// The acting user's id.
    pub actor_id: Option<String>,
    /// The request that did it.
    pub request_id: Option<String>,
    /// The client's address.
    pub client_addr: Option<String>,
    /// E.g. `created`, `updated`, `archived`, `deleted`, `logged_in`, `login_failed`.
    pub action: String,
    /// Kind of record, e.g. `division`.
    pub entity_type: String,
    /// The record's id (for refused sign-ins: the email tried).
    pub entity_id: String,
    /// `{"before": …, "after": …}` for changes; details for events.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

/// One page of the audit log.
pub fn list(conn: &mut Conn, query: &AuditListQuery) -> Result<crate::page::Page<AuditEntryResponse>> {
    use crate::page::{PageRequest, instant_value};
    let page = PageRequest::<AuditSort>::parse(query.limit, query.sort.as_deref(), query.cursor.as_deref())?;
    let mut q = audit_log::table.select(AuditEntry::as_select()).into_boxed();
    if let Some(v) = &query.entity_type {
        q = q.filter(audit_log::entity_type.eq(v.clone()));
    }
    if let Some(v) = &query.entity_id {
        q = q.filter(audit_log::entity_id.eq(v.clone()));
    }
    if let Some(v) = &query.actor_id {
        q = q.filter(audit_log::actor_id.eq(v.clone()));
    }
    if let Some(v) = &query.action {
        q = q.filter(audit_log::action.eq(v.clone()));
    }
    if let Some(v) = query.from {
        q = q.filter(audit_log::occurred_at.ge(time::stored(v)));
    }
    if let Some(v) = query.to {
        q = q.filter(audit_log::occurred_at.lt(time::stored(v)));
    }
    let after = page.after_instant()?;
    let q = crate::keyset!(q, audit_log::occurred_at, audit_log::id, page.sort.direction, after);
    let rows = q.limit(page.fetch_limit()).load::<AuditEntry>(conn)?;
    Ok(page.finish(rows, |row| (instant_value(row.occurred_at), row.id.clone())).map(|row| AuditEntryResponse {
        changes: serde_json::from_str(&row.changes).unwrap_or(serde_json::Value::Null),
        id: row.id,
        occurred_at: time::utc(row.occurred_at),
        actor_kind: row.actor_kind,
        actor_id: row.actor_id,
        request_id: row.request_id,
        client_addr: row.client_addr,
        action: row.action,
        entity_type: row.entity_type,
        entity_id: row.entity_id,
    }))
}

#[cfg(test)]
mod tests {
    use super::changed_fields;
    use serde_json::json;

    #[test]
    fn changed_fields_name_what_differs_added_or_dropped() {
        let before = json!({"id": "a", "stage_id": "s1", "notes": null, "gone": 1});
        let after = json!({"id": "a", "stage_id": "s2", "notes": "hi", "new": true});
        assert_eq!(changed_fields(&before, &after).as_deref(), Some(r#"["gone","new","notes","stage_id"]"#));
        assert_eq!(changed_fields(&after, &after).as_deref(), Some("[]"));
        assert_eq!(changed_fields(&serde_json::Value::Null, &after), None);
    }
}
