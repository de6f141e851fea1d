// The supervisor's workspace, mounted by the app at /supervise: follow-up tasks (督办) on a
// map and in a list — mine (assigned or escalated to me) or all in my jurisdiction — and the
// chosen task with its evidence, history and the moves its state allows, with a note; and the
// sections for responsibility, the inspection plan, inspections, cases, accountability,
// acceptance records and reports.
import { useEffect, useMemo, useRef, useState } from 'react';
import { ScatterplotLayer } from '@deck.gl/layers';
import type { PickingInfo } from '@deck.gl/core';
import type { TaskDetail, TaskDto, TaskState } from '@firelink/common';
import { formatTime, translateDynamic, type Locale } from '../../lib/i18n.ts';
import { useI18n } from '../../lib/i18n-react.tsx';
import { Link } from '../../lib/router-react.tsx';
import { CommandMap, type CommandMapHandle } from '../../map/command-map.tsx';
import { ApiError } from '../../api/http.ts';
import { errorText, fetchTask, fetchTasks, moveTask, noteTask } from './api.ts';
import { evidenceText, reasonName, s, stateName, stepName } from './strings.ts';
import { TAB_STATES, taskBounds, taskColor, type Tab } from './view-model.ts';
import { AcceptSection } from './accept.tsx';
import { AssignSection } from './assign.tsx';
import { CasesSection, InspectionForm, InspectionsSection, PlanSection, type InspectTarget } from './inspect.tsx';
import { ReportsSection } from './reports.tsx';
import { SetupSection } from './setup.tsx';
import { adm, type AdminKey } from './admin-strings.ts';
import { StatsSection } from './stats.tsx';
import { ws, type WorkKey } from './work-strings.ts';
import './supervise.css';
import { ListTable } from './list-table.tsx';
import { UnitAgenciesSection } from './unit-agencies.tsx';

