-- Foundation: org structure (calendars, divisions, branches), audit log,
-- change-event outbox and idempotency keys.
-- Portable types only (see docs/decisions/0002-portable-schema.md):
-- ids TEXT (UUIDv7), instants TIMESTAMP in UTC, enums/JSON TEXT.

CREATE TABLE calendars (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    holidays_from_id TEXT REFERENCES calendars (id),
    archived_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX calendars_name_key ON calendars (lower(name));
CREATE INDEX calendars_created_idx ON calendars (created_at, id);
CREATE INDEX calendars_updated_idx ON calendars (updated_at, id);
CREATE INDEX calendars_holidays_from_idx ON calendars (holidays_from_id);

CREATE TABLE calendar_windows (
    calendar_id TEXT NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    PRIMARY KEY (calendar_id, weekday, start_minute),
    CHECK (start_minute < end_minute)
);

CREATE TABLE calendar_holidays (
    calendar_id TEXT NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
    on_date DATE NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (calendar_id, on_date)
);

CREATE TABLE divisions (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    calendar_id TEXT REFERENCES calendars (id),
    archived_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX divisions_name_key ON divisions (lower(name));
CREATE INDEX divisions_created_idx ON divisions (created_at, id);
CREATE INDEX divisions_updated_idx ON divisions (updated_at, id);
CREATE INDEX divisions_calendar_idx ON divisions (calendar_id);

CREATE TABLE branches (
    id TEXT PRIMARY KEY NOT NULL,
    division_id TEXT NOT NULL REFERENCES divisions (id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    address TEXT,
    city TEXT,
    state TEXT,
    country_code TEXT NOT NULL,
    calendar_id TEXT REFERENCES calendars (id),
    archived_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX branches_division_idx ON branches (division_id, created_at, id);
CREATE INDEX branches_name_idx ON branches (name, id);
CREATE INDEX branches_created_idx ON branches (created_at, id);
CREATE INDEX branches_updated_idx ON branches (updated_at, id);
CREATE INDEX branches_calendar_idx ON branches (calendar_id);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'system', 'anonymous')),
    actor_id TEXT,
    request_id TEXT,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_id, occurred_at);
CREATE INDEX audit_log_occurred_idx ON audit_log (occurred_at, id);

CREATE TABLE change_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    occurred_at TIMESTAMP NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    payload TEXT NOT NULL,
    request_id TEXT
);
CREATE INDEX change_events_entity_idx ON change_events (entity_type, seq);

CREATE TABLE idempotency_keys (
    principal TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER,
    response_headers TEXT,
    response_body BYTEA,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (principal, idempotency_key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
