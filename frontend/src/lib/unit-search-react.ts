// The unit search behind the unit pickers (onboarding, supervise): the caller's units whose
// name or address matches the typed text (GET /api/units?q=, jurisdiction applied by the
// server), at most 8, asked 250 ms after the last keystroke; a newer text aborts the older one.
import { useEffect, useState } from 'react';
import { unitListSchema } from '@firelink/common';
import { api } from '../api/http.ts';

export interface PickedUnit {
  id: number;
  name: string;
  address: string | null;
  regionName: string | null;
}

/** Units matching `q`: null while nothing is typed, [] when nothing matched or the search failed. */
export function useUnitSearch(q: string): PickedUnit[] | null {
  const [hits, setHits] = useState<PickedUnit[] | null>(null);
  useEffect(() => {
    const text = q.trim();
    if (text.length === 0) {
      setHits(null);
      return;
    }
    const ac = new AbortController();
    const t = setTimeout(() => {
      api(`/api/units?${new URLSearchParams({ q: text, limit: '8' })}`, unitListSchema, { signal: ac.signal })
        .then((r) => setHits(r.items.map((u) => ({ id: u.id, name: u.name, address: u.address, regionName: u.regionName }))))
        .catch(() => {
          if (!ac.signal.aborted) setHits([]);
        });
    }, 250);
    return () => {
      clearTimeout(t);
      ac.abort();
    };
  }, [q]);
  return hits;
}
