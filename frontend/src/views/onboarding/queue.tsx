// The onboarding queue of the caller's jurisdiction: units not yet open (and open units whose
// point drawings are overdue), with what each still lacks and the steps the caller may take.
// Filters: the lifecycle state (every state before open is reachable, including units waiting
// for on-site verification or the director's review), the district and a name/address search;
// pages of 50 with the total.
import { useEffect, useState } from 'react';
import { unitDistrictsSchema, unitListSchema, type OnboardingState } from '@firelink/common';
import { api } from '../../api/http.ts';
import { fetchQueue, type QueueItem } from './api.ts';
import { fmtTime, s, stateName, type OnbLocale } from './strings.ts';
import { OnbTable } from './table.tsx';
import { errorText } from '../../lib/errors.ts';

const PAGE = 50;
/** The states the queue works through (open units appear only when their drawings are overdue). */
export const QUEUE_STATES: OnboardingState[] = ['registered', 'collecting', 'verified', 'reviewed'];

interface Row {
  id: number;
  name: string;
  regionName: string | null;
  onboardingState: OnboardingState;
  underConstruction: boolean;
  drawingsOverdue: boolean;
  /** null: not known (a search result: the unit's page lists what it lacks). */
  missing: QueueItem['missing'] | null;
  next: OnboardingState[];
  updatedAt: string;
}

const qText = (locale: OnbLocale, zh: string, en: string) => (locale === 'en' ? en : zh);

export function OnboardingQueue({ locale, onOpen }: { locale: OnbLocale; onOpen: (unitId: number) => void }) {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [state, setState] = useState<OnboardingState | null>(null);
  const [region, setRegion] = useState<number | null>(null);
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  const [offset, setOffset] = useState(0);
  const [districts, setDistricts] = useState<Array<{ adcode: number; name: string }>>([]);

  useEffect(() => {
    const ac = new AbortController();
    api('/api/units/districts', unitDistrictsSchema, { signal: ac.signal })
      .then((r) => setDistricts(r.districts.map((d) => ({ adcode: d.adcode, name: locale === 'en' && d.nameEn ? d.nameEn : d.name }))))
      .catch(() => {});
    return () => ac.abort();
  }, [locale]);

  // Typing settles for 300 ms before the search runs.
  useEffect(() => {
    const t = setTimeout(() => setQuery(text.trim()), 300);
    return () => clearTimeout(t);
  }, [text]);
  useEffect(() => setOffset(0), [state, region, query]);

  useEffect(() => {
    const ac = new AbortController();
    setError(null);
    const states = state ? [state] : QUEUE_STATES;
    const load =
      query || region !== null
        ? // A search or a district: the units list (same jurisdiction rules), states of the queue.
          api(
            `/api/units?${new URLSearchParams({ state: states.join(','), limit: String(PAGE), offset: String(offset), ...(query ? { q: query } : {}), ...(region !== null ? { region: String(region) } : {}) })}`,
            unitListSchema,
            { signal: ac.signal },
          ).then((r) => ({
            total: r.total,
            rows: r.items.map((u): Row => ({ id: u.id, name: u.name, regionName: u.regionName, onboardingState: u.onboardingState, underConstruction: u.underConstruction, drawingsOverdue: false, missing: null, next: [], updatedAt: u.updatedAt })),
          }))
        : fetchQueue({ states, limit: PAGE, offset, drawingsOverdue: state === null }, ac.signal).then((r) => ({
            total: r.total,
            rows: r.items.map((u): Row => ({ ...u })),
          }));
    load
      .then((r) => {
        setRows(r.rows);
        setTotal(r.total);
      })
      .catch((e: Error) => !ac.signal.aborted && setError(errorText(locale, e)));
    return () => ac.abort();
  }, [state, region, query, offset]);

  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(offset + PAGE, total);
  return (
    <div className="onb-queue">
      <div className="onb-filters" data-testid="onboarding-filters">
        <div className="onb-chips" role="group" aria-label={s(locale, 'state')}>
          <button type="button" className={state === null ? 'active' : ''} aria-pressed={state === null} onClick={() => setState(null)} data-testid="queue-state-all">
            {qText(locale, '全部待办', 'All pending')}
          </button>
          {QUEUE_STATES.map((st) => (
            <button key={st} type="button" className={state === st ? 'active' : ''} aria-pressed={state === st} onClick={() => setState(st)} data-testid={`queue-state-${st}`}>
              {stateName(locale, st)}
            </button>
          ))}
        </div>
        <select value={region ?? ''} onChange={(e) => setRegion(e.target.value === '' ? null : Number(e.target.value))} data-testid="queue-region" aria-label={s(locale, 'region')}>
          <option value="">{qText(locale, '全部地区', 'All districts')}</option>
          {districts.map((d) => (
            <option key={d.adcode} value={d.adcode}>
              {d.name}
            </option>
          ))}
        </select>
        <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder={qText(locale, '搜索单位名称或地址', 'Search name or address')} data-testid="queue-search" />
      </div>
      {error && <div className="onb-error">{error}</div>}
      {!rows && !error && <div className="onb-hint">{s(locale, 'loading')}</div>}
      {rows && (
        <>
          <OnbTable
            testId="onboarding-queue"
            headers={[s(locale, 'name'), s(locale, 'region'), s(locale, 'state'), s(locale, 'missing'), s(locale, 'updated'), s(locale, 'actions')]}
            emptyText={s(locale, 'none')}
            empty={rows.length === 0}
          >
            {rows.map((u) => (
              <tr key={u.id} data-state={u.onboardingState}>
                <td>
                  {u.name}
                  {u.underConstruction && <span className="onb-tag">{qText(locale, '在建', 'new build')}</span>}
                  {u.drawingsOverdue && <span className="onb-tag warn">{qText(locale, '图纸逾期', 'drawings overdue')}</span>}
                </td>
                <td>{u.regionName ?? '—'}</td>
                <td>{stateName(locale, u.onboardingState)}</td>
                <td className="onb-missing">
                  {u.missing === null ? <span className="onb-hint">{qText(locale, '打开后查看', 'see the unit')}</span> : u.missing.length === 0 ? '✓' : u.missing.map((m) => (locale === 'en' ? m.en : m.zh)).join('；')}
                </td>
                <td>{fmtTime(u.updatedAt)}</td>
                <td>
                  <button type="button" onClick={() => onOpen(u.id)}>
                    {s(locale, 'open')}
                  </button>
                  {u.next.length > 0 && <span className="onb-next"> → {u.next.map((n) => stateName(locale, n)).join(' / ')}</span>}
                </td>
              </tr>
            ))}
          </OnbTable>
          <div className="onb-pager" data-testid="queue-pager">
            <span data-testid="queue-total">{qText(locale, `第 ${from}–${to} 个，共 ${total} 个`, `${from}–${to} of ${total}`)}</span>
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))} data-testid="queue-prev">
              {qText(locale, '上一页', 'Previous')}
            </button>
            <button type="button" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)} data-testid="queue-next">
              {qText(locale, '下一页', 'Next')}
            </button>
          </div>
        </>
      )}
    </div>
  );
}
