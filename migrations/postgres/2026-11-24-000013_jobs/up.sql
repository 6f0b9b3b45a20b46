-- Background jobs leased by workers (see crates/core/src/jobs.rs).
CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    -- JSON object.
    payload TEXT NOT NULL,
    -- One job per occurrence (e.g. `task_reminder:<task>:<instant>`).
    dedupe_key TEXT UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'dead')),
    run_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    max_attempts INTEGER NOT NULL CHECK (max_attempts > 0),
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    CHECK ((status = 'running') = (lease_until IS NOT NULL))
);
-- What a lease looks for: due queued jobs, and running ones whose lease ran out.
CREATE INDEX jobs_due_idx ON jobs (run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_lease_idx ON jobs (lease_until) WHERE status = 'running';
CREATE INDEX jobs_created_idx ON jobs (created_at, id);
CREATE INDEX jobs_status_idx ON jobs (status, created_at, id);
