//! What a rule does when it fires, and who it picks to do it.

use rapport_core::{Problems, ids};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::trigger::{SubjectType, TriggerKind};
use crate::kinds::{TaskKind, TaskPriority};

/// Who an action is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "to", rename_all = "snake_case", deny_unknown_fields)]
pub enum Assignee {
    /// The record's owner: a lead's owner, a ticket's or task's assignee,
    /// the customer's owner for a purchase or asset; the division's manager
    /// when there is none.
    Owner,
    /// A manager of the record's division (its branch's first).
    Manager,
    /// The active user with this role in the record's division who has the
    /// fewest open tasks (its branch's first).
    Role {
        /// E.g. `service_agent`, `sales_rep`, `call_center_agent`.
        role: String,
    },
    /// A named user.
    User {
        /// The user's id.
        user_id: String,
    },
}

/// The roles an action may pick people by.
const ROLES: &[&str] = &["manager", "sales_rep", "service_agent", "call_center_agent", "supervisor"];

/// A customer-facing message's purpose, matched against the customer's
/// consent: service notices and reminders are not marketing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessagePurpose {
    /// Notices about the customer's own orders, vehicles and tickets.
    Service,
    /// Service-due and appointment reminders.
    #[default]
    Reminders,
}

impl MessagePurpose {
    /// The stored name (as in customer consents).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Reminders => "reminders",
        }
    }
}

/// One thing a rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleAction {
    /// Create a task about the record.
    CreateTask {
        /// The task's title, at most 200 characters.
        title: String,
        /// The task's kind.
        kind: TaskKind,
        /// Default `normal`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priority: Option<TaskPriority>,
        /// Who gets it.
        assign_to: Assignee,
        /// Due this many minutes after the rule runs (0-525600, default 0).
        #[serde(default)]
        due_in_minutes: i64,
        /// Remind the assignee this many minutes before it is due.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remind_before_minutes: Option<i64>,
        /// The task's notes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
    },
    /// Put a notification in someone's inbox (and on their channels).
    Notify {
        /// Who is told.
        to: Assignee,
        /// What they are told, at most 500 characters.
        message: String,
    },
    /// Send the record's customer a message on a channel they consented to
    /// for this purpose (none: nothing is sent, and the run says so).
    NotifyCustomer {
        /// The message, at most 1,000 characters.
        message: String,
        /// Default `reminders`.
        #[serde(default)]
        purpose: MessagePurpose,
    },
    /// Give the lead or ticket to someone else.
    ChangeOwner {
        /// The new owner.
        to: Assignee,
    },
    /// Tag the record's customer.
    AddTag {
        /// The tag, at most 50 characters.
        tag: String,
    },
    /// Send the run to a webhook subscription, signed and retried like any
    /// delivery: event type `automation.<trigger>`, event id the run's id,
    /// data `{rule_id, run_id, trigger, subject_type, subject_id}`.
    SendWebhook {
        /// The subscription (it must exist; an inactive one is skipped).
        subscription_id: String,
    },
}

impl RuleAction {
    /// The action's `type`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::CreateTask { .. } => "create_task",
            Self::Notify { .. } => "notify",
            Self::NotifyCustomer { .. } => "notify_customer",
            Self::ChangeOwner { .. } => "change_owner",
            Self::AddTag { .. } => "add_tag",
            Self::SendWebhook { .. } => "send_webhook",
        }
    }
}

const MAX_MINUTES: i64 = 525_600;

