//! Business calendars: a time zone, working windows per weekday and public
//! holidays. Branches and divisions point at one; SLA clocks and the metrics
//! measure business time on them.
//!
//! A calendar may take its holidays from another (a branch calendar from its
//! division's, a division's from the company's), so a national holiday is
//! entered once.

pub mod api;
pub mod business;
mod rows;
pub mod store;

pub use api::{
    CalendarListQuery, CalendarResponse, CalendarSort, CreateCalendar, Holiday, UpdateCalendar, Weekday, WorkingWindow,
};
