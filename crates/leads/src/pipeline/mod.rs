//! Pipelines per division, their ordered stages, and the board.

pub mod api;
pub mod board;
mod rows;
pub mod stages;
pub mod store;
