//! `order_statistic(value, which)`: an aggregate SQLite lacks, registered
//! on every SQLite connection. The reports give medians and 90th
//! percentiles of up to a year of durations; PostgreSQL ranks them with
//! window functions, which SQLite runs five times slower than the scan that
//! feeds them (1.7 s for 250k won leads, where the scan took 0.3 s). This
//! aggregate keeps a group's values and selects the one asked for in linear
//! time, the nearest-rank definitions the window statement computes.

use diesel::SqliteConnection;
use diesel::sql_types::{BigInt, Integer};
use diesel::sqlite::SqliteAggregateFunction;

/// Which value `order_statistic` returns: the lower middle value, the
/// ⌈n/2⌉-th smallest (equal to [`MEDIAN_HIGH`] for odd n).
pub const MEDIAN_LOW: i32 = 0;
/// The upper middle value, the (⌊n/2⌋ + 1)-th smallest.
pub const MEDIAN_HIGH: i32 = 1;
/// The 90th percentile by nearest rank, the ⌈0.9·n⌉-th smallest.
pub const P90: i32 = 2;

/// The 1-based rank of statistic `which` among `n` values (n ≥ 1), as the
/// window statement of the metrics crate computes it: `(n + 1) / 2`,
/// `n / 2 + 1`, `(9n + 9) / 10` in integer division; `None` for an
/// unknown `which`.
pub fn nearest_rank(n: usize, which: i32) -> Option<usize> {
    match which {
        MEDIAN_LOW => Some(n.div_ceil(2)),
        MEDIAN_HIGH => Some(n / 2 + 1),
        // ⌈9n/10⌉ = ⌊(9n + 9)/10⌋ for whole n.
        P90 => Some((9 * n).div_ceil(10)),
        _ => None,
    }
}

diesel::define_sql_function! {
    /// The value of rank [`nearest_rank`]`(n, which)` among a group's
    /// non-null values; NULL over none.
    #[aggregate]
    fn order_statistic(value: BigInt, which: Integer) -> diesel::sql_types::Nullable<BigInt>;
}

/// The state of one group: its values, and which statistic it returns.
#[derive(Default)]
struct Collected {
    values: Vec<i64>,
    which: i32,
}

impl SqliteAggregateFunction<(i64, i32)> for Collected {
    type Output = Option<i64>;

    fn step(&mut self, (value, which): (i64, i32)) {
        self.values.push(value);
        self.which = which;
    }

    fn finalize(aggregator: Option<Self>) -> Option<i64> {
        let Collected { mut values, which } = aggregator?;
        let rank = nearest_rank(values.len(), which)?;
        let index = rank.checked_sub(1).filter(|i| *i < values.len())?;
        Some(*values.select_nth_unstable(index).1)
    }
}

/// Registers `order_statistic` on `conn`.
pub(super) fn register(conn: &mut SqliteConnection) -> diesel::QueryResult<()> {
    order_statistic_utils::register_impl::<Collected, _, _>(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_the_window_statement() {
        // (n, median low, median high, p90)
        for (n, low, high, p90) in
            [(1, 1, 1, 1), (2, 1, 2, 2), (3, 2, 2, 3), (4, 2, 3, 4), (10, 5, 6, 9), (11, 6, 6, 10)]
        {
            assert_eq!(nearest_rank(n, MEDIAN_LOW), Some(low), "n = {n}");
            assert_eq!(nearest_rank(n, MEDIAN_HIGH), Some(high), "n = {n}");
            assert_eq!(nearest_rank(n, P90), Some(p90), "n = {n}");
        }
        assert_eq!(nearest_rank(3, 7), None);
    }

    #[test]
    fn the_aggregate_selects_by_rank_per_group_and_gives_null_over_none() {
        use diesel::{Connection, QueryableByName, RunQueryDsl};
        #[derive(QueryableByName, Debug, PartialEq)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            g: String,
            #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
            low: Option<i64>,
            #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
            high: Option<i64>,
            #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
            p90: Option<i64>,
        }
        let mut conn = SqliteConnection::establish(":memory:").expect("memory database");
        register(&mut conn).expect("registered");
        diesel::sql_query("CREATE TABLE v (g TEXT, x BIGINT)").execute(&mut conn).expect("table");
        // a: 10 values given out of order, 1..=10; b: 7, 3, 5.
        diesel::sql_query("INSERT INTO v VALUES ('a', 7), ('a', 2), ('a', 10), ('a', 1), ('a', 9), ('a', 3), ('a', 8), ('a', 4), ('a', 6), ('a', 5), ('b', 7), ('b', 3), ('b', 5)")
            .execute(&mut conn)
            .expect("rows");
        let stats = "SELECT g, order_statistic(x, 0) AS low, order_statistic(x, 1) AS high, \
                     order_statistic(x, 2) AS p90 FROM v";
        let rows: Vec<Row> =
            diesel::sql_query(format!("{stats} GROUP BY g ORDER BY g")).load(&mut conn).expect("stats");
        let row = |g: &str, low, high, p90| Row { g: g.to_owned(), low: Some(low), high: Some(high), p90: Some(p90) };
        assert_eq!(rows, vec![row("a", 5, 6, 9), row("b", 5, 5, 7)]);
        let none: Vec<Row> =
            diesel::sql_query(format!("{stats} WHERE x > 100 GROUP BY 'z'")).load(&mut conn).expect("none");
        assert!(none.is_empty());
        let empty: Vec<Row> = diesel::sql_query(
            "SELECT 'z' AS g, order_statistic(x, 0) AS low, \
             order_statistic(x, 1) AS high, order_statistic(x, 2) AS p90 FROM v WHERE x > 100",
        )
        .load(&mut conn)
        .expect("empty");
        assert_eq!(empty, vec![Row { g: "z".to_owned(), low: None, high: None, p90: None }]);
    }
}
