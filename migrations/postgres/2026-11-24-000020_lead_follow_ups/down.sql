DROP TRIGGER lead_follow_ups_follow ON leads;
DROP FUNCTION lead_follow_ups_follow();
DROP INDEX interactions_lead_occurred_idx;
DROP TABLE lead_follow_ups;
