// eslint-disable-next-line no-restricted-imports -- node:test runs these view-model tests under tsx, never in the browser
import { describe, it } from 'node:test';
// eslint-disable-next-line no-restricted-imports
import assert from 'node:assert/strict';
import { placeLabels, type Rect } from './label-placement.ts';

const o = { fontSize: 18, padding: [6, 3] as [number, number], gap: 22, markerRadius: 12, width: 1000, height: 800 };
const overlaps = (a: Rect, b: Rect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const hits = (r: Rect, m: { x: number; y: number }) => {
  const nx = Math.max(r.left, Math.min(m.x, r.right));
  const ny = Math.max(r.top, Math.min(m.y, r.bottom));
  return (nx - m.x) ** 2 + (ny - m.y) ** 2 < 12 * 12;
};

describe('placeLabels', () => {
  it('puts a label beside its marker, clear of it', () => {
    const m = { x: 500, y: 400 };
    const p = placeLabels([{ id: 1, ...m, text: '锦绣写字楼（模拟）' }], [m], o).get(1)!;
    assert.deepEqual(p.offset, [22, 0]);
    assert.equal(p.anchor, 'start');
    assert.ok(!hits(p.box, m));
  });

  // The wall drew two fires' labels over each other and over their rings.
  it('never overlaps another label, a marker or a panel; the newest keeps its place', () => {
    const markers = [
      { x: 500, y: 400 },
      { x: 520, y: 405 },
      { x: 480, y: 395 },
      { x: 700, y: 400 },
      { x: 980, y: 20 },
    ];
    const panel: Rect = { left: 800, top: 0, right: 1000, bottom: 800 };
    const labels = markers.map((m, i) => ({ id: i + 1, ...m, text: `单位名称很长的写字楼${i}（模拟）` }));
    const placed = placeLabels(labels, markers, { ...o, avoid: [panel] });
    assert.ok(placed.has(1), 'the first (newest) label is placed');
    assert.ok(!placed.has(5), 'a marker under a panel gets no label');
    const boxes = [...placed.values()].map((p) => p.box);
    for (const [i, a] of boxes.entries()) {
      assert.ok(!overlaps(a, panel), 'clear of the panel');
      assert.ok(a.left >= 0 && a.top >= 0 && a.right <= 1000 && a.bottom <= 800, 'on screen');
      for (const m of markers) assert.ok(!hits(a, m), 'clear of every marker');
      for (const b of boxes.slice(i + 1)) assert.ok(!overlaps(a, b), 'clear of other labels');
    }
  });
});
