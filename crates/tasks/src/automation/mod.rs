//! Automation rules: admin-defined *trigger* + *conditions* + *actions*.
//!
//! - **Triggers** are changes (a lead created, moved, won or lost; a ticket
//!   created or resolved; a purchase recorded), found in the change feed by
//!   [`dispatch`], or instants (an SLA warning or breach, days before an
//!   asset's service, a lead's follow-up time, a task's due time, a
//!   schedule), found by [`scan`].
//! - **Conditions** test fields of the record (division, branch, stage,
//!   source, priority, category…): each named field must hold one of its
//!   listed values.
//! - **Actions** create a task for the owner, a manager, a role or a named
//!   user; notify someone; message the customer (with consent); change the
//!   owner; tag the customer; send a webhook. The cross-domain ones go through [`Effects`],
//!   which the server implements with the other domains' crates.
//!
//! Each (rule, occurrence) is queued once as an `automation_run` job (its
//! dedupe key) and recorded once as a run (a unique key), in the
//! transaction of its effects: a rule never fires twice for the same
//! occurrence, whatever restarts and replicas do. A task a rule created
//! names its rule and run, and the run lists what each action did.

pub mod action;
pub mod defaults;
pub mod dispatch;
pub mod messages;
pub mod rule;
pub mod run;
pub mod runs;
pub mod scan;
pub mod subject;
pub mod trigger;

pub use action::{Assignee, MessagePurpose, RuleAction};
pub use rule::{CreateRule, RuleListQuery, RuleResponse, UpdateRule};
pub use run::{ActionResult, Effects};
pub use subject::Subject;
pub use trigger::{SubjectType, TriggerKind, TriggerParams};
