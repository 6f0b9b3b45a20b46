//! The change feed: the outbox of [`audit::record`](crate::audit::record)
//! read in order, for ERP middleware and anything else that mirrors
//! Rapport's data.
//!
//! A feed must never skip an event, and an event must never appear behind
//! one a reader has already passed. Ordering by `seq` alone cannot promise
//! that on PostgreSQL: sequence values are handed out when a transaction
//! inserts, not when it commits, so a reader can see event 10 while event 9
//! is still uncommitted, move its cursor past 10, and never see 9.
//!
//! So the position of an event is `(transaction, seq)`:
//! - on PostgreSQL each event stores the id of the transaction that wrote
//!   it (`pg_current_xact_id()`, a column default), and a read returns only
//!   events whose transaction id is below the oldest transaction still
//!   running (`pg_snapshot_xmin`). Every transaction below that point has
//!   finished and every later writer gets a larger id, so nothing can appear
//!   behind what a reader has seen; an event becomes visible once every
//!   transaction that began writing before it has ended;
//! - on SQLite there is one writer at a time, so `seq` is commit order and
//!   the transaction part is always 0.
//!
//! See `docs/decisions/0007-change-feed-order.md`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use crate::db::Conn;
use crate::db::schema::change_events;
use crate::error::{Error, FieldError, Result};
use crate::time;

/// Every entity type that writes change events. [`audit::record`](crate::audit::record)
/// refuses (in debug builds) a type missing here, so the `entity_type`
/// filter can name exactly the valid values.
pub const ENTITY_TYPES: &[&str] = &[
    "api_key",
    "asset",
    "asset_reading",
    "automation_rule",
    "branch",
    "calendar",
    "categorisation_rule",
    "csat_survey",
    "custom_field",
    "customer",
    "customer_contact",
    "division",
    "intake_source",
    "interaction",
    "interaction_category",
    "lead",
    "lead_assignment_rule",
    "lost_reason",
    "metric_target",
    "pipeline",
    "purchase",
    "service_record",
    "service_rule",
    "sla_policy",
    "task",
    "ticket",
    "ticket_attachment",
    "ticket_category",
    "ticket_comment",
    "ticket_queue",
    "ticket_routing_rule",
    "user",
    "webhook_subscription",
];

/// Events per read when the caller gives no `limit`.
pub const DEFAULT_LIMIT: i64 = 100;
/// The most events one read returns.
pub const MAX_LIMIT: i64 = 1000;

/// Query parameters of the feed.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Start strictly after this position: the `next_cursor` of the previous
    /// read, or any event's `cursor`. Omit it to start at the beginning.
    pub after: Option<String>,
    /// Only these entity types, comma-separated (e.g. `customer,purchase`).
    pub entity_type: Option<String>,
    /// Events per read, 1–1000 (default 100).
    pub limit: Option<i64>,
}

/// One change, as the feed delivers it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChangeEvent {
    /// This event's position: pass it as `after` to resume right behind it.
    pub cursor: String,
    /// The event's id (unique; use it to discard a redelivered event).
    pub id: String,
    /// When the change was made.
    pub occurred_at: DateTime<Utc>,
    /// What kind of record changed, e.g. `customer`.
    pub entity_type: String,
    /// That record's id.
    pub entity_id: String,
    /// `created`, `updated`, `archived`, `deleted`, `merged`, `erased`…
    pub action: String,
    /// The record as the API shows it after the change (`{"id": …}` when it
    /// no longer exists).
    // Passed through as stored: building a `serde_json::Value` and writing it
    // out again was most of the cost of a read (docs/benchmarks.md, issue 8).
    #[schema(value_type = Object)]
    pub payload: Box<RawValue>,
    /// The request that made the change, when one did.
    pub request_id: Option<String>,
    /// For an update, the top-level payload fields it changed (e.g.
    /// `["stage_id", "status", "updated_at", "version"]`); `null` otherwise.
    #[schema(value_type = Option<Vec<String>>)]
    pub changed: Option<Box<RawValue>>,
}

