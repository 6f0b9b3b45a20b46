//! Report SQL: aggregates with window functions and local-date bucketing
//! that the query builder cannot express, written once and rendered for
//! either backend (placeholders, date functions). Values are always bound,
//! never spliced; only instants and offsets this crate computed are
//! written into the text.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::pg::Pg;
use diesel::query_builder::BoxedSqlQuery;
use diesel::query_dsl::RunQueryDsl;
use diesel::sql_types::{BigInt, Date, Text, Timestamp};
use diesel::sqlite::Sqlite;
use diesel::{QueryableByName, sql_query};
use rapport_core::Result;
use rapport_core::db::{Backend, Conn};

use crate::filters::Filters;
use crate::{GroupBy, period::Period};

/// A bound value.
#[derive(Debug, Clone)]
enum Bind {
    Text(String),
    Time(NaiveDateTime),
    Day(NaiveDate),
    Int(i64),
}

/// A statement under construction for one backend.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    backend: Backend,
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    pub fn new(conn: &Conn) -> Sql {
        let backend = match conn {
            Conn::Postgres(_) => Backend::Postgres,
            Conn::Sqlite(_) => Backend::Sqlite,
        };
        Sql { backend, text: String::new(), binds: Vec::new() }
    }

    /// Appends SQL text.
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    fn placeholder(&mut self, bind: Bind) -> &mut Sql {
        self.binds.push(bind);
        match self.backend {
            Backend::Postgres => {
                let n = self.binds.len();
                self.text.push_str(&format!("${n}"));
            }
            Backend::Sqlite => self.text.push('?'),
        }
        self
    }

    /// Appends a bound text value.
    pub fn text(&mut self, value: &str) -> &mut Sql {
        self.placeholder(Bind::Text(value.to_owned()))
    }

    /// Appends a bound instant.
    pub fn instant(&mut self, value: NaiveDateTime) -> &mut Sql {
        self.placeholder(Bind::Time(value))
    }

    /// Appends a bound calendar day (for `DATE` columns).
    pub fn date(&mut self, value: NaiveDate) -> &mut Sql {
        self.placeholder(Bind::Day(value))
    }

    /// Appends a bound integer.
    pub fn int(&mut self, value: i64) -> &mut Sql {
        self.placeholder(Bind::Int(value))
    }

    /// The backend the statement is rendered for, for the rare text that
    /// differs (pattern matching).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// `AND <column> >= start AND <column> < end`.
    pub fn within(&mut self, column: &str, period: &Period) -> &mut Sql {
        self.push(&format!(" AND {column} >= ")).instant(period.start);
        self.push(&format!(" AND {column} < ")).instant(period.end)
    }

    /// `AND <column> = value` when `value` is set.
    pub fn eq_opt(&mut self, column: &str, value: Option<&str>) -> &mut Sql {
        if let Some(v) = value {
            self.push(&format!(" AND {column} = ")).text(v);
        }
        self
    }

    /// Whole seconds from instant column `from` to `to`.
    pub fn seconds_between(&self, from: &str, to: &str) -> String {
        match self.backend {
            Backend::Sqlite => {
                // unixepoch() truncates as strftime('%s') does, in a third of the time.
                format!("(unixepoch({to}) - unixepoch({from}))")
            }
            Backend::Postgres => format!(
                "(CAST(FLOOR(EXTRACT(EPOCH FROM {to})) AS BIGINT) - CAST(FLOOR(EXTRACT(EPOCH FROM {from})) AS BIGINT))"
            ),
        }
    }

    /// The key (`YYYY-MM-DD`, its first local day) of the bucket instant
    /// column `column` falls in, or the constant `'total'` with no grouping.
    pub fn bucket(&self, column: &str, filters: &Filters, group_by: Option<GroupBy>) -> String {
        let Some(group_by) = group_by else {
            return "CAST('total' AS TEXT)".to_owned();
        };
        let offsets = filters.period.offsets();
        let stamp = |at: &NaiveDateTime| at.format("%Y-%m-%d %H:%M:%S").to_string();
        match self.backend {
            Backend::Sqlite => {
                let modifier = piecewise(column, &offsets, &stamp, |o| format!("'{o:+} seconds'"));
                match group_by {
                    GroupBy::Day => format!("strftime('%Y-%m-%d', {column}, {modifier})"),
                    GroupBy::Week => format!("date({column}, {modifier}, 'weekday 0', '-6 days')"),
                    GroupBy::Month => format!("strftime('%Y-%m-01', {column}, {modifier})"),
                }
            }
            Backend::Postgres => format!("to_char({}, 'YYYY-MM-DD')", self.bucket_start(column, filters, group_by)),
        }
    }

    /// The bucket of instant column `column` for [`ranked_by_bucket`]: on
    /// SQLite the key [`Sql::bucket`] gives; on PostgreSQL the local
    /// instant the bucket starts at, which the ranking formats once per
    /// bucket (`to_char` per row was ~80 ms of a year's first-response
    /// series over 200k tickets).
    pub fn bucket_start(&self, column: &str, filters: &Filters, group_by: GroupBy) -> String {
        match self.backend {
            Backend::Sqlite => self.bucket(column, filters, Some(group_by)),
            Backend::Postgres => {
                let offsets = filters.period.offsets();
                let stamp = |at: &NaiveDateTime| at.format("%Y-%m-%d %H:%M:%S").to_string();
                let shift = piecewise(column, &offsets, &stamp, |o| o.to_string());
                let local = format!("({column} + ({shift}) * INTERVAL '1 second')");
                let unit = match group_by {
                    GroupBy::Day => "day",
                    GroupBy::Week => "week",
                    GroupBy::Month => "month",
                };
                format!("date_trunc('{unit}', {local})")
            }
        }
    }

    /// The local day (company time zone) instant column `column` falls on,
    /// as a `DATE` (PostgreSQL) or `YYYY-MM-DD` text (SQLite), for
    /// statements that count per day and let [`crate::assemble::fold_days`]
    /// make the total and the buckets: one pass over the rows for both.
    pub fn local_day(&self, column: &str, filters: &Filters) -> String {
        let offsets = filters.period.offsets();
        let stamp = |at: &NaiveDateTime| at.format("%Y-%m-%d %H:%M:%S").to_string();
        match self.backend {
            Backend::Sqlite => {
                format!("date({column}, {})", piecewise(column, &offsets, &stamp, |o| format!("'{o:+} seconds'")))
            }
            Backend::Postgres => {
                let shift = piecewise(column, &offsets, &stamp, |o| o.to_string());
                format!("CAST({column} + ({shift}) * INTERVAL '1 second' AS DATE)")
            }
        }
    }

    /// A day as [`Sql::local_day`] or a `DATE` column gives it, as the
    /// `YYYY-MM-DD` key the assembly reads.
    pub fn day_key(&self, day: &str) -> String {
        match self.backend {
            Backend::Sqlite => format!("CAST({day} AS TEXT)"),
            Backend::Postgres => format!("to_char({day}, 'YYYY-MM-DD')"),
        }
    }

    /// Opens a count per local day: `SELECT <key> AS bucket, <aliases>
    /// FROM (SELECT <day> AS d, <expr> AS <alias>…`; the caller adds the
    /// FROM and WHERE, then [`Sql::close_per_day`].
    pub fn open_per_day(&mut self, day: &str, columns: &[(&str, &str)]) -> &mut Sql {
        let outer: Vec<String> = columns.iter().map(|(alias, _)| format!("x.{alias} AS {alias}")).collect();
        let inner: Vec<String> = columns.iter().map(|(alias, expr)| format!("{expr} AS {alias}")).collect();
        let key = self.day_key("x.d");
        self.push(&format!(
            "SELECT {key} AS bucket, {} FROM (SELECT {day} AS d, {}",
            outer.join(", "),
            inner.join(", ")
        ))
    }

    /// Closes what [`Sql::open_per_day`] opened.
    pub fn close_per_day(&mut self) -> &mut Sql {
        self.push(" GROUP BY 1) x")
    }

    /// Runs the statement for its effect, returning the rows it touched.
    pub fn execute(&self, conn: &mut Conn) -> Result<usize> {
        let n = match conn {
            Conn::Postgres(c) => bind_all::<Pg>(sql_query(self.text.clone()).into_boxed(), &self.binds).execute(c),
            Conn::Sqlite(c) => bind_all::<Sqlite>(sql_query(self.text.clone()).into_boxed(), &self.binds).execute(c),
        }?;
        Ok(n)
    }

    /// `AND <column> >= from AND <column> <= to` over a local-day column.
    pub fn within_days(&mut self, column: &str, period: &Period) -> &mut Sql {
        self.push(&format!(" AND {column} >= ")).date(period.from);
        self.push(&format!(" AND {column} <= ")).date(period.to)
    }

    /// Runs the statement, loading rows of `R`.
    pub fn load<R>(&self, conn: &mut Conn) -> Result<Vec<R>>
    where
        R: QueryableByName<Pg> + QueryableByName<Sqlite> + 'static,
    {
        let rows = match conn {
            Conn::Postgres(c) => bind_all::<Pg>(sql_query(self.text.clone()).into_boxed(), &self.binds).load::<R>(c),
            Conn::Sqlite(c) => bind_all::<Sqlite>(sql_query(self.text.clone()).into_boxed(), &self.binds).load::<R>(c),
        }?;
        Ok(rows)
    }
}

