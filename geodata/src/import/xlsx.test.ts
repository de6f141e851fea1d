// The XLSX reader against crafted workbooks: `__proto__` in headers, comment refs, sheet names
// and defined names must never reach Object.prototype (the `xlsx` 0.18 package let a comment
// with ref="__proto__" pollute it; exceljs 4.4 lets a defined name on sheet `__proto__` do so).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { readXlsxRecords, writeXlsx, XlsxReadError } from './xlsx.ts';

/** A small workbook with a note on A1 and a defined name, then edited as raw XML. */
async function crafted(edit: (part: string, xml: string) => string): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('点位');
  ws.addRow(['__proto__', 'constructor', '名称']);
  ws.addRow([1, 2, '一号']);
  ws.getCell('A1').note = 'note';
  wb.definedNames.add('点位!$A$1', 'foo');
  const zip = await JSZip.loadAsync(await wb.xlsx.writeBuffer());
  for (const [name, file] of Object.entries(zip.files)) {
    if (file.dir || !name.endsWith('.xml')) continue;
    zip.file(name, edit(name, await file.async('string')));
  }
  return zip.generateAsync({ type: 'nodebuffer' });
}

const prototypeKeys = () => ({ object: Reflect.ownKeys(Object.prototype).map(String).sort(), array: Reflect.ownKeys(Array.prototype).map(String).sort() });

describe('readXlsxRecords', () => {
  it('reads Chinese headers and values of the first sheet; blank rows are skipped', async () => {
    const buf = await writeXlsx([['编号', '站名', '经度', '纬度'], ['S-1', '测试站', 118.78, 32.04], [null, null, null, null], ['S-2', '', 118.8, 32.05]], '消防站');
    assert.deepEqual(await readXlsxRecords(buf), [
      { 编号: 'S-1', 站名: '测试站', 经度: 118.78, 纬度: 32.04 },
      { 编号: 'S-2', 站名: '', 经度: 118.8, 纬度: 32.05 },
    ]);
  });

  const attacks: Array<[string, (part: string, xml: string) => string]> = [
    ['a comment with ref="__proto__"', (p, x) => (p.includes('comments') ? x.replace('ref="A1"', 'ref="__proto__"') : x)],
    ['a defined name called __proto__', (p, x) => (p === 'xl/workbook.xml' ? x.replace('name="foo"', 'name="__proto__"') : x)],
    ['a defined name referring to sheet __proto__', (p, x) => (p === 'xl/workbook.xml' ? x.replace(/(name="foo">)[^<]*/, '$1__proto__!$A$1') : x)],
    ['an entity-encoded __proto__ sheet reference', (p, x) => (p === 'xl/workbook.xml' ? x.replace(/(name="foo">)[^<]*/, '$1&#95;_proto__!$B$7') : x)],
    ['a sheet named __proto__', (p, x) => (p === 'xl/workbook.xml' ? x.replace('name="点位"', 'name="__proto__"').replace(/(name="foo">)[^<]*/, '$1__proto__!$A$1') : x)],
  ];
  for (const [what, edit] of attacks) {
    it(`${what} does not pollute Object.prototype; headers stay own keys`, async () => {
      const before = prototypeKeys();
      const rows = await readXlsxRecords(await crafted(edit));
      assert.deepEqual(prototypeKeys(), before);
      assert.equal(({} as Record<string, unknown>)['1'], undefined);
      assert.equal(rows.length, 1);
      const row = rows[0]!;
      assert.ok(Object.hasOwn(row, '__proto__'), 'the __proto__ header is an own key');
      assert.equal(row['__proto__'], 1);
      assert.equal(Object.getPrototypeOf(row), Object.prototype);
      assert.equal(row['名称'], '一号');
    });
  }

  it('refuses defined names hidden outside their block, and non-workbooks', async () => {
    const before = prototypeKeys();
    const hidden = await crafted((p, x) =>
      p === 'xl/workbook.xml' ? x.replace('<definedNames>', '<definedNames><!-- </definedNames> -->').replace(/(name="foo">)[^<]*/, '$1__proto__!$A$1') : x,
    );
    await assert.rejects(readXlsxRecords(hidden), XlsxReadError);
    await assert.rejects(readXlsxRecords(Buffer.from('not a zip')), XlsxReadError);
    assert.deepEqual(prototypeKeys(), before);
  });
});
