//! The metrics domain (arrives with its own issue).