fn bind_all<'f, DB>(
    mut q: BoxedSqlQuery<'f, DB, diesel::query_builder::SqlQuery>,
    binds: &[Bind],
) -> BoxedSqlQuery<'f, DB, diesel::query_builder::SqlQuery>
where
    DB: diesel::backend::Backend
        + diesel::sql_types::HasSqlType<Text>
        + diesel::sql_types::HasSqlType<Timestamp>
        + diesel::sql_types::HasSqlType<Date>
        + diesel::sql_types::HasSqlType<BigInt>,
    String: diesel::serialize::ToSql<Text, DB>,
    NaiveDateTime: diesel::serialize::ToSql<Timestamp, DB>,
    NaiveDate: diesel::serialize::ToSql<Date, DB>,
    i64: diesel::serialize::ToSql<BigInt, DB>,
{
    for bind in binds {
        q = match bind {
            Bind::Text(v) => q.bind::<Text, _>(v.clone()),
            Bind::Time(v) => q.bind::<Timestamp, _>(*v),
            Bind::Day(v) => q.bind::<Date, _>(*v),
            Bind::Int(v) => q.bind::<BigInt, _>(*v),
        };
    }
    q
}

/// `CASE WHEN column < t1 THEN o0 WHEN column < t2 THEN o1 … ELSE on END`
/// over the offset pieces, or the one offset when there is one piece.
fn piecewise(
    column: &str,
    offsets: &[(NaiveDateTime, i32)],
    stamp: &dyn Fn(&NaiveDateTime) -> String,
    render: impl Fn(i32) -> String,
) -> String {
    match offsets {
        [] => render(0),
        [(_, only)] => render(*only),
        [(_, first), rest @ ..] => {
            let mut case = String::from("CASE");
            let mut current = *first;
            for (from, offset) in rest {
                case.push_str(&format!(" WHEN {column} < '{}' THEN {}", stamp(from), render(current)));
                current = *offset;
            }
            case.push_str(&format!(" ELSE {} END", render(current)));
            case
        }
    }
}

