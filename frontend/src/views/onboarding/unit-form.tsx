// The unit form with live completeness (the same rules the server enforces, from common),
// the lifecycle step buttons for the caller's role, the acceptance check record, point import
// and the floor-plan editor. The form's pure model (state, payload, live completeness) is in
// unit-form-model.ts.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { shanghaiDate, type CompletenessItem, type Contact, type UnitDetail, type UnitPatch } from '@firelink/common';
import { ApiError } from '../../api/http.ts';
import { createUnit, fetchCategories, fetchStatus, fetchUnit, importPoints, patchUnit, recordAcceptance, registerDevice, transition, type OnboardingStatus } from './api.ts';
import { FloorPlanEditor } from './floor-plan.tsx';
import { KeyPartsEditor } from './key-parts.tsx';
import { fmtTime, s, stateName, type OnbLocale } from './strings.ts';
import { errorText } from '../../lib/errors.ts';
import { LocationPicker } from '../../map/location-picker.tsx';
import { DateField, FileButton } from './pickers.tsx';
import { EMPTY, formFromUnit, liveMissing, parseLonLat, payloadOf, type FormState } from './unit-form-model.ts';


export function UnitForm({ unitId, locale, onCreated }: { unitId: number | null; locale: OnbLocale; onCreated?: (id: number) => void }) {
  const [unit, setUnit] = useState<UnitDetail | null>(null);
  const [status, setStatus] = useState<OnboardingStatus | null>(null);
  const [form, setForm] = useState<FormState>(EMPTY);
  const [categories, setCategories] = useState<Array<{ code: string; nameZh: string; nameEn: string }>>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [serverMissing, setServerMissing] = useState<CompletenessItem[] | null>(null);
  const [note, setNote] = useState('');

  const reload = useCallback(async () => {
    if (unitId == null) return;
    const [u, st] = await Promise.all([fetchUnit(unitId), fetchStatus(unitId)]);
    setUnit(u);
    setStatus(st);
    setForm(formFromUnit(u));
  }, [unitId]);

  useEffect(() => {
    void fetchCategories().then(setCategories, () => setCategories([]));
    reload().catch((e: Error) => setMessage(errorText(locale, e)));
  }, [reload]);

  const missing = useMemo(() => liveMissing(form, unit), [form, unit]);
  const set = <K extends keyof FormState>(k: K, v: FormState[K]) => setForm((f) => ({ ...f, [k]: v }));

  const save = async () => {
    setMessage(null);
    try {
      if (unit == null) {
        const created = await createUnit(payloadOf(form));
        onCreated?.(created.id);
        return;
      }
      const body = { ...payloadOf(form), version: unit.version } as UnitPatch;
      await patchUnit(unit.id, body);
      await reload();
      setMessage(s(locale, 'saved'));
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        await reload();
        setMessage(s(locale, 'conflict'));
      } else setMessage(errorText(locale, e));
    }
  };

  const step = async (to: string) => {
    if (!unit || !status) return;
    setMessage(null);
    setServerMissing(null);
    try {
      await transition(unit.id, to, status.version, note);
      setNote('');
      await reload();
    } catch (e) {
      const body = e instanceof ApiError ? (e.body as { missing?: CompletenessItem[] } | null) : null;
      if (body?.missing) setServerMissing(body.missing);
      setMessage(errorText(locale, e));
      if (e instanceof ApiError && e.status === 409) await reload();
    }
  };

  return (
    <div className="onb-form" data-testid="unit-form" data-loaded={unitId == null || unit != null ? "true" : "false"}>
      <section className="onb-card">
        <h2>
          {unit ? unit.name : s(locale, 'newUnit')}
          {unit && <span className="onb-state">{stateName(locale, unit.onboardingState)}</span>}
          {unit?.regionName && <small> · {unit.regionName}</small>}
        </h2>
        <div className="onb-grid">
          <label>
            {s(locale, 'name')}
            <input value={form.name} onChange={(e) => set('name', e.target.value)} data-field="name" />
          </label>
          <label>
            {s(locale, 'address')}
            <input value={form.address} onChange={(e) => set('address', e.target.value)} data-field="address" />
          </label>
          <label>
            {s(locale, 'category')}
            <select value={form.category} onChange={(e) => set('category', e.target.value)}>
              {(categories.length ? categories : [{ code: form.category, nameZh: form.category, nameEn: form.category }]).map((c) => (
                <option key={c.code} value={c.code}>
                  {locale === 'en' ? c.nameEn : c.nameZh}
                </option>
              ))}
            </select>
          </label>
          <div className="onb-wide onb-location">
            <span className="onb-label">
              {s(locale, 'location')}
              <span className="onb-hint" data-testid="location-value">
                {parseLonLat(form.lonLat) ? ` ${form.lonLat}` : locale === 'en' ? ' — click the map to place the unit' : ' — 在地图上点击单位位置'}
              </span>
            </span>
            <LocationPicker value={parseLonLat(form.lonLat)} onPick={([lon, lat]) => set('lonLat', `${lon},${lat}`)} />
          </div>
          <label className="onb-check">
            <input type="checkbox" checked={form.hasControlRoom} onChange={(e) => set('hasControlRoom', e.target.checked)} />
            {s(locale, 'hasControlRoom')}
          </label>
          <label>
            {s(locale, 'controlRoomPhone')}
            <input name="controlRoomPhone" value={form.controlRoomPhone} onChange={(e) => set('controlRoomPhone', e.target.value)} disabled={!form.hasControlRoom} />
          </label>
          <label>
            {s(locale, 'agency')}
            <input value={form.maintenanceAgencyId} inputMode="numeric" onChange={(e) => set('maintenanceAgencyId', e.target.value)} />
          </label>
          <label className="onb-check">
            <input type="checkbox" checked={form.underConstruction} onChange={(e) => set('underConstruction', e.target.checked)} />
            {s(locale, 'underConstruction')}
          </label>
          <label>
            {s(locale, 'verifiedDetection')} ({s(locale, 'registered')} {unit?.completeness.registeredDetectionPoints ?? 0})
            <input value={form.verifiedDetectionPoints} inputMode="numeric" onChange={(e) => set('verifiedDetectionPoints', e.target.value)} />
          </label>
          <label>
            {s(locale, 'verifiedLinkage')} ({s(locale, 'registered')} {unit?.completeness.registeredLinkagePoints ?? 0})
            <input value={form.verifiedLinkagePoints} inputMode="numeric" onChange={(e) => set('verifiedLinkagePoints', e.target.value)} />
          </label>
          <label className="onb-wide">
            {s(locale, 'pointNote')}
            <input value={form.pointTotalNote} onChange={(e) => set('pointTotalNote', e.target.value)} />
          </label>
          <label>
            {s(locale, 'drawingsDue')}
            <DateField locale={locale} value={form.drawingsDue} onChange={(v) => set('drawingsDue', v)} testId="drawings-due" />
          </label>
        </div>
        <h3>{s(locale, 'contacts')}</h3>
        {form.contacts.map((c, i) => (
          <div key={i} className="onb-contact">
            <select value={c.role} onChange={(e) => set('contacts', form.contacts.map((x, j) => (j === i ? { ...x, role: e.target.value as Contact['role'] } : x)))}>
              <option value="responsible">{locale === 'en' ? 'Responsible person' : '消防安全责任人'}</option>
              <option value="manager">{locale === 'en' ? 'Fire safety manager' : '消防安全管理人'}</option>
              <option value="control_room">{locale === 'en' ? 'Control room' : '消控室值班'}</option>
              <option value="other">{locale === 'en' ? 'Other' : '其他'}</option>
            </select>
            <input value={c.name} placeholder={locale === 'en' ? 'name' : '姓名'} onChange={(e) => set('contacts', form.contacts.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))} />
            <input value={c.phone} placeholder={locale === 'en' ? 'phone' : '电话'} onChange={(e) => set('contacts', form.contacts.map((x, j) => (j === i ? { ...x, phone: e.target.value } : x)))} />
            <button type="button" onClick={() => set('contacts', form.contacts.filter((_, j) => j !== i))}>
              ✕
            </button>
          </div>
        ))}
        <button type="button" onClick={() => set('contacts', [...form.contacts, { role: 'responsible', name: '', phone: '' }])}>
          {s(locale, 'addContact')}
        </button>
        <div className="onb-actions">
          <button type="button" className="primary" onClick={() => void save()} disabled={!form.name.trim()}>
            {s(locale, 'save')}
          </button>
          {message && <span className="onb-message">{message}</span>}
        </div>
      </section>

      <section className={`onb-card onb-completeness ${missing.length === 0 ? 'ok' : ''}`} data-testid="live-completeness">
        <h3>{missing.length === 0 ? s(locale, 'complete') : `${s(locale, 'missing')} (${missing.length})`}</h3>
        <ul>
          {missing.map((m) => (
            <li key={m.rule} data-rule={m.rule}>
              {locale === 'en' ? m.en : m.zh}
            </li>
          ))}
        </ul>
        {unit && unit.completeness.pointsWithoutPosition > 0 && (
          <div className={unit.completeness.drawingsOverdue ? 'onb-error' : 'onb-hint'}>
            {locale === 'en'
              ? `${unit.completeness.pointsWithoutPosition} points without a drawn position${unit.drawingsDue ? `, due ${unit.drawingsDue}` : ''}`
              : `${unit.completeness.pointsWithoutPosition} 个点位尚未标注位置${unit.drawingsDue ? `，期限 ${unit.drawingsDue}` : ''}`}
          </div>
        )}
      </section>

      {unit && status && (
        <section className="onb-card" data-testid="transitions">
          <h3>{s(locale, 'state')}: {stateName(locale, status.state)}</h3>
          <textarea value={note} placeholder={s(locale, 'note')} onChange={(e) => setNote(e.target.value)} rows={2} />
          <div className="onb-actions">
            {status.next.map((to) => {
              // Opening needs every item: the button says what is missing instead of a refusal.
              const blocked = to === 'open' && missing.length > 0;
              return (
                <button
                  key={to}
                  type="button"
                  data-to={to}
                  disabled={blocked}
                  title={blocked ? `${s(locale, 'missing')}: ${missing.map((m) => (locale === 'en' ? m.en : m.zh)).join('；')}` : undefined}
                  onClick={() => void step(to)}
                >
                  {s(locale, 'transitionTo')} {stateName(locale, to)}
                  {blocked ? (locale === 'en' ? ` (${missing.length} missing)` : `（尚缺 ${missing.length} 项）`) : ''}
                </button>
              );
            })}
          </div>
          {serverMissing && (
            <ul className="onb-error" data-testid="server-missing">
              {serverMissing.map((m) => (
                <li key={m.rule}>{locale === 'en' ? m.en : m.zh}</li>
              ))}
            </ul>
          )}
          <h4>{s(locale, 'history')}</h4>
          <ol className="onb-history">
            {status.history.map((h, i) => (
              <li key={i}>
                {fmtTime(h.at)} {h.actor}: {h.from && stateName(locale, h.from as never)} → {h.to && stateName(locale, h.to as never)} {h.note && `（${h.note}）`}
              </li>
            ))}
          </ol>
        </section>
      )}

      {unit && <Devices unit={unit} locale={locale} onDone={reload} />}
      {unit && <AcceptanceForm unitId={unit.id} locale={locale} onDone={reload} />}
      {unit && <PointImport unitId={unit.id} locale={locale} onDone={reload} />}
      {unit && <FloorPlanEditor unit={unit} locale={locale} onChanged={reload} />}
      {unit && <KeyPartsEditor unit={unit} />}
    </div>
  );
}

