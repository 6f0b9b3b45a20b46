DROP TRIGGER lead_stay_counts_lead_delete;
DROP TRIGGER lead_stay_counts_lead_update;
DROP TRIGGER lead_stay_counts_delete;
DROP TRIGGER lead_stay_counts_update;
DROP TRIGGER lead_stay_counts_insert;
DROP VIEW lead_stay_contributions;
DROP TABLE lead_stay_counts;