/// One read of the feed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Feed {
    /// The events, in feed order.
    pub data: Vec<ChangeEvent>,
    /// Where to resume: the last event's cursor, or the `after` given when
    /// nothing new was found (`null` only when the feed is still empty).
    pub next_cursor: Option<String>,
    /// More events are ready: read again at once rather than wait.
    pub has_more: bool,
}

/// A position in the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Position {
    /// The writing transaction's id (PostgreSQL), or 0 (SQLite).
    tx: i64,
    seq: i64,
}

impl Position {
    fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}.{}", self.tx, self.seq))
    }

    fn decode(raw: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (tx, seq) = text.split_once('.')?;
        let position = Position { tx: tx.parse().ok()?, seq: seq.parse().ok()? };
        (position.tx >= 0 && position.seq >= 0).then_some(position)
    }
}

/// A validated read.
struct FeedRequest {
    after: Option<Position>,
    entity_types: Option<Vec<String>>,
    limit: i64,
}

impl FeedRequest {
    fn parse(query: &FeedQuery) -> Result<Self> {
        let mut errors = Vec::new();
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.push(FieldError::new("limit", "out_of_range", format!("limit must be between 1 and {MAX_LIMIT}")));
        }
        let after = match query.after.as_deref() {
            None => None,
            Some(raw) => {
                let position = Position::decode(raw);
                if position.is_none() {
                    errors.push(FieldError::new("after", "invalid_cursor", "the cursor is not one this feed issued"));
                }
                position
            }
        };
        let entity_types = query.entity_type.as_deref().map(|raw| {
            let mut types: Vec<String> = Vec::new();
            for name in raw.split(',').map(str::trim) {
                if !ENTITY_TYPES.contains(&name) {
                    errors.push(FieldError::new(
                        "entity_type",
                        "unknown_value",
                        format!("`{name}` is not an entity type; expected one of {}", ENTITY_TYPES.join(", ")),
                    ));
                } else if !types.iter().any(|t| t == name) {
                    types.push(name.to_owned());
                }
            }
            types
        });
        if errors.is_empty() {
            Ok(FeedRequest { after, entity_types, limit })
        } else {
            Err(Error::InvalidQuery(errors))
        }
    }
}

type EventRow =
    (i64, i64, String, chrono::NaiveDateTime, String, String, String, String, Option<String>, Option<String>);

/// Reads the events after `query.after`, in feed order.
pub fn read(conn: &mut Conn, query: &FeedQuery) -> Result<Feed> {
    let request = FeedRequest::parse(query)?;
    let fetch = request.limit + 1;
    let mut rows: Vec<EventRow> = match conn {
        Conn::Postgres(c) => {
            let mut q = change_events::table
                .select((
                    sql::<BigInt>("tx_id::text::bigint"),
                    change_events::seq,
                    change_events::id,
                    change_events::occurred_at,
                    change_events::entity_type,
                    change_events::entity_id,
                    change_events::action,
                    change_events::payload,
                    change_events::request_id,
                    change_events::changed,
                ))
                .filter(sql::<Bool>("tx_id < pg_snapshot_xmin(pg_current_snapshot())"))
                .into_boxed();
            if let Some(after) = request.after {
                q = q.filter(
                    sql::<Bool>("(tx_id, seq) > (")
                        .bind::<BigInt, _>(after.tx)
                        .sql("::text::xid8, ")
                        .bind::<BigInt, _>(after.seq)
                        .sql(")"),
                );
            }
            match request.entity_types.as_deref() {
                // `= ANY(array)` hides the one type from the planner, which
                // then walks the whole feed index and filters; `=` lets it
                // read (entity_type, tx_id, seq) in order.
                Some([one]) => q = q.filter(change_events::entity_type.eq(one)),
                Some(types) => q = q.filter(change_events::entity_type.eq_any(types)),
                None => {}
            }
            // Qualified: a bare `tx_id` in ORDER BY names the output column
            // of that name, the bigint cast above, which no index has; the
            // read then sorted the whole table for every page.
            q.order((sql::<BigInt>("change_events.tx_id"), change_events::seq.asc())).limit(fetch).load(c)?
        }
        Conn::Sqlite(c) => {
            let mut q = change_events::table
                .select((
                    sql::<BigInt>("0"),
                    change_events::seq,
                    change_events::id,
                    change_events::occurred_at,
                    change_events::entity_type,
                    change_events::entity_id,
                    change_events::action,
                    change_events::payload,
                    change_events::request_id,
                    change_events::changed,
                ))
                .into_boxed();
            if let Some(after) = request.after {
                q = q.filter(change_events::seq.gt(after.seq));
            }
            match request.entity_types.as_deref() {
                Some([one]) => q = q.filter(change_events::entity_type.eq(one)),
                Some(types) => q = q.filter(change_events::entity_type.eq_any(types)),
                None => {}
            }
            q.order(change_events::seq.asc()).limit(fetch).load(c)?
        }
    };
    let has_more = rows.len() as i64 > request.limit;
    rows.truncate(request.limit as usize);
    let data = rows.into_iter().map(event).collect::<Result<Vec<_>>>()?;
    let next_cursor = data.last().map(|e| e.cursor.clone()).or_else(|| request.after.map(Position::encode));
    Ok(Feed { data, next_cursor, has_more })
}

