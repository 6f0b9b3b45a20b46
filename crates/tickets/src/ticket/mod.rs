//! Tickets: create, read, list, update; the status flow with its history;
//! comments.

pub mod api;
pub mod comments;
pub mod list;
mod rows;
mod scope;
pub mod status;
pub mod store;
