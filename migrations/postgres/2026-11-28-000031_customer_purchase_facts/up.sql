-- Customer analytics over a million customers (issue 9): repeat purchase,
-- RFM, lifetime value and cross-sell read what each customer has bought,
-- kept in the transaction of every purchase and customer write, instead of
-- grouping every purchase per request (decision
-- docs/decisions/0008-metric-rollups.md), in two steps as the quality
-- counts (migration 000026):
--
-- 1. `customer_purchase_facts`: per purchaser (a customer neither merged
--    nor archived; an erased one still counts, docs/customers.md), per
--    division key ('' for the whole base, else a division it bought in) and
--    per currency, the counted (not cancelled) purchases: how many, their
--    total, the first and last day. Each row also carries the customer's
--    figures across currencies for that key (`customer_*`, the number of
--    `currencies`), the number of divisions it bought in (`divisions`), and
--    `customers` = 1 on exactly one row per customer and key (its first
--    currency), so that a report reads one row per customer without
--    grouping. Equal to the view `customer_purchase_contributions` for that
--    customer; a write to a purchase or to the customer's owner, merge or
--    archive columns replaces its rows.
-- 2. `customer_purchase_counts`: the facts summed per division key, owner
--    ('' for none) and currency: the currencies of a scope, its purchasers
--    and their totals without reading the facts.
--
-- The facts hold every counted purchase whatever its day, so a report
-- reads them only when no purchase lies after its period (`customers.rs`,
-- `purchase_facts_apply`); otherwise it groups the purchases themselves.
-- `rollups::differences` compares the facts with the view.
-- Fresh statistics first (as in 000026).
ANALYZE customers;
ANALYZE purchases;

CREATE TABLE customer_purchase_facts (
    division_key TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    holders BIGINT NOT NULL,
    customers BIGINT NOT NULL,
    purchases BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    first_on DATE NOT NULL,
    last_on DATE NOT NULL,
    customer_purchases BIGINT NOT NULL,
    customer_first_on DATE NOT NULL,
    customer_last_on DATE NOT NULL,
    currencies BIGINT NOT NULL,
    divisions BIGINT NOT NULL,
    PRIMARY KEY (division_key, customer_id, currency)
);

CREATE INDEX customer_purchase_facts_customer_idx ON customer_purchase_facts (customer_id);
-- Lifetime value's order statistics: the value at a rank of a key and
-- currency is an offset into this index, not a sort of every customer.
CREATE INDEX customer_purchase_facts_value_idx ON customer_purchase_facts (division_key, currency, amount_minor);

CREATE TABLE customer_purchase_counts (
    division_key TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    shard INTEGER NOT NULL,
    holders BIGINT NOT NULL,
    customers BIGINT NOT NULL,
    purchases BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (division_key, owner_id, currency, shard)
);

-- Whether any purchase lies after a report's period: one probe.
CREATE INDEX purchases_purchased_on_idx ON purchases (purchased_on);

-- What each purchaser contributes, from its purchases.

CREATE VIEW customer_purchase_contributions AS
SELECT g.division_key AS division_key, g.customer_id AS customer_id, g.currency AS currency, g.owner_id AS owner_id,
       g.holders AS holders,
       CAST(CASE WHEN ROW_NUMBER() OVER w = 1 THEN 1 ELSE 0 END AS BIGINT) AS customers,
       g.purchases AS purchases, g.amount_minor AS amount_minor, g.first_on AS first_on, g.last_on AS last_on,
       CAST(SUM(g.purchases) OVER w AS BIGINT) AS customer_purchases,
       MIN(g.first_on) OVER w AS customer_first_on, MAX(g.last_on) OVER w AS customer_last_on,
       CAST(COUNT(*) OVER w AS BIGINT) AS currencies,
       CAST((SELECT COUNT(DISTINCT x.division_id) FROM purchases x
             WHERE x.customer_id = g.customer_id AND x.status <> 'cancelled') AS BIGINT) AS divisions
FROM (SELECT '' AS division_key, p.customer_id AS customer_id, p.currency AS currency, COALESCE(c.owner_id, '') AS owner_id,
             CAST(1 AS BIGINT) AS holders, CAST(COUNT(*) AS BIGINT) AS purchases,
             CAST(SUM(p.amount_minor) AS BIGINT) AS amount_minor,
             MIN(p.purchased_on) AS first_on, MAX(p.purchased_on) AS last_on
      FROM purchases p JOIN customers c ON c.id = p.customer_id
      WHERE c.merged_into_id IS NULL AND c.archived_at IS NULL AND p.status <> 'cancelled'
      GROUP BY p.customer_id, p.currency, c.owner_id
      UNION ALL
      SELECT p.division_id, p.customer_id, p.currency, COALESCE(c.owner_id, ''),
             CAST(1 AS BIGINT), CAST(COUNT(*) AS BIGINT), CAST(SUM(p.amount_minor) AS BIGINT),
             MIN(p.purchased_on), MAX(p.purchased_on)
      FROM purchases p JOIN customers c ON c.id = p.customer_id
      WHERE c.merged_into_id IS NULL AND c.archived_at IS NULL AND p.status <> 'cancelled'
      GROUP BY p.customer_id, p.division_id, p.currency, c.owner_id) g
WINDOW w AS (PARTITION BY g.division_key, g.customer_id ORDER BY g.currency
             ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING);