/// Checks `actions` for a rule with `trigger` (ids named must look like
/// ids; whether users exist is checked by the caller with the database).
pub(crate) fn check(trigger: TriggerKind, actions: &[RuleAction], problems: &mut Problems) {
    if actions.is_empty() {
        problems.push("actions", "required", "a rule needs at least one action");
    }
    if actions.len() > 10 {
        problems.push("actions", "too_many", "a rule has at most 10 actions");
    }
    let subject = trigger.subject();
    let has_customer = subject.is_some();
    for (i, action) in actions.iter().enumerate() {
        let field = |name: &str| format!("actions[{i}].{name}");
        match action {
            RuleAction::CreateTask { title, due_in_minutes, remind_before_minutes, notes, assign_to, .. } => {
                text(problems, &field("title"), title, 200);
                if !(0..=MAX_MINUTES).contains(due_in_minutes) {
                    problems.push(field("due_in_minutes"), "out_of_range", "due_in_minutes must be 0-525600");
                }
                if remind_before_minutes.is_some_and(|m| !(0..=MAX_MINUTES).contains(&m)) {
                    problems.push(
                        field("remind_before_minutes"),
                        "out_of_range",
                        "remind_before_minutes must be 0-525600",
                    );
                }
                if let Some(notes) = notes {
                    if notes.chars().count() > 5000 {
                        problems.push(field("notes"), "too_long", "at most 5000 characters");
                    }
                }
                assignee(problems, &field("assign_to"), assign_to, subject);
            }
            RuleAction::Notify { to, message } => {
                text(problems, &field("message"), message, 500);
                assignee(problems, &field("to"), to, subject);
            }
            RuleAction::NotifyCustomer { message, .. } => {
                text(problems, &field("message"), message, 1000);
                if !has_customer {
                    problems.push(field("type"), "not_allowed", "a schedule has no customer to message");
                }
            }
            RuleAction::ChangeOwner { to } => {
                if !matches!(subject, Some(SubjectType::Lead | SubjectType::Ticket)) {
                    problems.push(field("type"), "not_allowed", "only leads and tickets change owner");
                }
                assignee(problems, &field("to"), to, subject);
            }
            RuleAction::SendWebhook { subscription_id } => {
                if !ids::is_valid_id(subscription_id) {
                    problems.push(
                        field("subscription_id"),
                        "not_found",
                        format!("webhook subscription {subscription_id} does not exist"),
                    );
                }
            }
            RuleAction::AddTag { tag } => {
                text(problems, &field("tag"), tag, 50);
                if !has_customer {
                    problems.push(field("type"), "not_allowed", "a schedule has no customer to tag");
                }
            }
        }
    }
}

fn text(problems: &mut Problems, field: &str, value: &str, max: usize) {
    if value.trim().is_empty() {
        problems.push(field, "required", "must not be blank");
    } else if value.chars().count() > max {
        problems.push(field, "too_long", format!("at most {max} characters"));
    }
}

fn assignee(problems: &mut Problems, field: &str, who: &Assignee, subject: Option<SubjectType>) {
    match who {
        Assignee::Owner if subject.is_none() => {
            problems.push(field, "not_allowed", "a schedule has no record, hence no owner")
        }
        Assignee::Role { role } if !ROLES.contains(&role.as_str()) => {
            problems.push(format!("{field}.role"), "unknown_value", format!("role must be one of {}", ROLES.join(", ")))
        }
        Assignee::User { user_id } if !ids::is_valid_id(user_id) => {
            problems.push(format!("{field}.user_id"), "not_found", format!("user {user_id} does not exist"))
        }
        _ => {}
    }
}

/// The named users of `actions`, for the caller to check they exist.
pub(crate) fn named_users(actions: &[RuleAction]) -> Vec<(String, &str)> {
    let mut named = Vec::new();
    for (i, action) in actions.iter().enumerate() {
        let (field, who) = match action {
            RuleAction::CreateTask { assign_to, .. } => ("assign_to", assign_to),
            RuleAction::Notify { to, .. } | RuleAction::ChangeOwner { to } => ("to", to),
            _ => continue,
        };
        if let Assignee::User { user_id } = who {
            named.push((format!("actions[{i}].{field}.user_id"), user_id.as_str()));
        }
    }
    named
}

/// The webhook subscriptions `actions` name, for the caller to check.
pub(crate) fn named_subscriptions(actions: &[RuleAction]) -> Vec<(String, &str)> {
    actions
        .iter()
        .enumerate()
        .filter_map(|(i, action)| match action {
            RuleAction::SendWebhook { subscription_id } => {
                Some((format!("actions[{i}].subscription_id"), subscription_id.as_str()))
            }
            _ => None,
        })
        .collect()
}
