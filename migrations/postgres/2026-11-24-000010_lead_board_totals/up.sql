-- The pipeline board's counts and expected values, kept by the database in
-- the transaction of every lead write (issue 6: a board over a million
-- leads in under 50 ms; summing the leads themselves takes 150-250 ms).
--
-- One row per bucket a scoped board can ask for: pipeline, stage, division,
-- branch, owner, creator (an "own" scope is owner or creator) and currency.
-- The key columns hold '' for none: NULLs never conflict, so an upsert would
-- not find its row. A trigger, not application code, keeps the totals: every
-- path that writes leads (API, intake, routing, conversion, demo and
-- synthetic seeding) is covered by construction. `shard` (0-7, random per
-- write) spreads concurrent writers of one bucket over several rows, so
-- that creates by one rep do not queue on one row lock until commit; a
-- bucket's totals are the sums over its shards, and a shard may go negative.
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

CREATE FUNCTION lead_board_totals_add(l leads, p_sign INTEGER, p_shard INTEGER) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO lead_board_totals
    VALUES (l.division_id, l.pipeline_id, l.stage_id, COALESCE(l.branch_id, ''), COALESCE(l.owner_id, ''),
            COALESCE(l.created_by, ''), COALESCE(l.currency, ''), p_shard, p_sign,
            p_sign * COALESCE(l.expected_value_minor, 0))
    ON CONFLICT (division_id, pipeline_id, stage_id, branch_id, owner_id, created_by, currency, shard) DO UPDATE
    SET lead_count = lead_board_totals.lead_count + excluded.lead_count,
        value_minor = lead_board_totals.value_minor + excluded.value_minor;
$$;

CREATE FUNCTION lead_board_totals_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pick INTEGER := floor(random() * 8)::INTEGER;
    old_live BOOLEAN := TG_OP <> 'INSERT' AND OLD.archived_at IS NULL;
    new_live BOOLEAN := TG_OP <> 'DELETE' AND NEW.archived_at IS NULL;
BEGIN
    -- Two buckets are locked in key order, so that two moves in opposite
    -- directions cannot deadlock.
    IF old_live AND new_live
        AND ROW(NEW.division_id, NEW.pipeline_id, NEW.stage_id, COALESCE(NEW.branch_id, ''), COALESCE(NEW.owner_id, ''),
                COALESCE(NEW.created_by, ''), COALESCE(NEW.currency, ''))
          < ROW(OLD.division_id, OLD.pipeline_id, OLD.stage_id, COALESCE(OLD.branch_id, ''), COALESCE(OLD.owner_id, ''),
                COALESCE(OLD.created_by, ''), COALESCE(OLD.currency, '')) THEN
        PERFORM lead_board_totals_add(NEW, 1, pick);
        PERFORM lead_board_totals_add(OLD, -1, pick);
        RETURN NULL;
    END IF;
    IF old_live THEN
        PERFORM lead_board_totals_add(OLD, -1, pick);
    END IF;
    IF new_live THEN
        PERFORM lead_board_totals_add(NEW, 1, pick);
    END IF;
    RETURN NULL;
END;
$$;

-- UPDATE fires only when a column of the key or the value is written (a
-- follow-up or notes change does not).
CREATE TRIGGER lead_board_totals_follow
AFTER INSERT OR DELETE OR UPDATE OF division_id, pipeline_id, stage_id, branch_id, owner_id, created_by, currency,
    expected_value_minor, archived_at ON leads
FOR EACH ROW EXECUTE FUNCTION lead_board_totals_follow();
