//! Sales reports over leads and their stage history (`docs/metrics.md`,
//! "Sales").

use std::collections::BTreeMap;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use rapport_core::Result;
use rapport_core::db::Conn;
use rust_decimal::Decimal;

use crate::assemble::{self, Assembly, SECONDS_PER_DAY};
use crate::filters::Filters;
use crate::report::{BreakdownRow, Measure, Report, Unit};
use crate::sql::{CountRow, DurationDay, Sql, StatsRow, count_if, ranked_by_bucket};
use crate::{GroupBy, Kpi};

const NO_LEADS_CREATED: &str = "no leads were created in the period";
const NO_LEADS_CLOSED: &str = "no leads were won or lost in the period";
const NO_LEADS_WON: &str = "no leads were won in the period";
const NO_STAYS: &str = "no stage stay ended in the period";

/// `FROM leads l WHERE l is live` and the filters on `l`.
fn leads_where(sql: &mut Sql, filters: &Filters) {
    sql.push(" FROM leads l WHERE l.archived_at IS NULL");
    lead_filters(sql, filters);
}

fn lead_filters(sql: &mut Sql, filters: &Filters) {
    sql.eq_opt("l.division_id", filters.division_id.as_deref());
    sql.eq_opt("l.branch_id", filters.branch_id.as_deref());
    sql.eq_opt("l.owner_id", filters.user_id.as_deref());
}

/// The lead list with the report's filters: leads created in the period
/// (`created`), closed in it (`closed`) or open now (`open`).
fn records(filters: &Filters, basis: &str) -> Option<String> {
    let stamp = |at: chrono::NaiveDateTime| rapport_core::time::utc(at).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let (start, end) = (stamp(filters.period.start), stamp(filters.period.end));
    let mut url = match basis {
        "created" => format!("/api/v1/leads?created_from={start}&created_to={end}"),
        "closed" => format!("/api/v1/leads?closed_from={start}&closed_to={end}"),
        "open" => "/api/v1/leads?status=open".to_owned(),
        "history" => return filters.export_link("lead-stage-history", "left"),
        _ => return None,
    };
    url.push_str(&filters.list_filters("owner"));
    Some(url)
}

/// Per local day of the period, the leads of `basis` (`created`: by
/// creation; `closed`: won or lost, by close) and those won: from the
/// daily counts the database keeps (summed over their shards), or from the
/// leads.
fn leads_per_day(conn: &mut Conn, filters: &Filters, basis: &str) -> Result<Vec<CountRow>> {
    let mut sql = Sql::new(conn);
    if filters.counts_kept {
        let key = sql.day_key("c.day");
        sql.push(&format!(
            "SELECT {key} AS bucket, CAST(SUM(c.leads) AS BIGINT) AS n, \
                    CAST(SUM(CASE WHEN c.status = 'won' THEN c.leads ELSE 0 END) AS BIGINT) AS hits \
             FROM {} c WHERE c.basis = ",
            kept_table(filters)
        ));
        sql.text(basis).within_days("c.day", &filters.period);
        kept_filters(&mut sql, filters);
        sql.push(" GROUP BY c.day");
        return sql.load(conn);
    }
    let column = if basis == "created" { "l.created_at" } else { "l.closed_at" };
    let day = sql.local_day(column, filters);
    sql.open_per_day(&day, &[("n", "COUNT(*)"), ("hits", &count_if("l.status = 'won'"))]);
    leads_where(&mut sql, filters);
    if basis == "closed" {
        sql.push(" AND l.status IN ('won', 'lost')");
    }
    sql.within(column, &filters.period).close_per_day();
    sql.load(conn)
}

/// The kept lead counts to read: per division (a few rows a day) unless
/// the report is filtered by branch or owner, which only the finer counts
/// carry (migration 000028).
fn kept_table(filters: &Filters) -> &'static str {
    if filters.branch_id.is_none() && filters.user_id.is_none() {
        "lead_division_daily_counts"
    } else {
        "lead_daily_counts"
    }
}

/// The report filters on the kept counts `c`.
fn kept_filters(sql: &mut Sql, filters: &Filters) {
    sql.eq_opt("c.division_id", filters.division_id.as_deref());
    sql.eq_opt("c.branch_id", filters.branch_id.as_deref());
    sql.eq_opt("c.owner_id", filters.user_id.as_deref());
}

