-- Assets due for service over a million customers (issue 9): the report
-- counted every live asset of every live customer per request, twice (per
-- status, then the distinct customers with one due). Each asset's status
-- on a day is a comparison of that day with two dates the asset's stored
-- projection fixes, so the database keeps the assets counted per those
-- dates, and per customer the earliest of them, in the transaction of
-- every asset and customer write (decision docs/decisions/0008-metric-rollups.md,
-- "Eighth"), as the purchase facts (migration 000031):
--
-- 1. `asset_service_facts`: per live customer (not merged, erased or
--    archived), per division key ('' for the whole base, else the asset's
--    division) and per status key, its live (not archived) assets:
--    `unknown` = 1 when the asset has no projection (no due date and no due
--    mileage); `overdue_from`, the first day it is overdue (the day after
--    its due date; 0001-01-01 when its last reading has reached the due
--    mileage; 9999-12-31 never); `due_soon_from`, the first day it is due
--    soon (its due-soon date; 0001-01-01 by mileage; 9999-12-31 never).
--    On `today` an asset is unknown, else overdue when overdue_from <=
--    today, else due soon when due_soon_from <= today, else ok: the rule of
--    the assets list (`asset::projection::status`). `customers` = 1 on
--    exactly one row per customer and key, the one whose earliest date is
--    the earliest, so the customers with an asset due soon or overdue on
--    `today` are those whose marked row has a date <= today.
-- 2. `asset_service_counts`: the facts summed per division key, owner ('' for
--    none) and status key: a report sums a few thousand rows.
--
-- `rollups::differences` compares the facts with the view
-- `asset_service_contributions`.

CREATE TABLE asset_service_facts (
    division_key TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    unknown BIGINT NOT NULL,
    overdue_from DATE NOT NULL,
    due_soon_from DATE NOT NULL,
    owner_id TEXT NOT NULL,
    assets BIGINT NOT NULL,
    customers BIGINT NOT NULL,
    PRIMARY KEY (customer_id, division_key, unknown, overdue_from, due_soon_from)
);

CREATE TABLE asset_service_counts (
    division_key TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    unknown BIGINT NOT NULL,
    overdue_from DATE NOT NULL,
    due_soon_from DATE NOT NULL,
    shard INTEGER NOT NULL,
    assets BIGINT NOT NULL,
    customers BIGINT NOT NULL,
    PRIMARY KEY (division_key, owner_id, unknown, overdue_from, due_soon_from, shard)
);

-- Each live asset of a live customer with its status key.
CREATE VIEW asset_service_keys AS
SELECT a.customer_id AS customer_id, a.division_id AS division_id, COALESCE(c.owner_id, '') AS owner_id,
       CAST(CASE WHEN a.next_service_due_on IS NULL AND a.next_service_due_usage IS NULL THEN 1 ELSE 0 END AS BIGINT) AS unknown,
       CASE WHEN a.next_service_due_on IS NULL AND a.next_service_due_usage IS NULL THEN DATE '9999-12-31'
            WHEN a.last_usage IS NOT NULL AND a.next_service_due_usage IS NOT NULL
                 AND a.last_usage >= a.next_service_due_usage THEN DATE '0001-01-01'
            WHEN a.next_service_due_on IS NOT NULL THEN a.next_service_due_on + 1
            ELSE DATE '9999-12-31' END AS overdue_from,
       CASE WHEN a.next_service_due_on IS NULL AND a.next_service_due_usage IS NULL THEN DATE '9999-12-31'
            WHEN a.last_usage IS NOT NULL AND a.service_due_soon_usage IS NOT NULL
                 AND a.last_usage >= a.service_due_soon_usage THEN DATE '0001-01-01'
            WHEN a.service_due_soon_on IS NOT NULL THEN a.service_due_soon_on
            ELSE DATE '9999-12-31' END AS due_soon_from
FROM assets a JOIN customers c ON c.id = a.customer_id
WHERE a.archived_at IS NULL AND c.merged_into_id IS NULL AND c.erased_at IS NULL AND c.archived_at IS NULL;

-- Grouped per customer, division key and status key.
CREATE VIEW asset_service_contributions AS
SELECT g.division_key AS division_key, g.customer_id AS customer_id, g.unknown AS unknown,
       g.overdue_from AS overdue_from, g.due_soon_from AS due_soon_from, g.owner_id AS owner_id, g.assets AS assets,
       CAST(CASE WHEN ROW_NUMBER() OVER (PARTITION BY g.division_key, g.customer_id
                                         ORDER BY LEAST(g.overdue_from, g.due_soon_from), g.unknown, g.overdue_from, g.due_soon_from) = 1
            THEN 1 ELSE 0 END AS BIGINT) AS customers
FROM (SELECT CAST('' AS TEXT) AS division_key, s.customer_id AS customer_id, s.unknown AS unknown, s.overdue_from AS overdue_from,
             s.due_soon_from AS due_soon_from, s.owner_id AS owner_id, CAST(COUNT(*) AS BIGINT) AS assets
      FROM asset_service_keys s GROUP BY s.customer_id, s.unknown, s.overdue_from, s.due_soon_from, s.owner_id
      UNION ALL
      SELECT s.division_id, s.customer_id, s.unknown, s.overdue_from, s.due_soon_from, s.owner_id, CAST(COUNT(*) AS BIGINT)
      FROM asset_service_keys s GROUP BY s.customer_id, s.division_id, s.unknown, s.overdue_from, s.due_soon_from, s.owner_id) g;

