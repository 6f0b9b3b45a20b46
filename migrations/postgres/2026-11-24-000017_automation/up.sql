-- Automation rules (issue 8): a trigger, conditions and actions, and a
-- record of every run (see crates/tasks/src/automation/mod.rs).
CREATE TABLE automation_rules (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    -- Set on the built-in defaults (e.g. 'lead_follow_up'): one of each.
    builtin_key TEXT UNIQUE,
    trigger_kind TEXT NOT NULL CHECK (trigger_kind IN ('lead_created', 'lead_stage_changed', 'lead_won', 'lead_lost',
        'ticket_created', 'ticket_resolved', 'ticket_sla_warning', 'ticket_sla_breached', 'purchase_recorded',
        'asset_service_due', 'lead_follow_up_overdue', 'task_overdue', 'schedule')),
    -- Trigger settings (a JSON object): days_before for asset_service_due,
    -- the time of day and weekdays for schedule.
    trigger_params TEXT NOT NULL,
    -- JSON object: field -> allowed values; every field must match.
    conditions TEXT NOT NULL,
    -- JSON array of actions, run in order.
    actions TEXT NOT NULL,
    -- The actions run this long after the occurrence.
    delay_minutes INTEGER NOT NULL CHECK (delay_minutes >= 0),
    enabled BOOLEAN NOT NULL,
    -- Occurrences from this instant on fire the rule (set when enabled).
    enabled_at TIMESTAMP,
    -- Time triggers: occurrences up to this instant have been looked for.
    scanned_until TIMESTAMP,
    created_by TEXT REFERENCES users (id),
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    archived_at TIMESTAMP
);
CREATE INDEX automation_rules_trigger_idx ON automation_rules (trigger_kind) WHERE enabled AND archived_at IS NULL;
CREATE INDEX automation_rules_created_idx ON automation_rules (created_at, id);
CREATE INDEX automation_rules_name_idx ON automation_rules (name, id);

-- One row per (rule, occurrence): what fired and what the rule did. The
-- unique key is what makes a rule fire once per occurrence, whatever
-- restarts or replicas do.
CREATE TABLE automation_runs (
    id TEXT PRIMARY KEY NOT NULL,
    rule_id TEXT NOT NULL REFERENCES automation_rules (id),
    trigger_kind TEXT NOT NULL,
    -- Names the occurrence, e.g. 'lead:<id>:follow_up:<instant>' or 'event:<id>'.
    occurrence TEXT NOT NULL,
    subject_type TEXT,
    subject_id TEXT,
    occurred_at TIMESTAMP NOT NULL,
    ran_at TIMESTAMP NOT NULL,
    -- JSON array: one result per action ({type, status, ...}).
    results TEXT NOT NULL,
    UNIQUE (rule_id, occurrence)
);
CREATE INDEX automation_runs_rule_idx ON automation_runs (rule_id, ran_at, id);
CREATE INDEX automation_runs_subject_idx ON automation_runs (subject_type, subject_id, ran_at);
CREATE INDEX automation_runs_ran_idx ON automation_runs (ran_at, id);

-- Messages rules send to customers, on a channel the customer consented to
-- for the purpose (service notices and reminders are not marketing). Erasing
-- the customer deletes them.
CREATE TABLE customer_messages (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp')),
    purpose TEXT NOT NULL CHECK (purpose IN ('service', 'reminders')),
    address TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'skipped')),
    detail TEXT,
    rule_run_id TEXT REFERENCES automation_runs (id),
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX customer_messages_customer_idx ON customer_messages (customer_id, created_at);

-- The run that created a task (with rule_id, already there).
ALTER TABLE tasks ADD COLUMN rule_run_id TEXT REFERENCES automation_runs (id);

-- Time triggers look for occurrences in a window of time, by index.
CREATE INDEX leads_follow_up_due_idx ON leads (next_follow_up_at) WHERE status = 'open' AND next_follow_up_at IS NOT NULL;
