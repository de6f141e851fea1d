// The 119 communication test: status (failing stands out), the daily time, and "test now".
import { useState } from 'react';
import { useI18n } from '../../lib/i18n-react.tsx';
import { formatTime } from '../../lib/i18n.ts';
import { errorText, fetchComm, runComm } from './api.ts';
import { useLoad } from './shared.tsx';
import { s } from './strings.ts';

export function CommStatus({ canRun, onRan }: { canRun: boolean; onRan: () => void }) {
  const { locale } = useI18n();
  const [key, setKey] = useState(0);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const { data } = useLoad((sig) => fetchComm(sig), [key]);
  const run = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const r = await runComm();
      setMessage(r.ok ? { ok: true, text: s(locale, 'commResultOk', { ms: Math.round(r.durationMs ?? 0) }) } : { ok: false, text: s(locale, 'commResultFail') });
      onRan();
    } catch (err) {
      setMessage({ ok: false, text: errorText(locale, err, 'err.409.notConfigured') });
    } finally {
      setBusy(false);
      setKey((k) => k + 1);
    }
  };
  if (!data) return <div className="duty-comm" data-testid="comm-status" />;
  const state = !data.configured ? 'off' : data.failing ? 'failing' : data.last ? 'ok' : 'never';
  return (
    <div className={`duty-comm ${state}`} data-testid="comm-status" data-state={state}>
      <strong>{s(locale, 'comm')}</strong>
      <span className="duty-comm-state">
        {state === 'off' && s(locale, 'commNotConfigured')}
        {state === 'failing' && s(locale, 'commFailing', { since: formatTime(data.failingSince, locale, 'minute') })}
        {state === 'ok' && s(locale, 'commOk')}
        {state === 'never' && s(locale, 'commNever')}
      </span>
      {data.configured && <span className="duty-muted">{s(locale, 'commDaily', { at: data.dailyAt })}</span>}
      {data.last && <span className="duty-muted">{s(locale, 'commLast', { at: formatTime(data.last.finishedAt ?? data.last.startedAt, locale, 'minute') })}</span>}
      {canRun && data.configured && (
        <button type="button" onClick={() => void run()} disabled={busy} data-testid="comm-run">
          {s(locale, 'commRun')}
        </button>
      )}
      {message && (
        <span className={message.ok ? 'duty-ok' : 'duty-error'} data-testid="comm-message">
          {message.text}
        </span>
      )}
    </div>
  );
}
