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
    fn kind(&self) -> &'static str {
        match self {
            Self::User(_) => "user",
            Self::ApiKey(_) => "api_key",
            Self::System => "system",
            Self::Anonymous => "anonymous",
        }
    }

    fn id(&self) -> Option<&str> {
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
}

impl WriteContext {
    /// A write by the system outside any request (seeding, jobs).
    pub fn system() -> Self {
        Self {
            actor: Actor::System,
            request_id: None,
        }
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
}

impl Action {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Archived => "archived",
            Self::Deleted => "deleted",
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
    let to_json =
        |v: Option<&T>| serde_json::to_value(v).map_err(|e| Error::Internal(e.to_string()));
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
        ))
        .execute(conn)?;
    let payload = if after.is_null() {
        serde_json::json!({ "id": entity_id })
    } else {
        after
    };
    diesel::insert_into(change_events::table)
        .values((
            change_events::id.eq(new_id()),
            change_events::occurred_at.eq(occurred_at),
            change_events::entity_type.eq(entity_type),
            change_events::entity_id.eq(entity_id),
            change_events::action.eq(action.as_str()),
            change_events::payload.eq(payload.to_string()),
            change_events::request_id.eq(ctx.request_id.as_deref()),
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
    /// JSON `{"before": …, "after": …}`.
    pub changes: String,
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
