-- Every follow-up a lead was given (issue 9, follow-up compliance): one row
-- per value of leads.next_follow_up_at, from when it was set (scheduled_at)
-- until it was replaced, or the lead closed or was archived (closed_at).
-- Triggers keep it, as for the board totals: every path that writes leads
-- is covered by construction.
CREATE TABLE lead_follow_ups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    scheduled_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP
);
CREATE INDEX lead_follow_ups_due_idx ON lead_follow_ups (due_at);
-- At most one follow-up is pending per lead.
CREATE UNIQUE INDEX lead_follow_ups_open_key ON lead_follow_ups (lead_id) WHERE closed_at IS NULL;
-- Contacts on a lead after a follow-up was scheduled.
CREATE INDEX interactions_lead_occurred_idx ON interactions (lead_id, occurred_at) WHERE lead_id IS NOT NULL;

INSERT INTO lead_follow_ups (lead_id, scheduled_at, due_at)
SELECT id, updated_at, next_follow_up_at FROM leads
WHERE status = 'open' AND archived_at IS NULL AND next_follow_up_at IS NOT NULL;

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
