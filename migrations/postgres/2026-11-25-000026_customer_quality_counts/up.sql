-- Data quality over a million customers (issue 9): completeness and
-- invalid contacts read counts kept in the transaction of every customer
-- write, instead of reading every customer per request (decision
-- docs/decisions/0008-metric-rollups.md), in two steps as the ticket counts
-- (migration 000024):
--
-- 1. `customer_quality_facts`: what each live customer contributes now, one
--    row for the whole base (`division_key` '') and one per division it
--    deals with, equal to the view `customer_quality_contributions` for that
--    customer; a write to the customer, its divisions, phones or emails
--    refreshes them (rows that differ deleted, missing ones inserted).
-- 2. `customer_quality_counts`: the facts summed per division key and owner
--    ('' for none), kept by triggers on the facts.
--
-- The fields and the validity rules are those of `rapport_metrics`
-- (`quality.rs`), which still counts from the rows when asked to check:
-- `rollups::differences` compares both.
-- Fresh statistics first: after a bulk load without them the planner can
-- probe the status index per row of the backfill below (quadratic: it ran
-- for 49 minutes over 200k synthetic tickets before it was stopped).
ANALYZE customers;
ANALYZE customer_divisions;
ANALYZE customer_phones;
ANALYZE customer_emails;

CREATE TABLE customer_quality_facts (
    customer_id TEXT NOT NULL,
    division_key TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    customers BIGINT NOT NULL,
    complete BIGINT NOT NULL,
    name BIGINT NOT NULL,
    primary_email BIGINT NOT NULL,
    primary_phone BIGINT NOT NULL,
    address BIGINT NOT NULL,
    source BIGINT NOT NULL,
    owner BIGINT NOT NULL,
    division BIGINT NOT NULL,
    phones BIGINT NOT NULL,
    phones_invalid BIGINT NOT NULL,
    emails BIGINT NOT NULL,
    emails_invalid BIGINT NOT NULL,
    PRIMARY KEY (customer_id, division_key)
);

CREATE TABLE customer_quality_counts (
    division_key TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    shard INTEGER NOT NULL,
    customers BIGINT NOT NULL,
    complete BIGINT NOT NULL,
    name BIGINT NOT NULL,
    primary_email BIGINT NOT NULL,
    primary_phone BIGINT NOT NULL,
    address BIGINT NOT NULL,
    source BIGINT NOT NULL,
    owner BIGINT NOT NULL,
    division BIGINT NOT NULL,
    phones BIGINT NOT NULL,
    phones_invalid BIGINT NOT NULL,
    emails BIGINT NOT NULL,
    emails_invalid BIGINT NOT NULL,
    PRIMARY KEY (division_key, owner_id, shard)
);

-- What each live customer contributes, from its rows.

