-- The service desk's sweep (issue 7): SLA warnings and breach notices to the
-- queue's managers, and closing resolved tickets after a few days.
--
-- When each target's warning share is used up, kept beside the due time so
-- the sweep finds due warnings by index; and when a breach was announced:
-- the breach flag alone can be set by a late reply, which announces nothing.
ALTER TABLE ticket_slas ADD COLUMN response_warn_at TIMESTAMP;
ALTER TABLE ticket_slas ADD COLUMN resolution_warn_at TIMESTAMP;
ALTER TABLE ticket_slas ADD COLUMN response_breach_notified_at TIMESTAMP;
ALTER TABLE ticket_slas ADD COLUMN resolution_breach_notified_at TIMESTAMP;

-- Each partial index holds only the clocks still owing that notice.
CREATE INDEX ticket_slas_response_warn_idx ON ticket_slas (response_warn_at)
    WHERE clock = 'running' AND response_warned_at IS NULL;
CREATE INDEX ticket_slas_resolution_warn_idx ON ticket_slas (resolution_warn_at)
    WHERE clock = 'running' AND resolution_warned_at IS NULL;
CREATE INDEX ticket_slas_response_breach_idx ON ticket_slas (first_response_due_at)
    WHERE clock = 'running' AND response_breach_notified_at IS NULL;
CREATE INDEX ticket_slas_resolution_breach_idx ON ticket_slas (resolution_due_at)
    WHERE clock = 'running' AND resolution_breach_notified_at IS NULL;

-- Resolved tickets waiting to be closed, oldest resolution first.
CREATE INDEX tickets_awaiting_close_idx ON tickets (resolved_at) WHERE status = 'resolved';
