-- Which top-level fields an update changed (a JSON array of names; NULL for
-- creations and deletions): lets feed readers and automation rules tell a
-- stage move or a resolution from any other edit without the old record.
ALTER TABLE change_events ADD COLUMN changed TEXT;

-- In-process readers of the change feed (automation rules, webhooks): where
-- each has read up to. A reader locks its row while it works, so one replica
-- at a time advances it, and the cursor moves in the transaction that acts
-- on the events (see crates/core/src/feed_consumer.rs).
CREATE TABLE feed_consumers (
    name TEXT PRIMARY KEY NOT NULL,
    -- A change-feed cursor; NULL: from the beginning.
    cursor TEXT,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO feed_consumers (name, cursor, updated_at) VALUES
    ('automation', NULL, CURRENT_TIMESTAMP),
    ('webhooks', NULL, CURRENT_TIMESTAMP);
