import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from '@firelink/common/testing';
import { seededRandom } from '@firelink/common';
import { loadGridNetwork, type GridNetwork } from './grid-network.ts';
import { ACCESS_SPEED_MPS, SNAP_TOLERANCE_M, STRAIGHT_DETOUR_FACTOR, straightEtaSeconds } from './model.ts';
import { suggestStations } from './suggest.ts';
import { bruteForceTopStations } from './brute-force.ts';
import { at, loadHandMadeNetwork } from './hand-made-network.ts';

describe('dispatch suggestions on a hand-made network (known answers)', () => {
  let db: TestDatabase;
  let ids: Record<string, number>;
  before(async () => {
    db = await createTestDatabase('dispatch_suggest');
    ids = await loadHandMadeNetwork(db.pool);
  });
  after(async () => db?.drop());

  const names = (r: Awaited<ReturnType<typeof suggestStations>>) =>
    r.suggestions.map((s) => Object.entries(ids).find(([, id]) => id === s.stationId)?.[0]);

  it('ranks by road travel time, approaching the incident edge from the faster end', async () => {
    const [lon, lat] = at(2500, 0); // middle of V3–V4
    const r = await suggestStations(db.pool, { lon, lat, k: 4 });
    assert.deepEqual(names(r), ['B', 'A', 'C', 'E']);
    const eta = r.suggestions.map((s) => s.etaSeconds);
    assert.ok(Math.abs(eta[0]! - 30) < 0.5, `B: back along V4→V3 half an edge, 30 s (got ${eta[0]})`);
    assert.ok(Math.abs(eta[1]! - 150) < 0.5, `A: 60 + 60 + 30 = 150 s (got ${eta[1]})`);
    assert.ok(Math.abs(eta[2]! - 190) < 0.5, `C: 100 + 60 + 30 = 190 s (got ${eta[2]})`);
    assert.deepEqual(r.suggestions.slice(0, 3).map((s) => s.method), ['road', 'road', 'road']);
    assert.equal(r.suggestions[3]!.method, 'straight');
    assert.equal(r.suggestions[3]!.straightReason, 'station_off_network');
    assert.ok(r.incident.snap && r.incident.snap.snapMeters < 1);
    // A drives 2.5 km along the line; the route starts at A and ends at the incident.
    const a = r.suggestions[1]!;
    assert.ok(Math.abs(a.distanceMeters - 2500) < 25, `A distance ${a.distanceMeters}`);
    assert.deepEqual(a.route.coordinates[0], at(0, 0));
    assert.deepEqual(a.route.coordinates.at(-1), [lon, lat]);
    const xs = a.route.coordinates.map(([x]) => x);
    assert.deepEqual(xs, [...xs].sort((p, q) => p - q), 'A heads steadily east');
  });

  it('respects one-way streets: B must go round to reach the one-way V2→V3', async () => {
    const [lon, lat] = at(1500, 0); // middle of the one-way V2→V3
    const r = await suggestStations(db.pool, { lon, lat, k: 3 });
    assert.deepEqual(names(r), ['A', 'C', 'B']);
    const eta = r.suggestions.map((s) => s.etaSeconds);
    assert.ok(Math.abs(eta[0]! - 90) < 0.5, `A: 60 + 30 (got ${eta[0]})`);
    assert.ok(Math.abs(eta[1]! - 130) < 0.5, `C: 100 + 30 (got ${eta[1]})`);
    // B cannot drive V3→V2 against the one-way: V4→V3→V6→V5→V2, then half the edge.
    assert.ok(Math.abs(eta[2]! - 390) < 0.5, `B: 60 + 100 + 100 + 100 + 30 = 390 (got ${eta[2]})`);
  });

  it('leaves out dispatched stations unless asked, and then marks them', async () => {
    const [lon, lat] = at(2500, 0);
    const r = await suggestStations(db.pool, { lon, lat, k: 2, includeUnavailable: true });
    assert.deepEqual(names(r), ['B', 'D']);
    assert.equal(r.suggestions[1]!.status, 'dispatched');
    assert.ok(Math.abs(r.suggestions[1]!.etaSeconds - 130) < 0.5, 'D: 100 + 30');
  });

  it('falls back to straight lines when the incident is off the network', async () => {
    const [lon, lat] = at(3000, -2000); // 2 km south of V4
    const r = await suggestStations(db.pool, { lon, lat, k: 2 });
    assert.equal(r.incident.snap, null);
    assert.deepEqual(names(r), ['B', 'A']);
    for (const s of r.suggestions) {
      assert.equal(s.method, 'straight');
      assert.equal(s.straightReason, 'incident_off_network');
      assert.ok(Math.abs(s.etaSeconds - straightEtaSeconds(s.straightMeters)) < 0.2);
      assert.ok(Math.abs(s.distanceMeters - s.straightMeters * STRAIGHT_DETOUR_FACTOR) < 0.5);
      assert.equal(s.route.coordinates.length, 2);
    }
    // 2 km in the test's flat metres (±1 %: the degree lengths are approximate).
    assert.ok(Math.abs(r.suggestions[0]!.straightMeters - 2000) < 20, `${r.suggestions[0]!.straightMeters}`);
  });

  it('adds the access leg when the incident is near but not on a road', async () => {
    const [lon, lat] = at(2500, 100); // 100 m north of V3–V4
    const r = await suggestStations(db.pool, { lon, lat, k: 1 });
    assert.ok(r.incident.snap && Math.abs(r.incident.snap.snapMeters - 100) < 2);
    assert.ok(Math.abs(r.suggestions[0]!.etaSeconds - (30 + 100 / ACCESS_SPEED_MPS)) < 0.6);
    assert.ok(SNAP_TOLERANCE_M > 100);
  });
});

