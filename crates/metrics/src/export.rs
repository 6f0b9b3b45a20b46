//! Raw row exports: the records the reports count, with the columns an
//! analyst needs to recompute them (`docs/metrics.md`, "Exports"). Paged by
//! key (the basis instant, then id), scoped and filtered as the reports are.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamp};
use rapport_core::db::Conn;
use rapport_core::page::{self, Page, PageRequest, SortKey};
use rapport_core::principal::Reach;
use rapport_core::{Error, FieldError, Result};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::filters::{Filters, MetricsQuery};
use crate::sql::Sql;
use crate::{Clock, Kpi};

/// Rows per page when the caller gives no `limit`.
const DEFAULT_LIMIT: i64 = 500;
/// The most rows one page holds.
const MAX_LIMIT: i64 = 5_000;

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Dataset {
    /// Leads, each with its stage history.
    Leads,
    /// Stage-history rows (one stay each), flat.
    LeadStageHistory,
    /// Tickets with their business-time measurements and SLA fields.
    Tickets,
    /// Answered CSAT surveys with their ticket's division, branch, assignee.
    CsatResponses,
}

impl Dataset {
    /// The path name.
    pub fn as_str(self) -> &'static str {
        match self {
            Dataset::Leads => "leads",
            Dataset::LeadStageHistory => "lead-stage-history",
            Dataset::Tickets => "tickets",
            Dataset::CsatResponses => "csat-responses",
        }
    }

    /// Parses the path name.
    pub fn parse(raw: &str) -> Option<Dataset> {
        [Dataset::Leads, Dataset::LeadStageHistory, Dataset::Tickets, Dataset::CsatResponses]
            .into_iter()
            .find(|d| d.as_str() == raw)
    }

    /// The bases a dataset takes, the default first.
    fn bases(self) -> &'static [Basis] {
        match self {
            Dataset::Leads => &[Basis::Created, Basis::Closed],
            Dataset::LeadStageHistory => &[Basis::Left, Basis::Entered],
            Dataset::Tickets => &[Basis::Resolved, Basis::Created, Basis::FirstResponse],
            Dataset::CsatResponses => &[Basis::Responded, Basis::Sent],
        }
    }
}

/// Which instant puts a row in the period (and orders the pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Lead or ticket created.
    Created,
    /// Lead closed (won or lost).
    Closed,
    /// Stay in a stage began.
    Entered,
    /// Stay in a stage ended.
    Left,
    /// Ticket resolved (latest resolution).
    Resolved,
    /// Ticket's first public agent reply.
    FirstResponse,
    /// Survey sent.
    Sent,
    /// Survey answered.
    Responded,
}

impl SortKey for Basis {
    const ALL: &'static [(&'static str, Self)] = &[
        ("created", Basis::Created),
        ("closed", Basis::Closed),
        ("entered", Basis::Entered),
        ("left", Basis::Left),
        ("resolved", Basis::Resolved),
        ("first_response", Basis::FirstResponse),
        ("sent", Basis::Sent),
        ("responded", Basis::Responded),
    ];
    const DEFAULT: (Self, page::Direction) = (Basis::Created, page::Direction::Asc);
}

/// Parameters of an export.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// First local day of the period (company time zone); as the reports.
    pub from: Option<NaiveDate>,
    /// Last local day, included.
    pub to: Option<NaiveDate>,
    /// Which instant falls in the period: leads `created` (default) or
    /// `closed`; stage history `left` (default) or `entered`; tickets
    /// `resolved` (default), `created` or `first_response`; CSAT
    /// `responded` (default) or `sent`.
    pub basis: Option<String>,
    /// Only this division.
    pub division_id: Option<String>,
    /// Only this branch.
    pub branch_id: Option<String>,
    /// Only this user (lead owner, ticket assignee).
    pub user_id: Option<String>,
    /// Rows per page, 1–5,000 (default 500).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One stay of a lead in a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, QueryableByName)]
