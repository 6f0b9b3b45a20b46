//! Validation of customer input: every field normalised, every problem
//! reported at once with its path.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use rapport_core::{Problems, time, validate};

use super::api::{Channel, ConsentInput, CustomerKind, EmailAddress, ExternalId, PhoneInput};
use super::rows::{ConsentRow, EmailRow, PhoneRow};

const MAX_EMAILS: usize = 10;
const MAX_PHONES: usize = 10;
const MAX_TAGS: usize = 20;
const MAX_EXTERNAL_IDS: usize = 10;

/// The names of a customer, checked against its kind.
pub(crate) struct Names {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company_name: Option<String>,
}

impl Names {
    pub fn parse(
        problems: &mut Problems,
        kind: CustomerKind,
        first: Option<&str>,
        last: Option<&str>,
        company: Option<&str>,
    ) -> Names {
        let names = Names {
            first_name: validate::optional_text(problems, "first_name", first, 100),
            last_name: validate::optional_text(problems, "last_name", last, 100),
            company_name: validate::optional_text(problems, "company_name", company, 200),
        };
        match kind {
            CustomerKind::Person if names.first_name.is_none() && names.last_name.is_none() => {
                problems.push("first_name", "required", "a person needs a first_name or a last_name");
            }
            CustomerKind::Company if names.company_name.is_none() => {
                problems.push("company_name", "required", "a company needs a company_name");
            }
            _ => {}
        }
        names
    }

    /// "First Last" for a person, the company name for a company.
    pub fn display_name(&self, kind: CustomerKind) -> String {
        match kind {
            CustomerKind::Company => self.company_name.clone().unwrap_or_default(),
            CustomerKind::Person => [self.first_name.as_deref(), self.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// The lower-case form names are searched and sorted by. Folded in Rust so
/// both backends agree beyond ASCII.
pub(crate) fn search_key(display_name: &str) -> String {
    display_name.to_lowercase()
}

pub(crate) fn emails(problems: &mut Problems, customer_id: &str, input: &[EmailAddress]) -> Vec<EmailRow> {
    if input.len() > MAX_EMAILS {
        problems.push("emails", "too_many", format!("at most {MAX_EMAILS} email addresses"));
    }
    let mut seen = BTreeSet::new();
    let mut rows: Vec<EmailRow> = input
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let email = validate::email(problems, &format!("emails[{i}].email"), &e.email);
            if !seen.insert(email.clone()) {
                problems.push(format!("emails[{i}].email"), "repeated", format!("{email} is listed twice"));
            }
            EmailRow {
                customer_id: customer_id.to_owned(),
                email,
                label: validate::optional_text(problems, &format!("emails[{i}].label"), e.label.as_deref(), 40),
                is_primary: e.primary,
            }
        })
        .collect();
    one_primary(problems, "emails", rows.iter_mut().map(|r| &mut r.is_primary));
    rows
}

pub(crate) fn phones(problems: &mut Problems, customer_id: &str, input: &[PhoneInput]) -> Vec<PhoneRow> {
    if input.len() > MAX_PHONES {
        problems.push("phones", "too_many", format!("at most {MAX_PHONES} phone numbers"));
    }
    let mut seen = BTreeSet::new();
    let mut rows: Vec<PhoneRow> = input
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let e164 = validate::phone(problems, &format!("phones[{i}].number"), &p.number);
            if !seen.insert(e164.clone()) {
                problems.push(format!("phones[{i}].number"), "repeated", format!("{e164} is listed twice"));
            }
            PhoneRow {
                customer_id: customer_id.to_owned(),
                e164,
                label: validate::optional_text(problems, &format!("phones[{i}].label"), p.label.as_deref(), 40),
                is_primary: p.primary,
                whatsapp: p.whatsapp,
            }
        })
        .collect();
    one_primary(problems, "phones", rows.iter_mut().map(|r| &mut r.is_primary));
    rows
}

/// At most one entry may be marked primary; with none marked, the first is.
fn one_primary<'a>(problems: &mut Problems, field: &str, mut flags: impl Iterator<Item = &'a mut bool>) {
    let flags: Vec<&mut bool> = flags.by_ref().collect();
    match flags.iter().filter(|f| ***f).count() {
        0 => {
            if let Some(first) = flags.into_iter().next() {
                *first = true;
            }
        }
        1 => {}
        _ => problems.push(field, "several_primary", format!("at most one of {field} may be primary")),
    }
}

pub(crate) fn tags(problems: &mut Problems, input: &[String]) -> Vec<String> {
    if input.len() > MAX_TAGS {
        problems.push("tags", "too_many", format!("at most {MAX_TAGS} tags"));
    }
    let mut tags = BTreeSet::new();
    for (i, raw) in input.iter().enumerate() {
        let tag = raw.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > 40 {
            problems.push(format!("tags[{i}]"), "invalid_tag", "a tag must be 1-40 characters");
        }
        tags.insert(tag);
    }
    tags.into_iter().collect()
}

