//! Follow-up tasks: a title, a kind (follow-up call, service reminder,
//! callback, visit, other), the record it is about (customer, lead, ticket
//! or asset), an assignee, a due time and a reminder time, a priority, and
//! a status (`open`, then `done` with an outcome or `cancelled`). A task is
//! created by a person or, later, by an automation rule.
//!
//! A task belongs to a division (its related record's, or the one given)
//! and every store function applies the caller's [`Reach`](rapport_core::principal::Reach)
//! in its queries: "own" means assigned to or created by the caller.
//! A task's reminder is a job ([`reminders`]) the server's job runner
//! turns into a `task_due` notification at `remind_at`.
//! Completing a follow-up on a lead hands the server an [`task::store::InteractionToLog`]
//! to record on the lead's timeline in the same transaction; this crate
//! knows nothing of interactions, leads' cadence or HTTP.

pub mod automation;
pub mod delivery;
pub mod kinds;
pub mod reminders;
pub mod task;
pub mod webhooks;

pub use kinds::{RelatedType, TaskKind, TaskPriority, TaskStatus};