const ACCEPTANCE_KEYS = ['deviceTested', 'fireSignalReceived', 'faultSignalReceived', 'supervisorySignalReceived', 'feedbackSignalReceived', 'dutyCheckAnswered'] as const;

function AcceptanceForm({ unitId, locale, onDone }: { unitId: number; locale: OnbLocale; onDone: () => Promise<void> }) {
  const [checks, setChecks] = useState<Record<(typeof ACCEPTANCE_KEYS)[number], boolean>>(
    Object.fromEntries(ACCEPTANCE_KEYS.map((k) => [k, false])) as Record<(typeof ACCEPTANCE_KEYS)[number], boolean>,
  );
  const [inspector, setInspector] = useState('');
  const [checkedOn, setCheckedOn] = useState(() => shanghaiDate());
  const [notes, setNotes] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  const labels = s(locale, 'acceptanceFields').split(',');
  const submit = async (result: 'pass' | 'fail') => {
    try {
      await recordAcceptance(unitId, { ...checks, checkedOn, inspector, notes, result, deviceAddress: null });
      setMsg(s(locale, 'saved'));
      await onDone();
    } catch (e) {
      setMsg(errorText(locale, e));
    }
  };
  return (
    <section className="onb-card">
      <h3>{s(locale, 'acceptance')}</h3>
      <div className="onb-grid">
        {ACCEPTANCE_KEYS.map((k, i) => (
          <label key={k} className="onb-check">
            <input type="checkbox" checked={checks[k]} onChange={(e) => setChecks({ ...checks, [k]: e.target.checked })} />
            {labels[i]}
          </label>
        ))}
        <label>
          {s(locale, 'checkedOn')}
          <DateField locale={locale} value={checkedOn} onChange={setCheckedOn} testId="checked-on" />
        </label>
        <label>
          {s(locale, 'inspector')}
          <input value={inspector} onChange={(e) => setInspector(e.target.value)} />
        </label>
        <label className="onb-wide">
          {s(locale, 'note')}
          <input value={notes} onChange={(e) => setNotes(e.target.value)} />
        </label>
      </div>
      <div className="onb-actions">
        <button type="button" disabled={!inspector.trim()} onClick={() => void submit('pass')}>
          {s(locale, 'record')}: {s(locale, 'pass')}
        </button>
        <button type="button" disabled={!inspector.trim()} onClick={() => void submit('fail')}>
          {s(locale, 'record')}: {s(locale, 'fail')}
        </button>
        {msg && <span className="onb-message">{msg}</span>}
      </div>
    </section>
  );
}

