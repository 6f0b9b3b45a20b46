//! Which events a subscription wants: patterns `entity_type.action`,
//! `entity_type.*` or `*`, over the entity types of the change feed.

use rapport_core::Problems;
use rapport_core::change_feed::ENTITY_TYPES;

/// The most patterns one subscription holds.
const MAX_PATTERNS: usize = 50;

/// Entity types whose events are never delivered: a delivery about
/// webhooks could feed on itself.
pub fn is_internal(entity_type: &str) -> bool {
    entity_type.starts_with("webhook_")
}

/// The event type of a change: `entity_type.action`, e.g. `lead.created`.
pub fn event_type(entity_type: &str, action: &str) -> String {
    format!("{entity_type}.{action}")
}

/// Checks and normalises (trimmed, deduplicated, in the order given) the
/// patterns of a create or update, reporting each bad one under
/// `event_types[i]`.
pub fn parse(problems: &mut Problems, raw: &[String]) -> Vec<String> {
    if raw.is_empty() {
        problems.push("event_types", "required", "name at least one event type, or `*` for all");
    }
    if raw.len() > MAX_PATTERNS {
        problems.push("event_types", "too_many", format!("at most {MAX_PATTERNS} event types"));
    }
    let mut patterns: Vec<String> = Vec::new();
    for (i, pattern) in raw.iter().enumerate() {
        let pattern = pattern.trim();
        if let Err(message) = check(pattern) {
            problems.push(format!("event_types[{i}]"), "unknown_value", message);
        } else if !patterns.iter().any(|p| p == pattern) {
            patterns.push(pattern.to_owned());
        }
    }
    patterns
}

fn check(pattern: &str) -> Result<(), String> {
    if pattern == "*" {
        return Ok(());
    }
    let Some((entity, action)) = pattern.split_once('.') else {
        return Err(format!("`{pattern}` is not `entity_type.action`, `entity_type.*` or `*`"));
    };
    if !ENTITY_TYPES.contains(&entity) || is_internal(entity) {
        return Err(format!(
            "`{entity}` is not an entity type with events; expected one of {}",
            deliverable().join(", ")
        ));
    }
    let action_ok = action == "*"
        || (!action.is_empty() && action.len() <= 40 && action.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
    if action_ok { Ok(()) } else { Err(format!("`{action}` is not an action (e.g. `created`) or `*`")) }
}

/// Checks an event type given as a filter: `entity_type.action`, no wildcard.
pub fn check_event_type(raw: &str) -> Result<(), String> {
    if raw.contains('*') {
        return Err(format!("`{raw}` is a pattern; name one event type such as `lead.created`"));
    }
    check(raw)
}

fn deliverable() -> Vec<&'static str> {
    ENTITY_TYPES.iter().copied().filter(|t| !is_internal(t)).collect()
}

/// Whether any of `patterns` takes events of `event_type` (`entity.action`).
pub fn matches(patterns: &[String], event_type: &str) -> bool {
    let entity = event_type.split_once('.').map_or(event_type, |(entity, _)| entity);
    patterns.iter().any(|p| p == "*" || p == event_type || p.strip_suffix(".*").is_some_and(|prefix| prefix == entity))
}

/// The patterns that take `event_type`, for a stored-text filter: the exact
/// type, its entity's wildcard and `*`.
pub fn patterns_taking(event_type: &str) -> [String; 3] {
    let entity = event_type.split_once('.').map_or(event_type, |(entity, _)| entity);
    [event_type.to_owned(), format!("{entity}.*"), "*".to_owned()]
}

/// Checks a receiver URL: absolute `http` or `https` with a host, at most
/// 2,000 characters, no credentials.
pub fn url(problems: &mut Problems, raw: &str) -> String {
    let raw = raw.trim();
    let parsed = match url::Url::parse(raw) {
        Ok(parsed) => parsed,
        Err(e) => {
            problems.push("url", "invalid_url", format!("not an absolute URL: {e}"));
            return raw.to_owned();
        }
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        problems.push("url", "invalid_url", "the URL must use http or https");
    } else if parsed.host_str().is_none_or(str::is_empty) {
        problems.push("url", "invalid_url", "the URL has no host");
    } else if !parsed.username().is_empty() || parsed.password().is_some() {
        problems.push("url", "invalid_url", "put no credentials in the URL; deliveries are signed instead");
    } else if raw.len() > 2000 {
        problems.push("url", "too_long", "at most 2,000 characters");
    }
    raw.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exact_types_entity_wildcards_and_everything() {
        let p = |xs: &[&str]| xs.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(matches(&p(&["lead.created"]), "lead.created"));
        assert!(!matches(&p(&["lead.created"]), "lead.updated"));
        assert!(matches(&p(&["lead.*"]), "lead.updated"));
        assert!(!matches(&p(&["lead.*"]), "lead_assignment_rule.created"));
        assert!(matches(&p(&["*"]), "ticket.updated"));
        assert!(!matches(&p(&[]), "ticket.updated"));
    }

    #[test]
    fn unknown_entity_types_and_shapes_are_named() {
        let mut problems = Problems::new();
        let raw = ["lead.created", "bogus.created", "lead", "lead.Created", "webhook_subscription.*", " lead.created "];
        let parsed = parse(&mut problems, &raw.map(str::to_owned));
        assert_eq!(parsed, ["lead.created"]);
        let Err(rapport_core::Error::Validation(errors)) = problems.into_result(()) else { panic!("accepted") };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["event_types[1]", "event_types[2]", "event_types[3]", "event_types[4]"]);
    }

    #[test]
    fn only_http_urls_with_a_host() {
        for (raw, ok) in [
            ("https://erp.example.com/hooks/rapport", true),
            ("http://127.0.0.1:9000/in", true),
            ("ftp://example.com/x", false),
            ("example.com/hook", false),
            ("https://user:pw@example.com/", false),
            ("javascript:alert(1)", false),
        ] {
            let mut problems = Problems::new();
            url(&mut problems, raw);
            assert_eq!(problems.into_result(()).is_ok(), ok, "{raw}");
        }
    }
}
