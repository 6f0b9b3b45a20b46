//! The metrics domain: the KPIs the CRM plan is judged by, as
//! `docs/metrics.md` defines them (that document is the contract; the code
//! follows it).
//!
//! Every report is computed by aggregates in SQL on either backend: rows
//! are counted, summed and ranked in the database, and only the resulting
//! integers reach Rust, where ratios and means are taken with exact
//! decimals. A report takes one [`MetricsQuery`] (period in the company
//! time zone, division, branch, user, queue, `group_by`) and answers one
//! [`Report`]: measures with their numerator and denominator, a series per
//! bucket, a breakdown, the target status and a link to the records.

mod assemble;
mod customers;
pub mod export;
mod filters;
mod follow_ups;
mod kpi;
mod labels;
mod period;
mod quality;
mod report;
mod rfm;
pub mod rollups;
mod sales;
mod service;
mod sql;
pub mod targets;

pub use filters::{AppliedFilters, Filters, GroupBy, MetricsQuery};
pub use kpi::{Direction, Kpi};
pub use period::Period;
pub use report::{BreakdownRow, Measure, Report, SeriesPoint, Unit};
pub use rfm::RfmThresholds;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use diesel::Connection as _;
use rapport_core::db::Conn;
use rapport_core::principal::Reach;
use rapport_core::{Error, FieldError, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where and when a report is asked: the company time zone its days are
/// measured in, and the instant "now" for snapshots and default periods.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// The company time zone (`RAPPORT_COMPANY_TIME_ZONE`).
    pub tz: Tz,
    /// The present instant.
    pub now: DateTime<Utc>,
}

/// The reports on the dashboard, in display order.
const DASHBOARD: [Kpi; 12] = [
    Kpi::Conversion,
    Kpi::CycleLength,
    Kpi::Pipeline,
    Kpi::FollowUpCompliance,
    Kpi::ResolutionTime,
    Kpi::FirstResponseTime,
    Kpi::SlaCompliance,
    Kpi::Backlog,
    Kpi::ReopenRate,
    Kpi::Csat,
    Kpi::Fcr,
    Kpi::HandleTime,
];

/// One report's headline on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Tile {
    /// Which report (`GET /api/v1/metrics/reports/{kpi}` has the rest).
    pub kpi: Kpi,
    /// Its title.
    pub title: String,
    /// Where the definition lives.
    pub definition: String,
    /// The report's measures over the period.
    pub measures: Vec<Measure>,
    /// The target and where the headline stands.
    pub target: Option<targets::TargetStatus>,
    /// The list of the records behind it, where one exists.
    pub records: Option<String>,
}

/// The headline KPIs for the caller's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Dashboard {
    /// The filters applied (the caller's scope folded in).
    pub filters: AppliedFilters,
    /// One tile per headline report.
    pub tiles: Vec<Tile>,
}

/// The dashboard: the headline of each report in [`DASHBOARD`] over one
/// period and scope. It takes no `group_by` or `queue_id` (open a report
/// for those).
pub fn dashboard(conn: &mut Conn, reach: &Reach, clock: Clock, query: &MetricsQuery) -> Result<Dashboard> {
    let mut errors = Vec::new();
    if query.group_by.is_some() {
        errors.push(FieldError::new("group_by", "not_applicable", "the dashboard has no series; open a report"));
    }
    if query.queue_id.is_some() {
        errors.push(FieldError::new(
            "queue_id",
            "not_applicable",
            "the dashboard covers sales too; open a service report",
        ));
    }
    if !errors.is_empty() {
        return Err(Error::InvalidQuery(errors));
    }
    analytical(conn, |conn| {
        let filters = Filters::resolve(conn, reach, clock, query, Kpi::Conversion)?;
        let mut tiles = Vec::with_capacity(DASHBOARD.len());
        for kpi in DASHBOARD {
            let report = kpi.tile(conn, &filters)?;
            tiles.push(Tile {
                kpi,
                title: report.title,
                definition: report.definition,
                measures: report.measures,
                target: report.target,
                records: report.records,
            });
        }
        Ok(Dashboard { filters: filters.applied(), tiles })
    })
}

/// Computes report `kpi` for the caller's `reach` and `query`.
pub fn report(conn: &mut Conn, reach: &Reach, clock: Clock, kpi: Kpi, query: &MetricsQuery) -> Result<Report> {
    analytical(conn, |conn| {
        let filters = Filters::resolve(conn, reach, clock, query, kpi)?;
        kpi.compute(conn, &filters)
    })
}

/// Sort memory for one report's statements on PostgreSQL: ranking a year
/// of resolutions (median, p90) spills to disk at the 4 MB default and
/// takes three times as long.
const REPORT_WORK_MEM: &str = "64MB";

/// Runs a report's statements in one read transaction: they all see the
/// same snapshot, so the measures of one report agree with each other;
/// on PostgreSQL with [`REPORT_WORK_MEM`] of sort memory for it alone, and
/// without JIT compilation: the statements read kept counts or walk
/// indexes, but a row estimate off by thousands (a partial index's
/// selectivity) makes the planner compile one, which cost 20-40 ms of a
/// 27 ms statement.
fn analytical<T>(conn: &mut Conn, body: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
    conn.transaction(|conn| {
        if matches!(conn, Conn::Postgres(_)) {
            sql::Sql::new(conn).push(&format!("SET LOCAL work_mem = '{REPORT_WORK_MEM}'")).execute(conn)?;
            sql::Sql::new(conn).push("SET LOCAL jit = off").execute(conn)?;
        }
        body(conn)
    })
}