pub(crate) fn division_ids(problems: &mut Problems, input: &[String]) -> Vec<String> {
    let mut ids = BTreeSet::new();
    for (i, id) in input.iter().enumerate() {
        ids.insert(validate::id_ref(problems, &format!("division_ids[{i}]"), id));
    }
    ids.into_iter().collect()
}

/// A system name such as `oracle_erp`: 1-40 of `a-z 0-9 _ -`, lower-cased.
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

pub(crate) fn external_ids(problems: &mut Problems, input: &[ExternalId]) -> Vec<ExternalId> {
    if input.len() > MAX_EXTERNAL_IDS {
        problems.push("external_ids", "too_many", format!("at most {MAX_EXTERNAL_IDS} external ids"));
    }
    let mut seen = BTreeSet::new();
    input
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let id = ExternalId {
                source: source_name(problems, &format!("external_ids[{i}].source"), &e.source),
                external_id: external_id(problems, &format!("external_ids[{i}].external_id"), &e.external_id),
            };
            if !seen.insert(id.source.clone()) {
                problems.push(
                    format!("external_ids[{i}].source"),
                    "repeated",
                    format!("a customer has one id per source; {} is listed twice", id.source),
                );
            }
            id
        })
        .collect()
}

pub(crate) fn consents(
    problems: &mut Problems,
    customer_id: &str,
    input: &[ConsentInput],
    now: NaiveDateTime,
) -> Vec<ConsentRow> {
    let mut seen = BTreeSet::new();
    input
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if !seen.insert((c.channel, c.purpose)) {
                problems.push(
                    format!("consents[{i}]"),
                    "repeated",
                    format!("{} / {} is listed twice", c.channel.as_str(), c.purpose.as_str()),
                );
            }
            let recorded_at = c.recorded_at.map_or(now, time::stored);
            if recorded_at > now {
                problems.push(
                    format!("consents[{i}].recorded_at"),
                    "in_future",
                    "recorded_at must not be in the future",
                );
            }
            ConsentRow {
                customer_id: customer_id.to_owned(),
                channel: c.channel.as_str().to_owned(),
                purpose: c.purpose.as_str().to_owned(),
                granted: c.granted,
                recorded_at,
                method: validate::required_text(problems, &format!("consents[{i}].method"), &c.method, 100),
                note: validate::optional_text(problems, &format!("consents[{i}].note"), c.note.as_deref(), 500),
            }
        })
        .collect()
}

pub(crate) fn language(problems: &mut Problems, raw: Option<&str>) -> Option<String> {
    let lang = raw.map(str::trim).filter(|l| !l.is_empty())?.to_ascii_lowercase();
    let ok = (2..=8).contains(&lang.len()) && lang.chars().all(|c| c.is_ascii_lowercase() || c == '-');
    if !ok {
        problems.push("preferred_language", "invalid_language", "preferred_language must be a code such as en or yo");
    }
    Some(lang)
}

pub(crate) fn channel_name(channel: Option<Channel>) -> Option<String> {
    channel.map(|c| c.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_entry_is_primary_when_none_is_marked() {
        let mut problems = Problems::new();
        let rows = emails(
            &mut problems,
            "c",
            &[
                EmailAddress { email: "A@Example.com ".into(), label: None, primary: false },
                EmailAddress { email: "b@example.com".into(), label: None, primary: false },
            ],
        );
        assert!(problems.is_empty());
        assert_eq!(
            rows.iter().map(|r| (r.email.as_str(), r.is_primary)).collect::<Vec<_>>(),
            [("a@example.com", true), ("b@example.com", false)]
        );
    }

    #[test]
    fn the_same_number_typed_twice_is_caught_after_normalising() {
        let mut problems = Problems::new();
        let input = |n: &str| PhoneInput { number: n.into(), label: None, primary: false, whatsapp: false };
        phones(&mut problems, "c", &[input("0803 123 4567"), input("+234 803 123 4567")]);
        let Err(rapport_core::Error::Validation(errors)) = problems.into_result(()) else { panic!("expected error") };
        assert_eq!(errors[0].field, "phones[1].number");
        assert_eq!(errors[0].code, "repeated");
    }

    #[test]
    fn names_follow_the_kind() {
        let mut problems = Problems::new();
        let person = Names::parse(&mut problems, CustomerKind::Person, Some(" Ada "), Some("Okafor"), None);
        assert_eq!(person.display_name(CustomerKind::Person), "Ada Okafor");
        assert!(problems.is_empty());
        Names::parse(&mut problems, CustomerKind::Company, Some("Ada"), None, Some("  "));
        assert!(!problems.is_empty());
    }
}
