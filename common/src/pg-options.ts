// Session options for every server-side PostgreSQL pool (backend and ingest).
// force_custom_plan: after five executions of a prepared statement PostgreSQL may switch to
// a generic plan, and when autoanalyze changed the statistics of the fast-growing ingest
// tables a generic plan of ingest's joins went bad mid-run (multi-second confirm stalls in
// bench:ingest at 3,000–5,000 ev/s; gone with custom plans). Ingest's fast path, whose two
// statements are per-key index probes, runs on connections of its own with
// GENERIC_PLAN_OPTIONS below.
export const PG_CONNECTION_OPTIONS = '-c plan_cache_mode=force_custom_plan';

/**
 * Session options of ingest's fast-path connections (ingest/src/store/event-store.ts) only:
 * its two named statements are per-key index probes, so they keep one generic plan instead
 * of being planned again on every batch (about 0.7 ms of PostgreSQL CPU per batch, the
 * larger part of a small batch's cost). A generic plan is made once, possibly while the
 * ingest tables are still empty, when a sequential scan looks cheapest and then grows with
 * the table on every probe: with sequential scans, hash and merge joins priced out, every
 * lookup of the plan is an index probe whatever the statistics said when it was made.
 */
export const GENERIC_PLAN_OPTIONS = '-c plan_cache_mode=force_generic_plan -c enable_seqscan=off -c enable_hashjoin=off -c enable_mergejoin=off';
