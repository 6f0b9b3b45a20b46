-- The sweeper folds the shards of past days of the daily counts into shard
-- 0 (`rapport_metrics::rollups::fold_shards`; decision 0008): these indexes
-- hold only the rows still in other shards, so that each pass finds them
-- without reading the folded days. SQLite keeps every count in shard 0.
CREATE INDEX lead_daily_counts_sharded_idx ON lead_daily_counts (day) WHERE shard <> 0;
CREATE INDEX lead_division_daily_counts_sharded_idx ON lead_division_daily_counts (day) WHERE shard <> 0;
CREATE INDEX lead_follow_up_counts_sharded_idx ON lead_follow_up_counts (day) WHERE shard <> 0;
CREATE INDEX lead_stay_counts_sharded_idx ON lead_stay_counts (day) WHERE shard <> 0;
CREATE INDEX ticket_daily_counts_sharded_idx ON ticket_daily_counts (day) WHERE shard <> 0;
