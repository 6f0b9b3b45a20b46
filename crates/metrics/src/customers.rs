//! Customer analytics over purchases and assets (`docs/metrics.md`,
//! "Customers"): retention, repeat purchase, lifetime value, cross-sell
//! gaps and assets due for service. RFM segments are in `rfm.rs`.
//!
//! A customer counts when live (not merged into another, erased or
//! archived); a purchase counts unless cancelled. Purchases carry a local
//! calendar day (`purchased_on`), so periods compare days, not instants.
//!
//! Retention, repeat purchase, RFM, lifetime value and cross-sell read
//! each purchaser's kept figures (`customer_purchase_facts`, migration
//! 000031) when they can ([`Purchases::Facts`]), and group the purchases
//! themselves otherwise: the facts are the same sums, kept by the database
//! in the transaction of every purchase and customer write. Service due
//! reads the assets counted per status key (`asset_service_counts`,
//! migration 000033), kept the same way.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use rapport_core::Result;
use rapport_core::db::Conn;
use rust_decimal::Decimal;

use crate::Kpi;
use crate::assemble::Assembly;
use crate::filters::Filters;
use crate::report::{BreakdownRow, Measure, Report, Unit, cents};
use crate::sql::{CountRow, Sql, StatsRow, count_if, stats_over};

/// The condition on customers `c` that keeps the live ones.
pub(crate) const LIVE: &str = "c.merged_into_id IS NULL AND c.erased_at IS NULL AND c.archived_at IS NULL";

/// The customers whose purchases count: live ones and erased ones (an
/// erasure anonymises the person but keeps the financial records and the
/// aggregates made of them, `docs/customers.md`).
const PURCHASERS: &str = "c.merged_into_id IS NULL AND c.archived_at IS NULL";

pub(crate) const NO_PURCHASERS: &str = "no customer purchased up to the period's end";
const NO_PREVIOUS: &str = "no customer purchased in the previous period";
const NO_KNOWN_DUE: &str = "no asset has a service projection";
const NO_ASSETS: &str = "no assets";

/// Where a purchase report reads what each customer bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purchases {
    /// `customer_purchase_facts` and `customer_purchase_counts`: one row
    /// per purchaser, division key and currency, whatever the purchases'
    /// days.
    Facts,
    /// The purchases, grouped per request.
    Rows,
}

