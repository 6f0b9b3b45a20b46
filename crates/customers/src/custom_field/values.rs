//! Custom field values: validated against their definitions, stored one row
//! per value in a canonical text form, read back as JSON, filtered by
//! equality.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use chrono::NaiveDate;
use diesel::prelude::*;
use rapport_core::db::schema::{custom_field_values, custom_fields};
use rapport_core::db::{CacheStatement, Conn};
use rapport_core::money::{self, Money};
use rapport_core::{Error, FieldError, Problems, Result};
use rust_decimal::Decimal;
use serde_json::Value;

use super::api::{Entity, FieldType};
use super::definitions::FieldRow;

/// Values ready to store: for each field, its canonical values (empty: clear).
#[derive(Debug, Clone, Default)]
pub struct Validated {
    values: Vec<(String, Vec<String>)>,
}

/// The fields of `entity` that apply to a record of `division_ids`.
fn applicable(conn: &mut Conn, entity: Entity, division_ids: &[String]) -> Result<Vec<FieldRow>> {
    Ok(custom_fields::table
        .filter(custom_fields::entity.eq(entity.as_str()))
        .filter(custom_fields::archived_at.is_null())
        .filter(custom_fields::division_id.is_null().or(custom_fields::division_id.eq_any(division_ids)))
        .order((custom_fields::position, custom_fields::field_key))
        .select(FieldRow::as_select())
        .cached_for_short_list(division_ids.len())
        .load(conn)?)
}

/// Checks `input` (key → JSON value; `null` clears) against the fields that
/// apply to a record of `division_ids`. On `creating`, every required field
/// must have a value.
pub fn validate(
    conn: &mut Conn,
    entity: Entity,
    division_ids: &[String],
    input: &BTreeMap<String, Value>,
    creating: bool,
) -> Result<Validated> {
    let fields = applicable(conn, entity, division_ids)?;
    let mut problems = Problems::new();
    let mut out = Validated::default();
    for (key, value) in input {
        let path = format!("custom_fields.{key}");
        let Some(field) = fields.iter().find(|f| &f.field_key == key) else {
            problems.push(path, "unknown_field", format!("no custom field {key} applies to this {}", entity.as_str()));
            continue;
        };
        if value.is_null() {
            if field.required {
                problems.push(path, "required", format!("{key} is required"));
            }
            out.values.push((field.id.clone(), Vec::new()));
            continue;
        }
        match canonical(field, value) {
            Ok(values) => out.values.push((field.id.clone(), values)),
            Err(message) => problems.push(path, "invalid_value", message),
        }
    }
    if creating {
        for field in fields.iter().filter(|f| f.required) {
            if input.get(&field.field_key).is_none_or(Value::is_null) {
                problems.push(
                    format!("custom_fields.{}", field.field_key),
                    "required",
                    format!("{} is required", field.field_key),
                );
            }
        }
    }
    problems.into_result(out)
}

/// The canonical stored form(s) of `value` for `field`, or why it is wrong.
fn canonical(field: &FieldRow, value: &Value) -> std::result::Result<Vec<String>, String> {
    let field_type = field.field_type().map_err(|e| e.to_string())?;
    let one = |v: String| Ok(vec![v]);
    match (field_type, value) {
        (FieldType::Text, Value::String(s)) if s.chars().count() <= 1000 => one(s.trim().to_owned()),
        (FieldType::Text, Value::String(_)) => Err("must be at most 1,000 characters".to_owned()),
        (FieldType::Number, Value::Number(n)) => number(&n.to_string()).map(|n| vec![n]),
        (FieldType::Number, Value::String(s)) => number(s).map(|n| vec![n]),
        (FieldType::Money, Value::Object(_)) => {
            let money: Money = serde_json::from_value(value.clone())
                .map_err(|_| "must be {\"amount\": \"1250.00\", \"currency\": \"NGN\"}".to_owned())?;
            let mut problems = Problems::new();
            let (currency, minor) = money::parse(&mut problems, "value", &money, true);
            if !problems.is_empty() {
                return Err("must be an amount with the currency's decimals and an ISO 4217 currency".to_owned());
            }
            one(money_text(&currency, minor))
        }
        (FieldType::Date, Value::String(s)) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map(|d| vec![d.format("%Y-%m-%d").to_string()])
            .map_err(|_| "must be a date YYYY-MM-DD".to_owned()),
        (FieldType::Boolean, Value::Bool(b)) => one(b.to_string()),
        (FieldType::SingleSelect, Value::String(s)) => option(field, s).map(|o| vec![o]),
        (FieldType::MultiSelect, Value::Array(items)) => {
            let mut chosen = Vec::new();
            for item in items {
                let Value::String(s) = item else { return Err("must be a list of options".to_owned()) };
                let o = option(field, s)?;
                if chosen.contains(&o) {
                    return Err(format!("{o} is chosen twice"));
                }
                chosen.push(o);
            }
            Ok(chosen)
        }
        (t, _) => Err(format!("must be a {} value", t.as_str())),
    }
}

