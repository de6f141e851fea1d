// Table exports: every table the analytics API serves can be downloaded as CSV or XLSX
// (`?format=csv|xlsx`). Columns are the keys of the first row, in order.
// CSV goes through csv-stringify (RFC 4180 quoting) after neutraliseFormula; XLSX through
// exceljs, which writes strings as text cells (never formulas).
import type { Response } from 'express';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';

export type Cell = string | number | boolean | null | undefined | Date;
export type Row = Record<string, Cell>;
export type ExportFormat = 'json' | 'csv' | 'xlsx';

// A spreadsheet opening a CSV runs a cell as a formula (or DDE command) when its text starts
// with one of these, also after leading blanks; Excel and WPS accept the full-width forms too.
const FORMULA_START = /^[\s\u3000]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]|^[\t\r\n]/;
// A plain decimal number ("-12.5", "+3", "1e-3") is data, not a formula: PostgreSQL sends
// numeric and bigint columns as such strings.
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * The text of a CSV cell, with formula-like text prefixed by an apostrophe so that spreadsheets
 * show it instead of running it (OWASP "CSV injection"). Numbers and plain numeric strings pass.
 */
export function neutraliseFormula(v: Cell): string {
  if (v == null) return '';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const s = v instanceof Date ? v.toISOString() : String(v);
  return FORMULA_START.test(s) && !PLAIN_NUMBER.test(s) ? `'${s}` : s;
}

/** The one CSV writer of the backend: header row, CRLF lines, every cell through neutraliseFormula. */
export function toCsv(rows: readonly Row[], columns = rows[0] ? Object.keys(rows[0]) : []): string {
  const records = [columns, ...rows.map((r) => columns.map((c) => r[c]))].map((cells) => cells.map(neutraliseFormula));
  return stringify(records, { record_delimiter: '\r\n' });
}

export async function toXlsx(rows: readonly Row[], sheet = 'data', columns = rows[0] ? Object.keys(rows[0]) : []): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  // Sheet names: at most 31 characters, none of : \ / ? * [ ].
  const ws = wb.addWorksheet(sheet.replace(/[:\\/?*[\]]/g, '_').slice(0, 31) || 'data');
  ws.addRow(columns);
  for (const r of rows) ws.addRow(columns.map((c) => (r[c] instanceof Date ? (r[c] as Date).toISOString() : (r[c] ?? null))));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Sends rows as a file download; returns false for json so the caller sends its own body. */
export async function sendTable(res: Response, format: ExportFormat, name: string, rows: readonly Row[]): Promise<boolean> {
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
    res.send(await toXlsx(rows, name));
    return true;
  }
  return false;
}
