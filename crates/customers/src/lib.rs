//! The customers domain (arrives with its own issue).
