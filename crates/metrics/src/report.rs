//! The shape every report answers in: named measures that carry their
//! numerator and denominator, a series per bucket and a breakdown.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::filters::AppliedFilters;
use crate::kpi::Kpi;
use crate::targets::TargetStatus;

/// Decimal places of a reported value (recompute from the numerator and
/// denominator for more).
const PLACES: u32 = 2;

/// What a measure's value counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A share, 0–100.
    Percent,
    /// A number of records.
    Count,
    /// Calendar days (86,400 s).
    Days,
    /// Business days on the records' calendars.
    BusinessDays,
    /// Business hours on the records' calendars.
    BusinessHours,
    /// Seconds.
    Seconds,
    /// An amount of money in `currency`.
    Money,
}

/// One number of a report, with what it was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Measure {
    /// Stable name within the report, e.g. `cohort_rate`.
    #[schema(example = "cohort_rate")]
    pub name: String,
    /// What the value counts in.
    pub unit: Unit,
    /// The value, rounded half-even to 2 places; `null` when it has no
    /// meaning (see `null_reason`), never 0 in its place.
    #[schema(value_type = Option<String>, example = "6.25")]
    pub value: Option<Decimal>,
    /// What was divided (a count, or a sum in the measure's unit); for
    /// order statistics (median, p90), absent.
    #[schema(value_type = Option<String>, example = "5")]
    pub numerator: Option<Decimal>,
    /// What it was divided by: the number of records the value stands on.
    #[schema(example = 80)]
    pub denominator: Option<i64>,
    /// The ISO currency of a `money` measure.
    pub currency: Option<String>,
    /// Why `value` is null, e.g. `no leads created in the period`.
    pub null_reason: Option<String>,
}

impl Measure {
    fn new(name: &str, unit: Unit) -> Measure {
        Measure {
            name: name.to_owned(),
            unit,
            value: None,
            numerator: None,
            denominator: None,
            currency: None,
            null_reason: None,
        }
    }

    /// `numerator ÷ denominator` as a percentage; null with `empty` as the
    /// reason when the denominator is 0.
    pub fn rate(name: &str, numerator: i64, denominator: i64, empty: &str) -> Measure {
        let mut m = Measure::new(name, Unit::Percent);
        m.numerator = Some(Decimal::from(numerator));
        m.denominator = Some(denominator);
        if denominator == 0 {
            m.null_reason = Some(empty.to_owned());
        } else {
            m.value = Some(round(Decimal::from(numerator) * Decimal::ONE_HUNDRED / Decimal::from(denominator)));
        }
        m
    }

    /// A count of records.
    pub fn count(name: &str, n: i64) -> Measure {
        let mut m = Measure::new(name, Unit::Count);
        m.value = Some(Decimal::from(n));
        m
    }

    /// A sum of money.
    pub fn money(name: &str, minor: i64, currency: &str) -> Measure {
        let mut m = Measure::new(name, Unit::Money);
        m.value = Some(Decimal::new(minor, 2));
        m.currency = Some(currency.to_owned());
        m
    }

    /// The mean of `n` values summing to `total` (in the value's unit,
    /// already converted); null with `empty` over no values.
    pub fn mean(name: &str, unit: Unit, total: Decimal, n: i64, empty: &str) -> Measure {
        let mut m = Measure::new(name, unit);
        m.numerator = Some(round(total));
        m.denominator = Some(n);
        if n == 0 {
            m.null_reason = Some(empty.to_owned());
        } else {
            m.value = Some(round(total / Decimal::from(n)));
        }
        m
    }

    /// An order statistic (median, percentile) of `n` values; null with
    /// `empty` over no values.
    pub fn order_statistic(name: &str, unit: Unit, value: Decimal, n: i64, empty: &str) -> Measure {
        let mut m = Measure::new(name, unit);
        m.denominator = Some(n);
        if n == 0 {
            m.null_reason = Some(empty.to_owned());
        } else {
            m.value = Some(round(value));
        }
        m
    }
}

/// An amount of money to the cent, half-even, always with 2 places.
pub(crate) fn cents(value: Decimal) -> Decimal {
    let mut v = value.round_dp_with_strategy(PLACES, RoundingStrategy::MidpointNearestEven);
    v.rescale(PLACES);
    v
}

/// Half-even to the reported places.
pub(crate) fn round(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(PLACES, RoundingStrategy::MidpointNearestEven).normalize()
}

/// The measures of one bucket of a time series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SeriesPoint {
    /// The bucket's first local day (a week's Monday, a month's 1st).
    pub bucket: NaiveDate,
    /// Its measures, named as the report's.
    pub measures: Vec<Measure>,
}

/// The measures of one group of a breakdown (a stage, a reason, a rep…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BreakdownRow {
    /// What the row groups by (`stage`, `lost_reason`, `source`, `user`…).
    pub dimension: String,
    /// The group's key (an id or an enum value; empty for none).
    pub key: String,
    /// A readable name for the key.
    pub label: String,
    /// Its measures.
    pub measures: Vec<Measure>,
}

/// A computed report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Report {
    /// Which report.
    pub kpi: Kpi,
    /// Its name and, where a definition has variants, which one.
    pub title: String,
    /// Where the definition lives.
    #[schema(example = "docs/metrics.md#sales-conversion")]
    pub definition: String,
    /// The filters applied (the caller's scope folded in).
    pub filters: AppliedFilters,
    /// The headline measures over the whole period.
    pub measures: Vec<Measure>,
    /// The headline measure's target and how the value stands against it.
    pub target: Option<TargetStatus>,
    /// One point per bucket when `group_by` is given; else empty.
    pub series: Vec<SeriesPoint>,
    /// Per stage, reason, source, rep… where the report has groups.
    pub breakdown: Vec<BreakdownRow>,
    /// The list of the records behind the measures, with the same filters,
    /// where the list endpoint can express them (see `docs/metrics.md`).
    #[schema(example = "/api/v1/leads?created_from=2025-12-31T23:00:00Z&created_to=2026-01-31T23:00:00Z")]
    pub records: Option<String>,
}

impl Report {
    /// The measure named `name`.
    pub fn measure(&self, name: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_denominator_is_null_with_a_reason_never_zero() {
        let m = Measure::rate("rate", 0, 0, "no leads");
        assert_eq!(m.value, None);
        assert_eq!(m.null_reason.as_deref(), Some("no leads"));
        assert_eq!(m.denominator, Some(0));
    }

    #[test]
    fn rates_round_half_even_to_two_places() {
        assert_eq!(Measure::rate("r", 1, 3, "").value, Some(Decimal::new(3333, 2)));
        assert_eq!(Measure::rate("r", 5, 80, "").value, Some(Decimal::new(625, 2)));
        // 1/8 = 12.5 %; 1/16 = 6.25 %; 1/32 = 3.125 % → 3.12 (even).
        assert_eq!(Measure::rate("r", 1, 32, "").value, Some(Decimal::new(312, 2)));
    }

    #[test]
    fn means_keep_their_sum_and_count() {
        let m = Measure::mean("mean", Unit::Days, Decimal::new(75, 1), 3, "none");
        assert_eq!(m.value, Some(Decimal::new(25, 1)));
        assert_eq!(m.numerator, Some(Decimal::new(75, 1)));
        assert_eq!(m.denominator, Some(3));
    }
}