CREATE VIEW customer_quality_contributions AS
SELECT c.id AS customer_id, '' AS division_key, COALESCE(c.owner_id, '') AS owner_id,
       CAST(1 AS BIGINT) AS customers,
       CAST(CASE WHEN ((c.kind = 'person' AND COALESCE(TRIM(c.first_name), '') <> '' AND COALESCE(TRIM(c.last_name), '') <> '') OR (c.kind = 'company' AND COALESCE(TRIM(c.company_name), '') <> '')) AND COALESCE(TRIM(c.primary_email), '') <> '' AND COALESCE(TRIM(c.primary_phone), '') <> '' AND (COALESCE(TRIM(c.address_line), '') <> '' AND COALESCE(TRIM(c.city), '') <> '') AND COALESCE(TRIM(c.source), '') <> '' AND c.owner_id IS NOT NULL AND EXISTS (SELECT 1 FROM customer_divisions d WHERE d.customer_id = c.id) THEN 1 ELSE 0 END AS BIGINT) AS complete,
       CAST(CASE WHEN ((c.kind = 'person' AND COALESCE(TRIM(c.first_name), '') <> '' AND COALESCE(TRIM(c.last_name), '') <> '') OR (c.kind = 'company' AND COALESCE(TRIM(c.company_name), '') <> '')) THEN 1 ELSE 0 END AS BIGINT) AS name,
       CAST(CASE WHEN COALESCE(TRIM(c.primary_email), '') <> '' THEN 1 ELSE 0 END AS BIGINT) AS primary_email,
       CAST(CASE WHEN COALESCE(TRIM(c.primary_phone), '') <> '' THEN 1 ELSE 0 END AS BIGINT) AS primary_phone,
       CAST(CASE WHEN (COALESCE(TRIM(c.address_line), '') <> '' AND COALESCE(TRIM(c.city), '') <> '') THEN 1 ELSE 0 END AS BIGINT) AS address,
       CAST(CASE WHEN COALESCE(TRIM(c.source), '') <> '' THEN 1 ELSE 0 END AS BIGINT) AS source,
       CAST(CASE WHEN c.owner_id IS NOT NULL THEN 1 ELSE 0 END AS BIGINT) AS owner,
       CAST(CASE WHEN EXISTS (SELECT 1 FROM customer_divisions d WHERE d.customer_id = c.id) THEN 1 ELSE 0 END AS BIGINT) AS division,
       CAST((SELECT COUNT(*) FROM customer_phones x WHERE x.customer_id = c.id) AS BIGINT) AS phones,
       CAST((SELECT COUNT(*) FROM customer_phones x WHERE x.customer_id = c.id AND CASE WHEN NOT x.e164 ~ '^[+][1-9][0-9]{7,14}$' THEN 1 ELSE 0 END = 1) AS BIGINT) AS phones_invalid,
       CAST((SELECT COUNT(*) FROM customer_emails x WHERE x.customer_id = c.id) AS BIGINT) AS emails,
       CAST((SELECT COUNT(*) FROM customer_emails x WHERE x.customer_id = c.id AND CASE WHEN NOT x.email ~ '^[^@ 	
]+@[^@. 	
][^@ 	
]*[.][^@ 	
]*[^@. 	
]$' THEN 1 ELSE 0 END = 1) AS BIGINT) AS emails_invalid
FROM customers c WHERE c.merged_into_id IS NULL AND c.erased_at IS NULL AND c.archived_at IS NULL
UNION ALL
SELECT cd.customer_id, cd.division_id, COALESCE(c.owner_id, ''),
       CAST(1 AS BIGINT),
       CAST(CASE WHEN ((c.kind = 'person' AND COALESCE(TRIM(c.first_name), '') <> '' AND COALESCE(TRIM(c.last_name), '') <> '') OR (c.kind = 'company' AND COALESCE(TRIM(c.company_name), '') <> '')) AND COALESCE(TRIM(c.primary_email), '') <> '' AND COALESCE(TRIM(c.primary_phone), '') <> '' AND (COALESCE(TRIM(c.address_line), '') <> '' AND COALESCE(TRIM(c.city), '') <> '') AND COALESCE(TRIM(c.source), '') <> '' AND c.owner_id IS NOT NULL AND EXISTS (SELECT 1 FROM customer_divisions d WHERE d.customer_id = c.id) THEN 1 ELSE 0 END AS BIGINT),
       CAST(CASE WHEN ((c.kind = 'person' AND COALESCE(TRIM(c.first_name), '') <> '' AND COALESCE(TRIM(c.last_name), '') <> '') OR (c.kind = 'company' AND COALESCE(TRIM(c.company_name), '') <> '')) THEN 1 ELSE 0 END AS BIGINT),
       CAST(CASE WHEN COALESCE(TRIM(c.primary_email), '') <> '' THEN 1 ELSE 0 END AS BIGINT),
       CAST(CASE WHEN COALESCE(TRIM(c.primary_phone), '') <> '' THEN 1 ELSE 0 END AS BIGINT),
       CAST(CASE WHEN (COALESCE(TRIM(c.address_line), '') <> '' AND COALESCE(TRIM(c.city), '') <> '') THEN 1 ELSE 0 END AS BIGINT),
       CAST(CASE WHEN COALESCE(TRIM(c.source), '') <> '' THEN 1 ELSE 0 END AS BIGINT),
       CAST(CASE WHEN c.owner_id IS NOT NULL THEN 1 ELSE 0 END AS BIGINT),
       CAST(CASE WHEN EXISTS (SELECT 1 FROM customer_divisions d WHERE d.customer_id = c.id) THEN 1 ELSE 0 END AS BIGINT),
       CAST((SELECT COUNT(*) FROM customer_phones x WHERE x.customer_id = c.id) AS BIGINT),
       CAST((SELECT COUNT(*) FROM customer_phones x WHERE x.customer_id = c.id AND CASE WHEN NOT x.e164 ~ '^[+][1-9][0-9]{7,14}$' THEN 1 ELSE 0 END = 1) AS BIGINT),
       CAST((SELECT COUNT(*) FROM customer_emails x WHERE x.customer_id = c.id) AS BIGINT),
       CAST((SELECT COUNT(*) FROM customer_emails x WHERE x.customer_id = c.id AND CASE WHEN NOT x.email ~ '^[^@ 	
]+@[^@. 	
][^@ 	
]*[.][^@ 	
]*[^@. 	
]$' THEN 1 ELSE 0 END = 1) AS BIGINT)
FROM customer_divisions cd JOIN customers c ON c.id = cd.customer_id WHERE c.merged_into_id IS NULL AND c.erased_at IS NULL AND c.archived_at IS NULL;

INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid) SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions;

INSERT INTO customer_quality_counts
SELECT division_key, owner_id, 0, SUM(customers), SUM(complete), SUM(name), SUM(primary_email), SUM(primary_phone), SUM(address), SUM(source), SUM(owner), SUM(division), SUM(phones), SUM(phones_invalid), SUM(emails), SUM(emails_invalid) FROM customer_quality_facts GROUP BY division_key, owner_id;

-- A fact added counts up, a fact removed counts down (facts are never
-- updated); `shard` (0-7, random per write) spreads concurrent writers.
CREATE FUNCTION customer_quality_counts_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pick INTEGER := floor(random() * 8)::INTEGER;
BEGIN
    IF TG_OP = 'INSERT' THEN
    INSERT INTO customer_quality_counts AS q VALUES (NEW.division_key, NEW.owner_id, pick,
        NEW.customers, NEW.complete, NEW.name, NEW.primary_email, NEW.primary_phone, NEW.address, NEW.source, NEW.owner, NEW.division, NEW.phones, NEW.phones_invalid, NEW.emails, NEW.emails_invalid)
    ON CONFLICT (division_key, owner_id, shard) DO UPDATE SET
        customers = q.customers + excluded.customers, complete = q.complete + excluded.complete, name = q.name + excluded.name, primary_email = q.primary_email + excluded.primary_email, primary_phone = q.primary_phone + excluded.primary_phone, address = q.address + excluded.address, source = q.source + excluded.source, owner = q.owner + excluded.owner, division = q.division + excluded.division, phones = q.phones + excluded.phones, phones_invalid = q.phones_invalid + excluded.phones_invalid, emails = q.emails + excluded.emails, emails_invalid = q.emails_invalid + excluded.emails_invalid;
    ELSE
    INSERT INTO customer_quality_counts AS q VALUES (OLD.division_key, OLD.owner_id, pick,
        -OLD.customers, -OLD.complete, -OLD.name, -OLD.primary_email, -OLD.primary_phone, -OLD.address, -OLD.source, -OLD.owner, -OLD.division, -OLD.phones, -OLD.phones_invalid, -OLD.emails, -OLD.emails_invalid)
    ON CONFLICT (division_key, owner_id, shard) DO UPDATE SET
        customers = q.customers + excluded.customers, complete = q.complete + excluded.complete, name = q.name + excluded.name, primary_email = q.primary_email + excluded.primary_email, primary_phone = q.primary_phone + excluded.primary_phone, address = q.address + excluded.address, source = q.source + excluded.source, owner = q.owner + excluded.owner, division = q.division + excluded.division, phones = q.phones + excluded.phones, phones_invalid = q.phones_invalid + excluded.phones_invalid, emails = q.emails + excluded.emails, emails_invalid = q.emails_invalid + excluded.emails_invalid;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER customer_quality_counts_follow AFTER INSERT OR DELETE ON customer_quality_facts
FOR EACH ROW EXECUTE FUNCTION customer_quality_counts_follow();

-- A customer's facts made equal to its contributions now; the customer row
-- is locked first, so two transactions writing one customer refresh one
-- after the other.
CREATE FUNCTION customer_quality_facts_refresh(p_customer TEXT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM customers WHERE id = p_customer FOR NO KEY UPDATE;
    DELETE FROM customer_quality_facts WHERE customer_id = p_customer AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = p_customer
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = p_customer) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = p_customer
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = p_customer;
END;
$$;

-- Every write to a row a fact is made of refreshes its customer's facts
-- (a row moved to another customer, as a merge does, refreshes both).
CREATE FUNCTION customer_quality_facts_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'customers' THEN
        PERFORM customer_quality_facts_refresh(CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    ELSE
        IF TG_OP <> 'INSERT' THEN
            PERFORM customer_quality_facts_refresh(OLD.customer_id);
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.customer_id IS DISTINCT FROM OLD.customer_id) THEN
            PERFORM customer_quality_facts_refresh(NEW.customer_id);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER customers_quality_facts_insert AFTER INSERT ON customers
FOR EACH ROW EXECUTE FUNCTION customer_quality_facts_follow();

CREATE TRIGGER customers_quality_facts_update AFTER UPDATE OF kind, first_name, last_name, company_name, primary_email, primary_phone, address_line, city, source, owner_id, merged_into_id, erased_at, archived_at ON customers
FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR OLD.first_name IS DISTINCT FROM NEW.first_name OR OLD.last_name IS DISTINCT FROM NEW.last_name OR OLD.company_name IS DISTINCT FROM NEW.company_name OR OLD.primary_email IS DISTINCT FROM NEW.primary_email OR OLD.primary_phone IS DISTINCT FROM NEW.primary_phone OR OLD.address_line IS DISTINCT FROM NEW.address_line OR OLD.city IS DISTINCT FROM NEW.city OR OLD.source IS DISTINCT FROM NEW.source OR OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.merged_into_id IS DISTINCT FROM NEW.merged_into_id OR OLD.erased_at IS DISTINCT FROM NEW.erased_at OR OLD.archived_at IS DISTINCT FROM NEW.archived_at)
EXECUTE FUNCTION customer_quality_facts_follow();

