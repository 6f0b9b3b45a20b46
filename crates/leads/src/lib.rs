//! The leads domain: pipelines per division with ordered stages (open, won
//! and lost kinds), lost reasons, leads with their stage history and
//! follow-up cadence, and the pipeline board.
//!
//! Every store function takes a [`Reach`](rapport_core::principal::Reach)
//! and applies it in its queries: a lead outside the caller's reach is "not
//! found". It builds on the customers crate (linked customers, custom
//! fields) and never the other way round. Nothing here knows about HTTP.

pub mod conversion;
pub mod demo;
pub mod intake;
pub mod kinds;
pub mod lead;
pub mod lost_reason;
pub mod pipeline;
pub mod routing;
pub mod synthetic;

pub use kinds::{AssignmentMode, LeadSource, LeadStatus, StageKind};
