-- Leads and the sales pipeline (issue 6): the schema for the whole issue,
-- so routing, intake and conversion need no further migration.

CREATE TABLE pipelines (
    id TEXT PRIMARY KEY NOT NULL,
    division_id TEXT NOT NULL REFERENCES divisions (id),
    name TEXT NOT NULL,
    archived_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX pipelines_name_key ON pipelines (division_id, name);
CREATE INDEX pipelines_created_idx ON pipelines (created_at, id);

CREATE TABLE pipeline_stages (
    id TEXT PRIMARY KEY NOT NULL,
    pipeline_id TEXT NOT NULL REFERENCES pipelines (id),
    -- 0-based order on the board; rewritten whole by a reorder.
    position INTEGER NOT NULL CHECK (position >= 0),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('open', 'won', 'lost')),
    win_probability INTEGER NOT NULL CHECK (win_probability BETWEEN 0 AND 100),
    -- Minutes until the next follow-up once a lead enters the stage; none: no cadence.
    follow_up_minutes INTEGER CHECK (follow_up_minutes > 0),
    archived_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX pipeline_stages_pipeline_idx ON pipeline_stages (pipeline_id, position);

CREATE TABLE lost_reasons (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL DEFAULT 0,
    archived_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE leads (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT REFERENCES customers (id),
    -- The prospect's own details while no customer is linked.
    prospect_name TEXT,
    prospect_phone TEXT,
    prospect_email TEXT,
    source TEXT NOT NULL CHECK (source IN ('walk_in', 'phone', 'whatsapp', 'instagram', 'website',
        'referral', 'event', 'erp', 'other')),
    division_id TEXT NOT NULL REFERENCES divisions (id),
    branch_id TEXT REFERENCES branches (id),
    product_interest TEXT,
    currency TEXT,
    expected_value_minor BIGINT CHECK (expected_value_minor >= 0),
    expected_close_on DATE,
    owner_id TEXT REFERENCES users (id),
    created_by TEXT REFERENCES users (id),
    pipeline_id TEXT NOT NULL REFERENCES pipelines (id),
    stage_id TEXT NOT NULL REFERENCES pipeline_stages (id),
    -- The kind of the current stage, kept here so lists and counts need no join.
    status TEXT NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    lost_reason_id TEXT REFERENCES lost_reasons (id),
    lost_note TEXT,
    score INTEGER CHECK (score BETWEEN 0 AND 100),
    notes TEXT,
    next_follow_up_at TIMESTAMP,
    -- Overrides the stage's follow-up interval for this lead.
    follow_up_minutes INTEGER CHECK (follow_up_minutes > 0),
    external_source TEXT,
    external_id TEXT,
    -- When the lead last entered a won or lost stage; cleared when it reopens.
    closed_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    archived_at TIMESTAMP,
    CHECK ((currency IS NULL) = (expected_value_minor IS NULL)),
    CHECK (status <> 'lost' OR lost_reason_id IS NOT NULL)
);
-- A rep's follow-up lists (overdue, due today, upcoming): open leads only.
CREATE INDEX leads_follow_up_idx ON leads (owner_id, next_follow_up_at)
    WHERE status = 'open' AND next_follow_up_at IS NOT NULL;
-- Board counts per stage; open leads only.
CREATE INDEX leads_board_idx ON leads (pipeline_id, stage_id) WHERE status = 'open';
CREATE INDEX leads_stage_idx ON leads (stage_id);
CREATE INDEX leads_division_idx ON leads (division_id, created_at, id);
CREATE INDEX leads_branch_idx ON leads (branch_id, created_at, id);
CREATE INDEX leads_owner_idx ON leads (owner_id, created_at, id);
CREATE INDEX leads_creator_idx ON leads (created_by, created_at, id);
CREATE INDEX leads_created_idx ON leads (created_at, id);
CREATE INDEX leads_updated_idx ON leads (updated_at, id);
CREATE INDEX leads_closed_idx ON leads (closed_at, id) WHERE closed_at IS NOT NULL;
CREATE INDEX leads_customer_idx ON leads (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX leads_phone_idx ON leads (prospect_phone) WHERE prospect_phone IS NOT NULL;
CREATE INDEX leads_email_idx ON leads (prospect_email) WHERE prospect_email IS NOT NULL;
CREATE UNIQUE INDEX leads_external_key ON leads (external_source, external_id);

-- What a won lead became; one row per lead, so converting twice finds it.
CREATE TABLE lead_conversions (
    lead_id TEXT PRIMARY KEY NOT NULL REFERENCES leads (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    purchase_id TEXT REFERENCES purchases (id),
    asset_id TEXT REFERENCES assets (id),
    converted_by TEXT REFERENCES users (id),
    converted_at TIMESTAMP NOT NULL
);

-- Append-only: every move, backwards ones included.
CREATE TABLE lead_stage_history (
    id TEXT PRIMARY KEY NOT NULL,
    lead_id TEXT NOT NULL REFERENCES leads (id),
    from_stage_id TEXT REFERENCES pipeline_stages (id),
    to_stage_id TEXT NOT NULL REFERENCES pipeline_stages (id),
    moved_by TEXT REFERENCES users (id),
    entered_at TIMESTAMP NOT NULL,
    left_at TIMESTAMP
);
CREATE INDEX lead_stage_history_lead_idx ON lead_stage_history (lead_id, entered_at);
CREATE INDEX lead_stage_history_stage_idx ON lead_stage_history (to_stage_id, entered_at);

CREATE TABLE lead_assignment_rules (
    id TEXT PRIMARY KEY NOT NULL,
    division_id TEXT NOT NULL REFERENCES divisions (id),
    -- None: the division-wide rule.
    branch_id TEXT REFERENCES branches (id),
    mode TEXT NOT NULL CHECK (mode IN ('named', 'round_robin', 'fewest_open')),
    -- The named rep (mode 'named').
    user_id TEXT REFERENCES users (id),
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (mode <> 'named' OR user_id IS NOT NULL)
);
CREATE INDEX lead_assignment_rules_scope_idx ON lead_assignment_rules (division_id, branch_id);

CREATE TABLE lead_assignment_members (
    rule_id TEXT NOT NULL REFERENCES lead_assignment_rules (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (rule_id, user_id)
);

-- Where round-robin stopped: the position of the member who got the last lead.
CREATE TABLE lead_assignment_cursors (
    rule_id TEXT PRIMARY KEY NOT NULL REFERENCES lead_assignment_rules (id) ON DELETE CASCADE,
    last_position INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Notification records; delivery comes with the tasks issue.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    -- JSON object.
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at, id);
CREATE INDEX notifications_unread_idx ON notifications (user_id, created_at) WHERE read_at IS NULL;

-- Web forms and messaging middleware posting leads; the key is stored hashed.
CREATE TABLE intake_sources (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    division_id TEXT NOT NULL REFERENCES divisions (id),
    branch_id TEXT REFERENCES branches (id),
    lead_source TEXT NOT NULL CHECK (lead_source IN ('walk_in', 'phone', 'whatsapp', 'instagram', 'website',
        'referral', 'event', 'erp', 'other')),
    key_prefix TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL,
    rate_limit_per_minute INTEGER NOT NULL CHECK (rate_limit_per_minute > 0),
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
