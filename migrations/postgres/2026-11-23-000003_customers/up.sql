-- Customers and their 360° profile: people and companies, contacts, emails,
-- phones, divisions, tags, external ids, consent; assets with readings and
-- service rules; purchases with lines; service records; the interaction
-- timeline with admin-managed categories and categorisation rules; custom
-- fields. Money is stored as integer minor units (kobo) plus an ISO 4217
-- currency, so sums are exact in SQL on both backends.

CREATE TABLE customers (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'company')),
    first_name TEXT,
    last_name TEXT,
    company_name TEXT,
    display_name TEXT NOT NULL,
    -- display_name folded to lower case in Rust (Unicode-aware on both backends).
    search_name TEXT NOT NULL,
    primary_email TEXT,
    primary_phone TEXT,
    address_line TEXT,
    city TEXT,
    state TEXT,
    country_code TEXT NOT NULL,
    source TEXT,
    owner_id TEXT REFERENCES users (id),
    preferred_channel TEXT CHECK (preferred_channel IN ('email', 'sms', 'whatsapp', 'call')),
    preferred_language TEXT,
    notes TEXT,
    merged_into_id TEXT REFERENCES customers (id),
    erased_at TIMESTAMP,
    archived_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX customers_created_idx ON customers (created_at, id);
CREATE INDEX customers_updated_idx ON customers (updated_at, id);
CREATE INDEX customers_search_name_idx ON customers (search_name, id);
CREATE INDEX customers_owner_idx ON customers (owner_id);
CREATE INDEX customers_merged_into_idx ON customers (merged_into_id);

CREATE TABLE customer_emails (
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    label TEXT,
    is_primary BOOLEAN NOT NULL,
    PRIMARY KEY (customer_id, email)
);
CREATE INDEX customer_emails_email_idx ON customer_emails (email, customer_id);

CREATE TABLE customer_phones (
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    e164 TEXT NOT NULL,
    label TEXT,
    is_primary BOOLEAN NOT NULL,
    whatsapp BOOLEAN NOT NULL,
    PRIMARY KEY (customer_id, e164)
);
CREATE INDEX customer_phones_e164_idx ON customer_phones (e164, customer_id);

CREATE TABLE customer_divisions (
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    division_id TEXT NOT NULL REFERENCES divisions (id),
    since TIMESTAMP NOT NULL,
    PRIMARY KEY (customer_id, division_id)
);
CREATE INDEX customer_divisions_division_idx ON customer_divisions (division_id, customer_id);

CREATE TABLE customer_tags (
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
);
CREATE INDEX customer_tags_tag_idx ON customer_tags (tag, customer_id);

CREATE TABLE customer_external_ids (
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (source, external_id)
);
CREATE INDEX customer_external_ids_customer_idx ON customer_external_ids (customer_id);

-- One row per channel and purpose: a marketing opt-out leaves service
-- reminders untouched. No row means "never asked".
CREATE TABLE customer_consents (
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp', 'call')),
    purpose TEXT NOT NULL CHECK (purpose IN ('marketing', 'service', 'reminders')),
    granted BOOLEAN NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    method TEXT NOT NULL,
    note TEXT,
    PRIMARY KEY (customer_id, channel, purpose)
);

