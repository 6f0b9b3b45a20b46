-- KPI targets (issue 9): the plan's defaults live in code; a row overrides
-- them group-wide (division_id NULL) or for one division. Bounds are
-- hundredths of the headline measure's unit (percent, business days…),
-- so they stay exact without a NUMERIC type.
CREATE TABLE metric_targets (
    id TEXT PRIMARY KEY NOT NULL,
    division_id TEXT REFERENCES divisions (id),
    kpi TEXT NOT NULL,
    min_centi BIGINT NOT NULL CHECK (min_centi >= 0),
    max_centi BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (max_centi >= min_centi)
);
CREATE UNIQUE INDEX metric_targets_key ON metric_targets (kpi, COALESCE(division_id, ''));

-- Reopen rate counts resolutions in a period from the status history.
CREATE INDEX ticket_status_history_to_idx ON ticket_status_history (to_status, changed_at);
-- CSAT response rate counts surveys by when they were sent.
CREATE INDEX csat_surveys_sent_idx ON csat_surveys (sent_at);
-- Stage durations read stays by when they ended.
CREATE INDEX lead_stage_history_left_idx ON lead_stage_history (left_at) WHERE left_at IS NOT NULL;
