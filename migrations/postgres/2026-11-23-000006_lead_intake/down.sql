DROP TABLE intake_rate_windows;
DROP TABLE intake_captures;
