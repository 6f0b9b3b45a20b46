//! RFM segments (`docs/metrics.md`, "RFM segments"): each live customer
//! with a counted purchase up to the period's end scored 1–4 on recency,
//! frequency and monetary value against three cut-offs each, in SQL, and
//! counted per score and per named segment.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::Days;
use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use rapport_core::db::Conn;
use rapport_core::{FieldError, Result};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Kpi;
use crate::assemble::Assembly;
use crate::customers::{self, NO_PURCHASERS, Purchases};
use crate::filters::{Filters, MetricsQuery};
use crate::report::{BreakdownRow, Measure, Report};
use crate::sql::Sql;

/// The longest recency cut-off: a hundred years of days.
const MAX_RECENCY_DAYS: i64 = 36_600;
/// The largest monetary cut-off, in major units.
const MAX_MONETARY: i64 = 1_000_000_000_000_000;

/// The cut-offs the scores are read from: three strictly ascending values
/// per dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RfmThresholds {
    /// Days from the last purchase to the period's last day: at most the
    /// first scores R4, at most the second R3, at most the third R2,
    /// more R1.
    #[schema(example = json!([30, 90, 365]))]
    pub recency_days: Vec<i64>,
    /// Purchases up to the period's end: at least the third scores F4, at
    /// least the second F3, at least the first F2, fewer F1.
    #[schema(example = json!([2, 5, 10]))]
    pub frequency: Vec<i64>,
    /// Purchases' total in the main currency, in major units: at least the
    /// third scores M4, the second M3, the first M2, less M1.
    #[schema(value_type = Vec<String>, example = json!(["100000", "1000000", "10000000"]))]
    pub monetary: Vec<Decimal>,
}

impl Default for RfmThresholds {
    fn default() -> Self {
        RfmThresholds {
            recency_days: vec![30, 90, 365],
            frequency: vec![2, 5, 10],
            monetary: vec![Decimal::from(100_000), Decimal::from(1_000_000), Decimal::from(10_000_000)],
        }
    }
}

