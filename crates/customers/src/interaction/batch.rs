//! Writing many prepared interactions in a few statements: the rows, their
//! audit entries and their change events each go in with one `COPY` per
//! table on PostgreSQL and as multi-row inserts on SQLite.
//!
//! The multi-connection can express neither, so this matches on the
//! connection (listed in docs/architecture.md). Each
//! interaction gets one audit entry and one change event, like
//! `audit::record` writes; the audit entry names the change event instead
//! of repeating the record. Measured: see docs/benchmarks.md (2026-11-23) for
//! the gain over per-item inserts and what the audit trail costs.

use diesel::prelude::*;
use rapport_core::audit::{Action, WriteContext};
use rapport_core::db::Conn;
use rapport_core::db::schema::{audit_log, change_events, interactions};
use rapport_core::{Error, Result, ids};

use super::prepare::{Prepared, to_response};
use super::rows::InteractionRow;
use super::store::ENTITY;
use crate::customer::link_division;

/// Rows per SQLite statement: 20 columns × 500 stays well inside its
/// 32,766 bound parameters.
const CHUNK: usize = 500;

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
#[diesel(treat_none_as_default_value = false)]
struct AuditRow {
    id: String,
    occurred_at: chrono::NaiveDateTime,
    actor_kind: &'static str,
    actor_id: Option<String>,
    request_id: Option<String>,
    action: &'static str,
    entity_type: &'static str,
    entity_id: String,
    changes: String,
    client_addr: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = change_events)]
#[diesel(treat_none_as_default_value = false)]
struct EventRow {
    id: String,
    occurred_at: chrono::NaiveDateTime,
    entity_type: &'static str,
    entity_id: String,
    action: &'static str,
    payload: String,
    request_id: Option<String>,
}

/// Every row a set of prepared interactions writes, built before the write
/// begins: serialising the change events' records took about 7 of the
/// ~57 ms a batch of 1,000 held SQLite's one writer (docs/benchmarks.md,
/// 2026-11-25 night), and nothing in it needs the writer.
pub(crate) struct Batch {
    rows: Vec<InteractionRow>,
    audits: Vec<AuditRow>,
    events: Vec<EventRow>,
    links: Vec<(String, String)>,
}

impl Batch {
    /// Builds the rows of `prepared`: each interaction with its link, one
    /// audit entry and one change event, like `audit::record` writes; the
    /// audit entry names the change event instead of repeating the record.
    /// Stamped `now`, when the items were checked, as their rows are.
    pub(crate) fn build(ctx: &WriteContext, prepared: &[&Prepared], now: chrono::NaiveDateTime) -> Result<Self> {
        let mut batch = Self {
            rows: Vec::with_capacity(prepared.len()),
            audits: Vec::with_capacity(prepared.len()),
            events: Vec::with_capacity(prepared.len()),
            links: Vec::new(),
        };
        for Prepared { row, link } in prepared.iter().copied() {
            let after = serde_json::to_value(to_response(row.clone())?).map_err(|e| Error::Internal(e.to_string()))?;
            let event_id = ids::new_id();
            batch.audits.push(AuditRow {
                id: ids::new_id(),
                occurred_at: now,
                actor_kind: ctx.actor.kind(),
                actor_id: ctx.actor.id().map(str::to_owned),
                request_id: ctx.request_id.clone(),
                action: Action::Created.as_str(),
                entity_type: ENTITY,
                entity_id: row.id.clone(),
                // The record itself is in the change event written beside it;
                // repeating it here made the audit trail two thirds of the
                // bytes a bulk ingestion writes (docs/benchmarks.md).
                changes: serde_json::json!({ "bulk": true, "change_event_id": &event_id }).to_string(),
                client_addr: ctx.client_addr.clone(),
            });
            batch.events.push(EventRow {
                id: event_id,
                occurred_at: now,
                entity_type: ENTITY,
                entity_id: row.id.clone(),
                action: Action::Created.as_str(),
                payload: after.to_string(),
                request_id: ctx.request_id.clone(),
            });
            batch.links.extend(link.clone());
            batch.rows.push(row.clone());
        }
        Ok(batch)
    }

    /// Whether there is nothing to write.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Inserts every row. Any failure fails the whole call; run it in a
    /// transaction or savepoint.
    pub(crate) fn insert(&self, conn: &mut Conn) -> Result<()> {
        match conn {
            // COPY: one statement per table, sent in the binary format, with
            // nothing to parse or plan per row (multi-row INSERTs spent much
            // of PostgreSQL's time in the parser and planner).
            Conn::Postgres(c) => {
                diesel::copy_from(interactions::table).from_insertable(&self.rows).execute(c)?;
                diesel::copy_from(audit_log::table).from_insertable(&self.audits).execute(c)?;
                diesel::copy_from(change_events::table).from_insertable(&self.events).execute(c)?;
            }
            Conn::Sqlite(c) => {
                for chunk in self.rows.chunks(CHUNK) {
                    diesel::insert_into(interactions::table).values(chunk).execute(c)?;
                }
                for chunk in self.audits.chunks(CHUNK) {
                    diesel::insert_into(audit_log::table).values(chunk).execute(c)?;
                }
                for chunk in self.events.chunks(CHUNK) {
                    diesel::insert_into(change_events::table).values(chunk).execute(c)?;
                }
            }
        }
        // Distinct pairs only (see bulk.rs), so few.
        for (customer_id, division_id) in &self.links {
            link_division(conn, customer_id, division_id)?;
        }
        Ok(())
    }
}
