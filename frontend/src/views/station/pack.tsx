// A unit's 六熟悉 pack: roads and water around it (with the route from this station),
// building and key parts, fire facilities by floor in words, the fire organisation
// (contacts with roles), familiarisation visits (12-month flag). `card` renders the
// one-page printable card (the browser's print / save as PDF).
import { useEffect, useRef, useState } from 'react';
import type { PackFile, UnitPack } from '@firelink/common';
import { formatTime, type Locale } from '../../lib/i18n.ts';
import { useI18n } from '../../lib/i18n-react.tsx';
import { Link } from '../../lib/router-react.tsx';
import { useSession } from '../../lib/session-react.tsx';
import { ApiError } from '../../api/http.ts';
import { useCategories } from '../finder/code-names.ts';
import { componentTypeName, contactRoleName, systemTypeName } from '../finder/strings.ts';
import { PACK_PHOTO_TYPES, PACK_PLAN_TYPES } from '@firelink/common';
import { addKeyPart, addVisit, deleteFile, deleteKeyPart, errorText, fetchPack, fileUrl, patchKeyPart, uploadPackFile } from './api.ts';
import { floorName, s, waterKindName } from './strings.ts';

export function PackView({ unitId, card }: { unitId: number; card: boolean }) {
  const { locale } = useI18n();
  const l = locale as Locale;
  const { me } = useSession();
  const [pack, setPack] = useState<UnitPack | null>(null);
  const [error, setError] = useState<string | null>(null);
  // A refused save (bad file, too large) is said above the pack; the pack stays.
  const [saveError, setSaveError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [note, setNote] = useState('');
  const [part, setPart] = useState({ floor: '', name: '', hazard: '' });
  const [saved, setSaved] = useState(false);
  const [planTitle, setPlanTitle] = useState('');
  const categories = useCategories();
  useEffect(() => {
    const ac = new AbortController();
    fetchPack(unitId, ac.signal).then(setPack, (err: unknown) => !ac.signal.aborted && setError(errorText(locale, err)));
    return () => ac.abort();
  }, [unitId, reload]);
  useEffect(() => {
    if (card && pack) setTimeout(() => window.print(), 300);
  }, [card, !!pack]);
  if (error) return <div className="st-error" data-testid="pack-error">{error}</div>;
  if (!pack) return <div className="st-muted">{s(locale, 'loading')}</div>;
  const mayRecord = me?.role === 'station' || me?.role === 'supervisor' || me?.role === 'admin';
  const u = pack.unit;
  const save = async (what: () => Promise<unknown>, file = false) => {
    try {
      await what();
      setSaved(true);
      setSaveError(null);
      setReload((n) => n + 1);
    } catch (err) {
      // A refused upload: the file's type or bytes, said as such (400 from the type check).
      setSaveError(file && err instanceof ApiError && err.status === 400 ? s(locale, 'errFile') : errorText(locale, err));
    }
  };
  const b = pack.building;
  return (
    <div className={card ? 'st-pack st-card' : 'st-pack'} data-testid="station-pack">
      <div className="st-top no-print">
        <Link href="/station">← {s(locale, 'back')}</Link>
        <Link href={`/units/${u.id}`}>{s(locale, 'openUnit')}</Link>
        <Link href={`/station/units/${u.id}/card`}>{s(locale, 'print')}</Link>
      </div>
      <h1>
        {card ? `${s(locale, 'card')} · ` : `${s(locale, 'pack')} · `}
        {u.name}
      </h1>
      {saveError && (
        <div className="st-error no-print" role="alert" data-testid="pack-save-error">
          {saveError}
        </div>
      )}
      <div className={pack.visitDue ? 'st-flag due' : 'st-flag'} data-testid="pack-visit-flag">
        {pack.visitDue ? s(locale, 'dueFlag') : s(locale, 'okFlag')}
        {' · '}
        {pack.visits[0] ? s(locale, 'lastVisit', { at: formatTime(pack.visits[0].visitedAt, l, 'date') }) : s(locale, 'never')}
      </div>
      <div className="st-pack-grid">
        <section>
          <h2>1 · {s(locale, 'roads')}</h2>
          <div>
            {s(locale, 'address')}：{u.address ?? '—'}
          </div>
          {pack.route && (
            <div>
              {s(locale, 'fromStation')}：{s(locale, pack.route.method === 'road' ? 'eta' : 'etaStraight', { min: Math.max(1, Math.round(pack.route.etaSeconds / 60)), km: (pack.route.distanceMeters / 1000).toFixed(1) })}
            </div>
          )}
          <ul data-testid="pack-water">
            {pack.water.length === 0 && <li className="st-muted">{s(locale, 'noWater')}</li>}
            {pack.water.map((w) => (
              <li key={w.id}>{s(locale, w.method === 'road' ? 'waterLine' : 'waterStraight', { kind: w.name ?? waterKindName(l, w.kind), m: Math.round(w.distanceMeters) })}</li>
            ))}
          </ul>
        </section>
        <section>
          <h2>2 · {s(locale, 'building')}</h2>
          <div>
            {s(locale, 'category')}：{((c) => (c ? (locale === 'en' ? c.nameEn ?? c.nameZh : c.nameZh) : ''))(categories?.find((c) => c.code === u.category))} {u.highRisk && <span className="st-tag">{s(locale, 'highRisk')}</span>}
          </div>
          {b && <div>{s(locale, 'buildingLine', { above: b.floorsAbove, below: b.floorsBelow, height: b.heightM ? s(locale, 'heightPart', { h: Math.round(b.heightM) }) : '' })}</div>}
        </section>
        <section>
          <h2>3 · {s(locale, 'keyParts')}</h2>
          <ul data-testid="pack-key-parts">
            {pack.keyParts.length === 0 && <li className="st-muted">{s(locale, 'noKeyParts')}</li>}
            {pack.keyParts.map((k, i) => (
              <li key={k.id}>
                {k.planPx && <span className="st-pin-no">{i + 1}</span>}
                {k.floor != null ? `${floorName(l, k.floor)} · ` : ''}
                <b>{k.name}</b> {k.hazard}
                {mayRecord && !card && (
                  <button type="button" className="st-link no-print" onClick={() => void save(() => deleteKeyPart(u.id, k.id))} data-testid={`key-part-delete-${k.id}`}>
                    {s(locale, 'remove')}
                  </button>
                )}
              </li>
            ))}
          </ul>
          <KeyPartPlan pack={pack} editable={mayRecord && !card} onSave={save} />
          {mayRecord && !card && (
            <form
              className="st-form no-print"
              onSubmit={(e) => {
                e.preventDefault();
                void save(() => addKeyPart(u.id, { floor: part.floor.trim() === '' ? null : Number(part.floor), name: part.name, hazard: part.hazard })).then(() => setPart({ floor: '', name: '', hazard: '' }));
              }}
            >
              <input value={part.floor} onChange={(e) => setPart({ ...part, floor: e.target.value })} placeholder={s(locale, 'keyPartFloor')} inputMode="numeric" />
              <input value={part.name} onChange={(e) => setPart({ ...part, name: e.target.value })} placeholder={s(locale, 'keyPartName')} required />
              <input value={part.hazard} onChange={(e) => setPart({ ...part, hazard: e.target.value })} placeholder={s(locale, 'keyPartHazard')} />
              <button type="submit">{s(locale, 'addKeyPart')}</button>
            </form>
          )}
        </section>
        <section data-testid="pack-plans">
          <h2>{s(locale, 'plans')}</h2>
          <ul>
            {pack.plans.length === 0 && <li className="st-muted">{s(locale, 'noPlans')}</li>}
            {pack.plans.map((f) => (
              <li key={f.id} data-testid={`pack-plan-${f.id}`}>
                <a href={fileUrl(u.id, f.id, true)} download={f.fileName}>
                  {f.title}
                </a>{' '}
                <span className="st-muted">
                  {fileLine(l, f)} · {f.byName}
                </span>
                {mayRecord && !card && (
                  <button type="button" className="st-link no-print" onClick={() => void save(() => deleteFile(u.id, f.id))}>
                    {s(locale, 'remove')}
                  </button>
                )}
              </li>
            ))}
          </ul>
          {mayRecord && !card && (
            <div className="st-form no-print">
              <input value={planTitle} onChange={(e) => setPlanTitle(e.target.value)} placeholder={s(locale, 'planTitle')} data-testid="plan-title" />
              <label className="st-file">
                {s(locale, 'uploadPlan')}
                <input
                  type="file"
                  accept={PACK_PLAN_TYPES.join(',')}
                  data-testid="plan-file"
                  onChange={(e) => {
                    const file = e.target.files?.[0];
                    e.target.value = '';
                    if (file) void save(() => uploadPackFile(`/api/station/units/${u.id}/plans`, file, planTitle.trim() || undefined), true).then(() => setPlanTitle(''));
                  }}
                />
              </label>
            </div>
          )}
        </section>
        <section>
          <h2>4 · {s(locale, 'facilities')}</h2>
          <div className="st-muted">
            {s(locale, 'systems')}：{pack.systems.map((x) => `${systemTypeName(l, x.systemType) ?? x.systemType} ×${x.count}`).join('、') || '—'}
          </div>
          <table className="st-table" data-testid="pack-floors">
            <tbody>
              {pack.floors.map((f) => (
                <tr key={String(f.floor)}>
                  <td>{f.floor == null ? s(locale, 'noFloor') : floorName(l, f.floor)}</td>
                  <td>{f.types.map((t) => `${componentTypeName(l, t.componentType)} ${t.count}`).join('、')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section>
          <h2>5 · {s(locale, 'organisation')}</h2>
          <ul data-testid="pack-contacts">
            {u.controlRoomPhone && (
              <li>
                {s(locale, 'controlRoom')} {u.controlRoomPhone}
              </li>
            )}
            {u.contacts.length === 0 && !u.controlRoomPhone && <li className="st-muted">{s(locale, 'noContacts')}</li>}
            {u.contacts.map((c, i) => (
              <li key={i}>
                {contactRoleName(l, c.role)}：{c.name} {c.phone}
              </li>
            ))}
          </ul>
        </section>
        <section className={card ? 'no-print' : ''}>
          <h2>6 · {s(locale, 'visits')}</h2>
          <ul data-testid="pack-visits">
            {pack.visits.length === 0 && <li className="st-muted">{s(locale, 'noVisits')}</li>}
            {pack.visits.map((v) => (
              <li key={v.id}>
                {formatTime(v.visitedAt, l, 'date')} · {v.byName} · {v.note}
                {v.photos.length > 0 && (
                  <div className="st-photos" data-testid={`visit-photos-${v.id}`}>
                    {v.photos.map((f) => (
                      <a key={f.id} href={fileUrl(u.id, f.id)} target="_blank" rel="noreferrer" title={f.fileName}>
                        <img src={fileUrl(u.id, f.id)} alt={`${s(locale, 'photos')} ${f.fileName}`} loading="lazy" />
                      </a>
                    ))}
                  </div>
                )}
                {mayRecord && !card && (
                  <label className="st-file st-link no-print">
                    {s(locale, 'addPhoto')}
                    <input
                      type="file"
                      accept={PACK_PHOTO_TYPES.join(',')}
                      data-testid={`visit-photo-${v.id}`}
                      onChange={(e) => {
                        const file = e.target.files?.[0];
                        e.target.value = '';
                        if (file) void save(() => uploadPackFile(`/api/station/units/${u.id}/visits/${v.id}/photos`, file), true);
                      }}
                    />
                  </label>
                )}
              </li>
            ))}
          </ul>
          {mayRecord && !card && (
            <form
              className="st-form no-print"
              onSubmit={(e) => {
                e.preventDefault();
                void save(() => addVisit(u.id, note)).then(() => setNote(''));
              }}
            >
              <textarea value={note} onChange={(e) => setNote(e.target.value)} placeholder={s(locale, 'visitNote')} required data-testid="visit-note" />
              <button type="submit" data-testid="visit-save">
                {s(locale, 'addVisit')}
              </button>
              {saved && <span className="st-muted">{s(locale, 'saved')}</span>}
            </form>
          )}
        </section>
      </div>
    </div>
  );
}

/** "PDF · 1.2 MB · 2026-12-04": a file's type, size and day. */
function fileLine(l: Locale, f: PackFile): string {
  const kind = f.mimeType === 'application/pdf' ? 'PDF' : f.mimeType.replace('image/', '').toUpperCase();
  const size = f.sizeBytes >= 1024 * 1024 ? `${(f.sizeBytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(f.sizeBytes / 1024))} KB`;
  return `${kind} · ${size} · ${formatTime(f.createdAt, l, 'date')}`;
}

/**
 * The key parts on a floor's plan: numbered pins (the list's numbers) over the plan image of
 * the unit's building. Editors pick a key part of the floor, then click the plan to place or
 * move its pin; plans themselves are uploaded in the onboarding floor-plan editor.
 */
function KeyPartPlan({ pack, editable, onSave }: { pack: UnitPack; editable: boolean; onSave: (what: () => Promise<unknown>) => Promise<void> }) {
  const { locale } = useI18n();
  const l = locale as Locale;
  const floors = pack.floorPlans;
  const withFloor = pack.keyParts.filter((k) => k.floor != null);
  const [floorNo, setFloorNo] = useState<number | null>(() => withFloor.find((k) => floors.some((f) => f.floor === k.floor))?.floor ?? floors[0]?.floor ?? null);
  const [placing, setPlacing] = useState<number | null>(null);
  const img = useRef<HTMLImageElement>(null);
  const plan = floors.find((f) => f.floor === floorNo) ?? null;
  if (floors.length === 0) return null;
  const onFloor = pack.keyParts.map((k, i) => ({ k, n: i + 1 })).filter(({ k }) => k.floor === floorNo);
  const part = pack.keyParts.find((k) => k.id === placing) ?? null;
  return (
    <div className="st-plan-box" data-testid="key-part-plan">
      <div className="st-form no-print">
        <select value={floorNo ?? ''} onChange={(e) => setFloorNo(Number(e.target.value))} data-testid="key-part-plan-floor">
          {floors.map((f) => (
            <option key={f.floor} value={f.floor}>
              {s(locale, 'planFloor')} · {floorName(l, f.floor)}
            </option>
          ))}
        </select>
        {editable &&
          onFloor.map(({ k }) => (
            <button key={k.id} type="button" className={placing === k.id ? 'active' : ''} onClick={() => setPlacing(placing === k.id ? null : k.id)} data-testid={`key-part-place-${k.id}`}>
              {s(locale, 'markOnPlan')} · {k.name}
            </button>
          ))}
        {editable && part?.planPx && (
          <button type="button" onClick={() => void onSave(() => patchKeyPart(pack.unit.id, part.id, { planPx: null })).then(() => setPlacing(null))}>
            {s(locale, 'unmark')}
          </button>
        )}
      </div>
      {part && <div className="st-muted">{s(locale, 'markHint', { name: part.name })}</div>}
      {plan && (
        <div className={placing != null ? 'st-plan placing' : 'st-plan'}>
          <img
            ref={img}
            src={`/api/units/${pack.unit.id}/floors/${plan.floor}/plan`}
            alt={`${s(locale, 'planFloor')} ${floorName(l, plan.floor)}`}
            draggable={false}
            data-testid="key-part-plan-image"
            onClick={(e) => {
              if (placing == null || !img.current) return;
              const r = img.current.getBoundingClientRect();
              const px: [number, number] = [Math.round(((e.clientX - r.left) * plan.widthPx) / r.width), Math.round(((e.clientY - r.top) * plan.heightPx) / r.height)];
              const id = placing;
              void onSave(() => patchKeyPart(pack.unit.id, id, { planPx: px })).then(() => setPlacing(null));
            }}
          />
          {onFloor
            .filter(({ k }) => k.planPx)
            .map(({ k, n }) => (
              <span
                key={k.id}
                className="st-pin"
                style={{ left: `${(100 * k.planPx![0]) / plan.widthPx}%`, top: `${(100 * k.planPx![1]) / plan.heightPx}%` }}
                title={`${k.name} ${k.hazard}`}
                data-testid={`key-part-pin-${k.id}`}
              >
                {n}
                <em>{k.name}</em>
              </span>
            ))}
        </div>
      )}
    </div>
  );
}
