// Loads every unit in the caller's jurisdiction into the typed-array store, paging through
// GET /api/units (500 per page, the API's maximum), a few pages at a time.
import { unitListSchema, type UnitSummary } from '@firelink/common';
import { api } from '../api/http.ts';
import type { RegionRate } from '../map/layers.ts';
import type { UnitInput, UnitStore } from '../model/unit-store.ts';

const PAGE = 500;
const PARALLEL = 4;
/** Safety cap on what one page load pulls (units). */
const MAX_UNITS = 200_000;

export function unitInput(u: UnitSummary): UnitInput | null {
  if (!u.lonLatWgs84) return null;
  return {
    id: u.id,
    lonWgs84: u.lonLatWgs84[0],
    latWgs84: u.lonLatWgs84[1],
    open: u.onboardingState === 'open',
    highRisk: u.highRisk,
    hasControlRoom: u.hasControlRoom,
    online: u.devicesTotal === 0 ? u.onboardingState === 'open' : u.devicesOnline > 0,
  };
}

/** Connection rate per region from the unit list (DESIGN.md glossary definition). */
export function regionRatesOf(units: readonly UnitSummary[], target = 0.6): Map<number, RegionRate> {
  const acc = new Map<number, { open: number; all: number }>();
  for (const u of units) {
    if (u.regionAdcode === null || !u.hasControlRoom) continue;
    const a = acc.get(u.regionAdcode) ?? { open: 0, all: 0 };
    a.all++;
    if (u.onboardingState === 'open') a.open++;
    acc.set(u.regionAdcode, a);
  }
  const out = new Map<number, RegionRate>();
  for (const [code, a] of acc) out.set(code, { rate: a.all ? a.open / a.all : null, target });
  return out;
}

export async function loadUnits(store: UnitStore, signal?: AbortSignal): Promise<{ units: UnitSummary[]; rates: Map<number, RegionRate> }> {
  const first = await api(`/api/units?limit=${PAGE}&offset=0`, unitListSchema, { signal });
  const all: UnitSummary[] = [...first.items];
  const total = Math.min(first.total, MAX_UNITS);
  const offsets: number[] = [];
  for (let o = PAGE; o < total; o += PAGE) offsets.push(o);
  for (let i = 0; i < offsets.length; i += PARALLEL) {
    const pages = await Promise.all(
      offsets.slice(i, i + PARALLEL).map((o) => api(`/api/units?limit=${PAGE}&offset=${o}`, unitListSchema, { signal })),
    );
    for (const p of pages) all.push(...p.items);
  }
  const inputs: UnitInput[] = [];
  for (const u of all) {
    const x = unitInput(u);
    if (x) inputs.push(x);
  }
  store.setUnits(inputs);
  return { units: all, rates: regionRatesOf(all) };
}
