-- RFM segments over a million customers (issue 9): the report scored every
-- purchaser's kept facts (migration 000031) per request and grouped them by
-- score, a sort of a million rows (0.8-0.9 s on both backends here). A
-- customer's recency and frequency scores are fixed by its last day and its
-- number of purchases, and its monetary score by its total in the main
-- currency, so the database keeps the purchasers counted per those
-- (decision docs/decisions/0008-metric-rollups.md, "Ninth"):
--
-- `customer_rfm_counts`, per division key, owner, last day, frequency
-- (purchases, counted up to 100: any frequency cut-off up to 100 reads it
-- exactly) and currency, per monetary band of the default cut-offs
-- (100,000, 1,000,000 and 10,000,000 in major units of a currency with two
-- decimals: band 4 at or above the third, ... 1 below the first), the
-- customers holding that currency and their totals in it; and under
-- currency '' (band 0) every customer once. RFM in main currency M is then
-- the M rows at their bands plus, at band 1, the '' rows less the M rows:
-- the customers without an M purchase. Custom monetary cut-offs, a main
-- currency without two decimals and frequency cut-offs over 100 score the
-- facts instead (`rfm.rs`).
--
-- Kept from `customer_purchase_facts` by triggers on its inserts and
-- deletes (a refresh replaces a customer's facts, so its counts move with
-- them); `rollups::differences` compares it with the view
-- `customer_rfm_contributions`.

CREATE TABLE customer_rfm_counts (
    division_key TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    last_on DATE NOT NULL,
    frequency BIGINT NOT NULL,
    currency TEXT NOT NULL,
    band BIGINT NOT NULL,
    shard INTEGER NOT NULL,
    customers BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (division_key, currency, owner_id, last_on, frequency, band, shard)
);

-- What each fact contributes.
CREATE VIEW customer_rfm_contributions AS
SELECT f.division_key AS division_key, f.owner_id AS owner_id, f.customer_last_on AS last_on,
       CAST(CASE WHEN f.customer_purchases > 100 THEN 100 ELSE f.customer_purchases END AS BIGINT) AS frequency,
       f.currency AS currency,
       CAST(CASE WHEN f.amount_minor >= 1000000000 THEN 4 WHEN f.amount_minor >= 100000000 THEN 3
                 WHEN f.amount_minor >= 10000000 THEN 2 ELSE 1 END AS BIGINT) AS band,
       CAST(1 AS BIGINT) AS customers, f.amount_minor AS amount_minor
FROM customer_purchase_facts f
UNION ALL
SELECT f.division_key, f.owner_id, f.customer_last_on,
       CAST(CASE WHEN f.customer_purchases > 100 THEN 100 ELSE f.customer_purchases END AS BIGINT),
       CAST('' AS TEXT), CAST(0 AS BIGINT), CAST(1 AS BIGINT), CAST(0 AS BIGINT)
FROM customer_purchase_facts f WHERE f.customers = 1;

INSERT INTO customer_rfm_counts (division_key, owner_id, last_on, frequency, currency, band, shard, customers, amount_minor)
SELECT division_key, owner_id, last_on, frequency, currency, band, 0, SUM(customers), SUM(amount_minor)
FROM customer_rfm_contributions GROUP BY division_key, owner_id, last_on, frequency, currency, band;

-- A fact added counts up, a fact removed counts down (facts are never
-- updated); `shard` (0-7, random per write) spreads concurrent writers.
CREATE FUNCTION customer_rfm_counts_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pick INTEGER := floor(random() * 8)::INTEGER;
BEGIN
    IF TG_OP = 'INSERT' THEN
    INSERT INTO customer_rfm_counts AS q (division_key, owner_id, last_on, frequency, currency, band, shard, customers, amount_minor)
    VALUES (NEW.division_key, NEW.owner_id, NEW.customer_last_on, CASE WHEN NEW.customer_purchases > 100 THEN 100 ELSE NEW.customer_purchases END, NEW.currency, CASE WHEN NEW.amount_minor >= 1000000000 THEN 4 WHEN NEW.amount_minor >= 100000000 THEN 3 WHEN NEW.amount_minor >= 10000000 THEN 2 ELSE 1 END, pick, 1, NEW.amount_minor)
    ON CONFLICT (division_key, currency, owner_id, last_on, frequency, band, shard) DO UPDATE SET customers = q.customers + excluded.customers, amount_minor = q.amount_minor + excluded.amount_minor;
    INSERT INTO customer_rfm_counts AS q (division_key, owner_id, last_on, frequency, currency, band, shard, customers, amount_minor)
    SELECT NEW.division_key, NEW.owner_id, NEW.customer_last_on, CASE WHEN NEW.customer_purchases > 100 THEN 100 ELSE NEW.customer_purchases END, '', 0, pick, 1, 0
    WHERE NEW.customers = 1
    ON CONFLICT (division_key, currency, owner_id, last_on, frequency, band, shard) DO UPDATE SET customers = q.customers + excluded.customers, amount_minor = q.amount_minor + excluded.amount_minor;
    ELSE
    INSERT INTO customer_rfm_counts AS q (division_key, owner_id, last_on, frequency, currency, band, shard, customers, amount_minor)
    VALUES (OLD.division_key, OLD.owner_id, OLD.customer_last_on, CASE WHEN OLD.customer_purchases > 100 THEN 100 ELSE OLD.customer_purchases END, OLD.currency, CASE WHEN OLD.amount_minor >= 1000000000 THEN 4 WHEN OLD.amount_minor >= 100000000 THEN 3 WHEN OLD.amount_minor >= 10000000 THEN 2 ELSE 1 END, pick, -1, -OLD.amount_minor)
    ON CONFLICT (division_key, currency, owner_id, last_on, frequency, band, shard) DO UPDATE SET customers = q.customers + excluded.customers, amount_minor = q.amount_minor + excluded.amount_minor;
    INSERT INTO customer_rfm_counts AS q (division_key, owner_id, last_on, frequency, currency, band, shard, customers, amount_minor)
    SELECT OLD.division_key, OLD.owner_id, OLD.customer_last_on, CASE WHEN OLD.customer_purchases > 100 THEN 100 ELSE OLD.customer_purchases END, '', 0, pick, -1, 0
    WHERE OLD.customers = 1
    ON CONFLICT (division_key, currency, owner_id, last_on, frequency, band, shard) DO UPDATE SET customers = q.customers + excluded.customers, amount_minor = q.amount_minor + excluded.amount_minor;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER customer_rfm_counts_follow AFTER INSERT OR DELETE ON customer_purchase_facts
FOR EACH ROW EXECUTE FUNCTION customer_rfm_counts_follow();
