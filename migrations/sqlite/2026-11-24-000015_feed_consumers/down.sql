DROP TABLE feed_consumers;
ALTER TABLE change_events DROP COLUMN changed;