-- People at a company customer (B2B).
CREATE TABLE customer_contacts (
    id TEXT PRIMARY KEY NOT NULL,
    company_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    person_id TEXT REFERENCES customers (id),
    name TEXT NOT NULL,
    title TEXT,
    role TEXT,
    email TEXT,
    phone TEXT,
    is_primary BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX customer_contacts_company_idx ON customer_contacts (company_id, name, id);
CREATE INDEX customer_contacts_person_idx ON customer_contacts (person_id);

-- Service intervals per make/model: every interval_usage km (or hours) or
-- interval_months, whichever comes first. model_key '' matches every model.
CREATE TABLE service_rules (
    id TEXT PRIMARY KEY NOT NULL,
    asset_kind TEXT NOT NULL CHECK (asset_kind IN ('vehicle', 'generator', 'other')),
    make TEXT NOT NULL,
    model TEXT,
    make_key TEXT NOT NULL,
    model_key TEXT NOT NULL,
    interval_usage BIGINT,
    interval_months INTEGER,
    due_soon_days INTEGER NOT NULL,
    due_soon_usage BIGINT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (interval_usage IS NOT NULL OR interval_months IS NOT NULL)
);
CREATE UNIQUE INDEX service_rules_key ON service_rules (asset_kind, make_key, model_key);

CREATE TABLE assets (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    division_id TEXT NOT NULL REFERENCES divisions (id),
    kind TEXT NOT NULL CHECK (kind IN ('vehicle', 'generator', 'other')),
    make TEXT,
    model TEXT,
    model_year INTEGER,
    -- VIN or serial number, upper-cased, unique.
    serial TEXT UNIQUE,
    -- Registration plate, upper-cased without spaces or dashes.
    plate TEXT,
    purchase_date DATE,
    warranty_end DATE,
    usage_unit TEXT NOT NULL CHECK (usage_unit IN ('km', 'hours')),
    last_usage BIGINT,
    last_usage_at TIMESTAMP,
    last_service_on DATE,
    last_service_usage BIGINT,
    -- The projection from the matching service rule, kept current on every
    -- write that moves it so lists can filter and sort on it.
    next_service_due_on DATE,
    next_service_due_usage BIGINT,
    -- When the service becomes "due soon" by date and by usage (the rule's
    -- due_soon_days / due_soon_usage before the due point), so the
    -- ok / due_soon / overdue status filters are plain comparisons with today.
    service_due_soon_on DATE,
    service_due_soon_usage BIGINT,
    external_source TEXT,
    external_id TEXT,
    archived_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX assets_customer_idx ON assets (customer_id, created_at, id);
CREATE INDEX assets_division_idx ON assets (division_id, created_at, id);
CREATE INDEX assets_created_idx ON assets (created_at, id);
CREATE INDEX assets_updated_idx ON assets (updated_at, id);
CREATE INDEX assets_plate_idx ON assets (plate);
CREATE INDEX assets_due_idx ON assets (next_service_due_on, id);
CREATE UNIQUE INDEX assets_external_key ON assets (external_source, external_id);

CREATE TABLE asset_readings (
    id TEXT PRIMARY KEY NOT NULL,
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    read_at TIMESTAMP NOT NULL,
    usage BIGINT NOT NULL,
    source TEXT NOT NULL,
    recorded_by TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX asset_readings_asset_idx ON asset_readings (asset_id, read_at, id);

CREATE TABLE purchases (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    division_id TEXT NOT NULL REFERENCES divisions (id),
    branch_id TEXT REFERENCES branches (id),
    -- 'manual' for purchases entered by hand, else the system they came from.
    source TEXT NOT NULL,
    invoice_number TEXT NOT NULL,
    purchased_on DATE NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('invoiced', 'paid', 'cancelled')),
    asset_id TEXT REFERENCES assets (id),
    notes TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX purchases_invoice_key ON purchases (source, invoice_number);
CREATE INDEX purchases_customer_idx ON purchases (customer_id, purchased_on, id);
CREATE INDEX purchases_division_idx ON purchases (division_id, purchased_on, id);
CREATE INDEX purchases_created_idx ON purchases (created_at, id);
CREATE INDEX purchases_updated_idx ON purchases (updated_at, id);
CREATE INDEX purchases_asset_idx ON purchases (asset_id);

CREATE TABLE purchase_lines (
    purchase_id TEXT NOT NULL REFERENCES purchases (id) ON DELETE CASCADE,
    line_no INTEGER NOT NULL,
    description TEXT NOT NULL,
    sku TEXT,
    -- A decimal string, e.g. "1" or "4.5" (litres of oil).
    quantity TEXT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    total_minor BIGINT NOT NULL,
    PRIMARY KEY (purchase_id, line_no)
);

CREATE TABLE service_records (
    id TEXT PRIMARY KEY NOT NULL,
    asset_id TEXT NOT NULL REFERENCES assets (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    division_id TEXT NOT NULL REFERENCES divisions (id),
    branch_id TEXT REFERENCES branches (id),
    performed_on DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('scheduled_service', 'repair', 'warranty', 'inspection')),
    usage BIGINT,
    work_done TEXT NOT NULL,
    currency TEXT,
    amount_minor BIGINT,
    -- Tickets arrive with their own issue; the reference is checked then.
    ticket_id TEXT,
    external_source TEXT,
    external_id TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX service_records_asset_idx ON service_records (asset_id, performed_on, id);
CREATE INDEX service_records_customer_idx ON service_records (customer_id, performed_on, id);
CREATE INDEX service_records_division_idx ON service_records (division_id, performed_on, id);
CREATE INDEX service_records_created_idx ON service_records (created_at, id);
CREATE INDEX service_records_updated_idx ON service_records (updated_at, id);
CREATE UNIQUE INDEX service_records_external_key ON service_records (external_source, external_id);

CREATE TABLE interaction_categories (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    archived_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX interaction_categories_name_key ON interaction_categories (lower(name));

-- Applied in priority order (lowest first) to an interaction that arrives
-- without a category: the first rule whose channel matches (or is NULL) and
-- one of whose keywords occurs in the subject or summary wins.
CREATE TABLE categorisation_rules (
    id TEXT PRIMARY KEY NOT NULL,
    category_id TEXT NOT NULL REFERENCES interaction_categories (id),
    channel TEXT CHECK (channel IN ('call', 'email', 'meeting', 'whatsapp', 'sms', 'visit', 'social')),
    -- JSON array of lower-case keywords.
    keywords TEXT NOT NULL,
    priority INTEGER NOT NULL,
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX categorisation_rules_priority_idx ON categorisation_rules (priority, id);

CREATE TABLE interactions (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT REFERENCES customers (id),
    -- Leads and tickets arrive with their own issues; checked then.
    lead_id TEXT,
    ticket_id TEXT,
    division_id TEXT NOT NULL REFERENCES divisions (id),
    channel TEXT NOT NULL CHECK (channel IN ('call', 'email', 'meeting', 'whatsapp', 'sms', 'visit', 'social')),
    direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    category_id TEXT REFERENCES interaction_categories (id),
    -- How the category was set: 'given' or 'rule'.
    category_origin TEXT CHECK (category_origin IN ('given', 'rule')),
    subject TEXT,
    summary TEXT,
    occurred_at TIMESTAMP NOT NULL,
    duration_seconds INTEGER CHECK (duration_seconds >= 0),
    outcome TEXT,
    user_id TEXT REFERENCES users (id),
    external_source TEXT,
    external_id TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX interactions_customer_idx ON interactions (customer_id, occurred_at, id);
CREATE INDEX interactions_division_idx ON interactions (division_id, occurred_at, id);
CREATE INDEX interactions_occurred_idx ON interactions (occurred_at, id);
CREATE INDEX interactions_user_idx ON interactions (user_id, occurred_at);
CREATE INDEX interactions_updated_idx ON interactions (updated_at, id);
CREATE INDEX interactions_lead_idx ON interactions (lead_id);
CREATE INDEX interactions_ticket_idx ON interactions (ticket_id);
CREATE UNIQUE INDEX interactions_external_key ON interactions (external_source, external_id);

CREATE TABLE custom_fields (
    id TEXT PRIMARY KEY NOT NULL,
    entity TEXT NOT NULL CHECK (entity IN ('customer', 'asset', 'lead', 'ticket')),
    division_id TEXT REFERENCES divisions (id),
    field_key TEXT NOT NULL,
    label TEXT NOT NULL,
    field_type TEXT NOT NULL CHECK (field_type IN ('text', 'number', 'money', 'date', 'boolean',
        'single_select', 'multi_select')),
    required BOOLEAN NOT NULL,
    -- JSON array of allowed option strings, for the select types.
    options TEXT,
    position INTEGER NOT NULL,
    archived_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX custom_fields_key ON custom_fields (entity, field_key);

-- One row per value; a multi-select value has one row per chosen option.
-- `value` is the canonical text form (decimal string, YYYY-MM-DD, true/false,
-- option), so equality filters are index lookups.
CREATE TABLE custom_field_values (
    field_id TEXT NOT NULL REFERENCES custom_fields (id),
    record_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (record_id, field_id, ordinal)
);
CREATE INDEX custom_field_values_lookup_idx ON custom_field_values (field_id, value, record_id);