function PointImport({ unitId, locale, onDone }: { unitId: number; locale: OnbLocale; onDone: () => Promise<void> }) {
  const [msg, setMsg] = useState<string | null>(null);
  const [hex, setHex] = useState('');
  const run = async (body: Parameters<typeof importPoints>[1]) => {
    try {
      const r = await importPoints(unitId, body);
      setMsg(locale === 'en' ? `${r.inserted} added, ${r.updated} updated` : `新增 ${r.inserted}，更新 ${r.updated}`);
      await onDone();
    } catch (e) {
      const rows = e instanceof ApiError ? (e.body as { rows?: Array<{ row: number; message: string }> } | null)?.rows : undefined;
      // Row messages are the server's English: the Chinese screen names the rows only.
      const rowText = rows ? (locale === 'en' ? rows.slice(0, 5).map((r) => `#${r.row}: ${r.message}`).join('; ') : `第 ${rows.slice(0, 10).map((r) => r.row).join('、')} 行有误`) : '';
      setMsg(`${errorText(locale, e)}${rowText ? ` — ${rowText}` : ''}`);
    }
  };
  const onFile = async (file: File) => {
    if (/\.xlsx?$/i.test(file.name)) {
      const bytes = new Uint8Array(await file.arrayBuffer());
      let bin = '';
      for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      await run({ format: 'xlsx', base64: btoa(bin) });
    } else await run({ format: 'csv', text: await file.text() });
  };
  return (
    <section className="onb-card">
      <h3>{s(locale, 'importPoints')}</h3>
      <FileButton label={locale === 'en' ? 'Choose a CSV or XLSX file' : '选择 CSV / XLSX 文件'} accept=".csv,.xlsx,.xls" onFile={(f) => void onFile(f)} testId="points-file" />
      <textarea rows={2} value={hex} placeholder="07 02 01 00 2a 11 00 02 00 …" onChange={(e) => setHex(e.target.value)} />
      <button type="button" disabled={!hex.trim()} onClick={() => void run({ format: 'type7', adus: hex.split(/\n+/).map((x) => x.trim()).filter(Boolean) })}>
        {s(locale, 'import')}
      </button>
      {msg && <div className="onb-message">{msg}</div>}
    </section>
  );
}

function Devices({ unit, locale, onDone }: { unit: UnitDetail; locale: OnbLocale; onDone: () => Promise<void> }) {
  const [address, setAddress] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  const add = async () => {
    try {
      await registerDevice(unit.id, Number(address), null);
      setAddress('');
      setMsg(null);
      await onDone();
    } catch (e) {
      setMsg(errorText(locale, e));
    }
  };
  return (
    <section className="onb-card" data-testid="devices">
      <h3>{locale === 'en' ? 'UITD (GB/T 26875 address)' : '用户信息传输装置（GB/T 26875 地址）'}</h3>
      <ul>
        {unit.devices.map((d) => (
          <li key={d.id}>
            {d.protocol}:{d.address} {d.model ?? ''} {d.online ? '●' : '○'}
          </li>
        ))}
      </ul>
      <div className="onb-actions">
        <input value={address} inputMode="numeric" placeholder="112233445566" onChange={(e) => setAddress(e.target.value)} />
        <button type="button" disabled={!/^\d{1,15}$/.test(address)} onClick={() => void add()}>
          {locale === 'en' ? 'Register' : '登记'}
        </button>
        {msg && <span className="onb-message">{msg}</span>}
      </div>
    </section>
  );
}