/// How many events lie after cursor `after` (`None`: all), counting those
/// of transactions the feed does not show yet: a reader's lag.
pub fn count_after(conn: &mut Conn, after: Option<&str>) -> Result<i64> {
    let after = match after {
        None => None,
        Some(raw) => {
            Some(Position::decode(raw).ok_or_else(|| Error::Internal(format!("stored feed cursor {raw} is invalid")))?)
        }
    };
    Ok(match (conn, after) {
        (conn, None) => change_events::table.count().get_result(conn)?,
        (Conn::Postgres(c), Some(after)) => change_events::table
            .filter(
                sql::<Bool>("(tx_id, seq) > (")
                    .bind::<BigInt, _>(after.tx)
                    .sql("::text::xid8, ")
                    .bind::<BigInt, _>(after.seq)
                    .sql(")"),
            )
            .count()
            .get_result(c)?,
        (Conn::Sqlite(c), Some(after)) => {
            change_events::table.filter(change_events::seq.gt(after.seq)).count().get_result(c)?
        }
    })
}

fn event(row: EventRow) -> Result<ChangeEvent> {
    let (tx, seq, id, occurred_at, entity_type, entity_id, action, payload, request_id, changed) = row;
    // Checked, not parsed into a tree: a bad payload must not reach a reader
    // as broken JSON.
    let payload = RawValue::from_string(payload)
        .map_err(|e| Error::Internal(format!("stored change event {id} has a bad payload: {e}")))?;
    let changed = changed
        .map(RawValue::from_string)
        .transpose()
        .map_err(|e| Error::Internal(format!("stored change event {id} has a bad changed list: {e}")))?;
    Ok(ChangeEvent {
        cursor: Position { tx, seq }.encode(),
        id,
        occurred_at: time::utc(occurred_at),
        entity_type,
        entity_id,
        action,
        payload,
        request_id,
        changed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_and_order_by_transaction_first() {
        let a = Position { tx: 7, seq: 90 };
        let b = Position { tx: 8, seq: 3 };
        assert_eq!(Position::decode(&a.encode()), Some(a));
        assert!(a < b, "a later transaction's events come after, whatever their seq");
    }

    #[test]
    fn foreign_cursors_are_refused() {
        for raw in ["", "abc", "LTEuMg", "MS4", "eC55"] {
            assert_eq!(Position::decode(raw), None, "{raw}");
        }
        let query = FeedQuery { after: Some("nope".into()), entity_type: Some("lead,bogus".into()), limit: Some(0) };
        let Err(Error::InvalidQuery(errors)) = FeedRequest::parse(&query) else { panic!("accepted") };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["limit", "after", "entity_type"]);
    }

    #[test]
    fn entity_types_are_sorted_and_unique() {
        let mut sorted = ENTITY_TYPES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, ENTITY_TYPES);
    }
}
