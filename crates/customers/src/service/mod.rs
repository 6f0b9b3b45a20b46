//! Service records: the work done on an asset (scheduled services, repairs,
//! warranty jobs, inspections). A scheduled service moves the asset's last
//! service and its projection; a record's usage counts as a reading.

pub mod api;
mod rows;
pub mod store;
