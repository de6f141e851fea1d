// Key parts (重点部位) editor of the unit form: add a key part with its floor, then pin it on
// that floor's plan (the plans uploaded in the floor-plan editor above). The same parts and
// pins as the station's 六熟悉 pack, through /api/station (admins and supervisors).
import { useEffect, useState } from 'react';
import type { KeyPart, UnitDetail } from '@firelink/common';
import { useI18n } from '../../lib/i18n-react.tsx';
import { useSession } from '../../lib/session-react.tsx';
import type { Locale } from '../../lib/i18n.ts';
import { addKeyPart, deleteKeyPart, errorText, fetchKeyParts } from '../station/api.ts';
import { KeyPartPlan } from '../station/key-part-plan.tsx';
import { floorName, s } from '../station/strings.ts';

/** Who edits key parts: the roles the station API lets record them (maintainers onboard units but do not). */
const EDITORS = ['admin', 'supervisor'];

export function KeyPartsEditor({ unit }: { unit: UnitDetail }) {
  const { me } = useSession();
  if (!me || !EDITORS.includes(me.role) || !unit.building) return null;
  return <Editor unit={unit} />;
}

function Editor({ unit }: { unit: UnitDetail }) {
  const { locale } = useI18n();
  const l = locale as Locale;
  const [data, setData] = useState<{ keyParts: KeyPart[]; floorPlans: Array<{ floor: number; widthPx: number; heightPx: number }> } | null>(null);
  const [reload, setReload] = useState(0);
  const [msg, setMsg] = useState<string | null>(null);
  const planFloors = data?.floorPlans.map((f) => f.floor) ?? [];
  const [form, setForm] = useState({ floor: '', name: '', hazard: '' });
  // Refetched when the unit reloads (a plan uploaded above brings a new floor to mark on).
  useEffect(() => {
    const ac = new AbortController();
    fetchKeyParts(unit.id, ac.signal).then(setData, (err: unknown) => !ac.signal.aborted && setMsg(errorText(locale, err)));
    return () => ac.abort();
  }, [unit, reload]);
  const save = async (what: () => Promise<unknown>) => {
    try {
      await what();
      setMsg(null);
      setReload((n) => n + 1);
    } catch (err) {
      setMsg(errorText(locale, err));
    }
  };
  const floorValue = form.floor || (planFloors[0] != null ? String(planFloors[0]) : '');
  return (
    <section className="onb-card st-key-parts" data-testid="onb-key-parts">
      <h3>{s(locale, 'keyPartsEditor')}</h3>
      <div className="onb-hint">{s(locale, 'keyPartsEditorHint')}</div>
      {data && data.floorPlans.length === 0 && <div className="onb-hint">{s(locale, 'noPlanForParts')}</div>}
      <ol className="st-key-part-list">
        {data?.keyParts.map((k) => (
          <li key={k.id} data-testid={`onb-key-part-${k.id}`}>
            {k.floor != null ? `${floorName(l, k.floor)} · ` : ''}
            <b>{k.name}</b> {k.hazard}
            {!k.planPx && k.floor != null && planFloors.includes(k.floor) && <span className="st-muted"> · {s(locale, 'notMarked')}</span>}
            <button type="button" className="st-link" onClick={() => void save(() => deleteKeyPart(unit.id, k.id))}>
              {s(locale, 'remove')}
            </button>
          </li>
        ))}
      </ol>
      <form
        className="onb-actions"
        onSubmit={(e) => {
          e.preventDefault();
          void save(() => addKeyPart(unit.id, { floor: floorValue === '' ? null : Number(floorValue), name: form.name.trim(), hazard: form.hazard.trim() })).then(() =>
            setForm({ floor: form.floor, name: '', hazard: '' }),
          );
        }}
      >
        <select value={floorValue} onChange={(e) => setForm({ ...form, floor: e.target.value })} data-testid="onb-key-part-floor" aria-label={s(locale, 'keyPartFloor')}>
          {planFloors.map((f) => (
            <option key={f} value={String(f)}>
              {floorName(l, f)}
            </option>
          ))}
          <option value="">{s(locale, 'noFloor')}</option>
        </select>
        <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} placeholder={s(locale, 'keyPartName')} required maxLength={200} data-testid="onb-key-part-name" />
        <input value={form.hazard} onChange={(e) => setForm({ ...form, hazard: e.target.value })} placeholder={s(locale, 'keyPartHazard')} maxLength={1000} />
        <button type="submit" data-testid="onb-key-part-add">
          {s(locale, 'addKeyPart')}
        </button>
        {msg && <span className="onb-message">{msg}</span>}
      </form>
      {data && <KeyPartPlan key={data.floorPlans.map((f) => f.floor).join(',')} unitId={unit.id} keyParts={data.keyParts} floorPlans={data.floorPlans} editable onSave={save} />}
    </section>
  );
}
