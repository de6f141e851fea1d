// Test support for the LIVE tests (not a test file): a small place fixture, committed
// events published on the real event bus, a real server with the live feature, and a
// real user + bearer session for the WebSocket upgrade. The server comes from
// startTestServer (devtools/test-support.ts), as every HTTP test's does.
import { randomBytes } from 'node:crypto';
import type { BatchMessage, EventBus, EventKind, ServerMessage, StoredEvent } from '@firelink/common';
import type pg from 'pg';
import WebSocket from 'ws';
import { hashToken } from '../auth/authenticate.ts';
import type { Principal } from '../auth/scope.ts';
import { startTestServer, type TestServer } from '../devtools/test-support.ts';
import type { FeatureFactory } from '../kernel/feature.ts';
import { liveFeature, type LiveOptions, type LiveParts } from '../pipeline/feature.ts';

export interface Place {
  units: Array<{ id: number; deviceId: number; pointIds: number[]; regionAdcode: number; lonLat: [number, number] }>;
}

/** Two districts of Nanjing (320102 Xuanwu, 320106 Gulou), one unit each with 3 points. */
export async function seedPlace(pool: pg.Pool): Promise<Place> {
  await pool.query(`INSERT INTO regions (adcode, name, level, parent_adcode) VALUES
      (320000, '江苏省', 'province', NULL), (320100, '南京市', 'city', 320000),
      (320102, '玄武区', 'district', 320100), (320106, '鼓楼区', 'district', 320100)
    ON CONFLICT DO NOTHING`);
  const units: Place['units'] = [];
  const specs: Array<[number, [number, number]]> = [
    [320102, [118.797, 32.048]],
    [320106, [118.769, 32.066]],
  ];
  for (const [i, [adcode, lonLat]] of specs.entries()) {
    const u = await pool.query(
      `INSERT INTO units (name, address, region_adcode, point, onboarding_state)
       VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint($4, $5), 4326), 'open') RETURNING id`,
      [`测试单位${i + 1}`, `测试路${i + 1}号`, adcode, lonLat[0], lonLat[1]],
    );
    const unitId = Number(u.rows[0].id);
    const d = await pool.query(`INSERT INTO devices (unit_id, address, online) VALUES ($1, $2, true) RETURNING id`, [unitId, 100000 + i]);
    const deviceId = Number(d.rows[0].id);
    const s = await pool.query(`INSERT INTO facility_systems (device_id, system_type, system_address) VALUES ($1, 1, 1) RETURNING id`, [deviceId]);
    const pointIds: number[] = [];
    for (let k = 1; k <= 3; k++) {
      const p = await pool.query(
        `INSERT INTO points (unit_id, system_id, component_type, component_address, floor, label) VALUES ($1, $2, 31, $3, $4, $5) RETURNING id`,
        [unitId, Number(s.rows[0].id), k, k, `${k}F 感烟 ${k}`],
      );
      pointIds.push(Number(p.rows[0].id));
    }
    units.push({ id: unitId, deviceId, pointIds, regionAdcode: adcode, lonLat });
  }
  return { units };
}

let seq = 0;
/** Inserts committed events (as INGEST does) and returns them as the bus carries them. */
export async function insertEvents(
  pool: pg.Pool,
  specs: Array<{ kind: EventKind; unit: Place['units'][number]; point?: number | null; description?: string }>,
): Promise<StoredEvent[]> {
  const keys = specs.map(() => `test-${process.pid}-${Date.now()}-${seq++}-${randomBytes(3).toString('hex')}`);
  const r = await pool.query(
    `INSERT INTO events (dedupe_key, source, kind, device_id, device_address, unit_id, point_id, region_adcode, description)
     SELECT k, 'gb26875', kind, dev, 100000, unit, pt, region, descr
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::int[], $7::text[])
            WITH ORDINALITY AS t(k, kind, dev, unit, pt, region, descr, ord)
      ORDER BY ord
     RETURNING id, dedupe_key, received_at`,
    [
      keys,
      specs.map((s) => s.kind),
      specs.map((s) => s.unit.deviceId),
      specs.map((s) => s.unit.id),
      specs.map((s) => s.point ?? null),
      specs.map((s) => s.unit.regionAdcode),
      specs.map((s) => s.description ?? null),
    ],
  );
  const byKey = new Map(r.rows.map((row) => [row.dedupe_key as string, row]));
  const out: StoredEvent[] = specs.map((s, i) => {
    const row = byKey.get(keys[i]!)!;
    return {
      id: Number(row.id),
      dedupeKey: keys[i]!,
      source: 'gb26875',
      kind: s.kind,
      deviceAddress: 100000,
      systemType: 1,
      systemAddress: 1,
      componentType: s.point ? 31 : null,
      componentAddress: null,
      status: null,
      value: null,
      description: s.description ?? null,
      deviceTime: null,
      receivedAt: (row.received_at as Date).toISOString(),
      payload: {},
      deviceId: s.unit.deviceId,
      unitId: s.unit.id,
      pointId: s.point ?? null,
      regionAdcode: s.unit.regionAdcode,
      h3R9: null,
    };
  });
  return out;
}

