// Row mapping and validation per target layer: recognises English, OSM/Geofabrik and
// Chinese column names, converts coordinates to WGS84, and returns either a clean record
// or a reason the row is rejected. Pure (no I/O).
import type { Geometry, Position } from 'geojson';
import { z } from 'zod';
import { convertGeometry, toWgs84Fn, type Crs } from '../crs/index.ts';
import type { SourceRow } from './read.ts';

export const IMPORT_LAYERS = ['regions', 'units', 'buildings', 'stations', 'roads', 'points', 'landuse', 'water', 'water_sources'] as const;
export type ImportLayer = (typeof IMPORT_LAYERS)[number];

export type Mapped<T> = { ok: true; record: T } | { ok: false; reason: string } | { ok: 'skip'; reason: string };

const norm = (k: string) => k.trim().toLowerCase().replace(/[\s_\-:：]/g, '');
/** First non-empty value among the aliases (matched ignoring case, spaces, _ - :). */
export function field(props: Record<string, unknown>, aliases: string[]): string | undefined {
  const want = new Set(aliases.map(norm));
  for (const [k, v] of Object.entries(props)) {
    if (!want.has(norm(k))) continue;
    if (v == null) continue;
    const s = String(v).trim();
    if (s !== '') return s;
  }
  return undefined;
}

const ID = ['external_id', 'externalid', 'id', '@id', 'osm_id', 'osmid', '编号', '编码', '外部编号', '唯一编号'];
const NAME = ['name', 'name:zh', '名称', '名字'];

const TRUE_WORDS = new Set(['1', 'true', 't', 'yes', 'y', '是', '有', '√']);
const FALSE_WORDS = new Set(['0', 'false', 'f', 'no', 'n', '否', '无', '×']);
function bool(v: string | undefined, dflt: boolean): boolean | null {
  if (v === undefined) return dflt;
  const s = v.toLowerCase();
  if (TRUE_WORDS.has(s)) return true;
  if (FALSE_WORDS.has(s)) return false;
  return null;
}

/** China's rough extent: anything outside is a CRS or column mix-up. */
function outsideChina(g: Geometry): string | null {
  let bad: Position | null = null;
  const visit = (c: unknown): void => {
    if (bad) return;
    if (Array.isArray(c) && typeof c[0] === 'number') {
      const [x, y] = c as number[];
      if (!(x! >= 73 && x! <= 136 && y! >= 3 && y! <= 54)) bad = c as Position;
      return;
    }
    (c as unknown[]).forEach(visit);
  };
  visit((g as { coordinates: unknown }).coordinates);
  if (!bad) return null;
  const [x, y] = bad as number[];
  if (y! >= 73 && y! <= 136 && x! >= 3 && x! <= 54) return `coordinates (${x}, ${y}) look swapped: longitude comes first`;
  if (Math.abs(x!) > 180 || Math.abs(y!) > 90) return `coordinates (${x}, ${y}) look like metres: pass --crs epsg3857`;
  return `coordinates (${x}, ${y}) lie outside China; check the --crs and the lon/lat columns`;
}

function ringsOk(g: Geometry): string | null {
  const ring = (r: Position[]) =>
    r.length >= 4 && r[0]![0] === r[r.length - 1]![0] && r[0]![1] === r[r.length - 1]![1] ? null : 'a polygon ring must be closed with at least 4 positions';
  switch (g.type) {
    case 'Polygon':
      return g.coordinates.map(ring).find((x) => x) ?? null;
    case 'MultiPolygon':
      return g.coordinates.flat().map(ring).find((x) => x) ?? null;
    case 'LineString':
      return g.coordinates.length >= 2 ? null : 'a line needs at least 2 positions';
    case 'MultiLineString':
      return g.coordinates.every((l) => l.length >= 2) ? null : 'a line needs at least 2 positions';
    default:
      return null;
  }
}

function geometryFor(row: SourceRow, crs: Crs, allowed: Geometry['type'][], required: boolean): Mapped<Geometry | null> {
  if (row.geometryError) return { ok: false, reason: row.geometryError };
  if (!row.geometry) return required ? { ok: false, reason: `no geometry: give ${allowed.join('/')} (GeoJSON geometry, WKT column, or lon/lat columns)` } : { ok: true, record: null };
  if (!allowed.includes(row.geometry.type)) return { ok: false, reason: `geometry is ${row.geometry.type}; this layer takes ${allowed.join('/')}` };
  const bad = ringsOk(row.geometry);
  if (bad) return { ok: false, reason: bad };
  const g = convertGeometry(row.geometry, toWgs84Fn(crs));
  const out = outsideChina(g);
  if (out) return { ok: false, reason: out };
  return { ok: true, record: g };
}

