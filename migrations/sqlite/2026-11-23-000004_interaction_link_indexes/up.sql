-- Most interactions link no lead and no ticket; indexing only those that do
-- spares every other insert two index writes (bulk ingestion, docs/benchmarks.md).
-- A lookup by lead or ticket (`lead_id = ?`) implies IS NOT NULL, so it still
-- uses these.
DROP INDEX interactions_lead_idx;
DROP INDEX interactions_ticket_idx;
CREATE INDEX interactions_lead_idx ON interactions (lead_id) WHERE lead_id IS NOT NULL;
CREATE INDEX interactions_ticket_idx ON interactions (ticket_id) WHERE ticket_id IS NOT NULL;
