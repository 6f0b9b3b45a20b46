DROP TABLE idempotency_keys;
DROP TABLE change_events;
DROP TABLE audit_log;
DROP TABLE branches;
DROP TABLE divisions;
DROP TABLE calendar_holidays;
DROP TABLE calendar_windows;
DROP TABLE calendars;
