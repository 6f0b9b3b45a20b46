//! API tests through the real app, on SQLite by default and on PostgreSQL
//! when `TEST_DATABASE_URL` is set.

mod auth;
mod branches;
mod calendars;
mod conventions;
mod divisions;
mod matrix;
mod operations;
mod spec;
mod support;
