-- Each ticket's business-time measurements, taken in Rust when the ticket
-- changes (the one business-time implementation, docs/business-time.md) so
-- that the metrics aggregate stored numbers in SQL (docs/metrics.md).
--
-- calendar_id: the calendar the ticket is measured on, fixed when it was
-- logged (its branch's, else its division's); none: round the clock (UTC).
-- business_day_seconds: one business day on that calendar (the weekly total
-- over the weekdays with working hours), 86,400 round the clock, none for a
-- calendar without windows. So a row with neither is one not yet measured:
-- rows logged before this migration, filled by
-- rapport_tickets::backfill_business_times at start-up.
-- first_response_business_seconds: creation to the first public agent reply.
-- resolution_business_seconds: creation to the latest resolution, pending
-- time included; cleared by a reopen, kept by closing.
ALTER TABLE tickets ADD COLUMN calendar_id TEXT REFERENCES calendars (id);
ALTER TABLE tickets ADD COLUMN business_day_seconds INTEGER;
ALTER TABLE tickets ADD COLUMN first_response_business_seconds BIGINT;
ALTER TABLE tickets ADD COLUMN resolution_business_seconds BIGINT;

-- The metrics read a period's resolutions and first responses from the
-- index alone: the instant that places a ticket in a period, the filters
-- scope and reports use, and the figures they aggregate.
CREATE INDEX tickets_resolution_times_idx
    ON tickets (resolved_at, division_id, branch_id, resolution_business_seconds, business_day_seconds)
    WHERE resolved_at IS NOT NULL;
CREATE INDEX tickets_first_response_times_idx
    ON tickets (first_responded_at, division_id, branch_id, first_response_business_seconds, business_day_seconds)
    WHERE first_responded_at IS NOT NULL;

-- Rows still to be measured, for the start-up backfill: all of them right
-- after this migration, none once it has run, so the check at every later
-- start is one probe of an empty index.
CREATE INDEX tickets_unmeasured_idx ON tickets (id)
    WHERE (calendar_id IS NULL AND business_day_seconds IS NULL)
       OR (first_responded_at IS NOT NULL AND first_response_business_seconds IS NULL)
       OR (resolved_at IS NOT NULL AND resolution_business_seconds IS NULL);
