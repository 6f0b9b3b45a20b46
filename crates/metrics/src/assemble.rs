//! Putting a report together from the rows its statements returned: the
//! headline measures, one series point per bucket (empty buckets
//! included, with null values and their reason) and the breakdown.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::filters::Filters;
use crate::report::{BreakdownRow, Measure, Report, SeriesPoint, Unit};
use rapport_core::Result;
use rapport_core::db::Conn;

use crate::sql::{CountRow, DurationDay, StatsRow};
use crate::{GroupBy, Kpi};

/// Seconds in a calendar day.
pub(crate) const SECONDS_PER_DAY: i64 = 86_400;

/// A report being assembled.
pub(crate) struct Assembly<'f> {
    kpi: Kpi,
    title: String,
    filters: &'f Filters,
    records: Option<String>,
    pub measures: Vec<Measure>,
    pub series: Vec<SeriesPoint>,
    pub breakdown: Vec<BreakdownRow>,
}

impl<'f> Assembly<'f> {
    pub fn new(kpi: Kpi, title: &str, filters: &'f Filters, records: Option<String>) -> Assembly<'f> {
        Assembly {
            kpi,
            title: title.to_owned(),
            filters,
            records,
            measures: Vec::new(),
            series: Vec::new(),
            breakdown: Vec::new(),
        }
    }

    /// One point per bucket of the period, with `measures(key)` for each
    /// (`key` as the statements render it: `YYYY-MM-DD`).
    pub fn series(&mut self, group_by: GroupBy, measures: impl Fn(&str) -> Vec<Measure>) {
        self.series = self
            .filters
            .period
            .buckets(group_by)
            .into_iter()
            .map(|bucket| SeriesPoint { bucket, measures: measures(&bucket.format("%Y-%m-%d").to_string()) })
            .collect();
    }

    /// The headline measures from `rows(None)` (one row: the whole
    /// period) and, with `group_by`, the series from `rows(Some(g))`.
    pub fn measure_by_bucket<R: Bucketed>(
        &mut self,
        conn: &mut Conn,
        rows: impl Fn(&mut Conn, Option<GroupBy>) -> Result<Vec<R>>,
        measures: impl Fn(Option<&R>) -> Vec<Measure>,
    ) -> Result<()> {
        self.measures = measures(rows(conn, None)?.first());
        if let Some(g) = self.filters.group_by {
            let by = keyed(rows(conn, Some(g))?, |r| r.bucket());
            self.series(g, |key| measures(by.get(key)));
        }
        Ok(())
    }

    /// The headline measures and, with `group_by`, the series, from the
    /// rows of one ranked statement (`sql::ranked_by_bucket`): the whole
    /// period's row and one per bucket.
    pub fn measure_ranked<R: Bucketed>(
        &mut self,
        conn: &mut Conn,
        rows: impl FnOnce(&mut Conn, Option<GroupBy>) -> Result<Vec<R>>,
        measures: impl Fn(Option<&R>) -> Vec<Measure>,
    ) -> Result<()> {
        let by = keyed(rows(conn, self.filters.group_by)?, |r| r.bucket());
        self.measures = measures(by.get(crate::sql::WHOLE_PERIOD));
        if let Some(g) = self.filters.group_by {
            self.series(g, |key| measures(by.get(key)));
        }
        Ok(())
    }

    pub fn finish(self) -> Report {
        Report {
            kpi: self.kpi,
            title: self.title,
            definition: self.kpi.definition(),
            filters: self.filters.applied(),
            measures: self.measures,
            target: None,
            series: self.series,
            breakdown: self.breakdown,
            records: self.records,
        }
    }
}

/// A row of a statement grouped by bucket.
pub(crate) trait Bucketed {
    /// Its bucket key (`YYYY-MM-DD`, or `total`).
    fn bucket(&self) -> &String;
}

impl Bucketed for CountRow {
    fn bucket(&self) -> &String {
        &self.bucket
    }
}

impl Bucketed for StatsRow {
    fn bucket(&self) -> &String {
        &self.bucket
    }
}

/// A row of counts that add up: per local day, folded into the period's
/// total and the series' buckets by [`fold_days`].
pub(crate) trait Additive: Bucketed + Clone {
    /// Adds `other`'s counts to this row's.
    fn add(&mut self, other: &Self);
    /// This row's counts under another bucket key.
    fn rekeyed(&self, bucket: String) -> Self;
}

impl Additive for CountRow {
    fn add(&mut self, other: &Self) {
        self.n += other.n;
        self.hits += other.hits;
    }

