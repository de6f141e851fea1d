// A unit's 六熟悉 pack: roads and water around it (with the route from this station),
// building and key parts, fire facilities by floor in words, the fire organisation
// (contacts with roles), familiarisation visits (12-month flag). `card` renders the
// one-page printable card (the browser's print / save as PDF).
import { useEffect, useState } from 'react';
import type { PackFile, UnitPack } from '@firelink/common';
import { formatTime, type Locale } from '../../lib/i18n.ts';
import { useI18n } from '../../lib/i18n-react.tsx';
import { Link } from '../../lib/router-react.tsx';
import { useSession } from '../../lib/session-react.tsx';
import { ApiError } from '../../api/http.ts';
import { useCategories } from '../finder/code-names.ts';
import { componentTypeName, contactRoleName, systemTypeName } from '../finder/strings.ts';
import { PACK_PHOTO_TYPES, PACK_PLAN_TYPES } from '@firelink/common';
import { addKeyPart, addVisit, deleteFile, deleteKeyPart, errorText, fetchPack, fileUrl, uploadPackFile } from './api.ts';
import { KeyPartPlan } from './key-part-plan.tsx';
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
  // Photos chosen while the visit is written: uploaded to it once it is saved.
  const [visitPhotos, setVisitPhotos] = useState<File[]>([]);
  const [visitBusy, setVisitBusy] = useState(false);
  const [part, setPart] = useState({ floor: '', name: '', hazard: '' });
  const [saved, setSaved] = useState(false);
  const [planTitle, setPlanTitle] = useState('');
  const categories = useCategories();
  useEffect(() => {
    const ac = new AbortController();
    fetchPack(unitId, ac.signal).then(setPack, (err: unknown) => !ac.signal.aborted && setError(errorText(locale, err)));
    return () => ac.abort();
  }, [unitId, reload]);
  // The card prints once its images (floor plans) have loaded, or after 5 s at most.
  useEffect(() => {
    if (!card || !pack) return;
    const t0 = Date.now();
    let timer: ReturnType<typeof setTimeout>;
    const wait = () => {
      const pending = [...document.querySelectorAll<HTMLImageElement>('.st-card img')].some((i) => !i.complete);
      if (pending && Date.now() - t0 < 5000) timer = setTimeout(wait, 100);
      else timer = setTimeout(() => window.print(), 200);
    };
    wait();
    return () => clearTimeout(timer);
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
  /** Records the visit, then uploads the photos chosen with it; a photo refused is said with its name, the visit stays. */
  const recordVisit = async () => {
    let visitId: number;
    try {
      visitId = (await addVisit(u.id, note)).visit.id;
    } catch (err) {
      setSaveError(errorText(locale, err));
      return;
    }
    const failed: string[] = [];
    let firstErr: unknown = null;
    for (const f of visitPhotos) {
      try {
        await uploadPackFile(`/api/station/units/${u.id}/visits/${visitId}/photos`, f);
      } catch (err) {
        failed.push(f.name);
        firstErr ??= err;
      }
    }
    setNote('');
    setVisitPhotos([]);
    setSaved(true);
    setSaveError(failed.length ? `${s(locale, 'photoFailed', { n: failed.length })}${failed.join('、')}（${firstErr instanceof ApiError && firstErr.status === 400 ? s(locale, 'errFile') : errorText(locale, firstErr)}）` : null);
    setReload((n) => n + 1);
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
          {card && u.lonLatWgs84 && <CardSketch at={u.lonLatWgs84} water={pack.water} />}
          <ul data-testid="pack-water">
            {pack.water.length === 0 && <li className="st-muted">{s(locale, 'noWater')}</li>}
            {pack.water.map((w) => (
              <li key={w.id}>
                {card && <span className="st-water-no">{w.rank}</span>}
                {s(locale, w.method === 'road' ? 'waterLine' : 'waterStraight', { kind: w.name ?? waterKindName(l, w.kind), m: Math.round(w.distanceMeters) })}
              </li>
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
          <KeyPartPlan unitId={u.id} keyParts={pack.keyParts} floorPlans={pack.floorPlans} editable={mayRecord && !card} onSave={save} card={card} />
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
        {/* The card is one page: plans (预案) stay on the screen. */}
        <section data-testid="pack-plans" className={card ? 'no-print' : undefined}>
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
                if (visitBusy) return;
                setVisitBusy(true);
                void recordVisit().finally(() => setVisitBusy(false));
              }}
            >
              <textarea value={note} onChange={(e) => setNote(e.target.value)} placeholder={s(locale, 'visitNote')} required data-testid="visit-note" />
              <label className="st-file">
                {s(locale, 'visitPhotos')}
                <input
                  type="file"
                  multiple
                  accept={PACK_PHOTO_TYPES.join(',')}
                  data-testid="visit-new-photos"
                  onChange={(e) => {
                    const picked = [...(e.target.files ?? [])];
                    e.target.value = '';
                    setVisitPhotos((cur) => [...cur, ...picked]);
                  }}
                />
              </label>
              {visitPhotos.length > 0 && (
                <span className="st-muted" data-testid="visit-new-photos-count">
                  {s(locale, 'visitPhotosPicked', { n: visitPhotos.length })}：{visitPhotos.map((f) => f.name).join('、')}
                  <button type="button" className="st-link" onClick={() => setVisitPhotos([])}>
                    {s(locale, 'clearPhotos')}
                  </button>
                </span>
              )}
              <button type="submit" data-testid="visit-save" disabled={visitBusy}>
                {visitBusy ? s(locale, 'loading') : s(locale, 'addVisit')}
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
 * The card's location sketch: the unit in the middle, its nearest water sources numbered as in
 * the list, north up, with a scale bar (plain SVG: prints without map tiles).
 */
function CardSketch({ at, water }: { at: [number, number]; water: UnitPack['water'] }) {
  const { locale } = useI18n();
  const W = 320;
  const H = 220;
  const k = Math.cos((at[1] * Math.PI) / 180);
  const xy = (p: [number, number]) => [(p[0] - at[0]) * k * 111_320, (p[1] - at[1]) * 110_540] as const;
  const extent = Math.max(100, ...water.map((w) => Math.max(...xy(w.lonLatWgs84).map(Math.abs))));
  const scale = (Math.min(W, H) / 2 - 24) / extent;
  const px = (p: [number, number]) => {
    const [x, y] = xy(p);
    return [W / 2 + x * scale, H / 2 - y * scale] as const;
  };
  // A round scale-bar length near a quarter of the width.
  const target = W / 4 / scale;
  const bar = [20, 50, 100, 200, 500, 1000, 2000].find((m) => m >= target * 0.6) ?? 2000;
  return (
    <figure className="st-plan-card">
      <figcaption>{s(locale, 'sketch')}</figcaption>
    <svg className="st-sketch" width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={s(locale, 'sketch')} data-testid="card-sketch">
      <rect x={0.5} y={0.5} width={W - 1} height={H - 1} fill="none" stroke="#999" />
      {water.map((w) => {
        const [x, y] = px(w.lonLatWgs84);
        return (
          <g key={w.id}>
            <line x1={W / 2} y1={H / 2} x2={x} y2={y} stroke="#9bbbe0" strokeDasharray="3 3" />
            <circle cx={x} cy={y} r={8} fill="#2f7fd8" stroke="#fff" strokeWidth={1.5} />
            <text x={x} y={y + 4} textAnchor="middle" fontSize={10} fontWeight={700} fill="#fff">
              {w.rank}
            </text>
          </g>
        );
      })}
      <rect x={W / 2 - 7} y={H / 2 - 7} width={14} height={14} fill="#d9362b" stroke="#fff" strokeWidth={1.5} />
      <text x={W - 16} y={20} textAnchor="middle" fontSize={11} fontWeight={700} fill="currentColor">
        {s(locale, 'north')}
      </text>
      <path d={`M ${W - 16} 24 l -5 12 l 5 -3 l 5 3 z`} fill="currentColor" />
      <line x1={12} y1={H - 14} x2={12 + bar * scale} y2={H - 14} stroke="currentColor" strokeWidth={2} />
      <text x={12} y={H - 20} fontSize={10} fill="currentColor">
        {s(locale, 'meters', { m: bar })}
      </text>
    </svg>
    </figure>
  );
}
