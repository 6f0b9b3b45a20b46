//! The catalogue of reports: names, which measure is the headline, and
//! which computation answers each.

use rapport_core::Result;
use rapport_core::db::Conn;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::filters::Filters;
use crate::report::Report;
use crate::{customers, follow_ups, quality, rfm, sales, service, targets};

/// A report. Each is defined in `docs/metrics.md` under the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kpi {
    /// Sales conversion: the created-in-period cohort now won, and the
    /// closed-in-period win rate.
    Conversion,
    /// Days from creation to win, for leads won in the period.
    CycleLength,
    /// Open leads and expected value by stage, now.
    Pipeline,
    /// Time spent in each stage (count, mean, duration bands), for stays
    /// that ended in the period.
    StageDurations,
    /// Leads closed in the period by lost reason and by source.
    WinLoss,
    /// Per owner: leads created, won, lost, win rate and won value.
    Leaderboard,
    /// Follow-ups done by their due date ÷ follow-ups due, and the overdue now.
    FollowUpCompliance,
    /// Business days from logging to resolution, tickets resolved in the period.
    ResolutionTime,
    /// Business hours from logging to the first public agent reply.
    FirstResponseTime,
    /// Share of tickets resolved in the period within their SLA targets.
    SlaCompliance,
    /// Tickets not yet resolved, now; and the period's inflow and outflow.
    Backlog,
    /// Share of the period's resolutions that were reopened later.
    ReopenRate,
    /// Satisfied CSAT responses ÷ responses.
    Csat,
    /// Tickets resolved at first contact ÷ tickets resolved.
    Fcr,
    /// Average handle time of agent-handled interactions on tickets.
    HandleTime,
    /// Customers who bought in the previous period and again in this one.
    Retention,
    /// Customers with two or more purchases ÷ customers with one or more.
    RepeatPurchase,
    /// Customers by recency, frequency and monetary score and segment.
    Rfm,
    /// Historical customer lifetime value: purchases per customer.
    LifetimeValue,
    /// Customers of one division with no purchase in another.
    CrossSell,
    /// Assets by service status (ok, due soon, overdue), now.
    ServiceDue,
    /// Share of live customers with each profile field filled in, now.
    Completeness,
    /// Customers sharing a phone or an email with another, now.
    Duplicates,
    /// Stored phones not in E.164 and emails not shaped like one, now.
    InvalidContacts,
}

/// Whether a higher value of the headline is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More is better (conversion, CSAT).
    HigherIsBetter,
    /// Less is better (resolution time, reopen rate).
    LowerIsBetter,
}

impl Kpi {
    /// Every report, in catalogue order.
    pub const ALL: [Kpi; 24] = [
        Kpi::Conversion,
        Kpi::CycleLength,
        Kpi::Pipeline,
        Kpi::StageDurations,
        Kpi::WinLoss,
        Kpi::Leaderboard,
        Kpi::FollowUpCompliance,
        Kpi::ResolutionTime,
        Kpi::FirstResponseTime,
        Kpi::SlaCompliance,
        Kpi::Backlog,
        Kpi::ReopenRate,
        Kpi::Csat,
        Kpi::Fcr,
        Kpi::HandleTime,
        Kpi::Retention,
        Kpi::RepeatPurchase,
        Kpi::Rfm,
        Kpi::LifetimeValue,
        Kpi::CrossSell,
        Kpi::ServiceDue,
        Kpi::Completeness,
        Kpi::Duplicates,
        Kpi::InvalidContacts,
    ];

