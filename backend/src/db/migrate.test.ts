import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { MigrationError, loadMigrations, migrate, migrationStatus } from './migrate.ts';

describe('migrations', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('migrate', { empty: true });
  });
  after(async () => {
    await db.drop();
  });

  it('applies every migration to an empty database, records each, and is idempotent', async () => {
    const first = await migrate(db.url);
    const files = loadMigrations().map((m) => m.file);
    assert.deepEqual(first.applied, files);
    const second = await migrate(db.url);
    assert.deepEqual(second.applied, []);
    assert.equal(second.version, first.version);
    const status = await migrationStatus(db.url);
    assert.ok(status.every((s) => s.applied && s.checksumMatches));
  });

  it('creates PostGIS, pgRouting and GiST indexes on every geometry column', async () => {
    const ext = await db.pool.query("SELECT extname FROM pg_extension WHERE extname IN ('postgis', 'pgrouting') ORDER BY 1");
    assert.deepEqual(ext.rows.map((r) => r.extname), ['pgrouting', 'postgis']);
    const geoms = await db.pool.query(
      "SELECT f_table_name AS t, f_geometry_column AS c, srid FROM geometry_columns WHERE f_table_schema = 'public'",
    );
    assert.ok(geoms.rows.length >= 10, 'expected the schema to carry at least 10 geometry columns');
    // stream_log.location is written with every stream message and read only by id range
    // (a resuming client's bbox is tested on those rows): no GiST index (migration 1903).
    const withoutGist = new Set(['stream_log.location']);
    for (const g of geoms.rows) {
      assert.equal(g.srid, 4326, `${g.t}.${g.c} must be SRID 4326`);
      if (withoutGist.has(`${g.t}.${g.c}`)) continue;
      const idx = await db.pool.query(
        `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_am am ON am.oid = (SELECT relam FROM pg_class WHERE oid = i.indexrelid)
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)
         WHERE c.relname = $1 AND a.attname = $2 AND am.amname = 'gist'`,
        [g.t, g.c],
      );
      assert.ok(idx.rowCount! > 0, `${g.t}.${g.c} needs a GiST index`);
    }
  });

  it('enforces one open alarm per unit + point + kind', async () => {
    await db.pool.query("INSERT INTO units (name) VALUES ('u')");
    const unit = (await db.pool.query('SELECT id FROM units LIMIT 1')).rows[0].id;
    await db.pool.query("INSERT INTO alarms (unit_id, kind, priority) VALUES ($1, 'fire', 1)", [unit]);
    await assert.rejects(
      db.pool.query("INSERT INTO alarms (unit_id, kind, priority) VALUES ($1, 'fire', 1)", [unit]),
      /alarms_one_open_idx/,
    );
  });

  it('keeps the audit log append-only', async () => {
    await db.pool.query("INSERT INTO audit_log (action, entity) VALUES ('test', 'unit')");
    await assert.rejects(db.pool.query('DELETE FROM audit_log'), /append-only/);
    await assert.rejects(db.pool.query("UPDATE audit_log SET action = 'x'"), /append-only/);
  });

  it('rolls back a failed migration whole and names the file, the line and the error', async () => {
    const empty = await createTestDatabase('migrate_fail', { empty: true });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'firelink-mig-'));
      writeFileSync(join(dir, '0001_good.sql'), 'CREATE TABLE good (id int);\n');
      writeFileSync(
        join(dir, '0002_bad.sql'),
        'CREATE TABLE half_done (id int);\nINSERT INTO half_done VALUES (1);\nSELECT no_such_column FROM half_done;\n',
      );
      await assert.rejects(migrate(empty.url, { dir }), (err: unknown) => {
        assert.ok(err instanceof MigrationError);
        assert.equal(err.file, '0002_bad.sql');
        assert.match(err.message, /0002_bad\.sql failed at line 3: column "no_such_column" does not exist/);
        return true;
      });
      const tables = await empty.pool.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
      );
      assert.deepEqual(tables.rows.map((r) => r.table_name), ['good', 'schema_migrations']);
      const applied = await empty.pool.query('SELECT version FROM schema_migrations');
      assert.deepEqual(applied.rows.map((r) => r.version), ['0001']);
    } finally {
      await empty.drop();
    }
  });
});
