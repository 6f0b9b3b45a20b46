//! Time triggers: a scan looks, for each enabled timed rule, for the
//! occurrences whose instant fell between the rule's last scan and now
//! (a lead's follow-up time, a ticket's SLA warning or deadline, a day
//! before an asset's service, a task's due time, a schedule's time) and
//! queues their runs. The window moves on in the same transaction; an
//! occurrence seen twice (overlapping windows, two replicas) is queued
//! once, by the job's dedupe key.
//!
//! Occurrences before a rule was switched on do not fire it, and neither
//! do instants that moved back behind the window after it was scanned (a
//! due time brought forward into the past).

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use rapport_core::db::Conn;
use rapport_core::db::schema::{assets, automation_rules, leads, tasks, ticket_slas};
use rapport_core::{Result, time};

use super::rule::{Rule, RuleRow};
use super::run::{self, Occurrence};
use super::subject;
use super::trigger::{DEFAULT_DAYS_BEFORE, SubjectType, TriggerKind};
use crate::kinds::TaskStatus;

/// Occurrences looked at per rule and pass.
const LIMIT: i64 = 1000;

/// What one scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scanned {
    /// Rules scanned.
    pub rules: usize,
    /// Runs queued.
    pub runs: usize,
}

struct Found {
    at: NaiveDateTime,
    subject: Option<(SubjectType, String)>,
    key: String,
    /// `response` or `resolution`, for SLA triggers.
    target: Option<&'static str>,
}

fn timed_rules(conn: &mut Conn) -> Result<Vec<RuleRow>> {
    macro_rules! query {
        () => {
            automation_rules::table
                .filter(automation_rules::enabled.eq(true))
                .filter(automation_rules::archived_at.is_null())
                .filter(automation_rules::trigger_kind.eq_any(TIMED))
                .select(RuleRow::as_select())
        };
    }
    // Replicas scanning at once take different rules rather than wait.
    Ok(match conn {
        Conn::Postgres(c) => query!().for_update().skip_locked().load(c)?,
        Conn::Sqlite(c) => query!().load(c)?,
    })
}

const TIMED: [&str; 6] = [
    "ticket_sla_warning",
    "ticket_sla_breached",
    "asset_service_due",
    "lead_follow_up_overdue",
    "task_overdue",
    "schedule",
];

/// Scans every enabled timed rule up to `now`; days and times of day are
/// the company's, in `tz`. Call it in a write transaction of its own.
pub fn scan(conn: &mut Conn, tz: Tz, now: DateTime<Utc>) -> Result<Scanned> {
    let to = time::stored(now);
    let mut scanned = Scanned::default();
    for row in timed_rules(conn)? {
        let rule = row.parse()?;
        let Some(from) = rule.scanned_until.or(rule.enabled_at) else { continue };
        if from >= to {
            continue;
        }
        scanned.rules += 1;
        let found = find(conn, &rule, tz, from, to)?;
        let until = if found.len() as i64 >= LIMIT { found.last().map_or(to, |f| f.at) } else { to };
        for occurrence in found {
            let facts = match &occurrence.subject {
                Some((kind, id)) => subject::facts_from_db(conn, *kind, id)?.map(|mut f| {
                    if let Some(t) = occurrence.target {
                        f.insert("target", t.to_owned());
                    }
                    f
                }),
                None => Some(Default::default()),
            };
            if !facts.is_some_and(|f| subject::matches(&rule.conditions, &f)) {
                continue;
            }
            let (subject_type, subject_id) = occurrence.subject.map_or((None, None), |(k, id)| (Some(k), Some(id)));
            let queued = run::enqueue(
                conn,
                &rule,
                Occurrence {
                    rule_id: rule.id.clone(),
                    occurrence: occurrence.key,
                    subject_type,
                    subject_id,
                    occurred_at: occurrence.at,
                },
            )?;
            if queued {
                scanned.runs += 1;
            }
        }
        diesel::update(automation_rules::table.filter(automation_rules::id.eq(&rule.id)))
            .set(automation_rules::scanned_until.eq(until))
            .execute(conn)?;
    }
    Ok(scanned)
}

fn micros(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp_micros()
}

