//! The built-in rules: installed switched off on every start, switched on
//! by the demo (and by an admin with `PATCH … {"enabled": true}`). Each has
//! a `builtin_key`, so installing again adds nothing and an admin's edits
//! stay.

use std::collections::BTreeMap;

use diesel::prelude::*;
use rapport_core::Result;
use rapport_core::audit::WriteContext;
use rapport_core::db::Conn;
use rapport_core::db::schema::automation_rules;

use super::action::{Assignee, MessagePurpose, RuleAction};
pub use super::rule::builtin_id;
use super::rule::{self, Builtin, CreateRule, UpdateRule};
use super::trigger::{TriggerKind, TriggerParams};
use crate::kinds::{TaskKind, TaskPriority};

/// A follow-up task when a lead sits past its stage's interval.
pub const LEAD_FOLLOW_UP: &str = "lead_follow_up";
/// A "how was your service?" call some days after a service ticket resolves.
pub const SERVICE_FOLLOW_UP_CALL: &str = "service_follow_up_call";
/// A reminder task and a customer message before an asset's next service.
pub const SERVICE_DUE_REMINDER: &str = "service_due_reminder";
/// A welcome call after a vehicle purchase.
pub const WELCOME_CALL: &str = "welcome_call";
/// Escalation to the division's manager when a ticket breaches its SLA.
pub const SLA_BREACH_ESCALATION: &str = "sla_breach_escalation";

/// Every built-in key.
pub const KEYS: [&str; 5] =
    [LEAD_FOLLOW_UP, SERVICE_FOLLOW_UP_CALL, SERVICE_DUE_REMINDER, WELCOME_CALL, SLA_BREACH_ESCALATION];

/// Days after a service ticket resolves before the follow-up call.
pub const SERVICE_CALL_AFTER_DAYS: i64 = 3;
/// Days before an asset's projected service date for the reminder.
pub const SERVICE_REMINDER_DAYS_BEFORE: i64 = 7;

fn task(title: &str, kind: TaskKind, priority: TaskPriority, assign_to: Assignee, due_in_minutes: i64) -> RuleAction {
    RuleAction::CreateTask {
        title: title.to_owned(),
        kind,
        priority: Some(priority),
        assign_to,
        due_in_minutes,
        remind_before_minutes: None,
        notes: None,
    }
}

fn builtin(key: &'static str, name: &str, description: &str, trigger: TriggerKind) -> Builtin<'static> {
    Builtin {
        key,
        input: CreateRule {
            name: name.to_owned(),
            description: Some(description.to_owned()),
            trigger,
            trigger_params: TriggerParams::default(),
            conditions: BTreeMap::new(),
            actions: Vec::new(),
            delay_minutes: 0,
            enabled: Some(false),
        },
    }
}

fn definitions() -> Vec<Builtin<'static>> {
    let mut follow_up = builtin(
        LEAD_FOLLOW_UP,
        "Follow up leads past their interval",
        "When an open lead's next follow-up time passes, its owner gets a follow-up call task due within four hours.",
        TriggerKind::LeadFollowUpOverdue,
    );
    follow_up.input.actions = vec![task(
        "Follow up: lead past its follow-up time",
        TaskKind::FollowUpCall,
        TaskPriority::High,
        Assignee::Owner,
        240,
    )];

    let mut service_call = builtin(
        SERVICE_FOLLOW_UP_CALL,
        "How was your service? call",
        "Three days after an after-sales or service-booking ticket is resolved, a service agent calls the customer.",
        TriggerKind::TicketResolved,
    );
    service_call.input.conditions =
        BTreeMap::from([("category_kind".to_owned(), vec!["after_sales".to_owned(), "service_booking".to_owned()])]);
    service_call.input.delay_minutes = SERVICE_CALL_AFTER_DAYS * 24 * 60;
    service_call.input.actions = vec![task(
        "How was your service? Call the customer",
        TaskKind::FollowUpCall,
        TaskPriority::Normal,
        Assignee::Role { role: "service_agent".to_owned() },
        24 * 60,
    )];

    let mut reminder = builtin(
        SERVICE_DUE_REMINDER,
        "Service due reminder",
        "A week before an asset's projected service date: a service-reminder task for a service agent, and a reminder \
         to the customer on a channel they consented to for reminders.",
        TriggerKind::AssetServiceDue,
    );
    reminder.input.trigger_params.days_before = Some(SERVICE_REMINDER_DAYS_BEFORE);
    reminder.input.actions = vec![
        task(
            "Service due soon: book it with the customer",
            TaskKind::ServiceReminder,
            TaskPriority::Normal,
            Assignee::Role { role: "service_agent".to_owned() },
            2 * 24 * 60,
        ),
        RuleAction::NotifyCustomer {
            message: "Your vehicle's next service is due in about a week. Reply or call us to book a convenient time."
                .to_owned(),
            purpose: MessagePurpose::Reminders,
        },
    ];

    let mut welcome = builtin(
        WELCOME_CALL,
        "Welcome call after a vehicle purchase",
        "When a purchase with a vehicle is recorded, the customer's owner (else a sales manager) makes a welcome call \
         within two days.",
        TriggerKind::PurchaseRecorded,
    );
    welcome.input.conditions = BTreeMap::from([("asset_kind".to_owned(), vec!["vehicle".to_owned()])]);
    welcome.input.actions = vec![task(
        "Welcome call after the purchase",
        TaskKind::FollowUpCall,
        TaskPriority::Normal,
        Assignee::Owner,
        2 * 24 * 60,
    )];

    let mut escalation = builtin(
        SLA_BREACH_ESCALATION,
        "Escalate SLA breaches to the manager",
        "When a ticket passes its response or resolution target, the division's manager is notified and gets an \
         urgent task to take it in hand.",
        TriggerKind::TicketSlaBreached,
    );
    escalation.input.actions = vec![
        RuleAction::Notify { to: Assignee::Manager, message: "A ticket breached its SLA target".to_owned() },
        task("Escalated: ticket past its SLA target", TaskKind::Callback, TaskPriority::Urgent, Assignee::Manager, 60),
    ];

    vec![follow_up, service_call, reminder, welcome, escalation]
}

/// Installs the built-in rules that are missing, switched off.
pub fn install(conn: &mut Conn) -> Result<usize> {
    rule::install(conn, definitions())
}

/// Installs and switches on every built-in rule (the demo does); returns
/// how many it switched on.
pub fn enable_all(conn: &mut Conn, ctx: &WriteContext) -> Result<usize> {
    install(conn)?;
    let off: Vec<(String, i64)> = automation_rules::table
        .filter(automation_rules::builtin_key.is_not_null())
        .filter(automation_rules::enabled.eq(false))
        .filter(automation_rules::archived_at.is_null())
        .select((automation_rules::id, automation_rules::version))
        .load(conn)?;
    for (id, version) in &off {
        rule::update(conn, ctx, id, *version, UpdateRule { enabled: Some(true), ..UpdateRule::default() })?;
    }
    Ok(off.len())
}
