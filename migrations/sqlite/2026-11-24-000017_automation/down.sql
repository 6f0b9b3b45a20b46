DROP INDEX leads_follow_up_due_idx;
ALTER TABLE tasks DROP COLUMN rule_run_id;
DROP TABLE customer_messages;
DROP TABLE automation_runs;
DROP TABLE automation_rules;
