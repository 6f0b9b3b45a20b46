//! What a report is asked for: the query parameters every report takes,
//! checked and narrowed to the caller's scope.

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::{branches, divisions, ticket_queues, users};
use rapport_core::principal::{Reach, Scope};
use rapport_core::{Error, FieldError, Result};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::period::Period;
use crate::rfm::RfmThresholds;
use crate::{Clock, Kpi};

/// The longest period a report covers: ten years of days.
const MAX_PERIOD_DAYS: u64 = 3_660;

/// The length of the default period, ending today.
const DEFAULT_PERIOD_DAYS: u64 = 30;

/// Time-series granularity: calendar days, ISO weeks (from Monday) or
/// calendar months, in the company time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One bucket per local day.
    Day,
    /// One bucket per ISO week (Monday to Sunday).
    Week,
    /// One bucket per calendar month.
    Month,
}

/// The parameters every report takes. Dates are local days in the company
/// time zone, both ends included.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    /// First day of the period (`YYYY-MM-DD`, company time zone); default:
    /// 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day of the period, included; default: today.
    pub to: Option<NaiveDate>,
    /// Only this division (a division-scoped caller: their own only).
    pub division_id: Option<String>,
    /// Only this branch.
    pub branch_id: Option<String>,
    /// Only this user: a lead's owner, a ticket's assignee, an
    /// interaction's agent, a customer's owner. A caller who sees only
    /// their own: themselves.
    pub user_id: Option<String>,
    /// Only this team: a ticket queue (service reports only).
    pub queue_id: Option<String>,
    /// Add a time series with one bucket per day, week or month.
    pub group_by: Option<GroupBy>,
    /// `rfm` only: the recency cut-offs, three ascending numbers of days
    /// from the last purchase to the period's last day (R4 up to the
    /// first, R3 up to the second, R2 up to the third, R1 beyond); default
    /// `30,90,365`.
    #[param(example = "30,90,365")]
    pub rfm_recency_days: Option<String>,
    /// `rfm` only: the frequency cut-offs, three ascending numbers of
    /// purchases (F2 from the first, F3 from the second, F4 from the
    /// third); default `2,5,10`.
    #[param(example = "2,5,10")]
    pub rfm_frequency: Option<String>,
    /// `rfm` only: the monetary cut-offs, three ascending amounts in the
    /// main currency (M2 from the first, M3 from the second, M4 from the
    /// third); default `100000,1000000,10000000`.
    #[param(example = "100000,1000000,10000000")]
    pub rfm_monetary: Option<String>,
}

/// A checked query: the period resolved to instants, the scope folded in.
#[derive(Debug, Clone)]
pub struct Filters {
    /// The period and its time zone.
    pub period: Period,
    /// Division filter (requested or imposed by scope).
    pub division_id: Option<String>,
    /// Branch filter.
    pub branch_id: Option<String>,
    /// User filter (requested or imposed by scope).
    pub user_id: Option<String>,
    /// Queue filter.
    pub queue_id: Option<String>,
    /// Series granularity.
    pub group_by: Option<GroupBy>,
    /// Present instant, for snapshots.
    pub clock: Clock,
    /// The RFM cut-offs (the `rfm` report only).
    pub rfm: Option<RfmThresholds>,
    /// Whether the reports may read the counts the database keeps
    /// ([`crate::rollups`]) rather than sum the rows.
    pub(crate) counts_kept: bool,
}

impl Filters {
    /// Checks `query` for `kpi` and narrows it to what `reach` may see. A
    /// division, branch, user or queue that does not exist or is out of
    /// scope answers 404, as a record would.
    pub fn resolve(conn: &mut Conn, reach: &Reach, clock: Clock, query: &MetricsQuery, kpi: Kpi) -> Result<Filters> {
        let mut errors = Vec::new();
        let today = clock.now.with_timezone(&clock.tz).date_naive();
        let to = query.to.unwrap_or(today);
        let from = query.from.unwrap_or_else(|| to.checked_sub_days(Days::new(DEFAULT_PERIOD_DAYS - 1)).unwrap_or(to));
        if from > to {
            errors.push(FieldError::new("to", "invalid_range", "to must not be before from"));
        } else if (to - from).num_days() >= MAX_PERIOD_DAYS as i64 {
            errors.push(FieldError::new(
                "from",
                "period_too_long",
                format!("a period spans at most {MAX_PERIOD_DAYS} days"),
            ));
        }
        if query.queue_id.is_some() && !kpi.is_service() {
            errors.push(FieldError::new("queue_id", "not_applicable", "queue_id filters service reports only"));
        }
        if query.group_by.is_some() && !kpi.takes_series() {
            let message = if kpi.is_snapshot() {
                format!("{} is a snapshot of the present, not a time series", kpi.as_str())
            } else {
                format!("{} measures customers up to the period's end and has no series", kpi.as_str())
            };
            errors.push(FieldError::new("group_by", "not_applicable", message));
        }
        if query.branch_id.is_some() && !kpi.takes_branch() {
            errors.push(FieldError::new(
                "branch_id",
                "not_applicable",
                format!("{} counts customers or assets, which belong to no branch", kpi.as_str()),
            ));
        }
        let rfm = if kpi == Kpi::Rfm {
            RfmThresholds::parse(query, &mut errors)
        } else {
            for (field, value) in [
                ("rfm_recency_days", &query.rfm_recency_days),
                ("rfm_frequency", &query.rfm_frequency),
                ("rfm_monetary", &query.rfm_monetary),
            ] {
                if value.is_some() {
                    errors.push(FieldError::new(
                        field,
                        "not_applicable",
                        format!("{field} applies to the rfm report only"),
                    ));
                }
            }
            None
        };
        if !errors.is_empty() {
            return Err(Error::InvalidQuery(errors));
        }
        let mut filters = Filters {
            period: Period::new(clock.tz, from, to),
            division_id: query.division_id.clone(),
            branch_id: query.branch_id.clone(),
            user_id: query.user_id.clone(),
            queue_id: query.queue_id.clone(),
            group_by: query.group_by,
            clock,
            rfm,
            counts_kept: false,
        };
        filters.narrow(reach)?;
        filters.check_exists(conn)?;
        filters.counts_kept = crate::rollups::counts_apply(conn, &filters.period)?;
        Ok(filters)
    }

