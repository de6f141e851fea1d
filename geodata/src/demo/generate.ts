// The synthetic demo city, generated deterministically from a seed (pure: no I/O).
// Everything here is fiction placed inside real district boundaries and is labelled so:
// names carry （模拟）, rows carry synthetic = true.
//
// Nanjing gets a drivable road grid (arterials every 1.6 km, local streets every 400 m,
// some one-way streets downtown) cut by the Yangtze and the Qinhuai, which are crossed
// only at bridges; units sit in the blocks between streets, denser towards 新街口.
// The other twelve cities get a lighter sprinkle of units and one station each.
import { booleanPointInPolygon, buffer, lineString, point } from '@turf/turf';
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import { CITIES, DISTRICTS } from '../regions/jiangsu.ts';
import { seededRandom } from '@firelink/common';

export interface DemoOptions {
  seed: number;
  /** Units in Nanjing (the issue asks for at least 2,000). */
  nanjingUnits: number;
  /** Units in each of the other twelve cities. */
  unitsPerOtherCity: number;
  /** Upper bound on points per unit (50–3,000 in the full demo; lower it for fast tests). */
  maxPointsPerUnit: number;
  /** Road grid in Nanjing. */
  roads: boolean;
  /** Share (0–1) of free block quadrants downtown that get a building without a unit. */
  fillerBuildingShare: number;
}

export const FULL_DEMO: DemoOptions = {
  seed: 20260101,
  nanjingUnits: 2400,
  unitsPerOtherCity: 45,
  maxPointsPerUnit: 3000,
  roads: true,
  fillerBuildingShare: 0.3,
};

export type DistrictGeometry = { adcode: number; geometry: Polygon | MultiPolygon };

export interface DemoBuilding {
  externalId: string;
  name: string | null;
  /** WGS84 ring (closed). */
  ring: Array<[number, number]>;
  floorsAbove: number;
  floorsBelow: number;
  heightM: number;
}

export interface DemoUnit {
  externalId: string;
  name: string;
  address: string;
  category: string;
  hasControlRoom: boolean;
  controlRoomPhone: string;
  onboardingState: 'registered' | 'collecting' | 'verified' | 'reviewed' | 'open';
  lonLatWgs84: [number, number];
  buildingExternalId: string;
  districtAdcode: number;
  /** Points to generate (50–3,000, skewed). */
  pointCount: number;
  deviceAddress: number;
  openedAt: string | null;
  contacts: Array<{ role: string; name: string; phone: string }>;
}

export interface DemoStation {
  externalId: string;
  name: string;
  class: 'special' | 'first' | 'second' | 'small';
  lonLatWgs84: [number, number];
  apparatus: Array<{ type: string; count: number }>;
  phone: string;
}

export interface DemoRoad {
  externalId: string;
  name: string;
  class: 'arterial' | 'local';
  oneway: 0 | 1;
  isBridge: boolean;
  speedKmh: number;
  lengthM: number;
  source: number;
  target: number;
  /** From source to target. */
  line: Array<[number, number]>;
}

export interface DemoWater {
  externalId: string;
  class: string;
  name: string;
  geometry: Polygon | MultiPolygon;
}

export interface DemoCity {
  buildings: DemoBuilding[];
  units: DemoUnit[];
  stations: DemoStation[];
  roads: DemoRoad[];
  vertices: Array<{ id: number; lonLatWgs84: [number, number] }>;
  water: DemoWater[];
}


// Metres per degree near 32°N (Nanjing); good to a fraction of a percent across Jiangsu.
const M_PER_DEG_LAT = 110_900;
const mPerDegLon = (lat: number) => 111_320 * Math.cos((lat * Math.PI) / 180);

/** 新街口, the centre the unit density falls off from. */
const NANJING_CENTRE: [number, number] = [118.784, 32.041];

function distM(a: readonly [number, number], b: readonly [number, number]): number {
  const dx = (a[0] - b[0]) * mPerDegLon(a[1]);
  const dy = (a[1] - b[1]) * M_PER_DEG_LAT;
  return Math.hypot(dx, dy);
}

