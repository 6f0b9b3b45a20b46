//! What sets a rule off, and what each trigger lets a rule's conditions
//! look at.

use chrono::NaiveTime;
use rapport_core::text_enum;
use rapport_core::{Problems, ids};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

text_enum! {
    /// What sets a rule off.
    TriggerKind {
        /// A lead was created.
        LeadCreated => "lead_created",
        /// A lead moved to another stage (forwards or back).
        LeadStageChanged => "lead_stage_changed",
        /// A lead was won.
        LeadWon => "lead_won",
        /// A lead was lost.
        LeadLost => "lead_lost",
        /// A ticket was logged.
        TicketCreated => "ticket_created",
        /// A ticket was resolved.
        TicketResolved => "ticket_resolved",
        /// A ticket's response or resolution target is near (its warning share used up).
        TicketSlaWarning => "ticket_sla_warning",
        /// A ticket's response or resolution target passed with the clock running.
        TicketSlaBreached => "ticket_sla_breached",
        /// A purchase was recorded (by hand or from the ERP).
        PurchaseRecorded => "purchase_recorded",
        /// `days_before` an asset's projected next service date.
        AssetServiceDue => "asset_service_due",
        /// An open lead's next follow-up time passed: it sits past its stage's interval.
        LeadFollowUpOverdue => "lead_follow_up_overdue",
        /// An open task's due time passed.
        TaskOverdue => "task_overdue",
        /// A time of day on chosen weekdays, in the company time zone.
        Schedule => "schedule",
    }
}

text_enum! {
    /// The kind of record a rule fires about.
    SubjectType {
        /// A lead.
        Lead => "lead",
        /// A ticket.
        Ticket => "ticket",
        /// A purchase.
        Purchase => "purchase",
        /// An asset.
        Asset => "asset",
        /// A task.
        Task => "task",
    }
}

impl TriggerKind {
    /// The record an occurrence is about; none for a schedule.
    pub fn subject(self) -> Option<SubjectType> {
        use TriggerKind::*;
        match self {
            LeadCreated | LeadStageChanged | LeadWon | LeadLost | LeadFollowUpOverdue => Some(SubjectType::Lead),
            TicketCreated | TicketResolved | TicketSlaWarning | TicketSlaBreached => Some(SubjectType::Ticket),
            PurchaseRecorded => Some(SubjectType::Purchase),
            AssetServiceDue => Some(SubjectType::Asset),
            TaskOverdue => Some(SubjectType::Task),
            Schedule => None,
        }
    }

    /// Whether occurrences are found by looking at the clock (a scan)
    /// rather than in the change feed.
    pub fn is_timed(self) -> bool {
        use TriggerKind::*;
        matches!(
            self,
            TicketSlaWarning | TicketSlaBreached | AssetServiceDue | LeadFollowUpOverdue | TaskOverdue | Schedule
        )
    }

    /// The fields a condition may test.
    pub fn condition_fields(self) -> &'static [&'static str] {
        use TriggerKind::*;
        match self {
            LeadCreated | LeadStageChanged | LeadWon | LeadLost | LeadFollowUpOverdue => {
                &["branch_id", "division_id", "owner_id", "pipeline_id", "source", "stage_id"]
            }
            TicketCreated | TicketResolved => &[
                "assignee_id",
                "branch_id",
                "category_id",
                "category_kind",
                "channel",
                "division_id",
                "priority",
                "queue_id",
            ],
            TicketSlaWarning | TicketSlaBreached => &[
                "assignee_id",
                "branch_id",
                "category_id",
                "category_kind",
                "channel",
                "division_id",
                "priority",
                "queue_id",
                "target",
            ],
            PurchaseRecorded => &["asset_kind", "branch_id", "division_id", "status"],
            AssetServiceDue => &["division_id", "kind", "make"],
            TaskOverdue => &["assignee_id", "branch_id", "division_id", "kind", "priority"],
            Schedule => &[],
        }
    }
}

/// Settings some triggers take.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerParams {
    /// `asset_service_due`: fire this many days before the projected service date (0-365, default 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_before: Option<i64>,
    /// `schedule`: the local time of day, `HH:MM` (company time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "08:00")]
    pub at: Option<String>,
    /// `schedule`: ISO weekdays (1 Monday … 7 Sunday); default every day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekdays: Option<Vec<u32>>,
    /// `schedule`: the division whose people `role` and `manager` assignees are picked from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division_id: Option<String>,
}

/// The default lead time of `asset_service_due`.
pub const DEFAULT_DAYS_BEFORE: i64 = 7;

impl TriggerParams {
    /// Checks the settings `trigger` takes and refuses the others.
    pub(crate) fn check(&self, trigger: TriggerKind, problems: &mut Problems) {
        let field = |name: &str| format!("trigger_params.{name}");
        let refuse = |problems: &mut Problems, name: &str, set: bool| {
            if set {
                problems.push(field(name), "not_allowed", format!("trigger {} takes no {name}", trigger.as_str()));
            }
        };
        if trigger == TriggerKind::AssetServiceDue {
            if self.days_before.is_some_and(|d| !(0..=365).contains(&d)) {
                problems.push(field("days_before"), "out_of_range", "days_before must be between 0 and 365");
            }
        } else {
            refuse(problems, "days_before", self.days_before.is_some());
        }
        if trigger == TriggerKind::Schedule {
            match self.at.as_deref() {
                None => problems.push(field("at"), "required", "a schedule needs a time of day, HH:MM"),
                Some(raw) if NaiveTime::parse_from_str(raw, "%H:%M").is_err() => {
                    problems.push(field("at"), "invalid", "the time of day must be HH:MM, e.g. 08:30")
                }
                Some(_) => {}
            }
            if let Some(days) = &self.weekdays {
                if days.is_empty() || days.iter().any(|d| !(1..=7).contains(d)) {
                    problems.push(field("weekdays"), "invalid", "weekdays are 1 (Monday) to 7 (Sunday), at least one");
                }
            }
            if let Some(d) = &self.division_id {
                if !ids::is_valid_id(d) {
                    problems.push(field("division_id"), "not_found", format!("division {d} does not exist"));
                }
            }
        } else {
            refuse(problems, "at", self.at.is_some());
            refuse(problems, "weekdays", self.weekdays.is_some());
            refuse(problems, "division_id", self.division_id.is_some());
        }
    }

    /// The schedule's time of day (checked on save).
    pub(crate) fn time_of_day(&self) -> Option<NaiveTime> {
        self.at.as_deref().and_then(|raw| NaiveTime::parse_from_str(raw, "%H:%M").ok())
    }
}
