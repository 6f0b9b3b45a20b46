//! Conversion: winning a lead makes it a customer's purchase (and asset),
//! atomically and once.

pub mod api;
mod store;

pub use store::{Reaches, convert};
