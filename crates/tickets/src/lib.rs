//! The service desk: tickets with a per-division number, category,
//! priority and channel; the status flow `new → open → pending → resolved →
//! closed` with reopen, recorded in an append-only history; public replies
//! and internal notes (the first public agent reply is the first response);
//! the admin-managed categories; queues and routing; SLAs in business time;
//! CSAT surveys; handle time; each ticket's first response and resolution
//! in business time; and the sweep that warns of SLA deadlines and closes
//! resolved tickets.
//!
//! Every store function takes a [`Reach`](rapport_core::principal::Reach)
//! and applies it in its queries: a ticket outside the caller's reach is
//! "not found". Nothing here knows about HTTP.

pub mod category;
pub mod csat;
pub mod demo;
pub mod handle_time;
pub mod kinds;
pub mod queue;
pub mod sla;
pub mod sweep;
pub mod synthetic;
pub mod ticket;

pub use kinds::{CategoryKind, Priority, TicketChannel, TicketStatus};
pub use ticket::business_times::backfill_business_times;

/// The service desk's settings (from the server's configuration).
#[derive(Debug, Clone)]
pub struct DeskSettings {
    /// How long a CSAT survey link works.
    pub csat_validity: chrono::Duration,
    /// Resolved tickets close after this long; none: never automatically.
    pub auto_close_after: Option<chrono::Duration>,
}

impl Default for DeskSettings {
    fn default() -> Self {
        DeskSettings { csat_validity: chrono::Duration::days(14), auto_close_after: Some(chrono::Duration::days(7)) }
    }
}
