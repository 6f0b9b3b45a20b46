-- Lead capture intake (issue 6 point 7): two tables the leads migration lacks.

-- Every inquiry an intake source delivered and what became of it: a new lead,
-- or an existing open lead it was attached to. Needed because
-- (1) `leads.source` says only "website", not which form or middleware
--     captured the lead;
-- (2) a client retry with the same `external_id` must replay the first
--     outcome even when that outcome created no lead (an attachment), so the
--     key cannot live on `leads.external_id`.
-- A lead deleted later takes its capture records with it.
CREATE TABLE intake_captures (
    id TEXT PRIMARY KEY NOT NULL,
    source_id TEXT NOT NULL REFERENCES intake_sources (id),
    external_id TEXT,
    lead_id TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    outcome TEXT NOT NULL CHECK (outcome IN ('created', 'created_for_customer', 'attached_to_lead')),
    created_at TIMESTAMP NOT NULL
);
-- Idempotent retries; NULL external ids never clash.
CREATE UNIQUE INDEX intake_captures_external_key ON intake_captures (source_id, external_id);
CREATE INDEX intake_captures_lead_idx ON intake_captures (lead_id);
CREATE INDEX intake_captures_source_idx ON intake_captures (source_id, created_at);

-- Requests per intake source per clock minute, counted in the database so
-- every replica behind the load balancer enforces the same limit. Windows
-- older than the current one are pruned as new ones open.
CREATE TABLE intake_rate_windows (
    source_id TEXT NOT NULL REFERENCES intake_sources (id) ON DELETE CASCADE,
    window_start TIMESTAMP NOT NULL,
    hits INTEGER NOT NULL CHECK (hits >= 0),
    PRIMARY KEY (source_id, window_start)
);
