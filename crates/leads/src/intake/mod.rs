//! Lead capture intake: web forms and messaging middleware post inquiries
//! with a per-source key; each becomes a lead, or is attached to the open
//! lead of the same person, never a twin.
//!
//! - [`source`]: the intake sources admins manage (key shown once, stored
//!   as a digest; rotate, deactivate, delete).
//! - [`key`]: intake keys and their authentication.
//! - [`rate`]: each source's requests-per-minute limit, counted in the
//!   database so it holds across replicas.
//! - [`capture`]: an inquiry → an attachment to the matching open lead, a
//!   lead for the matching customer, or a prospect lead (matching in
//!   `matching`, attachments in `attach`).

pub mod api;
mod attach;
pub mod capture;
pub mod key;
pub(crate) mod matching;
pub mod rate;
mod rows;
pub mod source;

pub use capture::{Captured, capture};
pub use key::{IntakeSource, authenticate};
