DROP INDEX interactions_lead_idx;
DROP INDEX interactions_ticket_idx;
CREATE INDEX interactions_lead_idx ON interactions (lead_id);
CREATE INDEX interactions_ticket_idx ON interactions (ticket_id);