pub struct StageStay {
    /// The history row.
    #[diesel(sql_type = Text)]
    pub id: String,
    /// The lead.
    #[diesel(sql_type = Text)]
    pub lead_id: String,
    /// The stage it came from; none for the first.
    #[diesel(sql_type = Nullable<Text>)]
    pub from_stage_id: Option<String>,
    /// The stage of this stay.
    #[diesel(sql_type = Text)]
    pub to_stage_id: String,
    /// Who moved it.
    #[diesel(sql_type = Nullable<Text>)]
    pub moved_by: Option<String>,
    /// Entered the stage.
    #[diesel(sql_type = Timestamp)]
    #[serde(with = "utc")]
    #[schema(value_type = DateTime<Utc>)]
    pub entered_at: NaiveDateTime,
    /// Left it; none while it is there.
    #[diesel(sql_type = Nullable<Timestamp>)]
    #[serde(with = "utc_opt")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub left_at: Option<NaiveDateTime>,
}

/// A lead as the sales reports count it, with its stage history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LeadRecord {
    /// The lead's columns.
    #[serde(flatten)]
    pub lead: LeadRow,
    /// Every stay, oldest first (JSON only; CSV: the `lead-stage-history` export).
    pub stage_history: Vec<StageStay>,
}

/// A lead's columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, QueryableByName)]
pub struct LeadRow {
    /// Id.
    #[diesel(sql_type = Text)]
    pub id: String,
    /// Division.
    #[diesel(sql_type = Text)]
    pub division_id: String,
    /// Branch.
    #[diesel(sql_type = Nullable<Text>)]
    pub branch_id: Option<String>,
    /// Owner.
    #[diesel(sql_type = Nullable<Text>)]
    pub owner_id: Option<String>,
    /// Source.
    #[diesel(sql_type = Text)]
    pub source: String,
    /// Pipeline.
    #[diesel(sql_type = Text)]
    pub pipeline_id: String,
    /// Current stage.
    #[diesel(sql_type = Text)]
    pub stage_id: String,
    /// `open`, `won` or `lost`.
    #[diesel(sql_type = Text)]
    pub status: String,
    /// Lost reason.
    #[diesel(sql_type = Nullable<Text>)]
    pub lost_reason_id: Option<String>,
    /// Currency of the expected value.
    #[diesel(sql_type = Nullable<Text>)]
    pub currency: Option<String>,
    /// Expected value in minor units (kobo for NGN).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub expected_value_minor: Option<i64>,
    /// Created.
    #[diesel(sql_type = Timestamp)]
    #[serde(with = "utc")]
    #[schema(value_type = DateTime<Utc>)]
    pub created_at: NaiveDateTime,
    /// Latest close; none while open.
    #[diesel(sql_type = Nullable<Timestamp>)]
    #[serde(with = "utc_opt")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub closed_at: Option<NaiveDateTime>,
}

