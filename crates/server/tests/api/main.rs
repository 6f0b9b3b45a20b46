//! API tests through the real app, on SQLite by default and on PostgreSQL
//! when `TEST_DATABASE_URL` is set.

mod assets;
mod auth;
mod automation;
mod branches;
mod calendars;
mod conventions;
mod custom_fields;
mod customers;
mod delivery;
mod demo_tickets;
mod divisions;
mod events;
mod intake;
mod interactions;
mod jobs;
mod lead_conversion;
mod lead_follow_up;
mod lead_routing;
mod leads;
mod matrix;
mod operations;
mod pipelines;
mod purchases;
mod service_records;
mod spec;
mod support;
mod tasks;
mod ticket_business_times;
mod ticket_desk;
mod ticket_queues;
mod ticket_slas;
mod tickets;
mod webhooks;