/// Why one cut-off was refused: a code and a message.
type Refusal = (&'static str, String);

impl RfmThresholds {
    /// The cut-offs the query asks for, defaults where it is silent; every
    /// malformed parameter is added to `errors`, named.
    pub(crate) fn parse(query: &MetricsQuery, errors: &mut Vec<FieldError>) -> Option<RfmThresholds> {
        let defaults = RfmThresholds::default();
        let mut take =
            |field: &str, raw: Option<&str>, default: Vec<_>, one: &dyn Fn(&str) -> Result<_, Refusal>| match raw
                .map(|raw| cut_offs(field, raw, one))
            {
                None => Some(default),
                Some(Ok(values)) => Some(values),
                Some(Err(e)) => {
                    errors.push(e);
                    None
                }
            };
        let recency = take("rfm_recency_days", query.rfm_recency_days.as_deref(), defaults.recency_days, &|s| {
            whole(s, 0, MAX_RECENCY_DAYS, "a number of days")
        });
        let frequency = take("rfm_frequency", query.rfm_frequency.as_deref(), defaults.frequency, &|s| {
            whole(s, 1, i64::MAX, "a number of purchases")
        });
        let monetary = take_amounts(query.rfm_monetary.as_deref(), defaults.monetary, errors);
        Some(RfmThresholds { recency_days: recency?, frequency: frequency?, monetary: monetary? })
    }

    /// The monetary cut-offs in minor units of `currency` (rounded up: an
    /// integer total reaches a cut-off exactly when it reaches its ceiling).
    fn monetary_minor(&self, currency: &str) -> Vec<i64> {
        let scale = Decimal::from(10_i64.pow(rapport_core::money::exponent(currency)));
        self.monetary.iter().map(|m| (m * scale).ceil().to_i64().unwrap_or(i64::MAX)).collect()
    }
}

fn take_amounts(raw: Option<&str>, default: Vec<Decimal>, errors: &mut Vec<FieldError>) -> Option<Vec<Decimal>> {
    let Some(raw) = raw else { return Some(default) };
    match cut_offs("rfm_monetary", raw, &amount) {
        Ok(values) => Some(values),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// Three comma-separated, strictly ascending values, each parsed by `one`.
fn cut_offs<T: PartialOrd>(
    field: &str,
    raw: &str,
    one: &dyn Fn(&str) -> Result<T, Refusal>,
) -> Result<Vec<T>, FieldError> {
    let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
    if parts.len() != 3 {
        return Err(FieldError::new(
            field,
            "invalid",
            format!("{field} takes three comma-separated ascending values, e.g. `30,90,365`"),
        ));
    }
    let values = parts
        .iter()
        .map(|p| one(p).map_err(|(code, message)| FieldError::new(field, code, message)))
        .collect::<Result<Vec<T>, FieldError>>()?;
    if values.windows(2).any(|w| w[0] >= w[1]) {
        return Err(FieldError::new(field, "invalid", format!("the values of {field} must be strictly ascending")));
    }
    Ok(values)
}

/// A whole number in `min..=max`.
fn whole(raw: &str, min: i64, max: i64, what: &str) -> Result<i64, Refusal> {
    let n: i64 = raw.parse().map_err(|_| ("invalid", format!("`{raw}` is not {what}")))?;
    if !(min..=max).contains(&n) {
        return Err(("out_of_range", format!("`{raw}` is outside {min}–{max}")));
    }
    Ok(n)
}

/// A positive amount with at most 2 decimals.
fn amount(raw: &str) -> Result<Decimal, Refusal> {
    let not = || ("invalid", format!("`{raw}` is not an amount such as `250000` or `99.50`"));
    if raw.is_empty() || !raw.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(not());
    }
    let d = Decimal::from_str(raw).map_err(|_| not())?.normalize();
    if d.scale() > 2 {
        return Err(("invalid", format!("`{raw}` has more than 2 decimals")));
    }
    if d <= Decimal::ZERO || d > Decimal::from(MAX_MONETARY) {
        return Err(("out_of_range", format!("`{raw}` is outside 0.01–{MAX_MONETARY}")));
    }
    Ok(d)
}

/// The named segments, in display order, with what they hold.
const SEGMENTS: [(&str, &str); 7] = [
    ("champions", "Champions (R4, F3–4)"),
    ("loyal", "Loyal (R4 F2, or R3 F2–4)"),
    ("new", "New (R4, F1)"),
    ("promising", "Promising (R3, F1)"),
    ("at_risk", "At risk (R2, F2–4)"),
    ("hibernating", "Hibernating (R2, F1)"),
    ("lost", "Lost (R1)"),
];

/// The named segment of recency score `r` and frequency score `f`.
fn segment(r: i64, f: i64) -> &'static str {
    match (r, f) {
        (4, 3..) => "champions",
        (4, 2) | (3, 2..) => "loyal",
        (4, _) => "new",
        (3, _) => "promising",
        (2, 2..) => "at_risk",
        (2, _) => "hibernating",
        _ => "lost",
    }
}

#[derive(Debug, QueryableByName)]
struct ScoreRow {
    #[diesel(sql_type = BigInt)]
    r: i64,
    #[diesel(sql_type = BigInt)]
    f: i64,
    #[diesel(sql_type = BigInt)]
    m: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    money: i64,
}

/// `CASE WHEN <value> >= t3 THEN 4 WHEN >= t2 THEN 3 WHEN >= t1 THEN 2 ELSE 1 END`.
fn score_at_least(sql: &mut Sql, value: &str, cut_offs: &[i64]) {
    sql.push("CASE");
    for (score, cut) in (2..=4).rev().zip(cut_offs.iter().rev()) {
        sql.push(&format!(" WHEN {value} >= ")).int(*cut).push(&format!(" THEN {score}"));
    }
    sql.push(" ELSE 1 END");
}

/// `CASE … END`, the recency score of the day in `column`: 4 when it is at
/// most the first cut-off's days before the period's last day, … 1 beyond
/// the third.
fn recency_score(sql: &mut Sql, column: &str, thresholds: &RfmThresholds, filters: &Filters) {
    let to = filters.period.to;
    sql.push("CASE");
    for (score, days) in (2..=4).rev().zip(&thresholds.recency_days) {
        let since = to.checked_sub_days(Days::new(days.unsigned_abs())).unwrap_or(to);
        sql.push(&format!(" WHEN {column} >= ")).date(since).push(&format!(" THEN {score}"));
    }
    sql.push(" ELSE 1 END");
}

/// The largest frequency `customer_rfm_counts` tells apart (migration
/// 000034): purchases are counted up to it.
const KEPT_FREQUENCY_CAP: i64 = 100;

/// Whether the kept RFM counts answer in main currency `main`: they hold
/// the purchasers from the facts, banded by the default monetary cut-offs
/// in a currency with two decimals, and their frequencies up to
/// [`KEPT_FREQUENCY_CAP`].
fn kept_counts_apply(thresholds: &RfmThresholds, source: Purchases, main: &str) -> bool {
    source == Purchases::Facts
        && rapport_core::money::exponent(main) == 2
        && thresholds.monetary == RfmThresholds::default().monetary
        && thresholds.frequency.iter().all(|&f| f <= KEPT_FREQUENCY_CAP)
}

/// The scores from the kept counts: the rows of main currency `main` at
/// their monetary band, and at M1 the customers without a purchase in it
/// (every customer, counted under currency '', less those in `main`).
fn scores_from_kept_counts(
    conn: &mut Conn,
    filters: &Filters,
    thresholds: &RfmThresholds,
    main: &str,
) -> Result<Vec<ScoreRow>> {
    let mut sql = Sql::new(conn);
    let in_scope = |sql: &mut Sql| {
        sql.push(" FROM customer_rfm_counts q WHERE q.division_key = ");
        sql.text(filters.division_id.as_deref().unwrap_or(""));
        sql.eq_opt("q.owner_id", filters.user_id.as_deref());
    };
    sql.push(
        "SELECT CAST(s.r AS BIGINT) AS r, CAST(s.f AS BIGINT) AS f, CAST(s.m AS BIGINT) AS m, \
         CAST(SUM(s.n) AS BIGINT) AS n, CAST(SUM(s.money) AS BIGINT) AS money FROM (SELECT ",
    );
    recency_score(&mut sql, "q.last_on", thresholds, filters);
    sql.push(" AS r, ");
    score_at_least(&mut sql, "q.frequency", &thresholds.frequency);
    sql.push(" AS f, CASE WHEN q.currency = '' THEN 1 ELSE q.band END AS m, q.customers AS n, q.amount_minor AS money");
    in_scope(&mut sql);
    sql.push(" AND q.currency IN ('', ").text(main).push(") UNION ALL SELECT ");
    recency_score(&mut sql, "q.last_on", thresholds, filters);
    sql.push(", ");
    score_at_least(&mut sql, "q.frequency", &thresholds.frequency);
    sql.push(", 1, -q.customers, 0");
    in_scope(&mut sql);
    sql.push(" AND q.currency = ").text(main);
    sql.push(") s GROUP BY s.r, s.f, s.m HAVING SUM(s.n) <> 0");
    sql.load(conn)
}

/// The scores from each customer's figures: its kept facts, or its
/// purchases grouped.
fn scores_per_customer(
    conn: &mut Conn,
    filters: &Filters,
    thresholds: &RfmThresholds,
    source: Purchases,
    main_currency: &str,
) -> Result<Vec<ScoreRow>> {
    let mut sql = Sql::new(conn);
    sql.push(
        "SELECT CAST(s.r AS BIGINT) AS r, CAST(s.f AS BIGINT) AS f, CAST(s.m AS BIGINT) AS m, COUNT(*) AS n, \
                CAST(SUM(s.money) AS BIGINT) AS money FROM (SELECT ",
    );
    recency_score(&mut sql, "x.last_on", thresholds, filters);
    sql.push(" AS r, ");
    score_at_least(&mut sql, "x.k", &thresholds.frequency);
    sql.push(" AS f, ");
    score_at_least(&mut sql, "x.money", &thresholds.monetary_minor(main_currency));
    sql.push(" AS m, x.money AS money FROM (");
    match source {
        Purchases::Facts => {
            // The customer's row of its first currency holds its figures
            // across currencies; its total in the main currency is on that
            // row, on another of its rows, or nowhere.
            sql.push(
                "SELECT f.customer_last_on AS last_on, f.customer_purchases AS k, \
                 CAST(CASE WHEN f.currency = ",
            );
            sql.text(main_currency).push(" THEN f.amount_minor WHEN f.currencies = 1 THEN 0 ELSE COALESCE(");
            sql.push(
                "(SELECT o.amount_minor FROM customer_purchase_facts o WHERE o.division_key = f.division_key \
                 AND o.customer_id = f.customer_id AND o.currency = ",
            );
            sql.text(main_currency).push("), 0) END AS BIGINT) AS money");
            customers::facts_in_scope(&mut sql, filters, true);
        }
        Purchases::Rows => {
            sql.push(
                "SELECT p.customer_id AS customer_id, MAX(p.purchased_on) AS last_on, \
                 COUNT(*) AS k, CAST(COALESCE(SUM(CASE WHEN p.currency = ",
            );
            sql.text(main_currency);
            sql.push(" THEN p.amount_minor ELSE 0 END), 0) AS BIGINT) AS money");
            customers::purchases_up_to_end(&mut sql, filters, true);
            sql.push(" GROUP BY p.customer_id");
        }
    }
    sql.push(") x) s GROUP BY s.r, s.f, s.m");
    sql.load(conn)
}

/// Customers per RFM score and per named segment.
pub(crate) fn report(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let thresholds = filters.rfm.clone().unwrap_or_default();
    let source = Purchases::for_report(conn, filters)?;
    let main = customers::currencies(conn, filters, source)?.into_iter().next();
    let rows = match main.as_deref() {
        Some(currency) if kept_counts_apply(&thresholds, source, currency) => {
            scores_from_kept_counts(conn, filters, &thresholds, currency)?
        }
        _ => scores_per_customer(conn, filters, &thresholds, source, main.as_deref().unwrap_or_default())?,
    };

    let customers: i64 = rows.iter().map(|r| r.n).sum();
    let mut segments: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for r in &rows {
        let entry = segments.entry(segment(r.r, r.f)).or_default();
        entry.0 += r.n;
        entry.1 += r.money;
    }
    let measures = |n: i64, money: i64| {
        let mut out = vec![Measure::count("customers", n), Measure::rate("share", n, customers, NO_PURCHASERS)];
        if let Some(currency) = &main {
            out.push(customers::money("monetary", money, currency));
        }
        out
    };
    let title = match &main {
        Some(currency) => format!("RFM segments (monetary in {currency})"),
        None => "RFM segments".to_owned(),
    };
    let mut a = Assembly::new(Kpi::Rfm, &title, filters, None);
    let champions = segments.get("champions").map_or(0, |s| s.0);
    a.measures =
        vec![Measure::count("customers", customers), Measure::rate("champions", champions, customers, NO_PURCHASERS)];
    if let Some(currency) = &main {
        a.measures.push(customers::money("monetary", rows.iter().map(|r| r.money).sum(), currency));
    }
    for (key, label) in SEGMENTS {
        let (n, money) = segments.get(key).copied().unwrap_or_default();
        a.breakdown.push(BreakdownRow {
            dimension: "segment".into(),
            key: key.into(),
            label: label.into(),
            measures: measures(n, money),
        });
    }
    let mut codes: Vec<&ScoreRow> = rows.iter().collect();
    codes.sort_by_key(|r| std::cmp::Reverse((r.r, r.f, r.m)));
    for r in codes {
        a.breakdown.push(BreakdownRow {
            dimension: "rfm_code".into(),
            key: format!("R{}F{}M{}", r.r, r.f, r.m),
            label: format!("R{} F{} M{} ({})", r.r, r.f, r.m, segment(r.r, r.f).replace('_', " ")),
            measures: measures(r.n, r.money),
        });
    }
    Ok(a.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(
        recency: Option<&str>,
        frequency: Option<&str>,
        monetary: Option<&str>,
    ) -> Result<RfmThresholds, Vec<FieldError>> {
        let query = MetricsQuery {
            rfm_recency_days: recency.map(Into::into),
            rfm_frequency: frequency.map(Into::into),
            rfm_monetary: monetary.map(Into::into),
            ..MetricsQuery::default()
        };
        let mut errors = Vec::new();
        let parsed = RfmThresholds::parse(&query, &mut errors);
        parsed.filter(|_| errors.is_empty()).ok_or(errors)
    }

    fn fields(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect()
    }

    #[test]
    fn silence_gives_the_documented_defaults() {
        let t = parse(None, None, None).expect("defaults");
        assert_eq!(t, RfmThresholds::default());
        assert_eq!(t.recency_days, [30, 90, 365]);
        assert_eq!(t.frequency, [2, 5, 10]);
        assert_eq!(t.monetary_minor("NGN"), [10_000_000, 100_000_000, 1_000_000_000]);
    }

    #[test]
    fn three_ascending_values_with_spaces_are_taken() {
        let t = parse(Some("7, 30 ,180"), Some("2,3,4"), Some("0.5,99.99,250000")).expect("valid");
        assert_eq!(t.recency_days, [7, 30, 180]);
        assert_eq!(t.frequency, [2, 3, 4]);
        assert_eq!(t.monetary_minor("NGN"), [50, 9_999, 25_000_000]);
        // A currency without minor units: a fraction rounds up.
        assert_eq!(t.monetary_minor("JPY"), [1, 100, 250_000]);
        assert!(parse(Some("0,1,2"), None, None).is_ok(), "0 days: bought on the last day");
    }

    #[test]
    fn each_bad_parameter_is_named() {
        for (recency, frequency, monetary, expected) in [
            (Some("90,30,365"), None, None, ("rfm_recency_days", "invalid")),
            (Some("30,30,365"), None, None, ("rfm_recency_days", "invalid")),
            (Some("30,90"), None, None, ("rfm_recency_days", "invalid")),
            (Some("30,90,365,700"), None, None, ("rfm_recency_days", "invalid")),
            (Some("a,b,c"), None, None, ("rfm_recency_days", "invalid")),
            (Some("-1,30,90"), None, None, ("rfm_recency_days", "out_of_range")),
            (Some("30,90,99999"), None, None, ("rfm_recency_days", "out_of_range")),
            (Some(""), None, None, ("rfm_recency_days", "invalid")),
            (None, Some("0,5,10"), None, ("rfm_frequency", "out_of_range")),
            (None, Some("2.5,5,10"), None, ("rfm_frequency", "invalid")),
            (None, None, Some("100,50,200"), ("rfm_monetary", "invalid")),
            (None, None, Some("1.234,50,200"), ("rfm_monetary", "invalid")),
            (None, None, Some("1e3,5e3,1e4"), ("rfm_monetary", "invalid")),
            (None, None, Some("-5,50,200"), ("rfm_monetary", "invalid")),
            (None, None, Some("0,50,200"), ("rfm_monetary", "out_of_range")),
        ] {
            let errors = parse(recency, frequency, monetary).expect_err("refused");
            assert_eq!(fields(&errors), [expected], "{recency:?} {frequency:?} {monetary:?}");
        }
        let errors = parse(Some("x"), Some("y"), Some("z")).expect_err("refused");
        assert_eq!(
            fields(&errors),
            [("rfm_recency_days", "invalid"), ("rfm_frequency", "invalid"), ("rfm_monetary", "invalid")]
        );
    }

    #[test]
    fn every_cell_of_the_grid_has_exactly_one_segment() {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for r in 1..=4 {
            for f in 1..=4 {
                *seen.entry(segment(r, f)).or_default() += 1;
            }
        }
        assert_eq!(seen.values().sum::<usize>(), 16);
        assert_eq!(seen.len(), SEGMENTS.len());
        assert_eq!(
            (segment(4, 3), segment(4, 2), segment(3, 4), segment(1, 4)),
            ("champions", "loyal", "loyal", "lost")
        );
    }
}
