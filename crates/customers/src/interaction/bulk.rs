//! Bulk ingestion for middleware (telephony, email, ERP): up to 1,000
//! interactions per request, each checked and stored on its own.
//!
//! Every reference is looked up once for the whole request (see
//! [`Lookups`]), so the cost per item is its share of a few multi-row
//! inserts. The checks ([`plan`]) run on a read connection, and build every
//! row to be written there too; only the inserts ([`store`]) hold SQLite's
//! one write connection, so one request's checks overlap another's writes.
//! An item is all or nothing: items that pass every check are written together in one transaction, and should the
//! database refuse that (a race with another request), that transaction is
//! rolled back and each item is written again in a savepoint of its own, so
//! a failure leaves nothing of the failing item and touches no other. An item whose external id is already stored (or came earlier in
//! the request) is a `duplicate` carrying the stored id, so a retried batch
//! is safe.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use diesel::Connection as _;
use rapport_core::audit::WriteContext;
use rapport_core::db::Conn;
use rapport_core::{Error, FieldError, Problems, Result, time};

use super::api::{BulkItemResult, BulkResponse, BulkStatus, CreateInteraction};
use super::batch::Batch;
use super::input::Draft;
use super::lookups::{Lookups, Wanted, existing_external_ids};
use super::prepare::{Author, Prepared, prepare, want};
use super::store::insert;

/// The most items one request may carry.
pub const MAX_ITEMS: usize = 1_000;

/// One item as received: parsed, or refused by the parser with the reasons.
pub type BulkItem = std::result::Result<CreateInteraction, Vec<FieldError>>;

/// Where an item stands while a request is processed.
enum Stage {
    Ready(Box<Prepared>),
    Done(BulkItemResult),
}

/// A request checked and ready to write: each item either prepared or
/// already decided (invalid, duplicate), and the rows of the prepared ones,
/// written on behalf of `ctx`.
pub struct Plan {
    stages: Vec<Stage>,
    batch: Batch,
    ctx: WriteContext,
}

impl Plan {
    /// The leads the ready items were logged on: (interaction id, lead id,
    /// when), for whoever moves those leads' follow-ups once the items are
    /// stored (the leads crate builds on this one, not the other way round).
    pub fn lead_contacts(&self) -> Vec<(String, String, DateTime<Utc>)> {
        self.stages
            .iter()
            .filter_map(|s| match s {
                Stage::Ready(p) => {
                    p.row.lead_id.clone().map(|lead| (p.row.id.clone(), lead, time::utc(p.row.occurred_at)))
                }
                Stage::Done(_) => None,
            })
            .collect()
    }
}

/// Checks `items` against what is stored and builds the rows `ctx` will
/// write; reads only. More than [`MAX_ITEMS`] (or none) is refused as a
/// whole.
pub fn plan(conn: &mut Conn, author: &Author, ctx: &WriteContext, items: Vec<BulkItem>) -> Result<Plan> {
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(Error::invalid(
            "items",
            "out_of_range",
            format!("items must hold 1 to {MAX_ITEMS} interactions, got {}", items.len()),
        ));
    }
    let now = time::now();
    let drafts: Vec<std::result::Result<Draft, Vec<FieldError>>> =
        items.into_iter().map(|item| item.and_then(|input| parse(input, now, author))).collect();
    let mut wanted = Wanted::default();
    let mut pairs = BTreeSet::new();
    for draft in drafts.iter().flatten() {
        want(&mut wanted, draft);
        pairs.extend(draft.external.clone());
    }
    let lookups = Lookups::load(conn, &author.customer_reach, &wanted)?;
    // Seeded with the stored external ids; items add theirs as they go, so
    // a repeat within the request is a duplicate of the first.
    let mut claimed = existing_external_ids(conn, &pairs)?;
    let mut linked = HashSet::new();
    let mut stages = Vec::with_capacity(drafts.len());
    for (index, draft) in drafts.into_iter().enumerate() {
        let stage = match draft {
            Err(errors) => Stage::Done(invalid(index, errors)),
            Ok(draft) => match draft.external.as_ref().and_then(|pair| claimed.get(pair)) {
                Some(holder) => Stage::Done(duplicate(index, holder.clone())),
                None => {
                    let mut problems = Problems::new();
                    let external = draft.external.clone();
                    match prepare(&mut problems, &lookups, &author.reach, draft, now) {
                        Some(mut prepared) => {
                            if let Some(pair) = external {
                                claimed.insert(pair, prepared.row.id.clone());
                            }
                            // Only the first item needing a link makes it.
                            prepared.link = prepared.link.filter(|l| linked.insert(l.clone()));
                            Stage::Ready(Box::new(prepared))
                        }
                        None => Stage::Done(invalid(index, errors_of(problems))),
                    }
                }
            },
        };
        stages.push(stage);
    }
    let ready: Vec<&Prepared> =
        stages.iter().filter_map(|s| if let Stage::Ready(p) = s { Some(&**p) } else { None }).collect();
    let batch = Batch::build(ctx, &ready, now)?;
    Ok(Plan { stages, batch, ctx: ctx.clone() })
}

