// The onboarding queue of the caller's jurisdiction: units not yet open (and open units whose
// point drawings are overdue), with what each still lacks and the steps the caller may take.
import { useEffect, useState } from 'react';
import { fetchQueue, type QueueItem } from './api.ts';
import { fmtTime, s, stateName, type OnbLocale } from './strings.ts';
import { OnbTable } from './table.tsx';

export function OnboardingQueue({ locale, onOpen }: { locale: OnbLocale; onOpen: (unitId: number) => void }) {
  const [items, setItems] = useState<QueueItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ac = new AbortController();
    fetchQueue(ac.signal)
      .then((r) => setItems(r.items))
      .catch((e: Error) => !ac.signal.aborted && setError(e.message));
    return () => ac.abort();
  }, []);
  if (error) return <div className="onb-error">{error}</div>;
  if (!items) return <div className="onb-hint">{s(locale, 'loading')}</div>;
  return (
    <OnbTable
      testId="onboarding-queue"
      headers={[s(locale, 'name'), s(locale, 'region'), s(locale, 'state'), s(locale, 'missing'), s(locale, 'updated'), s(locale, 'actions')]}
      emptyText={s(locale, 'none')}
      empty={items.length === 0}
    >
        {items.map((u) => (
          <tr key={u.id} data-state={u.onboardingState}>
            <td>
              {u.name}
              {u.underConstruction && <span className="onb-tag">{locale === 'en' ? 'new build' : '在建'}</span>}
              {u.drawingsOverdue && <span className="onb-tag warn">{locale === 'en' ? 'drawings overdue' : '图纸逾期'}</span>}
            </td>
            <td>{u.regionName ?? '—'}</td>
            <td>{stateName(locale, u.onboardingState)}</td>
            <td className="onb-missing">{u.missing.length === 0 ? '✓' : u.missing.map((m) => (locale === 'en' ? m.en : m.zh)).join('；')}</td>
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
  );
}