/// Conversion: the cohort created in the period now won, and the
/// closed-in-period win rate.
pub(crate) fn conversion(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let measures = |cohort: Option<&CountRow>, closed: Option<&CountRow>| {
        let (created, won) = cohort.map_or((0, 0), |r| (r.n, r.hits));
        let (closed, closed_won) = closed.map_or((0, 0), |r| (r.n, r.hits));
        vec![
            Measure::rate("cohort_rate", won, created, NO_LEADS_CREATED),
            Measure::rate("closed_rate", closed_won, closed, NO_LEADS_CLOSED),
        ]
    };
    let mut a = Assembly::new(
        Kpi::Conversion,
        "Sales conversion (cohort; closed in period)",
        filters,
        records(filters, "created"),
    );
    let cohort = assemble::fold_days(&leads_per_day(conn, filters, "created")?, filters.group_by);
    let closed = assemble::fold_days(&leads_per_day(conn, filters, "closed")?, filters.group_by);
    a.measures = measures(cohort.total.as_ref(), closed.total.as_ref());
    if let Some(g) = filters.group_by {
        a.series(g, |key| measures(cohort.buckets.get(key), closed.buckets.get(key)));
    }
    Ok(a.finish())
}

/// Calendar days from creation to the win, for leads won in the period.
pub(crate) fn cycle_length(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let stats = |conn: &mut Conn, group_by: Option<GroupBy>| -> Result<Vec<StatsRow>> {
        let mut sql = Sql::new(conn);
        let bucket = group_by.map_or_else(|| "NULL".to_owned(), |g| sql.bucket_start("l.closed_at", filters, g));
        let seconds = sql.seconds_between("l.created_at", "l.closed_at");
        sql.push(&format!("SELECT {bucket} AS bucket, {seconds} AS val"));
        leads_where(&mut sql, filters);
        sql.push(" AND l.status = 'won'").within("l.closed_at", &filters.period);
        ranked_by_bucket(sql, group_by.is_some()).load(conn)
    };
    let measures =
        |row: Option<&StatsRow>| assemble::duration_stats(row, Unit::Days, SECONDS_PER_DAY, "days", NO_LEADS_WON);
    let mut a = Assembly::new(Kpi::CycleLength, "Sales cycle length", filters, records(filters, "closed"));
    a.measure_ranked(conn, stats, measures)?;
    Ok(a.finish())
}

/// The dashboard's cycle length: count and mean of the leads won in the
/// period, from the kept counts where they apply (the median and p90 need
/// the report's ranking).
pub(crate) fn cycle_length_headline(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let mut sql = Sql::new(conn);
    if filters.counts_kept {
        let key = sql.day_key("c.day");
        sql.push(&format!(
            "SELECT {key} AS bucket, CAST(SUM(c.leads) AS BIGINT) AS n, CAST(SUM(c.cycle_seconds) AS BIGINT) AS total \
             FROM {} c WHERE c.basis = 'closed' AND c.status = 'won'",
            kept_table(filters)
        ));
        sql.within_days("c.day", &filters.period);
        kept_filters(&mut sql, filters);
        sql.push(" GROUP BY c.day");
    } else {
        let day = sql.local_day("l.closed_at", filters);
        let total = format!("CAST(COALESCE(SUM({}), 0) AS BIGINT)", sql.seconds_between("l.created_at", "l.closed_at"));
        sql.open_per_day(&day, &[("n", "COUNT(*)"), ("total", &total)]);
        leads_where(&mut sql, filters);
        sql.push(" AND l.status = 'won'").within("l.closed_at", &filters.period).close_per_day();
    }
    let days: Vec<DurationDay> = sql.load(conn)?;
    let measures = |row: Option<&DurationDay>| {
        assemble::duration_means(
            row.map_or((0, 0), |r| (r.n, r.total)),
            Unit::Days,
            SECONDS_PER_DAY,
            "days",
            NO_LEADS_WON,
        )
    };
    let mut a = Assembly::new(Kpi::CycleLength, "Sales cycle length", filters, records(filters, "closed"));
    a.measure_by_day(&days, measures);
    Ok(a.finish())
}

