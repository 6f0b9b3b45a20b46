DROP TRIGGER lead_follow_ups_update;
DROP TRIGGER lead_follow_ups_insert;
DROP INDEX interactions_lead_occurred_idx;
DROP TABLE lead_follow_ups;