/// A ticket as the service reports count it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, QueryableByName)]
pub struct TicketRecord {
    /// Id.
    #[diesel(sql_type = Text)]
    pub id: String,
    /// Number, e.g. `MOT-000123`.
    #[diesel(sql_type = Text)]
    pub number: String,
    /// Division.
    #[diesel(sql_type = Text)]
    pub division_id: String,
    /// Branch.
    #[diesel(sql_type = Nullable<Text>)]
    pub branch_id: Option<String>,
    /// Queue.
    #[diesel(sql_type = Nullable<Text>)]
    pub queue_id: Option<String>,
    /// Category.
    #[diesel(sql_type = Text)]
    pub category_id: String,
    /// Priority.
    #[diesel(sql_type = Text)]
    pub priority: String,
    /// Status now.
    #[diesel(sql_type = Text)]
    pub status: String,
    /// Assignee.
    #[diesel(sql_type = Nullable<Text>)]
    pub assignee_id: Option<String>,
    /// Logged.
    #[diesel(sql_type = Timestamp)]
    #[serde(with = "utc")]
    #[schema(value_type = DateTime<Utc>)]
    pub created_at: NaiveDateTime,
    /// First public agent reply.
    #[diesel(sql_type = Nullable<Timestamp>)]
    #[serde(with = "utc_opt")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub first_responded_at: Option<NaiveDateTime>,
    /// Latest resolution.
    #[diesel(sql_type = Nullable<Timestamp>)]
    #[serde(with = "utc_opt")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub resolved_at: Option<NaiveDateTime>,
    /// Reopens.
    #[diesel(sql_type = Integer)]
    pub reopen_count: i32,
    /// Agent touches.
    #[diesel(sql_type = Integer)]
    pub agent_touches: i32,
    /// Resolved at first contact (set when resolved).
    #[diesel(sql_type = Nullable<Bool>)]
    pub first_contact_resolution: Option<bool>,
    /// The calendar business time is measured on; none: round the clock.
    #[diesel(sql_type = Nullable<Text>)]
    pub calendar_id: Option<String>,
    /// One business day on it, in seconds.
    #[diesel(sql_type = Nullable<Integer>)]
    pub business_day_seconds: Option<i32>,
    /// Business seconds from logging to the first response.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub first_response_business_seconds: Option<i64>,
    /// Business seconds from logging to the latest resolution.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub resolution_business_seconds: Option<i64>,
    /// The SLA policy, if one applies.
    #[diesel(sql_type = Nullable<Text>)]
    pub sla_policy_id: Option<String>,
    /// First-response due.
    #[diesel(sql_type = Nullable<Timestamp>)]
    #[serde(with = "utc_opt")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub first_response_due_at: Option<NaiveDateTime>,
    /// Resolution due.
    #[diesel(sql_type = Nullable<Timestamp>)]
    #[serde(with = "utc_opt")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub resolution_due_at: Option<NaiveDateTime>,
    /// First-response target missed.
    #[diesel(sql_type = Nullable<Bool>)]
    pub response_breached: Option<bool>,
    /// Resolution target missed.
    #[diesel(sql_type = Nullable<Bool>)]
    pub resolution_breached: Option<bool>,
}

/// A CSAT survey and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema, QueryableByName)]
pub struct CsatRecord {
    /// The survey.
    #[diesel(sql_type = Text)]
    pub id: String,
    /// Its ticket.
    #[diesel(sql_type = Text)]
    pub ticket_id: String,
    /// The ticket's division.
    #[diesel(sql_type = Text)]
    pub division_id: String,
    /// The ticket's branch.
    #[diesel(sql_type = Nullable<Text>)]
    pub branch_id: Option<String>,
    /// The ticket's assignee.
    #[diesel(sql_type = Nullable<Text>)]
    pub assignee_id: Option<String>,
    /// Sent.
    #[diesel(sql_type = Timestamp)]
    #[serde(with = "utc")]
    #[schema(value_type = DateTime<Utc>)]
    pub sent_at: NaiveDateTime,
    /// Rating 1–5; none while unanswered.
    #[diesel(sql_type = Nullable<Integer>)]
    pub rating: Option<i32>,
    /// Answered.
    #[diesel(sql_type = Nullable<Timestamp>)]
    #[serde(with = "utc_opt")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub responded_at: Option<NaiveDateTime>,
}

/// A page of one dataset.
#[derive(Debug, Clone)]
pub enum Export {
    /// Leads.
    Leads(Page<LeadRecord>),
    /// Stays.
    LeadStageHistory(Page<StageStay>),
    /// Tickets.
    Tickets(Page<TicketRecord>),
    /// CSAT surveys.
    CsatResponses(Page<CsatRecord>),
}

/// Stored instants written as RFC 3339 UTC, as everywhere in the API.
mod utc {
    use chrono::NaiveDateTime;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(v: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.and_utc().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    }
}

mod utc_opt {
    use chrono::NaiveDateTime;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(v: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => super::utc::serialize(v, s),
            None => s.serialize_none(),
        }
    }
}