#[derive(Debug, QueryableByName)]
struct StageTotal {
    #[diesel(sql_type = Text)]
    stage_id: String,
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = Integer)]
    win_probability: i32,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = BigInt)]
    leads: i64,
    #[diesel(sql_type = BigInt)]
    value_minor: i64,
}

/// Open leads and their expected value by stage, now: read from the
/// board totals the database maintains with every lead write
/// (`docs/decisions/0006-maintained-board-totals.md`).
pub(crate) fn pipeline(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let mut sql = Sql::new(conn);
    sql.push(
        "SELECT t.stage_id AS stage_id, p.name || ' / ' || s.name AS label, s.win_probability AS win_probability, \
                t.currency AS currency, CAST(SUM(t.lead_count) AS BIGINT) AS leads, \
                CAST(SUM(t.value_minor) AS BIGINT) AS value_minor \
         FROM lead_board_totals t JOIN pipeline_stages s ON s.id = t.stage_id JOIN pipelines p ON p.id = t.pipeline_id \
         WHERE s.kind = 'open'",
    );
    sql.eq_opt("t.division_id", filters.division_id.as_deref());
    sql.eq_opt("t.branch_id", filters.branch_id.as_deref());
    sql.eq_opt("t.owner_id", filters.user_id.as_deref());
    sql.push(
        " GROUP BY t.stage_id, p.name, s.name, s.position, s.win_probability, t.currency \
         HAVING SUM(t.lead_count) <> 0 ORDER BY p.name, s.position, t.currency",
    );
    let rows: Vec<StageTotal> = sql.load(conn)?;
    let mut a = Assembly::new(Kpi::Pipeline, "Open pipeline by stage (now)", filters, records(filters, "open"));
    let mut total_leads = 0;
    let mut values: BTreeMap<String, (i64, Decimal)> = BTreeMap::new();
    let mut stages: Vec<BreakdownRow> = Vec::new();
    for row in rows {
        total_leads += row.leads;
        let weighted = Decimal::new(row.value_minor, 2) * Decimal::from(row.win_probability) / Decimal::ONE_HUNDRED;
        if !row.currency.is_empty() {
            let entry = values.entry(row.currency.clone()).or_default();
            entry.0 += row.value_minor;
            entry.1 += weighted;
        }
        let measures = stage_measures(&row, weighted);
        match stages.last_mut() {
            Some(last) if last.key == row.stage_id => {
                last.measures[0].value = last.measures[0].value.map(|v| v + Decimal::from(row.leads));
                last.measures.extend(measures.into_iter().skip(1));
            }
            _ => stages.push(BreakdownRow { dimension: "stage".into(), key: row.stage_id, label: row.label, measures }),
        }
    }
    a.measures.push(Measure::count("open_leads", total_leads));
    for (currency, (minor, weighted)) in values {
        a.measures.push(Measure::money("expected_value", minor, &currency));
        let mut w = Measure::money("weighted_value", 0, &currency);
        w.value = Some(crate::report::cents(weighted));
        a.measures.push(w);
    }
    a.breakdown = stages;
    Ok(a.finish())
}

fn stage_measures(row: &StageTotal, weighted: Decimal) -> Vec<Measure> {
    let mut measures = vec![Measure::count("open_leads", row.leads)];
    if !row.currency.is_empty() {
        measures.push(Measure::money("expected_value", row.value_minor, &row.currency));
        let mut w = Measure::money("weighted_value", 0, &row.currency);
        w.value = Some(crate::report::cents(weighted));
        measures.push(w);
    }
    measures
}

/// Duration bands of a stay, as migration 000025 numbers them (0 to 7):
/// key and label. A band holds its lower bound: [`STAY_BAND_EDGES`].
const STAY_BANDS: [(&str, &str); 8] = [
    ("under_1_hour", "under 1 hour"),
    ("1_hour_to_1_day", "1 hour to 1 day"),
    ("1_to_3_days", "1 to 3 days"),
    ("3_to_7_days", "3 to 7 days"),
    ("7_to_14_days", "7 to 14 days"),
    ("14_to_30_days", "14 to 30 days"),
    ("30_to_90_days", "30 to 90 days"),
    ("90_days_or_more", "90 days or more"),
];

/// The seconds at which each band after the first starts.
const STAY_BAND_EDGES: [i64; 7] = [3_600, 86_400, 259_200, 604_800, 1_209_600, 2_592_000, 7_776_000];

