DROP TRIGGER lead_follow_up_counts_update;
DROP TRIGGER lead_follow_up_counts_delete;
DROP TRIGGER lead_follow_up_counts_insert;
DROP VIEW lead_follow_up_contributions;
DROP TABLE lead_follow_up_counts;
DROP TRIGGER lead_follow_ups_contact_delete;
DROP TRIGGER lead_follow_ups_contact_update;
DROP TRIGGER lead_follow_ups_contact_insert;
DROP TRIGGER lead_follow_ups_lead_moved;
DROP TRIGGER lead_follow_ups_met_on_insert;
DROP TRIGGER lead_follow_ups_update;
DROP TRIGGER lead_follow_ups_insert;
DROP INDEX lead_follow_ups_pending_idx;

CREATE TRIGGER lead_follow_ups_insert AFTER INSERT ON leads
WHEN NEW.next_follow_up_at IS NOT NULL AND NEW.status = 'open' AND NEW.archived_at IS NULL
BEGIN
    INSERT INTO lead_follow_ups (lead_id, scheduled_at, due_at) VALUES (NEW.id, NEW.updated_at, NEW.next_follow_up_at);
END;

CREATE TRIGGER lead_follow_ups_update AFTER UPDATE OF next_follow_up_at, status, archived_at ON leads
BEGIN
    UPDATE lead_follow_ups SET closed_at = NEW.updated_at
    WHERE lead_id = NEW.id AND closed_at IS NULL
      AND (OLD.next_follow_up_at IS NOT NEW.next_follow_up_at OR NEW.status <> 'open' OR NEW.archived_at IS NOT NULL);
    INSERT INTO lead_follow_ups (lead_id, scheduled_at, due_at)
    SELECT NEW.id, NEW.updated_at, NEW.next_follow_up_at
    WHERE NEW.next_follow_up_at IS NOT NULL AND NEW.status = 'open' AND NEW.archived_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM lead_follow_ups WHERE lead_id = NEW.id AND closed_at IS NULL);
END;

ALTER TABLE lead_follow_ups DROP COLUMN lead_live;
ALTER TABLE lead_follow_ups DROP COLUMN owner_id;
ALTER TABLE lead_follow_ups DROP COLUMN branch_id;
ALTER TABLE lead_follow_ups DROP COLUMN division_id;
ALTER TABLE lead_follow_ups DROP COLUMN met_at;