function TaskPanel({ id, locale, onChanged }: { id: number; locale: Locale; onChanged: () => void }) {
  const [task, setTask] = useState<TaskDetail | null>(null);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const load = (signal?: AbortSignal) =>
    fetchTask(id, signal).then(setTask, (err: unknown) => {
      if (!signal?.aborted) setMessage({ ok: false, text: errorText(locale, err) });
    });
  useEffect(() => {
    const ac = new AbortController();
    setTask(null);
    setMessage(null);
    setNote('');
    void load(ac.signal);
    return () => ac.abort();
  }, [id]);

  const act = async (f: () => Promise<TaskDetail>) => {
    setBusy(true);
    setMessage(null);
    try {
      setTask(await f());
      setNote('');
      setMessage({ ok: true, text: s(locale, 'saved') });
      onChanged();
    } catch (err) {
      setMessage({ ok: false, text: errorText(locale, err) });
      await load();
    } finally {
      setBusy(false);
    }
  };

  if (!task) return <div className="sv-panel sv-muted">{message ? message.text : s(locale, 'loading')}</div>;
  return (
    <div className="sv-panel" data-testid="sv-task">
      <header>
        <h2>{task.unitName}</h2>
        <span className={`sv-state sv-state-${task.state}`} data-testid="sv-task-state">
          {stateName(locale, task.state)}
        </span>
        <Link href={`/units/${task.unitId}`}>{s(locale, 'openUnit')}</Link>
      </header>
      <dl className="sv-facts">
        <dt>{s(locale, 'reason')}</dt>
        <dd>
          {reasonName(locale, task.reason)} · <span className="sv-muted">{s(locale, task.origin === 'rule' ? 'origin_rule' : 'origin_manual')}</span>
        </dd>
        <dt>{s(locale, 'evidence')}</dt>
        <dd data-testid="sv-evidence">{evidenceText(locale, task.reason, task.evidence.figures, task.detail)}</dd>
        <dt>{s(locale, 'due')}</dt>
        <dd>
          {formatTime(task.dueAt, locale)} {task.overdue && <b className="sv-overdue">{s(locale, 'overdue')}</b>}
          {task.escalatedToName && <span className="sv-muted"> · {s(locale, 'escalated', { name: task.escalatedToName })}</span>}
        </dd>
        <dt>{s(locale, 'assignee')}</dt>
        <dd>{task.assigneeName ?? s(locale, 'unassigned')}</dd>
        <dt>{s(locale, 'region')}</dt>
        <dd>{task.regionName ?? '—'}</dd>
      </dl>
      {task.alarms.length > 0 && (
        <>
          <h3>{s(locale, 'alarms')}</h3>
          <ul className="sv-alarms">
            {task.alarms.map((a) => (
              <li key={a.id}>
                <Link href={`/desk/${a.id}`}>{translateDynamic(locale, 'kind', a.kind)}</Link> · {formatTime(a.openedAt, locale)} · {translateDynamic(locale, 'state', a.state)}
                {a.verdict && ` · ${translateDynamic(locale, 'verdict', a.verdict)}`}
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>{s(locale, 'note')}</h3>
      <textarea value={note} onChange={(e) => setNote(e.target.value)} placeholder={s(locale, 'notePlaceholder')} rows={3} maxLength={2000} data-testid="sv-note" />
      <div className="sv-actions">
        {task.next.map((to) => (
          <button key={to} type="button" className="primary" disabled={busy} onClick={() => void act(() => moveTask(task.id, to, task.version, note.trim()))} data-testid={`sv-move-${to}`}>
            {s(locale, 'moveTo', { state: stateName(locale, to) })}
          </button>
        ))}
        {task.next.length > 0 && (
          <button type="button" disabled={busy || note.trim() === ''} onClick={() => void act(() => noteTask(task.id, note.trim()))} data-testid="sv-add-note">
            {s(locale, 'addNote')}
          </button>
        )}
        {task.next.length === 0 && task.state !== 'closed' && <span className="sv-muted">{s(locale, 'noActions')}</span>}
      </div>
      {message && (
        <div className={message.ok ? 'sv-ok' : 'sv-error'} role="status" data-testid="sv-message">
          {message.text}
        </div>
      )}
      <h3>{s(locale, 'history')}</h3>
      <ol className="sv-steps" data-testid="sv-steps">
        {task.steps.map((st, i) => (
          <li key={i}>
            <span className="sv-time">{formatTime(st.at, locale)}</span> {st.actorName === 'system' ? s(locale, 'system') : st.actorName} · {stepName(locale, st.kind)}
            {st.toState && st.kind === 'transition' && ` → ${stateName(locale, st.toState)}`}
            {st.note && <div className="sv-step-note">{st.note}</div>}
          </li>
        ))}
      </ol>
    </div>
  );
}

type Section = 'tasks' | 'assign' | 'plan' | 'inspections' | 'cases' | 'units' | 'stats' | 'accept' | 'reports' | 'setup';
const SECTIONS: Array<[Section, WorkKey | AdminKey]> = [
  ['tasks', 'secTasks'],
  ['assign', 'secAssign'],
  ['plan', 'secPlan'],
  ['inspections', 'secInspections'],
  ['cases', 'secCases'],
  ['units', 'secUnitAgencies'],
  ['stats', 'secStats'],
  ['accept', 'secAccept'],
  ['reports', 'secReports'],
  ['setup', 'secSetup'],
];

export default function SuperviseView(_props: { path?: string }) {
  const { locale } = useI18n();
  const [section, setSection] = useState<Section>('tasks');
  // The inspection form opened from the plan or from an order to re-inspect; after saving, the record is shown.
  const [inspect, setInspect] = useState<InspectTarget | null>(null);
  const [showInspection, setShowInspection] = useState<number | null>(null);
  const go = (s: Section) => {
    setInspect(null);
    setSection(s);
  };
  return (
    <div className="sv-page" data-testid="supervise">
      <nav className="sv-sections" role="tablist">
        <h1>{s(locale, 'title')}</h1>
        {SECTIONS.map(([key, label]) => (
          <button key={key} type="button" role="tab" aria-selected={section === key} className={section === key ? 'active' : ''} onClick={() => go(key)} data-testid={`sv-sec-${key}`}>
            {label === 'secSetup' || label === 'secUnitAgencies' ? adm(locale, label) : ws(locale, label as WorkKey)}
          </button>
        ))}
      </nav>
      {inspect ? (
        <InspectionForm
          locale={locale}
          target={inspect}
          onCancel={() => setInspect(null)}
          onDone={(i) => {
            setInspect(null);
            setShowInspection(i.id);
            setSection('inspections');
          }}
        />
      ) : (
        <>
          {section === 'tasks' && <TasksSection />}
          {section === 'assign' && <AssignSection locale={locale} />}
          {section === 'plan' && <PlanSection locale={locale} onInspect={setInspect} />}
          {section === 'inspections' && <InspectionsSection key={showInspection ?? 0} locale={locale} pickId={showInspection} onReinspect={setInspect} />}
          {section === 'cases' && <CasesSection locale={locale} />}
          {section === 'units' && <UnitAgenciesSection locale={locale} />}
          {section === 'stats' && <StatsSection locale={locale} />}
          {section === 'accept' && <AcceptSection locale={locale} />}
          {section === 'reports' && <ReportsSection locale={locale} />}
          {section === 'setup' && <SetupSection locale={locale} />}
        </>
      )}
    </div>
  );
}

function TasksSection() {
  const { locale } = useI18n();
  const [view, setView] = useState<'mine' | 'all'>('mine');
  const [tab, setTab] = useState<Tab>('pending');
  const [tasks, setTasks] = useState<TaskDto[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [picked, setPicked] = useState<number | null>(null);
  const [reload, setReload] = useState(0);
  const map = useRef<CommandMapHandle>(null);

  useEffect(() => {
    const ac = new AbortController();
    fetchTasks({ view, states: TAB_STATES[tab] }, ac.signal).then(
      (page) => {
        setTasks(page.items);
        setError(null);
      },
      (err: unknown) => {
        if (!ac.signal.aborted) setError(err instanceof ApiError && err.status === 403 ? s(locale, 'errRole') : errorText(locale, err));
      },
    );
    return () => ac.abort();
  }, [view, tab, reload]);

  // Frame the tasks when the list (not a single task's state) changes.
  const boundsKey = JSON.stringify(taskBounds(tasks ?? []));
  useEffect(() => {
    const b = taskBounds(tasks ?? []);
    if (b) map.current?.fitBounds(b, 0);
  }, [boundsKey]);

  const layers = useMemo(
    () => [
      new ScatterplotLayer<TaskDto>({
        id: 'supervise-tasks',
        data: (tasks ?? []).filter((t) => t.lonLatWgs84),
        getPosition: (t) => t.lonLatWgs84!,
        getFillColor: (t) => taskColor(t),
        getLineColor: (t) => (t.id === picked ? [255, 255, 255, 255] : [10, 20, 36, 255]),
        getRadius: (t) => (t.id === picked ? 11 : 8),
        radiusUnits: 'pixels',
        stroked: true,
        lineWidthUnits: 'pixels',
        getLineWidth: (t) => (t.id === picked ? 3 : 1.5),
        pickable: true,
        updateTriggers: { getLineColor: [picked], getRadius: [picked], getLineWidth: [picked] },
      }),
    ],
    [tasks, picked],
  );
  const overdue = (tasks ?? []).filter((t) => t.overdue).length;

  return (
    <>
      <div className="sv-top">
        <div className="sv-seg" role="tablist">
          {(['mine', 'all'] as const).map((v) => (
            <button key={v} type="button" className={view === v ? 'active' : ''} onClick={() => setView(v)} data-testid={`sv-view-${v}`}>
              {s(locale, v)}
            </button>
          ))}
        </div>
        <div className="sv-seg" role="tablist">
          {(['pending', 'finished', 'everything'] as const).map((v) => (
            <button key={v} type="button" className={tab === v ? 'active' : ''} onClick={() => setTab(v)} data-testid={`sv-tab-${v}`}>
              {s(locale, v)}
            </button>
          ))}
        </div>
        <span className="sv-muted" data-testid="sv-count">
          {s(locale, 'total', { n: tasks?.length ?? 0 })}
        </span>
        {overdue > 0 && <b className="sv-overdue">{s(locale, 'overdueCount', { n: overdue })}</b>}
      </div>
      {error && <div className="sv-error">{error}</div>}
      <div className="sv-grid">
        <section className="sv-map">
          <CommandMap
            ref={map}
            extra={layers}
            className="sv-mapbox"
            onPick={(info: PickingInfo) => {
              const t = info.object as TaskDto | undefined;
              if (t) setPicked(t.id);
            }}
            onUnitClick={(unitId) => {
              const t = (tasks ?? []).find((x) => x.unitId === unitId);
              if (t) setPicked(t.id);
            }}
          />
          {tasks?.length === 0 && (
            <div className="sv-map-empty" data-testid="sv-map-empty">
              {s(locale, 'emptyMap')}
            </div>
          )}
          <div className="sv-legend">
            <i style={{ background: 'rgb(255,64,64)' }} /> {s(locale, 'legendOverdue')} <i style={{ background: 'rgb(255,170,0)' }} /> {s(locale, 'legendPending')}{' '}
            <i style={{ background: 'rgb(46,204,113)' }} /> {s(locale, 'legendDone')}
          </div>
        </section>
        <section className="sv-list">
          <ListTable
            rows={tasks}
            loading={error ? undefined : s(locale, 'loading')}
            empty={s(locale, 'empty')}
            testId="sv-list"
            headings={[{ label: s(locale, 'unit') }, { label: s(locale, 'reason') }, { label: s(locale, 'state') }, { label: s(locale, 'due') }, { label: s(locale, 'assignee') }]}
            row={(t) => (
              <tr key={t.id} className={t.id === picked ? 'sv-picked' : ''} onClick={() => setPicked(t.id)} data-testid="sv-row" data-task={t.id}>
                <td>
                  {t.unitName}
                  <div className="sv-muted sv-small">{t.regionName ?? ''}</div>
                </td>
                <td>{reasonName(locale, t.reason)}</td>
                <td>
                  <span className={`sv-state sv-state-${t.state}`}>{stateName(locale, t.state as TaskState)}</span>
                </td>
                <td className={t.overdue ? 'sv-overdue sv-time' : 'sv-time'}>{formatTime(t.dueAt, locale)}</td>
                <td>{t.assigneeName ?? s(locale, 'unassigned')}</td>
              </tr>
            )}
          />
        </section>
        <section className="sv-detail">
          {picked === null ? <div className="sv-panel sv-muted">{s(locale, 'pick')}</div> : <TaskPanel key={picked} id={picked} locale={locale} onChanged={() => setReload((k) => k + 1)} />}
        </section>
      </div>
    </>
  );
}