/// Stays ended on one local day, in one stage and duration band.
#[derive(Debug, QueryableByName)]
struct StayGroup {
    #[diesel(sql_type = Text)]
    day: String,
    #[diesel(sql_type = Text)]
    stage_id: String,
    #[diesel(sql_type = Integer)]
    band: i32,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// Stays ended in the period per local day, stage and band: from the
/// counts the database keeps (`lead_stay_counts`), or from the stays.
fn stays_per_day(conn: &mut Conn, filters: &Filters) -> Result<Vec<StayGroup>> {
    let mut sql = Sql::new(conn);
    if filters.counts_kept {
        let key = sql.day_key("c.day");
        sql.push(&format!(
            "SELECT {key} AS day, c.stage_id AS stage_id, c.band AS band, CAST(SUM(c.stays) AS BIGINT) AS n, \
                    CAST(SUM(c.seconds) AS BIGINT) AS total FROM lead_stay_counts c WHERE 1 = 1"
        ));
        sql.within_days("c.day", &filters.period);
        kept_filters(&mut sql, filters);
        sql.push(" GROUP BY c.day, c.stage_id, c.band HAVING SUM(c.stays) <> 0");
        return sql.load(conn);
    }
    let day = sql.local_day("h.left_at", filters);
    let key = sql.day_key("x.d");
    let seconds = sql.seconds_between("h.entered_at", "h.left_at");
    let whens: Vec<String> =
        STAY_BAND_EDGES.iter().enumerate().map(|(band, edge)| format!("WHEN {seconds} < {edge} THEN {band}")).collect();
    sql.push(&format!(
        "SELECT {key} AS day, x.stage_id AS stage_id, x.band AS band, COUNT(*) AS n, CAST(SUM(x.s) AS BIGINT) AS total \
         FROM (SELECT {day} AS d, h.to_stage_id AS stage_id, CASE {} ELSE {} END AS band, {seconds} AS s \
               FROM lead_stage_history h JOIN leads l ON l.id = h.lead_id \
               WHERE l.archived_at IS NULL AND h.left_at IS NOT NULL",
        whens.join(" "),
        STAY_BAND_EDGES.len()
    ));
    lead_filters(&mut sql, filters);
    sql.within("h.left_at", &filters.period);
    sql.push(") x GROUP BY x.d, x.stage_id, x.band");
    sql.load(conn)
}

/// Stays that ended in the period: count and mean, per bucket, per stage
/// and per duration band (the bottlenecks: which stages hold leads long).
pub(crate) fn stage_durations(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let groups = stays_per_day(conn, filters)?;
    let days: Vec<DurationDay> =
        groups.iter().map(|g| DurationDay { bucket: g.day.clone(), n: g.n, total: g.total }).collect();
    let means = |row: Option<&DurationDay>| {
        assemble::duration_means(row.map_or((0, 0), |r| (r.n, r.total)), Unit::Days, SECONDS_PER_DAY, "days", NO_STAYS)
    };
    let mut a = Assembly::new(
        Kpi::StageDurations,
        "Time in stage (stays ended in the period)",
        filters,
        records(filters, "history"),
    );
    a.measure_by_day(&days, means);
    // Per stage: count, mean and the share of its stays in each band.
    let mut stages: BTreeMap<&str, (DurationDay, [i64; 8])> = BTreeMap::new();
    let mut bands = [0_i64; 8];
    for g in &groups {
        let band = usize::try_from(g.band).unwrap_or(0).min(STAY_BANDS.len() - 1);
        bands[band] += g.n;
        let entry = stages
            .entry(g.stage_id.as_str())
            .or_insert_with(|| (DurationDay { bucket: g.stage_id.clone(), n: 0, total: 0 }, [0; 8]));
        entry.0.n += g.n;
        entry.0.total += g.total;
        entry.1[band] += g.n;
    }
    let labels = crate::labels::stages(conn, stages.keys().copied())?;
    for (stage_id, label) in labels {
        let Some((sums, in_band)) = stages.get(stage_id.as_str()) else { continue };
        let mut measures = means(Some(sums));
        for ((key, _), n) in STAY_BANDS.iter().zip(in_band) {
            measures.push(Measure::rate(&format!("share_{key}"), *n, sums.n, NO_STAYS));
        }
        a.breakdown.push(BreakdownRow { dimension: "stage".into(), key: stage_id, label, measures });
    }
    let stays: i64 = bands.iter().sum();
    for ((key, label), n) in STAY_BANDS.iter().zip(bands) {
        a.breakdown.push(BreakdownRow {
            dimension: "band".into(),
            key: (*key).to_owned(),
            label: (*label).to_owned(),
            measures: vec![Measure::count("count", n), Measure::rate("share", n, stays, NO_STAYS)],
        });
    }
    Ok(a.finish())
}

#[derive(Debug, QueryableByName)]
struct ClosedGroup {
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    reason_id: String,
    #[diesel(sql_type = Text)]
    reason: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Leads closed in the period, by lost reason and by source.
pub(crate) fn win_loss(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let mut sql = Sql::new(conn);
    sql.push(
        "SELECT l.source AS source, l.status AS status, COALESCE(l.lost_reason_id, '') AS reason_id, \
                COALESCE(r.name, '') AS reason, COUNT(*) AS n \
         FROM leads l LEFT JOIN lost_reasons r ON r.id = l.lost_reason_id \
         WHERE l.archived_at IS NULL AND l.status IN ('won', 'lost')",
    );
    lead_filters(&mut sql, filters);
    sql.within("l.closed_at", &filters.period).push(" GROUP BY l.source, l.status, l.lost_reason_id, r.name");
    let groups: Vec<ClosedGroup> = sql.load(conn)?;
    let won: i64 = groups.iter().filter(|g| g.status == "won").map(|g| g.n).sum();
    let lost: i64 = groups.iter().filter(|g| g.status == "lost").map(|g| g.n).sum();
    let mut a = Assembly::new(
        Kpi::WinLoss,
        "Win/loss by reason and by source (closed in period)",
        filters,
        records(filters, "closed"),
    );
    a.measures = vec![
        Measure::count("won", won),
        Measure::count("lost", lost),
        Measure::rate("win_rate", won, won + lost, NO_LEADS_CLOSED),
    ];
    let mut reasons: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut sources: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for g in &groups {
        let entry = sources.entry(g.source.clone()).or_default();
        if g.status == "won" {
            entry.0 += g.n;
        } else {
            entry.1 += g.n;
            *reasons.entry((g.reason.clone(), g.reason_id.clone())).or_default() += g.n;
        }
    }
    for ((label, key), n) in reasons {
        a.breakdown.push(BreakdownRow {
            dimension: "lost_reason".into(),
            key,
            label,
            measures: vec![Measure::count("lost", n), Measure::rate("share_of_lost", n, lost, NO_LEADS_CLOSED)],
        });
    }
    for (source, (won, lost)) in sources {
        a.breakdown.push(BreakdownRow {
            dimension: "source".into(),
            label: source.replace('_', " "),
            key: source,
            measures: vec![
                Measure::count("won", won),
                Measure::count("lost", lost),
                Measure::rate("win_rate", won, won + lost, NO_LEADS_CLOSED),
            ],
        });
    }
    Ok(a.finish())
}

#[derive(Debug, QueryableByName)]
struct RepRow {
    #[diesel(sql_type = Text)]
    user_id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    created: i64,
    #[diesel(sql_type = BigInt)]
    won: i64,
    #[diesel(sql_type = BigInt)]
    lost: i64,
    #[diesel(sql_type = Nullable<Text>)]
    currency: Option<String>,
    #[diesel(sql_type = BigInt)]
    won_value_minor: i64,
}

/// Per owner: leads created in the period, and won, lost and won value
/// among leads closed in the period; most won first.
pub(crate) fn leaderboard(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let rows = if filters.counts_kept { kept_reps(conn, filters)? } else { summed_reps(conn, filters)? };
    let mut reps: BTreeMap<String, (String, i64, i64, i64, Vec<Measure>)> = BTreeMap::new();
    for r in rows {
        let rep = reps.entry(r.user_id).or_insert_with(|| (r.name, 0, 0, 0, Vec::new()));
        rep.1 += r.created;
        rep.2 += r.won;
        rep.3 += r.lost;
        if let Some(currency) = r.currency {
            rep.4.push(Measure::money("won_value", r.won_value_minor, &currency));
        }
    }
    let mut a = Assembly::new(Kpi::Leaderboard, "Leaderboard per owner", filters, records(filters, "closed"));
    let (mut won_all, mut lost_all) = (0, 0);
    let mut rows: Vec<BreakdownRow> = reps
        .into_iter()
        .map(|(user_id, (name, created, won, lost, values))| {
            won_all += won;
            lost_all += lost;
            let mut measures = vec![
                Measure::count("created", created),
                Measure::count("won", won),
                Measure::count("lost", lost),
                Measure::rate("win_rate", won, won + lost, NO_LEADS_CLOSED),
            ];
            measures.extend(values);
            BreakdownRow { dimension: "user".into(), key: user_id, label: name, measures }
        })
        .collect();
    rows.sort_by(|x, y| {
        let won = |r: &BreakdownRow| r.measures[1].value;
        won(y).cmp(&won(x)).then_with(|| x.label.cmp(&y.label))
    });
    a.measures = vec![Measure::rate("win_rate", won_all, won_all + lost_all, NO_LEADS_CLOSED)];
    a.breakdown = rows;
    Ok(a.finish())
}

/// Per owner and won currency, from the leads: two passes in one
/// statement, leads created in the period and leads closed in it, each
/// marked, then summed.
fn summed_reps(conn: &mut Conn, filters: &Filters) -> Result<Vec<RepRow>> {
    let mut sql = Sql::new(conn);
    sql.push(
        "SELECT u.id AS user_id, u.name AS name, \
                CAST(SUM(x.created) AS BIGINT) AS created, CAST(SUM(x.won) AS BIGINT) AS won, \
                CAST(SUM(x.lost) AS BIGINT) AS lost, x.currency AS currency, \
                CAST(SUM(x.won_value) AS BIGINT) AS won_value_minor \
         FROM (SELECT l.owner_id AS owner_id, 1 AS created, 0 AS won, 0 AS lost, NULL AS currency, 0 AS won_value",
    );
    leads_where(&mut sql, filters);
    sql.within("l.created_at", &filters.period).push(" AND l.owner_id IS NOT NULL");
    sql.push(
        " UNION ALL SELECT l.owner_id, 0, CASE WHEN l.status = 'won' THEN 1 ELSE 0 END, \
                CASE WHEN l.status = 'lost' THEN 1 ELSE 0 END, \
                CASE WHEN l.status = 'won' THEN l.currency END, \
                CASE WHEN l.status = 'won' THEN COALESCE(l.expected_value_minor, 0) ELSE 0 END",
    );
    leads_where(&mut sql, filters);
    sql.push(" AND l.status IN ('won', 'lost') AND l.owner_id IS NOT NULL").within("l.closed_at", &filters.period);
    sql.push(") x JOIN users u ON u.id = x.owner_id GROUP BY u.id, u.name, x.currency");
    sql.load(conn)
}

/// Per owner and won currency, from the kept daily counts; a group whose
/// counts net to nothing (every lead moved away) is no row, as with the
/// leads.
fn kept_reps(conn: &mut Conn, filters: &Filters) -> Result<Vec<RepRow>> {
    let mut sql = Sql::new(conn);
    let won = "c.basis = 'closed' AND c.status = 'won'";
    sql.push(&format!(
        "SELECT u.id AS user_id, u.name AS name, \
                CAST(SUM(CASE WHEN c.basis = 'created' THEN c.leads ELSE 0 END) AS BIGINT) AS created, \
                CAST(SUM(CASE WHEN {won} THEN c.leads ELSE 0 END) AS BIGINT) AS won, \
                CAST(SUM(CASE WHEN c.basis = 'closed' AND c.status = 'lost' THEN c.leads ELSE 0 END) AS BIGINT) AS lost, \
                CASE WHEN {won} AND c.currency <> '' THEN c.currency END AS currency, \
                CAST(SUM(CASE WHEN {won} THEN c.value_minor ELSE 0 END) AS BIGINT) AS won_value_minor \
         FROM lead_daily_counts c JOIN users u ON u.id = c.owner_id WHERE 1 = 1"
    ));
    sql.within_days("c.day", &filters.period);
    kept_filters(&mut sql, filters);
    sql.push(&format!(
        " GROUP BY u.id, u.name, CASE WHEN {won} AND c.currency <> '' THEN c.currency END HAVING SUM(c.leads) <> 0"
    ));
    sql.load(conn)
}