    fn rekeyed(&self, bucket: String) -> Self {
        CountRow { bucket, ..self.clone() }
    }
}

impl Bucketed for DurationDay {
    fn bucket(&self) -> &String {
        &self.bucket
    }
}

impl Additive for DurationDay {
    fn add(&mut self, other: &Self) {
        self.n += other.n;
        self.total += other.total;
    }

    fn rekeyed(&self, bucket: String) -> Self {
        DurationDay { bucket, ..self.clone() }
    }
}

/// Counts per local day (`bucket` = `YYYY-MM-DD`), folded: the period's
/// total (`None` over no rows) and, with `group_by`, the rows per bucket.
pub(crate) struct Folded<R> {
    pub total: Option<R>,
    pub buckets: HashMap<String, R>,
}

pub(crate) fn fold_days<R: Additive>(days: &[R], group_by: Option<GroupBy>) -> Folded<R> {
    let mut folded: Folded<R> = Folded { total: None, buckets: HashMap::new() };
    for day in days {
        match &mut folded.total {
            Some(total) => total.add(day),
            None => folded.total = Some(day.rekeyed("total".to_owned())),
        }
        let Some(g) = group_by else { continue };
        let Ok(date) = chrono::NaiveDate::parse_from_str(day.bucket(), "%Y-%m-%d") else { continue };
        let key = crate::period::bucket_of(date, g).format("%Y-%m-%d").to_string();
        match folded.buckets.get_mut(&key) {
            Some(bucket) => bucket.add(day),
            None => {
                folded.buckets.insert(key.clone(), day.rekeyed(key));
            }
        }
    }
    folded
}

impl Assembly<'_> {
    /// The headline measures and, with a `group_by`, the series, from
    /// counts per local day.
    pub fn measure_by_day<R: Additive>(&mut self, days: &[R], measures: impl Fn(Option<&R>) -> Vec<Measure>) {
        let folded = fold_days(days, self.filters.group_by);
        self.measures = measures(folded.total.as_ref());
        if let Some(g) = self.filters.group_by {
            self.series(g, |key| measures(folded.buckets.get(key)));
        }
    }
}

/// Rows by their bucket key.
pub(crate) fn keyed<R>(rows: Vec<R>, key: impl Fn(&R) -> &String) -> HashMap<String, R> {
    rows.into_iter().map(|r| (key(&r).clone(), r)).collect()
}

/// Count, mean, median and 90th percentile of a duration measured in
/// integer steps, `per_unit` steps to one `unit` (86,400 seconds to a
/// day; a million micro-days to a business day).
pub(crate) fn duration_stats(
    row: Option<&StatsRow>,
    unit: Unit,
    per_unit: i64,
    suffix: &str,
    empty: &str,
) -> Vec<Measure> {
    let per = Decimal::from(per_unit);
    let n = row.map_or(0, |r| r.n);
    let mut measures = duration_means((n, row.map_or(0, |r| r.total)), unit, per_unit, suffix, empty);
    let median = row
        .map_or(Decimal::ZERO, |r| (Decimal::from(r.median_low) + Decimal::from(r.median_high)) / Decimal::TWO / per);
    let p90 = Decimal::from(row.map_or(0, |r| r.p90)) / per;
    measures.push(Measure::order_statistic(&format!("median_{suffix}"), unit, median, n, empty));
    measures.push(Measure::order_statistic(&format!("p90_{suffix}"), unit, p90, n, empty));
    measures
}

/// Count and mean of a duration from `(n, total)`: `n` values summing to
/// `total` steps, `per_unit` steps to one `unit` (as [`duration_stats`]).
pub(crate) fn duration_means(
    (n, total): (i64, i64),
    unit: Unit,
    per_unit: i64,
    suffix: &str,
    empty: &str,
) -> Vec<Measure> {
    let total = Decimal::from(total) / Decimal::from(per_unit);
    vec![Measure::count("count", n), Measure::mean(&format!("mean_{suffix}"), unit, total, n, empty)]
}
