-- Identity and access: users, refresh tokens, API keys, login throttling,
-- and the client address on audit entries.

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    phone TEXT,
    role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'manager', 'sales_rep', 'service_agent',
        'call_center_agent', 'analyst', 'integration')),
    division_id TEXT REFERENCES divisions (id),
    branch_id TEXT REFERENCES branches (id),
    active BOOLEAN NOT NULL,
    password_hash TEXT,
    password_changed_at TIMESTAMP,
    last_login_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_created_idx ON users (created_at, id);
CREATE INDEX users_name_idx ON users (name, id);
CREATE INDEX users_division_idx ON users (division_id, created_at, id);
CREATE INDEX users_branch_idx ON users (branch_id);

CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    family_id TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP,
    last_used_at TIMESTAMP,
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);
CREATE INDEX api_keys_created_idx ON api_keys (created_at, id);

CREATE TABLE login_throttle (
    subject TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    blocked_until TIMESTAMP
);

ALTER TABLE audit_log ADD COLUMN client_addr TEXT;
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, occurred_at);
