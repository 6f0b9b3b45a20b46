//! The service desk: tickets with a per-division number, category,
//! priority and channel; the status flow `new → open → pending → resolved →
//! closed` with reopen, recorded in an append-only history; public replies
//! and internal notes (the first public agent reply is the first response);
//! the admin-managed categories. Queues and routing, SLAs in business time
//! and CSAT build on this (the schema for all of it is in migration 000008).
//!
//! Every store function takes a [`Reach`](rapport_core::principal::Reach)
//! and applies it in its queries: a ticket outside the caller's reach is
//! "not found". Nothing here knows about HTTP.

pub mod category;
pub mod kinds;
pub mod queue;
pub mod sla;
pub mod ticket;

pub use kinds::{CategoryKind, Priority, TicketChannel, TicketStatus};
