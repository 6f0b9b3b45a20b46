-- Duplicate candidates over a million customers (issue 9): the duplicates
-- report grouped every stored phone and email per request to find the
-- values stored twice or more (0.3-0.35 s each on PostgreSQL here, most of
-- the report). `shared_contact_values` keeps those values, by triggers on
-- the phone and email tables in the transaction of every write: a value
-- joins when a second row holds it, and leaves when fewer than two do.
-- Whether its holders are live customers in the report's scope is still
-- checked per request (it depends on the scope and on other customers); the
-- set is small. `rollups::differences` compares it with the recount.

CREATE TABLE shared_contact_values (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;

INSERT INTO shared_contact_values (kind, value)
SELECT 'phone', e164 FROM customer_phones GROUP BY e164 HAVING COUNT(*) > 1;

CREATE TRIGGER customer_phones_shared_insert AFTER INSERT ON customer_phones
WHEN (SELECT COUNT(*) FROM (SELECT 1 FROM customer_phones x WHERE x.e164 = NEW.e164 LIMIT 2) two) = 2
BEGIN
    INSERT INTO shared_contact_values (kind, value) VALUES ('phone', NEW.e164) ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER customer_phones_shared_update AFTER UPDATE OF e164 ON customer_phones
WHEN OLD.e164 IS NOT NEW.e164
BEGIN
    DELETE FROM shared_contact_values WHERE kind = 'phone' AND value = OLD.e164 AND (SELECT COUNT(*) FROM (SELECT 1 FROM customer_phones x WHERE x.e164 = OLD.e164 LIMIT 2) two) < 2;
    INSERT INTO shared_contact_values (kind, value) SELECT 'phone', NEW.e164 WHERE (SELECT COUNT(*) FROM (SELECT 1 FROM customer_phones x WHERE x.e164 = NEW.e164 LIMIT 2) two) = 2
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER customer_phones_shared_delete AFTER DELETE ON customer_phones
BEGIN
    DELETE FROM shared_contact_values WHERE kind = 'phone' AND value = OLD.e164 AND (SELECT COUNT(*) FROM (SELECT 1 FROM customer_phones x WHERE x.e164 = OLD.e164 LIMIT 2) two) < 2;
END;

INSERT INTO shared_contact_values (kind, value)
SELECT 'email', email FROM customer_emails GROUP BY email HAVING COUNT(*) > 1;

CREATE TRIGGER customer_emails_shared_insert AFTER INSERT ON customer_emails
WHEN (SELECT COUNT(*) FROM (SELECT 1 FROM customer_emails x WHERE x.email = NEW.email LIMIT 2) two) = 2
BEGIN
    INSERT INTO shared_contact_values (kind, value) VALUES ('email', NEW.email) ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER customer_emails_shared_update AFTER UPDATE OF email ON customer_emails
WHEN OLD.email IS NOT NEW.email
BEGIN
    DELETE FROM shared_contact_values WHERE kind = 'email' AND value = OLD.email AND (SELECT COUNT(*) FROM (SELECT 1 FROM customer_emails x WHERE x.email = OLD.email LIMIT 2) two) < 2;
    INSERT INTO shared_contact_values (kind, value) SELECT 'email', NEW.email WHERE (SELECT COUNT(*) FROM (SELECT 1 FROM customer_emails x WHERE x.email = NEW.email LIMIT 2) two) = 2
    ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER customer_emails_shared_delete AFTER DELETE ON customer_emails
BEGIN
    DELETE FROM shared_contact_values WHERE kind = 'email' AND value = OLD.email AND (SELECT COUNT(*) FROM (SELECT 1 FROM customer_emails x WHERE x.email = OLD.email LIMIT 2) two) < 2;
END;
