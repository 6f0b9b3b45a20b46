-- SQLite has one writer at a time, so seq is commit order and the feed needs
-- no transaction column (see crates/core/src/change_feed.rs).
-- Erasure rewrites a customer's events by entity id.
CREATE INDEX change_events_entity_id_idx ON change_events (entity_id);