describe('dispatch suggestions on a generated city (pruned = brute force)', () => {
  let db: TestDatabase;
  let grid: GridNetwork;
  before(async () => {
    db = await createTestDatabase('dispatch_exact');
    // 40 × 40 vertices at 250 m: a 10 km square, ~3,000 edges, 40 stations (+2 off network).
    grid = await loadGridNetwork(db.pool, {
      originLon: 118.7,
      originLat: 32.0,
      cols: 40,
      rows: 40,
      spacingM: 250,
      stations: 40,
      offNetworkStations: 2,
      seed: 11,
    });
  });
  after(async () => db?.drop());

  it('returns exactly the brute-force top k at 34 random points, 4 off the network (k = 1, 3, 5, 8, 12)', async () => {
    const rnd = seededRandom(2024);
    const { west, south, east, north } = grid.bbox;
    let maxRounds = 0;
    let routed = 0;
    for (let i = 0; i < 34; i++) {
      const lon = west + rnd() * (east - west);
      // The last four points lie 0.5–2.5 km south of the grid: off the network.
      const lat = i < 30 ? south + rnd() * (north - south) : south - (0.005 + rnd() * 0.02);
      const truth = await bruteForceTopStations(db.pool, lon, lat);
      for (const k of [1, 3, 5, 8, 12]) {
        const r = await suggestStations(db.pool, { lon, lat, k });
        maxRounds = Math.max(maxRounds, r.stats.rounds);
        routed += r.stats.candidatesRouted;
        assert.equal(r.suggestions.length, k);
        if (i >= 30) assert.equal(r.incident.snap, null);
        const where = `point ${i} (${lon}, ${lat}) k=${k}`;
        assert.deepEqual(r.suggestions.map((s) => s.stationId), truth.slice(0, k).map((t) => t.id), where);
        r.suggestions.forEach((s, j) => assert.ok(Math.abs(s.etaSeconds - truth[j]!.eta) <= 0.051, `${where}: ${s.etaSeconds} vs ${truth[j]!.eta}`));
      }
    }
    // The prefilter prunes: far fewer routed candidates than stations × queries.
    assert.ok(routed < 34 * 5 * 40, `routed ${routed}`);
    // …and the expansion (more candidates, a longer horizon) was exercised, not just the first guess.
    assert.ok(maxRounds > 1, `max rounds ${maxRounds}`);
  });
});
