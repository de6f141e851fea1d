// Opening the unit finder from anywhere (top bar, a click on a map, a shortcut) without
// prop drilling: a window event the mounted finder listens for.
export interface OpenFinderRequest {
  /** A unit clicked on a map: shown first, ready to open. */
  unitId?: number;
}

const EVENT = 'firelink:open-unit-finder';

export function openUnitFinder(req: OpenFinderRequest = {}): void {
  window.dispatchEvent(new CustomEvent<OpenFinderRequest>(EVENT, { detail: req }));
}

export function onOpenUnitFinder(fn: (req: OpenFinderRequest) => void): () => void {
  const h = (e: Event) => fn((e as CustomEvent<OpenFinderRequest>).detail ?? {});
  window.addEventListener(EVENT, h);
  return () => window.removeEventListener(EVENT, h);
}
