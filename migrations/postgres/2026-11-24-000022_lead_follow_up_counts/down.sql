DROP TRIGGER lead_follow_up_counts_follow ON lead_follow_ups;
DROP FUNCTION lead_follow_up_counts_follow();
DROP VIEW lead_follow_up_contributions;
DROP FUNCTION lead_follow_up_contributions_of(lead_follow_ups, INTEGER);
DROP TABLE lead_follow_up_counts;
DROP TRIGGER lead_follow_ups_contact ON interactions;
DROP FUNCTION lead_follow_ups_contact();
DROP TRIGGER lead_follow_ups_met_on_insert ON lead_follow_ups;
DROP FUNCTION lead_follow_ups_met_on_insert();
DROP TRIGGER lead_follow_ups_follow ON leads;
CREATE OR REPLACE FUNCTION lead_follow_ups_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.next_follow_up_at IS DISTINCT FROM NEW.next_follow_up_at
            OR NEW.status <> 'open' OR NEW.archived_at IS NOT NULL) THEN
        UPDATE lead_follow_ups SET closed_at = NEW.updated_at WHERE lead_id = NEW.id AND closed_at IS NULL;
    END IF;
    IF NEW.next_follow_up_at IS NOT NULL AND NEW.status = 'open' AND NEW.archived_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM lead_follow_ups WHERE lead_id = NEW.id AND closed_at IS NULL) THEN
        INSERT INTO lead_follow_ups (lead_id, scheduled_at, due_at)
        VALUES (NEW.id, NEW.updated_at, NEW.next_follow_up_at);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER lead_follow_ups_follow
AFTER INSERT OR UPDATE OF next_follow_up_at, status, archived_at ON leads
FOR EACH ROW EXECUTE FUNCTION lead_follow_ups_follow();
DROP INDEX lead_follow_ups_pending_idx;
DROP FUNCTION lead_follow_up_met_at(lead_follow_ups);
ALTER TABLE lead_follow_ups DROP COLUMN lead_live;
ALTER TABLE lead_follow_ups DROP COLUMN owner_id;
ALTER TABLE lead_follow_ups DROP COLUMN branch_id;
ALTER TABLE lead_follow_ups DROP COLUMN division_id;
ALTER TABLE lead_follow_ups DROP COLUMN met_at;
