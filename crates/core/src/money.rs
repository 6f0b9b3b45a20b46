//! Money: a decimal amount and an ISO 4217 currency.
//!
//! On the wire amounts are decimal strings (`"1250000.00"`), never floats.
//! In the database they are integer minor units (kobo for NGN) in a
//! `BIGINT`, so sums and averages are exact in SQL on both backends.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::Problems;

/// An amount of money as sent and returned by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": "1250000.00", "currency": "NGN"}))]
pub struct Money {
    /// Decimal string with at most the currency's number of decimals.
    #[schema(value_type = String, example = "1250000.00")]
    pub amount: Decimal,
    /// ISO 4217 code, e.g. `NGN`.
    #[schema(example = "NGN")]
    pub currency: String,
}

/// Currencies without minor units; every other currency has two decimals.
const ZERO_DECIMAL: &[&str] = &["JPY", "KRW", "XAF", "XOF", "UGX", "RWF", "VND", "CLP", "ISK"];

/// Decimals of `currency`'s minor unit.
pub fn exponent(currency: &str) -> u32 {
    if ZERO_DECIMAL.contains(&currency) { 0 } else { 2 }
}

impl Money {
    /// Money from stored minor units.
    pub fn from_minor(minor: i64, currency: &str) -> Money {
        let scale = exponent(currency);
        Money { amount: Decimal::new(minor, scale), currency: currency.to_owned() }
    }

    /// Zero in `currency`.
    pub fn zero(currency: &str) -> Money {
        Money::from_minor(0, currency)
    }
}

/// Validates `money` at `field` and returns `(currency, minor units)`.
/// Negative amounts are refused unless `allow_negative` (credit notes).
pub fn parse(problems: &mut Problems, field: &str, money: &Money, allow_negative: bool) -> (String, i64) {
    let currency = money.currency.trim().to_ascii_uppercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        problems.push(format!("{field}.currency"), "invalid_currency", "currency must be an ISO 4217 code such as NGN");
        return (currency, 0);
    }
    let minor = to_minor(money.amount, &currency);
    match minor {
        None => {
            problems.push(
                format!("{field}.amount"),
                "invalid_amount",
                format!("amount must have at most {} decimals and fit in 18 digits", exponent(&currency)),
            );
            (currency, 0)
        }
        Some(minor) if minor < 0 && !allow_negative => {
            problems.push(format!("{field}.amount"), "negative", "amount must not be negative");
            (currency, minor)
        }
        Some(minor) => (currency, minor),
    }
}

/// `amount` in minor units of `currency`, when it has no finer precision and fits.
pub fn to_minor(amount: Decimal, currency: &str) -> Option<i64> {
    let scale = exponent(currency);
    let scaled = amount.checked_mul(Decimal::from(10_i64.pow(scale)))?;
    if scaled.fract() != Decimal::ZERO {
        return None;
    }
    i64::try_from(scaled.trunc()).ok().filter(|m| m.unsigned_abs() < 1_000_000_000_000_000_000)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("decimal")
    }

    #[test]
    fn round_trips_through_minor_units() {
        assert_eq!(to_minor(dec("1250000.00"), "NGN"), Some(125_000_000));
        assert_eq!(to_minor(dec("0.5"), "NGN"), Some(50));
        assert_eq!(Money::from_minor(125_000_050, "NGN").amount.to_string(), "1250000.50");
        assert_eq!(to_minor(dec("1500"), "JPY"), Some(1500));
        assert_eq!(Money::from_minor(7, "NGN").amount.to_string(), "0.07");
    }

    #[test]
    fn refuses_sub_minor_precision_and_bad_codes() {
        assert_eq!(to_minor(dec("1.005"), "NGN"), None);
        assert_eq!(to_minor(dec("1.5"), "JPY"), None);
        let mut problems = Problems::new();
        parse(&mut problems, "amount", &Money { amount: dec("1"), currency: "naira".into() }, false);
        parse(&mut problems, "total", &Money { amount: dec("-1"), currency: "ngn".into() }, false);
        let Err(crate::Error::Validation(errors)) = problems.into_result(()) else { panic!("expected errors") };
        let fields: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code.as_str())).collect();
        assert_eq!(fields, [("amount.currency", "invalid_currency"), ("total.amount", "negative")]);
    }
}
