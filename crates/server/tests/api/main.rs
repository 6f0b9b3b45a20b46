//! API tests through the real app, on SQLite by default and on PostgreSQL
//! when `TEST_DATABASE_URL` is set.

mod branches;
mod calendars;
mod conventions;
mod divisions;
mod operations;
mod spec;
mod support;
