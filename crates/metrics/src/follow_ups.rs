//! Follow-up compliance over the follow-up log the database keeps for
//! every value of `leads.next_follow_up_at` (`docs/metrics.md`,
//! "Follow-up compliance").

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Text};
use rapport_core::db::Conn;
use rapport_core::{Result, time};

use crate::assemble::Assembly;
use crate::filters::Filters;
use crate::report::{BreakdownRow, Measure, Report};
use crate::sql::{CountRow, Sql};
use crate::{GroupBy, Kpi};

const NO_FOLLOW_UPS: &str = "no follow-up fell due in the period";

/// The follow-ups that count, one row each with its bucket (or owner)
/// and whether it was met: due on a local day of the period that is over,
/// and still standing on its due day (not rescheduled or closed earlier)
/// unless a contact met it first.
fn counted(sql: &mut Sql, filters: &Filters, key: &str) {
    let day = |column: &str| sql.bucket(column, filters, Some(GroupBy::Day));
    let (due_day, closed_day, contact_day) = (day("f.due_at"), day("f.closed_at"), day("i.occurred_at"));
    sql.push(&format!(
        "SELECT {key} AS k, \
                CASE WHEN EXISTS (SELECT 1 FROM interactions i WHERE i.lead_id = f.lead_id \
                     AND i.occurred_at > f.scheduled_at AND {contact_day} <= {due_day}) THEN 1 ELSE 0 END AS met, \
                CASE WHEN f.closed_at IS NULL OR {closed_day} >= {due_day} THEN 1 ELSE 0 END AS stood \
         FROM lead_follow_ups f JOIN leads l ON l.id = f.lead_id WHERE l.archived_at IS NULL"
    ));
    sql.eq_opt("l.division_id", filters.division_id.as_deref());
    sql.eq_opt("l.branch_id", filters.branch_id.as_deref());
    sql.eq_opt("l.owner_id", filters.user_id.as_deref());
    sql.within("f.due_at", &filters.period);
    let (today, _) = time::day_bounds(filters.period.tz, filters.clock.now);
    sql.push(" AND f.due_at < ").instant(today);
}

#[derive(Debug, QueryableByName)]
struct OwnerRow {
    #[diesel(sql_type = Nullable<Text>)]
    owner: Option<String>,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    hits: i64,
}

#[derive(Debug, QueryableByName)]
struct Overdue {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// From the kept daily counts (`lead_follow_up_counts`): per `key` (a
/// bucket of the due day, or `c.owner_id`), the follow-ups that count and
/// those met, due days of the period that are over.
fn kept(sql: &mut Sql, filters: &Filters, key: &str) {
    let today = filters.clock.now.with_timezone(&filters.period.tz).date_naive();
    sql.push(&format!(
        "SELECT {key} AS k, CAST(SUM(c.due) AS BIGINT) AS n, CAST(SUM(c.met) AS BIGINT) AS hits \
         FROM lead_follow_up_counts c WHERE c.day < "
    ));
    sql.date(today).within_days("c.day", &filters.period);
    sql.eq_opt("c.division_id", filters.division_id.as_deref());
    sql.eq_opt("c.branch_id", filters.branch_id.as_deref());
    sql.eq_opt("c.owner_id", filters.user_id.as_deref());
    sql.push(&format!(" GROUP BY {key} HAVING SUM(c.due) <> 0"));
}

/// Follow-ups met by their due day ÷ follow-ups due in the period; the
/// open follow-ups overdue now; per owner.
pub(crate) fn compliance(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    // Per local due day, folded into the total and the buckets.
    let mut sql = Sql::new(conn);
    if filters.counts_kept {
        let key = sql.day_key("c.day");
        sql.push("SELECT k AS bucket, n, hits FROM (");
        kept(&mut sql, filters, &key);
        sql.push(") x");
    } else {
        let key = sql.day_key(&sql.local_day("f.due_at", filters));
        sql.push("SELECT k AS bucket, COUNT(*) AS n, CAST(COALESCE(SUM(met), 0) AS BIGINT) AS hits FROM (");
        counted(&mut sql, filters, &key);
        sql.push(") x WHERE stood = 1 OR met = 1 GROUP BY k");
    }
    let days: Vec<CountRow> = sql.load(conn)?;
    let measures = |row: Option<&CountRow>| {
        let (due, met) = row.map_or((0, 0), |r| (r.n, r.hits));
        vec![Measure::count("due", due), Measure::count("met", met), Measure::rate("rate", met, due, NO_FOLLOW_UPS)]
    };
    let records = Some(format!("/api/v1/leads?follow_up=overdue{}", filters.list_filters("owner")));
    let mut a = Assembly::new(Kpi::FollowUpCompliance, "Follow-up compliance", filters, records);
    a.measure_by_day(&days, measures);
    // Pending follow-ups carry their lead's filters and liveness.
    let mut sql = Sql::new(conn);
    sql.push("SELECT COUNT(*) AS n FROM lead_follow_ups f WHERE f.closed_at IS NULL AND f.lead_live");
    sql.eq_opt("f.division_id", filters.division_id.as_deref());
    sql.eq_opt("f.branch_id", filters.branch_id.as_deref());
    sql.eq_opt("f.owner_id", filters.user_id.as_deref());
    let (today, _) = time::day_bounds(filters.period.tz, filters.clock.now);
    sql.push(" AND f.due_at < ").instant(today);
    let overdue: Vec<Overdue> = sql.load(conn)?;
    a.measures.push(Measure::count("overdue_now", overdue.first().map_or(0, |r| r.n)));
    let mut sql = Sql::new(conn);
    if filters.counts_kept {
        sql.push("SELECT NULLIF(k, '') AS owner, n, hits FROM (");
        kept(&mut sql, filters, "c.owner_id");
        sql.push(") x");
    } else {
        sql.push("SELECT k AS owner, COUNT(*) AS n, CAST(COALESCE(SUM(met), 0) AS BIGINT) AS hits FROM (");
        counted(&mut sql, filters, "l.owner_id");
        sql.push(") x WHERE stood = 1 OR met = 1 GROUP BY k");
    }
    let owners: Vec<OwnerRow> = sql.load(conn)?;
    let names = crate::labels::users(conn, owners.iter().filter_map(|r| r.owner.as_deref()))?;
    let mut rows: Vec<BreakdownRow> = owners
        .into_iter()
        .map(|r| {
            let key = r.owner.unwrap_or_default();
            BreakdownRow {
                dimension: "user".into(),
                label: names.get(&key).cloned().unwrap_or_else(|| "(unassigned)".to_owned()),
                key,
                measures: vec![
                    Measure::count("due", r.n),
                    Measure::count("met", r.hits),
                    Measure::rate("rate", r.hits, r.n, NO_FOLLOW_UPS),
                ],
            }
        })
        .collect();
    rows.sort_by(|x, y| x.label.cmp(&y.label).then_with(|| x.key.cmp(&y.key)));
    a.breakdown = rows;
    Ok(a.finish())
}
