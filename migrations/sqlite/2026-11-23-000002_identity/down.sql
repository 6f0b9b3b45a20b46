DROP INDEX audit_log_actor_idx;
ALTER TABLE audit_log DROP COLUMN client_addr;
DROP TABLE login_throttle;
DROP TABLE api_keys;
DROP TABLE refresh_tokens;
DROP TABLE users;
