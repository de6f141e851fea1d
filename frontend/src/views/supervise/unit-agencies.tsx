// The unit's agencies: a unit found by name shows the maintenance agency that keeps its
// system, the testing agency (消防设施检测机构) that serves it and the supervisors'
// back-checks (acceptance records signed from the signals the center received); a supervisor
// assigns or changes its testing agency (audited; the changes are listed).
import { useEffect, useState } from 'react';
import { unitAgenciesSchema, type UnitAgencies } from '@firelink/common';
import { z } from 'zod';
import { api } from '../../api/http.ts';
import { formatTime, type Locale } from '../../lib/i18n.ts';
import { useSession } from '../../lib/session-react.tsx';
import type { PickedUnit } from '../../lib/unit-search-react.ts';
import { fetchTestingAgencies, type TestingAgency } from './admin-api.ts';
import { adm } from './admin-strings.ts';
import { ListTable } from './list-table.tsx';
import { UnitPicker } from './pickers.tsx';
import { codeName } from './work-strings.ts';
import { Status, errText, type Msg } from './work-ui.tsx';

const fetchUnitAgencies = (unitId: number) => api(`/api/supervision/units/${unitId}/agencies`, unitAgenciesSchema);
const setUnitTestingAgency = (unitId: number, agencyId: number | null) =>
  api(`/api/supervision/units/${unitId}/testing-agency`, z.object({ unitId: z.number(), agencyId: z.number().nullable() }), { method: 'PUT', body: { agencyId } });

export function UnitAgenciesSection({ locale }: { locale: Locale }) {
  const { me } = useSession();
  // The change is for admins and supervisors (the server checks it again); an analyst reads.
  const canAssign = me?.role === 'admin' || me?.role === 'supervisor';
  const [unit, setUnit] = useState<PickedUnit | null>(null);
  const [view, setView] = useState<UnitAgencies | null>(null);
  const [agencies, setAgencies] = useState<TestingAgency[]>([]);
  const [choice, setChoice] = useState('');
  const [msg, setMsg] = useState<Msg>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    fetchTestingAgencies().then((r) => setAgencies(r.items), () => undefined);
  }, []);
  useEffect(() => {
    setView(null);
    setMsg(null);
    if (!unit) return;
    fetchUnitAgencies(unit.id).then(
      (v) => {
        setView(v);
        setChoice(v.testing ? String(v.testing.id) : '');
      },
      (e: unknown) => setMsg({ ok: false, text: errText(locale, e) }),
    );
  }, [unit, locale]);
  const save = async () => {
    if (!view) return;
    setBusy(true);
    try {
      await setUnitTestingAgency(view.unitId, choice ? Number(choice) : null);
      const v = await fetchUnitAgencies(view.unitId);
      setView(v);
      setMsg({ ok: true, text: adm(locale, v.testing ? 'uaSaved' : 'uaCleared', { name: v.testing?.name ?? '' }) });
    } catch (e) {
      setMsg({ ok: false, text: errText(locale, e) });
    } finally {
      setBusy(false);
    }
  };
  const changed = view != null && choice !== (view.testing ? String(view.testing.id) : '');
  return (
    <div className="sv-work" data-testid="sv-unit-agencies">
      <section className="sv-card sv-open">
        <div className="sv-form-row">
          <label>
            {adm(locale, 'pickUnit')}
            <UnitPicker locale={locale} value={unit} onPick={setUnit} testId="sv-ua-unit" />
          </label>
        </div>
        {!unit && <div className="sv-empty">{adm(locale, 'uaPick')}</div>}
        <Status msg={msg} />
      </section>
      {view && (
        <div className="sv-two">
          <section className="sv-card" data-testid="sv-ua-card">
            <h2>
              {view.unitName} {view.regionName && <span className="sv-muted sv-small">{view.regionName}</span>}
            </h2>
            <dl className="sv-facts">
              <dt>{adm(locale, 'uaMaintenance')}</dt>
              <dd data-testid="sv-ua-maintenance">{view.maintenance ? `${view.maintenance.name}${view.maintenance.phone ? ` · ${view.maintenance.phone}` : ''}` : adm(locale, 'uaNone')}</dd>
              <dt>{adm(locale, 'uaTesting')}</dt>
              <dd data-testid="sv-ua-testing">
                {view.testing ? (
                  <>
                    {view.testing.name}
                    {view.testing.licenseNo && <span className="sv-muted"> · {view.testing.licenseNo}</span>}
                    <div className="sv-muted sv-small">{adm(locale, 'uaSince', { at: formatTime(view.testing.since, locale, 'minute') })}</div>
                  </>
                ) : (
                  adm(locale, 'uaNone')
                )}
              </dd>
            </dl>
            {canAssign && (
              <div className="sv-form-row">
                <label>
                  {adm(locale, 'uaAssign')}
                  <select value={choice} onChange={(e) => setChoice(e.target.value)} data-testid="sv-ua-select">
                    <option value="">{adm(locale, 'uaNoAgency')}</option>
                    {agencies.map((a) => (
                      <option key={a.id} value={a.id}>
                        {a.name}
                        {a.regionName ? ` · ${a.regionName}` : ''}
                      </option>
                    ))}
                  </select>
                </label>
                <button type="button" className="primary" disabled={busy || !changed} onClick={() => void save()} data-testid="sv-ua-save">
                  {adm(locale, 'save')}
                </button>
              </div>
            )}
            <h3>{adm(locale, 'uaChanges')}</h3>
            <ListTable
              rows={view.changes}
              empty={adm(locale, 'uaNoChanges')}
              selectable={false}
              testId="sv-ua-changes"
              headings={[{ label: adm(locale, 'uaAt') }, { label: adm(locale, 'uaBy') }, { label: adm(locale, 'uaChange') }]}
              row={(c) => (
                <tr key={c.at}>
                  <td className="sv-time">{formatTime(c.at, locale, 'minute')}</td>
                  <td>{c.actorName ?? '—'}</td>
                  <td>
                    {c.fromName ?? adm(locale, 'uaNoAgency')} → {c.toName ?? adm(locale, 'uaNoAgency')}
                  </td>
                </tr>
              )}
            />
          </section>
          <section className="sv-card">
            <h2>{adm(locale, 'uaBackChecks')}</h2>
            <ListTable
              rows={view.backChecks}
              empty={adm(locale, 'uaNoBackChecks')}
              selectable={false}
              testId="sv-ua-checks"
              headings={[{ label: adm(locale, 'uaAt') }, { label: adm(locale, 'uaResult') }, { label: adm(locale, 'uaSignals'), num: true }, { label: adm(locale, 'uaTesting') }, { label: adm(locale, 'uaInspector') }]}
              row={(c) => (
                <tr key={c.id} className={c.result === 'fail' ? 'sv-row-bad' : ''}>
                  <td className="sv-time">{formatTime(c.signedAt, locale, 'minute')}</td>
                  <td className={c.result === 'fail' ? 'sv-overdue' : 'sv-okc'}>{codeName(locale, 'result', c.result)}</td>
                  <td className="num">
                    {c.signalsReceived}/{c.signalsAsked}
                  </td>
                  <td>{c.testingAgencyName ?? '—'}</td>
                  <td>{c.inspectorName}</td>
                </tr>
              )}
            />
          </section>
        </div>
      )}
    </div>
  );
}
