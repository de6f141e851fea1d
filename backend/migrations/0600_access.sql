-- Access control: login throttling, named bearer tokens, stricter audit log.

-- Failed-login counters. One row per key: 'u:<username>|ip:<address>' throttles one
-- client guessing one account; 'u:<username>' throttles a distributed guess at one
-- account (higher threshold). A success clears the username+ip key.
CREATE TABLE login_throttle (
  key              text PRIMARY KEY,
  failures         integer NOT NULL DEFAULT 0,
  first_failure_at timestamptz NOT NULL DEFAULT now(),
  last_failure_at  timestamptz NOT NULL DEFAULT now(),
  -- No attempt (right or wrong password) is even checked before this instant.
  locked_until     timestamptz
);
CREATE INDEX login_throttle_last_idx ON login_throttle (last_failure_at);

-- Sessions get a stable id (to list and revoke bearer tokens without their secret),
-- a label for API tokens and where they were created from.
ALTER TABLE sessions ADD COLUMN id bigserial UNIQUE;
ALTER TABLE sessions ADD COLUMN label text;
ALTER TABLE sessions ADD COLUMN created_ip text;
ALTER TABLE sessions ADD COLUMN user_agent text;
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

ALTER TABLE users ADD COLUMN last_login_at timestamptz;
ALTER TABLE users ADD COLUMN password_changed_at timestamptz;
ALTER TABLE users ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- The foundation's row trigger refuses UPDATE and DELETE; TRUNCATE bypasses row triggers,
-- so refuse it with a statement trigger too.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at);
CREATE INDEX audit_log_action_idx ON audit_log (action, at);