    /// Folds the caller's scope into the filters: a narrower request stays,
    /// one outside the scope is a 404.
    fn narrow(&mut self, reach: &Reach) -> Result<()> {
        fn impose(slot: &mut Option<String>, own: Option<&str>, entity: &'static str) -> Result<()> {
            let own = own.unwrap_or_default();
            match slot.as_deref() {
                Some(asked) if asked != own => Err(Error::NotFound { entity }),
                _ => {
                    *slot = Some(own.to_owned());
                    Ok(())
                }
            }
        }
        match reach.scope {
            Scope::All => Ok(()),
            Scope::Division => impose(&mut self.division_id, reach.division_id.as_deref(), "division"),
            Scope::Branch => impose(&mut self.branch_id, reach.branch_id.as_deref(), "branch"),
            Scope::Own => impose(&mut self.user_id, Some(&reach.user_id), "user"),
        }
    }

    fn check_exists(&self, conn: &mut Conn) -> Result<()> {
        if let Some(id) = &self.division_id {
            let n: i64 = divisions::table.filter(divisions::id.eq(id)).count().get_result(conn)?;
            if n == 0 {
                return Err(Error::NotFound { entity: "division" });
            }
        }
        if let Some(id) = &self.branch_id {
            let mut q = branches::table.filter(branches::id.eq(id)).into_boxed();
            if let Some(division) = &self.division_id {
                q = q.filter(branches::division_id.eq(division));
            }
            let n: i64 = q.count().get_result(conn)?;
            if n == 0 {
                return Err(Error::NotFound { entity: "branch" });
            }
        }
        if let Some(id) = &self.user_id {
            let n: i64 = users::table.filter(users::id.eq(id)).count().get_result(conn)?;
            if n == 0 {
                return Err(Error::NotFound { entity: "user" });
            }
        }
        if let Some(id) = &self.queue_id {
            let mut q = ticket_queues::table.filter(ticket_queues::id.eq(id)).into_boxed();
            if let Some(division) = &self.division_id {
                q = q.filter(ticket_queues::division_id.eq(division));
            }
            let n: i64 = q.count().get_result(conn)?;
            if n == 0 {
                return Err(Error::NotFound { entity: "queue" });
            }
        }
        Ok(())
    }

    /// The filters as applied, for the response.
    pub fn applied(&self) -> AppliedFilters {
        AppliedFilters {
            from: self.period.from,
            to: self.period.to,
            time_zone: self.period.tz.name().to_owned(),
            division_id: self.division_id.clone(),
            branch_id: self.branch_id.clone(),
            user_id: self.user_id.clone(),
            queue_id: self.queue_id.clone(),
            group_by: self.group_by,
            rfm: self.rfm.clone(),
        }
    }

    /// The raw export of `dataset` with these filters and `basis`; none
    /// when a queue filter is set (the exports do not take one).
    pub(crate) fn export_link(&self, dataset: &str, basis: &str) -> Option<String> {
        if self.queue_id.is_some() {
            return None;
        }
        Some(format!(
            "/api/v1/exports/{dataset}?basis={basis}&from={}&to={}{}",
            self.period.from,
            self.period.to,
            self.list_filters("user_id")
        ))
    }

    /// `&division_id=…&branch_id=…&{user_param}=…` for the filters set, to
    /// append to a list URL.
    pub(crate) fn list_filters(&self, user_param: &str) -> String {
        let mut out = String::new();
        for (key, value) in
            [("division_id", &self.division_id), ("branch_id", &self.branch_id), (user_param, &self.user_id)]
        {
            if let Some(v) = value {
                out.push_str(&format!("&{key}={}", encode(v)));
            }
        }
        out
    }
}

/// Percent-encodes what is not an id character, so a link stays a link.
fn encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The filters a report was computed with, after scope was folded in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppliedFilters {
    /// First local day.
    pub from: NaiveDate,
    /// Last local day, included.
    pub to: NaiveDate,
    /// The time zone days are measured in.
    #[schema(example = "Africa/Lagos")]
    pub time_zone: String,
    /// Division.
    pub division_id: Option<String>,
    /// Branch.
    pub branch_id: Option<String>,
    /// User.
    pub user_id: Option<String>,
    /// Queue.
    pub queue_id: Option<String>,
    /// Series granularity.
    pub group_by: Option<GroupBy>,
    /// The RFM cut-offs applied (the `rfm` report only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rfm: Option<RfmThresholds>,
}
