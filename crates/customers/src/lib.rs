//! The customers domain: people and companies with their contacts and
//! consent, the assets they own and their service history, purchases, the
//! interaction timeline, custom fields, and the 360° profile that brings
//! them together.
//!
//! Every store function takes a [`Reach`](rapport_core::principal::Reach)
//! and applies it in its queries: a record outside the caller's reach is
//! "not found". Nothing here knows about HTTP.

pub mod asset;
pub mod custom_field;
pub mod customer;
pub mod export;
pub mod interaction;
pub mod profile;
pub mod purchase;
pub mod refs;
pub mod service;
pub mod synthetic;

/// The form plates and VIN/serial numbers are stored and searched in:
/// upper case without spaces, dashes or dots, so `LAG 123-XY` finds `LAG123XY`.
pub fn asset_identifier(raw: &str) -> String {
    raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.')).flat_map(char::to_uppercase).collect()
}
