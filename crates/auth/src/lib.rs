//! Identity and access: who may do what, on which part of the organisation.
//!
//! For now it owns the organisation tree the scopes are made of: divisions
//! and their branches. Users, roles, tokens and API keys arrive with the
//! identity issue. It knows nothing of HTTP.

pub mod org;
