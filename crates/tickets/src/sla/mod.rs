//! SLAs: policies per priority (and division), each ticket's clock in
//! business time with its pauses, and the explanation of its deadlines.

pub mod clock;
pub mod explain;
pub mod policy;

pub use explain::{SlaExplanation, TicketSla, explain};
