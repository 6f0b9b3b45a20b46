//! Purchases: invoices from the ERP or entered by hand, with their lines.

pub mod api;
pub mod store;
