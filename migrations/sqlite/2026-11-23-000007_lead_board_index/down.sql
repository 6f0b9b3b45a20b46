DROP INDEX leads_board_idx;
CREATE INDEX leads_board_idx ON leads (pipeline_id, stage_id) WHERE status = 'open';
