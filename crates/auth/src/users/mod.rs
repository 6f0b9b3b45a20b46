//! Users: people who sign in, and integration accounts that use API keys.

pub mod api;
pub mod api_keys;
mod rows;
pub mod sessions;
pub mod store;
mod throttle;
