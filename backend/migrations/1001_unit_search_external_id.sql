-- The finder's filter is name OR address OR external_id ILIKE '%q%': PostgreSQL combines
-- indexes for an OR (BitmapOr) only when every branch has one, so without this index the
-- two of 1000_unit_search.sql are never used. At 2,400 units a sequential scan takes 2–6 ms;
-- at 100,000 the three indexes answer a 5-character search in 0.2 ms.
CREATE INDEX IF NOT EXISTS units_external_id_trgm ON units USING gin (external_id gin_trgm_ops);
