//! Leads: create, read, list, update, delete-or-archive and upsert by
//! external id; stage moves with their history; the follow-up cadence.

pub mod api;
pub mod follow_up;
pub(crate) mod input;
pub mod list;
pub mod moves;
pub(crate) mod rows;
pub(crate) mod scope;
pub mod store;
mod update;

pub use update::{delete, update, upsert_by_external_id};

pub use follow_up::touch_follow_up;
