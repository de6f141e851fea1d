// Station names that read apart on the desk (nearest stations, the stations sent, the
// timeline), without a database id on the screen. A name shared by several stations gets
// what tells them apart: the district, else the station's phone, else "namesake 1, 2…"
// (by the stations' order, the same in every list of one alarm).
import type { Locale } from '../../lib/i18n.ts';

export interface StationForLabel {
  stationId: number;
  name: string;
  regionAdcode?: number | null;
  phone?: string | null;
}

export function stationLabels(list: readonly StationForLabel[], districts: ReadonlyMap<number, string>, locale: Locale): Map<number, string> {
  // One entry per station: the first that names it (the nearest list carries district and phone).
  const byId = new Map<number, StationForLabel>();
  for (const s of list) if (!byId.has(s.stationId)) byId.set(s.stationId, s);
  const byName = new Map<string, StationForLabel[]>();
  for (const s of byId.values()) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  const wrap = (name: string, extra: string) => (locale === 'en' ? `${name} (${extra})` : `${name}（${extra}）`);
  const out = new Map<number, string>();
  for (const [name, group] of byName) {
    if (group.length === 1) {
      out.set(group[0]!.stationId, name);
      continue;
    }
    const district = (s: StationForLabel) => (s.regionAdcode != null ? districts.get(s.regionAdcode) : undefined);
    const distinct = <T,>(f: (s: StationForLabel) => T | undefined | null) => {
      const vals = group.map(f);
      return vals.every((v) => v != null && v !== '') && new Set(vals).size === group.length;
    };
    const sorted = [...group].sort((a, b) => a.stationId - b.stationId);
    for (const s of group) {
      let extra: string;
      if (distinct(district)) extra = district(s)!;
      else if (distinct((x) => x.phone)) extra = locale === 'en' ? `tel. ${s.phone}` : `电话 ${s.phone}`;
      else {
        const k = sorted.indexOf(s) + 1;
        const d = district(s);
        extra = locale === 'en' ? `${d ? `${d}, ` : ''}namesake ${k}` : `${d ? `${d}·` : ''}同名第 ${k} 站`;
      }
      out.set(s.stationId, wrap(name, extra));
    }
  }
  return out;
}