INSERT INTO asset_service_facts (division_key, customer_id, unknown, overdue_from, due_soon_from, owner_id, assets, customers) SELECT division_key, customer_id, unknown, overdue_from, due_soon_from, owner_id, assets, customers FROM asset_service_contributions;

INSERT INTO asset_service_counts (division_key, owner_id, unknown, overdue_from, due_soon_from, shard, assets, customers)
SELECT division_key, owner_id, unknown, overdue_from, due_soon_from, 0, SUM(assets), SUM(customers)
FROM asset_service_facts GROUP BY division_key, owner_id, unknown, overdue_from, due_soon_from;

-- A fact added counts up, a fact removed counts down (facts are never
-- updated); `shard` (0-7, random per write) spreads concurrent writers.
CREATE FUNCTION asset_service_counts_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pick INTEGER := floor(random() * 8)::INTEGER;
BEGIN
    IF TG_OP = 'INSERT' THEN
    INSERT INTO asset_service_counts AS q (division_key, owner_id, unknown, overdue_from, due_soon_from, shard, assets, customers)
    VALUES (NEW.division_key, NEW.owner_id, NEW.unknown, NEW.overdue_from, NEW.due_soon_from, pick, NEW.assets, NEW.customers)
    ON CONFLICT (division_key, owner_id, unknown, overdue_from, due_soon_from, shard) DO UPDATE SET assets = q.assets + excluded.assets, customers = q.customers + excluded.customers;
    ELSE
    INSERT INTO asset_service_counts AS q (division_key, owner_id, unknown, overdue_from, due_soon_from, shard, assets, customers)
    VALUES (OLD.division_key, OLD.owner_id, OLD.unknown, OLD.overdue_from, OLD.due_soon_from, pick, -OLD.assets, -OLD.customers)
    ON CONFLICT (division_key, owner_id, unknown, overdue_from, due_soon_from, shard) DO UPDATE SET assets = q.assets + excluded.assets, customers = q.customers + excluded.customers;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER asset_service_counts_follow AFTER INSERT OR DELETE ON asset_service_facts
FOR EACH ROW EXECUTE FUNCTION asset_service_counts_follow();

-- A customer's facts replaced by its contributions now; the customer row
-- is locked first, so two transactions writing one customer's assets
-- refresh one after the other.
CREATE FUNCTION asset_service_facts_refresh(p_customer TEXT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM customers WHERE id = p_customer FOR NO KEY UPDATE;
    DELETE FROM asset_service_facts WHERE customer_id = p_customer;
    INSERT INTO asset_service_facts (division_key, customer_id, unknown, overdue_from, due_soon_from, owner_id, assets, customers)
    SELECT division_key, customer_id, unknown, overdue_from, due_soon_from, owner_id, assets, customers FROM asset_service_contributions WHERE customer_id = p_customer;
END;
$$;

-- Every write a fact is made of replaces its customer's facts (an asset
-- moved to another customer, as a merge does, replaces both). A customer
-- just inserted has no assets: no trigger.
CREATE FUNCTION asset_service_facts_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'customers' THEN
        PERFORM asset_service_facts_refresh(CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    ELSE
        IF TG_OP <> 'INSERT' THEN
            PERFORM asset_service_facts_refresh(OLD.customer_id);
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.customer_id IS DISTINCT FROM OLD.customer_id) THEN
            PERFORM asset_service_facts_refresh(NEW.customer_id);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER assets_service_facts_insert AFTER INSERT ON assets
FOR EACH ROW EXECUTE FUNCTION asset_service_facts_follow();
CREATE TRIGGER assets_service_facts_update AFTER UPDATE OF customer_id, division_id, archived_at, last_usage, next_service_due_on, next_service_due_usage, service_due_soon_on, service_due_soon_usage ON assets
FOR EACH ROW WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.division_id IS DISTINCT FROM NEW.division_id OR OLD.archived_at IS DISTINCT FROM NEW.archived_at OR OLD.last_usage IS DISTINCT FROM NEW.last_usage OR OLD.next_service_due_on IS DISTINCT FROM NEW.next_service_due_on OR OLD.next_service_due_usage IS DISTINCT FROM NEW.next_service_due_usage OR OLD.service_due_soon_on IS DISTINCT FROM NEW.service_due_soon_on OR OLD.service_due_soon_usage IS DISTINCT FROM NEW.service_due_soon_usage)
EXECUTE FUNCTION asset_service_facts_follow();
CREATE TRIGGER assets_service_facts_delete AFTER DELETE ON assets
FOR EACH ROW EXECUTE FUNCTION asset_service_facts_follow();
CREATE TRIGGER customers_service_facts_update AFTER UPDATE OF owner_id, merged_into_id, erased_at, archived_at ON customers
FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.merged_into_id IS DISTINCT FROM NEW.merged_into_id OR OLD.erased_at IS DISTINCT FROM NEW.erased_at OR OLD.archived_at IS DISTINCT FROM NEW.archived_at)
EXECUTE FUNCTION asset_service_facts_follow();
CREATE TRIGGER customers_service_facts_delete AFTER DELETE ON customers
FOR EACH ROW EXECUTE FUNCTION asset_service_facts_follow();
