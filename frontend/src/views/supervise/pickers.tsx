// Pickers of the supervise forms: a unit found by name or address (GET /api/units?q=, the
// caller's jurisdiction only) and one of its transmission devices (GET /api/units/:id), so
// nobody types an id.
import { useEffect, useState } from 'react';
import { unitDetailSchema } from '@firelink/common';
import { api } from '../../api/http.ts';
import type { Locale } from '../../lib/i18n.ts';
import { useUnitSearch, type PickedUnit } from '../../lib/unit-search-react.ts';
import { adm } from './admin-strings.ts';

export interface PickedDevice {
  id: number;
  address: number;
  model: string | null;
  online: boolean;
}

/** Search the caller's units and pick one; shows the picked unit with a change button. */
export function UnitPicker({ locale, value, onPick, testId = 'sv-unit' }: { locale: Locale; value: PickedUnit | null; onPick: (u: PickedUnit | null) => void; testId?: string }) {
  const [q, setQ] = useState('');
  const hits = useUnitSearch(q);
  if (value)
    return (
      <span className="sv-picked" data-testid={`${testId}-picked`}>
        <b>{value.name}</b>
        {value.regionName ? <small> · {value.regionName}</small> : null}
        <button type="button" className="sv-link" onClick={() => onPick(null)} aria-label={adm(locale, 'changeUnitAria')}>
          {adm(locale, 'changeUnit')}
        </button>
      </span>
    );
  return (
    <span className="sv-picker">
      <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={adm(locale, 'findUnit')} data-testid={`${testId}-search`} />
      {hits && (
        <ul className="sv-picker-hits" role="listbox">
          {hits.length === 0 && <li className="sv-muted sv-small">{adm(locale, 'noUnitHits')}</li>}
          {hits.map((u) => (
            <li key={u.id}>
              <button type="button" role="option" aria-selected={false} onClick={() => (onPick(u), setQ(''))} data-testid={`${testId}-hit`}>
                <b>{u.name}</b>
                <small>{[u.regionName, u.address].filter(Boolean).join(' · ')}</small>
              </button>
            </li>
          ))}
        </ul>
      )}
    </span>
  );
}

/** The devices of a unit as a select (address, model, online); picks the only one at once. */
export function DevicePicker({ locale, unitId, value, onPick, testId = 'sv-device' }: { locale: Locale; unitId: number | null; value: PickedDevice | null; onPick: (d: PickedDevice | null) => void; testId?: string }) {
  const [devices, setDevices] = useState<PickedDevice[] | null>(null);
  useEffect(() => {
    setDevices(null);
    onPick(null);
    if (unitId == null) return;
    const ac = new AbortController();
    api(`/api/units/${unitId}`, unitDetailSchema, { signal: ac.signal })
      .then((u) => {
        const list = u.devices.map((d) => ({ id: d.id, address: d.address, model: d.model, online: d.online }));
        setDevices(list);
        if (list.length === 1) onPick(list[0]!);
      })
      .catch(() => {
        if (!ac.signal.aborted) setDevices([]);
      });
    return () => ac.abort();
  }, [unitId]);
  if (unitId == null) return <select disabled data-testid={testId}><option>{adm(locale, 'chooseDevice')}</option></select>;
  if (devices && devices.length === 0) return <span className="sv-muted" data-testid={`${testId}-none`}>{adm(locale, 'noDevices')}</span>;
  return (
    <select value={value?.id ?? ''} onChange={(e) => onPick(devices?.find((d) => d.id === Number(e.target.value)) ?? null)} data-testid={testId}>
      <option value="">{adm(locale, 'chooseDevice')}</option>
      {(devices ?? []).map((d) => (
        <option key={d.id} value={d.id}>
          {adm(locale, 'deviceOption', { address: d.address, model: d.model ? ` · ${d.model}` : '', state: adm(locale, d.online ? 'online' : 'offline') })}
        </option>
      ))}
    </select>
  );
}
