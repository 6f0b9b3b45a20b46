DROP TRIGGER lead_stay_counts_lead_follow ON leads;
DROP TRIGGER lead_stay_counts_follow ON lead_stage_history;
DROP FUNCTION lead_stay_counts_follow();
DROP FUNCTION lead_stays_of(leads, INTEGER);
DROP FUNCTION lead_stay_contribution_of(lead_stage_history, INTEGER);
DROP VIEW lead_stay_contributions;
DROP TABLE lead_stay_counts;
