// The storm panel: alarm storms (groups of one cause per district or unit) in one line each,
// members one click away. Self-contained: reads GET /api/alarms/storms every `pollMs` and
// takes the live stream's `storm` messages through `live` (the hosting view passes the
// groups it received). Mount on the wall and the desk; see README "Alarm storms".
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { StormDetailResponse, StormGroup } from '@firelink/common';
import { useI18n } from '../../lib/i18n-react.tsx';
import { formatTime } from '../../lib/i18n.ts';
import { fetchStorm, fetchStorms } from './api.ts';
import { mergeStorm, sortStorms, stormSentence } from './model.ts';
import { st, type StormKey } from './strings.ts';
import './storm.css';

export interface StormPanelProps {
  /** Groups from the live stream's `storm` messages (newest state per id wins over the polled list). */
  live?: readonly StormGroup[];
  /** A member alarm was clicked (the desk selects it in its queue; the wall can focus it). */
  onSelectAlarm?: (alarmId: number) => void;
  /** How often the list is re-read, ms (default 10,000). */
  pollMs?: number;
  /** Render nothing while there is no storm (default: a quiet "no storm" line). */
  hideWhenNone?: boolean;
}

export function StormPanel({ live, onSelectAlarm, pollMs = 10_000, hideWhenNone = false }: StormPanelProps) {
  const { locale } = useI18n();
  const [polled, setPolled] = useState<StormGroup[] | null>(null);
  const [failed, setFailed] = useState(false);
  const [open, setOpen] = useState<number | null>(null);

  useEffect(() => {
    const ctl = new AbortController();
    const load = () =>
      fetchStorms(ctl.signal).then(
        (r) => {
          setPolled(r.groups);
          setFailed(false);
        },
        (err: unknown) => {
          if (!ctl.signal.aborted) setFailed(true);
          return err;
        },
      );
    void load();
    const t = setInterval(() => void load(), pollMs);
    return () => {
      ctl.abort();
      clearInterval(t);
    };
  }, [pollMs]);

  const groups = useMemo(() => {
    let list = sortStorms(polled ?? []);
    for (const g of live ?? []) {
      const cur = list.find((x) => x.id === g.id);
      if (!cur || cur.lastAt < g.lastAt || (cur.lastAt === g.lastAt && cur.members <= g.members)) list = mergeStorm(list, g);
    }
    return list;
  }, [polled, live]);

  if (hideWhenNone && groups.length === 0) return null;
  return (
    <section className="storm-panel" data-testid="storm-panel" aria-label={st(locale, 'title')}>
      <h3 className="storm-title">{st(locale, 'title')}</h3>
      {polled === null && !failed && <p className="storm-muted">{st(locale, 'loading')}</p>}
      {failed && <p className="storm-error" role="status">{st(locale, 'loadFailed')}</p>}
      {polled !== null && groups.length === 0 && <p className="storm-muted">{st(locale, 'none')}</p>}
      <ul className="storm-list">
        {groups.map((g) => (
          <li key={g.id} className={`storm-group ${g.endedAt ? 'ended' : 'active'}`} data-testid="storm-group" data-scope={g.scope} data-cause={g.cause}>
            <button type="button" className="storm-head" aria-expanded={open === g.id} onClick={() => setOpen(open === g.id ? null : g.id)}>
              <span className="storm-sentence">{stormSentence(locale, g)}</span>
              <span className={`storm-open ${g.open > 0 ? 'some' : 'none'}`}>{st(locale, 'open', { open: g.open, members: g.members })}</span>
              <span className="storm-toggle">{st(locale, open === g.id ? 'hide' : 'show')}</span>
            </button>
            {open === g.id && <StormMembers groupId={g.id} lastAt={g.lastAt} onSelectAlarm={onSelectAlarm} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

function StormMembers({ groupId, lastAt, onSelectAlarm }: { groupId: number; lastAt: string; onSelectAlarm?: (id: number) => void }) {
  const { locale } = useI18n();
  const [detail, setDetail] = useState<StormDetailResponse | null>(null);
  const [failed, setFailed] = useState(false);
  const load = useCallback(
    (signal: AbortSignal) =>
      fetchStorm(groupId, signal).then(
        (d) => {
          setDetail(d);
          setFailed(false);
        },
        () => {
          if (!signal.aborted) setFailed(true);
        },
      ),
    [groupId],
  );
  // Re-read when the group grew (its lastAt moved).
  useEffect(() => {
    const ctl = new AbortController();
    void load(ctl.signal);
    return () => ctl.abort();
  }, [load, lastAt]);
  if (failed) return <p className="storm-error">{st(locale, 'membersFailed')}</p>;
  if (!detail) return <p className="storm-muted">{st(locale, 'loading')}</p>;
  return (
    <div className="storm-members" data-testid="storm-members">
      <div className="storm-members-head">
        {st(locale, 'members')}
        {detail.alarms.length < detail.group.members && <span className="storm-muted"> · {st(locale, 'membersMore', { shown: detail.alarms.length, total: detail.group.members })}</span>}
      </div>
      <ul>
        {detail.alarms.map((a) => (
          <li key={a.id} className={`storm-member state-${a.state}`}>
            <button type="button" onClick={() => onSelectAlarm?.(a.id)} disabled={!onSelectAlarm} data-testid="storm-member" data-alarm-id={a.id}>
              <span className="storm-member-unit">{a.unitName ?? st(locale, 'unknownUnit')}</span>
              {a.pointLabel && <span className="storm-muted"> {a.pointLabel}</span>}
              <span className="storm-member-state">{st(locale, `state.${a.state}` as StormKey)}</span>
              {(a.flapCount ?? 0) > 0 && <span className="storm-flaps">{st(locale, 'flaps', { n: a.flapCount ?? 0 })}</span>}
              <time className="storm-muted">{formatTime(a.openedAt, locale, 'time')}</time>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