CREATE TRIGGER customers_quality_facts_delete AFTER DELETE ON customers
FOR EACH ROW EXECUTE FUNCTION customer_quality_facts_follow();

CREATE TRIGGER customer_divisions_quality_facts_insert AFTER INSERT ON customer_divisions
FOR EACH ROW EXECUTE FUNCTION customer_quality_facts_follow();

CREATE TRIGGER customer_divisions_quality_facts_update AFTER UPDATE OF customer_id, division_id ON customer_divisions
FOR EACH ROW WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.division_id IS DISTINCT FROM NEW.division_id)
EXECUTE FUNCTION customer_quality_facts_follow();

CREATE TRIGGER customer_divisions_quality_facts_delete AFTER DELETE ON customer_divisions
FOR EACH ROW EXECUTE FUNCTION customer_quality_facts_follow();

CREATE TRIGGER customer_phones_quality_facts_insert AFTER INSERT ON customer_phones
FOR EACH ROW EXECUTE FUNCTION customer_quality_facts_follow();

CREATE TRIGGER customer_phones_quality_facts_update AFTER UPDATE OF customer_id, e164 ON customer_phones
FOR EACH ROW WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.e164 IS DISTINCT FROM NEW.e164)
EXECUTE FUNCTION customer_quality_facts_follow();

CREATE TRIGGER customer_phones_quality_facts_delete AFTER DELETE ON customer_phones
FOR EACH ROW EXECUTE FUNCTION customer_quality_facts_follow();

CREATE TRIGGER customer_emails_quality_facts_insert AFTER INSERT ON customer_emails
FOR EACH ROW EXECUTE FUNCTION customer_quality_facts_follow();

CREATE TRIGGER customer_emails_quality_facts_update AFTER UPDATE OF customer_id, email ON customer_emails
FOR EACH ROW WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.email IS DISTINCT FROM NEW.email)
EXECUTE FUNCTION customer_quality_facts_follow();

CREATE TRIGGER customer_emails_quality_facts_delete AFTER DELETE ON customer_emails
FOR EACH ROW EXECUTE FUNCTION customer_quality_facts_follow();

