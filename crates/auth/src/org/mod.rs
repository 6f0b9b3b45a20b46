//! The organisation tree: divisions (Motors, …) and their branches.
//! Every customer-facing record belongs to a division and usually a branch.

pub mod api;
pub mod branches;
pub mod divisions;
mod rows;
