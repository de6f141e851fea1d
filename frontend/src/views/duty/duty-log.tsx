// The duty log of a post: free-text entries and the automatic ones (handovers, 119 tests).
// Automatic entries are shown from their kind, never from the server's text.
import { useState, type FormEvent } from 'react';
import type { DutyLogDto } from '@firelink/common';
import { useI18n } from '../../lib/i18n-react.tsx';
import { formatTime } from '../../lib/i18n.ts';
import { addLog, errorText, fetchLog } from './api.ts';
import { Panel, useLoad } from './shared.tsx';
import { codeLabel, s } from './strings.ts';

function entryText(locale: string, e: DutyLogDto): string {
  if (e.kind === 'note') return e.text;
  if (e.refEntity === 'handover' && e.refId) return s(locale, 'handoverRef', { id: e.refId });
  return '';
}

export function DutyLog({ post, canAct, reloadKey }: { post: number; canAct: boolean; reloadKey: number }) {
  const { locale } = useI18n();
  const [key, setKey] = useState(0);
  const { data, error } = useLoad((sig) => fetchLog(post, sig), [post, key, reloadKey]);
  const [text, setText] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMessage(null);
    try {
      await addLog(post, text);
      setText('');
      setKey((k) => k + 1);
    } catch (err) {
      setMessage(errorText(locale, err));
    }
  };
  return (
    <Panel title={s(locale, 'log')} testId="duty-log">
      {canAct && (
        <form className="duty-log-form" onSubmit={(e) => void submit(e)}>
          <textarea name="logText" rows={2} placeholder={s(locale, 'logText')} value={text} maxLength={4000} onChange={(e) => setText(e.target.value)} />
          <button type="submit" className="primary" disabled={!text.trim()} data-testid="log-add">
            {s(locale, 'addLog')}
          </button>
          {message && <span className="duty-error">{message}</span>}
        </form>
      )}
      {error != null && <div className="duty-error">{errorText(locale, error)}</div>}
      <ol className="duty-log-list">
        {data && data.entries.length === 0 && <li className="duty-muted">{s(locale, 'empty')}</li>}
        {data?.entries.map((e) => (
          <li key={e.id} className={`log-${e.kind}`} data-testid="log-entry" data-kind={e.kind}>
            <span className="duty-time">{formatTime(e.at, locale, 'minute')}</span>
            <span className="duty-log-kind">{codeLabel(locale, 'log', e.kind)}</span>
            <span className="duty-log-actor">{e.actorName === 'system' ? (e.regionAdcode === null ? s(locale, 'centerWide') : '') : e.actorName}</span>
            <span className="duty-log-text">{entryText(locale, e)}</span>
          </li>
        ))}
      </ol>
    </Panel>
  );
}