/// Counted rows per bucket: `n` and a second count `hits`.
#[derive(Debug, Clone, QueryableByName)]
pub(crate) struct CountRow {
    #[diesel(sql_type = Text)]
    pub bucket: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = BigInt)]
    pub hits: i64,
}

/// How many values a duration has, and their sum in its steps, per bucket.
#[derive(Debug, Clone, QueryableByName)]
pub(crate) struct DurationDay {
    #[diesel(sql_type = Text)]
    pub bucket: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = BigInt)]
    pub total: i64,
}

/// Order statistics of an integer value per bucket (`stats_over`).
#[derive(Debug, Clone, QueryableByName)]
pub(crate) struct StatsRow {
    #[diesel(sql_type = Text)]
    pub bucket: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = BigInt)]
    pub total: i64,
    #[diesel(sql_type = BigInt)]
    pub median_low: i64,
    #[diesel(sql_type = BigInt)]
    pub median_high: i64,
    #[diesel(sql_type = BigInt)]
    pub p90: i64,
}

/// Wraps `inner` (a statement selecting `bucket` and an integer `val`
/// per row) into the count, sum, the two middle values and the 90th
/// percentile (nearest rank: the ⌈0.9·n⌉-th smallest) per bucket, in the
/// database: ranked by window functions on PostgreSQL, selected by the
/// `order_statistic` aggregate on SQLite (its window functions took five
/// times the scan; `rapport_core::db::order_statistic`, same ranks).
pub(crate) fn stats_over(mut inner: Sql) -> Sql {
    let text = std::mem::take(&mut inner.text);
    let statement = ranked(inner.backend, &text, "SELECT bucket, val FROM v", "bucket");
    inner.push(&statement);
    inner
}

