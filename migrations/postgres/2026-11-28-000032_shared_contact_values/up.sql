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
);

INSERT INTO shared_contact_values (kind, value)
SELECT 'phone', e164 FROM customer_phones GROUP BY e164 HAVING COUNT(*) > 1;

-- A value's writers take its lock first, so that two transactions adding
-- the same value each see the other's row once it commits (without it,
-- each would count one row and neither would add the value).
CREATE FUNCTION customer_phones_shared_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_advisory_xact_lock(hashtext('phone:' || OLD.e164));
        DELETE FROM shared_contact_values WHERE kind = 'phone' AND value = OLD.e164
            AND (SELECT COUNT(*) FROM (SELECT 1 FROM customer_phones x WHERE x.e164 = OLD.e164 LIMIT 2) two) < 2;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_advisory_xact_lock(hashtext('phone:' || NEW.e164));
        INSERT INTO shared_contact_values (kind, value) SELECT 'phone', NEW.e164
            WHERE (SELECT COUNT(*) FROM (SELECT 1 FROM customer_phones x WHERE x.e164 = NEW.e164 LIMIT 2) two) = 2
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER customer_phones_shared_insert AFTER INSERT ON customer_phones
FOR EACH ROW EXECUTE FUNCTION customer_phones_shared_follow();
CREATE TRIGGER customer_phones_shared_update AFTER UPDATE OF e164 ON customer_phones
FOR EACH ROW WHEN (OLD.e164 IS DISTINCT FROM NEW.e164) EXECUTE FUNCTION customer_phones_shared_follow();
CREATE TRIGGER customer_phones_shared_delete AFTER DELETE ON customer_phones
FOR EACH ROW EXECUTE FUNCTION customer_phones_shared_follow();

INSERT INTO shared_contact_values (kind, value)
SELECT 'email', email FROM customer_emails GROUP BY email HAVING COUNT(*) > 1;

-- A value's writers take its lock first, so that two transactions adding
-- the same value each see the other's row once it commits (without it,
-- each would count one row and neither would add the value).
CREATE FUNCTION customer_emails_shared_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_advisory_xact_lock(hashtext('email:' || OLD.email));
        DELETE FROM shared_contact_values WHERE kind = 'email' AND value = OLD.email
            AND (SELECT COUNT(*) FROM (SELECT 1 FROM customer_emails x WHERE x.email = OLD.email LIMIT 2) two) < 2;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_advisory_xact_lock(hashtext('email:' || NEW.email));
        INSERT INTO shared_contact_values (kind, value) SELECT 'email', NEW.email
            WHERE (SELECT COUNT(*) FROM (SELECT 1 FROM customer_emails x WHERE x.email = NEW.email LIMIT 2) two) = 2
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER customer_emails_shared_insert AFTER INSERT ON customer_emails
FOR EACH ROW EXECUTE FUNCTION customer_emails_shared_follow();
CREATE TRIGGER customer_emails_shared_update AFTER UPDATE OF email ON customer_emails
FOR EACH ROW WHEN (OLD.email IS DISTINCT FROM NEW.email) EXECUTE FUNCTION customer_emails_shared_follow();
CREATE TRIGGER customer_emails_shared_delete AFTER DELETE ON customer_emails
FOR EACH ROW EXECUTE FUNCTION customer_emails_shared_follow();
