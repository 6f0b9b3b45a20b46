//! Custom fields: admins define extra fields per entity (and optionally per
//! division); values are validated on write, returned on read and filterable
//! in lists (`cf.<key>=<value>`). Values live in `custom_field_values`, one
//! row per value, never as extra columns.

pub mod api;
pub mod definitions;
mod values;

pub use api::{Entity, FieldType};
pub use values::{FieldFilter, Validated, clear, filters, store, validate, values_for};