// Approximate centre lines (WGS84) of the two rivers the road grid must respect.
const YANGTZE: Array<[number, number]> = [
  [118.38, 31.73], [118.48, 31.83], [118.58, 31.93], [118.64, 31.98], [118.69, 32.03],
  [118.72, 32.08], [118.745, 32.115], [118.78, 32.15], [118.83, 32.175], [118.9, 32.19],
  [119.0, 32.22], [119.1, 32.24], [119.25, 32.25],
];
const QINHUAI: Array<[number, number]> = [
  [118.9, 31.85], [118.86, 31.93], [118.82, 31.98], [118.8, 32.01], [118.78, 32.02],
  [118.75, 32.02], [118.72, 32.03], [118.69, 32.035],
];
/** Where the Yangtze is bridged (or tunnelled): 南京长江大桥, 二桥, 三桥, 四桥, 隧道. */
const YANGTZE_CROSSINGS: Array<[number, number]> = [
  [118.745, 32.11], [118.83, 32.17], [118.665, 32.0], [118.9, 32.19], [118.715, 32.065],
];

interface Poly {
  feature: Feature<Polygon | MultiPolygon>;
  bbox: [number, number, number, number];
}
function makePoly(geometry: Polygon | MultiPolygon): Poly {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const rings = geometry.type === 'Polygon' ? [geometry.coordinates[0]!] : geometry.coordinates.map((p) => p[0]!);
  for (const r of rings) for (const [x, y] of r) {
    if (x! < minX) minX = x!;
    if (y! < minY) minY = y!;
    if (x! > maxX) maxX = x!;
    if (y! > maxY) maxY = y!;
  }
  return { feature: { type: 'Feature', properties: {}, geometry }, bbox: [minX, minY, maxX, maxY] };
}
function inPoly(p: Poly, lonLat: readonly [number, number]): boolean {
  const [x, y] = lonLat;
  if (x < p.bbox[0] || x > p.bbox[2] || y < p.bbox[1] || y > p.bbox[3]) return false;
  return booleanPointInPolygon(point([x, y]), p.feature);
}

interface CategorySpec {
  code: string;
  weight: number;
  nouns: string[];
  floors: [number, number];
  below: [number, number];
  /** Footprint side lengths, metres. */
  size: [number, number];
  /** Median point count. */
  points: number;
}
const CATEGORIES: CategorySpec[] = [
  { code: 'office', weight: 17, nouns: ['大厦', '商务中心', '写字楼'], floors: [8, 30], below: [1, 3], size: [35, 60], points: 250 },
  { code: 'high_rise_residential', weight: 14, nouns: ['花园', '公寓', '小区'], floors: [18, 33], below: [1, 2], size: [25, 45], points: 180 },
  { code: 'high_rise', weight: 9, nouns: ['国际中心', '金融大厦', '广场'], floors: [25, 60], below: [2, 4], size: [40, 70], points: 450 },
  { code: 'mall', weight: 8, nouns: ['购物中心', '商厦', '商业广场'], floors: [4, 8], below: [1, 3], size: [70, 140], points: 600 },
  { code: 'hotel', weight: 8, nouns: ['大酒店', '宾馆', '国际饭店'], floors: [6, 28], below: [1, 2], size: [35, 60], points: 300 },
  { code: 'hospital', weight: 4, nouns: ['人民医院', '中医院', '医院'], floors: [6, 22], below: [1, 2], size: [50, 100], points: 450 },
  { code: 'entertainment', weight: 5, nouns: ['影城', 'KTV', '娱乐中心'], floors: [2, 6], below: [0, 1], size: [30, 60], points: 150 },
  { code: 'school', weight: 7, nouns: ['中学', '小学', '学院'], floors: [3, 6], below: [0, 1], size: [40, 90], points: 180 },
  { code: 'elderly_care', weight: 4, nouns: ['养老院', '颐养中心'], floors: [3, 8], below: [0, 1], size: [30, 55], points: 120 },
  { code: 'factory', weight: 8, nouns: ['制造厂', '电子厂', '机械厂'], floors: [1, 4], below: [0, 0], size: [60, 150], points: 140 },
  { code: 'chemical', weight: 2, nouns: ['化工厂', '加油站', '燃气站'], floors: [1, 3], below: [0, 0], size: [40, 120], points: 90 },
  { code: 'warehouse', weight: 6, nouns: ['物流仓库', '仓储中心'], floors: [1, 3], below: [0, 0], size: [60, 150], points: 110 },
  { code: 'transport_hub', weight: 1, nouns: ['客运站', '地铁枢纽'], floors: [2, 5], below: [1, 3], size: [80, 150], points: 900 },
  { code: 'cultural', weight: 2, nouns: ['博物馆', '古建筑群', '文化馆'], floors: [1, 4], below: [0, 1], size: [30, 80], points: 100 },
  { code: 'underground', weight: 2, nouns: ['地下商业街', '地下车库'], floors: [0, 1], below: [1, 3], size: [60, 140], points: 260 },
  { code: 'other', weight: 3, nouns: ['综合楼', '服务中心'], floors: [2, 10], below: [0, 1], size: [25, 50], points: 100 },
];
const TOTAL_WEIGHT = CATEGORIES.reduce((s, c) => s + c.weight, 0);
const NAME_WORDS = ['金陵', '钟山', '紫金', '秦淮', '玄武', '石城', '白下', '建康', '凤凰', '龙江', '河西', '仙林', '麒麟', '燕子矶', '雨花', '长江', '江宁', '清凉', '鸡鸣', '莫愁', '汉中', '中山', '珠江', '湖南', '太平', '御道', '锦绣', '新城', '东方', '华美'];
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '朱', '马', '胡'];

