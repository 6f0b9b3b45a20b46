DROP INDEX tickets_awaiting_close_idx;
DROP INDEX ticket_slas_resolution_breach_idx;
DROP INDEX ticket_slas_response_breach_idx;
DROP INDEX ticket_slas_resolution_warn_idx;
DROP INDEX ticket_slas_response_warn_idx;
ALTER TABLE ticket_slas DROP COLUMN resolution_breach_notified_at;
ALTER TABLE ticket_slas DROP COLUMN response_breach_notified_at;
ALTER TABLE ticket_slas DROP COLUMN resolution_warn_at;
ALTER TABLE ticket_slas DROP COLUMN response_warn_at;
