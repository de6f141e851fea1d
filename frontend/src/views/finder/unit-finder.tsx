// The unit finder: a dialog over any view, opened from the top bar, the "/" key or a click on
// a unit on a map (open-finder.ts). Searches GET /api/units?q= (name, address, code; ranked
// by the server) within a district and category, lists name, address, district and state,
// and opens /units/:id. Arrow keys move, Enter opens, Esc closes.
import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { unitDistrictsSchema, unitListSchema, unitSummarySchema, type UnitDistricts, type UnitSummary } from '@firelink/common';
import { api } from '../../api/http.ts';
import { useI18n } from '../../lib/i18n-react.tsx';
import { navigate } from '../../lib/router-react.tsx';
import { categoryName, useCategories } from './code-names.ts';
import { onOpenUnitFinder } from '../../lib/open-finder.ts';
import { finderText, onboardingStateName } from './strings.ts';
import './finder.css';
import { errorText } from '../../lib/errors.ts';

/** Rows per request; "more" fetches the next page. */
const PAGE = 50;
/** Wait after the last keystroke before asking the server, ms. */
const DEBOUNCE_MS = 180;

type Districts = UnitDistricts['districts'];

function isTyping(e: globalThis.KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));
}

export function UnitFinder() {
  const { locale } = useI18n();
  const s = (k: Parameters<typeof finderText>[1], p?: Record<string, string | number>) => finderText(locale, k, p);
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [region, setRegion] = useState('');
  const [category, setCategory] = useState('');
  const [items, setItems] = useState<UnitSummary[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const [clicked, setClicked] = useState<UnitSummary | null>(null);
  const [districts, setDistricts] = useState<Districts | null>(null);
  const categories = useCategories(open);
  const input = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLUListElement>(null);

  useEffect(
    () =>
      onOpenUnitFinder((req) => {
        setOpen(true);
        setClicked(null);
        if (req.unitId != null) {
          api(`/api/units/${req.unitId}`, unitSummarySchema)
            .then(setClicked)
            .catch(() => setClicked(null));
        }
        setTimeout(() => input.current?.select(), 0);
      }),
    [],
  );

  // "/" opens the finder from any view (as in many search boxes), unless the user is typing.
  useEffect(() => {
    const h = (e: globalThis.KeyboardEvent) => {
      if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !isTyping(e)) {
        e.preventDefault();
        setOpen(true);
        setClicked(null);
        setTimeout(() => input.current?.select(), 0);
      }
    };
    window.addEventListener('keydown', h);
    return () => window.removeEventListener('keydown', h);
  }, []);

  useEffect(() => {
    if (!open || districts) return;
    api('/api/units/districts', unitDistrictsSchema)
      .then((d) => setDistricts(d.districts))
      .catch(() => setDistricts([]));
  }, [open, districts]);

  const query = useCallback(
    (offset: number) => {
      const p = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
      if (text.trim()) p.set('q', text.trim());
      if (region) p.set('region', region);
      if (category) p.set('category', category);
      return `/api/units?${p}`;
    },
    [text, region, category],
  );

  useEffect(() => {
    if (!open) return;
    const ac = new AbortController();
    const timer = setTimeout(() => {
      setLoading(true);
      api(query(0), unitListSchema, { signal: ac.signal })
        .then((r) => {
          setItems(r.items);
          setTotal(r.total);
          setActive(0);
          setError(null);
        })
        .catch((err: unknown) => {
          if (!ac.signal.aborted) setError(errorText(locale, err));
        })
        .finally(() => {
          if (!ac.signal.aborted) setLoading(false);
        });
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ac.abort();
    };
  }, [open, query]);

  const more = () => {
    api(query(items.length), unitListSchema)
      .then((r) => setItems((cur) => [...cur, ...r.items]))
      .catch((err: unknown) => setError(errorText(locale, err)));
  };

  const rows = clicked ? [clicked, ...items.filter((u) => u.id !== clicked.id)] : items;

  const go = (u: UnitSummary) => {
    setOpen(false);
    navigate(`/units/${u.id}`);
  };

  useEffect(() => {
    list.current?.querySelector<HTMLElement>(`[data-index="${active}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [active]);

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      setOpen(false);
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(rows.length - 1, a + 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(0, a - 1));
    } else if (e.key === 'Enter' && rows[active] && (e.target as HTMLElement).tagName === 'INPUT') {
      e.preventDefault();
      go(rows[active]);
    }
  };

  if (!open) return null;
  const districtLabel = (d: Districts[number]) => {
    const name = locale === 'en' && d.nameEn ? d.nameEn : d.name;
    // Two cities may each have a 鼓楼区: name the city when the district name repeats.
    const twice = (districts ?? []).filter((x) => x.name === d.name).length > 1;
    return `${twice && d.cityName ? `${d.cityName} · ` : ''}${name} (${d.units})`;
  };

  return (
    <div className="finder-backdrop" onMouseDown={(e) => e.target === e.currentTarget && setOpen(false)}>
      <div className="finder" role="dialog" aria-modal="true" aria-label={s('title')} data-testid="finder" onKeyDown={onKey}>
        <header>
          <h2>{s('title')}</h2>
          <button type="button" className="finder-close" onClick={() => setOpen(false)} aria-label={s('close')}>
            ×
          </button>
        </header>
        <div className="finder-filters">
          <input
            ref={input}
            type="search"
            autoFocus
            value={text}
            placeholder={s('placeholder')}
            onChange={(e) => setText(e.target.value)}
            data-testid="finder-input"
            aria-label={s('placeholder')}
          />
          <select value={region} onChange={(e) => setRegion(e.target.value)} data-testid="finder-district" aria-label={s('district')}>
            <option value="">{s('allDistricts')}</option>
            {(districts ?? []).map((d) => (
              <option key={d.adcode} value={d.adcode}>
                {districtLabel(d)}
              </option>
            ))}
          </select>
          <select value={category} onChange={(e) => setCategory(e.target.value)} data-testid="finder-category" aria-label={s('category')}>
            <option value="">{s('allCategories')}</option>
            {(categories ?? []).map((c) => (
              <option key={c.code} value={c.code}>
                {categoryName(categories, locale, c.code)}
              </option>
            ))}
          </select>
        </div>
        <div className="finder-status" aria-live="polite">
          {error ? s('failed', { message: error }) : loading && total === null ? s('loading') : total === 0 && !clicked ? s('noResults') : total !== null ? s('results', { n: total }) : ''}
        </div>
        <ul className="finder-results" ref={list} data-testid="finder-results" role="listbox">
          {rows.map((u, i) => (
            <li
              key={u.id}
              data-index={i}
              role="option"
              aria-selected={i === active}
              className={`${i === active ? 'active' : ''}${clicked && i === 0 ? ' clicked' : ''}`}
              onMouseEnter={() => setActive(i)}
              onClick={() => go(u)}
              data-testid="finder-row"
            >
              <div className="line1">
                <span className="name">{u.name}</span>
                {u.openAlarms > 0 && <span className="alarms" title={s('openAlarms')}>{u.openAlarms}</span>}
                <span className={`state st-${u.onboardingState}`}>{onboardingStateName(locale, u.onboardingState)}</span>
              </div>
              <div className="line2">
                {clicked && i === 0 && <span className="tag-clicked">{s('clicked')}</span>}
                <span>{u.address ?? '—'}</span>
                <span>{u.regionName ?? '—'}</span>
                <span>{categoryName(categories, locale, u.category)}{u.highRisk ? ` · ${s('highRisk')}` : ''}</span>
              </div>
            </li>
          ))}
        </ul>
        {total !== null && items.length < total && (
          <button type="button" className="finder-more" onClick={more}>
            {s('more', { n: items.length })}
          </button>
        )}
      </div>
    </div>
  );
}
