//! The leads domain (arrives with its own issue).
