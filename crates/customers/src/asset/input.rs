//! Parsing asset inputs into the values stored: each parser normalises and
//! records a precise field error when the value is unusable.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use rapport_core::{Problems, time, validate};

use super::api::{AssetKind, UsageUnit};
use super::due;

/// The largest usage accepted: well past any odometer or hour meter.
pub(crate) const MAX_USAGE: i64 = 100_000_000;
/// Clocks drift: a reading this far ahead of ours is still "now".
const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

/// Every stored field of an asset except the derived ones, validated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fields {
    pub customer_id: String,
    pub division_id: String,
    pub kind: AssetKind,
    pub make: Option<String>,
    pub model: Option<String>,
    pub model_year: Option<i32>,
    pub serial: Option<String>,
    pub plate: Option<String>,
    pub purchase_date: Option<NaiveDate>,
    pub warranty_end: Option<NaiveDate>,
    pub usage_unit: UsageUnit,
    pub external_source: Option<String>,
    pub external_id: Option<String>,
}

impl Fields {
    /// Checks the rules that span fields.
    pub(crate) fn check(&self, problems: &mut Problems) {
        if let Some(year) = self.model_year {
            let next_year = due::today().year() + 1;
            if !(1900..=next_year).contains(&year) {
                problems.push("model_year", "out_of_range", format!("model_year must be 1900 to {next_year}"));
            }
        }
        if self.purchase_date.is_some_and(|d| d > due::today()) {
            problems.push("purchase_date", "in_the_future", "purchase_date must not be in the future");
        }
        if let (Some(bought), Some(end)) = (self.purchase_date, self.warranty_end)
            && end < bought
        {
            problems.push("warranty_end", "end_before_start", "warranty_end must not be before purchase_date");
        }
        if self.external_source.is_some() != self.external_id.is_some() {
            problems.push("external_id", "incomplete", "external_source and external_id are given together");
        }
    }
}

/// Optional free text of at most `max` characters.
pub(crate) fn text(problems: &mut Problems, field: &str, raw: Option<&str>, max: usize) -> Option<String> {
    validate::optional_text(problems, field, raw, max)
}

/// A VIN or serial number in identifier form: 3-40 of `A-Z 0-9 / _`.
pub(crate) fn serial(problems: &mut Problems, raw: Option<&str>) -> Option<String> {
    identifier(problems, "serial", raw, 3, 40, &['/', '_'])
}

/// A registration plate in identifier form: 2-15 of `A-Z 0-9`.
pub(crate) fn plate(problems: &mut Problems, raw: Option<&str>) -> Option<String> {
    identifier(problems, "plate", raw, 2, 15, &[])
}

fn identifier(
    problems: &mut Problems,
    field: &str,
    raw: Option<&str>,
    min: usize,
    max: usize,
    extra: &[char],
) -> Option<String> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    let id = crate::asset_identifier(raw);
    let ok = (min..=max).contains(&id.chars().count())
        && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || extra.contains(&c));
    if !ok {
        let allowed = if extra.is_empty() { "A-Z and 0-9" } else { "A-Z, 0-9, / and _" };
        problems.push(
            field,
            &format!("invalid_{field}"),
            format!("{field} must be {min}-{max} of {allowed} (spaces, dashes and dots are ignored)"),
        );
    }
    Some(id)
}

/// An external system's name: 1-40 of `a-z 0-9 _ -`, lower-cased.
pub(crate) fn source_name(problems: &mut Problems, field: &str, raw: &str) -> String {
    let source = raw.trim().to_ascii_lowercase();
    let ok = (1..=40).contains(&source.len())
        && source.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !ok {
        problems.push(field, "invalid_source", format!("{field} must be 1-40 of a-z, 0-9, _ or -"));
    }
    source
}

/// An id in another system: trimmed, 1-100 characters, case kept.
pub(crate) fn external_id(problems: &mut Problems, field: &str, raw: &str) -> String {
    let id = raw.trim();
    if id.is_empty() || id.chars().count() > 100 {
        problems.push(field, "invalid_external_id", format!("{field} must be 1-100 characters"));
    }
    id.to_owned()
}

/// A usage value: 0 to [`MAX_USAGE`].
pub(crate) fn usage(problems: &mut Problems, field: &str, value: i64) -> i64 {
    if !(0..=MAX_USAGE).contains(&value) {
        problems.push(field, "out_of_range", format!("{field} must be 0 to {MAX_USAGE}"));
    }
    value
}

/// When a reading was taken: now when not given; not in the future.
pub(crate) fn read_at(problems: &mut Problems, field: &str, value: Option<DateTime<Utc>>) -> NaiveDateTime {
    let now = time::now();
    match value {
        None => now,
        Some(at) => {
            let at = time::stored(at);
            if at > now + CLOCK_SKEW {
                problems.push(field, "in_the_future", format!("{field} must not be in the future"));
            }
            at
        }
    }
}
