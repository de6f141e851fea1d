// Table exports: every table the analytics API serves can be downloaded as CSV or XLSX
// (`?format=csv|xlsx`). Columns are the keys of the first row, in order.
import type { Response } from 'express';
import XLSX from 'xlsx';

export type Cell = string | number | boolean | null | undefined | Date;
export type Row = Record<string, Cell>;
export type ExportFormat = 'json' | 'csv' | 'xlsx';

function csvCell(v: Cell): string {
  if (v == null) return '';
  const s = v instanceof Date ? v.toISOString() : String(v);
  // RFC 4180: quote fields holding a quote, comma or line break; double inner quotes.
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: readonly Row[], columns = rows[0] ? Object.keys(rows[0]) : []): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c])).join(','));
  return lines.join('\r\n') + '\r\n';
}

export function toXlsx(rows: readonly Row[], sheet = 'data'): Buffer {
  const wb = XLSX.utils.book_new();
  const clean = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v ?? null])));
  XLSX.utils.book_append_sheet(wb, XLSX.utils.json_to_sheet(clean), sheet.slice(0, 31));
  return XLSX.write(wb, { type: 'buffer', bookType: 'xlsx' }) as Buffer;
}

/** Sends rows as a file download; returns false for json so the caller sends its own body. */
export function sendTable(res: Response, format: ExportFormat, name: string, rows: readonly Row[]): boolean {
  if (format === 'csv') {
    res.set('Content-Type', 'text/csv; charset=utf-8');
    res.set('Content-Disposition', `attachment; filename="${name}.csv"`);
    // BOM so Excel opens UTF-8 Chinese text correctly.
    res.send('\uFEFF' + toCsv(rows));
    return true;
  }
  if (format === 'xlsx') {
    res.set('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    res.set('Content-Disposition', `attachment; filename="${name}.xlsx"`);
    res.send(toXlsx(rows, name));
    return true;
  }
  return false;
}