fn number(raw: &str) -> std::result::Result<String, String> {
    Decimal::from_str(raw.trim())
        .or_else(|_| Decimal::from_scientific(raw.trim()))
        .map(|d| d.normalize().to_string())
        .map_err(|_| "must be a decimal number".to_owned())
}

fn option(field: &FieldRow, raw: &str) -> std::result::Result<String, String> {
    let options = field.option_list();
    let chosen = raw.trim();
    if options.iter().any(|o| o == chosen) {
        Ok(chosen.to_owned())
    } else {
        Err(format!("must be one of: {}", options.join(", ")))
    }
}

fn money_text(currency: &str, minor: i64) -> String {
    format!("{currency} {}", Money::from_minor(minor, currency).amount)
}

/// Writes validated values for `record_id`, replacing each given field's.
pub fn store(conn: &mut Conn, record_id: &str, validated: &Validated) -> Result<()> {
    for (field_id, values) in &validated.values {
        diesel::delete(
            custom_field_values::table
                .filter(custom_field_values::record_id.eq(record_id))
                .filter(custom_field_values::field_id.eq(field_id)),
        )
        .execute(conn)?;
        for (ordinal, value) in (0..).zip(values) {
            diesel::insert_into(custom_field_values::table)
                .values((
                    custom_field_values::field_id.eq(field_id),
                    custom_field_values::record_id.eq(record_id),
                    custom_field_values::ordinal.eq::<i32>(ordinal),
                    custom_field_values::value.eq(value),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Removes every value of `record_id` (when the record is deleted).
pub fn clear(conn: &mut Conn, record_id: &str) -> Result<()> {
    diesel::delete(custom_field_values::table.filter(custom_field_values::record_id.eq(record_id))).execute(conn)?;
    Ok(())
}

/// The values of `record_ids`, as JSON by key, in one query. Values of
/// archived fields are kept but not shown.
pub fn values_for(
    conn: &mut Conn,
    entity: Entity,
    record_ids: &[&str],
) -> Result<HashMap<String, BTreeMap<String, Value>>> {
    let rows: Vec<(String, String, String, String)> = custom_field_values::table
        .inner_join(custom_fields::table)
        .filter(custom_field_values::record_id.eq_any(record_ids))
        .filter(custom_fields::entity.eq(entity.as_str()))
        .filter(custom_fields::archived_at.is_null())
        .order((custom_field_values::record_id, custom_field_values::field_id, custom_field_values::ordinal))
        .select((
            custom_field_values::record_id,
            custom_fields::field_key,
            custom_fields::field_type,
            custom_field_values::value,
        ))
        .cached_for_short_list(record_ids.len())
        .load(conn)?;
    let mut out: HashMap<String, BTreeMap<String, Value>> = HashMap::new();
    for (record_id, key, field_type, value) in rows {
        let field_type =
            FieldType::parse(&field_type).ok_or_else(|| Error::Internal(format!("stored field type {field_type}")))?;
        let values = out.entry(record_id).or_default();
        match field_type {
            FieldType::MultiSelect => {
                let list = values.entry(key).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = list {
                    items.push(Value::String(value));
                }
            }
            other => {
                values.insert(key, json_value(other, value));
            }
        }
    }
    Ok(out)
}

fn json_value(field_type: FieldType, stored: String) -> Value {
    match field_type {
        FieldType::Boolean => Value::Bool(stored == "true"),
        FieldType::Money => match stored.split_once(' ') {
            Some((currency, amount)) => serde_json::json!({"amount": amount, "currency": currency}),
            None => Value::String(stored),
        },
        _ => Value::String(stored),
    }
}

type ByField = diesel::dsl::Filter<custom_field_values::table, diesel::dsl::Eq<custom_field_values::field_id, String>>;

/// The subquery of [`FieldFilter::matching_records`].
pub type MatchingRecords = diesel::dsl::Select<
    diesel::dsl::Filter<ByField, diesel::dsl::Eq<custom_field_values::value, String>>,
    custom_field_values::record_id,
>;

/// A list filter on one custom field's value.
#[derive(Debug, Clone)]
pub struct FieldFilter {
    field_id: String,
    value: String,
}

impl FieldFilter {
    /// The ids of records holding the value, as a subquery.
    pub fn matching_records(&self) -> MatchingRecords {
        custom_field_values::table
            .filter(custom_field_values::field_id.eq(self.field_id.clone()))
            .filter(custom_field_values::value.eq(self.value.clone()))
            .select(custom_field_values::record_id)
    }
}

/// Parses `cf.<key>=<value>` query parameters for `entity`. An unknown key
/// or a value of the wrong type is a 400 naming the parameter.
pub fn filters(conn: &mut Conn, entity: Entity, params: &[(String, String)]) -> Result<Vec<FieldFilter>> {
    if params.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    let fields: Vec<FieldRow> = custom_fields::table
        .filter(custom_fields::entity.eq(entity.as_str()))
        .filter(custom_fields::field_key.eq_any(&keys))
        .filter(custom_fields::archived_at.is_null())
        .select(FieldRow::as_select())
        .load(conn)?;
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (key, raw) in params {
        let param = format!("cf.{key}");
        let Some(field) = fields.iter().find(|f| &f.field_key == key) else {
            errors.push(FieldError::new(&param, "unknown_parameter", format!("no custom field {key}")));
            continue;
        };
        let value = match field.field_type()? {
            FieldType::Text | FieldType::Date | FieldType::SingleSelect | FieldType::MultiSelect => {
                canonical_filter(field, Value::String(raw.clone()))
            }
            FieldType::Number => number(raw),
            FieldType::Boolean => match raw.as_str() {
                "true" | "false" => Ok(raw.clone()),
                _ => Err("must be true or false".to_owned()),
            },
            FieldType::Money => raw
                .split_once(' ')
                .map(|(currency, amount)| serde_json::json!({"amount": amount.trim(), "currency": currency.trim()}))
                .ok_or_else(|| "must be `<currency> <amount>`, e.g. `NGN 1250.00`".to_owned())
                .and_then(|money| canonical_filter(field, money)),
        };
        match value {
            Ok(value) => out.push(FieldFilter { field_id: field.id.clone(), value }),
            Err(message) => errors.push(FieldError::new(&param, "invalid_value", format!("`{param}` {message}"))),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(Error::InvalidQuery(errors)) }
}

/// A filter value in stored form: a multi-select filter matches one option.
fn canonical_filter(field: &FieldRow, value: Value) -> std::result::Result<String, String> {
    let value = match (field.field_type(), value) {
        (Ok(FieldType::MultiSelect), Value::String(s)) => Value::Array(vec![Value::String(s)]),
        (_, v) => v,
    };
    canonical(field, &value).map(|mut v| v.remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(field_type: FieldType, options: &[&str]) -> FieldRow {
        let now = rapport_core::time::now();
        FieldRow {
            id: "f".into(),
            entity: "customer".into(),
            division_id: None,
            field_key: "k".into(),
            label: "K".into(),
            field_type: field_type.as_str().into(),
            required: false,
            options: (!options.is_empty()).then(|| serde_json::to_string(options).expect("json")),
            position: 0,
            archived_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn values_take_one_canonical_form() {
        let json = |s: &str| serde_json::from_str::<Value>(s).expect("json");
        assert_eq!(canonical(&field(FieldType::Number, &[]), &json("10.50")), Ok(vec!["10.5".to_owned()]));
        assert_eq!(canonical(&field(FieldType::Number, &[]), &json("\"1e3\"")), Ok(vec!["1000".to_owned()]));
        assert_eq!(
            canonical(&field(FieldType::Money, &[]), &json(r#"{"amount": "1250.5", "currency": "ngn"}"#)),
            Ok(vec!["NGN 1250.50".to_owned()])
        );
        assert_eq!(canonical(&field(FieldType::Boolean, &[]), &json("true")), Ok(vec!["true".to_owned()]));
        assert_eq!(
            canonical(&field(FieldType::MultiSelect, &["a", "b"]), &json(r#"["b", "a"]"#)),
            Ok(vec!["b".to_owned(), "a".to_owned()])
        );
    }

    #[test]
    fn wrong_types_are_refused() {
        let json = |s: &str| serde_json::from_str::<Value>(s).expect("json");
        assert!(canonical(&field(FieldType::Number, &[]), &json("\"ten\"")).is_err());
        assert!(canonical(&field(FieldType::Boolean, &[]), &json("\"yes\"")).is_err());
        assert!(canonical(&field(FieldType::Date, &[]), &json("\"2026-02-30\"")).is_err());
        assert!(canonical(&field(FieldType::SingleSelect, &["a"]), &json("\"c\"")).is_err());
        assert!(canonical(&field(FieldType::MultiSelect, &["a"]), &json(r#"["a", "a"]"#)).is_err());
        assert!(canonical(&field(FieldType::Money, &[]), &json(r#"{"amount": "1.001", "currency": "NGN"}"#)).is_err());
    }
}
