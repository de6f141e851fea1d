// A unit's 六熟悉 pack: roads and water around it (with the route from this station),
// building and key parts, fire facilities by floor in words, the fire organisation
// (contacts with roles), familiarisation visits (12-month flag). `card` renders the
// one-page printable card (the browser's print / save as PDF).
import { useEffect, useState } from 'react';
import type { UnitPack } from '@firelink/common';
import { formatTime, type Locale } from '../../lib/i18n.ts';
import { useI18n } from '../../lib/i18n-react.tsx';
import { Link } from '../../lib/router-react.tsx';
import { useSession } from '../../lib/session-react.tsx';
import { useCategories } from '../finder/code-names.ts';
import { componentTypeName, contactRoleName, systemTypeName } from '../finder/strings.ts';
import { addKeyPart, addVisit, errorText, fetchPack } from './api.ts';
import { floorName, s, waterKindName } from './strings.ts';

export function PackView({ unitId, card }: { unitId: number; card: boolean }) {
  const { locale } = useI18n();
  const l = locale as Locale;
  const { me } = useSession();
  const [pack, setPack] = useState<UnitPack | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [note, setNote] = useState('');
  const [part, setPart] = useState({ floor: '', name: '', hazard: '' });
  const [saved, setSaved] = useState(false);
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
  const save = async (what: () => Promise<unknown>) => {
    try {
      await what();
      setSaved(true);
      setError(null);
      setReload((n) => n + 1);
    } catch (err) {
      setError(errorText(locale, err));
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
            {pack.keyParts.map((k) => (
              <li key={k.id}>
                {k.floor != null ? `${floorName(l, k.floor)} · ` : ''}
                <b>{k.name}</b> {k.hazard}
              </li>
            ))}
          </ul>
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
