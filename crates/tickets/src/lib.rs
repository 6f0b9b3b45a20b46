//! The tickets domain (arrives with its own issue).
