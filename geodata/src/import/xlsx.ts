// XLSX in, with exceljs (the `xlsx` 0.18 package on npm is unmaintained there and carries
// prototype-pollution and ReDoS advisories). One reader for every spreadsheet import: the
// geodata importers and the backend's point import.
//
// exceljs 4.4 is not clean either: a defined name whose reference names a sheet `__proto__`
// (`<definedName name="x">__proto__!$A$1</definedName>`, also entity-encoded) makes its
// defined-names matrix write row arrays onto Object.prototype. Imports never need defined
// names (print areas, named ranges), so they are cut out of the workbook before exceljs sees
// it, and a load that still changes Object.prototype or Array.prototype is undone and refused.
import ExcelJS from 'exceljs';
import JSZip from 'jszip';

/** A cell as the importers see it: text, a number, a boolean, or '' when empty. */
export type XlsxCell = string | number | boolean;

export class XlsxReadError extends Error {}

/** Plain value of an exceljs cell (formulas give their cached result, rich text its text). */
function plain(v: ExcelJS.CellValue): XlsxCell {
  if (v == null) return '';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    if ('richText' in v && Array.isArray(v.richText)) return v.richText.map((t) => t.text).join('');
    if ('result' in v) return plain((v.result ?? null) as ExcelJS.CellValue);
    if ('text' in v && typeof v.text === 'string') return v.text;
    if ('error' in v) return '';
  }
  return '';
}

/**
 * The first sheet of an XLSX file as records keyed by the header row (row 1). Columns with an
 * empty header are skipped; a repeated header gets `_1`, `_2`… as `xlsx`'s sheet_to_json did.
 * Empty cells are ''; blank rows are skipped. Records are built with Object.fromEntries, so a
 * header named `__proto__` is an ordinary own key, never a prototype.
 * Legacy .xls (BIFF) files are refused: save them as .xlsx.
 */
export async function readXlsxRecords(data: Uint8Array): Promise<Array<Record<string, XlsxCell>>> {
  const wb = new ExcelJS.Workbook();
  const objectKeys = new Set(Reflect.ownKeys(Object.prototype));
  const arrayKeys = new Set(Reflect.ownKeys(Array.prototype));
  try {
    const clean = await withoutDefinedNames(data);
    // exceljs wants a Node Buffer (its own type lags behind @types/node's generic Buffer).
    await wb.xlsx.load(clean as unknown as ExcelJS.Buffer);
  } catch (err) {
    if (err instanceof XlsxReadError) throw err;
    throw new XlsxReadError(`not a readable .xlsx workbook (${(err as Error).message}); save the sheet as Excel Workbook (.xlsx)`, { cause: err });
  } finally {
    const polluted = [...undoPollution(Object.prototype, objectKeys), ...undoPollution(Array.prototype, arrayKeys)];
    if (polluted.length) {
      // eslint-disable-next-line no-unsafe-finally -- refusing the file outranks any other outcome
      throw new XlsxReadError(`the workbook tried to change built-in prototypes (${polluted.join(', ')}): refused`);
    }
  }
  const ws = wb.worksheets[0];
  if (!ws) throw new XlsxReadError('the workbook has no sheet');
  const header = new Map<number, string>();
  const seen = new Map<string, number>();
  ws.getRow(1).eachCell({ includeEmpty: false }, (cell, col) => {
    const name = String(plain(cell.value));
    if (name.trim() === '') return;
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    header.set(col, n === 0 ? name : `${name}_${n}`);
  });
  const out: Array<Record<string, XlsxCell>> = [];
  for (let r = 2; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    const entries: Array<[string, XlsxCell]> = [];
    let blank = true;
    for (const [col, name] of header) {
      const v = plain(row.getCell(col).value);
      if (v !== '') blank = false;
      entries.push([name, v]);
    }
    if (!blank) out.push(Object.fromEntries(entries));
  }
  return out;
}

/** Removes own keys that were not there before; returns their names. */
function undoPollution(proto: object, before: Set<string | symbol>): string[] {
  const added = Reflect.ownKeys(proto).filter((k) => !before.has(k));
  for (const k of added) Reflect.deleteProperty(proto, k);
  return added.map(String);
}

/** The workbook with every <definedNames> block removed from its XML parts (see the top of this file). */
async function withoutDefinedNames(data: Uint8Array): Promise<Buffer> {
  const zip = await JSZip.loadAsync(data);
  let changed = false;
  for (const [name, file] of Object.entries(zip.files)) {
    if (file.dir || !/\.xml$/i.test(name)) continue;
    const xml = await file.async('string');
    if (!xml.includes('definedName')) continue;
    const cut = xml.replace(/<(\w+:)?definedNames\b[^>]*\/>/g, '').replace(/<(\w+:)?definedNames\b[\s\S]*?<\/(\w+:)?definedNames\s*>/g, '');
    // Anything left (a name outside its block, a block hidden in a comment) is not a workbook Excel writes.
    if (/<(\w+:)?definedName\b/.test(cut)) throw new XlsxReadError(`${name} has defined names outside a <definedNames> block: save the workbook again from Excel`);
    zip.file(name, cut);
    changed = true;
  }
  if (!changed) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return zip.generateAsync({ type: 'nodebuffer' });
}

/** Writes rows as a one-sheet XLSX (tests and exports): the first array is the header. */
export async function writeXlsx(rows: ReadonlyArray<ReadonlyArray<XlsxCell | null>>, sheet = 'data'): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(sheet.slice(0, 31));
  for (const r of rows) ws.addRow([...r]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
