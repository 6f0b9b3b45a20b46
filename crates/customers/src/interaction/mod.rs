//! The interaction timeline: calls, emails, meetings, WhatsApp, SMS,
//! visits and social messages with customers, each with a channel,
//! direction, category, duration and outcome; the admin-managed categories
//! and the rules that categorise interactions arriving without one; and
//! bulk ingestion for middleware.

pub mod api;
mod batch;
pub mod bulk;
pub mod categories;
pub mod categorise;
pub mod category_api;
mod input;
mod lookups;
mod prepare;
mod rows;
pub mod rules;
pub mod store;
mod update;

pub use prepare::Author;
pub use update::update;