// ---------------------------------------------------------------------------------------
export interface RegionRecord { adcode: number; name: string; geometry: Geometry }
export interface UnitRecord {
  externalId: string; name: string; address: string | null; category: string; hasControlRoom: boolean;
  controlRoomPhone: string | null; onboardingState: string | null; geometry: Geometry | null;
}
export interface BuildingRecord { externalId: string; name: string | null; floorsAbove: number; floorsBelow: number; heightM: number | null; geometry: Geometry }
export interface StationRecord { externalId: string; name: string; class: string; phone: string | null; geometry: Geometry }
export interface RoadRecord { externalId: string; name: string | null; class: string; oneway: -1 | 0 | 1; isBridge: boolean; speedKmh: number; geometry: Geometry }
export interface PointRecord {
  externalId: string; unitExternalId: string; systemType: number; systemAddress: number; componentType: number;
  componentAddress: number; floor: number | null; label: string | null; geometry: Geometry | null;
}
export interface AreaRecord { externalId: string; class: string; name: string | null; geometry: Geometry }

/** A hydrant (消火栓), fire pond (消防水池) or natural source (天然水源) with its status. */
export interface WaterSourceRecord {
  externalId: string; kind: 'hydrant' | 'pool' | 'natural'; name: string | null; status: 'usable' | 'out_of_service' | 'under_repair';
  flowLps: number | null; capacityM3: number | null; address: string | null; geometry: Geometry;
}

export type LayerRecord = RegionRecord | UnitRecord | BuildingRecord | StationRecord | RoadRecord | PointRecord | AreaRecord | WaterSourceRecord;

/** Category codes and Chinese names from unit_categories (the importer loads them). */
export type Categories = Map<string, string>;

const STATE_WORDS: Record<string, string> = {
  registered: 'registered', 登记: 'registered', 已登记: 'registered', 注册: 'registered',
  collecting: 'collecting', 信息采集: 'collecting', 采集中: 'collecting',
  verified: 'verified', 现场核实: 'verified', 已核实: 'verified',
  reviewed: 'reviewed', 已审核: 'reviewed', 审核通过: 'reviewed',
  open: 'open', 开通: 'open', 已开通: 'open', 已联网: 'open',
  suspended: 'suspended', 暂停: 'suspended', closed: 'closed', 注销: 'closed',
};
const WATER_KIND: Array<[RegExp, WaterSourceRecord['kind']]> = [
  [/hydrant|消火栓|消防栓/i, 'hydrant'], [/pool|cistern|tank|水池|水箱|水鹤/i, 'pool'], [/natural|suction|river|lake|pond|天然|取水|河|湖|塘|水库/i, 'natural'],
];
const WATER_STATUS: Array<[RegExp, WaterSourceRecord['status']]> = [
  [/repair|维修|在修|修理/i, 'under_repair'], [/out|停用|损坏|故障|不可用|无水|disabled|broken/i, 'out_of_service'], [/usable|ok|可用|正常|完好|良好/i, 'usable'],
];
const STATION_CLASS: Array<[RegExp, string]> = [
  [/special|特勤/i, 'special'], [/small|小型|微型/i, 'small'], [/second|二级/i, 'second'], [/first|一级|普通/i, 'first'],
];
// Default speeds (km/h) by road class, OSM/Geofabrik names and our own.
export const ROAD_SPEEDS_KMH: Record<string, number> = {
  motorway: 80, motorway_link: 50, trunk: 60, trunk_link: 40, primary: 50, primary_link: 35, secondary: 40,
  secondary_link: 30, tertiary: 35, tertiary_link: 25, arterial: 50, unclassified: 25, residential: 25,
  living_street: 10, service: 15, local: 30, road: 25, 快速路: 70, 主干路: 50, 次干路: 40, 支路: 30,
};
const NOT_DRIVABLE = new Set(['footway', 'path', 'cycleway', 'steps', 'pedestrian', 'bridleway', 'track', 'track_grade1', 'track_grade2', 'track_grade3', 'track_grade4', 'track_grade5', 'unknown', 'corridor', 'busway', 'construction', 'proposed', 'platform']);

