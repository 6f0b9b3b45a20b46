//! The `rapport` server: HTTP handlers, extractors, middleware, the OpenAPI
//! document, configuration and the command line. Domain crates know nothing
//! of HTTP; this crate knows nothing of SQL.

pub mod api;
pub mod app;
pub mod automation;
pub mod cli;
pub mod config;
pub mod error;
pub mod extract;
pub mod job_runner;
pub mod middleware;
pub mod openapi;
pub mod principals;
pub mod seed;
pub mod state;
pub mod sweeper;

pub use app::{build_app, openapi_spec};
pub use state::AppState;
