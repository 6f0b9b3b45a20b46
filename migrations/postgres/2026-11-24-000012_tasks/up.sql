-- Follow-up tasks: who must do what by when, about which record.
CREATE TABLE tasks (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('follow_up_call', 'service_reminder', 'callback', 'visit', 'other')),
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    -- The record the task is about; both or neither.
    related_type TEXT CHECK (related_type IN ('customer', 'lead', 'ticket', 'asset')),
    related_id TEXT,
    -- The customer behind the related record, for the customer's task list.
    customer_id TEXT REFERENCES customers (id),
    division_id TEXT NOT NULL REFERENCES divisions (id),
    branch_id TEXT REFERENCES branches (id),
    assignee_id TEXT NOT NULL REFERENCES users (id),
    due_at TIMESTAMP NOT NULL,
    remind_at TIMESTAMP,
    notes TEXT,
    outcome TEXT,
    -- A person (created_by) or an automation rule (rule_id) created it.
    created_by TEXT REFERENCES users (id),
    rule_id TEXT,
    completed_at TIMESTAMP,
    completed_by TEXT REFERENCES users (id),
    -- The interaction logged when a follow-up on a lead was completed.
    interaction_id TEXT REFERENCES interactions (id),
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((related_type IS NULL) = (related_id IS NULL)),
    CHECK ((status = 'open') = (completed_at IS NULL))
);
CREATE INDEX tasks_assignee_due_idx ON tasks (assignee_id, status, due_at, id);
CREATE INDEX tasks_division_due_idx ON tasks (division_id, status, due_at, id);
CREATE INDEX tasks_due_idx ON tasks (status, due_at, id);
CREATE INDEX tasks_created_idx ON tasks (created_at, id);
CREATE INDEX tasks_updated_idx ON tasks (updated_at, id);
CREATE INDEX tasks_related_idx ON tasks (related_type, related_id);
CREATE INDEX tasks_customer_idx ON tasks (customer_id);
CREATE INDEX tasks_creator_idx ON tasks (created_by);