/** Inserts events as ingest would, publishes them on the bus and waits for the pipeline. */
export async function publishEvents(live: LiveServer, pool: pg.Pool, specs: Parameters<typeof insertEvents>[1]): Promise<StoredEvent[]> {
  const events = await insertEvents(pool, specs);
  await live.bus.publish(events);
  await live.parts.pipeline.idle();
  return events;
}

export interface LiveServer {
  server: TestServer;
  bus: EventBus;
  parts: LiveParts;
  baseUrl: string;
  wsUrl: string;
}

/** A real server with only the live feature; `principal` is injected for REST calls. */
export async function startLiveServer(
  databaseUrl: string,
  opts: { principal?: () => Principal | undefined; live?: LiveOptions; env?: Record<string, string>; extra?: FeatureFactory[] } = {},
): Promise<LiveServer> {
  let bus: EventBus | undefined;
  let parts: LiveParts | undefined;
  const features: FeatureFactory[] = [
    (ctx) => {
      bus = ctx.bus;
      return { name: 'test-bus' };
    },
    ...(opts.extra ?? []),
    liveFeature({ ...opts.live, expose: (p) => (parts = p) }),
  ];
  const server = await startTestServer(databaseUrl, features, {
    env: { FIRELINK_DEMO: '0', ...opts.env },
    before: [
      (_req, res, next) => {
        const p = opts.principal?.();
        if (p) res.locals.principal = p;
        next();
      },
    ],
  });
  return { server, bus: bus!, parts: parts!, baseUrl: server.base, wsUrl: `ws://127.0.0.1:${server.httpPort}/ws` };
}

/** A real user with a bearer session; returns the token. */
export async function createSession(
  pool: pg.Pool,
  user: { username: string; role: string; regions?: number[]; units?: number[] },
): Promise<{ token: string; userId: number }> {
  const u = await pool.query(
    `INSERT INTO users (username, display_name, password_hash, role) VALUES ($1, $1, 'x', $2) RETURNING id`,
    [user.username, user.role],
  );
  const userId = Number(u.rows[0].id);
  for (const a of user.regions ?? []) await pool.query(`INSERT INTO user_regions (user_id, adcode) VALUES ($1, $2)`, [userId, a]);
  for (const x of user.units ?? []) await pool.query(`INSERT INTO user_units (user_id, unit_id) VALUES ($1, $2)`, [userId, x]);
  const token = randomBytes(24).toString('hex');
  await pool.query(
    `INSERT INTO sessions (token_hash, user_id, kind, expires_at) VALUES ($1, $2, 'bearer', now() + interval '1 hour')`,
    [hashToken(token), userId],
  );
  return { token, userId };
}

/** A WebSocket client that records every message and can wait for one. */
export class TestClient {
  readonly messages: ServerMessage[] = [];
  /** `batch` frames received (their messages are in `messages`). */
  batchFrames = 0;
  private waiters: Array<{ pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }> = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const raw = JSON.parse(String(data)) as ServerMessage | BatchMessage;
      // A batch (subscribe with batch: true) is recorded as the messages it carries.
      if (raw.type === 'batch') this.batchFrames++;
      for (const m of raw.type === 'batch' ? raw.messages : [raw]) {
        this.messages.push(m);
        this.waiters = this.waiters.filter((w) => {
          if (!w.pred(m)) return true;
          w.resolve(m);
          return false;
        });
      }
    });
  }

  static connect(url: string, token: string): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
      const c = new TestClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  send(m: unknown): void {
    this.ws.send(JSON.stringify(m));
  }

  waitFor<T extends ServerMessage>(pred: (m: ServerMessage) => boolean, timeoutMs = 5000): Promise<T> {
    const found = this.messages.find(pred);
    if (found) return Promise.resolve(found as T);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for a message; got ${this.messages.map((m) => m.type).join(',')}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m as T);
        },
      });
    });
  }

  /** Largest delta id received. */
  lastId(): number {
    return this.messages.reduce((a, m) => Math.max(a, m.id), 0);
  }

  close(): Promise<void> {
    return new Promise((r) => {
      if (this.ws.readyState === WebSocket.CLOSED) return r();
      this.ws.once('close', () => r());
      this.ws.close();
    });
  }
}

export const ADMIN: Principal = { userId: null, username: 'test-admin', role: 'admin', scope: { kind: 'all' } };
