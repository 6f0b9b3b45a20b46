-- The service desk (issue 7): the schema for the whole issue — categories,
-- queues and their members, routing rules, SLA policies, tickets with their
-- status history, comments, attachments and CSAT surveys — so routing, SLAs
-- and CSAT need no further migration.

CREATE TABLE ticket_categories (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- What the category is for: the call centre triages sales vs after-sales.
    kind TEXT NOT NULL CHECK (kind IN ('sales', 'after_sales', 'service_booking', 'complaint', 'billing', 'general')),
    position INTEGER NOT NULL DEFAULT 0,
    archived_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ticket_categories_name_key ON ticket_categories (lower(name));

CREATE TABLE ticket_queues (
    id TEXT PRIMARY KEY NOT NULL,
    division_id TEXT NOT NULL REFERENCES divisions (id),
    name TEXT NOT NULL,
    assignment TEXT NOT NULL CHECK (assignment IN ('round_robin', 'least_loaded', 'manual')),
    archived_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ticket_queues_name_key ON ticket_queues (division_id, lower(name));

CREATE TABLE ticket_queue_members (
    queue_id TEXT NOT NULL REFERENCES ticket_queues (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    position INTEGER NOT NULL,
    -- Managers get SLA warnings and breaches; agents get tickets.
    role TEXT NOT NULL CHECK (role IN ('agent', 'manager')),
    -- An agent away (leave, training) keeps membership but gets no tickets.
    active BOOLEAN NOT NULL,
    PRIMARY KEY (queue_id, user_id)
);
CREATE INDEX ticket_queue_members_user_idx ON ticket_queue_members (user_id);

-- Where round-robin stopped in a queue: the position of the last assignee.
CREATE TABLE ticket_queue_cursors (
    queue_id TEXT PRIMARY KEY NOT NULL REFERENCES ticket_queues (id) ON DELETE CASCADE,
    last_position INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Division + category + channel -> queue; the most specific active rule wins,
-- then the lowest position.
CREATE TABLE ticket_routing_rules (
    id TEXT PRIMARY KEY NOT NULL,
    division_id TEXT NOT NULL REFERENCES divisions (id),
    category_id TEXT REFERENCES ticket_categories (id),
    channel TEXT CHECK (channel IN ('call', 'email', 'meeting', 'whatsapp', 'sms', 'visit', 'social', 'web', 'walk_in')),
    queue_id TEXT NOT NULL REFERENCES ticket_queues (id),
    position INTEGER NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX ticket_routing_rules_division_idx ON ticket_routing_rules (division_id, position);

-- Targets in business minutes on the ticket branch's calendar; a division's
-- own policy for a priority wins over the company-wide one (division NULL).
CREATE TABLE sla_policies (
    id TEXT PRIMARY KEY NOT NULL,
    division_id TEXT REFERENCES divisions (id),
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    first_response_minutes INTEGER NOT NULL CHECK (first_response_minutes > 0),
    resolution_minutes INTEGER NOT NULL CHECK (resolution_minutes > 0),
    -- Share of a target after which the queue's managers are warned.
    warn_percent INTEGER NOT NULL CHECK (warn_percent BETWEEN 1 AND 99),
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX sla_policies_lookup_idx ON sla_policies (priority, division_id);

-- Ticket numbers per division prefix (MOT-000123), allocated in the
-- creating transaction.
CREATE TABLE ticket_counters (
    division_id TEXT PRIMARY KEY NOT NULL REFERENCES divisions (id),
    last_number BIGINT NOT NULL
);

CREATE TABLE tickets (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    division_id TEXT NOT NULL REFERENCES divisions (id),
    branch_id TEXT REFERENCES branches (id),
    queue_id TEXT REFERENCES ticket_queues (id),
    customer_id TEXT REFERENCES customers (id),
    asset_id TEXT REFERENCES assets (id),
    -- Set when a sales inquiry was handed to the pipeline.
    lead_id TEXT REFERENCES leads (id),
    category_id TEXT NOT NULL REFERENCES ticket_categories (id),
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    channel TEXT NOT NULL CHECK (channel IN ('call', 'email', 'meeting', 'whatsapp', 'sms', 'visit', 'social', 'web', 'walk_in')),
    subject TEXT NOT NULL,
    description TEXT,
    status TEXT NOT NULL CHECK (status IN ('new', 'open', 'pending', 'resolved', 'closed')),
    assignee_id TEXT REFERENCES users (id),
    created_by TEXT REFERENCES users (id),
    first_responded_at TIMESTAMP,
    resolved_at TIMESTAMP,
    closed_at TIMESTAMP,
    reopen_count INTEGER NOT NULL DEFAULT 0,
    -- Distinct agents who replied or logged handle time: FCR needs exactly one.
    agent_touches INTEGER NOT NULL DEFAULT 0,
    -- Set when resolved: one agent touch and never reopened.
    first_contact_resolution BOOLEAN,
    external_source TEXT,
    external_id TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    archived_at TIMESTAMP
);
CREATE INDEX tickets_assignee_idx ON tickets (assignee_id, created_at, id);
CREATE INDEX tickets_queue_idx ON tickets (queue_id, created_at, id);
CREATE INDEX tickets_division_idx ON tickets (division_id, created_at, id);
CREATE INDEX tickets_branch_idx ON tickets (branch_id, created_at, id);
CREATE INDEX tickets_customer_idx ON tickets (customer_id, created_at, id) WHERE customer_id IS NOT NULL;
CREATE INDEX tickets_asset_idx ON tickets (asset_id, created_at, id) WHERE asset_id IS NOT NULL;
CREATE INDEX tickets_created_idx ON tickets (created_at, id);
CREATE INDEX tickets_updated_idx ON tickets (updated_at, id);
CREATE INDEX tickets_resolved_idx ON tickets (resolved_at, id) WHERE resolved_at IS NOT NULL;
CREATE UNIQUE INDEX tickets_external_key ON tickets (external_source, external_id);

-- A ticket's SLA state, apart from the ticket: the policy and calendar it
-- is measured with, the due times (recomputed on every pause and resume),
-- breach flags and the warnings already sent.
CREATE TABLE ticket_slas (
    ticket_id TEXT PRIMARY KEY NOT NULL REFERENCES tickets (id),
    sla_policy_id TEXT NOT NULL REFERENCES sla_policies (id),
    -- The branch's effective calendar at creation; none: calendar time.
    calendar_id TEXT REFERENCES calendars (id),
    -- The policy's targets when the ticket was logged: a later policy edit
    -- does not move the deadlines of tickets already running.
    first_response_minutes INTEGER NOT NULL,
    resolution_minutes INTEGER NOT NULL,
    warn_percent INTEGER NOT NULL,
    -- 'running' (new, open), 'paused' (pending), 'stopped' (resolved, closed).
    clock TEXT NOT NULL CHECK (clock IN ('running', 'paused', 'stopped')),
    -- The response clock starts at creation and again at each customer reply
    -- that follows an agent's; an agent's public reply meets it.
    response_started_at TIMESTAMP NOT NULL,
    response_met_at TIMESTAMP,
    first_response_due_at TIMESTAMP,
    resolution_due_at TIMESTAMP,
    response_breached BOOLEAN NOT NULL,
    resolution_breached BOOLEAN NOT NULL,
    -- When the queue's managers were warned a deadline is near (once each).
    response_warned_at TIMESTAMP,
    resolution_warned_at TIMESTAMP
);
-- At-risk and breached views: running clocks by their next deadline.
CREATE INDEX ticket_slas_resolution_due_idx ON ticket_slas (resolution_due_at) WHERE clock = 'running';
CREATE INDEX ticket_slas_response_due_idx ON ticket_slas (first_response_due_at) WHERE clock = 'running';

-- Append-only: every status change. Stays in `pending` are the SLA pauses.
CREATE TABLE ticket_status_history (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    changed_by TEXT REFERENCES users (id),
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX ticket_status_history_ticket_idx ON ticket_status_history (ticket_id, changed_at);

CREATE TABLE ticket_comments (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    author_id TEXT REFERENCES users (id),
    -- 'public' replies reach the customer; 'internal' notes do not.
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'internal')),
    -- 'agent' or 'customer' (a customer reply re-opens the response clock).
    author_kind TEXT NOT NULL CHECK (author_kind IN ('agent', 'customer')),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ticket_comments_ticket_idx ON ticket_comments (ticket_id, created_at, id);

-- Metadata only; the bytes live in object storage under `storage_key`.
CREATE TABLE ticket_attachments (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    comment_id TEXT REFERENCES ticket_comments (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    storage_key TEXT NOT NULL UNIQUE,
    uploaded_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ticket_attachments_ticket_idx ON ticket_attachments (ticket_id, created_at);

-- One survey per resolution; the token is stored hashed and works once.
CREATE TABLE csat_surveys (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    token_hash TEXT NOT NULL UNIQUE,
    sent_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    rating INTEGER CHECK (rating BETWEEN 1 AND 5),
    comment TEXT,
    responded_at TIMESTAMP
);
CREATE INDEX csat_surveys_ticket_idx ON csat_surveys (ticket_id, sent_at);
CREATE INDEX csat_surveys_responded_idx ON csat_surveys (responded_at) WHERE responded_at IS NOT NULL;