/// The key of the whole period's row in [`ranked_by_bucket`].
pub(crate) const WHOLE_PERIOD: &str = "total";

/// As [`stats_over`], for `inner` selecting a duration `val` per row and,
/// when `series`, the `bucket` its row falls in ([`Sql::bucket_start`]):
/// one row for the whole period (bucket [`WHOLE_PERIOD`]) and, when
/// `series`, one per bucket (`YYYY-MM-DD`). On PostgreSQL the rows are
/// read once for both rankings (the period and its buckets ranked by two
/// statements read them twice: ~100 ms of a year's first-response report
/// over 200k tickets).
pub(crate) fn ranked_by_bucket(mut inner: Sql, series: bool) -> Sql {
    let text = std::mem::take(&mut inner.text);
    let (whole, bucket) = match inner.backend {
        // NULL ranks as one bucket; the bucket starts are formatted once
        // per bucket.
        Backend::Postgres => {
            ("CAST(NULL AS TIMESTAMP)".to_owned(), format!("COALESCE(to_char(bucket, 'YYYY-MM-DD'), '{WHOLE_PERIOD}')"))
        }
        Backend::Sqlite => (format!("'{WHOLE_PERIOD}'"), "bucket".to_owned()),
    };
    let mut rows = format!("SELECT {whole} AS bucket, val FROM v");
    if series {
        rows.push_str(" UNION ALL SELECT bucket, val FROM v");
    }
    let statement = ranked(inner.backend, &text, &rows, &bucket);
    inner.push(&statement);
    inner
}

/// The statistics of `val` per `bucket` over `rows`, which select them
/// from `v`, the rows of `text` (named once, so its placeholders are bound
/// once); the bucket shown as `bucket_out`.
fn ranked(backend: Backend, text: &str, rows: &str, bucket_out: &str) -> String {
    match backend {
        Backend::Postgres => format!(
            "WITH v AS ({text}), u AS ({rows}), \
             r AS (SELECT bucket, val, ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY val) AS rn, \
                          COUNT(*) OVER (PARTITION BY bucket) AS n FROM u) \
             SELECT {bucket_out} AS bucket, CAST(MAX(n) AS BIGINT) AS n, CAST(SUM(val) AS BIGINT) AS total, \
                    CAST(SUM(CASE WHEN rn = (n + 1) / 2 THEN val ELSE 0 END) AS BIGINT) AS median_low, \
                    CAST(SUM(CASE WHEN rn = n / 2 + 1 THEN val ELSE 0 END) AS BIGINT) AS median_high, \
                    CAST(SUM(CASE WHEN rn = (9 * n + 9) / 10 THEN val ELSE 0 END) AS BIGINT) AS p90 \
             FROM r GROUP BY bucket"
        ),
        Backend::Sqlite => {
            use rapport_core::db::order_statistic::{MEDIAN_HIGH, MEDIAN_LOW, P90};
            // Not materialized: each use reads the rows again, as two
            // statements did (one pass of the covering index per use, no
            // copy of a year's rows into a temporary table).
            format!(
                "WITH v AS NOT MATERIALIZED ({text}) \
                 SELECT {bucket_out} AS bucket, COUNT(*) AS n, CAST(SUM(val) AS BIGINT) AS total, \
                        order_statistic(val, {MEDIAN_LOW}) AS median_low, \
                        order_statistic(val, {MEDIAN_HIGH}) AS median_high, \
                        order_statistic(val, {P90}) AS p90 \
                 FROM ({rows}) u WHERE val IS NOT NULL GROUP BY bucket"
            )
        }
    }
}

/// `SUM(CASE WHEN cond THEN 1 ELSE 0 END)` as BIGINT, 0 over no rows.
pub(crate) fn count_if(cond: &str) -> String {
    format!("CAST(COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0) AS BIGINT)")
}
