// Where the wall's fire labels go on screen: beside their marker, never over a marker, another
// label or a screen panel. Each label tries right, left, above, below and the four diagonals of
// its marker in turn and takes the first free place; a label with no free place is left out (the list comes newest
// first, so the newest fires keep theirs). Pure screen geometry, CSS px: the map projects.

export interface LabelInput {
  id: number;
  /** Marker position on screen. */
  x: number;
  y: number;
  text: string;
}

export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface LabelPlacement {
  /** Offset of the label's anchor from the marker (deck.gl TextLayer getPixelOffset). */
  offset: [number, number];
  anchor: 'start' | 'middle' | 'end';
  baseline: 'top' | 'center' | 'bottom';
  box: Rect;
}

export interface PlacementOptions {
  /** Label font size (px); the box is estimated from it. */
  fontSize: number;
  /** Padding inside the label's background, x and y (px). */
  padding: [number, number];
  /** Distance from the marker's centre to the label's near edge (px). */
  gap: number;
  /** Radius kept clear around every marker (px). */
  markerRadius: number;
  /** Screen size: labels stay wholly inside. */
  width: number;
  height: number;
  /** Screen areas covered by panels. */
  avoid?: readonly Rect[];
}

/** Width of a label's text: CJK and full-width characters one em, others about 0.55 em. */
export function textWidth(text: string, fontSize: number): number {
  let w = 0;
  for (const ch of text) w += (ch.codePointAt(0) ?? 0) >= 0x2e80 ? fontSize : fontSize * 0.55;
  return w;
}

const overlaps = (a: Rect, b: Rect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

function hitsCircle(r: Rect, cx: number, cy: number, radius: number): boolean {
  const nx = Math.max(r.left, Math.min(cx, r.right));
  const ny = Math.max(r.top, Math.min(cy, r.bottom));
  return (nx - cx) ** 2 + (ny - cy) ** 2 < radius * radius;
}

/**
 * Places the labels in order. `markers` are every marker on screen (labelled or not): no label
 * covers one. Returns the placement of each label that found room.
 */
export function placeLabels(labels: readonly LabelInput[], markers: ReadonlyArray<{ x: number; y: number }>, o: PlacementOptions): Map<number, LabelPlacement> {
  const out = new Map<number, LabelPlacement>();
  const placed: Rect[] = [...(o.avoid ?? [])];
  const h = o.fontSize + 2 * o.padding[1];
  const onScreen = markers.filter((m) => m.x > -50 && m.y > -50 && m.x < o.width + 50 && m.y < o.height + 50);
  for (const l of labels) {
    if (l.x < 0 || l.y < 0 || l.x > o.width || l.y > o.height) continue;
    const w = textWidth(l.text, o.fontSize) + 2 * o.padding[0];
    const g = o.gap;
    const candidates: LabelPlacement[] = [
      { offset: [g, 0], anchor: 'start', baseline: 'center', box: { left: l.x + g - o.padding[0], right: l.x + g - o.padding[0] + w, top: l.y - h / 2, bottom: l.y + h / 2 } },
      { offset: [-g, 0], anchor: 'end', baseline: 'center', box: { left: l.x - g + o.padding[0] - w, right: l.x - g + o.padding[0], top: l.y - h / 2, bottom: l.y + h / 2 } },
      { offset: [0, -g], anchor: 'middle', baseline: 'bottom', box: { left: l.x - w / 2, right: l.x + w / 2, top: l.y - g + o.padding[1] - h, bottom: l.y - g + o.padding[1] } },
      { offset: [0, g], anchor: 'middle', baseline: 'top', box: { left: l.x - w / 2, right: l.x + w / 2, top: l.y + g - o.padding[1], bottom: l.y + g - o.padding[1] + h } },
    ];
    // Then the diagonals: right-up, right-down, left-up, left-down.
    const d = Math.round(g * 0.75);
    for (const [sx, sy] of [[1, -1], [1, 1], [-1, -1], [-1, 1]] as const) {
      const left = sx > 0 ? l.x + d - o.padding[0] : l.x - d + o.padding[0] - w;
      const top = sy < 0 ? l.y - d + o.padding[1] - h : l.y + d - o.padding[1];
      candidates.push({ offset: [sx * d, sy * d], anchor: sx > 0 ? 'start' : 'end', baseline: sy < 0 ? 'bottom' : 'top', box: { left, right: left + w, top, bottom: top + h } });
    }
    const free = candidates.find(
      (c) =>
        c.box.left >= 0 &&
        c.box.top >= 0 &&
        c.box.right <= o.width &&
        c.box.bottom <= o.height &&
        !placed.some((p) => overlaps(p, c.box)) &&
        !onScreen.some((m) => hitsCircle(c.box, m.x, m.y, o.markerRadius)),
    );
    if (!free) continue;
    placed.push(free.box);
    out.set(l.id, free);
  }
  return out;
}
