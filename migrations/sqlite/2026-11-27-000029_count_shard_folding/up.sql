-- Nothing to do on SQLite: its single writer keeps every kept count in
-- shard 0, so there are no shards to fold (the PostgreSQL migration of this
-- name indexes the rows the sweeper folds). Kept so that both backends
-- hold the same list of migrations (decision 0002).
SELECT 1;
