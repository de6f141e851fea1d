// The alarm handling register (接处警登记表) as a table: one row per alarm in the layout of the
// paper register, headers and values in Chinese (or English), written as CSV or XLSX.
// CSV goes through the backend's one CSV writer (analytics/export.ts: RFC 4180 quoting,
// formula cells neutralised); XLSX is written here with exceljs because the register wants
// its paper layout (column widths, frozen bold header), which the generic table writer lacks.
import { causeLabel, type RegisterRow } from '@firelink/common';
import ExcelJS from 'exceljs';
import { toCsv, type Row } from '../analytics/export.ts';

export type RegisterLang = 'zh-CN' | 'en';

const COLUMNS: Array<{ key: string; zh: string; en: string; width: number }> = [
  { key: 'no', zh: '序号', en: 'No.', width: 6 },
  { key: 'id', zh: '警情编号', en: 'Alarm ID', width: 10 },
  { key: 'openedAt', zh: '接警时间', en: 'Received', width: 20 },
  { key: 'kind', zh: '警情类型', en: 'Kind', width: 10 },
  { key: 'unitName', zh: '联网单位', en: 'Unit', width: 28 },
  { key: 'unitAddress', zh: '单位地址', en: 'Address', width: 28 },
  { key: 'regionName', zh: '所属区域', en: 'Region', width: 12 },
  { key: 'pointLabel', zh: '报警部位', en: 'Point', width: 18 },
  { key: 'acknowledgedAt', zh: '确认时间', en: 'Acknowledged', width: 20 },
  { key: 'acknowledgedBy', zh: '确认人', en: 'Acknowledged by', width: 12 },
  { key: 'verdict', zh: '核实结论', en: 'Verdict', width: 10 },
  { key: 'cause', zh: '原因', en: 'Cause', width: 14 },
  { key: 'verifiedAt', zh: '核实时间', en: 'Verified', width: 20 },
  { key: 'verifiedBy', zh: '核实人', en: 'Verified by', width: 12 },
  { key: 'forwardedAt', zh: '转报119时间', en: 'Forwarded to 119', width: 20 },
  { key: 'dispatchedAt', zh: '调派时间', en: 'Dispatched', width: 20 },
  { key: 'closedAt', zh: '处理完毕时间', en: 'Closed', width: 20 },
  { key: 'closedBy', zh: '处理人', en: 'Closed by', width: 12 },
  { key: 'state', zh: '状态', en: 'State', width: 10 },
  { key: 'steps', zh: '处理经过', en: 'Handling record', width: 60 },
];

/** Header row of an export in the language. */
export function registerHeaders(lang: RegisterLang): string[] {
  return COLUMNS.map((c) => (lang === 'en' ? c.en : c.zh));
}

const LABELS: Record<RegisterLang, Record<string, Record<string, string>>> = {
  'zh-CN': {
    kind: { fire: '火警', host_offline: '主机离线', off_duty: '值班脱岗', fault: '故障', supervisory: '监管' },
    verdict: { fire: '真实火警', false_alarm: '误报', test: '测试', fault: '故障' },
    state: { open: '待处理', acknowledged: '已确认', verified: '已核实', dispatched: '已调派', closed: '已关闭' },
    step: {
      opened: '报警',
      acknowledged: '确认',
      verified: '核实',
      dispatched: '调派',
      closed: '关闭',
      escalated: '超时升级',
      cleared: '信号恢复',
      auto_closed: '自动关闭',
      forwarded: '已转报119',
      forward_failed: '转报119失败',
    },
  },
  en: {
    kind: { fire: 'fire', host_offline: 'host offline', off_duty: 'off duty', fault: 'fault', supervisory: 'supervisory' },
    verdict: { fire: 'fire', false_alarm: 'false alarm', test: 'test', fault: 'fault' },
    state: { open: 'open', acknowledged: 'acknowledged', verified: 'verified', dispatched: 'dispatched', closed: 'closed' },
    step: {},
  },
};

const label = (lang: RegisterLang, group: string, code: string | null): string => (code == null ? '' : (LABELS[lang][group]?.[code] ?? code));

/** Shanghai wall-clock time, YYYY-MM-DD HH:MM:SS (the register is read in Shanghai time). */
export function shanghaiTime(isoTime: string | null): string {
  if (!isoTime) return '';
  return new Date(Date.parse(isoTime) + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** The register rows as cells in column order (header excluded). */
export function registerTable(rows: readonly RegisterRow[], lang: RegisterLang): Array<Record<string, string | number>> {
  return rows.map((r, i) => ({
    no: i + 1,
    id: r.id,
    openedAt: shanghaiTime(r.openedAt),
    kind: label(lang, 'kind', r.kind),
    unitName: r.unitName ?? '',
    unitAddress: r.unitAddress ?? '',
    regionName: r.regionName ?? '',
    pointLabel: r.pointLabel ?? '',
    acknowledgedAt: shanghaiTime(r.acknowledgedAt),
    acknowledgedBy: r.acknowledgedBy ?? '',
    verdict: label(lang, 'verdict', r.verdict),
    cause: r.cause ? causeLabel(r.kind, r.cause, lang) : '',
    verifiedAt: shanghaiTime(r.verifiedAt),
    verifiedBy: r.verifiedBy ?? '',
    forwardedAt: shanghaiTime(r.forwardedAt),
    dispatchedAt: shanghaiTime(r.dispatchedAt),
    closedAt: shanghaiTime(r.closedAt),
    closedBy: r.closedBy ?? '',
    state: label(lang, 'state', r.state),
    steps: r.steps
      .map((s) => [shanghaiTime(s.at).slice(11), label(lang, 'step', s.step), s.actorName ?? '', s.note ?? ''].filter(Boolean).join(' '))
      .join('；'),
  }));
}

/** CSV with a UTF-8 BOM (Excel opens Chinese text correctly), headers in the language. */
export function registerCsv(rows: readonly RegisterRow[], lang: RegisterLang): string {
  const headers = registerHeaders(lang);
  const table: Row[] = registerTable(rows, lang).map((r) => Object.fromEntries(COLUMNS.map((c, i) => [headers[i]!, r[c.key]])));
  return '\uFEFF' + toCsv(table, headers);
}

/** XLSX: one sheet, bold frozen header row, column widths for reading on screen. */
export async function registerXlsx(rows: readonly RegisterRow[], lang: RegisterLang): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'FireLink';
  const ws = wb.addWorksheet(lang === 'en' ? 'Alarm register' : '接处警登记表', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = COLUMNS.map((c) => ({ header: lang === 'en' ? c.en : c.zh, key: c.key, width: c.width }));
  ws.getRow(1).font = { bold: true };
  // Cells are written as values (strings and numbers), never as formulas.
  for (const r of registerTable(rows, lang)) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