#[derive(Debug, QueryableByName)]
struct Later {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl Purchases {
    /// The facts hold every counted purchase whatever its day and know no
    /// branch, so a report reads them only when no purchase (counted or
    /// not: one probe of the day index) lies after its period's last day,
    /// and it has no branch filter; otherwise the purchases.
    pub(crate) fn for_report(conn: &mut Conn, filters: &Filters) -> Result<Purchases> {
        if filters.branch_id.is_some() {
            return Ok(Purchases::Rows);
        }
        let mut sql = Sql::new(conn);
        sql.push("SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM purchases p WHERE p.purchased_on > ");
        sql.date(filters.period.to).push(" LIMIT 1) x");
        let later: Vec<Later> = sql.load(conn)?;
        Ok(if later.first().is_some_and(|r| r.n > 0) { Purchases::Rows } else { Purchases::Facts })
    }
}

/// `FROM customer_purchase_facts f WHERE` the facts of the report's scope:
/// its division's key ('' for the whole base) and the customer's owner.
/// `one_per_customer` keeps each customer's first currency row only (the
/// one holding its figures across currencies).
pub(crate) fn facts_in_scope(sql: &mut Sql, filters: &Filters, one_per_customer: bool) {
    sql.push(" FROM customer_purchase_facts f WHERE f.division_key = ");
    sql.text(filters.division_id.as_deref().unwrap_or(""));
    if one_per_customer {
        sql.push(" AND f.customers = 1");
    }
    sql.eq_opt("f.owner_id", filters.user_id.as_deref());
}

/// `FROM purchases p JOIN customers c … WHERE` the purchase counts (not
/// cancelled, on or before the period's last day) and its customer is
/// live or erased, with the filters: the purchase's division (when `by_division`)
/// and branch, the customer's owner.
pub(crate) fn purchases_up_to_end(sql: &mut Sql, filters: &Filters, by_division: bool) {
    sql.push(" FROM purchases p JOIN customers c ON c.id = p.customer_id WHERE ").push(PURCHASERS);
    sql.push(" AND p.status <> 'cancelled' AND p.purchased_on <= ").date(filters.period.to);
    if by_division {
        sql.eq_opt("p.division_id", filters.division_id.as_deref());
    }
    sql.eq_opt("p.branch_id", filters.branch_id.as_deref());
    sql.eq_opt("c.owner_id", filters.user_id.as_deref());
}

/// An amount of stored minor units in `currency`'s major units.
pub(crate) fn major(minor: i64, currency: &str) -> Decimal {
    Decimal::new(minor, rapport_core::money::exponent(currency))
}

/// A sum of money, to the cent.
pub(crate) fn money(name: &str, minor: i64, currency: &str) -> Measure {
    let mut m = Measure::money(name, minor, currency);
    m.value = Some(cents(major(minor, currency)));
    m
}

#[derive(Debug, QueryableByName)]
struct CurrencyCount {
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The currencies of the counted purchases up to the period's end, the
/// main one (most purchases; ties alphabetical) first.
pub(crate) fn currencies(conn: &mut Conn, filters: &Filters, source: Purchases) -> Result<Vec<String>> {
    let mut sql = Sql::new(conn);
    match source {
        Purchases::Facts => {
            sql.push(
                "SELECT q.currency AS currency, CAST(SUM(q.purchases) AS BIGINT) AS n \
                 FROM customer_purchase_counts q WHERE q.division_key = ",
            );
            sql.text(filters.division_id.as_deref().unwrap_or(""));
            sql.eq_opt("q.owner_id", filters.user_id.as_deref());
            sql.push(" GROUP BY q.currency HAVING SUM(q.purchases) > 0");
        }
        Purchases::Rows => {
            sql.push("SELECT p.currency AS currency, COUNT(*) AS n");
            purchases_up_to_end(&mut sql, filters, true);
            sql.push(" GROUP BY p.currency");
        }
    }
    let mut rows: Vec<CurrencyCount> = sql.load(conn)?;
    rows.sort_by(|a, b| b.n.cmp(&a.n).then_with(|| a.currency.cmp(&b.currency)));
    Ok(rows.into_iter().map(|r| r.currency).collect())
}

/// Of the customers who purchased in the period of the same length just
/// before this one, the share who purchased again in this one.
pub(crate) fn retention(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let period = &filters.period;
    let days = u64::try_from((period.to - period.from).num_days() + 1).unwrap_or(0);
    let before = period.from.checked_sub_days(Days::new(days)).unwrap_or(period.from);
    let last_before = period.from.pred_opt().unwrap_or(period.from);
    let mut sql = Sql::new(conn);
    match Purchases::for_report(conn, filters)? {
        Purchases::Facts => retained_from_facts(&mut sql, filters, before),
        Purchases::Rows => {
            sql.push(&format!(
                "SELECT CAST('total' AS TEXT) AS bucket, COUNT(*) AS n, {} AS hits \
                 FROM (SELECT p.customer_id AS customer_id, SUM(CASE WHEN p.purchased_on >= ",
                count_if("x.in_period > 0")
            ));
            sql.date(period.from).push(" THEN 1 ELSE 0 END) AS in_period");
            purchases_up_to_end(&mut sql, filters, true);
            sql.push(" AND p.purchased_on >= ").date(before);
            sql.push(" GROUP BY p.customer_id HAVING SUM(CASE WHEN p.purchased_on < ").date(period.from);
            sql.push(" THEN 1 ELSE 0 END) > 0) x");
        }
    }
    let rows: Vec<CountRow> = sql.load(conn)?;
    let (previous, retained) = rows.first().map_or((0, 0), |r| (r.n, r.hits));
    let title = format!("Retention (customers of {before} to {last_before} who purchased again)");
    let mut a = Assembly::new(Kpi::Retention, &title, filters, None);
    a.measures = vec![
        Measure::count("previous_customers", previous),
        Measure::count("retained", retained),
        Measure::rate("rate", retained, previous, NO_PREVIOUS),
    ];
    Ok(a.finish())
}

/// Retention's customers from each one's kept first and last day (no
/// purchase lies after the period): a customer whose days overlap the
/// previous period bought in it when its last or its first day lies in it;
/// when the two lie on either side, only a third purchase can, and only
/// then are its purchases probed. Those whose last day is in the period
/// are retained.
fn retained_from_facts(sql: &mut Sql, filters: &Filters, before: NaiveDate) {
    let from = filters.period.from;
    sql.push(&format!(
        "SELECT CAST('total' AS TEXT) AS bucket, COUNT(*) AS n, {} AS hits \
         FROM (SELECT CASE WHEN f.customer_last_on >= ",
        count_if("x.retained = 1")
    ));
    sql.date(from).push(" THEN 1 ELSE 0 END AS retained");
    facts_in_scope(sql, filters, true);
    sql.push(" AND f.customer_last_on >= ").date(before);
    sql.push(" AND f.customer_first_on < ").date(from);
    sql.push(" AND (f.customer_last_on < ").date(from);
    sql.push(" OR f.customer_first_on >= ").date(before);
    sql.push(
        " OR (f.customer_purchases >= 3 AND EXISTS (SELECT 1 FROM purchases p WHERE p.customer_id = f.customer_id",
    );
    sql.push(" AND p.status <> 'cancelled' AND p.purchased_on >= ").date(before);
    sql.push(" AND p.purchased_on < ").date(from);
    sql.eq_opt("p.division_id", filters.division_id.as_deref());
    sql.push(")))) x");
}

#[derive(Debug, QueryableByName)]
struct RepeatRow {
    #[diesel(sql_type = BigInt)]
    customers: i64,
    #[diesel(sql_type = BigInt)]
    repeaters: i64,
    #[diesel(sql_type = BigInt)]
    purchasing: i64,
    #[diesel(sql_type = BigInt)]
    first_time: i64,
}

/// Customers with two or more purchases up to the period's end ÷ those
/// with one or more; and the period's purchasing and first-time customers.
pub(crate) fn repeat_purchase(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let from = filters.period.from;
    let mut sql = Sql::new(conn);
    match Purchases::for_report(conn, filters)? {
        Purchases::Facts => {
            // One row per customer: its purchases, first and last day
            // across currencies; every purchase is on or before the
            // period's end.
            sql.push(&format!(
                "SELECT COUNT(*) AS customers, {} AS repeaters, ",
                count_if("f.customer_purchases >= 2")
            ));
            sql.push("CAST(COALESCE(SUM(CASE WHEN f.customer_last_on >= ").date(from);
            sql.push(" THEN 1 ELSE 0 END), 0) AS BIGINT) AS purchasing, ");
            sql.push("CAST(COALESCE(SUM(CASE WHEN f.customer_first_on >= ").date(from);
            sql.push(" THEN 1 ELSE 0 END), 0) AS BIGINT) AS first_time");
            facts_in_scope(&mut sql, filters, true);
        }
        Purchases::Rows => {
            sql.push(&format!(
                "SELECT COUNT(*) AS customers, {} AS repeaters, {} AS purchasing, {} AS first_time \
                 FROM (SELECT p.customer_id AS customer_id, COUNT(*) AS k, SUM(CASE WHEN p.purchased_on >= ",
                count_if("x.k >= 2"),
                count_if("x.in_period > 0"),
                count_if("x.in_period > 0 AND x.in_period = x.k"),
            ));
            sql.date(from).push(" THEN 1 ELSE 0 END) AS in_period");
            purchases_up_to_end(&mut sql, filters, true);
            sql.push(" GROUP BY p.customer_id) x");
        }
    }
    let rows: Vec<RepeatRow> = sql.load(conn)?;
    let (customers, repeaters, purchasing, first_time) =
        rows.first().map_or((0, 0, 0, 0), |r| (r.customers, r.repeaters, r.purchasing, r.first_time));
    let mut a = Assembly::new(Kpi::RepeatPurchase, "Repeat purchase (up to the period's end)", filters, None);
    a.measures = vec![
        Measure::count("customers", customers),
        Measure::count("repeat_customers", repeaters),
        Measure::rate("rate", repeaters, customers, NO_PURCHASERS),
        Measure::count("purchasing_customers", purchasing),
        Measure::count("first_time_customers", first_time),
    ];
    Ok(a.finish())
}

/// Customers, total, mean, median and p90 of the per-customer values of
/// one currency; each measure carries the currency.
fn value_stats(row: Option<&StatsRow>, currency: Option<&str>) -> Vec<Measure> {
    let n = row.map_or(0, |r| r.n);
    let Some(currency) = currency else {
        return vec![
            Measure::count("customers", 0),
            Measure::mean("mean_value", Unit::Money, Decimal::ZERO, 0, NO_PURCHASERS),
            Measure::order_statistic("median_value", Unit::Money, Decimal::ZERO, 0, NO_PURCHASERS),
            Measure::order_statistic("p90_value", Unit::Money, Decimal::ZERO, 0, NO_PURCHASERS),
        ];
    };
    let total_minor = row.map_or(0, |r| r.total);
    let total = major(total_minor, currency);
    // The two middle values' mean, in minor units, may fall on a half unit.
    let median =
        row.map_or(Decimal::ZERO, |r| (major(r.median_low, currency) + major(r.median_high, currency)) / Decimal::TWO);
    let p90 = major(row.map_or(0, |r| r.p90), currency);
    let mut mean = Measure::mean("mean_value", Unit::Money, total, n, NO_PURCHASERS);
    mean.numerator = Some(cents(total));
    let mut measures = vec![
        Measure::count("customers", n),
        money("total_value", total_minor, currency),
        mean,
        Measure::order_statistic("median_value", Unit::Money, median, n, NO_PURCHASERS),
        Measure::order_statistic("p90_value", Unit::Money, p90, n, NO_PURCHASERS),
    ];
    for m in &mut measures {
        m.currency = Some(currency.to_owned());
        if m.unit == Unit::Money {
            m.value = m.value.map(cents);
        }
    }
    measures
}

#[derive(Debug, QueryableByName)]
struct ValueBucket {
    #[diesel(sql_type = Text)]
    division_key: String,
    #[diesel(sql_type = Text)]
    currency: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

#[derive(Debug, QueryableByName)]
struct RankedValue {
    #[diesel(sql_type = BigInt)]
    val: i64,
}

/// The lifetime value statistics of the whole base or a division (no owner
/// filter), from the facts: each bucket's count and total from the kept
/// counts, and each order statistic as the value at its rank, read at an
/// offset of `customer_purchase_facts_value_idx` (the median from below,
/// the 90th percentile from above) instead of ranking every customer.
/// `by_division` gives one bucket per division and currency, named
/// `division:currency`, else one per currency. The same ranks as
/// [`stats_over`] (`nearest_rank`). `None` when a bucket holds fewer values
/// than counted: a purchase write landed between the statements, and the
/// caller ranks the facts instead.
fn ranked_value_stats(conn: &mut Conn, filters: &Filters, by_division: bool) -> Result<Option<Vec<StatsRow>>> {
    use rapport_core::db::order_statistic::{MEDIAN_HIGH, MEDIAN_LOW, P90, nearest_rank};
    let mut sql = Sql::new(conn);
    sql.push(
        "SELECT q.division_key AS division_key, q.currency AS currency, CAST(SUM(q.holders) AS BIGINT) AS n, \
         CAST(SUM(q.amount_minor) AS BIGINT) AS total FROM customer_purchase_counts q WHERE ",
    );
    if by_division {
        sql.push("q.division_key <> ''");
        sql.eq_opt("q.division_key", filters.division_id.as_deref());
    } else {
        sql.push("q.division_key = ").text(filters.division_id.as_deref().unwrap_or(""));
    }
    sql.push(" GROUP BY q.division_key, q.currency HAVING SUM(q.holders) > 0");
    let buckets: Vec<ValueBucket> = sql.load(conn)?;
    let mut stats = Vec::with_capacity(buckets.len());
    for b in buckets {
        let n = usize::try_from(b.n).unwrap_or(0);
        let rank = |which| nearest_rank(n, which).unwrap_or(1);
        let (low, high, p90) = (rank(MEDIAN_LOW), rank(MEDIAN_HIGH), rank(P90));
        // One walk gives both middle values: adjacent ranks, or one rank twice.
        let middle = values_at(conn, &b, "ASC", low - 1, high - low + 1)?;
        let top = values_at(conn, &b, "DESC", n - p90, 1)?;
        let (Some(&median_low), Some(&median_high), Some(&p90)) = (middle.first(), middle.last(), top.first()) else {
            return Ok(None);
        };
        let bucket = if by_division { format!("{}:{}", b.division_key, b.currency) } else { b.currency };
        stats.push(StatsRow { bucket, n: b.n, total: b.total, median_low, median_high, p90 });
    }
    Ok(Some(stats))
}

/// `limit` per-customer values of `bucket` from `offset`, in `order`.
fn values_at(conn: &mut Conn, bucket: &ValueBucket, order: &str, offset: usize, limit: usize) -> Result<Vec<i64>> {
    let int = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    let mut sql = Sql::new(conn);
    sql.push("SELECT f.amount_minor AS val FROM customer_purchase_facts f WHERE f.division_key = ");
    sql.text(&bucket.division_key).push(" AND f.currency = ").text(&bucket.currency);
    sql.push(&format!(" ORDER BY f.amount_minor {order} LIMIT ")).int(int(limit));
    sql.push(" OFFSET ").int(int(offset));
    Ok(sql.load::<RankedValue>(conn)?.into_iter().map(|r| r.val).collect())
}

/// Historical lifetime value: each live customer's counted purchases up
/// to the period's end, summed per currency; mean, median and p90 over
/// the customers, overall and per division.
pub(crate) fn lifetime_value(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let source = Purchases::for_report(conn, filters)?;
    let stats = |conn: &mut Conn, by_division: bool| -> Result<Vec<StatsRow>> {
        if source == Purchases::Facts
            && filters.user_id.is_none()
            && let Some(stats) = ranked_value_stats(conn, filters, by_division)?
        {
            return Ok(stats);
        }
        let mut sql = Sql::new(conn);
        match source {
            // The facts are the per-customer sums already: per currency
            // under the scope's key, per division and currency under each
            // division's.
            Purchases::Facts if by_division => {
                sql.push("SELECT f.division_key || ':' || f.currency AS bucket, f.amount_minor AS val");
                sql.push(" FROM customer_purchase_facts f WHERE f.division_key <> ''");
                sql.eq_opt("f.division_key", filters.division_id.as_deref());
                sql.eq_opt("f.owner_id", filters.user_id.as_deref());
            }
            Purchases::Facts => {
                sql.push("SELECT f.currency AS bucket, f.amount_minor AS val");
                facts_in_scope(&mut sql, filters, false);
            }
            Purchases::Rows => {
                let key = if by_division { "p.division_id || ':' || p.currency" } else { "p.currency" };
                sql.push(&format!("SELECT {key} AS bucket, CAST(SUM(p.amount_minor) AS BIGINT) AS val"));
                purchases_up_to_end(&mut sql, filters, true);
                sql.push(&format!(
                    " GROUP BY p.customer_id, {}",
                    if by_division { "p.division_id, p.currency" } else { "p.currency" }
                ));
            }
        }
        stats_over(sql).load(conn)
    };
    let order = currencies(conn, filters, source)?;
    let rank = |currency: &str| order.iter().position(|c| c == currency).unwrap_or(usize::MAX);
    let mut a = Assembly::new(Kpi::LifetimeValue, "Historical lifetime value (up to the period's end)", filters, None);
    let mut overall = stats(conn, false)?;
    overall.sort_by_key(|r| rank(&r.bucket));
    a.measures = if overall.is_empty() {
        value_stats(None, None)
    } else {
        overall.iter().flat_map(|r| value_stats(Some(r), Some(&r.bucket))).collect()
    };
    let mut by_division: BTreeMap<String, Vec<StatsRow>> = BTreeMap::new();
    for row in stats(conn, true)? {
        if let Some((division, _)) = row.bucket.split_once(':') {
            by_division.entry(division.to_owned()).or_default().push(row.clone());
        }
    }
    let names = crate::labels::divisions(conn, by_division.keys().map(String::as_str))?;
    for (division, mut rows) in by_division {
        rows.sort_by_key(|r| rank(r.bucket.split_once(':').map_or("", |(_, c)| c)));
        let measures =
            rows.iter().flat_map(|r| value_stats(Some(r), r.bucket.split_once(':').map(|(_, c)| c))).collect();
        let label = names.get(&division).cloned().unwrap_or_default();
        a.breakdown.push(BreakdownRow { dimension: "division".into(), key: division, label, measures });
    }
    a.breakdown.sort_by(|x, y| x.label.cmp(&y.label).then_with(|| x.key.cmp(&y.key)));
    Ok(a.finish())
}

#[derive(Debug, QueryableByName)]
struct PairRow {
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Text)]
    b: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    gap: i64,
}

/// `WITH cd AS (…), per AS (…), inter AS (…) `, from the purchases: `cd`
/// each purchaser and each division it has a counted purchase in, up to the
/// period's end (every division: the gaps are measured against the others);
/// `per` the purchasers per division (`a`, `n`); `inter`, for every ordered
/// pair of divisions, the purchasers in both (`a`, `b`, `n`), from the
/// customers in two or more only (a self-join of the rest would find
/// nothing).
fn divisions_bought_in(sql: &mut Sql, filters: &Filters) {
    sql.push("WITH cd AS (SELECT DISTINCT p.customer_id AS customer_id, p.division_id AS division_id");
    purchases_up_to_end(sql, filters, false);
    sql.push(
        "), m AS (SELECT cd.customer_id AS customer_id, COUNT(*) AS k FROM cd GROUP BY cd.customer_id), \
         per AS (SELECT cd.division_id AS a, COUNT(*) AS n FROM cd GROUP BY cd.division_id), \
         multi AS (SELECT cd.customer_id AS customer_id, cd.division_id AS division_id \
                   FROM cd JOIN m ON m.customer_id = cd.customer_id WHERE m.k >= 2), \
         inter AS (SELECT x.division_id AS a, y.division_id AS b, COUNT(*) AS n FROM multi x \
                   JOIN multi y ON y.customer_id = x.customer_id AND y.division_id <> x.division_id \
                   GROUP BY x.division_id, y.division_id) ",
    );
}

/// `WITH per AS (…), inter AS (…) ` as [`divisions_bought_in`], from the
/// facts: each purchaser's first-currency row per division key says it
/// bought there, and `divisions` how many divisions it bought in.
fn divisions_bought_in_facts(sql: &mut Sql, filters: &Filters) {
    sql.push(
        "WITH per AS (SELECT q.division_key AS a, SUM(q.customers) AS n FROM customer_purchase_counts q \
         WHERE q.division_key <> ''",
    );
    sql.eq_opt("q.owner_id", filters.user_id.as_deref());
    sql.push(
        " GROUP BY q.division_key HAVING SUM(q.customers) > 0), \
         inter AS (SELECT x.division_key AS a, y.division_key AS b, COUNT(*) AS n FROM customer_purchase_facts x \
                   JOIN customer_purchase_facts y ON y.customer_id = x.customer_id AND y.customers = 1 \
                        AND y.division_key <> '' AND y.division_key <> x.division_key \
                   WHERE x.division_key <> '' AND x.customers = 1 AND x.divisions >= 2",
    );
    sql.eq_opt("x.owner_id", filters.user_id.as_deref());
    sql.push(" GROUP BY x.division_key, y.division_key) ");
}

/// For every ordered pair of divisions (A, B) where A has purchasing
/// customers: A's customers with no purchase in B (A's purchasers less
/// those who bought in both), up to the period's end. A division filter
/// keeps the pairs from that division.
pub(crate) fn cross_sell(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let division = filters.division_id.as_deref();
    let source = Purchases::for_report(conn, filters)?;
    let mut sql = Sql::new(conn);
    match source {
        Purchases::Facts => {
            sql.push(&format!(
                "SELECT CAST('total' AS TEXT) AS bucket, COUNT(*) AS n, {} AS hits",
                count_if("f.divisions >= 2")
            ));
            facts_in_scope(&mut sql, filters, true);
        }
        Purchases::Rows => {
            divisions_bought_in(&mut sql, filters);
            sql.push(&format!(
                "SELECT CAST('total' AS TEXT) AS bucket, COUNT(*) AS n, {} AS hits FROM m WHERE 1 = 1",
                count_if("m.k >= 2")
            ));
            if let Some(d) = division {
                sql.push(" AND m.customer_id IN (SELECT cd.customer_id FROM cd WHERE cd.division_id = ")
                    .text(d)
                    .push(")");
            }
        }
    }
    let total: Vec<CountRow> = sql.load(conn)?;
    let (customers, multi) = total.first().map_or((0, 0), |r| (r.n, r.hits));

    let mut sql = Sql::new(conn);
    match source {
        Purchases::Facts => divisions_bought_in_facts(&mut sql, filters),
        Purchases::Rows => divisions_bought_in(&mut sql, filters),
    }
    sql.push(
        "SELECT per.a AS a, d.id AS b, CAST(per.n AS BIGINT) AS n, CAST(per.n - COALESCE(i.n, 0) AS BIGINT) AS gap \
         FROM per JOIN divisions d ON d.id <> per.a AND d.archived_at IS NULL \
         LEFT JOIN inter i ON i.a = per.a AND i.b = d.id WHERE 1 = 1",
    );
    sql.eq_opt("per.a", division);
    let pairs: Vec<PairRow> = sql.load(conn)?;
    let names = crate::labels::divisions(conn, pairs.iter().flat_map(|p| [p.a.as_str(), p.b.as_str()]))?;
    let name = |id: &str| names.get(id).cloned().unwrap_or_default();

    let mut a = Assembly::new(Kpi::CrossSell, "Cross-sell gaps (up to the period's end)", filters, None);
    a.measures = vec![
        Measure::count("purchasing_customers", customers),
        Measure::count("multi_division_customers", multi),
        Measure::rate("multi_division_rate", multi, customers, NO_PURCHASERS),
    ];
    let mut rows: Vec<(String, String, BreakdownRow)> = pairs
        .into_iter()
        .map(|p| {
            let (from, to) = (name(&p.a), name(&p.b));
            let row = BreakdownRow {
                dimension: "division_pair".into(),
                key: format!("{}>{}", p.a, p.b),
                label: format!("{from} > {to}"),
                measures: vec![
                    Measure::count("customers", p.gap),
                    Measure::rate("share", p.gap, p.n, "no customers purchased in the first division"),
                ],
            };
            (from, to, row)
        })
        .collect();
    rows.sort_by(|x, y| (&x.0, &x.1, &x.2.key).cmp(&(&y.0, &y.1, &y.2.key)));
    a.breakdown = rows.into_iter().map(|(_, _, row)| row).collect();
    Ok(a.finish())
}

/// The service statuses, in display order.
const STATUSES: [(&str, &str); 4] =
    [("ok", "OK"), ("due_soon", "Due soon"), ("overdue", "Overdue"), ("unknown", "Unknown (no projection)")];

#[derive(Debug, QueryableByName)]
struct StatusRow {
    #[diesel(sql_type = Text)]
    division_key: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    assets: i64,
    #[diesel(sql_type = BigInt)]
    customers_due: i64,
}

/// The kept asset counts in scope (`asset_service_counts`, migration
/// 000033) per division key ('' for the whole base) and service status on
/// `today`, with the customers due: the rule of the assets list
/// (`rapport_customers` `asset::projection::status`) over the first days
/// each asset is overdue and due soon. Each customer counts once per key,
/// on the row of its earliest such day: due when that day has come.
fn kept_statuses(conn: &mut Conn, filters: &Filters, today: NaiveDate) -> Result<Vec<StatusRow>> {
    let mut sql = Sql::new(conn);
    sql.push("SELECT q.division_key AS division_key, CASE WHEN q.unknown = 1 THEN 'unknown' WHEN q.overdue_from <= ");
    sql.date(today).push(" THEN 'overdue' WHEN q.due_soon_from <= ").date(today);
    sql.push(
        " THEN 'due_soon' ELSE 'ok' END AS status, CAST(SUM(q.assets) AS BIGINT) AS assets, \
         CAST(SUM(CASE WHEN q.unknown = 0 AND (q.overdue_from <= ",
    );
    sql.date(today).push(" OR q.due_soon_from <= ").date(today);
    sql.push(") THEN q.customers ELSE 0 END) AS BIGINT) AS customers_due FROM asset_service_counts q WHERE 1 = 1");
    sql.eq_opt("q.division_key", filters.division_id.as_deref());
    sql.eq_opt("q.owner_id", filters.user_id.as_deref());
    if filters.branch_id.is_some() {
        // Only a branch scope gets here (the parameter is refused): assets
        // belong to no branch, so it sees none.
        sql.push(" AND 1 = 0");
    }
    sql.push(" GROUP BY q.division_key, status HAVING SUM(q.assets) <> 0");
    sql.load(conn)
}

fn status_measures(counts: &BTreeMap<&str, i64>) -> Vec<Measure> {
    let n = |s: &str| counts.get(s).copied().unwrap_or(0);
    let assets: i64 = counts.values().sum();
    let mut measures = vec![Measure::count("assets", assets)];
    measures.extend(STATUSES.iter().map(|(s, _)| Measure::count(s, n(s))));
    measures.push(Measure::rate("overdue_rate", n("overdue"), assets - n("unknown"), NO_KNOWN_DUE));
    measures
}

/// Assets by service status now (on the company's today), overall, per
/// status and per division; and the customers with one due soon or overdue.
pub(crate) fn service_due(conn: &mut Conn, filters: &Filters) -> Result<Report> {
    let today = filters.clock.now.with_timezone(&filters.clock.tz).date_naive();
    let rows = kept_statuses(conn, filters, today)?;
    // The scope's own key: its division, or '' for the whole base.
    let scope_key = filters.division_id.as_deref().unwrap_or("");
    let mut total: BTreeMap<&str, i64> = BTreeMap::new();
    let mut customers_due = 0;
    let mut divisions: BTreeMap<&str, BTreeMap<&str, i64>> = BTreeMap::new();
    for r in &rows {
        if r.division_key == scope_key {
            *total.entry(r.status.as_str()).or_default() += r.assets;
            customers_due += r.customers_due;
        }
        if !r.division_key.is_empty() {
            *divisions.entry(r.division_key.as_str()).or_default().entry(r.status.as_str()).or_default() += r.assets;
        }
    }
    let mut a = Assembly::new(Kpi::ServiceDue, &format!("Assets by service status (as of {today})"), filters, None);
    a.measures = status_measures(&total);
    a.measures.push(Measure::count("customers_due", customers_due));
    let assets: i64 = total.values().sum();
    for (status, label) in STATUSES {
        let n = total.get(status).copied().unwrap_or(0);
        a.breakdown.push(BreakdownRow {
            dimension: "service_status".into(),
            key: status.into(),
            label: label.into(),
            measures: vec![Measure::count("assets", n), Measure::rate("share", n, assets, NO_ASSETS)],
        });
    }
    let names = crate::labels::divisions(conn, divisions.keys().copied())?;
    let mut by_division: Vec<BreakdownRow> = divisions
        .iter()
        .map(|(id, counts)| BreakdownRow {
            dimension: "division".into(),
            key: (*id).to_owned(),
            label: names.get(*id).cloned().unwrap_or_default(),
            measures: status_measures(counts),
        })
        .collect();
    by_division.sort_by(|x, y| x.label.cmp(&y.label).then_with(|| x.key.cmp(&y.key)));
    a.breakdown.extend(by_division);
    Ok(a.finish())
}