const pick = <T>(rnd: () => number, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const between = (rnd: () => number, [a, b]: readonly [number, number]) => a + Math.floor(rnd() * (b - a + 1));

/** Log-normal point count around `median`, clamped to [50, max]. */
function pointCount(rnd: () => number, median: number, max: number): number {
  // Box–Muller; sigma 0.6 gives "most units a few hundred", a tail to thousands.
  const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  return Math.max(Math.min(50, max), Math.min(max, Math.round(median * Math.exp(0.6 * z))));
}

function rectangle(c: [number, number], wM: number, hM: number, angle: number): Array<[number, number]> {
  const kx = 1 / mPerDegLon(c[1]);
  const ky = 1 / M_PER_DEG_LAT;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const corners: Array<[number, number]> = [[-wM / 2, -hM / 2], [wM / 2, -hM / 2], [wM / 2, hM / 2], [-wM / 2, hM / 2]];
  const ring = corners.map(([x, y]) => [
    +(c[0] + (x * cos - y * sin) * kx).toFixed(7),
    +(c[1] + (x * sin + y * cos) * ky).toFixed(7),
  ]) as Array<[number, number]>;
  ring.push([...ring[0]!] as [number, number]);
  return ring;
}

function onboardingState(rnd: () => number): DemoUnit['onboardingState'] {
  const r = rnd();
  if (r < 0.84) return 'open';
  if (r < 0.88) return 'reviewed';
  if (r < 0.92) return 'verified';
  if (r < 0.96) return 'collecting';
  return 'registered';
}

const districtName = (adcode: number) => DISTRICTS.find((d) => d.adcode === adcode)?.name ?? '';
const cityName = (adcode: number) => CITIES.find((c) => c.adcode === Math.floor(adcode / 100) * 100)?.name ?? '';

export function generateDemoCity(districts: DistrictGeometry[], opts: DemoOptions): DemoCity {
  const rnd = seededRandom(opts.seed);
  const polys = new Map(districts.map((d) => [d.adcode, makePoly(d.geometry)]));
  const nanjing = DISTRICTS.filter((d) => d.city === 320100).map((d) => ({ adcode: d.adcode, poly: polys.get(d.adcode)! }));
  const districtOf = (p: readonly [number, number], among: Array<{ adcode: number; poly: Poly }>) =>
    among.find((d) => inPoly(d.poly, p))?.adcode ?? null;

  const water: DemoWater[] = [
    { externalId: 'demo-water-yangtze', class: 'river', name: '长江（模拟轮廓）', geometry: buffer(lineString(YANGTZE), 0.7, { units: 'kilometers' })!.geometry as Polygon },
    { externalId: 'demo-water-qinhuai', class: 'river', name: '秦淮河（模拟轮廓）', geometry: buffer(lineString(QINHUAI), 0.04, { units: 'kilometers' })!.geometry as Polygon },
  ];
  const yangtze = makePoly(water[0]!.geometry);
  const qinhuai = makePoly(water[1]!.geometry);
  const inRiver = (p: readonly [number, number]) => inPoly(yangtze, p) || inPoly(qinhuai, p);

  // ---- Road grid ----------------------------------------------------------------------
  const SPACING_M = 400;
  const ARTERIAL_EVERY = 4;
  const [minLon, minLat, maxLon, maxLat] = [118.58, 31.86, 118.98, 32.24];
  const dLon = SPACING_M / mPerDegLon(32.05);
  const dLat = SPACING_M / M_PER_DEG_LAT;
  const cols = Math.floor((maxLon - minLon) / dLon) + 1;
  const rows = Math.floor((maxLat - minLat) / dLat) + 1;
  const nodeId = (i: number, j: number) => j * cols + i + 1;
  const nodePos: Array<[number, number]> = [];
  const nodeDistrict: Array<number | null> = [];
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      // ±30 m jitter so the grid does not look ruled; deterministic from the seed.
      const p: [number, number] = [
        +(minLon + i * dLon + ((rnd() - 0.5) * 60) / mPerDegLon(32.05)).toFixed(7),
        +(minLat + j * dLat + ((rnd() - 0.5) * 60) / M_PER_DEG_LAT).toFixed(7),
      ];
      nodePos[nodeId(i, j)] = p;
      nodeDistrict[nodeId(i, j)] = districtOf(p, nanjing);
    }
  }
  const roads: DemoRoad[] = [];
  const keptNodes = new Set<number>();
  if (opts.roads) {
    const candidates: DemoRoad[] = [];
    const addEdge = (a: number, b: number, horizontal: boolean, line: number, idx: number) => {
      const pa = nodePos[a]!;
      const pb = nodePos[b]!;
      if (nodeDistrict[a] == null || nodeDistrict[b] == null) return;
      const arterial = line % ARTERIAL_EVERY === 0;
      const samples: Array<[number, number]> = [];
      for (let k = 0; k <= 8; k++) samples.push([pa[0] + ((pb[0] - pa[0]) * k) / 8, pa[1] + ((pb[1] - pa[1]) * k) / 8]);
      const crossesYangtze = samples.some((s) => inPoly(yangtze, s));
      const crossesQinhuai = samples.some((s) => inPoly(qinhuai, s));
      const mid: [number, number] = [(pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2];
      if (crossesYangtze && !(arterial && YANGTZE_CROSSINGS.some((c) => distM(c, mid) < 2500))) return;
      if (crossesQinhuai && !(arterial || line % 2 === 0)) return;
      const downtown = distM(mid, NANJING_CENTRE) < 5000;
      // Downtown one-way pairs on every 8th local street: +2 runs with the grid, +6 against.
      let [s, t] = [a, b];
      let oneway: 0 | 1 = 0;
      if (!arterial && downtown && (line % 8 === 2 || line % 8 === 6)) {
        oneway = 1;
        if (line % 8 === 6) [s, t] = [b, a];
      }
      const isBridge = crossesYangtze || crossesQinhuai;
      const speedKmh = arterial ? (isBridge ? 60 : 50) : 30;
      const lengthM = distM(nodePos[s]!, nodePos[t]!);
      const ord = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];
      const num = (n: number) => (n < 10 ? ord[n]! : String(n + 1));
      const name = arterial
        ? `${horizontal ? '纬' : '经'}${num(line / ARTERIAL_EVERY)}路（模拟）`
        : `${horizontal ? '东西' : '南北'}${line}街（模拟）`;
      candidates.push({
        externalId: `demo-road-${horizontal ? 'h' : 'v'}-${line}-${idx}`,
        name: isBridge && crossesYangtze ? `${name.replace('（模拟）', '')}长江大桥（模拟）` : name,
        class: arterial ? 'arterial' : 'local',
        oneway,
        isBridge,
        speedKmh,
        lengthM,
        source: s,
        target: t,
        line: [nodePos[s]!, nodePos[t]!],
      });
    };
    for (let j = 0; j < rows; j++) for (let i = 0; i + 1 < cols; i++) addEdge(nodeId(i, j), nodeId(i + 1, j), true, j, i);
    for (let i = 0; i < cols; i++) for (let j = 0; j + 1 < rows; j++) addEdge(nodeId(i, j), nodeId(i, j + 1), false, i, j);
    // Keep the largest connected component (undirected): a drivable network has no islands.
    const adj = new Map<number, number[]>();
    for (const e of candidates) {
      (adj.get(e.source) ?? adj.set(e.source, []).get(e.source)!).push(e.target);
      (adj.get(e.target) ?? adj.set(e.target, []).get(e.target)!).push(e.source);
    }
    const comp = new Map<number, number>();
    const sizes: number[] = [];
    for (const start of adj.keys()) {
      if (comp.has(start)) continue;
      const c = sizes.length;
      let n = 0;
      const stack = [start];
      comp.set(start, c);
      while (stack.length) {
        const v = stack.pop()!;
        n++;
        for (const w of adj.get(v)!) if (!comp.has(w)) { comp.set(w, c); stack.push(w); }
      }
      sizes.push(n);
    }
    const biggest = sizes.indexOf(Math.max(...sizes));
    for (const e of candidates) {
      if (comp.get(e.source) !== biggest) continue;
      roads.push(e);
      keptNodes.add(e.source);
      keptNodes.add(e.target);
    }
  }
  const vertices = [...keptNodes].sort((a, b) => a - b).map((id) => ({ id, lonLatWgs84: nodePos[id]! }));

  // ---- Units and buildings in Nanjing ---------------------------------------------------
  const buildings: DemoBuilding[] = [];
  const units: DemoUnit[] = [];
  const usedQuadrants = new Set<string>();
  let unitSeq = 0;
  let buildingSeq = 0;
  const addUnit = (centre: [number, number], adcode: number, maxHalfM: number) => {
    let r = rnd() * TOTAL_WEIGHT;
    const spec = CATEGORIES.find((c) => (r -= c.weight) < 0) ?? CATEGORIES[0]!;
    const floorsAbove = between(rnd, spec.floors);
    const floorsBelow = between(rnd, spec.below);
    const w = Math.min(maxHalfM * 2, spec.size[0] + rnd() * (spec.size[1] - spec.size[0]));
    const h = Math.min(maxHalfM * 2, w * (0.5 + rnd() * 0.5));
    const angle = (rnd() - 0.5) * 0.3;
    const bId = `demo-b-${String(++buildingSeq).padStart(6, '0')}`;
    const word = pick(rnd, NAME_WORDS);
    const noun = pick(rnd, spec.nouns);
    const seq = ++unitSeq;
    const name = `${word}${noun}${seq % 7 === 0 ? `${(seq % 9) + 1}号楼` : ''}（模拟）`;
    buildings.push({
      externalId: bId,
      name,
      ring: rectangle(centre, w, h, angle),
      floorsAbove: Math.max(1, floorsAbove),
      floorsBelow,
      heightM: Math.round(Math.max(1, floorsAbove) * (3.2 + rnd() * 1.3) * 10) / 10,
    });
    const state = onboardingState(rnd);
    const openedDays = Math.floor(rnd() * 900);
    const fixedBase = Date.UTC(2024, 0, 1);
    units.push({
      externalId: `demo-u-${String(seq).padStart(6, '0')}`,
      name,
      address: `${cityName(adcode)}${districtName(adcode)}${word}路${between(rnd, [1, 399])}号（模拟地址）`,
      category: spec.code,
      hasControlRoom: rnd() < 0.95,
      controlRoomPhone: `025-8${String(between(rnd, [0, 9_999_999])).padStart(7, '0')}`,
      onboardingState: state,
      lonLatWgs84: centre,
      buildingExternalId: bId,
      districtAdcode: adcode,
      pointCount: pointCount(rnd, spec.points, opts.maxPointsPerUnit),
      // GB/T 26875 UITD address: 6 bytes; 0x32_01_xx… keeps demo devices recognisable.
      deviceAddress: 0x3201_0000_0000 + seq,
      openedAt: state === 'open' ? new Date(fixedBase + openedDays * 86_400_000).toISOString() : null,
      contacts: [
        { role: 'responsible', name: `${pick(rnd, SURNAMES)}某（模拟）`, phone: `139${String(between(rnd, [0, 99_999_999])).padStart(8, '0')}` },
        { role: 'control_room', name: `值班员${pick(rnd, SURNAMES)}（模拟）`, phone: `025-8${String(between(rnd, [0, 9_999_999])).padStart(7, '0')}` },
      ],
    });
  };
  const quadrantCentre = (i: number, j: number, q: number): [number, number] => {
    const a = nodePos[nodeId(i, j)]!;
    const c = nodePos[nodeId(i + 1, j + 1)]!;
    const fx = q % 2 === 0 ? 0.27 : 0.73;
    const fy = q < 2 ? 0.27 : 0.73;
    return [+(a[0] + (c[0] - a[0]) * fx).toFixed(7), +(a[1] + (c[1] - a[1]) * fy).toFixed(7)];
  };
  // Units take block quadrants whose block corners are all on the road network (or, with
  // roads off, inside Nanjing), accepted with a probability falling off from the centre.
  const cellOk = (i: number, j: number) =>
    opts.roads
      ? keptNodes.has(nodeId(i, j)) && keptNodes.has(nodeId(i + 1, j)) && keptNodes.has(nodeId(i, j + 1)) && keptNodes.has(nodeId(i + 1, j + 1))
      : [nodeId(i, j), nodeId(i + 1, j + 1)].every((n) => nodeDistrict[n] != null && !inRiver(nodePos[n]!));
  let guard = 0;
  while (units.length < opts.nanjingUnits && guard++ < opts.nanjingUnits * 400) {
    const i = Math.floor(rnd() * (cols - 1));
    const j = Math.floor(rnd() * (rows - 1));
    const q = Math.floor(rnd() * 4);
    const key = `${i},${j},${q}`;
    if (usedQuadrants.has(key) || !cellOk(i, j)) continue;
    const c = quadrantCentre(i, j, q);
    if (rnd() > Math.exp(-distM(c, NANJING_CENTRE) / 4500) + 0.02) continue;
    const adcode = districtOf(c, nanjing);
    if (adcode == null || inRiver(c)) continue;
    usedQuadrants.add(key);
    // Quadrant half-width is ~100 m; 75 m keeps footprints off the street centre lines.
    addUnit(c, adcode, 75);
  }
  // Filler buildings (no unit) downtown so the basemap reads as a city.
  for (let j = 0; j + 1 < rows; j++) {
    for (let i = 0; i + 1 < cols; i++) {
      for (let q = 0; q < 4; q++) {
        if (usedQuadrants.has(`${i},${j},${q}`) || !cellOk(i, j)) continue;
        const c = quadrantCentre(i, j, q);
        if (distM(c, NANJING_CENTRE) > 9000 || rnd() > opts.fillerBuildingShare || inRiver(c)) continue;
        const floors = between(rnd, [2, 18]);
        buildings.push({
          externalId: `demo-b-${String(++buildingSeq).padStart(6, '0')}`,
          name: null,
          ring: rectangle(c, 20 + rnd() * 50, 15 + rnd() * 35, (rnd() - 0.5) * 0.3),
          floorsAbove: floors,
          floorsBelow: rnd() < 0.3 ? 1 : 0,
          heightM: Math.round(floors * 3.2 * 10) / 10,
        });
      }
    }
  }

  // ---- Other cities: a sprinkle of units near the city's urban districts ----------------
  for (const city of CITIES) {
    if (city.adcode === 320100) continue;
    const urban = DISTRICTS.filter((d) => d.city === city.adcode && d.name.endsWith('区')).map((d) => ({
      adcode: d.adcode,
      poly: polys.get(d.adcode)!,
    }));
    const core = urban[0]!;
    const centre: [number, number] = [(core.poly.bbox[0] + core.poly.bbox[2]) / 2, (core.poly.bbox[1] + core.poly.bbox[3]) / 2];
    let placed = 0;
    let tries = 0;
    const cityUnits: DemoUnit[] = [];
    while (placed < opts.unitsPerOtherCity && tries++ < 20000) {
      const p: [number, number] = [
        +(centre[0] + ((rnd() - 0.5) * 16000) / mPerDegLon(centre[1])).toFixed(7),
        +(centre[1] + ((rnd() - 0.5) * 16000) / M_PER_DEG_LAT).toFixed(7),
      ];
      const adcode = districtOf(p, urban);
      if (adcode == null || cityUnits.some((u) => distM(u.lonLatWgs84, p) < 200)) continue;
      addUnit(p, adcode, 60);
      cityUnits.push(units[units.length - 1]!);
      placed++;
    }
  }

  // ---- Stations ------------------------------------------------------------------------
  // Downtown a lattice at 2.6 km (a first-class station district is ≤ 7 km²); further out
  // 6.5 km; each snapped next to the nearest network vertex.
  const stations: DemoStation[] = [];
  let stationSeq = 0;
  // Station names are unique: a word already used in the district takes the next free word
  // (no extra draw from rnd, so the rest of the city is unchanged).
  const stationNames = new Set<string>();
  const stationName = (adcode: number, special: boolean): string => {
    const first = Math.floor(rnd() * NAME_WORDS.length);
    const name = (i: number) => `${districtName(adcode)}${NAME_WORDS[i % NAME_WORDS.length]}${special ? '特勤' : ''}消防救援站（模拟）`;
    let i = first;
    while (stationNames.has(name(i)) && i < first + NAME_WORDS.length) i++;
    stationNames.add(name(i));
    return name(i);
  };
  const addStation = (p: [number, number], cls: DemoStation['class'], adcode: number) => {
    const n = ++stationSeq;
    const base = [{ type: '水罐消防车', count: cls === 'small' ? 1 : 2 }, { type: '抢险救援消防车', count: 1 }];
    if (cls === 'special') base.push({ type: '登高平台消防车', count: 2 }, { type: '泡沫消防车', count: 1 });
    if (cls === 'first') base.push({ type: '登高平台消防车', count: 1 });
    stations.push({
      externalId: `demo-s-${String(n).padStart(3, '0')}`,
      name: stationName(adcode, cls === 'special'),
      class: cls,
      lonLatWgs84: p,
      apparatus: base,
      phone: `025-8${String(between(rnd, [0, 9_999_999])).padStart(7, '0')}`,
    });
  };
  const near = (p: [number, number]): [number, number] | null => {
    let best: [number, number] | null = null;
    let bestD = Infinity;
    for (const v of vertices) {
      const d = distM(v.lonLatWgs84, p);
      if (d < bestD) { bestD = d; best = v.lonLatWgs84; }
    }
    return best && bestD < 1500 ? [+(best[0] + 25 / mPerDegLon(best[1])).toFixed(7), +(best[1] + 25 / M_PER_DEG_LAT).toFixed(7)] : null;
  };
  const lattice = (stepM: number, accept: (p: [number, number]) => boolean, cls: (p: [number, number]) => DemoStation['class']) => {
    const sx = stepM / mPerDegLon(32.05);
    const sy = (stepM * Math.sqrt(3)) / 2 / M_PER_DEG_LAT;
    for (let y = minLat, row = 0; y <= maxLat; y += sy, row++) {
      for (let x = minLon + (row % 2 ? sx / 2 : 0); x <= maxLon; x += sx) {
        const p: [number, number] = [x, y];
        if (!accept(p) || inRiver(p)) continue;
        const s = opts.roads ? near(p) : p;
        if (!s || inRiver(s)) continue;
        const adcode = districtOf(s, nanjing);
        if (adcode != null) addStation(s, cls(s), adcode);
      }
    }
  };
  lattice(2600, (p) => distM(p, NANJING_CENTRE) <= 6500, (p) => (distM(p, NANJING_CENTRE) < 1800 ? 'special' : 'first'));
  lattice(7000, (p) => distM(p, NANJING_CENTRE) > 8000, () => 'second');
  for (const city of CITIES) {
    if (city.adcode === 320100) continue;
    const cityUnits = units.filter((u) => Math.floor(u.districtAdcode / 100) * 100 === city.adcode);
    if (cityUnits.length === 0) continue;
    const c = cityUnits[0]!.lonLatWgs84;
    addStation([+(c[0] + 0.004).toFixed(7), c[1]], 'first', cityUnits[0]!.districtAdcode);
  }
  // Stations placed on a lattice may land in another district than the lattice's; the
  // loader ties every station to its district by point-in-polygon anyway.
  return { buildings, units, stations, roads, vertices, water };
}
