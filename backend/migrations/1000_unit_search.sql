-- Unit finder (GET /api/units?q=…): name and address are matched with ILIKE '%q%'.
-- Trigram GIN indexes let PostgreSQL answer a substring match without reading every
-- unit; under the databases' C.UTF-8 ctype pg_trgm also makes trigrams of Chinese
-- characters (show_trgm('鼓楼医院') is not empty). Queries shorter than three characters
-- have no whole trigram and fall back to scanning the index, still correct.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS units_name_trgm ON units USING gin (name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS units_address_trgm ON units USING gin (address gin_trgm_ops);
