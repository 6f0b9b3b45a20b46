-- Webhook subscriptions, their deliveries and each delivery's attempts
-- (see crates/tasks/src/webhooks/).
CREATE TABLE webhook_subscriptions (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    -- JSON array of patterns: `entity_type.action`, `entity_type.*` or `*`.
    event_types TEXT NOT NULL,
    description TEXT,
    active BOOLEAN NOT NULL,
    max_attempts INTEGER NOT NULL CHECK (max_attempts BETWEEN 1 AND 20),
    -- Signing secrets: HMAC needs the secret itself, so it is stored as is
    -- (docs/security.md); the previous one signs too until it expires.
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at TIMESTAMP,
    created_by TEXT REFERENCES users (id),
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_subscriptions_created_idx ON webhook_subscriptions (created_at, id);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id),
    -- The change event (or the caller-given event id of a direct send).
    -- No cascade: a subscription with deliveries is deactivated, not deleted.
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    -- The exact JSON body sent, fixed when the delivery was queued.
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    last_status_code INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, created_at, id);
CREATE INDEX webhook_deliveries_status_idx ON webhook_deliveries (subscription_id, status, created_at, id);

CREATE TABLE webhook_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL CHECK (attempt > 0),
    started_at TIMESTAMP NOT NULL,
    duration_ms BIGINT NOT NULL,
    status_code INTEGER,
    error TEXT,
    -- The response body's first KiB.
    response_excerpt TEXT,
    UNIQUE (delivery_id, attempt)
);
