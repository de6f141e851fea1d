// Accountability (考核统计): the city / district league against the annex-1 stage targets
// with the notice's denominators and overdue stages flagged; supervisors (tasks on time,
// inspections done vs plan); maintenance and testing agencies (rates, overdue repairs,
// failed acceptances).
import { useEffect, useState } from 'react';
import type { AgencyStat, LeagueRow, SupervisorStat } from '@firelink/common';
import type { Locale } from '../../lib/i18n.ts';
import { fetchAgencyStats, fetchLeague, fetchSupervisorStats } from './work-api.ts';
import { codeName, ws } from './work-strings.ts';
import { Status, errText, pct, type Msg } from './work-ui.tsx';
import { ListTable } from './list-table.tsx';

function Metric({ locale, m }: { locale: Locale; m: LeagueRow['highRisk'] }) {
  return (
    <div>
      <b>{pct(m.pct)}</b> <span className="sv-muted sv-small">{ws(locale, 'ratio', { n: m.numerator, d: m.denominator })}</span>
      <div className="sv-stages">
        {m.stages.map((s) => (
          <span key={s.dueOn} className={`sv-stage sv-stage-${s.state}`}>
            {ws(locale, s.state === 'met' ? 'stage_met' : s.state === 'missed' ? 'stage_missed' : 'stage_upcoming', { date: s.dueOn, pct: s.targetPct })}
          </span>
        ))}
      </div>
    </div>
  );
}

export function StatsSection({ locale }: { locale: Locale }) {
  const [league, setLeague] = useState<LeagueRow[] | null>(null);
  const [sups, setSups] = useState<SupervisorStat[]>([]);
  const [kind, setKind] = useState<'maintenance' | 'testing'>('maintenance');
  const [agencies, setAgencies] = useState<AgencyStat[]>([]);
  const [msg, setMsg] = useState<Msg>(null);
  useEffect(() => {
    fetchLeague().then((r) => setLeague(r.items), (e: unknown) => setMsg({ ok: false, text: errText(locale, e) }));
    fetchSupervisorStats().then((r) => setSups(r.items), () => undefined);
  }, []);
  useEffect(() => {
    fetchAgencyStats(kind).then((r) => setAgencies(r.items), () => undefined);
  }, [kind]);
  return (
    <div className="sv-work" data-testid="sv-stats">
      <Status msg={msg} />
      <section className="sv-card">
        <h2>{ws(locale, 'league')}</h2>
        <table className="sv-table" data-testid="sv-league">
          <thead>
            <tr>
              <th className="num">#</th>
              <th>{ws(locale, 'regions')}</th>
              <th>{ws(locale, 'highRisk')}</th>
              <th>{ws(locale, 'controlRoom')}</th>
              <th className="num">{ws(locale, 'underConstruction')}</th>
            </tr>
          </thead>
          <tbody>
            {(league ?? []).map((r) => (
              <tr key={r.adcode} className={r.highRisk.overdue || r.controlRoom.overdue ? 'sv-row-bad' : ''} data-testid="sv-league-row">
                <td className="num">{r.rank}</td>
                <td>
                  {r.name} <span className="sv-muted sv-small">{codeName(locale, 'level', r.level)}</span>
                  {(r.highRisk.overdue || r.controlRoom.overdue) && <div className="sv-overdue sv-small">{ws(locale, 'overdueStage')}</div>}
                </td>
                <td>
                  <Metric locale={locale} m={r.highRisk} />
                </td>
                <td>
                  <Metric locale={locale} m={r.controlRoom} />
                </td>
                <td className="num">{r.underConstruction}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <div className="sv-two">
        <section className="sv-card">
          <h2>{ws(locale, 'supervisors')}</h2>
          <ListTable
            rows={sups}
            empty={ws(locale, 'emptySupervisors')}
            testId="sv-sup-stats"
            selectable={false}
            headings={[
              { label: ws(locale, 'supervisor') },
              { label: ws(locale, 'units'), num: true },
              { label: ws(locale, 'tasksOnTime'), num: true },
              { label: ws(locale, 'overdueOpen'), num: true },
              { label: ws(locale, 'planDone'), num: true },
            ]}
            row={(s) => (
              <tr key={s.supervisorId}>
                <td>{s.name}</td>
                <td className="num">{s.units}</td>
                <td className="num">
                  {s.tasksOnTime}/{s.tasksFinished} <span className="sv-muted sv-small">{pct(s.onTimePct)}</span>
                </td>
                <td className={s.tasksOverdueOpen > 0 ? 'num sv-overdue' : 'num'}>{s.tasksOverdueOpen}</td>
                <td className="num">
                  {s.inspectionsDone}/{s.inspectionsPlanned} <span className="sv-muted sv-small">{pct(s.planDonePct)}</span>
                </td>
              </tr>
            )}
          />
        </section>
        <section className="sv-card">
          <div className="sv-toolbar">
            <h2>{ws(locale, kind === 'maintenance' ? 'agencies' : 'testingAgencies')}</h2>
            <div className="sv-seg">
              {(['maintenance', 'testing'] as const).map((k) => (
                <button key={k} type="button" className={kind === k ? 'active' : ''} onClick={() => setKind(k)}>
                  {ws(locale, k === 'maintenance' ? 'kindMaintenance' : 'kindTesting')}
                </button>
              ))}
            </div>
          </div>
          <ListTable
            rows={agencies}
            empty={ws(locale, 'emptyAgencies')}
            testId="sv-agency-stats"
            selectable={false}
            headings={[
              { label: ws(locale, 'agency') },
              { label: ws(locale, 'units'), num: true },
              { label: ws(locale, 'falseRate'), num: true },
              { label: ws(locale, 'faultRate'), num: true },
              { label: ws(locale, 'overdueRepairs'), num: true },
              { label: ws(locale, 'failedAcceptances'), num: true },
            ]}
            row={(a) => (
              <tr key={a.agencyId}>
                <td>{a.name}</td>
                <td className="num">{a.units}</td>
                <td className="num">{pct(a.falseAlarmRatePct)}</td>
                <td className="num">{a.faultsPer100Points30d == null ? '—' : a.faultsPer100Points30d.toFixed(2)}</td>
                <td className={a.overdueRepairs > 0 ? 'num sv-overdue' : 'num'}>{a.overdueRepairs}</td>
                <td className="num">
                  {a.failedAcceptances}/{a.acceptances}
                </td>
              </tr>
            )}
          />
        </section>
      </div>
    </div>
  );
}
