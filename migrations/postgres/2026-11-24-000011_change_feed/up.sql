-- The change feed orders events by the transaction that wrote them, then by
-- seq, and shows only events of finished transactions (see
-- crates/core/src/change_feed.rs and docs/decisions/0007-change-feed-order.md).
-- Events written before this migration all take its transaction's id, which
-- keeps their seq order.
ALTER TABLE change_events ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX change_events_feed_idx ON change_events (tx_id, seq);
DROP INDEX change_events_entity_idx;
CREATE INDEX change_events_entity_idx ON change_events (entity_type, tx_id, seq);
-- Erasure rewrites a customer's events by entity id.
CREATE INDEX change_events_entity_id_idx ON change_events (entity_id);
