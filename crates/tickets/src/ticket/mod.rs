//! Tickets: create, read, list, update; the status flow with its history;
//! comments and attachments; business-time measurements.

pub mod api;
pub mod attachments;
pub mod business_times;
pub mod comments;
pub mod list;
mod rows;
pub(crate) mod scope;
pub mod status;
pub mod store;
