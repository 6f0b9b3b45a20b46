//! Event triggers: the rules engine reads the change feed (as the
//! `automation` feed consumer) and turns each change that matches an
//! enabled rule into a queued run. The cursor moves in the same
//! transaction as the runs are queued, so a change fires each rule once.

use diesel::prelude::*;
use rapport_core::change_feed::ChangeEvent;
use rapport_core::db::Conn;
use rapport_core::db::schema::automation_rules;
use rapport_core::feed_consumer::{self, AUTOMATION};
use rapport_core::{Error, Result, time};

use super::rule::{Rule, RuleRow};
use super::run::{self, Occurrence};
use super::subject;
use super::trigger::TriggerKind;

/// Events read per pass.
pub const BATCH: i64 = 500;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dispatched {
    /// Change events read.
    pub events: usize,
    /// Runs queued.
    pub runs: usize,
    /// Another replica held the feed; nothing was read.
    pub busy: bool,
}

/// The enabled rules of event triggers.
fn event_rules(conn: &mut Conn) -> Result<Vec<Rule>> {
    let rows: Vec<RuleRow> = automation_rules::table
        .filter(automation_rules::enabled.eq(true))
        .filter(automation_rules::archived_at.is_null())
        .select(RuleRow::as_select())
        .load(conn)?;
    Ok(rows
        .iter()
        .map(RuleRow::parse)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|r| !r.trigger.is_timed())
        .collect())
}

/// The triggers a change sets off.
fn triggers_of(event: &ChangeEvent, payload: &serde_json::Value) -> Vec<TriggerKind> {
    let changed = |field: &str| {
        event.changed.as_ref().is_some_and(|raw| {
            serde_json::from_str::<Vec<String>>(raw.get()).is_ok_and(|fields| fields.iter().any(|f| f == field))
        })
    };
    let status = payload.get("status").and_then(|s| s.as_str());
    let mut found = Vec::new();
    match (event.entity_type.as_str(), event.action.as_str()) {
        ("lead", "created") => found.push(TriggerKind::LeadCreated),
        ("lead", "updated") => {
            if changed("stage_id") {
                found.push(TriggerKind::LeadStageChanged);
            }
            if changed("status") && status == Some("won") {
                found.push(TriggerKind::LeadWon);
            }
            if changed("status") && status == Some("lost") {
                found.push(TriggerKind::LeadLost);
            }
        }
        ("ticket", "created") => found.push(TriggerKind::TicketCreated),
        ("ticket", "updated") if changed("status") && status == Some("resolved") => {
            found.push(TriggerKind::TicketResolved)
        }
        ("purchase", "created") => found.push(TriggerKind::PurchaseRecorded),
        _ => {}
    }
    found
}

/// Reads up to [`BATCH`] new change events and queues the runs they set
/// off. Call it in a write transaction of its own.
pub fn dispatch(conn: &mut Conn) -> Result<Dispatched> {
    let rules = event_rules(conn)?;
    let mut runs = 0;
    let read = feed_consumer::consume(conn, AUTOMATION, BATCH, |conn, event| {
        if rules.is_empty() || !matches!(event.entity_type.as_str(), "lead" | "ticket" | "purchase") {
            return Ok(());
        }
        let payload: serde_json::Value = serde_json::from_str(event.payload.get())
            .map_err(|e| Error::Internal(format!("change event {} has a bad payload: {e}", event.id)))?;
        let occurred_at = time::stored(event.occurred_at);
        for trigger in triggers_of(event, &payload) {
            let Some(kind) = trigger.subject() else { continue };
            let mut facts = None;
            for rule in rules.iter().filter(|r| r.trigger == trigger) {
                // A rule fires for what happens once it is on, not before.
                if rule.enabled_at.is_none_or(|on| occurred_at < on) {
                    continue;
                }
                if facts.is_none() {
                    facts = Some(subject::facts_from_payload(conn, kind, trigger.condition_fields(), &payload)?);
                }
                if !facts.as_ref().is_some_and(|f| subject::matches(&rule.conditions, f)) {
                    continue;
                }
                let occurrence = Occurrence {
                    rule_id: rule.id.clone(),
                    occurrence: format!("event:{}", event.id),
                    subject_type: Some(kind),
                    subject_id: Some(event.entity_id.clone()),
                    occurred_at,
                };
                if run::enqueue(conn, rule, occurrence)? {
                    runs += 1;
                }
            }
        }
        Ok(())
    })?;
    Ok(match read {
        Some(events) => Dispatched { events, runs, busy: false },
        None => Dispatched { busy: true, ..Dispatched::default() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(entity: &str, action: &str, changed: Option<&str>) -> ChangeEvent {
        let raw = |s: &str| serde_json::value::RawValue::from_string(s.to_owned()).expect("json");
        ChangeEvent {
            cursor: String::new(),
            id: "e".into(),
            occurred_at: chrono::Utc::now(),
            entity_type: entity.into(),
            entity_id: "x".into(),
            action: action.into(),
            payload: raw("{}"),
            request_id: None,
            changed: changed.map(raw),
        }
    }

    #[test]
    fn a_stage_move_to_won_is_both_a_move_and_a_win() {
        let won = serde_json::json!({"status": "won"});
        let e = event("lead", "updated", Some(r#"["stage_id","status","version"]"#));
        assert_eq!(triggers_of(&e, &won), [TriggerKind::LeadStageChanged, TriggerKind::LeadWon]);
        let notes = event("lead", "updated", Some(r#"["notes","version"]"#));
        assert!(triggers_of(&notes, &won).is_empty(), "an edit of a won lead is not a second win");
    }

    #[test]
    fn only_a_change_to_resolved_resolves() {
        let resolved = serde_json::json!({"status": "resolved"});
        let e = event("ticket", "updated", Some(r#"["status"]"#));
        assert_eq!(triggers_of(&e, &resolved), [TriggerKind::TicketResolved]);
        let other = event("ticket", "updated", Some(r#"["subject"]"#));
        assert!(triggers_of(&other, &resolved).is_empty());
        assert_eq!(triggers_of(&event("purchase", "created", None), &resolved), [TriggerKind::PurchaseRecorded]);
    }
}