/// The occurrences of `rule` in [from, to), by instant.
fn find(conn: &mut Conn, rule: &Rule, tz: Tz, from: NaiveDateTime, to: NaiveDateTime) -> Result<Vec<Found>> {
    let mut found = match rule.trigger {
        TriggerKind::LeadFollowUpOverdue => leads::table
            .filter(leads::status.eq("open"))
            .filter(leads::archived_at.is_null())
            .filter(leads::next_follow_up_at.ge(from))
            .filter(leads::next_follow_up_at.lt(to))
            .order(leads::next_follow_up_at)
            .select((leads::id, leads::next_follow_up_at))
            .limit(LIMIT)
            .load::<(String, Option<NaiveDateTime>)>(conn)?
            .into_iter()
            .filter_map(|(id, at)| at.map(|at| (id, at)))
            .map(|(id, at)| Found {
                key: format!("lead:{id}:follow_up:{}", micros(at)),
                at,
                subject: Some((SubjectType::Lead, id)),
                target: None,
            })
            .collect(),
        TriggerKind::TaskOverdue => tasks::table
            .filter(tasks::status.eq(TaskStatus::Open.as_str()))
            .filter(tasks::due_at.ge(from))
            .filter(tasks::due_at.lt(to))
            .order(tasks::due_at)
            .select((tasks::id, tasks::due_at))
            .limit(LIMIT)
            .load::<(String, NaiveDateTime)>(conn)?
            .into_iter()
            .map(|(id, at)| Found {
                key: format!("task:{id}:overdue:{}", micros(at)),
                at,
                subject: Some((SubjectType::Task, id)),
                target: None,
            })
            .collect(),
        TriggerKind::TicketSlaWarning | TriggerKind::TicketSlaBreached => sla_instants(conn, rule.trigger, from, to)?,
        TriggerKind::AssetServiceDue => service_due(conn, rule, tz, from, to)?,
        TriggerKind::Schedule => schedule(rule, tz, from, to),
        _ => Vec::new(),
    };
    found.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.key.cmp(&b.key)));
    found.truncate(LIMIT as usize);
    Ok(found)
}

fn sla_instants(conn: &mut Conn, trigger: TriggerKind, from: NaiveDateTime, to: NaiveDateTime) -> Result<Vec<Found>> {
    let warning = trigger == TriggerKind::TicketSlaWarning;
    let word = if warning { "warning" } else { "breach" };
    let running = ticket_slas::table.filter(ticket_slas::clock.eq("running"));
    let response: Vec<(String, Option<NaiveDateTime>)> = if warning {
        running
            .filter(ticket_slas::response_met_at.is_null())
            .filter(ticket_slas::response_warn_at.ge(from))
            .filter(ticket_slas::response_warn_at.lt(to))
            .select((ticket_slas::ticket_id, ticket_slas::response_warn_at))
            .limit(LIMIT)
            .load(conn)?
    } else {
        running
            .filter(ticket_slas::response_met_at.is_null())
            .filter(ticket_slas::first_response_due_at.ge(from))
            .filter(ticket_slas::first_response_due_at.lt(to))
            .select((ticket_slas::ticket_id, ticket_slas::first_response_due_at))
            .limit(LIMIT)
            .load(conn)?
    };
    let resolution: Vec<(String, Option<NaiveDateTime>)> = if warning {
        running
            .filter(ticket_slas::resolution_warn_at.ge(from))
            .filter(ticket_slas::resolution_warn_at.lt(to))
            .select((ticket_slas::ticket_id, ticket_slas::resolution_warn_at))
            .limit(LIMIT)
            .load(conn)?
    } else {
        running
            .filter(ticket_slas::resolution_due_at.ge(from))
            .filter(ticket_slas::resolution_due_at.lt(to))
            .select((ticket_slas::ticket_id, ticket_slas::resolution_due_at))
            .limit(LIMIT)
            .load(conn)?
    };
    let tag = |target: &'static str| {
        move |(id, at): (String, Option<NaiveDateTime>)| {
            at.map(|at| Found {
                key: format!("ticket:{id}:{target}_{word}:{}", micros(at)),
                at,
                subject: Some((SubjectType::Ticket, id)),
                target: Some(target),
            })
        }
    };
    Ok(response
        .into_iter()
        .filter_map(tag("response"))
        .chain(resolution.into_iter().filter_map(tag("resolution")))
        .collect())
}

