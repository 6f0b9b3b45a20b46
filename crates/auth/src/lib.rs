//! Identity and access: who may do what, on which part of the organisation.
//!
//! It owns the organisation tree the scopes are made of (divisions and their
//! branches), users, passwords, access and refresh tokens, API keys, login
//! throttling and the authorization policy every endpoint consults. It knows
//! nothing of HTTP.

pub mod org;
pub mod password;
pub mod policy;
pub mod tokens;
pub mod users;
