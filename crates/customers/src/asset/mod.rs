//! Assets customers own (vehicles, generators, …), their usage readings,
//! the service rules per make and model, and the projection of when each
//! asset's next service falls due.

pub mod api;
pub mod due;
mod input;
pub mod list;
pub mod projection;
pub mod readings;
mod rows;
pub mod rule_api;
pub mod rules;
pub mod store;
pub mod upsert;
