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
       CAST((SELECT COUNT(*) FROM customer_phones x WHERE x.customer_id = c.id AND CASE WHEN NOT (x.e164 GLOB '+[1-9]*' AND length(x.e164) BETWEEN 9 AND 16 AND substr(x.e164, 2) NOT GLOB '*[^0-9]*') THEN 1 ELSE 0 END = 1) AS BIGINT) AS phones_invalid,
       CAST((SELECT COUNT(*) FROM customer_emails x WHERE x.customer_id = c.id) AS BIGINT) AS emails,
       CAST((SELECT COUNT(*) FROM customer_emails x WHERE x.customer_id = c.id AND CASE WHEN NOT (x.email GLOB '?*@*.*' AND x.email NOT GLOB '*@*@*' AND x.email NOT GLOB '*@.*' AND x.email NOT GLOB '*.' AND x.email NOT GLOB '*[ 	
]*') THEN 1 ELSE 0 END = 1) AS BIGINT) AS emails_invalid
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
       CAST((SELECT COUNT(*) FROM customer_phones x WHERE x.customer_id = c.id AND CASE WHEN NOT (x.e164 GLOB '+[1-9]*' AND length(x.e164) BETWEEN 9 AND 16 AND substr(x.e164, 2) NOT GLOB '*[^0-9]*') THEN 1 ELSE 0 END = 1) AS BIGINT),
       CAST((SELECT COUNT(*) FROM customer_emails x WHERE x.customer_id = c.id) AS BIGINT),
       CAST((SELECT COUNT(*) FROM customer_emails x WHERE x.customer_id = c.id AND CASE WHEN NOT (x.email GLOB '?*@*.*' AND x.email NOT GLOB '*@*@*' AND x.email NOT GLOB '*@.*' AND x.email NOT GLOB '*.' AND x.email NOT GLOB '*[ 	
]*') THEN 1 ELSE 0 END = 1) AS BIGINT)
FROM customer_divisions cd JOIN customers c ON c.id = cd.customer_id WHERE c.merged_into_id IS NULL AND c.erased_at IS NULL AND c.archived_at IS NULL;

INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid) SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions;

INSERT INTO customer_quality_counts
SELECT division_key, owner_id, 0, SUM(customers), SUM(complete), SUM(name), SUM(primary_email), SUM(primary_phone), SUM(address), SUM(source), SUM(owner), SUM(division), SUM(phones), SUM(phones_invalid), SUM(emails), SUM(emails_invalid) FROM customer_quality_facts GROUP BY division_key, owner_id;

-- A fact added counts up, a fact removed counts down (facts are never updated).
CREATE TRIGGER customer_quality_counts_add AFTER INSERT ON customer_quality_facts
BEGIN
    INSERT INTO customer_quality_counts VALUES (NEW.division_key, NEW.owner_id, 0,
        NEW.customers, NEW.complete, NEW.name, NEW.primary_email, NEW.primary_phone, NEW.address, NEW.source, NEW.owner, NEW.division, NEW.phones, NEW.phones_invalid, NEW.emails, NEW.emails_invalid)
    ON CONFLICT (division_key, owner_id, shard) DO UPDATE SET
        customers = customers + excluded.customers, complete = complete + excluded.complete, name = name + excluded.name, primary_email = primary_email + excluded.primary_email, primary_phone = primary_phone + excluded.primary_phone, address = address + excluded.address, source = source + excluded.source, owner = owner + excluded.owner, division = division + excluded.division, phones = phones + excluded.phones, phones_invalid = phones_invalid + excluded.phones_invalid, emails = emails + excluded.emails, emails_invalid = emails_invalid + excluded.emails_invalid;
END;

CREATE TRIGGER customer_quality_counts_take AFTER DELETE ON customer_quality_facts
BEGIN
    INSERT INTO customer_quality_counts VALUES (OLD.division_key, OLD.owner_id, 0,
        -OLD.customers, -OLD.complete, -OLD.name, -OLD.primary_email, -OLD.primary_phone, -OLD.address, -OLD.source, -OLD.owner, -OLD.division, -OLD.phones, -OLD.phones_invalid, -OLD.emails, -OLD.emails_invalid)
    ON CONFLICT (division_key, owner_id, shard) DO UPDATE SET
        customers = customers + excluded.customers, complete = complete + excluded.complete, name = name + excluded.name, primary_email = primary_email + excluded.primary_email, primary_phone = primary_phone + excluded.primary_phone, address = address + excluded.address, source = source + excluded.source, owner = owner + excluded.owner, division = division + excluded.division, phones = phones + excluded.phones, phones_invalid = phones_invalid + excluded.phones_invalid, emails = emails + excluded.emails, emails_invalid = emails_invalid + excluded.emails_invalid;
END;

-- Every write to a row a fact is made of refreshes its customer's facts.

CREATE TRIGGER customers_quality_facts_insert AFTER INSERT ON customers
BEGIN
    DELETE FROM customer_quality_facts WHERE customer_id = NEW.id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.id;
END;

CREATE TRIGGER customers_quality_facts_update AFTER UPDATE OF kind, first_name, last_name, company_name, primary_email, primary_phone, address_line, city, source, owner_id, merged_into_id, erased_at, archived_at ON customers
WHEN OLD.kind IS NOT NEW.kind OR OLD.first_name IS NOT NEW.first_name OR OLD.last_name IS NOT NEW.last_name OR OLD.company_name IS NOT NEW.company_name OR OLD.primary_email IS NOT NEW.primary_email OR OLD.primary_phone IS NOT NEW.primary_phone OR OLD.address_line IS NOT NEW.address_line OR OLD.city IS NOT NEW.city OR OLD.source IS NOT NEW.source OR OLD.owner_id IS NOT NEW.owner_id OR OLD.merged_into_id IS NOT NEW.merged_into_id OR OLD.erased_at IS NOT NEW.erased_at OR OLD.archived_at IS NOT NEW.archived_at
BEGIN
    DELETE FROM customer_quality_facts WHERE customer_id = NEW.id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.id;
END;

CREATE TRIGGER customers_quality_facts_delete AFTER DELETE ON customers
BEGIN
    DELETE FROM customer_quality_facts WHERE customer_id = OLD.id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = OLD.id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = OLD.id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = OLD.id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = OLD.id;
END;

CREATE TRIGGER customer_divisions_quality_facts_insert AFTER INSERT ON customer_divisions
BEGIN
    DELETE FROM customer_quality_facts WHERE customer_id = NEW.customer_id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.customer_id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.customer_id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.customer_id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.customer_id;
END;

CREATE TRIGGER customer_divisions_quality_facts_update AFTER UPDATE OF customer_id, division_id ON customer_divisions
WHEN OLD.customer_id IS NOT NEW.customer_id OR OLD.division_id IS NOT NEW.division_id
BEGIN
    DELETE FROM customer_quality_facts WHERE customer_id = OLD.customer_id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = OLD.customer_id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = OLD.customer_id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = OLD.customer_id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = OLD.customer_id;
    DELETE FROM customer_quality_facts WHERE customer_id = NEW.customer_id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.customer_id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.customer_id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.customer_id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.customer_id;
END;

CREATE TRIGGER customer_divisions_quality_facts_delete AFTER DELETE ON customer_divisions
BEGIN
    DELETE FROM customer_quality_facts WHERE customer_id = OLD.customer_id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = OLD.customer_id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = OLD.customer_id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = OLD.customer_id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = OLD.customer_id;
END;

CREATE TRIGGER customer_phones_quality_facts_insert AFTER INSERT ON customer_phones
BEGIN
    DELETE FROM customer_quality_facts WHERE customer_id = NEW.customer_id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.customer_id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.customer_id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.customer_id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.customer_id;
END;

CREATE TRIGGER customer_phones_quality_facts_update AFTER UPDATE OF customer_id, e164 ON customer_phones
WHEN OLD.customer_id IS NOT NEW.customer_id OR OLD.e164 IS NOT NEW.e164
BEGIN
    DELETE FROM customer_quality_facts WHERE customer_id = OLD.customer_id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = OLD.customer_id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = OLD.customer_id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = OLD.customer_id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = OLD.customer_id;
    DELETE FROM customer_quality_facts WHERE customer_id = NEW.customer_id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.customer_id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.customer_id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.customer_id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.customer_id;
END;

CREATE TRIGGER customer_phones_quality_facts_delete AFTER DELETE ON customer_phones
BEGIN
    DELETE FROM customer_quality_facts WHERE customer_id = OLD.customer_id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = OLD.customer_id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = OLD.customer_id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = OLD.customer_id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = OLD.customer_id;
END;

CREATE TRIGGER customer_emails_quality_facts_insert AFTER INSERT ON customer_emails
BEGIN
    DELETE FROM customer_quality_facts WHERE customer_id = NEW.customer_id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.customer_id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.customer_id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.customer_id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.customer_id;
END;

CREATE TRIGGER customer_emails_quality_facts_update AFTER UPDATE OF customer_id, email ON customer_emails
WHEN OLD.customer_id IS NOT NEW.customer_id OR OLD.email IS NOT NEW.email
BEGIN
    DELETE FROM customer_quality_facts WHERE customer_id = OLD.customer_id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = OLD.customer_id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = OLD.customer_id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = OLD.customer_id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = OLD.customer_id;
    DELETE FROM customer_quality_facts WHERE customer_id = NEW.customer_id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.customer_id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.customer_id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = NEW.customer_id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = NEW.customer_id;
END;

CREATE TRIGGER customer_emails_quality_facts_delete AFTER DELETE ON customer_emails
BEGIN
    DELETE FROM customer_quality_facts WHERE customer_id = OLD.customer_id AND division_key IN (
        SELECT division_key FROM (SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = OLD.customer_id
                                  EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = OLD.customer_id) stale);
    INSERT INTO customer_quality_facts (customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid)
    SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_contributions WHERE customer_id = OLD.customer_id
    EXCEPT SELECT customer_id, division_key, owner_id, customers, complete, name, primary_email, primary_phone, address, source, owner, division, phones, phones_invalid, emails, emails_invalid FROM customer_quality_facts WHERE customer_id = OLD.customer_id;
END;

