-- A bearer token minted by a non-admin records the session (cookie or token) that minted it,
-- and ends with it: logging out, or an admin ending that session, deletes the tokens it
-- minted (and theirs), as does the purge of expired sessions. Before, such a token was
-- capped to its session's expiry but outlived the session's logout by up to that long.
-- Tokens an admin mints for machine clients record no session and live their own term.
ALTER TABLE sessions ADD COLUMN minted_by bigint REFERENCES sessions (id) ON DELETE CASCADE;
CREATE INDEX sessions_minted_by_idx ON sessions (minted_by) WHERE minted_by IS NOT NULL;
