DROP INDEX lead_stage_history_left_idx;
DROP INDEX csat_surveys_sent_idx;
DROP INDEX ticket_status_history_to_idx;
DROP TABLE metric_targets;
