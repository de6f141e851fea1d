// Session options for every server-side PostgreSQL pool (backend and ingest).
// force_custom_plan: the ingest statements are prepared; after five executions PostgreSQL
// may switch to a generic plan, and when autoanalyze changes the statistics of the fast-
// growing ingest tables that generic plan went bad mid-run (multi-second confirm stalls in
// bench:ingest at 3,000–5,000 ev/s; gone with custom plans, at ~0.1 ms planning each).
export const PG_CONNECTION_OPTIONS = '-c plan_cache_mode=force_custom_plan';