const intIn = (v: string | undefined, dflt: number | null, min: number, max: number): number | null | 'bad' => {
  if (v === undefined) return dflt;
  const n = Number(v.replace(/[^\d.-]/g, ''));
  return Number.isInteger(n) && n >= min && n <= max ? n : 'bad';
};

function externalId(row: SourceRow, fileKey: string): string {
  const id = field(row.props, ID);
  // Rows without an id get one from the file and row, so re-importing the same file upserts.
  return id ?? `${fileKey}#${row.row}`;
}

export function mapRow(layer: ImportLayer, row: SourceRow, ctx: { crs: Crs; fileKey: string; categories: Categories }): Mapped<LayerRecord> {
  const p = row.props;
  switch (layer) {
    case 'regions': {
      const code = Number(field(p, ['adcode', 'district_adcode', 'code', '行政区划代码', '区划代码', '代码']));
      if (!Number.isInteger(code) || code < 110000 || code > 829999) return { ok: false, reason: 'adcode must be a 6-digit national code (e.g. 320102)' };
      const name = field(p, [...NAME, 'district_name', '区划名称']);
      if (!name) return { ok: false, reason: 'name is empty' };
      const g = geometryFor(row, ctx.crs, ['Polygon', 'MultiPolygon'], true);
      if (g.ok !== true) return g;
      return { ok: true, record: { adcode: code, name, geometry: g.record! } };
    }
    case 'units': {
      const name = field(p, [...NAME, '单位名称', 'unit_name']);
      if (!name) return { ok: false, reason: 'name is empty (column name / 单位名称)' };
      const catRaw = field(p, ['category', '类别', '单位类别', '单位类型', '分类']);
      let category = 'other';
      if (catRaw) {
        const hit = ctx.categories.has(catRaw) ? catRaw : [...ctx.categories].find(([, zh]) => zh === catRaw)?.[0];
        if (!hit) return { ok: false, reason: `unknown category "${catRaw}"; use one of ${[...ctx.categories.keys()].join(', ')} or its Chinese name` };
        category = hit;
      }
      const hasRoom = bool(field(p, ['has_control_room', '消防控制室', '有无消防控制室', '消控室']), true);
      if (hasRoom === null) return { ok: false, reason: 'has_control_room must be 是/否 or true/false' };
      const stateRaw = field(p, ['onboarding_state', 'state', '状态', '联网状态']);
      const state = stateRaw ? STATE_WORDS[stateRaw.toLowerCase()] ?? STATE_WORDS[stateRaw] : null;
      if (stateRaw && !state) return { ok: false, reason: `unknown onboarding state "${stateRaw}"; use registered/collecting/verified/reviewed/open` };
      const g = geometryFor(row, ctx.crs, ['Point'], false);
      if (g.ok !== true) return g;
      return {
        ok: true,
        record: {
          externalId: field(p, [...ID, '单位编号', '统一社会信用代码']) ?? externalId(row, ctx.fileKey), name,
          address: field(p, ['address', 'addr', '地址', '单位地址']) ?? null, category, hasControlRoom: hasRoom,
          controlRoomPhone: field(p, ['control_room_phone', 'phone', '消控室电话', '值班电话', '电话']) ?? null,
          onboardingState: state ?? null, geometry: g.record,
        },
      };
    }
    case 'buildings': {
      const above = intIn(field(p, ['floors_above', 'floors', 'building:levels', 'levels', '地上层数', '层数']), null, 0, 200);
      const below = intIn(field(p, ['floors_below', 'building:levels:underground', '地下层数']), 0, 0, 20);
      if (above === 'bad' || below === 'bad') return { ok: false, reason: 'floors must be whole numbers (0–200 above, 0–20 below)' };
      const hRaw = field(p, ['height', 'height_m', '高度', '建筑高度']);
      const height = hRaw === undefined ? null : Number(hRaw.replace(/m$/i, ''));
      if (height !== null && !(height > 0 && height < 1000)) return { ok: false, reason: `height "${hRaw}" is not metres between 0 and 1000` };
      const g = geometryFor(row, ctx.crs, ['Polygon', 'MultiPolygon'], true);
      if (g.ok !== true) return g;
      const floorsAbove = above ?? (height ? Math.max(1, Math.round(height / 3.2)) : 1);
      return {
        ok: true,
        record: { externalId: field(p, [...ID, '建筑编号']) ?? externalId(row, ctx.fileKey), name: field(p, [...NAME, '建筑名称']) ?? null, floorsAbove, floorsBelow: below ?? 0, heightM: height, geometry: g.record! },
      };
    }
    case 'stations': {
      // OSM extracts (Geofabrik pois, Overpass) hold every POI: keep fire stations only.
      const fclass = field(p, ['fclass']);
      const amenity = field(p, ['amenity']);
      if ((fclass !== undefined || amenity !== undefined) && fclass !== 'fire_station' && amenity !== 'fire_station') {
        return { ok: 'skip', reason: `not a fire station (${fclass ?? amenity})` };
      }
      const name = field(p, [...NAME, '站名', '消防站名称', '消防站']) ?? (fclass === 'fire_station' || amenity === 'fire_station' ? '消防站' : undefined);
      if (!name) return { ok: false, reason: 'name is empty (column name / 站名)' };
      const cls = field(p, ['class', '等级', '类型', '站级']);
      const mapped = cls ? STATION_CLASS.find(([re]) => re.test(cls))?.[1] : 'first';
      if (!mapped) return { ok: false, reason: `unknown station class "${cls}"; use 特勤站/一级站/二级站/小型站 or special/first/second/small` };
      const g = geometryFor(row, ctx.crs, ['Point', 'Polygon', 'MultiPolygon'], true);
      if (g.ok !== true) return g;
      return { ok: true, record: { externalId: externalId(row, ctx.fileKey), name, class: mapped, phone: field(p, ['phone', '电话', '值班电话']) ?? null, geometry: g.record! } };
    }
    case 'roads': {
      const cls = (field(p, ['class', 'fclass', 'highway', '道路等级', '等级']) ?? 'local').toLowerCase();
      if (NOT_DRIVABLE.has(cls)) return { ok: 'skip', reason: `not drivable (${cls})` };
      const ow = (field(p, ['oneway', '单行', '单行道']) ?? 'B').toLowerCase();
      // Geofabrik: F = one-way along the line, T = against it, B = both. OSM: yes / -1 / no.
      const oneway: -1 | 0 | 1 = ['f', 'yes', 'true', '1', '是'].includes(ow) ? 1 : ['t', '-1', 'reverse'].includes(ow) ? -1 : 0;
      const isBridge = bool(field(p, ['bridge', '桥梁', '是否桥梁']), false) ?? (field(p, ['bridge']) !== undefined);
      const maxspeed = Number(field(p, ['maxspeed', 'speed_kmh', '限速']) ?? 0);
      const speedKmh = maxspeed > 0 && maxspeed < 150 ? maxspeed : ROAD_SPEEDS_KMH[cls] ?? 30;
      const g = geometryFor(row, ctx.crs, ['LineString', 'MultiLineString'], true);
      if (g.ok !== true) return g;
      return { ok: true, record: { externalId: externalId(row, ctx.fileKey), name: field(p, [...NAME, 'ref', '道路名称']) ?? null, class: cls, oneway, isBridge, speedKmh, geometry: g.record! } };
    }
    case 'points': {
      const unit = field(p, ['unit', 'unit_external_id', 'unit_id', '单位编号', '单位']);
      if (!unit) return { ok: false, reason: 'unit is empty: give the unit\'s external id (column unit / 单位编号)' };
      const systemType = intIn(field(p, ['system_type', '系统类型']), 1, 0, 255);
      const systemAddress = intIn(field(p, ['system_address', '系统地址']), 1, 0, 255);
      const componentType = intIn(field(p, ['component_type', '部件类型']), 0, 0, 255);
      let componentAddress = intIn(field(p, ['component_address', '部件地址', '地址码']), null, 0, 0xffffffff);
      const loop = intIn(field(p, ['loop', '回路', '回路号']), null, 0, 0xffff);
      const pt = intIn(field(p, ['point', '点位', '点号', '地址号']), null, 0, 0xffff);
      if (componentAddress === null && typeof loop === 'number' && typeof pt === 'number') componentAddress = loop * 65536 + pt;
      if (systemType === 'bad' || systemAddress === 'bad' || componentType === 'bad') return { ok: false, reason: 'system/component type and system address must be whole numbers 0–255' };
      if (componentAddress === null || componentAddress === 'bad') return { ok: false, reason: 'component address missing: give component_address (部件地址) or loop + point (回路 + 点位)' };
      const floorRaw = field(p, ['floor', '楼层', '所在楼层']);
      let floor: number | null = null;
      if (floorRaw !== undefined) {
        const m = /^(B|-|地下)?\s*(\d+)\s*(F|层|楼)?$/i.exec(floorRaw);
        if (!m) return { ok: false, reason: `floor "${floorRaw}" is not like 3, 3F, B1 or -1` };
        floor = (m[1] ? -1 : 1) * Number(m[2]);
      }
      const g = geometryFor(row, ctx.crs, ['Point'], false);
      if (g.ok !== true) return g;
      return {
        ok: true,
        record: {
          externalId: field(p, [...ID, '点位编号']) ?? `${unit}/${systemType}/${systemAddress}/${componentAddress}`, unitExternalId: unit,
          systemType: systemType!, systemAddress: systemAddress!, componentType: componentType!, componentAddress, floor,
          label: field(p, ['label', 'description', '描述', '位置', '安装位置']) ?? null, geometry: g.record,
        },
      };
    }
    case 'water_sources': {
      // OSM: emergency=fire_hydrant / water_tank / suction_point; ours: kind / 类型.
      const kindRaw = field(p, ['kind', 'type', 'emergency', '类型', '水源类型', '种类']);
      const kind = kindRaw ? WATER_KIND.find(([re]) => re.test(kindRaw))?.[1] : 'hydrant';
      if (!kind) return { ok: false, reason: `unknown water source kind "${kindRaw}"; use 消火栓/消防水池/天然水源 or hydrant/pool/natural` };
      const statusRaw = field(p, ['status', 'state', '状态', '使用状态', '可用状态']);
      const status = statusRaw ? WATER_STATUS.find(([re]) => re.test(statusRaw))?.[1] : 'usable';
      if (!status) return { ok: false, reason: `unknown status "${statusRaw}"; use 可用/停用/维修中 or usable/out_of_service/under_repair` };
      const num = (aliases: string[]): number | null | 'bad' => {
        const v = field(p, aliases);
        if (v === undefined) return null;
        const n = Number(v.replace(/[^\d.]/g, ''));
        return Number.isFinite(n) && n > 0 && n < 1e6 ? n : 'bad';
      };
      const flowLps = num(['flow_lps', 'flow', 'flow_rate', '流量', '出水量']);
      const capacityM3 = num(['capacity_m3', 'capacity', 'volume', '容量', '储水量', '容积']);
      if (flowLps === 'bad' || capacityM3 === 'bad') return { ok: false, reason: 'flow (L/s) and capacity (m³) must be positive numbers' };
      const g = geometryFor(row, ctx.crs, ['Point'], true);
      if (g.ok !== true) return g;
      return {
        ok: true,
        record: {
          externalId: field(p, [...ID, '水源编号']) ?? externalId(row, ctx.fileKey), kind, name: field(p, [...NAME, '水源名称']) ?? null, status,
          flowLps, capacityM3, address: field(p, ['address', 'addr', '地址', '位置', '设置位置']) ?? null, geometry: g.record!,
        },
      };
    }
    case 'landuse':
    case 'water': {
      const cls = field(p, ['class', 'fclass', layer === 'water' ? 'water' : 'landuse', 'natural', '类型']);
      if (!cls) return { ok: false, reason: 'class is empty (Geofabrik fclass)' };
      const g = geometryFor(row, ctx.crs, ['Polygon', 'MultiPolygon'], true);
      if (g.ok !== true) return g;
      return { ok: true, record: { externalId: externalId(row, ctx.fileKey), class: cls, name: field(p, NAME) ?? null, geometry: g.record! } };
    }
  }
}

export const importArgsSchema = z.object({
  layer: z.enum(IMPORT_LAYERS, { message: `layer must be one of ${IMPORT_LAYERS.join('|')}` }),
  file: z.string().min(1, 'give the file to import'),
  crs: z.enum(['wgs84', 'gcj02', 'bd09', 'epsg3857'], { message: '--crs must be wgs84, gcj02, bd09 or epsg3857' }).default('wgs84'),
  strict: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  toleranceM: z.number().positive().max(1000).default(50),
});
