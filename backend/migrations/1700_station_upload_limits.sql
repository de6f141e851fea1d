-- Station workspace limits: familiarisation visits recorded per account in a recent window
-- (the visit rate limit counts them by created_at, not by the visit's own time, which may be
-- backdated).
CREATE INDEX IF NOT EXISTS unit_visits_by_user_idx ON unit_visits (by_user, created_at DESC) WHERE by_user IS NOT NULL;