    /// The serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kpi::Conversion => "conversion",
            Kpi::CycleLength => "cycle_length",
            Kpi::Pipeline => "pipeline",
            Kpi::StageDurations => "stage_durations",
            Kpi::WinLoss => "win_loss",
            Kpi::Leaderboard => "leaderboard",
            Kpi::FollowUpCompliance => "follow_up_compliance",
            Kpi::ResolutionTime => "resolution_time",
            Kpi::FirstResponseTime => "first_response_time",
            Kpi::SlaCompliance => "sla_compliance",
            Kpi::Backlog => "backlog",
            Kpi::ReopenRate => "reopen_rate",
            Kpi::Csat => "csat",
            Kpi::Fcr => "fcr",
            Kpi::HandleTime => "handle_time",
            Kpi::Retention => "retention",
            Kpi::RepeatPurchase => "repeat_purchase",
            Kpi::Rfm => "rfm",
            Kpi::LifetimeValue => "lifetime_value",
            Kpi::CrossSell => "cross_sell",
            Kpi::ServiceDue => "service_due",
            Kpi::Completeness => "completeness",
            Kpi::Duplicates => "duplicates",
            Kpi::InvalidContacts => "invalid_contacts",
        }
    }

    /// Parses the serialised name.
    pub fn parse(raw: &str) -> Option<Kpi> {
        Kpi::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// Whether the report is over tickets (and takes `queue_id`).
    pub fn is_service(self) -> bool {
        matches!(
            self,
            Kpi::ResolutionTime
                | Kpi::FirstResponseTime
                | Kpi::SlaCompliance
                | Kpi::Backlog
                | Kpi::ReopenRate
                | Kpi::Csat
                | Kpi::Fcr
                | Kpi::HandleTime
        )
    }

    /// Whether the report describes the present, not a period.
    pub fn is_snapshot(self) -> bool {
        matches!(self, Kpi::Pipeline | Kpi::ServiceDue | Kpi::Completeness | Kpi::Duplicates | Kpi::InvalidContacts)
    }

    /// Whether the report takes `group_by`: not the snapshots, nor the
    /// customer reports, which measure customers up to the period's end
    /// (a series would be the whole report again per bucket).
    pub fn takes_series(self) -> bool {
        !self.is_snapshot()
            && !matches!(self, Kpi::Retention | Kpi::RepeatPurchase | Kpi::Rfm | Kpi::LifetimeValue | Kpi::CrossSell)
    }

    /// Whether the report takes `branch_id`: not those over customers as
    /// a whole or their assets, which belong to no branch (purchases do).
    pub fn takes_branch(self) -> bool {
        !matches!(self, Kpi::CrossSell | Kpi::ServiceDue | Kpi::Completeness | Kpi::Duplicates | Kpi::InvalidContacts)
    }

    /// The measure a target applies to, and which way is better.
    pub fn headline(self) -> (&'static str, Direction) {
        use Direction::{HigherIsBetter as Up, LowerIsBetter as Down};
        match self {
            Kpi::Conversion => ("cohort_rate", Up),
            Kpi::CycleLength => ("mean_days", Down),
            Kpi::Pipeline => ("open_leads", Up),
            Kpi::StageDurations => ("mean_days", Down),
            Kpi::WinLoss => ("win_rate", Up),
            Kpi::Leaderboard => ("win_rate", Up),
            Kpi::FollowUpCompliance => ("rate", Up),
            Kpi::ResolutionTime => ("mean_business_days", Down),
            Kpi::FirstResponseTime => ("mean_business_hours", Down),
            Kpi::SlaCompliance => ("resolution_compliance", Up),
            Kpi::Backlog => ("unresolved", Down),
            Kpi::ReopenRate => ("rate", Down),
            Kpi::Csat => ("rate", Up),
            Kpi::Fcr => ("rate", Up),
            Kpi::HandleTime => ("mean_seconds", Down),
            Kpi::Retention => ("rate", Up),
            Kpi::RepeatPurchase => ("rate", Up),
            Kpi::Rfm => ("champions", Up),
            Kpi::LifetimeValue => ("mean_value", Up),
            Kpi::CrossSell => ("multi_division_rate", Up),
            Kpi::ServiceDue => ("overdue_rate", Down),
            Kpi::Completeness => ("complete_rate", Up),
            Kpi::Duplicates => ("duplicate_rate", Down),
            Kpi::InvalidContacts => ("rate", Down),
        }
    }

    /// Whether the headline measure is a percentage (its target is 0–100).
    pub fn headline_is_percent(self) -> bool {
        matches!(
            self,
            Kpi::Conversion
                | Kpi::WinLoss
                | Kpi::Leaderboard
                | Kpi::SlaCompliance
                | Kpi::ReopenRate
                | Kpi::Csat
                | Kpi::Fcr
                | Kpi::Retention
                | Kpi::RepeatPurchase
                | Kpi::Rfm
                | Kpi::CrossSell
                | Kpi::ServiceDue
                | Kpi::Completeness
                | Kpi::Duplicates
                | Kpi::InvalidContacts
        )
    }

    /// The section of `docs/metrics.md` that defines it.
    pub fn definition(self) -> String {
        let anchor = match self {
            Kpi::WinLoss => "winloss",
            Kpi::Fcr => "first-contact-resolution-fcr",
            Kpi::HandleTime => "handle-time-aht",
            Kpi::Rfm => "rfm-segments",
            Kpi::CrossSell => "cross-sell-gaps",
            other => return format!("docs/metrics.md#{}", other.as_str().replace('_', "-")),
        };
        format!("docs/metrics.md#{anchor}")
    }

    /// The report as a dashboard tile shows it. The duration reports carry
    /// their count and mean there (from the kept counts, where they apply):
    /// their medians and p90 rank every row of the period, too slow for a
    /// dashboard at scale, and stay in the reports.
    pub(crate) fn tile(self, conn: &mut Conn, filters: &Filters) -> Result<Report> {
        let mut report = match self {
            Kpi::CycleLength => sales::cycle_length_headline(conn, filters),
            Kpi::ResolutionTime => service::resolution_time_headline(conn, filters),
            Kpi::FirstResponseTime => service::first_response_time_headline(conn, filters),
            other => return other.compute(conn, filters),
        }?;
        report.target = targets::status(conn, self, filters.division_id.as_deref(), &report)?;
        Ok(report)
    }

    pub(crate) fn compute(self, conn: &mut Conn, filters: &Filters) -> Result<Report> {
        let mut report = match self {
            Kpi::Conversion => sales::conversion(conn, filters),
            Kpi::CycleLength => sales::cycle_length(conn, filters),
            Kpi::Pipeline => sales::pipeline(conn, filters),
            Kpi::StageDurations => sales::stage_durations(conn, filters),
            Kpi::WinLoss => sales::win_loss(conn, filters),
            Kpi::Leaderboard => sales::leaderboard(conn, filters),
            Kpi::FollowUpCompliance => follow_ups::compliance(conn, filters),
            Kpi::ResolutionTime => service::resolution_time(conn, filters),
            Kpi::FirstResponseTime => service::first_response_time(conn, filters),
            Kpi::SlaCompliance => service::sla_compliance(conn, filters),
            Kpi::Backlog => service::backlog(conn, filters),
            Kpi::ReopenRate => service::reopen_rate(conn, filters),
            Kpi::Csat => service::csat(conn, filters),
            Kpi::Fcr => service::fcr(conn, filters),
            Kpi::HandleTime => service::handle_time(conn, filters),
            Kpi::Retention => customers::retention(conn, filters),
            Kpi::RepeatPurchase => customers::repeat_purchase(conn, filters),
            Kpi::Rfm => rfm::report(conn, filters),
            Kpi::LifetimeValue => customers::lifetime_value(conn, filters),
            Kpi::CrossSell => customers::cross_sell(conn, filters),
            Kpi::ServiceDue => customers::service_due(conn, filters),
            Kpi::Completeness => quality::completeness(conn, filters),
            Kpi::Duplicates => quality::duplicates(conn, filters),
            Kpi::InvalidContacts => quality::invalid_contacts(conn, filters),
        }?;
        report.target = targets::status(conn, self, filters.division_id.as_deref(), &report)?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every report links to a section of the contract that exists.
    #[test]
    fn every_definition_is_a_heading_of_the_metrics_document() {
        let doc = include_str!("../../../docs/metrics.md");
        let anchors: Vec<String> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("### "))
            .map(|h| {
                h.to_lowercase()
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
                    .map(|c| if c == ' ' { '-' } else { c })
                    .collect()
            })
            .collect();
        for kpi in Kpi::ALL {
            let definition = kpi.definition();
            let anchor = definition.split('#').nth(1).unwrap_or_default();
            assert!(anchors.iter().any(|a| a == anchor), "{} has no section `{anchor}` in {anchors:?}", kpi.as_str());
        }
    }
}
