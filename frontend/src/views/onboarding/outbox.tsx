// SMS notifications queued for the caller's units: status, attempts, last gateway error, retry.
import { useCallback, useEffect, useState } from 'react';
import type { OutboxItem } from '@firelink/common';
import { fetchOutbox, retryOutbox } from './api.ts';
import { fmtTime, s, type OnbLocale } from './strings.ts';
import { errorText } from '../../lib/errors.ts';

export function NotificationOutbox({ locale }: { locale: OnbLocale }) {
  const [items, setItems] = useState<Array<OutboxItem & { unitName: string | null }> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    fetchOutbox()
      .then((r) => setItems(r.items))
      .catch((e: Error) => setError(errorText(locale, e)));
  }, []);
  useEffect(() => {
    load();
    const t = setInterval(load, 10_000);
    return () => clearInterval(t);
  }, [load]);
  if (error) return <div className="onb-error">{error}</div>;
  if (!items) return <div className="onb-hint">{s(locale, 'loading')}</div>;
  return (
    <table className="onb-table" data-testid="onboarding-outbox">
      <thead>
        <tr>
          <th>{s(locale, 'updated')}</th>
          <th>{s(locale, 'name')}</th>
          <th>{s(locale, 'recipient')}</th>
          <th>{s(locale, 'text')}</th>
          <th>{s(locale, 'state')}</th>
          <th>{s(locale, 'attempts')}</th>
          <th>{s(locale, 'lastError')}</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {items.map((o) => (
          <tr key={o.id} data-status={o.status}>
            <td>{fmtTime(o.createdAt)}</td>
            <td>{o.unitName}</td>
            <td>{o.recipient}</td>
            <td>{o.text}</td>
            <td className={`onb-status ${o.status}`}>{o.status}</td>
            <td>{o.attempts}</td>
            <td>{o.lastError ?? ''}</td>
            <td>
              {o.status !== 'sent' && (
                <button type="button" onClick={() => void retryOutbox(o.id).then(load, (e: Error) => setError(errorText(locale, e)))}>
                  {s(locale, 'retry')}
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
