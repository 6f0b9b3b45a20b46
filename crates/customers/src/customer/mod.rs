//! Customers: people and companies, with their emails, phones, divisions,
//! tags, external ids and consent.

pub mod api;
mod children;
pub mod contacts;
pub mod duplicates;
pub mod erase;
mod input;
pub mod merge;
mod rows;
pub mod store;

pub use children::link_division;
pub(crate) use input::source_name;
