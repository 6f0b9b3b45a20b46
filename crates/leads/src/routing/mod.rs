//! Qualification and routing: assignment rules per division or branch (a
//! named rep, round-robin, or fewest open leads), the qualification that
//! confirms or hands over an inquiry's division and assigns it, and the
//! notification the new owner gets.

pub mod api;
pub mod assign;
pub mod auto;
pub mod qualify;
pub mod rules;

pub use auto::route_unassigned;
pub use qualify::qualify;