/// The rows of `dataset` in the period, one page.
pub fn export(conn: &mut Conn, reach: &Reach, clock: Clock, dataset: Dataset, query: &ExportQuery) -> Result<Export> {
    let bases = dataset.bases();
    let basis = match query.basis.as_deref() {
        None => bases[0],
        Some(raw) => {
            Basis::ALL.iter().find(|(name, b)| *name == raw && bases.contains(b)).map(|(_, b)| *b).ok_or_else(|| {
                let accepted: Vec<&str> = bases.iter().map(|b| b.name()).collect();
                Error::InvalidQuery(vec![FieldError::new(
                    "basis",
                    "unknown_basis",
                    format!("`{raw}` is not a basis of {}; accepted: {}", dataset.as_str(), accepted.join(", ")),
                )])
            })?
        }
    };
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::InvalidQuery(vec![FieldError::new(
            "limit",
            "out_of_range",
            format!("limit must be between 1 and {MAX_LIMIT}, got {limit}"),
        )]));
    }
    let mut page = PageRequest::<Basis>::parse(None, Some(basis.name()), query.cursor.as_deref())?;
    page.limit = limit;
    let report_query = MetricsQuery {
        from: query.from,
        to: query.to,
        division_id: query.division_id.clone(),
        branch_id: query.branch_id.clone(),
        user_id: query.user_id.clone(),
        ..MetricsQuery::default()
    };
    let filters = Filters::resolve(conn, reach, clock, &report_query, Kpi::Conversion)?;
    let after = page.after_instant()?;
    let key = |at: NaiveDateTime, id: &str| (page::instant_value(at), id.to_owned());
    match dataset {
        Dataset::Leads => {
            let column = if basis == Basis::Closed { "l.closed_at" } else { "l.created_at" };
            let mut sql = Sql::new(conn);
            sql.push(
                "SELECT l.id, l.division_id, l.branch_id, l.owner_id, l.source, l.pipeline_id, l.stage_id, l.status, \
                 l.lost_reason_id, l.currency, l.expected_value_minor, l.created_at, l.closed_at \
                 FROM leads l WHERE l.archived_at IS NULL",
            );
            if basis == Basis::Closed {
                sql.push(" AND l.status IN ('won', 'lost')");
            }
            lead_scope(&mut sql, &filters);
            keyset(&mut sql, &filters, column, "l.id", after.as_ref(), page.fetch_limit());
            let rows: Vec<LeadRow> = sql.load(conn)?;
            let rows = page.finish(rows, |r| {
                key(if basis == Basis::Closed { r.closed_at.unwrap_or(r.created_at) } else { r.created_at }, &r.id)
            });
            Ok(Export::Leads(with_history(conn, rows)?))
        }
        Dataset::LeadStageHistory => {
            let column = if basis == Basis::Entered { "h.entered_at" } else { "h.left_at" };
            let mut sql = Sql::new(conn);
            sql.push(
                "SELECT h.id, h.lead_id, h.from_stage_id, h.to_stage_id, h.moved_by, h.entered_at, h.left_at \
                 FROM lead_stage_history h JOIN leads l ON l.id = h.lead_id WHERE l.archived_at IS NULL",
            );
            lead_scope(&mut sql, &filters);
            keyset(&mut sql, &filters, column, "h.id", after.as_ref(), page.fetch_limit());
            let rows: Vec<StageStay> = sql.load(conn)?;
            Ok(Export::LeadStageHistory(page.finish(rows, |r| {
                key(if basis == Basis::Entered { r.entered_at } else { r.left_at.unwrap_or(r.entered_at) }, &r.id)
            })))
        }
        Dataset::Tickets => {
            let column = match basis {
                Basis::Created => "t.created_at",
                Basis::FirstResponse => "t.first_responded_at",
                _ => "t.resolved_at",
            };
            let mut sql = Sql::new(conn);
            sql.push(
                "SELECT t.id, t.number, t.division_id, t.branch_id, t.queue_id, t.category_id, t.priority, t.status, \
                 t.assignee_id, t.created_at, t.first_responded_at, t.resolved_at, t.reopen_count, t.agent_touches, \
                 t.first_contact_resolution, t.calendar_id, t.business_day_seconds, t.first_response_business_seconds, \
                 t.resolution_business_seconds, s.sla_policy_id, s.first_response_due_at, s.resolution_due_at, \
                 s.response_breached, s.resolution_breached \
                 FROM tickets t LEFT JOIN ticket_slas s ON s.ticket_id = t.id WHERE t.archived_at IS NULL",
            );
            ticket_scope(&mut sql, &filters);
            keyset(&mut sql, &filters, column, "t.id", after.as_ref(), page.fetch_limit());
            let rows: Vec<TicketRecord> = sql.load(conn)?;
            Ok(Export::Tickets(page.finish(rows, |r| {
                let at = match basis {
                    Basis::Created => Some(r.created_at),
                    Basis::FirstResponse => r.first_responded_at,
                    _ => r.resolved_at,
                };
                key(at.unwrap_or(r.created_at), &r.id)
            })))
        }
        Dataset::CsatResponses => {
            let column = if basis == Basis::Sent { "c.sent_at" } else { "c.responded_at" };
            let mut sql = Sql::new(conn);
            sql.push(
                "SELECT c.id, c.ticket_id, t.division_id, t.branch_id, t.assignee_id, c.sent_at, c.rating, c.responded_at \
                 FROM csat_surveys c JOIN tickets t ON t.id = c.ticket_id WHERE t.archived_at IS NULL",
            );
            if basis == Basis::Responded {
                sql.push(" AND c.rating IS NOT NULL");
            }
            ticket_scope(&mut sql, &filters);
            keyset(&mut sql, &filters, column, "c.id", after.as_ref(), page.fetch_limit());
            let rows: Vec<CsatRecord> = sql.load(conn)?;
            Ok(Export::CsatResponses(page.finish(rows, |r| {
                key(if basis == Basis::Sent { r.sent_at } else { r.responded_at.unwrap_or(r.sent_at) }, &r.id)
            })))
        }
    }
}