INSERT INTO customer_purchase_facts (division_key, customer_id, currency, owner_id, holders, customers, purchases, amount_minor, first_on, last_on, customer_purchases, customer_first_on, customer_last_on, currencies, divisions) SELECT division_key, customer_id, currency, owner_id, holders, customers, purchases, amount_minor, first_on, last_on, customer_purchases, customer_first_on, customer_last_on, currencies, divisions FROM customer_purchase_contributions;

INSERT INTO customer_purchase_counts (division_key, owner_id, currency, shard, holders, customers, purchases, amount_minor)
SELECT division_key, owner_id, currency, 0, SUM(holders), SUM(customers), SUM(purchases), SUM(amount_minor)
FROM customer_purchase_facts GROUP BY division_key, owner_id, currency;

-- A fact added counts up, a fact removed counts down (facts are never
-- updated); `shard` (0-7, random per write) spreads concurrent writers.
CREATE FUNCTION customer_purchase_counts_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pick INTEGER := floor(random() * 8)::INTEGER;
BEGIN
    IF TG_OP = 'INSERT' THEN
    INSERT INTO customer_purchase_counts AS q (division_key, owner_id, currency, shard, holders, customers, purchases, amount_minor)
    VALUES (NEW.division_key, NEW.owner_id, NEW.currency, pick, NEW.holders, NEW.customers, NEW.purchases, NEW.amount_minor)
    ON CONFLICT (division_key, owner_id, currency, shard) DO UPDATE SET holders = q.holders + excluded.holders, customers = q.customers + excluded.customers, purchases = q.purchases + excluded.purchases, amount_minor = q.amount_minor + excluded.amount_minor;
    ELSE
    INSERT INTO customer_purchase_counts AS q (division_key, owner_id, currency, shard, holders, customers, purchases, amount_minor)
    VALUES (OLD.division_key, OLD.owner_id, OLD.currency, pick, -OLD.holders, -OLD.customers, -OLD.purchases, -OLD.amount_minor)
    ON CONFLICT (division_key, owner_id, currency, shard) DO UPDATE SET holders = q.holders + excluded.holders, customers = q.customers + excluded.customers, purchases = q.purchases + excluded.purchases, amount_minor = q.amount_minor + excluded.amount_minor;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER customer_purchase_counts_follow AFTER INSERT OR DELETE ON customer_purchase_facts
FOR EACH ROW EXECUTE FUNCTION customer_purchase_counts_follow();

-- A customer's facts replaced by its contributions now; the customer row
-- is locked first, so two transactions writing one customer's purchases
-- refresh one after the other.
CREATE FUNCTION customer_purchase_facts_refresh(p_customer TEXT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM customers WHERE id = p_customer FOR NO KEY UPDATE;
    DELETE FROM customer_purchase_facts WHERE customer_id = p_customer;
    INSERT INTO customer_purchase_facts (division_key, customer_id, currency, owner_id, holders, customers, purchases, amount_minor, first_on, last_on, customer_purchases, customer_first_on, customer_last_on, currencies, divisions)
    SELECT division_key, customer_id, currency, owner_id, holders, customers, purchases, amount_minor, first_on, last_on, customer_purchases, customer_first_on, customer_last_on, currencies, divisions FROM customer_purchase_contributions WHERE customer_id = p_customer;
END;
$$;

-- Every write a fact is made of replaces its customer's facts (a purchase
-- moved to another customer, as a merge does, replaces both).
CREATE FUNCTION customer_purchase_facts_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'customers' THEN
        PERFORM customer_purchase_facts_refresh(CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    ELSE
        IF TG_OP <> 'INSERT' THEN
            PERFORM customer_purchase_facts_refresh(OLD.customer_id);
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.customer_id IS DISTINCT FROM OLD.customer_id) THEN
            PERFORM customer_purchase_facts_refresh(NEW.customer_id);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER purchases_purchase_facts_insert AFTER INSERT ON purchases
FOR EACH ROW EXECUTE FUNCTION customer_purchase_facts_follow();
CREATE TRIGGER purchases_purchase_facts_update AFTER UPDATE OF customer_id, division_id, currency, amount_minor, status, purchased_on ON purchases
FOR EACH ROW WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.division_id IS DISTINCT FROM NEW.division_id OR OLD.currency IS DISTINCT FROM NEW.currency OR OLD.amount_minor IS DISTINCT FROM NEW.amount_minor OR OLD.status IS DISTINCT FROM NEW.status OR OLD.purchased_on IS DISTINCT FROM NEW.purchased_on)
EXECUTE FUNCTION customer_purchase_facts_follow();
CREATE TRIGGER purchases_purchase_facts_delete AFTER DELETE ON purchases
FOR EACH ROW EXECUTE FUNCTION customer_purchase_facts_follow();
CREATE TRIGGER customers_purchase_facts_insert AFTER INSERT ON customers
FOR EACH ROW EXECUTE FUNCTION customer_purchase_facts_follow();
CREATE TRIGGER customers_purchase_facts_update AFTER UPDATE OF owner_id, merged_into_id, archived_at ON customers
FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.merged_into_id IS DISTINCT FROM NEW.merged_into_id OR OLD.archived_at IS DISTINCT FROM NEW.archived_at)
EXECUTE FUNCTION customer_purchase_facts_follow();
CREATE TRIGGER customers_purchase_facts_delete AFTER DELETE ON customers
FOR EACH ROW EXECUTE FUNCTION customer_purchase_facts_follow();
