DROP INDEX change_events_entity_id_idx;
DROP INDEX change_events_entity_idx;
DROP INDEX change_events_feed_idx;
ALTER TABLE change_events DROP COLUMN tx_id;
CREATE INDEX change_events_entity_idx ON change_events (entity_type, seq);
