//! Checking an interaction's own fields, before any reference is looked up.
//! Pure, so a bulk request checks every item without touching the database.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use rapport_core::{Problems, time, validate};

use super::api::{CreateInteraction, InteractionChannel, InteractionDirection};

/// How far in the future `occurred_at` may be: clocks drift.
const FUTURE_TOLERANCE_MINUTES: i64 = 5;
/// A day; longer "interactions" are data errors.
const MAX_DURATION_SECONDS: i64 = 86_400;

/// A new interaction whose fields are well-formed; references (category,
/// user, customer, division) are still unchecked.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub channel: InteractionChannel,
    pub direction: InteractionDirection,
    pub category_id: Option<String>,
    pub subject: Option<String>,
    pub summary: Option<String>,
    pub occurred_at: NaiveDateTime,
    pub duration_seconds: Option<i32>,
    pub outcome: Option<String>,
    pub user_id: Option<String>,
    pub customer_id: Option<String>,
    pub lead_id: Option<String>,
    pub ticket_id: Option<String>,
    pub division_id: Option<String>,
    pub external: Option<(String, String)>,
}

impl Draft {
    /// Checks `input`'s fields, recording problems; `default_user` is the
    /// user when the input names none.
    pub fn parse(
        problems: &mut Problems,
        input: CreateInteraction,
        now: NaiveDateTime,
        default_user: Option<&str>,
    ) -> Self {
        Self {
            channel: input.channel,
            direction: input.direction,
            category_id: id(problems, "category_id", input.category_id),
            subject: subject(problems, input.subject.as_deref()),
            summary: summary(problems, input.summary.as_deref()),
            occurred_at: occurred_at(problems, input.occurred_at, now),
            duration_seconds: duration(problems, input.duration_seconds),
            outcome: outcome(problems, input.outcome.as_deref()),
            user_id: id(problems, "user_id", input.user_id.or_else(|| default_user.map(str::to_owned))),
            customer_id: id(problems, "customer_id", input.customer_id),
            lead_id: id(problems, "lead_id", input.lead_id),
            ticket_id: id(problems, "ticket_id", input.ticket_id),
            division_id: id(problems, "division_id", input.division_id),
            external: external(problems, input.external_source.as_deref(), input.external_id.as_deref()),
        }
    }
}

/// An optional reference that must look like an id.
pub(crate) fn id(problems: &mut Problems, field: &str, value: Option<String>) -> Option<String> {
    value.map(|v| validate::id_ref(problems, field, v.trim()))
}

pub(crate) fn subject(problems: &mut Problems, value: Option<&str>) -> Option<String> {
    validate::optional_text(problems, "subject", value, 200)
}

pub(crate) fn summary(problems: &mut Problems, value: Option<&str>) -> Option<String> {
    validate::optional_text(problems, "summary", value, 10_000)
}

pub(crate) fn outcome(problems: &mut Problems, value: Option<&str>) -> Option<String> {
    validate::optional_text(problems, "outcome", value, 100)
}

/// Not more than a few minutes in the future.
pub(crate) fn occurred_at(problems: &mut Problems, value: DateTime<Utc>, now: NaiveDateTime) -> NaiveDateTime {
    let stored = time::stored(value);
    if stored > now + Duration::minutes(FUTURE_TOLERANCE_MINUTES) {
        problems.push(
            "occurred_at",
            "in_the_future",
            format!("occurred_at must not be more than {FUTURE_TOLERANCE_MINUTES} minutes in the future"),
        );
    }
    stored
}

pub(crate) fn duration(problems: &mut Problems, value: Option<i64>) -> Option<i32> {
    let value = value?;
    match i32::try_from(value) {
        Ok(v) if (0..=MAX_DURATION_SECONDS).contains(&value) => Some(v),
        _ => {
            problems.push(
                "duration_seconds",
                "out_of_range",
                format!("duration_seconds must be between 0 and {MAX_DURATION_SECONDS}"),
            );
            None
        }
    }
}

/// Both or neither of source and id; the source lower-cased.
fn external(problems: &mut Problems, source: Option<&str>, id: Option<&str>) -> Option<(String, String)> {
    let source = source.map(str::trim).filter(|s| !s.is_empty());
    let id = id.map(str::trim).filter(|s| !s.is_empty());
    match (source, id) {
        (None, None) => None,
        (Some(_), None) => {
            problems.push("external_id", "incomplete", "external_id is required with external_source");
            None
        }
        (None, Some(_)) => {
            problems.push("external_source", "incomplete", "external_source is required with external_id");
            None
        }
        (Some(source), Some(id)) => {
            let source = source.to_ascii_lowercase();
            let source_ok = source.len() <= 40
                && source.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
            if !source_ok {
                problems.push("external_source", "invalid_source", "external_source must be 1-40 of a-z, 0-9, _ or -");
            }
            if id.chars().count() > 100 {
                problems.push("external_id", "invalid_external_id", "external_id must be 1-100 characters");
            }
            Some((source, id.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> CreateInteraction {
        CreateInteraction {
            channel: InteractionChannel::Call,
            direction: InteractionDirection::Inbound,
            category_id: None,
            subject: Some("  Hello ".to_owned()),
            summary: Some(" ".to_owned()),
            occurred_at: Utc::now(),
            duration_seconds: Some(60),
            outcome: None,
            user_id: None,
            customer_id: None,
            lead_id: None,
            ticket_id: None,
            division_id: None,
            external_source: Some("Telephony".to_owned()),
            external_id: Some(" c-1 ".to_owned()),
        }
    }

    #[test]
    fn normalises_a_good_input() {
        let mut p = Problems::new();
        let draft = Draft::parse(&mut p, input(), time::now(), Some("0193b0e2-5b7e-7c3a-9a53-2f4c1d0e9a11"));
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(draft.subject.as_deref(), Some("Hello"));
        assert_eq!(draft.summary, None);
        assert_eq!(draft.external, Some(("telephony".to_owned(), "c-1".to_owned())));
        assert!(draft.user_id.is_some());
    }

    #[test]
    fn refuses_the_future_long_durations_and_half_external_ids() {
        let mut bad = input();
        bad.occurred_at = Utc::now() + Duration::minutes(6);
        bad.duration_seconds = Some(86_401);
        bad.external_id = None;
        bad.customer_id = Some("nope".to_owned());
        let mut p = Problems::new();
        Draft::parse(&mut p, bad, time::now(), None);
        let fields: Vec<String> = match p.into_result(()) {
            Err(rapport_core::Error::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected problems, got {other:?}"),
        };
        assert_eq!(fields, ["occurred_at", "duration_seconds", "customer_id", "external_id"]);
        let mut p = Problems::new();
        let mut ok = input();
        ok.occurred_at = Utc::now() + Duration::minutes(4);
        ok.duration_seconds = Some(0);
        Draft::parse(&mut p, ok, time::now(), None);
        assert!(p.is_empty());
    }
}
