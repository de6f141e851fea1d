// int8 columns (bigserial ids, 6-byte device addresses) as JS numbers: all ours stay
// below 2^53. The backend installs the same parser; ingest must not depend on that.
import pg from 'pg';

pg.types.setTypeParser(20, (v) => Number(v));
