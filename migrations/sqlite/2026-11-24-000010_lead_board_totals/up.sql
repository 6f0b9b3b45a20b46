-- The pipeline board's counts and expected values, kept by the database in
-- the transaction of every lead write (issue 6: a board over a million
-- leads in under 50 ms; summing the leads themselves takes 150-250 ms).
--
-- One row per bucket a scoped board can ask for: pipeline, stage, division,
-- branch, owner, creator (an "own" scope is owner or creator) and currency.
-- The key columns hold '' for none: NULLs never conflict, so an upsert would
-- not find its row. Triggers, not application code, keep the totals: every
-- path that writes leads (API, intake, routing, conversion, demo and
-- synthetic seeding) is covered by construction. `shard` spreads
-- concurrent writers over several rows on PostgreSQL; SQLite has one writer
-- and uses shard 0. A bucket's totals are the sums over its shards.
CREATE TABLE lead_board_totals (
    division_id TEXT NOT NULL,
    pipeline_id TEXT NOT NULL,
    stage_id TEXT NOT NULL,
    branch_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    currency TEXT NOT NULL,
    shard INTEGER NOT NULL,
    lead_count BIGINT NOT NULL,
    value_minor BIGINT NOT NULL,
    PRIMARY KEY (division_id, pipeline_id, stage_id, branch_id, owner_id, created_by, currency, shard)
);

INSERT INTO lead_board_totals
SELECT division_id, pipeline_id, stage_id, COALESCE(branch_id, ''), COALESCE(owner_id, ''),
       COALESCE(created_by, ''), COALESCE(currency, ''), 0, COUNT(*), COALESCE(SUM(expected_value_minor), 0)
FROM leads
WHERE archived_at IS NULL
GROUP BY division_id, pipeline_id, stage_id, COALESCE(branch_id, ''), COALESCE(owner_id, ''),
         COALESCE(created_by, ''), COALESCE(currency, '');

CREATE TRIGGER lead_board_totals_insert AFTER INSERT ON leads
WHEN NEW.archived_at IS NULL
BEGIN
    INSERT INTO lead_board_totals
    SELECT NEW.division_id, NEW.pipeline_id, NEW.stage_id, COALESCE(NEW.branch_id, ''), COALESCE(NEW.owner_id, ''),
           COALESCE(NEW.created_by, ''), COALESCE(NEW.currency, ''), 0, 1, COALESCE(NEW.expected_value_minor, 0)
    WHERE true
    ON CONFLICT (division_id, pipeline_id, stage_id, branch_id, owner_id, created_by, currency, shard) DO UPDATE
    SET lead_count = lead_count + excluded.lead_count, value_minor = value_minor + excluded.value_minor;
END;

CREATE TRIGGER lead_board_totals_delete AFTER DELETE ON leads
WHEN OLD.archived_at IS NULL
BEGIN
    INSERT INTO lead_board_totals
    SELECT OLD.division_id, OLD.pipeline_id, OLD.stage_id, COALESCE(OLD.branch_id, ''), COALESCE(OLD.owner_id, ''),
           COALESCE(OLD.created_by, ''), COALESCE(OLD.currency, ''), 0, -1, -COALESCE(OLD.expected_value_minor, 0)
    WHERE true
    ON CONFLICT (division_id, pipeline_id, stage_id, branch_id, owner_id, created_by, currency, shard) DO UPDATE
    SET lead_count = lead_count + excluded.lead_count, value_minor = value_minor + excluded.value_minor;
END;

-- Fires only when a column of the key or the value is written (a
-- follow-up or notes change does not): the old bucket loses the lead, the
-- new one gains it (the same bucket when nothing moved).
CREATE TRIGGER lead_board_totals_update
AFTER UPDATE OF division_id, pipeline_id, stage_id, branch_id, owner_id, created_by, currency, expected_value_minor,
    archived_at ON leads
BEGIN
    INSERT INTO lead_board_totals
    SELECT OLD.division_id, OLD.pipeline_id, OLD.stage_id, COALESCE(OLD.branch_id, ''), COALESCE(OLD.owner_id, ''),
           COALESCE(OLD.created_by, ''), COALESCE(OLD.currency, ''), 0, -1, -COALESCE(OLD.expected_value_minor, 0)
    WHERE OLD.archived_at IS NULL
    ON CONFLICT (division_id, pipeline_id, stage_id, branch_id, owner_id, created_by, currency, shard) DO UPDATE
    SET lead_count = lead_count + excluded.lead_count, value_minor = value_minor + excluded.value_minor;
    INSERT INTO lead_board_totals
    SELECT NEW.division_id, NEW.pipeline_id, NEW.stage_id, COALESCE(NEW.branch_id, ''), COALESCE(NEW.owner_id, ''),
           COALESCE(NEW.created_by, ''), COALESCE(NEW.currency, ''), 0, 1, COALESCE(NEW.expected_value_minor, 0)
    WHERE NEW.archived_at IS NULL
    ON CONFLICT (division_id, pipeline_id, stage_id, branch_id, owner_id, created_by, currency, shard) DO UPDATE
    SET lead_count = lead_count + excluded.lead_count, value_minor = value_minor + excluded.value_minor;
END;