fn lead_scope(sql: &mut Sql, filters: &Filters) {
    sql.eq_opt("l.division_id", filters.division_id.as_deref());
    sql.eq_opt("l.branch_id", filters.branch_id.as_deref());
    sql.eq_opt("l.owner_id", filters.user_id.as_deref());
}

fn ticket_scope(sql: &mut Sql, filters: &Filters) {
    sql.eq_opt("t.division_id", filters.division_id.as_deref());
    sql.eq_opt("t.branch_id", filters.branch_id.as_deref());
    sql.eq_opt("t.assignee_id", filters.user_id.as_deref());
}

/// The period on `column`, after the cursor, in key order, one page.
fn keyset(
    sql: &mut Sql,
    filters: &Filters,
    column: &str,
    id: &str,
    after: Option<&(NaiveDateTime, String)>,
    fetch: i64,
) {
    sql.within(column, &filters.period);
    if let Some((at, last)) = after {
        sql.push(&format!(" AND ({column} > ")).instant(*at);
        sql.push(&format!(" OR ({column} = ")).instant(*at);
        sql.push(&format!(" AND {id} > ")).text(last).push("))");
    }
    sql.push(&format!(" ORDER BY {column}, {id} LIMIT {fetch}"));
}

/// The page's leads with their stage histories, read in one query.
fn with_history(conn: &mut Conn, leads: Page<LeadRow>) -> Result<Page<LeadRecord>> {
    let mut stays: HashMap<String, Vec<StageStay>> = HashMap::new();
    if !leads.items.is_empty() {
        let mut sql = Sql::new(conn);
        sql.push(
            "SELECT h.id, h.lead_id, h.from_stage_id, h.to_stage_id, h.moved_by, h.entered_at, h.left_at \
             FROM lead_stage_history h WHERE h.lead_id IN (",
        );
        for (i, lead) in leads.items.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.text(&lead.id);
        }
        sql.push(") ORDER BY h.lead_id, h.entered_at, h.id");
        let rows: Vec<StageStay> = sql.load(conn)?;
        for stay in rows {
            stays.entry(stay.lead_id.clone()).or_default().push(stay);
        }
    }
    Ok(leads.map(|lead| {
        let stage_history = stays.remove(&lead.id).unwrap_or_default();
        LeadRecord { lead, stage_history }
    }))
}