/// Writes a [`plan`]; the result lists one outcome per item in input order.
/// What changed since the plan was made (an external id stored by a
/// concurrent request, a customer deleted) fails only the items concerned.
///
/// Opens its own transactions: given a connection outside any, the first
/// attempt needs no savepoint (whose journal cost a few per cent of a bulk
/// request); inside one, they become savepoints and it works the same.
pub fn store(conn: &mut Conn, plan: Plan) -> Result<BulkResponse> {
    let results = write(conn, plan)?;
    let count = |status| results.iter().filter(|r| r.status == status).count();
    Ok(BulkResponse {
        created: count(BulkStatus::Created),
        duplicates: count(BulkStatus::Duplicate),
        invalid: count(BulkStatus::Invalid),
        results,
    })
}

/// Writes the ready items: all at once in one transaction, which is what
/// almost always happens since every check has been made; when the
/// database still refuses (a concurrent request stored the same external
/// id, a customer was deleted meanwhile), that is rolled back and each item
/// is written in a savepoint of its own, so only the offending items fail.
fn write(conn: &mut Conn, plan: Plan) -> Result<Vec<BulkItemResult>> {
    let Plan { stages, batch, ctx } = plan;
    let ctx = &ctx;
    if batch.is_empty() {
        return conn.transaction(|c| store_each(c, ctx, stages));
    }
    match conn.transaction(|c| batch.insert(c)) {
        Ok(()) => Ok(stages
            .into_iter()
            .enumerate()
            .map(|(index, stage)| match stage {
                Stage::Done(result) => result,
                Stage::Ready(p) => {
                    BulkItemResult { index, status: BulkStatus::Created, id: Some(p.row.id), errors: None }
                }
            })
            .collect()),
        Err(Error::Conflict { .. }) => conn.transaction(|c| store_each(c, ctx, stages)),
        Err(e) => Err(e),
    }
}

/// Writes each ready item inside its own savepoint.
fn store_each(conn: &mut Conn, ctx: &WriteContext, stages: Vec<Stage>) -> Result<Vec<BulkItemResult>> {
    let mut results = Vec::with_capacity(stages.len());
    for (index, stage) in stages.into_iter().enumerate() {
        let prepared = match stage {
            Stage::Done(result) => {
                results.push(result);
                continue;
            }
            Stage::Ready(prepared) => *prepared,
        };
        let external = prepared.row.external_source.clone().zip(prepared.row.external_id.clone());
        let result = match conn.transaction(|c| insert(c, ctx, prepared)) {
            Ok(created) => BulkItemResult { index, status: BulkStatus::Created, id: Some(created.id), errors: None },
            // Stored by a concurrent request since the lookup.
            Err(Error::Conflict { code: "duplicate", .. }) => match external {
                Some(pair) => match existing_external_ids(conn, &BTreeSet::from([pair]))?.into_values().next() {
                    Some(holder) => duplicate(index, holder),
                    None => invalid(index, vec![conflict("a unique value is already taken")]),
                },
                None => invalid(index, vec![conflict("a unique value is already taken")]),
            },
            // A reference vanished since the lookup (say, a deleted customer).
            Err(Error::Conflict { message, .. }) => invalid(index, vec![conflict(&message)]),
            Err(e) => return Err(e),
        };
        results.push(result);
    }
    Ok(results)
}

fn parse(
    input: CreateInteraction,
    now: chrono::NaiveDateTime,
    author: &Author,
) -> std::result::Result<Draft, Vec<FieldError>> {
    let mut problems = Problems::new();
    let draft = Draft::parse(&mut problems, input, now, author.default_user_id.as_deref());
    if problems.is_empty() { Ok(draft) } else { Err(errors_of(problems)) }
}

fn errors_of(problems: Problems) -> Vec<FieldError> {
    match problems.into_result(()) {
        Err(Error::Validation(errors)) => errors,
        _ => Vec::new(),
    }
}

fn conflict(message: &str) -> FieldError {
    FieldError::new("", "conflict", message)
}

fn invalid(index: usize, errors: Vec<FieldError>) -> BulkItemResult {
    BulkItemResult { index, status: BulkStatus::Invalid, id: None, errors: Some(errors) }
}

fn duplicate(index: usize, id: String) -> BulkItemResult {
    BulkItemResult { index, status: BulkStatus::Duplicate, id: Some(id), errors: None }
}
