// Loads every unit in the caller's jurisdiction into the typed-array store in one request:
// GET /api/units/positions, packed columns (common/src/unit-positions.ts, ~18 bytes a unit,
// no JSON parse). The response carries an ETag with `Cache-Control: private, no-cache`, so
// the browser's HTTP cache revalidates with If-None-Match and a reload of an unchanged
// jurisdiction costs a 304.
import { decodeUnitPositions, UNIT_POSITION_FLAG, UNIT_POSITIONS_CONTENT_TYPE, type UnitPositions } from '@firelink/common';
import { ApiError, notifyUnauthorized } from '../api/http.ts';
import type { RegionRate } from '../model/region-rate.ts';
import type { UnitStore } from '../model/unit-store.ts';

export const UNIT_POSITIONS_PATH = '/api/units/positions';

/** Connection rate (联网接入率) per region from the packed units: open units with a fire control room ÷ units with one. */
export function regionRatesOfPositions(p: UnitPositions, target = 0.6): Map<number, RegionRate> {
  const acc = new Map<number, { open: number; all: number }>();
  for (let i = 0; i < p.count; i++) {
    const region = p.regions[i]!;
    const f = p.flags[i]!;
    if (region === 0 || !(f & UNIT_POSITION_FLAG.hasControlRoom)) continue;
    let a = acc.get(region);
    if (!a) acc.set(region, (a = { open: 0, all: 0 }));
    a.all++;
    if (f & UNIT_POSITION_FLAG.open) a.open++;
  }
  const out = new Map<number, RegionRate>();
  for (const [code, a] of acc) out.set(code, { rate: a.all ? a.open / a.all : null, target });
  return out;
}

export async function fetchUnitPositions(signal?: AbortSignal): Promise<UnitPositions> {
  const res = await fetch(UNIT_POSITIONS_PATH, { headers: { Accept: UNIT_POSITIONS_CONTENT_TYPE }, credentials: 'same-origin', signal });
  if (!res.ok) {
    if (res.status === 401) notifyUnauthorized();
    let message = `GET ${UNIT_POSITIONS_PATH} failed with HTTP ${res.status}`;
    let code = `http_${res.status}`;
    try {
      const b = (await res.json()) as { error?: string; message?: string };
      message = b.message ?? message;
      code = b.error ?? code;
    } catch {
      // not JSON: keep the generic message
    }
    throw new ApiError(res.status, code, message);
  }
  return decodeUnitPositions(await res.arrayBuffer());
}

export async function loadUnits(store: UnitStore, signal?: AbortSignal): Promise<{ count: number; rates: Map<number, RegionRate> }> {
  const p = await fetchUnitPositions(signal);
  store.setPositions(p);
  return { count: p.count, rates: regionRatesOfPositions(p) };
}