/// Assets whose projected service date, less `days_before`, starts (at
/// local midnight) inside the window.
fn service_due(conn: &mut Conn, rule: &Rule, tz: Tz, from: NaiveDateTime, to: NaiveDateTime) -> Result<Vec<Found>> {
    let days = Days::new(rule.params.days_before.unwrap_or(DEFAULT_DAYS_BEFORE).max(0) as u64);
    let local = |at: NaiveDateTime| at.and_utc().with_timezone(&tz).date_naive();
    let (Some(first), Some(last)) = (local(from).checked_add_days(days), local(to).checked_add_days(days)) else {
        return Ok(Vec::new());
    };
    let rows: Vec<(String, Option<NaiveDate>)> = assets::table
        .filter(assets::archived_at.is_null())
        .filter(assets::next_service_due_on.ge(first))
        .filter(assets::next_service_due_on.le(last))
        .order((assets::next_service_due_on, assets::id))
        .select((assets::id, assets::next_service_due_on))
        .limit(LIMIT)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, due)| {
            let due = due?;
            let at = time::local_midnight(tz, due.checked_sub_days(days)?);
            (from <= at && at < to).then(|| Found {
                key: format!("asset:{id}:service_due:{due}"),
                at,
                subject: Some((SubjectType::Asset, id)),
                target: None,
            })
        })
        .collect())
}

/// The schedule's instants in the window; after a long outage only the
/// latest missed one fires, not a backlog of them.
fn schedule(rule: &Rule, tz: Tz, from: NaiveDateTime, to: NaiveDateTime) -> Vec<Found> {
    let Some(at) = rule.params.time_of_day() else { return Vec::new() };
    let weekdays = rule.params.weekdays.clone().unwrap_or_else(|| (1..=7).collect());
    let local = |i: NaiveDateTime| i.and_utc().with_timezone(&tz).date_naive();
    let mut day = local(from);
    let mut latest = None;
    while day <= local(to) {
        if weekdays.contains(&day.weekday().number_from_monday()) {
            let instant = time::local_instant(tz, day, at);
            if from <= instant && instant < to {
                latest = Some(instant);
            }
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    latest
        .map(|at| Found { key: format!("schedule:{}", micros(at)), at, subject: None, target: None })
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automation::trigger::TriggerParams;

    fn rule(params: TriggerParams) -> Rule {
        Rule {
            id: "r".into(),
            trigger: TriggerKind::Schedule,
            params,
            conditions: Default::default(),
            actions: Vec::new(),
            delay_minutes: 0,
            enabled_at: None,
            scanned_until: None,
        }
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("instant")
    }

    #[test]
    fn a_schedule_fires_at_local_time_on_its_weekdays_once_per_window() {
        let tz: Tz = "Africa/Lagos".parse().expect("zone");
        let params = TriggerParams { at: Some("08:00".into()), weekdays: Some(vec![1]), ..Default::default() };
        // Monday 2026-11-23 08:00 in Lagos is 07:00 UTC.
        let found = schedule(&rule(params.clone()), tz, at("2026-11-23 06:00"), at("2026-11-23 07:30"));
        assert_eq!(found.iter().map(|f| f.at).collect::<Vec<_>>(), [at("2026-11-23 07:00")]);
        assert!(schedule(&rule(params.clone()), tz, at("2026-11-23 07:00"), at("2026-11-23 07:00")).is_empty());
        assert!(
            schedule(&rule(params.clone()), tz, at("2026-11-24 06:00"), at("2026-11-24 07:30")).is_empty(),
            "Tuesday"
        );
        // Three weeks down: only the latest Monday.
        let found = schedule(&rule(params), tz, at("2026-11-02 00:00"), at("2026-11-24 00:00"));
        assert_eq!(found.iter().map(|f| f.at).collect::<Vec<_>>(), [at("2026-11-23 07:00")]);
    }
}

#[cfg(test)]
mod timed {
    use super::*;

    #[test]
    fn the_timed_list_is_the_timed_triggers() {
        let timed: Vec<&str> = TriggerKind::ALL.iter().filter(|t| t.is_timed()).map(|t| t.as_str()).collect();
        assert_eq!(timed.len(), TIMED.len());
        assert!(timed.iter().all(|t| TIMED.contains(t)));
    }
}
